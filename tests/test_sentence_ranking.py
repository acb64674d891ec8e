"""The extractive ranking of evidence sentences (evidence.rank_sentences), on hand-made vectors."""

import numpy as np

from assistant.answer.evidence import rank_sentences
from assistant.ingest.chunking import Chunk
from assistant.query.query import build_query
from assistant.retrieval.hybrid import Hit, Retrieval

TEXT = "Informerar om utredningen. Det regnade i går kväll. Utredningen ska vara klar 30 maj. Kaffe serverades."


def retrieval(sims: list[float], question: str = "Hvad sker der?") -> Retrieval:
    """One chunk of four sentences whose cosines to the query are `sims`."""
    spans, pos = [], 0
    for sent in TEXT.split(". "):  # each sentence with its full stop
        s = TEXT.index(sent, pos)
        end = min(s + len(sent.rstrip(".")) + 1, len(TEXT))
        spans.append((s, end))
        pos = end
    chunk = Chunk("c1", "doc.md", "Doc", "sv", None, (), 0, len(TEXT), TEXT, tuple(spans))
    q = np.array([1.0, 0.0], np.float32)
    vecs = np.array([[x, (1 - x * x) ** 0.5] for x in sims], np.float32)
    return Retrieval(build_query(question), q, (Hit(0, chunk, 0.5, 0.5, vecs),))


def test_the_order_is_the_cosine_order():
    ranked = rank_sentences(retrieval([0.40, 0.10, 0.35, 0.30]))
    assert [ev.text[:10] for ev in ranked] == ["Informerar", "Utredninge", "Kaffe serv", "Det regnad"]
    assert [round(ev.score, 3) for ev in ranked] == [0.40, 0.35, 0.30, 0.10]


def test_a_bare_link_is_neither_evidence_nor_a_neighbour_offered_to_the_model():
    from assistant.answer.candidates import Admit

    can_be_evidence = Admit()
    from assistant.answer.reader import neighbours

    text = "Läs mer här. https://vision.se/opinion/2023/x Namninsamlingen kräver bättre villkor."
    spans, pos = [], 0
    for sent in ["Läs mer här.", "https://vision.se/opinion/2023/x", "Namninsamlingen kräver bättre villkor."]:
        s = text.index(sent, pos)
        spans.append((s, s + len(sent)))
        pos = s + len(sent)
    chunk = Chunk("c1", "doc.md", "Doc", "sv", None, (), 0, len(text), text, tuple(spans))
    vecs = np.array([[0.3, 0.954], [0.2, 0.98], [0.6, 0.8]], np.float32)
    r = Retrieval(
        build_query("Vad kräver namninsamlingen?"), np.array([1.0, 0.0], np.float32), (Hit(0, chunk, 0.5, 0.5, vecs),)
    )
    ranked = rank_sentences(r)
    assert [ev.text for ev in ranked] == ["Namninsamlingen kräver bättre villkor.", "Läs mer här."]
    assert not can_be_evidence("https://vision.se/opinion/2023/x") and can_be_evidence("a\tb")
    assert [ev.text for ev in neighbours(r, ranked[0])] == ["Namninsamlingen kräver bättre villkor."]
    assert [ev.text for ev in neighbours(r, ranked[1])] == ["Läs mer här."]


def test_a_sentence_naming_the_questions_glossary_concept_moves_up_for_the_reader():
    """ "How many inquiries…?" uses the glossary concept inquiry (utredning): the two
    sentences naming it gain `topic_bonus` in the order the LLM reader is shown; their
    similarity, the abstention signal, stays the raw cosine."""
    import dataclasses

    from assistant.retrieval.glossary import load_glossary

    q = "When is the inquiry due?"
    r = dataclasses.replace(retrieval([0.40, 0.10, 0.35, 0.38], q), topics=load_glossary("builtin").topics(q))
    plain = rank_sentences(r)
    assert [ev.text[:10] for ev in plain][:2] == ["Informerar", "Kaffe serv"]
    ranked = rank_sentences(r, topic_bonus=0.1)
    assert [ev.text[:10] for ev in ranked][:3] == ["Informerar", "Utredninge", "Kaffe serv"]
    assert round(ranked[1].score, 3) == 0.45 and round(ranked[1].similarity, 3) == 0.35
    assert round(ranked[2].score, 3) == 0.38  # names no concept: unchanged
