"""Hybrid retrieval: dense (FAISS) + BM25 (bm25s), fused with reciprocal rank fusion,
then diversified with maximal marginal relevance so that a question spanning two
documents gets evidence from both. Optional filters by document, language and year."""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .chunking import Chunk
from .config import Settings
from .embeddings import Embedder
from .store import Index

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD = str.maketrans({"æ": "ä", "ø": "ö", "é": "e", "ü": "u"})


def bm25_tokens(text: str) -> list[str]:
    """Lower-case words, Danish/Norwegian letters folded onto Swedish ones and cut to
    six characters: a crude stemmer that also lets 'sekretær' meet 'sekreterare'."""
    text = unicodedata.normalize("NFC", text.lower()).translate(_FOLD)
    return [w[:6] for w in _WORD.findall(text) if len(w) > 1 or w.isdigit()]


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.sources or self.languages or self.year_from or self.year_to)

    def allows(self, c: Chunk) -> bool:
        if self.sources and not any(s == c.source or s in c.source for s in self.sources):
            return False
        if self.languages and c.language not in self.languages:
            return False
        year = int(c.date[:4]) if c.date else None
        if self.year_from and (year is None or year < self.year_from):
            return False
        if self.year_to and (year is None or year > self.year_to):
            return False
        return True


@dataclass(frozen=True)
class Hit:
    index: int            # position in Index.chunks
    chunk: Chunk
    score: float          # fused score after diversification order
    dense: float          # cosine similarity to the question
    dense_rank: int | None
    bm25_rank: int | None


@dataclass(frozen=True)
class Retrieval:
    question: str
    query_vector: np.ndarray = field(repr=False)
    hits: tuple[Hit, ...]


class HybridRetriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings):
        self.index, self.embedder, self.s = index, embedder, settings

    @cached_property
    def _bm25(self):
        import bm25s

        bm = bm25s.BM25()
        bm.index([bm25_tokens(c.embed_text) for c in self.index.chunks], show_progress=False)
        return bm

    def bm25_scores(self, question: str) -> np.ndarray:
        toks = [t for t in bm25_tokens(question) if t in self._bm25.vocab_dict]
        if not toks or not self.index.chunks:
            return np.zeros(len(self.index.chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(toks), dtype=np.float32)

    def dense_scores(self, qv: np.ndarray, pool: int) -> dict[int, float]:
        """For the `pool` chunks nearest in the vector store: the chunk's cosine plus
        sentence_weight x the best cosine of one of its sentences (short facts inside
        long chunks are otherwise diluted). Work beyond the store search is O(pool)."""
        scores, ids = self.index.store.search(qv, pool)
        out = {}
        for score, i in zip(scores, ids):
            if i < 0:
                continue
            sv = self.index.chunk_sentence_vectors(int(i))
            best = float((sv @ qv).max()) if len(sv) else 0.0
            out[int(i)] = float(score) + self.s.sentence_weight * best
        return out

    def retrieve(self, question: str, k: int | None = None, filters: Filters = Filters()) -> Retrieval:
        k = k or self.s.top_k
        chunks = self.index.chunks
        qv = self.embedder.embed_query_np(question)
        allowed = np.array([filters.allows(c) for c in chunks], dtype=bool) if filters.active else np.ones(len(chunks), bool)
        # filters are applied after the search, so a filtered query searches everything
        dense = self.dense_scores(qv, len(chunks) if filters.active else 3 * self.s.candidates)
        dense_order = [i for i in sorted(dense, key=lambda i: -dense[i]) if allowed[i]][: self.s.candidates]
        bm = self.bm25_scores(question)
        bm_order = [int(i) for i in np.argsort(-bm, kind="stable") if allowed[i] and bm[i] > 0][: self.s.candidates]
        d_rank = {i: r for r, i in enumerate(dense_order)}
        b_rank = {i: r for r, i in enumerate(bm_order)}
        fused: dict[int, float] = defaultdict(float)  # reciprocal rank fusion
        for ranks, weight in ((d_rank, self.s.dense_weight), (b_rank, self.s.bm25_weight)):
            for i, r in ranks.items():
                fused[i] += weight / (self.s.rrf_k + r + 1)
        order = self._mmr(sorted(fused, key=lambda i: -fused[i]), fused, k)
        vecs = self.index.chunk_vectors
        hits = tuple(Hit(i, chunks[i], fused[i], float(vecs[i] @ qv), d_rank.get(i), b_rank.get(i)) for i in order)
        return Retrieval(question, qv, hits)

    def _mmr(self, cands: list[int], rel: dict[int, float], k: int) -> list[int]:
        if not cands:
            return []
        top = max(rel.values()) or 1.0
        vecs, chunks = self.index.chunk_vectors, self.index.chunks
        chosen: list[int] = []
        pool = list(cands)
        lam, doc_pen = self.s.mmr_lambda, self.s.doc_penalty
        while pool and len(chosen) < k:
            def mmr(i: int) -> float:
                # redundancy: similarity to what is chosen, plus a penalty per chosen
                # chunk of the same document (spreads evidence over documents)
                red = max((float(vecs[i] @ vecs[j]) for j in chosen), default=0.0)
                same_doc = sum(chunks[j].source == chunks[i].source for j in chosen)
                return lam * rel[i] / top - (1 - lam) * (red + doc_pen * same_doc)
            best = max(pool, key=mmr)
            chosen.append(best)
            pool.remove(best)
        return chosen
