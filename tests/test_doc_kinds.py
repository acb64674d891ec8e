"""The kind of document a question names (doc_kinds.py) keeps the answer to the documents of
that kind (evidence.on_topic)."""
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.doc_kinds import documents_named, kinds_named
from assistant.evidence import Evidence, on_topic
from assistant.retrieval import Hit, Retrieval

PLAN = "2021-09-14_da_projektplan-partnerskab-hk-rltn.md"
ARTICLE = "2018-12-05_no_dagens-medisin-helsesekretaerer-i-skranken.txt"
PETITION = "2023-03-17_sv_namninsamling-medicinska-sekreterare-norrbotten.txt"
MINUTES = "2024-11-06_sv_natverket-medicinska-sekreterare-host-2024.md"


@pytest.mark.parametrize("question, kind", [
    ("Når ble prosjektplanen publisert?", "project plan"), ("When was the project plan written?", "project plan"),
    ("Vad står i projektplanen?", "project plan"), ("Hvor mange underskrifter fikk namninnsamlingen?", "petition"),
    ("Hvor mange skal se annoncen for underskriftindsamlingen?", "petition"), ("Who wrote the petition?", "petition"),
    ("Hvem underskrev petisjonen?", "petition"), ("Hvor mange har skrevet under namneinnsamlinga?", "petition"),
    ("Vad diskuterades på nätverksmötet 2021?", "network meetings"), ("Vad gjorde nätverket 2024?", "network meetings"),
    ("Hvad blev drøftet på netværksmøderne?", "network meetings"), ("What did the network decide?", "network meetings"),
    ("What was said at the network meeting?", "network meetings"), ("Vad står i protokollet?", "minutes"),
    ("What do the minutes of the meeting say?", "minutes"), ("Hvad står i referatet?", "minutes"),
])
def test_a_question_names_a_kind_of_document(question, kind):
    assert kinds_named(question) == {kind}


@pytest.mark.parametrize("question", [
    "Vad gör sekreterarnätverket?", "Hvad står i forhandlingsprotokollen?",   # kinds inside compounds
    "Har Helsesekretærforbundet et nettverk?", "Does Delta have a network for health secretaries?",
    "Vilka nätverk finns lokalt?", "Networking events for medical secretaries?",     # a network, not the network
    "What is the network of medical secretaries?",
    "How many minutes a day do secretaries spend on the phone?", "When is the project planned to finish?",
    "Hur många skyddsombud finns det?",
])
def test_other_questions_name_no_kind(question):
    assert kinds_named(question) == set()


def test_a_document_is_of_a_kind_by_its_file_name_or_title():
    docs = [(PLAN, "Projektplan"), (ARTICLE, "Nøkkelpersonellet i skranken"),
            (PETITION, "Bättre arbetsvillkor för medicinska sekreterare!"),
            (MINUTES, "Nationella medicinska sekreterarnätverket höst 2024"), ("notes.txt", "Referat fra nettverksmøtet")]
    assert documents_named("Når ble prosjektplanen publisert?", docs) == {PLAN}
    assert documents_named("What was said at the network meeting?", docs) == {MINUTES, "notes.txt"}
    assert documents_named("Hvem skrev innlegget?", docs) == set()            # no kind named
    # a follow-up joined to the previous question counts with its own words
    assert documents_named("Hvad siger projektplanen om rekruttering? — Og i Norge?", docs) == set()
    assert documents_named("Hvem skrev namninsamlingen? — Og projektplanen?", docs) == {PLAN}
    assert documents_named("Who wrote the petition?", docs[:2]) == set()      # no retrieved document of the kind


def _retrieval(question, sources):
    hits = tuple(Hit(i, SimpleNamespace(source=src, title=title, embed_text=f"{title}\n{text}"), 1.0 - i / 10, 0.5,
                     np.zeros((0, 2))) for i, (src, title, text) in enumerate(sources))
    return Retrieval(question, np.zeros(2), hits)


def test_the_answer_comes_from_the_document_of_the_kind_named():
    """The Norwegian article ranked first for "… publisert?" (the glossary's "published"
    finds its "Publisert:" header); the project plan is the document asked about."""
    r = _retrieval("Når ble prosjektplanen publisert?", [(ARTICLE, "Nøkkelpersonellet i skranken", "Publisert: 2018-12-05"),
                                                         (PLAN, "Projektplan", "Opdateret 14. sept. 2021")])
    ranked = [Evidence(0, ARTICLE, 0, 20, "Publisert: 2018-12-05", 0.6, 0.5),
              Evidence(1, PLAN, 0, 24, "Opdateret 14. sept. 2021", 0.4, 0.4)]
    assert [ev.source for ev in on_topic(ranked, r)] == [PLAN]
    unnamed = _retrieval("Når ble artikkelen publisert?", [(ARTICLE, "Nøkkelpersonellet i skranken", "Publisert: 2018-12-05"),
                                                          (PLAN, "Projektplan", "Opdateret 14. sept. 2021")])
    assert on_topic(ranked, unnamed) == ranked                 # no kind named (and no glossary topics here)
    subject = _retrieval("Hvad siger dokumenterne om projektplanen?",
                         [(ARTICLE, "Nøkkelpersonellet i skranken", "…"), (PLAN, "Projektplan", "…")])
    assert on_topic(ranked, subject) == ranked                 # the kind is what the documents are asked about


def test_who_wrote_the_petition_abstains_when_another_document_ranks_first():
    from assistant.evidence import first_byline

    r = Retrieval("Who wrote the petition?", np.zeros(2), _retrieval("", [
        (ARTICLE, "Nøkkelpersonellet i skranken", "Innlegg: Gro Bengtson"),
        (PETITION, "Bättre arbetsvillkor för medicinska sekreterare!", '…, skriver "Snart på väg".')]).hits,
        topic_source=ARTICLE)
    ranked = [Evidence(0, ARTICLE, 0, 20, "Innlegg: Gro Bengtson", 0.6, 0.5),
              Evidence(1, PETITION, 0, 30, 'Vi är osynliga, skriver "Snart på väg".', 0.4, 0.4)]
    assert first_byline(ranked, r) == ranked[:1]               # without the rule: the article's author
    assert first_byline(on_topic(ranked, r), r) == []          # with it: no author rather than the wrong one


def test_asked_about_the_project_plan_the_answer_quotes_only_the_plan(settings, fake_embedder):
    from assistant.indexer import build_index
    from assistant.pipeline import Assistant

    build_index(settings, fake_embedder)
    a = Assistant(settings.replace(answer_backend="extractive", abstain_threshold=-1.0), embedder=fake_embedder).warm_up()
    q = "Når ble prosjektplanen publisert?"
    r = a.retrieve(q, k=20)
    assert PLAN in {h.chunk.source for h in r.hits} and len({h.chunk.source for h in r.hits}) > 1
    ans = a.answerer.answer(q, "no", r)
    assert ans.citations and {c.source for c in ans.citations} == {PLAN}, ans.text
