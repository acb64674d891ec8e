"""Newer minutes replace older facts.

When the quote an answer leads with comes from a document, a later document may say the
same thing with another figure or date: a deadline moved, a new count of members. Such a
statement is a sentence of a document dated later, in any language, whose embedding is at
least `min_similarity` to the quote's (the same statement, not the same topic) and which
states a number or date the quote does not. The answer then leads with the newest
statement and keeps the older one after it; each citation carries its document's date
(shown with the sources), so a member sees which is current. Nothing is picked silently:
both stay. The dates are not written into the answer text: every date in it is quoted."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.answer.citations import Passage
from assistant.answer.grounding import numbers
from assistant.index.filters import Filters
from assistant.index.store import SearchIndex
from assistant.retrieval.hybrid import Retrieval

_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Newer:
    passage: Passage
    similarity: float


def _sentence_vector(retrieval: Retrieval, p: Passage) -> np.ndarray | None:
    """The stored vector of the quoted sentence (from the retrieved chunk that holds it)."""
    for h in retrieval.hits:
        c = h.chunk
        if c.source == p.source and c.start <= p.start < c.end and (p.start, p.end) in c.sentences:
            return h.sentence_vectors[list(c.sentences).index((p.start, p.end))]
    return None


def newer_statement(
    index: SearchIndex, retrieval: Retrieval, quote: Passage, min_similarity: float, pool: int = 20
) -> Newer | None:
    """The statement of a later document that updates `quote`, or None."""
    date = index.documents[quote.source].date if quote.source in index.documents else None
    vec = _sentence_vector(retrieval, quote)
    if not date or vec is None or not _DIGIT.search(quote.text):
        return None
    facts = numbers(quote.text)
    best: Newer | None = None
    keys = [key for key, _ in index.dense(vec, pool, Filters(year_from=int(date[:4])))]
    for chunk, svecs in zip(index.chunks(keys), index.sentence_vectors(keys)):
        later = index.documents[chunk.source].date if chunk.source in index.documents else None
        if chunk.source == quote.source or not later or later <= date or not len(svecs):
            continue
        sims = svecs @ vec
        i = int(np.argmax(sims))
        s, e = chunk.sentences[i]
        doc = index.documents[chunk.source]
        text = doc.text[s:e]
        if sims[i] < min_similarity or not _DIGIT.search(text) or numbers(text) <= facts:
            continue
        if best is None or sims[i] > best.similarity:
            best = Newer(Passage(0, chunk.source, doc.title, doc.date, doc.heading_at(s), text, s, e), float(sims[i]))
    return best


def newest_first(
    index: SearchIndex, retrieval: Retrieval, passages: list[Passage], min_similarity: float
) -> list[Passage]:
    """`passages` led by the statement that updates the first one, when a later document has one."""
    if not passages:
        return passages
    newer = newer_statement(index, retrieval, passages[0], min_similarity)
    if newer is None:
        return passages
    rest = [p for p in passages if (p.source, p.start) != (newer.passage.source, newer.passage.start)]
    return [newer.passage, *rest]
