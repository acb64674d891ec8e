"""Evaluation output: markdown tables (overall, per split, per language, per question
kind), a PNG plot of retrieval metrics, and the misses of the assistant with what was
retrieved."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from assistant.evaluation.metrics import evidence_rank, summarize

COLS = [
    "hit@1",
    "hit@3",
    "hit@5",
    "mrr",
    "key_fact_acc",
    "cited_evidence",
    "abstain_unanswerable",
    "false_abstain",
    "newest_first",
    "restated",
    "ungrounded",
    "lang_match",
    "evidence_p50",
    "first_text_p50",
    "latency_p50",
    "latency_p95",
    "prompt_tok",
]


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else f"{v:g}" if isinstance(v, (int, float)) else str(v)


def table(rows: dict[str, dict], cols=COLS) -> str:
    head = "| system | n | " + " | ".join(cols) + " |"
    sep = "|---|---|" + "---|" * len(cols)
    lines = [head, sep]
    for name, m in rows.items():
        lines.append(f"| {name} | {m['n']} | " + " | ".join(_fmt(m.get(c)) for c in cols) + " |")
    return "\n".join(lines)


def breakdown(items, results_by_system, key: str) -> str:
    groups = defaultdict(list)
    for i, it in enumerate(items):
        groups[it.get(key, "?")].append(i)
    parts = []
    for g in sorted(groups):
        idx = groups[g]
        rows = {
            name: summarize([items[i] for i in idx], [recs[i] for i in idx]) for name, recs in results_by_system.items()
        }
        parts.append(f"\n**{key} = {g}** ({len(idx)} questions)\n\n" + table(rows))
    return "\n".join(parts)


def misses(items, records, k: int) -> str:
    lines = []
    for it, r in zip(items, records):
        if not it["answerable"]:
            if not r["abstained"]:
                lines.append(
                    f"- **{it['id']}** (unanswerable, answered) {it['question']}\n  - answer: {r['answer'][:200]!r}"
                )
            continue
        rank = evidence_rank(it["evidence"], [x["text"] for x in r["retrieved"]])
        if rank is None or r["abstained"]:
            why = "evidence not retrieved" if rank is None else "abstained"
            lines.append(f"- **{it['id']}** ({why}) {it['question']}\n  - evidence: {it['evidence']}")
            for n, x in enumerate(r["retrieved"][:k], 1):
                lines.append(f"  - {n}. {x['source']}: {x['text'][:140]!r}")
    return "\n".join(lines) or "none"


def plot(rows: dict[str, dict], path: Path) -> None:
    try:
        import matplotlib
    except ImportError:  # the plot is optional: pip install 'minutes-assistant[eval]'
        return

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["hit@1", "hit@3", "hit@5", "mrr"]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    w = 0.8 / len(rows)
    for i, (name, m) in enumerate(rows.items()):
        ax.bar([x + i * w for x in range(len(metrics))], [m[k] for k in metrics], w, label=name)
    ax.set_xticks([x + w * (len(rows) - 1) / 2 for x in range(len(metrics))], metrics)
    ax.set_ylim(0, 1)
    ax.set_title("Retrieval on eval set (all evidence within top k)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


ABLATION_COLS = (
    ("key_fact_acc", "key facts"),
    ("cited_evidence", "cited"),
    ("false_abstain", "false abstain"),
    ("abstain_unanswerable", "abstain unanswerable"),
    ("restated", "restated"),
    ("ungrounded", "ungrounded"),
    ("hit@5", "hit@5"),
)


def ablation_table(rows: list[dict]) -> str:
    """One line per rule, set and half: each metric with the rule on, and its change
    when the rule is off (a rule helps where key facts drop or false abstention rises
    without it)."""
    head = "| rule | set | half | n | " + " | ".join(f"{label} (on → off)" for _, label in ABLATION_COLS) + " |"
    lines = [head, "|---|---|---|---|" + "---|" * len(ABLATION_COLS)]
    for r in rows:
        cells = []
        for col, _ in ABLATION_COLS:
            on, off = r["with"].get(col), r["without"].get(col)
            if on is None or off is None or (isinstance(on, float) and math.isnan(on)):
                cells.append("–")
            else:
                cells.append(f"{on:.3f} → {off - on:+.3f}")
        lines.append(f"| {r['rule']} | {r['set']} | {r['half']} | {r['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(path: Path, reports: list, k: int, meta: dict, ablations: Sequence[dict] = ()) -> None:
    """`reports`: (set, questions, results by system, metrics by system) per set. Misses
    are listed for the tune half only: the test half is read for its figures."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    md = [
        "# Evaluation report\n",
        f"k={k}, embedder `{meta['model']}`, {meta['when']}"
        + (f"; {meta['machine']}" if meta.get("machine") else "")
        + (
            "; some model calls answered from the eval cache, so latencies are not the product's"
            if meta.get("cached")
            else ""
        )
        + "\n",
    ]
    for n, (evalset, items, results, rows) in enumerate(reports):
        png = path.with_name(f"{path.stem}{'' if n == 0 else f'.{evalset.name}'}.png")
        plot(rows, png)
        tune = [i for i, it in enumerate(items) if it.get("split") != "test"]
        md += [
            f"## Set `{evalset.path}` ({meta.get('split', 'all')}, {len(items)} questions)\n",
            table(rows),
            f"\n![retrieval]({png.name})\n",
            "### Per half (rules chosen on `tune`; `test` is frozen and only reported)\n",
            breakdown(items, results, "split"),
            "\n### Per language\n",
            breakdown(items, results, "lang"),
            "\n### Per question kind\n",
            breakdown(items, results, "kind"),
            *[
                part
                for name in results
                if name.startswith("assistant")
                for part in (
                    f"\n### Misses of {name} (tune half)\n",
                    misses([items[i] for i in tune], [results[name][i] for i in tune], k),
                )
            ],
            "\n",
        ]
    if ablations:
        md += ["## Ablation: each rule switched off\n", ablation_table(list(ablations)), "\n"]
    path.write_text("\n".join(md), encoding="utf-8")
