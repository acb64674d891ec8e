"""Newer minutes replace older facts (answer/updates.py), on a tiny corpus with the fake
embedder and a fake model that picks the older statement."""

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.reader import LLMReader
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant

OLD = "2024-03-01_sv_natverket-var.txt"
NEW = "2025-02-01_sv_natverket-host.txt"
Q = "När är sista dag för anmälan till kursen våren 2024?"


def _answer_picking_the_older(settings, fake_embedder, **changes):
    corpus = settings.path("corpus_dir")
    for p in corpus.iterdir():
        p.unlink()
    (corpus / OLD).write_text(
        "Nätverket våren 2024\n\nSista dag för anmälan till kursen är 30 september 2024.\nKaffe serveras i foajén.\n",
        encoding="utf-8",
    )
    (corpus / NEW).write_text(
        "Nätverket hösten 2025\n\nSista dag för anmälan till kursen är nu 17 oktober 2024.\n"
        "Lunch serveras i matsalen.\n",
        encoding="utf-8",
    )
    s = settings.replace(abstain_threshold=-1.0, reader_add_extractive=False, **changes)
    build_index(s, fake_embedder)
    a = Assistant(s, embedder=fake_embedder).warm_up()
    r = a.retrieve(Q)
    words = lambda t: len(t.split())  # noqa: E731
    passages, _ = LLMReader(
        a.index, s, FakeListChatModel(responses=["x"]), "selector", count_tokens=words
    ).shown_evidence(r)
    old = next(p.n for p in passages if p.source == OLD and "30 september" in p.text)
    model = FakeListChatModel(responses=[f'{{"ids": [{old}]}}'])
    return LLMReader(a.index, s, model, "selector", count_tokens=words).answer(r)


def test_a_later_documents_statement_leads_and_both_show_their_dates(settings, fake_embedder):
    ans = _answer_picking_the_older(settings, fake_embedder, newer_min_similarity=0.5)
    assert [c.source for c in ans.citations][:2] == [NEW, OLD] and ans.grounding["updated"], ans.text
    assert "17 oktober 2024" in ans.text.split("30 september 2024")[0]  # the newer statement first
    assert [c.date for c in ans.citations][:2] == ["2025-02-01", "2024-03-01"]  # each with its document's date


def test_without_the_rule_or_below_the_similarity_the_pick_stands_alone(settings, fake_embedder):
    for changes in ({"rule_newest": False, "newer_min_similarity": 0.5}, {"newer_min_similarity": 0.9999}):
        ans = _answer_picking_the_older(settings, fake_embedder, **changes)
        assert [c.source for c in ans.citations] == [OLD], changes
        assert "updated" not in ans.grounding
