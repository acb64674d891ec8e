import math

from assistant.evaluation.metrics import (
    evidence_cited,
    evidence_rank,
    hit_at,
    key_facts_ok,
    mrr,
    percentile,
    summarize,
    ungrounded_facts,
)


def test_evidence_rank_needs_all_evidence():
    retrieved = ["alpha beta", "gamma  delta", "Beta gamma epsilon"]
    assert evidence_rank(["gamma delta"], retrieved) == 2  # whitespace-normalised
    assert evidence_rank(["alpha", "epsilon"], retrieved) == 3  # second piece only at rank 3
    assert evidence_rank(["zeta"], retrieved) is None
    assert evidence_rank([], retrieved) is None


def test_hits_and_mrr_hand_computed():
    ranks = [1, 2, None, 5]
    assert hit_at(ranks, 1) == 0.25 and hit_at(ranks, 3) == 0.5 and hit_at(ranks, 5) == 0.75
    assert math.isclose(mrr(ranks), (1 + 0.5 + 0 + 0.2) / 4)


def test_key_facts_and_citations():
    assert key_facts_ok("Utredningen ska vara klar 30 maj 2025.", [["30 maj 2025", "30 May 2025"]])
    assert not key_facts_ok("Island och Norge", [["Island"], ["Tyskland"]])
    assert evidence_cited(["ska vara klar 30 maj 2025"], ["Utredningen ska vara klar 30 maj 2025."])
    assert evidence_cited(["A long evidence sentence. And another one here."], ["A long evidence sentence."])
    assert not evidence_cited(["something else entirely"], ["A long evidence sentence."])
    assert not evidence_cited([], ["x"])


def test_percentile_nearest_rank():
    assert percentile([5, 1, 3, 2, 4], 50) == 3 and percentile([5, 1, 3, 2, 4], 95) == 5
    assert percentile(list(range(1, 101)), 95) == 95


def test_summarize_hand_computed():
    items = [
        {"answerable": True, "lang": "sv", "evidence": ["fakta ett"], "answer_all": [["ett"]], "kind": "same-lang"},
        {"answerable": True, "lang": "da", "evidence": ["fakta to"], "answer_all": [["to"]]},
        {"answerable": False, "lang": "en", "evidence": [], "answer_all": []},
    ]
    records = [
        {
            "answer": "Enligt: “Styrelsen beslutade att fakta ett gäller från och med nu.” [1]",
            "abstained": False,
            "language": "sv",
            "latency_s": 1.0,
            "citations": [{"n": 1, "text": "Styrelsen beslutade att fakta ett gäller från och med nu."}],
            "retrieved": [{"text": "Styrelsen beslutade att fakta ett gäller från och med nu."}],
        },
        {
            "answer": "Dokumentene sier ikke noe om dette.",
            "abstained": True,
            "language": "da",
            "latency_s": 2.0,
            "citations": [],
            "retrieved": [{"text": "x"}, {"text": "fakta to"}],
        },
        {
            "answer": "The documents do not say",
            "abstained": True,
            "language": "en",
            "latency_s": 3.0,
            "citations": [],
            "retrieved": [{"text": "y"}],
        },
    ]
    m = summarize(items, records)
    assert (m["hit@1"], m["hit@3"], m["mrr"]) == (0.5, 1.0, 0.75)
    assert m["key_fact_acc"] == 0.5 and m["cited_evidence"] == 0.5
    assert m["abstain_unanswerable"] == 1.0 and m["false_abstain"] == 0.5
    # the language of what is said, not of the frame: the Norwegian abstention to a Danish question does not match
    assert math.isclose(m["lang_match"], 2 / 3) and m["latency_p50"] == 2.0 and m["latency_p95"] == 3.0
    assert math.isnan(m["restated"])  # no cross-language question answered
    retrieval_only = summarize(items, [dict(r, answer=None) for r in records])
    assert "key_fact_acc" not in retrieval_only and retrieval_only["hit@1"] == 0.5


def test_a_cross_language_answer_counts_as_restated_and_in_language_by_its_lead():
    items = [
        {
            "answerable": True,
            "lang": "en",
            "evidence": ["30 maj 2025"],
            "answer_all": [["30 maj 2025"]],
            "kind": "cross-lang",
        }
    ] * 2
    quote = {"n": 1, "text": "Utredningen ska vara klar 30 maj 2025."}
    lead = "The inquiry is due on 30 maj 2025 [1]."
    records = [
        {
            "answer": f"{lead}\n\nIn the documents:\n\n“{quote['text']}” [1]",
            "lead": lead,
            "abstained": False,
            "citations": [quote],
            "retrieved": [quote],
            "latency_s": 1.0,
        },
        {
            "answer": f"In the documents:\n\n“{quote['text']}” [1]",
            "lead": "",
            "abstained": False,
            "citations": [quote],
            "retrieved": [quote],
            "latency_s": 1.0,
        },
    ]
    m = summarize(items, records)
    assert m["restated"] == 0.5 and m["lang_match"] == 0.5 and m["key_fact_acc"] == 1.0


def test_ungrounded_facts_hand_computed():
    cites = [{"n": 1, "text": "Vision har 6496 skyddsombud i hela landet."}]
    assert ungrounded_facts("Det finns 6 496 skyddsombud [1].", cites) == 0  # thousands separator
    assert ungrounded_facts("Det finns 7000 skyddsombud [1].", cites) == 1  # a number not in the source
    assert ungrounded_facts("Det finns 6496 skyddsombud.", cites) == 1  # no citation: nothing grounds it
    assert ungrounded_facts("Det finns 6496 skyddsombud [2].", cites) == 1  # cites no real passage
    assert ungrounded_facts("Enligt Anna Svensson finns 6496 skyddsombud [1].", cites) == 2  # two name words not in it
    titled = [{**cites[0], "title": "Årsmöte Region Halland 2025", "heading": "Skyddsombud i Kiruna"}]
    assert ungrounded_facts("I Region Halland finns 6496 skyddsombud [1].", titled) == 0  # the title is shown
    assert ungrounded_facts("I Region Halland finns 6496 skyddsombud [1].", cites) == 2
    assert ungrounded_facts("År 2025 fanns 6496 skyddsombud [1].", titled) == 1  # a number stands in the quote
    assert ungrounded_facts("I Kiruna finns 6496 skyddsombud [1].", titled) == 1  # the heading is not read


def test_newest_first_needs_the_new_value_before_any_old_one():
    from assistant.evaluation.metrics import newest_first

    groups, stale = [["27 februari 2026", "2026-02-27"]], ["28 november 2025"]
    assert newest_first("“… förlängd till 27 februari 2026.” [1]", groups, stale)
    assert newest_first("“27 februari 2026” [1] … “tidigare 28 november 2025” [2]", groups, stale)
    assert not newest_first("“28 november 2025” [1] … “27 februari 2026” [2]", groups, stale)
    assert not newest_first("“Utredningen ska vara klar 28 november 2025.” [1]", groups, stale)
