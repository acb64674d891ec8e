"""Evidence only from the documents on the question's topic (evidence.on_topic): a
question that names a glossary concept is not answered from a document none of whose
retrieved passages names it in any language."""
from types import SimpleNamespace

import numpy as np

from assistant.evidence import Evidence, on_topic
from assistant.glossary import load_glossary
from assistant.indexer import build_index
from assistant.pipeline import Assistant
from assistant.retrieval import Hit, Retrieval

GLOSSARY = load_glossary("builtin")
PLAN = "2021-09-14_da_projektplan.md"
NETWORK = "2021-05-19_sv_natverket.txt"


def _retrieval(question: str, passages: dict[str, str]) -> Retrieval:
    hits = tuple(Hit(i, SimpleNamespace(source=src, embed_text=text), 1.0 - i / 10, 0.5, np.zeros((0, 2)))
                 for i, (src, text) in enumerate(passages.items()))
    return Retrieval(question, np.zeros(2), hits, topics=GLOSSARY.topics(question))


RANKED = [Evidence(0, PLAN, 0, 40, "Der planlægges med 6 temadrøftelser over 2 år.", 0.5, 0.4),
          Evidence(1, NETWORK, 0, 60, "Villkor för aktivering är bland annat: beräkningsperiod 4 veckor.", 0.4, 0.4)]
PASSAGES = {PLAN: "Arbejdsproces\nDer planlægges med 6 temadrøftelser over 2 år.",
            NETWORK: "Dagens krislägesavtal som tecknades 2019. Villkor för aktivering: beräkningsperiod 4 veckor."}


def test_a_document_that_never_names_the_concept_asked_about_gives_no_evidence():
    r = _retrieval("Hvor lang er beregningsperioden ved aktivering af kriseaftalen?", PASSAGES)
    assert r.topics   # "kriseaftale" is the glossary's crisis agreement, named in Swedish by the network minutes
    assert [ev.source for ev in on_topic(RANKED, r)] == [NETWORK]


def test_every_document_stays_when_none_or_several_are_asked_about():
    no_concept = _retrieval("Hvor lang er perioden?", PASSAGES)
    assert not no_concept.topics and on_topic(RANKED, no_concept) == RANKED
    nobody_names_it = _retrieval("Hvor lang er beregningsperioden ved aktivering af kriseaftalen?",
                                 {PLAN: "Arbejdsproces", NETWORK: "Villkor för aktivering"})
    assert on_topic(RANKED, nobody_names_it) == RANKED
    several = _retrieval("Hvad siger dokumenterne om kriseaftalen?", PASSAGES)
    assert several.topics and on_topic(RANKED, several) == RANKED


def test_the_answer_quotes_only_documents_on_the_topic(settings, fake_embedder):
    build_index(settings, fake_embedder)
    q = "Hvor lang er beregningsperioden ved aktivering af kriseaftalen?"
    for on in (True, False):
        a = Assistant(settings.replace(answer_backend="extractive", evidence_on_topic=on, abstain_threshold=-1.0),
                      embedder=fake_embedder).warm_up()
        ans = a.ask(q)
        off_topic = {c.source for c in ans.citations} - {h.chunk.source for h in ans.retrieval.hits
                                                          if ans.retrieval.topic_count(h.chunk.embed_text)}
        if on:
            assert ans.citations and not off_topic, ans.text
        else:
            assert off_topic, "the fake embedder's retrieval no longer brings an off-topic document to test against"
