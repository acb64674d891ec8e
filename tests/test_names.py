"""A question naming a region, union, hospital or person is answered only by quotes whose
passage names it (names.py, guards.py). Found in a member's walk: "… ska bort i Region
Värmland?" was answered with Region Gotland's cuts."""
from assistant.answer.guards import Verdict, judge
from assistant.query.names import names_all, names_in as question_names
from assistant.query.query import build_query

GOTLAND = ("20 medicinska sekreterare ska bort.", "sv",
           "2024-11-06_sv_natverket.md\nNätverket > Landet runt\nRegion Gotland har varit på informationsmöte "
           "angående TIK. 20 medicinska sekreterare ska bort.")
DELTA = ("Gro Bengtson, leder for Helsesekretærforbundet i Delta", "no",
         "2018-12-05_no_dagens-medisin.txt\nNøkkelpersonellet i skranken\nGro Bengtson, leder for "
         "Helsesekretærforbundet i Delta")
COMMENT = ("Jeg hadde byttet ut 10 direktører med 10 helsesekretærer.", "no",
           "2018-12-05_no_dagens-medisin.txt\nKommentarer\nJeg hadde byttet ut 10 direktører med 10 helsesekretærer.")


def test_the_names_a_question_asks_about():
    assert question_names("Hur många medicinska sekreterare ska bort i Region Värmland?") == [("Värmland",)]
    assert question_names("What did Björn Cardenas talk about in 2021?") == [("Björn", "Cardenas")]
    assert question_names("Vad kostar YH-utbildningen?") == [("YH",)]
    assert question_names("Hvem er leder for Helsesekretærforbundet i Delta?") == [("Helsesekretærforbundet",), ("Delta",)]
    # not names: the word opening the question or a follow-up, countries (their own rule), generic heads
    assert question_names("Hur många skyddsombud finns i Sverige? Och i Finland?") == []
    assert question_names("Vilken region har flest sekreterare?") == []
    # a follow-up: its own names count, else those of the question it follows
    assert build_query("Og i Värmland?", previous="Hvor mange skal bort i Region Gotland?").names == (("Värmland",),)
    assert build_query("Og hvorfor?", previous="Hvor mange skal bort i Region Gotland?").names == (("Gotland",),)


def test_a_passage_names_it_at_the_start_of_a_word_in_any_of_the_four_languages():
    assert names_all([("Vision",)], "Visions lönepolitik")                       # inflected
    assert names_all([("Björn", "Cardenas")], "Björn informerar om undersökningen")  # one word of a person's name
    assert names_all([("Helsinki",)], "Studiebesök på ett sjukhus i Helsingfors")   # the place in Swedish
    assert not names_all([("AI",)], "Vi har fått stöd (aid) från förbundet")        # an acronym is a whole word
    assert names_all([("AI",)], "AI-undersökningen visar")
    assert not names_all([("Värmland",), ("TIK",)], GOTLAND[2])


def test_a_quote_about_another_region_or_union_is_not_an_answer():
    q = "Hur många medicinska sekreterare ska bort i Region Värmland?"
    assert judge(build_query(q), [GOTLAND]) == Verdict((False,), "other_name")
    assert judge(build_query("Hur många ska bort i Region Gotland?"), [GOTLAND]) == Verdict((True,))
    # the passage, not the sentence alone, names it
    assert judge(build_query("Hvem leder Helsesekretærforbundet i Delta?"), [DELTA]) == Verdict((True,))
    assert judge(build_query("How many safety representatives does Delta have?"), [COMMENT]).reason == "other_name"
    # a quote from a passage that does not name it drops out; the named ones stay
    assert judge(build_query("Hvem leder Delta?"), [COMMENT, DELTA]) == Verdict((False, True))
    # without a passage the quote's own text is read (older callers)
    assert judge(build_query("Hvem leder Delta?"), [DELTA[:2]]) == Verdict((True,))


def test_the_assistant_abstains_on_a_region_the_documents_do_not_name(settings, fake_embedder):
    from assistant.index.indexer import build_index
    from assistant.pipeline.assistant import Assistant

    build_index(settings, fake_embedder)
    assistant = Assistant(settings, embedder=fake_embedder).warm_up()
    named = assistant.ask("Hvor mange underskrifter fikk namninnsamlingen i Norrbotten?")
    assert not named.abstained and named.citations       # the petition's file name names Norrbotten
    other = assistant.ask("Hvor mange underskrifter fikk namninnsamlingen i Blekinge?")   # named nowhere in the corpus
    assert other.abstained and other.reason == "other_name" and not other.citations


def test_a_quote_naming_someone_else_is_about_them_even_in_a_passage_naming_both():
    from assistant.query.names import is_about_names

    passage = ("Landet runt\nRegion Gotland har varit på informationsmöte angående TIK där arbetsgivaren säger att "
               "20 medicinska sekreterare ska bort. Region Värmland har infört TIK.")
    gotland = "Region Gotland har varit på informationsmöte angående TIK där arbetsgivaren säger att 20 medicinska sekreterare ska bort."
    assert not is_about_names([("Värmland",)], gotland, passage)
    assert is_about_names([("Värmland",)], "Region Värmland har infört TIK.", passage)
    assert not is_about_names([("Västernorrland",)], "USÖ akutmottagningens administrativa enhet har lönetillägg på 4500 kr.",
                              "Akuten\nI Västernorrland skriver sekreterarbyrån akutens diktat.")   # an acronym may open it
    # a quote naming no one is judged by its passage
    assert is_about_names([("Skåne",)], "Kompetensstegen är inte lönegrundande.", "Region Skåne\nKompetensstegen är inte lönegrundande.")
    assert not is_about_names([("Vision",)], "6496 skyddsombud.", "Arbetsmiljö – Björn Cardenas\n6496 skyddsombud.")
