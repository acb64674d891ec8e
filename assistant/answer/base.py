"""The answer step. `Answerer` is the interface; the default `ExtractiveAnswerer`
quotes the retrieved sentences that best answer the question (scored with the
precomputed sentence embeddings), cites them, frames them in the question's language,
and abstains when the best evidence is below a threshold calibrated on data.

`build_chain` wires retrieval and an answerer into one LangChain (LCEL) runnable."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from assistant.answer.candidates import Admit
from assistant.answer.citations import Citation, Passage, cite
from assistant.answer.each_document import other_documents
from assistant.answer.evidence import Evidence, rank_sentences, select_evidence
from assistant.answer.updates import newest_first
from assistant.core.config import Settings
from assistant.core.i18n import t
from assistant.index.filters import Filters
from assistant.index.store import SearchIndex
from assistant.ingest.chunking import clean_text, flat_list
from assistant.retrieval.hybrid import HybridRetriever, Retrieval


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    retrieval: Retrieval
    best_score: float
    latency_s: float = 0.0
    backend: str = "extractive"  # the answerer that produced the text
    note: str = ""  # e.g. "LLM unreachable; extractive answer shown"
    dropped_citations: int = 0
    grounding: dict = field(default_factory=dict)  # what the grounding check kept/dropped (LLM answers)
    reason: str = ""  # why it abstained: "weak_evidence", "no_match", "filters", "model", ...
    lead: str = ""  # the grounded sentence in the member's language before the quotes, if any

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [
                {
                    "n": c.n,
                    "source": c.source,
                    "title": c.title,
                    "date": c.date,
                    "heading": c.heading,
                    "text": c.text,
                    "start": c.start,
                    "end": c.end,
                }
                for c in self.citations
            ],
            "retrieved": [
                {
                    "source": h.chunk.source,
                    "text": h.chunk.text,
                    "score": round(h.score, 6),
                    "dense": round(h.dense, 4),
                    "start": h.chunk.start,
                    "end": h.chunk.end,
                }
                for h in self.retrieval.hits
            ],
            "latency_s": round(self.latency_s, 4),
            "answerer": self.backend,
            "backend": self.backend,
            "grounding": self.grounding,
            "note": self.note,
            "abstain_reason": self.reason,
            "lead": self.lead,
        }


class Answerer(Protocol):
    name: str

    def answer(self, retrieval: Retrieval) -> Answer: ...

    def stream(self, retrieval: Retrieval) -> Iterator[Waiting | str | Answer]: ...


@dataclass(frozen=True)
class Preview:
    """The first item of a stream: what retrieval found, shown before the answer is ready."""

    language: str
    retrieval: Retrieval


@dataclass(frozen=True)
class Waiting:
    """Streamed while the answer waits for the (single) language model: how many
    questions are ahead of this one."""

    ahead: int


def passage_for(index: SearchIndex, ev: Evidence, n: int) -> Passage:
    doc = index.documents[ev.source]
    return Passage(
        n, ev.source, doc.title, doc.date, doc.heading_at(ev.start), doc.text[ev.start : ev.end], ev.start, ev.end
    )


def quoted_answer(
    retrieval: Retrieval,
    best: float,
    passages: list[Passage],
    backend: str,
    lead: str = "",
    **fields,
) -> Answer:
    """The passages quoted verbatim, numbered 1.. in this order, each with its citation,
    in the question's language's frame (after `lead`, a grounded sentence, if any)."""
    q = retrieval.query
    passages = [dataclasses.replace(p, n=k) for k, p in enumerate(passages, 1)]
    quotes = "\n\n".join(f"“{flat_list(clean_text(p.text))}” [{p.n}]" for p in passages)
    text = t(q.language, "answer_frame", quotes=quotes)
    ans = cited_answer(retrieval, best, f"{lead}\n\n{text}" if lead else text, passages, backend, **fields)
    return dataclasses.replace(ans, lead=ans.text.split("\n\n", 1)[0]) if lead else ans


def cited_answer(
    retrieval: Retrieval, best: float, text: str, passages: list[Passage], backend: str, **fields
) -> Answer:
    """An answer of `text` whose [n] markers cite `passages`, renumbered in order."""
    cited = cite(text, passages)
    q = retrieval.query
    return Answer(
        q.text,
        q.language,
        cited.text,
        False,
        cited.citations,
        retrieval,
        best,
        backend=backend,
        dropped_citations=cited.dropped_markers,
        **fields,
    )


def stream_answer(ans: Answer) -> Iterator[str | Answer]:
    """A finished answer as a stream: its words, then the Answer itself."""
    yield from re.findall(r"\S+\s*", ans.text)
    yield ans


def abstain_text(language: str, reason: str = "") -> str:
    """The abstention in the question's language; a filter that excludes every document
    is named as the reason instead of the documents."""
    return t(language, "abstain_filters" if reason == "filters" else "abstain")


def abstention(retrieval: Retrieval, best: float, backend: str, reason: str = "", **fields) -> Answer:
    reason = reason or (
        "filters" if retrieval.documents_searched == 0 else "no_match" if not retrieval.hits else "weak_evidence"
    )
    q = retrieval.query
    return Answer(
        q.text,
        q.language,
        abstain_text(q.language, reason),
        True,
        (),
        retrieval,
        best,
        backend=backend,
        reason=reason,
        **fields,
    )


class ExtractiveAnswerer:
    """Quotes the evidence sentences; never invents text beyond the language frame."""

    name = "extractive"

    def __init__(self, index: SearchIndex, settings: Settings):
        self.index, self.s = index, settings

    def evidence(
        self, retrieval: Retrieval, expanded: bool = False, topic_bonus: float = 0.0
    ) -> tuple[list[Evidence], float]:
        """Ranked candidate sentences and the best raw similarity (the abstention signal:
        `topic_bonus` only orders sentences, it does not make evidence stronger)."""
        ranked = rank_sentences(retrieval, expanded=expanded, topic_bonus=topic_bonus, admit=Admit.of(self.s))
        return ranked, max((ev.similarity for ev in ranked), default=float("-inf"))

    def heading_of(self, ev: Evidence) -> str:
        """The heading path of the section a sentence is in."""
        return self.index.documents[ev.source].heading_at(ev.start)

    def answer(self, retrieval: Retrieval) -> Answer:
        return self.answer_from(retrieval, *self.evidence(retrieval))

    def answer_from(self, retrieval: Retrieval, ranked: list[Evidence], best: float) -> Answer:
        """The answer for evidence already ranked by `evidence()`."""
        if not ranked or best < self.s.abstain_threshold:
            return abstention(retrieval, best, self.name)
        chosen = select_evidence(ranked, self.s.answer_max_sentences, self.s.sentence_margin)
        if self.s.rule_each_document:
            chosen += other_documents(
                retrieval.query,
                ranked,
                {ev.source for ev in chosen},
                self.s.answer_max_sentences - len(chosen),
                self.s.abstain_threshold,
                topic_count=retrieval.topic_count,
                language_of=retrieval.document_language,
                heading_of=self.heading_of,
            )
        passages = [passage_for(self.index, ev, 0) for ev in chosen]
        return quoted_answer(retrieval, best, self.newest_first(retrieval, passages), self.name)

    def newest_first(self, retrieval: Retrieval, passages: list[Passage]) -> list[Passage]:
        """The passages led by a later document's statement that updates the first one
        (updates.py), when the rule is on."""
        if not self.s.rule_newest:
            return passages
        return newest_first(self.index, retrieval, passages, self.s.newer_min_similarity)

    def stream(self, retrieval: Retrieval) -> Iterator[str | Answer]:
        yield from stream_answer(self.answer(retrieval))


def make_prepare(retriever: HybridRetriever) -> Runnable:
    """First step of the chain: retrieve for the query.

    Input: {"query": Query, "k": int | None, "filters": Filters | None}."""

    def prepare(inp: dict) -> Retrieval:
        return retriever.retrieve(inp["query"], inp.get("k"), inp.get("filters") or Filters())

    return RunnableLambda(prepare).with_config(run_name="retrieve")


def build_chain(prepare: Runnable, answerer: Answerer) -> Runnable:
    """query dict -> Answer, as LCEL: `retrieve | answer`."""
    return prepare | RunnableLambda(answerer.answer).with_config(run_name=answerer.name)


def build_stream_chain(prepare: Runnable, answerer: Answerer) -> Runnable:
    """The same chain for `.stream()`: yields a Preview (the evidence, as soon as
    retrieval is done), then the answer's text pieces, then the final Answer."""

    def answer_stream(inputs: Iterator[Retrieval]) -> Iterator[Preview | Waiting | str | Answer]:
        for retrieval in inputs:
            yield Preview(retrieval.query.language, retrieval)
            yield from answerer.stream(retrieval)

    return prepare | RunnableGenerator(answer_stream).with_config(run_name=answerer.name)
