"""Compare answerers on eval/qa.jsonl: extractive vs LLM selector vs LLM free-writer,
each LLM reader with each local model. Prints key-fact accuracy, cited evidence,
abstention, false abstention, ungrounded facts, answer-text language, latency and
prompt tokens, for the tuning half (even 0-based lines), the held-out half (odd) and all.

    python eval/compare_readers.py [--half even|odd|all] [--limit N] [--models 0.5b,1.5b]
                                   [--readers extractive,selector,writer] [--out eval/out/compare.jsonl]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.answer.base import ExtractiveAnswerer  # noqa: E402
from assistant.core.config import load_settings  # noqa: E402
from assistant.evaluation.run import load_dataset, table  # noqa: E402
from assistant.answer.grounding import split_sentences, unsupported  # noqa: E402
from assistant.core.lang import detect_language  # noqa: E402
from assistant.evaluation.metrics import summarize  # noqa: E402
from assistant.pipeline.assistant import Assistant  # noqa: E402

MODELS = {"0.5b": "qwen2.5-coder-0.5b", "1.5b": "qwen2.5-coder-1.5b"}
COLS = ["key_fact_acc", "cited_evidence", "abstain_unanswerable", "false_abstain", "ungrounded", "text_lang",
        "fallbacks", "latency_p50", "latency_p95", "prompt_tok", "gen_tok"]


def ungrounded_facts(text: str, citations) -> int:
    """Facts (numbers, months, currency codes, names) of the answer that are not in a
    passage their sentence cites; facts in uncited sentences all count. Quotes are
    checked like any other text (they are verbatim, so they pass)."""
    by_n = {c.n: c.text for c in citations}
    bad = 0
    for sent in split_sentences(text):
        cited = "\n".join(by_n[int(n)] for n in re.findall(r"\[(\d+)\]", sent) if int(n) in by_n)
        bad += len(unsupported(sent, cited))
    return bad


def own_language_text(text: str) -> str:
    return re.sub(r"“[^”]*”|\[\d+\]", " ", text).strip()


def record(it, ans, latency, calls) -> dict:
    j = ans.to_json()
    own = own_language_text(ans.text)
    return {"id": it["id"], "question": it["question"], "language": ans.language, "answer": ans.text,
            "abstained": ans.abstained, "backend": ans.backend, "note": ans.note,
            "citations": [{"source": c["source"], "text": c["text"]} for c in j["citations"]],
            "retrieved": [{"source": r["source"], "text": r["text"]} for r in j["retrieved"]],
            "latency_s": latency, "ungrounded": 0 if ans.abstained else ungrounded_facts(ans.text, ans.citations),
            "text_lang": detect_language(own) if len(own.split()) >= 3 else ans.language,
            "prompt_tok": sum(c.get("prompt_n", 0) + c.get("cache_n", 0) for c in calls),
            "prompt_eval_tok": sum(c.get("prompt_n", 0) for c in calls),
            "gen_tok": sum(c.get("predicted_n", 0) for c in calls)}


def metrics(items, recs) -> dict:
    m = summarize(items, recs)
    answered = [r for r in recs if not r["abstained"]]
    m["ungrounded"] = sum(r["ungrounded"] > 0 for r in answered) / max(len(answered), 1)
    m["text_lang"] = sum(r["text_lang"] == it["lang"] for it, r in zip(items, recs)) / len(recs)
    m["fallbacks"] = sum("→" in r["backend"] for r in recs)
    called = [r for r in recs if r["prompt_tok"]]
    m["prompt_tok"] = median(r["prompt_tok"] for r in called) if called else 0
    m["gen_tok"] = median(r["gen_tok"] for r in called) if called else 0
    return m


def resimulate(rec: dict, max_p_none: float, min_p_top: float, ratio: float, max_ids: int, with_ext: bool) -> dict:
    """A selector record as if it had run with other selection settings (from the
    recorded evidence block and the model's probabilities; no model call)."""
    from assistant.answer.base import abstain_text
    from assistant.ingest.chunking import clean_text
    from assistant.prompts import render

    if "block" not in rec:
        return rec
    p_ids = {int(k): v for k, v in rec["p_ids"].items()}
    ranked = list(p_ids)
    top = p_ids[ranked[0]] if ranked else 0.0
    if not ranked or rec["p_none"] > max_p_none or top < min_p_top:
        return {**rec, "abstained": True, "answer": abstain_text(rec["language"]), "citations": []}
    ids = ranked[:1] + [i for i in ranked[1:max_ids] if p_ids[i] >= ratio * top]
    if with_ext and rec["ext_top"] not in ids:
        ids.append(rec["ext_top"])
    texts = [rec["block"][i - 1] for i in ids]
    quotes = "\n\n".join(f"“{clean_text(t)}” [{k}]" for k, t in enumerate(texts, 1))
    return {**rec, "abstained": False, "answer": render(f"answer_frame.{rec['language']}", quotes=quotes),
            "citations": [{"text": t} for t in texts]}


def tune(all_items, path: Path) -> None:
    by_sys: dict[str, list[dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        by_sys.setdefault(r["system"], []).append(r)
    for name, recs in by_sys.items():
        if not any("block" in r for r in recs):
            continue
        items = [all_items[r["line"]] for r in recs]
        even = [k for k, r in enumerate(recs) if r["line"] % 2 == 0]
        odd = [k for k, r in enumerate(recs) if r["line"] % 2 == 1]
        grid = [(a, b, c, d, e) for a in (0.02, 0.03, 0.05, 0.1, 1.0) for b in (0.0, 0.2, 0.25, 0.3)
                for c in (0.2, 0.35, 0.5, 1.01) for d in (1, 2, 3) for e in (False, True)]

        def score(ks, params):
            return metrics([items[k] for k in ks], [resimulate(recs[k], *params) for k in ks])

        def objective(m):  # false abstention at most 0.10, then abstention on unanswerable + key facts
            return (m["false_abstain"] <= 0.10, m["abstain_unanswerable"] + m["key_fact_acc"] + 0.5 * m["cited_evidence"])

        best = max(grid, key=lambda ps: objective(score(even, ps)))
        rows = {f"{name} as run, even": metrics([items[k] for k in even], [recs[k] for k in even]),
                f"{name} tuned, even (fit)": score(even, best)}
        if odd:
            rows[f"{name} as run, odd"] = metrics([items[k] for k in odd], [recs[k] for k in odd])
            rows[f"{name} tuned, odd (held out)"] = score(odd, best)
        print(f"\n{name}: reader_max_p_none={best[0]} reader_min_p_top={best[1]} reader_second_ratio={best[2]} "
              f"max_ids={best[3]} add_extractive_best={best[4]}\n" + table(rows, COLS))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=Path("eval/qa.jsonl"))
    ap.add_argument("--half", choices=["even", "odd", "all"], default="all")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--stride", type=int, default=1, help="every k-th question of the half (a spread-out subset)")
    ap.add_argument("--tune", type=Path, help="no model run: grid-search the selector's abstention thresholds on the "
                    "even lines of this earlier --out file and score them on the odd lines")
    ap.add_argument("--models", default="0.5b,1.5b")
    ap.add_argument("--readers", default="extractive,selector,writer")
    ap.add_argument("--no-restate", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("eval/out/compare.jsonl"))
    args = ap.parse_args()

    from assistant.models.local_llm import LocalChatModel
    from assistant.answer.reader import LLMReader

    all_items = load_dataset(args.dataset)
    if args.tune:
        return tune(all_items, args.tune)
    idx = [i for i in range(len(all_items)) if args.half == "all" or (i % 2 == 0) == (args.half == "even")]
    idx = idx[:: args.stride]
    idx = idx[: args.limit] if args.limit else idx
    items = [all_items[i] for i in idx]
    s = load_settings()
    if args.no_restate:
        s = s.replace(reader_restate=False)
    a = Assistant(s).warm_up()
    prepared = []
    for it in items:
        t0 = time.perf_counter()
        r = a.retrieve(it["question"])
        prepared.append((detect_language(it["question"]), r, time.perf_counter() - t0))
    systems = []
    readers = args.readers.split(",")
    if "extractive" in readers:
        systems.append(("extractive", ExtractiveAnswerer(a.index, s)))
    for key in args.models.split(","):
        if not set(readers) & {"selector", "writer"}:
            break
        llm = LocalChatModel.from_settings(s.replace(llm_model_name=MODELS[key])).warm_up()
        print(f"{MODELS[key]}: loaded in {llm.load_seconds:.1f}s, {llm.threads} threads", flush=True)
        for mode in ("selector", "writer"):
            if mode in readers:
                systems.append((f"{mode}-{key}", LLMReader(a.index, s, llm, mode)))
    results = {}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for name, ans_er in systems:
            recs = []
            for n, (it, (lang, r, t_ret)) in enumerate(zip(items, prepared)):
                calls_before = len(getattr(ans_er, "calls", []))
                sels_before = len(getattr(ans_er, "selections", []))
                blocks_before = len(getattr(ans_er, "blocks", []))
                t0 = time.perf_counter()
                ans = ans_er.answer(it["question"], lang, r)
                rec = record(it, ans, t_ret + time.perf_counter() - t0, getattr(ans_er, "calls", [])[calls_before:])
                rec["system"], rec["line"] = name, idx[n]
                sel = getattr(ans_er, "selections", [])[sels_before:]
                if sel:
                    rec["p_none"], rec["p_ids"] = sel[-1].p_none, sel[-1].p_ids
                blk = getattr(ans_er, "blocks", [])[blocks_before:]
                if blk:
                    rec["block"], rec["ext_top"] = [p.text for p in blk[-1][0]], blk[-1][1]
                recs.append(rec)
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                f.flush()
            results[name] = recs
            print(f"{name}: done (load average {os.getloadavg()[0]:.1f})", flush=True)
    for label, keep in (("tuning half (even lines)", lambda line: line % 2 == 0),
                        ("held-out half (odd lines)", lambda line: line % 2 == 1), ("all", lambda line: True)):
        sel = [k for k, i in enumerate(idx) if keep(i)]
        if not sel:
            continue
        rows = {name: metrics([items[k] for k in sel], [recs[k] for k in sel]) for name, recs in results.items()}
        print(f"\n### {label}\n\n" + table(rows, COLS))


if __name__ == "__main__":
    main()
