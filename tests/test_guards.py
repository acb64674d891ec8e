"""Which quotes may answer: a number for a how-many or how-much question (guards.py), in
every answer step."""

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer import reader as reader_module
from assistant.answer.guards import Verdict, judge
from assistant.answer.reader import LLMReader
from assistant.index.indexer import build_index
from assistant.ingest.chunking import clean_text
from assistant.pipeline.assistant import Assistant
from assistant.query.query import build_query

DK_PAY = "Danmark har höjt sin ingångslön till 40 000 kr."
SV_NO_NUMBER = "Lönerna diskuterades länge."


def test_a_how_many_question_keeps_the_quotes_with_a_number():
    assert judge(build_query("Hur mycket är lönen?"), [SV_NO_NUMBER, DK_PAY]) == Verdict((False, True))
    assert judge(build_query("Hur mycket är lönen?"), [SV_NO_NUMBER]) == Verdict((False,), "no_number")
    assert judge(build_query("Vad säger dokumenten om lönen?"), [SV_NO_NUMBER]) == Verdict((True,))
    assert judge(build_query("Vad kostar kursen?"), [SV_NO_NUMBER]).reason == "no_number"
    assert judge(build_query("Hur mycket?"), []) == Verdict(())
    assert judge(build_query("Hur mycket är lönen?"), [SV_NO_NUMBER], on=False) == Verdict((True,))  # switched off


def test_a_how_many_question_is_not_answered_by_a_sum_of_money():
    reps = "I Danmark har forbundet 212 arbejdsmiljørepræsentanter."
    assert judge(build_query("Hur många skyddsombud har förbundet i Danmark?"), [DK_PAY]) == Verdict(
        (False,), "no_number"
    )
    assert judge(build_query("Hur många skyddsombud har förbundet i Danmark?"), [DK_PAY, reps]) == Verdict(
        (False, True)
    )
    assert judge(build_query("Hur mycket är ingångslönen i Danmark?"), [DK_PAY]) == Verdict(
        (True,)
    )  # an amount is asked
    assert judge(build_query("Hur många kronor är ingångslönen i Danmark?"), [DK_PAY]) == Verdict((True,))
    assert judge(build_query("Hvor mange underskrifter fik de?"), ["145 underskrifter!"]) == Verdict((True,))


class Recording(FakeListChatModel):
    prompts: list = []

    def _call(self, messages, *args, **kwargs):
        self.prompts.append(messages[-1].content)
        return super()._call(messages, *args, **kwargs)

    def _stream(self, messages, *args, **kwargs):  # the writer streams
        self.prompts.append(messages[-1].content)
        return super()._stream(messages, *args, **kwargs)


def test_the_writer_is_shown_only_sentences_that_may_answer(settings, fake_embedder, monkeypatch):
    build_index(settings, fake_embedder)
    a = Assistant(settings, embedder=fake_embedder).warm_up()
    q = "Hvor mange personer er der i referencegruppen?"
    r = a.retrieve(q)
    seen = []

    def keep_second_only(query, quotes, on=True):
        # the seeds come in one call, then each neighbour alone: only the second seed passes
        seen.append(quotes)
        assert query.text == q and on
        return Verdict(tuple(i == 1 and len(seen) == 1 for i in range(len(quotes))))

    monkeypatch.setattr(reader_module, "judge", keep_second_only)
    model = Recording(responses=["NONE"], prompts=[])
    LLMReader(a.index, a.settings, model, "writer", count_tokens=lambda t: len(t.split())).answer(r)
    shown = model.prompts[0]
    seeds = seen[0]
    assert len(seeds) >= 3 and clean_text(seeds[1]) in shown and clean_text(seeds[0]) not in shown
    assert len(seen) > 1  # its neighbours were judged too
    assert sum(line.startswith("[") for line in shown.splitlines()) == 1  # and left out

    monkeypatch.setattr(
        reader_module, "judge", lambda query, quotes, on=True: Verdict(tuple(False for _ in quotes), "no_number")
    )
    model = Recording(responses=["Gruppen har 12 personer [1]."], prompts=[])
    ans = LLMReader(a.index, a.settings, model, "writer", count_tokens=lambda t: len(t.split())).answer(r)
    assert ans.abstained and ans.reason == "no_number" and not ans.citations and model.prompts == []
