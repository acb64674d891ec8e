import dataclasses

from assistant.answer.base import quoted_answer
from assistant.answer.citations import Passage
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant
from assistant.query.quantities import asks_count, asks_quantity, states_quantity
from assistant.query.query import build_query


def test_which_questions_ask_for_a_count_or_an_amount():
    for q in (
        "Hur många skyddsombud har förbundet?",
        "Hvor mye utgjør inngangslønnen i Danmark?",
        "How much is the fee?",
        "Vad kostar YH-utbildningen?",
        "Hva koster en flybillett?",
        "What does the course cost?",
        "Hvor mange personer er der i referencegruppen?",
    ):
        assert asks_quantity(q), q
    for q in (
        "När skrevs krislägesavtalet under?",
        "How long did the 2024 agreement run?",
        "Hvem leder arbeidet?",
        "What happened when speech recognition was introduced?",
        "Vad säger dokumenten om lönen?",
        "Hva sier dokumentene om lønnen til medisinske sekretærer?",
        "What is the profession called?",
        "Vilken lön får en undersköterska i Skåne?",
    ):  # a figure named without "how much": the model decides
        assert not asks_quantity(q), q


def test_which_quotes_state_a_number():
    assert states_quantity("6496 skyddsombud.")
    assert states_quantity("Der planlægges med seks temadrøftelser.")
    assert states_quantity("Lönen har höjts med hälften.")
    assert not states_quantity("Referencegruppen består af personer med stor indsigt.")
    assert not states_quantity("I Skåne har man lokala utbildningar i DRG, Officepaketet Microsoft 365 och Excel.")
    assert states_quantity("Region Gotland: 20 medicinska sekreterare ska bort.")  # a count after a colon
    assert states_quantity("I Sverige 6496 skyddsombud.")  # a country and a number: a count, not a name
    assert states_quantity("I Danmarks 5 regioner.")
    assert states_quantity("Danmark har höjt sin ingångslön till 40 000 kr.")
    assert not states_quantity("Det är de medicinska sekreterarna som sköter kontakten.")  # "sekreterarna", not "tre"


def test_a_count_is_not_a_sum_of_money():
    for q in (
        "Hur många skyddsombud har förbundet?",
        "Hvor mange personer er der i referencegruppen?",
        "How many members?",
    ):
        assert asks_count(q), q
    for q in (
        "Hur mycket är lönen?",
        "Hur många kronor tjänar man?",
        "Hvor mange kroner koster det?",
        "Vad kostar kursen?",
    ):
        assert not asks_count(q), q
    for money in (
        "Danmark har höjt sin ingångslön till 40 000 kr.",
        "Avgiften är DKK 500.",
        "Ingångslön 40.000 kr",
        "Det kostar 300 kronor i månaden.",
        "The fee is €25.",
    ):
        assert states_quantity(money) and not states_quantity(money, count=True), money
    for count in (
        "6496 skyddsombud.",
        "Lönen är 28 500 kronor, och 12 personer fick den.",
        "Består af 8-12 personer.",
        "145 underskrifter på bara några timmar!",
        "Der planlægges med seks temadrøftelser.",
    ):
        assert states_quantity(count, count=True), count
    # a noun that starts like a unit is counted; "penge" and "tusen kronor" ask for money
    assert asks_count("Hur många sekreterare finns det?") and asks_count("How many European countries?")
    assert not asks_count("Hvor mange penge får en lægesekretær?") and not asks_count("Hur många tusen kronor?")
    assert states_quantity("Der er nok 40 tillidsrepræsentanter.", count=True)  # "nok": probably, not NOK
    assert states_quantity("Avgiften var 300 kr. Totalt 12 personer kom.", count=True)  # the full stop stays
    assert states_quantity("Det tar 30 sek.", count=True) and not states_quantity("The fee is 50 euros.", count=True)


def _passage(text: str) -> Passage:
    return Passage(0, "x.md", "X", None, "", text, 0, len(text))


def test_a_how_many_question_is_not_answered_by_quotes_without_a_number(settings, fake_embedder):
    build_index(settings, fake_embedder)
    assistant = Assistant(settings, embedder=fake_embedder).warm_up()
    q = "Hvor mange personer er der i referencegruppen?"
    retrieval = assistant.retrieve(q)
    none = quoted_answer(retrieval, 0.6, [_passage("Referencegruppen består af personer med indsigt.")], "x")
    assert none.abstained and none.reason == "no_number" and not none.citations
    assert none.text == "Dokumenterne siger ikke noget om dette."
    one = quoted_answer(
        retrieval,
        0.6,
        [
            _passage("Referencegruppen består af personer med indsigt."),
            _passage("Referencegruppen består af 8-12 personer."),
        ],
        "x",
    )
    assert not one.abstained and [c.text for c in one.citations] == ["Referencegruppen består af 8-12 personer."]
    assert "indsigt" not in one.text
    when = quoted_answer(
        dataclasses.replace(retrieval, query=build_query("Hvornår mødes referencegruppen?")),
        0.6,
        [_passage("Referencegruppen mødes i foråret.")],
        "x",
    )
    assert not when.abstained and when.citations
