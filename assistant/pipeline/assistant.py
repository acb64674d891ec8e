"""`Assistant`: the loaded pipeline (embedder, index, retriever, answerer, chains).

The constructor is cheap; `warm_up()` loads the model and opens the index through the
configured store. `reindex()` writes a new index version and swaps it in only when it is
complete, so questions asked meanwhile are answered from the old one. Retrieval and
answering keep no per-question state, so several members can ask at once."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig

from assistant.answer.answerers import make_answerer
from assistant.answer.base import Answer, Answerer, Preview, build_chain, build_stream_chain, make_prepare
from assistant.core.config import Settings
from assistant.index.filters import Filters
from assistant.index.indexer import (
    IndexReport,
    Progress,
    build_index,
    chunker_settings,
    embedding_identity,
    no_progress,
)
from assistant.index.store import SearchIndex, check_compatible
from assistant.index.stores import make_store
from assistant.models.embeddings import Embedder, load_embedder
from assistant.query.conversation import answer_language, follow_up
from assistant.query.query import Query, build_query
from assistant.query.questions import check_question
from assistant.retrieval.hybrid import HybridRetriever, Retrieval

AnswererFactory = Callable[[SearchIndex, Settings, Callable[[], Any]], Answerer]


@dataclasses.dataclass(frozen=True)
class _Loaded:
    """Everything built from one index version; replaced as a whole on re-index."""

    index: SearchIndex
    retriever: HybridRetriever
    answerer: Answerer
    chain: Runnable
    stream_chain: Runnable


class Assistant:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        answerer_factory: AnswererFactory | None = None,
        chat_model: object | None = None,
    ):
        self.settings = settings
        self._embedder = embedder
        self._answerer_factory = answerer_factory or make_answerer
        self._state: _Loaded | None = None
        self._chat_model = chat_model  # the LLM, loaded once and kept across re-indexing (None: on first use)
        self._lock = threading.Lock()
        self._llm_lock = threading.Lock()
        self._reindex_lock = threading.Lock()
        self.load_seconds = 0.0  # model + index loading, reported apart from answer latency

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings)
        return self._embedder

    def warm_up(self) -> "Assistant":
        with self._lock:
            if self._state is None:
                t0 = time.perf_counter()
                self._state = self._load()
                self.load_seconds = time.perf_counter() - t0
        return self

    def _load(self) -> _Loaded:
        self.embedder.warm_up()
        store = make_store(self.settings)
        index = store.open()
        check_compatible(index.manifest, embedding_identity(self.embedder), chunker_settings(self.settings).as_dict())
        retriever = HybridRetriever(index, self.embedder, self.settings)
        answerer = self._answerer_factory(index, self.settings, self.chat_model)
        if self._chat_model is not None and hasattr(self._chat_model, "warm_up"):
            self._chat_model.warm_up()  # the local LLM loads here, not inside the first answer
        prepare = make_prepare(retriever)
        return _Loaded(
            index, retriever, answerer, build_chain(prepare, answerer), build_stream_chain(prepare, answerer)
        )

    def chat_model(self):
        """The configured LLM (`llm` setting), created on first use and then shared."""
        with self._llm_lock:
            if self._chat_model is None:
                from assistant.models.llm import make_chat_model

                self._chat_model = make_chat_model(self.settings)
            return self._chat_model

    def follow_up_model(self):
        """The LLM that rewrites follow-up questions when the answer step uses one; None
        means the rule-based condensing."""
        from assistant.answer.answerers import USES_LLM

        return self.chat_model() if self.settings.answer_backend in USES_LLM else None

    def _loaded(self) -> _Loaded:
        """The current index version with what was built from it, loaded first if needed."""
        state = self.warm_up()._state
        assert state is not None  # warm_up() sets it or raises
        return state

    @property
    def index(self) -> SearchIndex:
        return self._loaded().index

    @property
    def retriever(self) -> HybridRetriever:
        return self._loaded().retriever

    @property
    def answerer(self) -> Answerer:
        return self._loaded().answerer

    @property
    def chain(self) -> Runnable:
        return self._loaded().chain

    def as_retriever(self, k: int = 5, filters: Filters | None = None) -> BaseRetriever:
        """A LangChain retriever over this assistant's index (see `lc.MinutesRetriever`)."""
        from assistant.pipeline.langchain import MinutesRetriever

        return MinutesRetriever(assistant=self, k=k, filters=filters)

    def question(self, text: str, language: str | None = None) -> str:
        """The question normalised and bounded (QuestionError otherwise), before any model runs;
        `language` is the page's, for the message about an empty question."""
        return check_question(text, self.settings.question_max_chars, language)

    def query(
        self,
        text: str,
        history: Sequence[tuple[str, str]] = (),
        page_language: str | None = None,
        language: str | None = None,
    ) -> Query:
        """The question read once (`Query`), checked before any model runs. With `history`
        ([(question, answer), ...], oldest first) a follow-up keeps the question it follows,
        and, when the answer step has a language model, the model's stand-alone rewrite."""
        question = self.question(text, page_language)
        previous, rewrite = follow_up(
            history, question, self.follow_up_model() if history else None, timeout_s=self.settings.llm_timeout_s
        )
        lang = language or answer_language(question, rewrite or f"{previous} {question}".strip())
        return build_query(question, lang, previous, rewrite)

    def _as_query(self, question: Query | str, language: str | None) -> Query:
        if isinstance(question, Query):
            return question if language is None else dataclasses.replace(question, language=language)
        return self.query(question, language=language)

    def retrieve(self, question: Query | str, k: int | None = None, filters: Filters | None = None) -> Retrieval:
        return self.retriever.retrieve(self._as_query(question, None), k, filters or Filters())

    def ask(
        self,
        question: Query | str,
        k: int | None = None,
        filters: Filters | None = None,
        language: str | None = None,
        config: RunnableConfig | None = None,
    ) -> Answer:
        query = self._as_query(question, language)
        chain = self.chain  # loads first, so the latency below is the answer's own
        t0 = time.perf_counter()
        ans: Answer = chain.invoke({"query": query, "k": k, "filters": filters}, config)
        return dataclasses.replace(ans, latency_s=time.perf_counter() - t0)

    def stream(
        self,
        question: Query | str,
        k: int | None = None,
        filters: Filters | None = None,
        language: str | None = None,
        config: RunnableConfig | None = None,
    ) -> Iterator[Preview | str | Answer]:
        """Yields a Preview (what retrieval found), text pieces, then the final Answer."""
        query = self._as_query(question, language)
        chain = self._loaded().stream_chain  # one index version throughout, even if a re-index swaps
        t0 = time.perf_counter()
        for item in chain.stream({"query": query, "k": k, "filters": filters}, config):
            yield dataclasses.replace(item, latency_s=time.perf_counter() - t0) if isinstance(item, Answer) else item

    def reindex(self, rebuild: bool = False, progress: Progress = no_progress) -> IndexReport:
        with self._reindex_lock:
            report = build_index(self.settings, self.embedder, rebuild=rebuild, progress=progress)
            new_state = self._load()
            self._state = new_state  # swap: one assignment, readers see old or new
            return report
