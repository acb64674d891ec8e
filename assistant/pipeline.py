"""`Assistant`: the loaded pipeline (embedder, index, retriever, answerer, chain).

The constructor is cheap; `warm_up()` loads the model and the index. `reindex()`
builds a new index version and swaps it in only when it is complete, so questions
asked meanwhile are answered from the old one."""
from __future__ import annotations

import dataclasses
import threading
import time
from typing import Callable, NamedTuple

from langchain_core.runnables import Runnable

from .answer import Answer, Answerer, ExtractiveAnswerer, build_chain, make_prepare
from .config import Settings
from .embeddings import Embedder, load_embedder
from .indexer import IndexReport, build_index, chunker_settings, embedding_identity
from .retrieval import Filters, HybridRetriever, Retrieval
from .store import Index, check_compatible, load_index

AnswererFactory = Callable[[Index, Settings], Answerer]


class _Loaded(NamedTuple):
    """Everything built from one index version; replaced as a whole on re-index."""
    index: Index
    retriever: HybridRetriever
    answerer: Answerer
    prepare: Runnable
    chain: Runnable


class Assistant:
    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 answerer_factory: AnswererFactory | None = None):
        self.settings = settings
        self._embedder = embedder
        self._answerer_factory = answerer_factory
        self._state: _Loaded | None = None
        self._reindex_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings)
        return self._embedder

    def warm_up(self) -> "Assistant":
        if self._state is None:
            self._state = self._load()
        return self

    def _load(self):
        self.embedder.warm_up()
        index = load_index(self.settings.path("index_dir"))
        check_compatible(index.manifest, embedding_identity(self.embedder), chunker_settings(self.settings).as_dict())
        retriever = HybridRetriever(index, self.embedder, self.settings)
        answerer = (self._answerer_factory or default_answerer_factory)(index, self.settings)
        prepare = make_prepare(retriever)
        return _Loaded(index, retriever, answerer, prepare, build_chain(prepare, answerer))

    @property
    def index(self) -> Index:
        return self.warm_up()._state.index

    @property
    def retriever(self) -> HybridRetriever:
        return self.warm_up()._state.retriever

    @property
    def answerer(self) -> Answerer:
        return self.warm_up()._state.answerer

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None) -> Retrieval:
        return self.retriever.retrieve(question, k, filters or Filters())

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None, language: str | None = None) -> Answer:
        t0 = time.perf_counter()
        ans: Answer = self.warm_up()._state.chain.invoke({"question": question, "k": k, "filters": filters, "language": language})
        return _with_latency(ans, time.perf_counter() - t0)

    def stream(self, question: str, k: int | None = None, filters: Filters | None = None, language: str | None = None):
        """Yields text pieces, then the final Answer."""
        t0 = time.perf_counter()
        loaded = self.warm_up()._state  # one version throughout, even if a re-index swaps meanwhile
        inp = loaded.prepare.invoke({"question": question, "k": k, "filters": filters, "language": language})
        for item in loaded.answerer.stream(inp["question"], inp["language"], inp["retrieval"]):
            yield _with_latency(item, time.perf_counter() - t0) if isinstance(item, Answer) else item

    def reindex(self, rebuild: bool = False, progress=lambda f, m: None) -> IndexReport:
        with self._reindex_lock:
            report = build_index(self.settings, self.embedder, rebuild=rebuild, progress=progress)
            self._state = self._load()  # swap: one assignment, readers see old or new
            return report


def _with_latency(ans: Answer, seconds: float) -> Answer:
    return dataclasses.replace(ans, latency_s=seconds)


def default_answerer_factory(index: Index, settings: Settings) -> Answerer:
    if settings.answer_backend == "extractive":
        return ExtractiveAnswerer(index, settings)
    if settings.answer_backend in ("selector", "writer"):  # local grounded LLM readers (issue 7)
        from .reader import make_reader

        return make_reader(index, settings, settings.answer_backend)
    from .llm import make_llm_answerer  # optional backends (issue: LLM answer step)

    return make_llm_answerer(index, settings)
