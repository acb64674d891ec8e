"""Evidence only from the documents on the question's topic (evidence.on_topic): a
question that names a glossary concept is not answered from a document, other than the
one ranked first, none of whose retrieved passages names it in any language."""
from types import SimpleNamespace

import numpy as np

from assistant.answer.evidence import Evidence, on_topic
from assistant.retrieval.glossary import load_glossary
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant
from assistant.retrieval.hybrid import Hit, Retrieval
from assistant.query.query import build_query

GLOSSARY = load_glossary("builtin")
PLAN, NETWORK = "2021-09-14_da_projektplan.md", "2021-05-19_sv_natverket.txt"
CRISIS = "Hvor lang er beregningsperioden ved aktivering af kriseaftalen?"


def _retrieval(question: str, passages: list[tuple[str, str]], topic_source: str = "") -> Retrieval:
    hits = tuple(Hit(i, SimpleNamespace(source=src, embed_text=text), 1.0 - i / 10, 0.5, np.zeros((0, 2)))
                 for i, (src, text) in enumerate(passages))
    return Retrieval(build_query(question), np.zeros(2), hits, topics=GLOSSARY.topics(question), topic_source=topic_source)


# the network minutes' answer passage does not name the agreement; their first passage does
NETWORK_PASSAGES = [(NETWORK, "Dagens krislägesavtal som tecknades 2019."),
                    (NETWORK, "Villkor för aktivering är bland annat: beräkningsperiod 4 veckor.")]
PLAN_PASSAGE = (PLAN, "Arbejdsproces\nDer planlægges med 6 temadrøftelser over 2 år.")
RANKED = [Evidence(2, PLAN, 0, 40, "Der planlægges med 6 temadrøftelser over 2 år.", 0.5, 0.4),
          Evidence(1, NETWORK, 50, 110, "Villkor för aktivering är bland annat: beräkningsperiod 4 veckor.", 0.4, 0.4)]


def test_a_document_that_never_names_the_concept_asked_about_gives_no_evidence():
    r = _retrieval(CRISIS, NETWORK_PASSAGES + [PLAN_PASSAGE])
    assert r.topics   # "kriseaftale" is the glossary's crisis agreement, "krislägesavtal" in Swedish
    assert [ev.text for ev in on_topic(RANKED, r)] == [RANKED[1].text]   # a passage of a document that names it


def test_the_first_document_stays_even_when_it_does_not_name_the_concept():
    """"i praktiken" is not an internship, and an answer may use a form the glossary lacks."""
    r = _retrieval(CRISIS, [PLAN_PASSAGE] + NETWORK_PASSAGES)
    assert on_topic(RANKED, r) == RANKED


def test_every_document_stays_when_none_or_several_are_asked_about_or_for_who_wrote_it():
    no_concept = _retrieval("Hvor lang er perioden?", NETWORK_PASSAGES + [PLAN_PASSAGE])
    assert not no_concept.topics and on_topic(RANKED, no_concept) == RANKED
    nobody_names_it = _retrieval(CRISIS, [(NETWORK, "Villkor för aktivering"), (PLAN, "Arbejdsproces")])
    assert nobody_names_it.topics and on_topic(RANKED, nobody_names_it) == RANKED
    several = _retrieval("Hvad siger dokumenterne om kriseaftalen?", NETWORK_PASSAGES + [PLAN_PASSAGE])
    assert several.topics and on_topic(RANKED, several) == RANKED
    who = _retrieval("Hvem skrev indlægget om kriseaftalen?", NETWORK_PASSAGES + [PLAN_PASSAGE], topic_source=PLAN)
    assert who.topics and on_topic(RANKED, who) == RANKED   # first_byline keeps to topic_source itself


def _ask(settings, fake_embedder, on: bool):
    a = Assistant(settings.replace(answer_backend="extractive", rule_on_topic=on, rule_document_date=on, abstain_threshold=-1.0),
                  embedder=fake_embedder).warm_up()
    ans = a.ask(CRISIS)
    r = ans.retrieval
    off_topic = {c.source for c in ans.citations} - {h.chunk.source for h in r.hits if r.topic_count(h.chunk.embed_text)}
    return ans, off_topic - {r.hits[0].chunk.source}


def test_the_answer_quotes_no_off_topic_document(settings, fake_embedder):
    build_index(settings, fake_embedder)
    ans, off_topic = _ask(settings, fake_embedder, on=True)
    assert ans.citations and not off_topic, ans.text


def test_without_the_rule_the_same_question_quotes_an_off_topic_document(settings, fake_embedder):
    """What the test above guards against happens with this index and question."""
    build_index(settings, fake_embedder)
    ans, off_topic = _ask(settings, fake_embedder, on=False)
    assert off_topic, ans.text
