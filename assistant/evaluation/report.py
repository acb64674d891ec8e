"""Evaluation output: markdown tables (overall, per split, per language, per question
kind), a PNG plot of retrieval metrics, and the misses of the assistant with what was
retrieved."""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from assistant.evaluation.metrics import evidence_rank, summarize

COLS = ["hit@1", "hit@3", "hit@5", "mrr", "key_fact_acc", "cited_evidence", "abstain_unanswerable",
        "false_abstain", "ungrounded", "lang_match", "evidence_p50", "first_text_p50", "latency_p50", "latency_p95", "prompt_tok"]


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
        rows = {name: summarize([items[i] for i in idx], [recs[i] for i in idx]) for name, recs in results_by_system.items()}
        parts.append(f"\n**{key} = {g}** ({len(idx)} questions)\n\n" + table(rows))
    return "\n".join(parts)


def misses(items, records, k: int) -> str:
    lines = []
    for it, r in zip(items, records):
        if not it["answerable"]:
            if not r["abstained"]:
                lines.append(f"- **{it['id']}** (unanswerable, answered) {it['question']}\n  - answer: {r['answer'][:200]!r}")
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


def write_report(path: Path, items, results, rows, k: int, meta: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    png = path.with_suffix(".png")
    plot(rows, png)
    md = ["# Evaluation report\n", f"dataset `{meta['dataset']}`, k={k}, model `{meta['model']}`, "
          f"{meta['when']}" + (f"; {meta['machine']}" if meta.get("machine") else "") + "\n", table(rows), f"\n![retrieval]({png.name})\n",
          "## Per split (tuned on `tune`, `test` held out)\n", breakdown(items, results, "split"),
          "\n## Per language\n", breakdown(items, results, "lang"),
          "\n## Per question kind\n", breakdown(items, results, "kind"),
          *[part for name in results if name.startswith("assistant")
            for part in (f"\n## Misses of {name}\n", misses(items, results[name], k))], "\n"]
    path.write_text("\n".join(md), encoding="utf-8")


