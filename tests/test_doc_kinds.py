"""A question about when a document of a kind it names was published (doc_kinds.kinds_dated)
is answered from the first-ranked document of that kind (of the year it names), whose line
with its own date (its file name's) is evidence enough and ranks first (evidence.on_topic,
gives_date, rank_sentences); other questions naming a kind, and other dates, are not."""
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.query.doc_kinds import documents_named, is_date_line, kinds_dated, kinds_named
from assistant.answer.evidence import Evidence, dated_document, gives_date, on_topic, rank_sentences
from assistant.ingest.metadata import dates_in
from assistant.query.questions import type_prior
from assistant.retrieval.hybrid import Hit, Retrieval
from assistant.query.query import build_query

PLAN = "2021-09-14_da_projektplan-partnerskab-hk-rltn.md"
ARTICLE = "2018-12-05_no_dagens-medisin-helsesekretaerer-i-skranken.txt"
MINUTES = "2024-11-06_sv_natverket-medicinska-sekreterare-host-2024.md"
BOARD = "styrelseprotokoll-2025.txt"


@pytest.mark.parametrize("question, kind", [
    ("Når ble prosjektplanen publisert?", "project plan"), ("When was the project plan written?", "project plan"),
    ("Vad står i projektplanen?", "project plan"), ("Hvor mange underskrifter fikk namninnsamlingen?", "petition"),
    ("Hvor mange skal se annoncen for underskriftindsamlingen?", "petition"), ("Who wrote the petition?", "petition"),
    ("Vad står i protokollet?", "minutes"),
    ("What do the minutes of the meeting say?", "minutes"), ("Hvad står i referatet?", "minutes"),
])
def test_a_question_names_a_kind_of_document(question, kind):
    assert kinds_named(question) == {kind}


@pytest.mark.parametrize("question", [
    "Vad gör sekreterarnätverket?", "Hvad står i forhandlingsprotokollen?",   # kinds inside compounds
    "Har Helsesekretærforbundet et nettverk?", "Does Delta have a network for health secretaries?",
    "How many minutes a day do secretaries spend on the phone?", "When is the project planned to finish?",
    "Hur många skyddsombud finns det?", "What did the network decide?",    # an organisation, not a document
    "Hvad blev drøftet på netværksmøderne?", "Vilken projektplanering finns?",
])
def test_other_questions_name_no_kind(question):
    assert kinds_named(question) == set()


@pytest.mark.parametrize("question, kind", [
    ("Når ble prosjektplanen publisert?", "project plan"), ("When was the project plan published?", "project plan"),
    ("När publicerades projektplanen?", "project plan"), ("Hvornår blev projektplanen opdateret?", "project plan"),
    ("Når ble prosjektplanen for partnerskapet sist oppdatert?", "project plan"),
    ("Hvornår blev referatet skrevet?", "minutes"), ("När skrevs protokollet?", "minutes"),
    ("When were the minutes written?", "minutes"), ("What date is the petition dated?", "petition"),
    ("När uppdaterades namninsamlingen?", "petition"),
    ("När skrevs protokollet från nätverksmötet i maj 2021?", "minutes"),
])
def test_questions_about_when_a_document_was_published(question, kind):
    assert kinds_dated(question) == {kind}


@pytest.mark.parametrize("question", [
    "Var hålls nätverkets höstmöte 2025?", "När hölls nätverkets höstmöte 2024?",       # events
    "Hvornår blev lønnen opdateret i projektplanen?",                                   # something in it
    "When was the salary updated according to the minutes?",
    "När ska projektplanen revideras?", "When will the project plan be revised?",       # the future
    "Når blir prosjektplanen publisert?",
    "När publicerade nätverket rapporten om arbetsmiljö?",                              # the network: not a document
    "Hvornår opdaterede netværket sin hjemmeside?",
    "When was the opinion piece about health secretaries at the front desk published?",  # no kind named
    "Hvor mange har skrevet under på namninnsamlingen?", "Vad står i projektplanen?", "Hvem skrev innlegget?",
    "Hvornår blev projektplanen vedtaget, og er den siden blevet opdateret?",           # the verb is not the plan's
])
def test_other_questions_are_not_about_a_documents_date(question):
    assert kinds_dated(question) == set()


def test_dates_are_read_in_the_forms_the_documents_write_them():
    assert dates_in("Opdateret 14. sept. 2021") == {"2021-09-14"}
    assert dates_in("Publisert: 2018-12-05 — 05.06 (Oppdatert: 2018-12-04 — 13.42)") == {"2018-12-05", "2018-12-04"}
    assert dates_in("Dato: 05.12.2018") == dates_in("Last updated: December 5, 2018") == {"2018-12-05"}
    assert dates_in("3/4 100") == dates_in("31.02.2020") == dates_in("Der planlægges 6 temadrøftelser over 2 år.") == set()


def test_a_date_line_outweighs_any_sentence_with_a_number():
    kinds = ("date",)
    assert type_prior(kinds, "Opdateret 14. sept. 2021", 0.08) == pytest.approx(0.16)
    assert type_prior(kinds, "Publisert: 2018-12-05 — 05.06", 0.08) == pytest.approx(0.16)
    assert type_prior(kinds, "Der planlægges med 6 temadrøftelser over 2 år.", 0.08) == 0.0
    assert type_prior(kinds, "7.feb. 2022\tJylland\tTemadrøftelse SG-møde\tPraktikforløb: Erfaring fra praktikken",
                      0.08) == 0.0                                   # a dated row of the schedule
    assert is_date_line("**2024-11-06**") and not is_date_line("Utredningen ska vara klar 30 maj 2025.")
    assert type_prior(("number",), "Der planlægges med 6 temadrøftelser over 2 år.", 0.08) == pytest.approx(0.08)


def test_a_document_is_of_a_kind_by_its_file_name_or_title():
    docs = [(PLAN, "Projektplan"), (ARTICLE, "Nøkkelpersonellet i skranken"), ("protokoll-maj.txt", "Möte"),
            (MINUTES, "Nationella medicinska sekreterarnätverket höst 2024"), ("notes.txt", "Referat fra nettverksmøtet")]
    assert documents_named({"project plan"}, docs) == [PLAN]
    assert documents_named({"minutes"}, docs) == ["protokoll-maj.txt", "notes.txt"]      # in rank order
    assert documents_named(set(), docs) == []


def _retrieval(question, sources):
    hits = tuple(Hit(i, SimpleNamespace(source=src, title=title, embed_text=f"{title}\n{text}", date=src[:10]
                                        if src[:2] == "20" else None), 1.0 - i / 10, 0.5, np.zeros((0, 2)))
                 for i, (src, title, text) in enumerate(sources))
    return Retrieval(build_query(question), np.zeros(2), hits)


ARTICLE_DATE = Evidence(0, ARTICLE, 0, 20, "Publisert: 2018-12-05", 0.6, 0.5)
PLAN_DATE = Evidence(1, PLAN, 0, 24, "Opdateret 14. sept. 2021", 0.4, 0.1)


def test_when_the_plan_was_published_is_answered_from_the_plan_with_its_date_line():
    """The Norwegian article ranked first for "… publisert?" (its "Publisert:" header); the
    project plan is the document asked about, and its date line is evidence enough."""
    r = _retrieval("Når ble prosjektplanen publisert?", [(ARTICLE, "Nøkkelpersonellet i skranken", "Publisert: 2018-12-05"),
                                                         (PLAN, "Projektplan", "Opdateret 14. sept. 2021")])
    assert on_topic([ARTICLE_DATE, PLAN_DATE], r) == [PLAN_DATE]
    assert gives_date([PLAN_DATE], r)
    plain = Evidence(1, PLAN, 30, 60, "Der planlægges med 6 temadrøftelser over 2 år.", 0.4, 0.1)
    assert not gives_date([plain], r)                             # no date line: the similarity decides
    unnamed = _retrieval("Når ble artikkelen publisert?", [(ARTICLE, "Nøkkelpersonellet i skranken", "…"),
                                                          (PLAN, "Projektplan", "…")])
    assert on_topic([ARTICLE_DATE, PLAN_DATE], unnamed) == [ARTICLE_DATE, PLAN_DATE]   # no kind named
    assert not gives_date([ARTICLE_DATE, PLAN_DATE], unnamed)


def test_only_the_first_document_of_the_kind_of_the_year_named_and_only_its_own_date_count():
    """Two sets of minutes: "när skrevs protokollet …" is answered from the first-ranked one
    of the year it names, never with the other one's date; a date in the text that is not the
    document's own (the next meeting) is no evidence by itself."""
    old, new = "2021-05-19_sv_protokoll-maj-2021.txt", "2024-11-06_sv_protokoll-host-2024.md"
    r = _retrieval("När skrevs protokollet från mötet i maj 2021?",
                   [(new, "Protokoll höst 2024", "**2024-11-06**"), (old, "Protokoll maj 2021", "Protokoll 210519")])
    assert dated_document(r) == old
    assert dated_document(_retrieval("När skrevs protokollet?", r_sources := [(new, "Protokoll", "…"),
                                                                             (old, "Protokoll", "…")])) == new
    assert dated_document(_retrieval("När skrevs protokollet 2019?", r_sources)) == ""   # none of that year
    new_date = Evidence(0, new, 0, 16, "**2024-11-06**", 0.6, 0.5)
    next_meeting = Evidence(1, old, 40, 64, "Nästa möte 12 mars 2022.", 0.5, 0.1)
    assert on_topic([new_date, next_meeting], r) == [next_meeting]
    assert not gives_date([new_date, next_meeting], r)
    assert gives_date([Evidence(1, old, 0, 20, "Stockholm 2021-05-19", 0.4, 0.1)], r)
    undated = _retrieval("När skrevs protokollet?", [("protokoll.txt", "Protokoll", "Stockholm 2021-05-19")])
    assert dated_document(undated) == "protokoll.txt"
    assert not gives_date([Evidence(0, "protokoll.txt", 0, 20, "Stockholm 2021-05-19", 0.4, 0.1)], undated)


def test_the_line_with_the_documents_own_date_ranks_first():
    """Equal similarity: the plan's own date line gets the date prior; a date line of the
    same plan with another date, and the article's date line, do not."""
    sents = ["Opdateret 14. sept. 2021", "Næste møde 12. jan. 2022", "Der planlægges 6 temadrøftelser."]
    spans = [(0, 24), (25, 49), (50, 82)]
    plan = SimpleNamespace(source=PLAN, title="Projektplan", embed_text="Projektplan", date="2021-09-14", headings=(),
                           sentences=spans, sentence_texts=lambda: sents)
    article = SimpleNamespace(source=ARTICLE, title="Nøkkelpersonellet", embed_text="Nøkkelpersonellet", headings=(),
                              date="2018-12-05", sentences=[(0, 21)], sentence_texts=lambda: ["Publisert: 2018-12-05"])
    vec = np.array([1.0, 0.0])
    r = Retrieval(build_query("Når ble prosjektplanen publisert?"), vec,
                  (Hit(0, article, 1.0, 0.5, np.array([vec * 0.3])), Hit(1, plan, 0.9, 0.5, np.array([vec * 0.3] * 3))))
    ranked = rank_sentences(r, type_bonus=0.08)
    assert ranked[0].text == "Opdateret 14. sept. 2021" and ranked[0].score == pytest.approx(0.46)
    assert {ev.text: ev.score for ev in ranked[1:]} == pytest.approx(
        {"Næste møde 12. jan. 2022": 0.3, "Der planlægges 6 temadrøftelser.": 0.3, "Publisert: 2018-12-05": 0.3})


def test_an_event_question_naming_a_kind_keeps_the_document_that_reports_it():
    """The browser test's "Var hålls nätverkets höstmöte 2025?" is answered by an uploaded board
    protocol; a hard filter by kind had kept only the network's minutes and lost the answer."""
    r = _retrieval("Var hålls nätverkets höstmöte 2025?", [
        (BOARD, "Styrelseprotokoll", "Nätverkets höstmöte 2025 hålls i Umeå."),
        (MINUTES, "Nationella medicinska sekreterarnätverket höst 2024", "Vill träffa oss i nätverket.")])
    ranked = [Evidence(0, BOARD, 0, 38, "Nätverkets höstmöte 2025 hålls i Umeå.", 0.7, 0.6),
              Evidence(1, MINUTES, 0, 28, "Vill träffa oss i nätverket.", 0.5, 0.4)]
    assert dated_document(r) == "" and on_topic(ranked, r) == ranked and not gives_date(ranked, r)


def test_asked_when_the_project_plan_was_published_the_answer_quotes_only_the_plan(settings, fake_embedder):
    """With a fake embedder nothing is similar to the question (abstain_threshold 0.99): the
    plan's date line alone keeps the answer from abstaining, and only the plan is quoted.
    Which sentence comes first is the real model's part (test_real_reader.py)."""
    from assistant.index.indexer import build_index
    from assistant.pipeline.assistant import Assistant

    build_index(settings, fake_embedder)
    a = Assistant(settings.replace(answer_backend="extractive", abstain_threshold=0.99), embedder=fake_embedder).warm_up()
    for q in ("Når ble prosjektplanen publisert?", "When was the project plan published?"):
        r = a.retrieve(q, k=200)
        assert PLAN in {h.chunk.source for h in r.hits} and len({h.chunk.source for h in r.hits}) > 1
        ans = a.answerer.answer(r)
        assert not ans.abstained and {c.source for c in ans.citations} == {PLAN}, ans.text
    ans = a.answerer.answer(a.retrieve("Hvor mange temadrøftelser?", k=200))
    assert ans.abstained                                          # not a date question: the threshold decides
