"""Which quotes may answer: the country asked about, a number for a how-many question.
One rule for every answer step (guards.py)."""
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer import reader as reader_module
from assistant.ingest.chunking import clean_text
from assistant.answer.guards import Verdict, judge
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant
from assistant.answer.reader import LLMReader
from assistant.query.query import build_query

DK_PAY = ("Danmark har höjt sin ingångslön till 40 000 kr.", "sv")
SV_TIME = ("I Sverige har vi högst arbetstid bland de nordiska länderna.", "sv")
SV_NO_NUMBER = ("Lönerna diskuterades länge.", "sv")


def test_a_question_about_one_country_keeps_the_quotes_about_it():
    assert judge(build_query("Hvad er startlønnen i Danmark?"), [DK_PAY, SV_TIME]) == Verdict((True, False))
    # the best quote about another country: abstain, unless the step only filters
    assert judge(build_query("Hvad er startlønnen i Danmark?"), [SV_TIME, DK_PAY]).reason == "other_country"
    assert judge(build_query("Hvad er startlønnen i Danmark?"), [SV_TIME, DK_PAY], best_decides=False) == Verdict((False, True))
    assert judge(build_query("Hvad er startlønnen i Danmark?"), [SV_TIME], best_decides=False).reason == "other_country"
    assert judge(build_query("Hvad siger dokumenterne om startlønnen?"), [SV_TIME, DK_PAY]) == Verdict((True, True))  # none named


def test_a_how_many_question_keeps_the_quotes_with_a_number():
    assert judge(build_query("Hur mycket är lönen?"), [SV_NO_NUMBER, DK_PAY]) == Verdict((False, True))
    assert judge(build_query("Hur mycket är lönen?"), [SV_NO_NUMBER]) == Verdict((False,), "no_number")
    assert judge(build_query("Vad säger dokumenten om lönen?"), [SV_NO_NUMBER]) == Verdict((True,))
    # both rules: a number about another country does not answer
    assert judge(build_query("Hur mycket är ingångslönen i Sverige?"), [SV_TIME, DK_PAY]).keep == (False, False)
    assert judge(build_query("Hur mycket är ingångslönen i Sverige?"), [SV_TIME, DK_PAY]).reason == "no_number"
    assert judge(build_query("Hur mycket?"), []) == Verdict(())


def test_a_how_many_question_is_not_answered_by_a_sum_of_money():
    """The follow-up "Och hur ser det ut i Danmark?" after "Hur många skyddsombud finns det?"
    became "Hur många skyddsombud finns det i Danmark?", and the 1.5B picked Denmark's salary."""
    DK_REPS = ("I Danmark har forbundet 212 arbejdsmiljørepræsentanter.", "da")
    assert judge(build_query("Hur många skyddsombud finns det i Danmark?"), [DK_PAY]) == Verdict((False,), "no_number")
    assert judge(build_query("Hur många skyddsombud finns det i Danmark?"), [DK_PAY, DK_REPS]) == Verdict((False, True))
    assert judge(build_query("Hur mycket är ingångslönen i Danmark?"), [DK_PAY]) == Verdict((True,))      # an amount is asked
    assert judge(build_query("Hur många kronor är ingångslönen i Danmark?"), [DK_PAY]) == Verdict((True,))


def test_a_question_for_a_named_figure_is_answered_only_by_a_quote_that_names_it():
    """"Hva er pensjonsalderen for helsesekretærer?" (unanswerable) was answered with a
    secretary's 23 years at the hospital: a number, but not the retirement age."""
    YEARS = ("Som sekretær på sykehus i snart 23 år, så må jeg bare få si noe til leger.", "no")
    PENSION = ("Pensjonsalderen er 67 år for de fleste.", "no")
    assert judge(build_query("Hva er pensjonsalderen for helsesekretærer?"), [YEARS]) == Verdict((False,), "no_number")
    assert judge(build_query("Hva er pensjonsalderen for helsesekretærer?"), [YEARS, PENSION]) == Verdict((False, True))
    assert judge(build_query("Hvad er startlønnen i Danmark?"), [DK_PAY]) == Verdict((True,))   # "ingångslön" names the salary
    assert judge(build_query("What is the membership fee?"), [("The fee is 250 kr a month.", "en")]) == Verdict((True,))
    assert judge(build_query("What is the membership fee?"), [DK_PAY]).reason == "no_number"
    assert judge(build_query("Hur mycket ökade antalet?"), [YEARS]) == Verdict((True,))      # no figure named: any number may do
    # what something costs or earns: a quote naming it, or a sum of money
    assert judge(build_query("Hvor mye tjener en helsesekretær i Norge per måned?"), [YEARS]) == Verdict((False,), "no_number")
    assert judge(build_query("Hur mycket är lönen?"), [YEARS]).reason == "no_number"
    assert judge(build_query("Hvor mye tjener en helsesekretær?"), [("Hun får 32 000 kr i måneden.", "no")]) == Verdict((True,))
    for question, quote in (("What is the price of the course?", "Kursavgiften är 3 000 kr."),   # fee or price: one list
                            ("Vad är medlemsavgiften?", "Det kostar 250 kr i månaden."),
                            ("Hvad er lønnen?", "Man tjener 32.000 kr om måneden."),
                            ("Hva er pensjonsalderen?", "Særaldersgrensen er 65 år."),
                            ("What is the feedback on the proposal?", "Feedback from 12 members.")):  # no fee asked
        assert judge(build_query(question), [(quote, "sv")]) == Verdict((True,)), question


class Recording(FakeListChatModel):
    prompts: list = []

    def _call(self, messages, *args, **kwargs):
        self.prompts.append(messages[-1].content)
        return super()._call(messages, *args, **kwargs)

    def _stream(self, messages, *args, **kwargs):   # the writer streams
        self.prompts.append(messages[-1].content)
        return super()._stream(messages, *args, **kwargs)


def test_the_writer_is_shown_only_sentences_that_may_answer(settings, fake_embedder, monkeypatch):
    build_index(settings, fake_embedder)
    a = Assistant(settings, embedder=fake_embedder).warm_up()
    q = "Hvor mange personer består referencegruppen af?"
    r = a.retrieve(q)
    seen = []

    def keep_second_only(question, quotes, best_decides=True, switches=None):
        # the seeds come in one call, then each neighbour alone: only the second seed passes
        seen.append(quotes)
        assert question.text == q and not best_decides  # the writer filters, the first quote does not decide
        return Verdict(tuple(i == 1 and len(seen) == 1 for i in range(len(quotes))))

    monkeypatch.setattr(reader_module, "judge", keep_second_only)
    model = Recording(responses=["NONE"], prompts=[])
    LLMReader(a.index, a.settings, model, "writer", count_tokens=lambda t: len(t.split())).answer(r)
    shown = model.prompts[0]
    seeds = seen[0]
    assert len(seeds) >= 3 and clean_text(seeds[1][0]) in shown and clean_text(seeds[0][0]) not in shown
    assert len(seen) > 1                                                      # its neighbours were judged too
    assert sum(line.startswith("[") for line in shown.splitlines()) == 1    # and left out

    monkeypatch.setattr(reader_module, "judge", lambda question, quotes, best_decides=True, switches=None:
                        Verdict(tuple(False for _ in quotes), "no_number"))
    model = Recording(responses=["Gruppen har 12 personer [1]."], prompts=[])
    ans = LLMReader(a.index, a.settings, model, "writer", count_tokens=lambda t: len(t.split())).answer(r)
    assert ans.abstained and ans.reason == "no_number" and not ans.citations and model.prompts == []


BYLINE = ("Innlegg: Gro Bengtson, leder for Helsesekretærforbundet i Delta", "no")
SIGNED = ('De medicinska sekreterarna är den dolda nyckelgruppen i vården men snart finns inga kvar, '
          'skriver "Snart på väg".', "sv")
ABOUT = ("Helsesekretærer er en stor yrkesgruppe som du finner på enhver avdeling.", "no")


def test_a_who_wrote_question_is_answered_only_by_bylines_and_signatures():
    assert judge(build_query("Hvem skrev innlegget om helsesekretærer i skranken?"), [ABOUT, BYLINE]) == Verdict((False, True))
    assert judge(build_query("Hvilken signatur står under innlegget?"), [BYLINE, ABOUT, SIGNED]) == Verdict((True, False, True))
    assert judge(build_query("Who wrote the opinion piece?"), [ABOUT]) == Verdict((False,), "no_author")
    assert judge(build_query("Who wrote the opinion piece?"), []) == Verdict((), "no_author")          # nothing to quote: abstain
    assert judge(build_query("Vad säger inlägget om helsesekreterare?"), [ABOUT]) == Verdict((True,))     # not asked who wrote
    assert judge(build_query("Hur många underskrifter fick namninsamlingen?"), [("145 underskrifter!", "sv")]) == Verdict((True,))
