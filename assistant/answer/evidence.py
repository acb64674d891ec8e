"""The sentences that may answer, for every answer step: each retrieved chunk's sentences
ranked by their similarity to the question (`rank_sentences`), the best of them
(`select_evidence`), only from the documents the question is about (`on_topic`), and for a
who-wrote question its byline (`first_byline`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.answer.candidates import Admit
from assistant.ingest.metadata import date_from_filename, dates_in
from assistant.query.doc_kinds import documents_named
from assistant.query.questions import is_byline, type_prior
from assistant.retrieval.hybrid import Retrieval


@dataclass(frozen=True)
class Evidence:
    hit_rank: int       # rank of the chunk in the retrieval
    source: str
    start: int
    end: int
    text: str
    score: float        # ranking score: similarity + answer-type prior
    similarity: float   # cosine similarity to the question (or to it with its glossary terms, if higher)


def rank_sentences(retrieval: Retrieval, type_bonus: float = 0.0, context_weight: float = 0.0,
                   expanded: bool = False, topic_bonus: float = 0.0, admit: Admit = Admit(),
                   document_date: bool = True) -> list[Evidence]:
    """All sentences of the retrieved chunks, best first by similarity to the question
    (plus the answer-type prior and `context_weight` x the better neighbour's similarity:
    "The inquiry is due 30 May" scores with the sentence before it that names the inquiry).
    `expanded`: the similarity is the better of the question's and the glossary-expanded
    question's (the LLM reader's candidates; quoting by it directly lost key facts).
    `topic_bonus`: + this for a sentence that names one of the question's glossary concepts
    in any language ("6496 skyddsombud." for "How many safety representatives...?", a short
    sentence whose vector alone ranks it 16th). For "when was the plan published?" the prior
    goes to the plan's lines with its own date only (`dated_document`; twice a number's).
    Scores order sentences; `similarity` stays raw."""
    dated = dated_document(retrieval) if document_date else ""
    own = date_from_filename(dated)   # None without a dated document
    out, kinds = [], ("date",) if dated else retrieval.query.answer_type
    for rank, hit in enumerate(retrieval.hits):
        vecs = hit.sentence_vectors
        if not len(vecs):
            continue
        sims = vecs @ retrieval.query_vector
        # the evidence signal also counts the question with its glossary terms ("skyddsombud")
        raw = sims if retrieval.search_vector is None else np.maximum(sims, vecs @ retrieval.search_vector)
        for i, ((s, e), text, sim) in enumerate(zip(hit.chunk.sentences, hit.chunk.sentence_texts(), sims)):
            if not admit(text, (hit.chunk.title, *hit.chunk.headings)):
                continue
            if expanded:
                sim = raw[i]
            near = max((float(sims[j]) for j in (i - 1, i + 1) if 0 <= j < len(sims)), default=0.0)
            prior = type_prior(kinds, text, type_bonus)
            if own and (hit.chunk.source != dated or own not in dates_in(text)):
                prior = 0.0   # "when was the plan published?": only a line with the plan's own date
            score = float(sim) + prior + context_weight * max(near, 0.0)
            if topic_bonus and retrieval.topic_count(text):
                score += topic_bonus
            out.append(Evidence(rank, hit.chunk.source, s, e, text, score, float(raw[i])))
    out.sort(key=lambda ev: -ev.score)
    return out


def dated_document(retrieval: Retrieval) -> str:
    """For a question about when a document of a kind it names was published, updated or
    written (doc_kinds.kinds_dated: "Når ble prosjektplanen publisert?"), the first-ranked
    retrieved document of that kind, of a year the question names if it names one
    ("… protokollet från mötet i maj 2021?"); else ""."""
    kinds, years = retrieval.query.document_kinds, retrieval.query.years
    named = documents_named(kinds, ((h.chunk.source, h.chunk.title) for h in retrieval.hits)) if kinds else []
    named = [src for src in named if (date_from_filename(src) or "")[:4] in years] if years else named
    return named[0] if named else ""


def gives_date(ranked: list[Evidence], retrieval: Retrieval) -> bool:
    """That document's evidence writes its own date, the one of its file name ("Opdateret 14.
    sept. 2021" in 2021-09-14_da_projektplan…): evidence enough, however little its words
    share with "When was the project plan published?". Another date ("Nästa möte 12 mars
    2025.") is not, nor any date of a document without a date in its file name. Only that
    line gets the date's answer-type prior (rank_sentences), so it is quoted first."""
    src = dated_document(retrieval)
    own = date_from_filename(src)
    return bool(own) and any(ev.source == src and own in dates_in(ev.text) for ev in ranked)


def on_topic(ranked: list[Evidence], retrieval: Retrieval, topic: bool = True, document_date: bool = True,
             author: bool = True) -> list[Evidence]:
    """The evidence of the documents the question is about.

    A question about when a document of a kind it names was published, updated or written
    is answered from the first-ranked retrieved document of that kind (`dated_document`),
    when there is one: "Når ble prosjektplanen publisert?" had been answered with the
    Norwegian article's "Publisert: 2018-12-05", now with the plan's "Opdateret 14. sept.
    2021". Other questions that name a kind are not: "Var hålls nätverkets höstmöte 2025?"
    is answered by an uploaded board protocol, not by the network's minutes.

    Otherwise, for a question about one thing that names glossary concepts, the evidence of the
    document ranked first and of the other documents at least one of whose retrieved
    passages (text, title or headings) names one of the concepts in any language, when any
    does: "Hvor lang er beregningsperioden ved aktivering af kriseaftalen?" had been answered
    with the Danish project plan's "Der planlægges med 6 temadrøftelser over 2 år.", from a
    document ranked second that never names the crisis agreement. The first document always
    stays: a concept's word may be used in another sense there ("i praktiken"), or the
    answer may use a form the glossary does not list. Questions about several documents,
    and who-wrote questions (evidence.first_byline keeps to one document already), are left
    as they are."""
    q = retrieval.query
    if document_date and (dated := dated_document(retrieval)):
        return [ev for ev in ranked if ev.source == dated]
    if not topic or not retrieval.topics or not retrieval.hits or (author and q.asks("author")) or q.scope != "one":
        return ranked
    named = {h.chunk.source for h in retrieval.hits if retrieval.topic_count(h.chunk.embed_text)}
    keep = named | {retrieval.hits[0].chunk.source}
    return [ev for ev in ranked if ev.source in keep] if named else ranked


def select_evidence(ranked: list[Evidence], max_sentences: int, margin: float) -> list[Evidence]:
    """The best sentences within `margin` of the best one, at most `max_sentences`.
    (Passages from a second document reach this list through retrieval's diversity.)"""
    if not ranked:
        return []
    return [ev for ev in ranked if ev.score >= ranked[0].score - margin][:max_sentences]


def first_byline(ranked: list[Evidence], retrieval: Retrieval) -> list[Evidence]:
    """Who wrote it: the byline or signature of the document retrieval ranked first both
    without and with `byline_bonus` (`topic_source`), its best-ranked one; none when the
    two orders disagree: the bonus alone moved another document's byline up ("Who wrote the
    minutes …?" had got the Norwegian article's "Innlegg: Gro Bengtson")."""
    src = retrieval.topic_source
    if not src or not retrieval.hits or retrieval.hits[0].chunk.source != src:
        return []
    found = [ev for ev in ranked if ev.source == src and is_byline(ev.text)]
    return [min(found, key=lambda ev: (ev.hit_rank, -ev.score))] if found else []
