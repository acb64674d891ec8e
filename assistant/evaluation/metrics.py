"""Evaluation metrics as pure functions over plain data (unit-tested on hand-computed
fixtures in tests/test_metrics.py)."""

from __future__ import annotations

import math
import re
from statistics import median


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def evidence_rank(evidence: list[str], retrieved: list[str]) -> int | None:
    """1-based rank at which *all* evidence strings have appeared in the retrieved
    texts (each inside some passage ranked at or above it); None if never."""
    if not evidence:
        return None
    todo = {norm(e) for e in evidence}
    for rank, text in enumerate(retrieved, 1):
        t = norm(text)
        todo = {e for e in todo if e not in t}
        if not todo:
            return rank
    return None


def hit_at(ranks: list[int | None], k: int) -> float:
    return sum(r is not None and r <= k for r in ranks) / len(ranks) if ranks else float("nan")


def mrr(ranks: list[int | None]) -> float:
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else float("nan")


def key_facts_ok(answer: str, groups: list[list[str]]) -> bool:
    """Every group has at least one acceptable string in the answer."""
    a = norm(answer)
    return all(any(norm(s) in a for s in g) for g in groups)


def newest_first(answer: str, groups: list[list[str]], stale: list[str]) -> bool:
    """The answer states the newer fact (every group), and before any older value it replaced."""
    a = norm(answer)
    if not key_facts_ok(answer, groups):
        return False
    first_new = min(a.find(norm(s)) for g in groups for s in g if norm(s) in a)
    old = [a.find(norm(s)) for s in stale if norm(s) in a]
    return not old or first_new < min(old)


def evidence_cited(evidence: list[str], cited: list[str], min_len: int = 15) -> bool:
    """Each evidence string is inside a cited passage, or a cited passage (of at least
    `min_len` characters) quotes part of it."""
    cs = [norm(c) for c in cited]
    for e in map(norm, evidence):
        if not any(e in c or (len(c) >= min_len and c in e) for c in cs):
            return False
    return bool(evidence)


def rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else float("nan")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    v = sorted(values)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def answer_language(record: dict) -> str:
    """The language of what the answer says, not of its frame: its sentence in the member's
    language when it has one, else its quotes (an abstention: its text)."""
    from assistant.core.lang import detect_language

    if record.get("lead"):
        return detect_language(record["lead"])
    if record["abstained"] or not record.get("citations"):
        return detect_language(record["answer"])
    return detect_language(" ".join(c["text"] for c in record["citations"]))


def ungrounded_facts(answer: str, citations: list[dict]) -> int:
    """Facts (numbers, dates, amounts, names) of an answer that are not in a passage its
    sentence cites (a name may also stand in the document title shown above the quote); a
    fact in a sentence without a valid citation counts too. Quotes are verbatim, so they
    pass. `citations`: [{"n", "text"} and optionally "title"]."""
    from assistant.answer.grounding import split_sentences, unsupported

    by_n = {c["n"]: c for c in citations}
    bad = 0
    for sentence in split_sentences(answer):
        cited = [by_n[int(n)] for n in re.findall(r"\[(\d+)\]", sentence) if int(n) in by_n]
        bad += len(
            unsupported(sentence, "\n".join(c["text"] for c in cited), "\n".join(c.get("title", "") for c in cited))
        )
    return bad


def summarize(items: list[dict], records: list[dict]) -> dict:
    """Metrics for one system. `items` are dataset rows, `records` the matching result
    records ({answer, abstained, citations, retrieved, latency_s, language}); a
    retrieval-only system has answer None."""
    ans_pairs = [(it, r) for it, r in zip(items, records) if it["answerable"]]
    un_pairs = [(it, r) for it, r in zip(items, records) if not it["answerable"]]
    ranks = [evidence_rank(it["evidence"], [x["text"] for x in r["retrieved"]]) for it, r in ans_pairs]
    out = {
        "n": len(items),
        "answerable": len(ans_pairs),
        "unanswerable": len(un_pairs),
        "hit@1": hit_at(ranks, 1),
        "hit@3": hit_at(ranks, 3),
        "hit@5": hit_at(ranks, 5),
        "mrr": mrr(ranks),
    }
    if records and records[0].get("answer") is not None:
        out["key_fact_acc"] = rate(
            [not r["abstained"] and key_facts_ok(r["answer"], it["answer_all"]) for it, r in ans_pairs]
        )
        out["cited_evidence"] = rate(
            [evidence_cited(it["evidence"], [c["text"] for c in r["citations"]]) for it, r in ans_pairs]
        )
        out["abstain_unanswerable"] = rate([r["abstained"] for _, r in un_pairs])
        out["false_abstain"] = rate([r["abstained"] for _, r in ans_pairs])
        updated = [(it, r) for it, r in ans_pairs if it.get("stale")]
        out["newest_first"] = rate(
            [not r["abstained"] and newest_first(r["answer"], it["answer_all"], it["stale"]) for it, r in updated]
        )
        out["lang_match"] = rate([answer_language(r) == it["lang"] for it, r in zip(items, records)])
        crossed = [r for it, r in zip(items, records) if it.get("kind") == "cross-lang" and not r["abstained"]]
        out["restated"] = rate([bool(r.get("lead")) for r in crossed])
        answered = [r for r in records if not r["abstained"]]
        out["ungrounded"] = rate([ungrounded_facts(r["answer"], r["citations"]) > 0 for r in answered])
        prompts = [r["prompt_tokens"] for r in records if r.get("prompt_tokens")]
        out["prompt_tok"] = median(prompts) if prompts else 0
        for key, col in (("evidence_s", "evidence_p50"), ("first_text_s", "first_text_p50")):
            xs = [r[key] for r in records if r.get(key) is not None]
            out[col] = median(xs) if xs else float("nan")
    lat = [r["latency_s"] for r in records]
    out["latency_p50"] = median(lat) if lat else float("nan")
    out["latency_p95"] = percentile(lat, 95)
    return out
