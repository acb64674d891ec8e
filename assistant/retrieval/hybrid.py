"""Retrieval over any `SearchIndex`: recall first, then precision.

1. Dense candidates from the store; each candidate's score is its cosine plus
   `sentence_weight` x the best cosine of one of its sentences as retrieval reads them
   (a short sentence with its neighbours, a table row with its column names:
   sentence_text.py), since a short fact inside a long chunk is otherwise diluted. For a
   who-wrote question a byline or signature sentence counts `byline_bonus` more, and the
   document that ranked first without it is kept (`topic_source`: evidence.first_byline).
2. Keyword candidates from the store (BM25 / full-text search) add `lexical_weight` x
   their score relative to the best keyword score (exact names and numbers), and every
   candidate adds `cognate_weight` x its best sentence's share of the question's character
   4-grams (cognates.py: "beregningsperioden" meets "beräkningsperiod").
   The search uses the question with its glossary equivalents (glossary.py); the
   sentence ranking of the answer step uses the question alone.
3. Diversity only where the question calls for several documents (it names two years,
   two countries, or "the documents"): the best passage of every document scoring
   within `multi_doc_margin` of the best one, or among the first k keyword hits, is
   moved up (a document's keyword hit before its other passages: it names what is asked),
   then, while the best document keeps its second passage in the first k, a document
   whose passage names the question's glossary concepts (compounds BM25 does not split).
   Otherwise the best document keeps its second and third passages.
Filters (document, language, year) are applied by the store."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.ingest.chunking import Chunk
from assistant.retrieval.cognates import Cognates
from assistant.core.config import Settings
from assistant.query.query import Query
from assistant.models.embeddings import Embedder
from assistant.index.filters import Filters
from assistant.retrieval.glossary import count_topics, load_glossary
from assistant.query.questions import is_byline
from assistant.index.sentence_text import sentence_embed_texts
from assistant.index.store import SearchIndex

__all__ = ["Filters", "Hit", "Retrieval", "HybridRetriever"]


@dataclass(frozen=True)
class Hit:
    key: int                  # the store's chunk key
    chunk: Chunk
    score: float              # final ranking score
    dense: float              # cosine similarity of the chunk to the question
    sentence_vectors: np.ndarray = field(repr=False, compare=False)   # each sentence alone (the answer step)
    dense_rank: int | None = None
    lexical_rank: int | None = None
    search_vectors: np.ndarray | None = field(default=None, repr=False, compare=False)  # sentences in context


@dataclass(frozen=True)
class Retrieval:
    query: Query
    query_vector: np.ndarray = field(repr=False, compare=False)
    hits: tuple[Hit, ...]
    filters: Filters = Filters()
    documents_searched: int | None = None   # set when nothing was found: 0 means the filters exclude everything
    search_vector: np.ndarray | None = field(default=None, repr=False, compare=False)  # the glossary-expanded question
    topics: tuple[re.Pattern, ...] = field(default=(), repr=False, compare=False)  # glossary concepts the question uses
    topic_source: str = ""   # who-wrote questions: the best passage's document before `byline_bonus`

    def topic_count(self, text: str) -> int:
        """How many of the question's glossary concepts `text` names, in any language."""
        return count_topics(self.topics, text)

    def passage_of(self, source: str, start: int) -> str:
        """The retrieved chunk holding the span that starts at `start` in `source`, with what
        names it: file name, title, headings and text ("" if no hit holds it)."""
        for h in self.hits:
            if h.chunk.source == source and h.chunk.start <= start < h.chunk.end:
                return f"{source}\n{h.chunk.embed_text}"
        return ""

    def quote(self, source: str, start: int, text: str) -> tuple[str, str, str]:
        """What guards.judge reads of a quote: its text, its document's language, its passage."""
        return text, self.document_language(source), self.passage_of(source, start) or text

    def document_language(self, source: str) -> str:
        """The language of a retrieved document ("" if none of the hits is from it)."""
        return next((h.chunk.language for h in self.hits if h.chunk.source == source), "")


class HybridRetriever:
    def __init__(self, index: SearchIndex, embedder: Embedder, settings: Settings):
        self.index, self.embedder, self.s = index, embedder, settings
        name = settings.glossary
        self.glossary = load_glossary(name if name in ("", "builtin") else str(settings.root / name))
        self.cognates = Cognates()   # each passage's sentence grams, kept across questions

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
        author = self.s.rule_byline and q.asks("author")
        byline = self.s.byline_bonus if author else 0.0
        score, bonus = {}, {}
        for key in keys:
            sims = search[key] @ sv
            best = float(sims.max()) if len(sims) else 0.0
            score[key] = cos[key] + self.s.sentence_weight * best
            if byline and len(sims):  # a header line is far on meaning from "Hvem skrev …?"
                lines = np.array([is_byline(t) for t in chunks[key].sentence_texts()], np.float32)
                bonus[key] = self.s.sentence_weight * (float((sims + byline * lines).max()) - best)
        top_lex = lexical[0][1] if lexical else 0.0
        for key, s in lexical:
            score[key] += self.s.lexical_weight * s / top_lex
        if self.s.cognate_weight:
            near = self.cognates.scores(question, [self.cognates.passage(
                chunks[key].chunk_id, lambda c=chunks[key]: sentence_embed_texts(c)) for key in keys])
            for key, s in zip(keys, near):
                score[key] += self.s.cognate_weight * s
        topic_source = chunks[max(keys, key=lambda key: score[key])].source if author else ""
        for key, b in bonus.items():
            score[key] += b
        order = sorted(keys, key=lambda key: -score[key])
        d_rank = {key: r for r, (key, _) in enumerate(dense)}
        l_rank = {key: r for r, (key, _) in enumerate(lexical)}
        topics = self.glossary.topics(question)
        if self.s.rule_spread and q.scope != "one":
            order = self._spread(order, score, chunks, l_rank, k, topics)
        hits = tuple(Hit(key, chunks[key], score[key], cos[key], svecs[key], d_rank.get(key), l_rank.get(key),
                         search[key]) for key in order[:k])
        return Retrieval(q, qv, hits, filters, search_vector=None if sv is qv else sv, topics=topics,
                         topic_source=topic_source)

    def _spread(self, order: list[int], score: dict[int, float], chunks: dict[int, Chunk],
                l_rank: dict[int, int], k: int, topics: tuple[re.Pattern, ...] = ()) -> list[int]:
        """The best passage first, then the best passage of each other document that
        scores within the margin of it or is among the first `k` keyword hits (that document
        names what the question asks about), then the rest in score order. A document none
        of whose candidates is near or a keyword hit, but one of which names the question's
        glossary concepts in any language and any word form (the Danish section
        "Rekrutteringssituationen" for "… rekryteringen av medicinska sekreterare?"; BM25's
        stems do not split compounds), comes next with that passage: the one naming the most
        concepts, in its headings first, then the earliest (where the section starts);
        documents in that order, then by score, at most as many as leave the best document
        its second passage within the first `k`."""
        best = score[order[0]]
        first, seen = [order[0]], {chunks[order[0]].source}
        named = {}  # each document's best passage among the first k keyword hits
        for key in order:
            if l_rank.get(key, k) < k:
                named.setdefault(chunks[key].source, key)
        for key in order[1:]:
            near = score[key] >= best - self.s.multi_doc_margin or l_rank.get(key, k) < k
            if chunks[key].source not in seen and near:
                first.append(named.get(chunks[key].source, key))
                seen.add(chunks[key].source)
        on_topic: dict[str, tuple] = {}
        for key in order if topics else ():
            c = chunks[key]
            n = 0 if c.source in seen else count_topics(topics, c.embed_text)
            if n:
                cand = (n, count_topics(topics, " > ".join(c.headings)), -c.start, key)
                on_topic[c.source] = max(on_topic.get(c.source, cand), cand)
        picks = sorted(on_topic.values(), key=lambda cand: (cand[0], cand[1], score[cand[-1]]), reverse=True)
        first += [cand[-1] for cand in picks][:max(0, k - 1 - len(first))]
        return first + [key for key in order if key not in first]

    def _searchable(self, filters: Filters) -> int:
        """How many documents the filters leave (from the manifest, cheap in every store)."""
        docs = self.index.manifest["documents"]
        return sum(filters.allows_document(s, d["language"], d["date"]) for s, d in docs.items())
