"""The sentences that may answer, for every answer step: each retrieved chunk's sentences
that may be candidates (candidates.py), ranked by their similarity to the question
(`rank_sentences`), and the best of them (`select_evidence`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.answer.candidates import Admit
from assistant.retrieval.hybrid import Retrieval


@dataclass(frozen=True)
class Evidence:
    hit_rank: int  # rank of the chunk in the retrieval
    source: str
    start: int
    end: int
    text: str
    score: float  # ranking score: similarity (+ the topic bonus)
    similarity: float  # cosine similarity to the question (or to it with its glossary terms, if higher)


def rank_sentences(
    retrieval: Retrieval,
    expanded: bool = False,
    topic_bonus: float = 0.0,
    admit: Admit = Admit(),
) -> list[Evidence]:
    """All candidate sentences of the retrieved chunks, best first by similarity to the
    question. `expanded`: the similarity is the better of the question's
    and the glossary-expanded question's. `topic_bonus`: + this for a sentence that names one
    of the question's glossary concepts in any language (a short sentence whose vector alone
    ranks it low). Scores order sentences; `similarity` stays raw."""
    out = []
    for rank, hit in enumerate(retrieval.hits):
        vecs = hit.sentence_vectors
        if not len(vecs):
            continue
        sims = vecs @ retrieval.query_vector
        # the evidence signal also counts the question with its glossary terms ("skyddsombud")
        raw = sims if retrieval.search_vector is None else np.maximum(sims, vecs @ retrieval.search_vector)
        for i, ((s, e), text) in enumerate(zip(hit.chunk.sentences, hit.chunk.sentence_texts())):
            if not admit(text, (hit.chunk.title, *hit.chunk.headings)):
                continue
            sim = float(raw[i] if expanded else sims[i])
            score = sim
            if topic_bonus and retrieval.topic_count(text):
                score += topic_bonus
            out.append(Evidence(rank, hit.chunk.source, s, e, text, score, float(raw[i])))
    out.sort(key=lambda ev: -ev.score)
    return out


def select_evidence(ranked: list[Evidence], max_sentences: int, margin: float) -> list[Evidence]:
    """The best sentences within `margin` of the best one, at most `max_sentences`.
    (Passages from a second document reach this list through retrieval's diversity.)"""
    if not ranked:
        return []
    return [ev for ev in ranked if ev.score >= ranked[0].score - margin][:max_sentences]
