"""Newer minutes replace older facts (answer/updates.py), on a tiny corpus with the fake embedder."""
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant

OLD = "2024-03-01_sv_natverket-var.txt"
NEW = "2025-02-01_sv_natverket-host.txt"


def _assistant(settings, fake_embedder, **changes):
    corpus = settings.path("corpus_dir")
    for p in corpus.iterdir():
        p.unlink()
    (corpus / OLD).write_text("Nätverket våren 2024\n\nSista dag för anmälan till kursen är 30 september 2024.\n"
                              "Kaffe serveras i foajén.\n", encoding="utf-8")
    (corpus / NEW).write_text("Nätverket hösten 2025\n\nSista dag för anmälan till kursen är nu 17 oktober 2024.\n"
                              "Lunch serveras i matsalen.\n", encoding="utf-8")
    s = settings.replace(answer_backend="extractive", abstain_threshold=-1.0, answer_max_sentences=1, **changes)
    build_index(s, fake_embedder)
    return Assistant(s, embedder=fake_embedder).warm_up()


def test_a_later_documents_statement_leads_and_both_show_their_dates(settings, fake_embedder):
    a = _assistant(settings, fake_embedder, newer_min_similarity=0.5)
    r = a.retrieve("När är sista dag för anmälan till kursen våren 2024?")
    old = [h for h in r.hits if h.chunk.source == OLD]
    assert old, "the older document is retrieved"
    ans = a.answerer.answer(r)
    assert [c.source for c in ans.citations][:2] == [NEW, OLD], ans.text
    assert "17 oktober 2024" in ans.text.split("30 september 2024")[0]          # the newer statement first
    assert "(1 februari 2025)" in ans.text and "(1 mars 2024)" in ans.text       # each with its document's date


def test_without_the_rule_or_below_the_similarity_the_quote_stands_alone(settings, fake_embedder):
    for changes in ({"rule_newest": False, "newer_min_similarity": 0.5}, {"newer_min_similarity": 0.9999}):
        a = _assistant(settings, fake_embedder, **changes)
        r = a.retrieve("När är sista dag för anmälan till kursen våren 2024?")
        ans = a.answerer.answer(r)
        assert "(1 mars 2024)" not in ans.text and len(ans.citations) == 1, changes
