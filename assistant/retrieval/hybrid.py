"""Retrieval over any `SearchIndex`: recall first, then precision.

1. Dense candidates from the store; each candidate's score is its cosine plus
   `sentence_weight` x the best cosine of one of its sentences as retrieval reads them
   (a short sentence with its neighbours, a table row with its column names:
   sentence_text.py), since a short fact inside a long chunk is otherwise diluted.
2. Keyword candidates from the store (BM25 / full-text search) add `lexical_weight` x
   their score relative to the best keyword score (exact names and numbers), and every
   candidate adds `cognate_weight` x its best sentence's share of the question's character
   4-grams (cognates.py: "beregningsperioden" meets "beräkningsperiod").
The search uses the question (with a follow-up's previous question) and its glossary
equivalents (glossary.py); the sentence ranking of the answer step uses the question
alone. Filters (document, language, year) are applied by the store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from assistant.core.config import Settings
from assistant.index.filters import Filters
from assistant.index.sentence_text import sentence_embed_texts
from assistant.index.store import SearchIndex
from assistant.ingest.chunking import Chunk
from assistant.models.embeddings import Embedder
from assistant.query.query import Query
from assistant.retrieval.cognates import Cognates
from assistant.retrieval.glossary import count_topics, load_glossary

__all__ = ["Filters", "Hit", "Retrieval", "HybridRetriever"]


@dataclass(frozen=True)
class Hit:
    key: int  # the store's chunk key
    chunk: Chunk
    score: float  # final ranking score
    dense: float  # cosine similarity of the chunk to the question
    sentence_vectors: np.ndarray = field(repr=False, compare=False)  # each sentence alone (the answer step)
    dense_rank: int | None = None
    lexical_rank: int | None = None
    search_vectors: np.ndarray | None = field(default=None, repr=False, compare=False)  # sentences in context


@dataclass(frozen=True)
class Retrieval:
    query: Query
    query_vector: np.ndarray = field(repr=False, compare=False)
    hits: tuple[Hit, ...]
    filters: Filters = Filters()
    documents_searched: int | None = None  # set when nothing was found: 0 means the filters exclude everything
    search_vector: np.ndarray | None = field(default=None, repr=False, compare=False)  # the glossary-expanded question
    topics: tuple[re.Pattern, ...] = field(default=(), repr=False, compare=False)  # glossary concepts the question uses

    def topic_count(self, text: str) -> int:
        """How many of the question's glossary concepts `text` names, in any language."""
        return count_topics(self.topics, text)

    def document_language(self, source: str) -> str:
        """The language of a retrieved document ("" if none of the hits is from it)."""
        return next((h.chunk.language for h in self.hits if h.chunk.source == source), "")


class HybridRetriever:
    def __init__(self, index: SearchIndex, embedder: Embedder, settings: Settings):
        self.index, self.embedder, self.s = index, embedder, settings
        name = settings.glossary
        self.glossary = load_glossary(name if name in ("", "builtin") else str(settings.root / name))
        self.cognates = Cognates()  # each passage's sentence grams, kept across questions

    def retrieve(self, q: Query, k: int | None = None, filters: Filters = Filters()) -> Retrieval:
        k = k or self.s.top_k
        question = q.search_text
        query = self.glossary.expand(question)
        if query == question:
            qv = sv = self.embedder.embed_query_np(question)
        else:  # the search compares the expanded question, the answer step the question
            qv, sv = self.embedder.embed_queries_np([question, query])
        pool = max(self.s.candidates, k)
        dense = self.index.dense(sv, pool, filters)
        lexical = self.index.lexical(query, pool, filters) if self.s.lexical_weight else []
        keys = list(dict.fromkeys([key for key, _ in dense] + [key for key, _ in lexical]))
        if not keys:
            return Retrieval(q, qv, (), filters, documents_searched=self._searchable(filters))
        cos = dict(dense)
        missing = [key for key in keys if key not in cos]  # keyword-only candidates: their cosine too
        if missing:
            cos.update(zip(missing, (self.index.chunk_vectors(missing) @ sv).tolist()))
        svecs = dict(zip(keys, self.index.sentence_vectors(keys)))
        search = dict(zip(keys, self.index.sentence_search_vectors(keys)))
        chunks = dict(zip(keys, self.index.chunks(keys)))
        score = {}
        for key in keys:
            sims = search[key] @ sv
            score[key] = cos[key] + self.s.sentence_weight * (float(sims.max()) if len(sims) else 0.0)
        top_lex = lexical[0][1] if lexical else 0.0
        for key, s in lexical:
            score[key] += self.s.lexical_weight * s / top_lex
        if self.s.cognate_weight:
            near = self.cognates.scores(
                question,
                [
                    self.cognates.passage(chunks[key].chunk_id, partial(sentence_embed_texts, chunks[key]))
                    for key in keys
                ],
            )
            for key, s in zip(keys, near):
                score[key] += self.s.cognate_weight * s
        order = sorted(keys, key=lambda key: -score[key])
        d_rank = {key: r for r, (key, _) in enumerate(dense)}
        l_rank = {key: r for r, (key, _) in enumerate(lexical)}
        topics = self.glossary.topics(question)
        hits = tuple(
            Hit(key, chunks[key], score[key], cos[key], svecs[key], d_rank.get(key), l_rank.get(key), search[key])
            for key in order[:k]
        )
        return Retrieval(q, qv, hits, filters, search_vector=None if sv is qv else sv, topics=topics)

    def _searchable(self, filters: Filters) -> int:
        """How many documents the filters leave (from the manifest, cheap in every store)."""
        docs = self.index.manifest["documents"]
        return sum(filters.allows_document(s, d["language"], d["date"]) for s, d in docs.items())
