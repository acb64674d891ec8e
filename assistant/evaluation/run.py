"""`assistant eval` and `assistant calibrate`.

eval runs every question of one or more sets (evaluation/datasets.py) through the real
pipeline, as the chat runs it, and prints the metrics per set and half. A set about new
documents is indexed beside the corpus in a scratch folder first. `--split` picks a half;
the test half is frozen (its digest is checked) and is run to report, never to choose.
`--ablate` runs the questions once more per rule (core/rules.py) with that rule switched
off and prints each rule's effect per set and half. `--llm-cache` answers identical model
calls from a file, so ablations that do not change what the model is shown cost nothing.
With --baselines it also scores BM25 alone and the textbook LangChain pipeline
(RecursiveCharacterTextSplitter 1000/200 + the same embedder + FAISS top-k)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.core.errors import EvalDataError
from assistant.core.progress import TerminalProgress
from assistant.core.rules import RULES, switched_off
from assistant.evaluation.datasets import EvalSet, check_frozen, load_dataset, load_set, scratch_settings
from assistant.evaluation.metrics import summarize
from assistant.evaluation.report import ablation_table, table, write_report
from assistant.models import hardware

__all__ = ["add_commands", "calibrate", "load_dataset", "read_feedback", "table"]


# ---------- systems ----------


def run_assistant(assistant, items, k: int, label: str = "questions") -> list[dict]:
    """Each question through the streaming chain, as the chat runs it: time to the first
    text, the full answer, and what the answer step reports (LLM tokens, selection). A
    progress line with the ETA goes to stderr."""
    from assistant.answer.base import Answer, Preview

    out = []
    progress = TerminalProgress()
    for n, it in enumerate(items):
        progress(n, len(items), label)
        t0, first, evidence, a = time.perf_counter(), None, None, None
        for item in assistant.stream(it["question"], k=k):
            if isinstance(item, Preview):
                evidence = time.perf_counter() - t0
            elif isinstance(item, str) and first is None:
                first = time.perf_counter() - t0
            elif isinstance(item, Answer):
                a = item
        if a is None:
            raise EvalDataError(f"{it['id']}: the pipeline gave no answer.")
        j = a.to_json()
        out.append(
            {
                "id": it["id"],
                "question": it["question"],
                "language": a.language,
                "answer": a.text,
                "abstained": a.abstained,
                "reason": a.reason,
                "best_score": a.best_score,
                "backend": a.backend,
                "note": a.note,
                "lead": a.lead,
                "citations": [{k: c[k] for k in ("n", "source", "title", "heading", "text")} for c in j["citations"]],
                "retrieved": [{"source": r["source"], "text": r["text"], "score": r["score"]} for r in j["retrieved"]],
                "latency_s": a.latency_s,
                "evidence_s": evidence,
                "first_text_s": first,
                "grounding": a.grounding,
                "prompt_tokens": a.grounding.get("prompt_tokens", 0),
            }
        )
    progress(len(items), len(items), label)
    progress.close()
    return out


def run_bm25(assistant, items, k: int) -> list[dict]:
    """The store's keyword search alone, on the same chunks."""
    from assistant.index.filters import Filters

    index = assistant.index
    out = []
    for it in items:
        t0 = time.perf_counter()
        hits = index.lexical(it["question"], k, Filters())
        chunks = index.chunks([key for key, _ in hits])
        out.append(
            {
                "id": it["id"],
                "answer": None,
                "retrieved": [{"source": c.source, "text": c.text, "score": s} for c, (_, s) in zip(chunks, hits)],
                "latency_s": time.perf_counter() - t0,
            }
        )
    return out


def run_langchain(assistant, items, k: int) -> list[dict]:
    """The textbook pipeline: RecursiveCharacterTextSplitter(1000, 200) over each
    document, the same embedder, exact FAISS inner-product top-k."""
    import faiss

    try:
        from langchain_text_splitters import RecursiveCharacterTextSplitter
    except ImportError as e:
        raise EvalDataError(
            "The textbook baseline needs langchain-text-splitters: pip install 'minutes-assistant[eval]'"
        ) from e
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    splits = [(s, t) for s, d in sorted(assistant.index.documents.items()) for t in splitter.split_text(d.text)]
    vecs = assistant.embedder.embed_documents_np([t for _, t in splits])
    flat = faiss.IndexFlatIP(vecs.shape[1])
    flat.add(vecs)
    out = []
    for it in items:
        t0 = time.perf_counter()
        scores, ids = flat.search(assistant.embedder.embed_query_np(it["question"]).reshape(1, -1), k)
        out.append(
            {
                "id": it["id"],
                "answer": None,
                "retrieved": [
                    {"source": splits[i][0], "text": splits[i][1], "score": float(sc)}
                    for sc, i in zip(scores[0], ids[0])
                    if i >= 0
                ],
                "latency_s": time.perf_counter() - t0,
            }
        )
    return out


def read_feedback(path: Path) -> dict:
    """Summary of thumbs up/down from the chat's feedback file."""
    ups = downs = 0
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            ups += r.get("rating") == "up"
            downs += r.get("rating") == "down"
    return {"up": ups, "down": downs, "total": ups + downs}


# ---------- commands ----------


def _set_settings(settings, evalset: EvalSet, scratch_root: Path, embedder):
    """The settings to answer a set with, its index built: for a set about new documents,
    a scratch corpus indexed as an admin adds minutes (the corpus, then the new documents,
    incrementally); otherwise the configured corpus and index."""
    from assistant.index.indexer import build_index

    if evalset.docs_dir is None:
        build_index(settings, embedder)
        return settings
    scratch = scratch_root / evalset.name
    if not (scratch / "index").exists():
        build_index(scratch_settings(settings, evalset, scratch, with_docs=False), embedder)
    s = scratch_settings(settings, evalset, scratch)
    report = build_index(s, embedder)
    if report.errors:
        raise EvalDataError(f"The documents of {evalset.path.parent} did not all index: {report.errors}")
    return s


def _chat_model(settings, cache: Path | None):
    from assistant.models.llm import make_chat_model

    model = make_chat_model(settings)
    if cache is None:
        return model
    from assistant.evaluation.llm_cache import CachedChat

    name = (
        settings.llm_model_name if settings.llm_provider == "local" else f"{settings.llm_base_url}:{settings.llm_model}"
    )
    return CachedChat(model, cache, name)


def _halves(items: list[dict]) -> dict[str, list[int]]:
    """Question positions of each half in the run, and of the whole run when it holds both."""
    out: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        out.setdefault(it.get("split") or "all", []).append(i)
    if len(out) > 1:
        out["all"] = list(range(len(items)))
    return out


def cmd_eval(args, settings) -> int:
    from assistant.answer.answerers import USES_LLM
    from assistant.models.embeddings import load_embedder
    from assistant.pipeline.assistant import Assistant

    names = [n.strip() for n in (args.answerers or settings.answer_backend).split(",") if n.strip()]
    ablate = (
        [r for r in RULES] if args.ablate == "all" else [r.strip() for r in (args.ablate or "").split(",") if r.strip()]
    )
    for r in ablate:
        RULES.get(r)  # an unknown rule is a ConfigError before anything loads
    embedder = load_embedder(settings)
    embedder.warm_up()
    llm = _chat_model(settings, None if args.no_llm_cache else args.llm_cache) if set(names) & USES_LLM else None
    sets, reports, ablations = [load_set(p) for p in args.dataset or [Path("eval/qa.jsonl")]], [], []
    for evalset in sets:
        if args.split in ("test", "all") and evalset.docs_dir is not None:
            check_frozen(evalset)
        items = evalset.half(args.split)
        if not items:
            raise EvalDataError(f"{evalset.path} has no {args.split} questions.")
        s = _set_settings(settings, evalset, args.scratch, embedder)
        results = {}
        for name in names:  # the same retrieval, one answer backend after the other
            a = Assistant(s.replace(answer_backend=name), embedder=embedder, chat_model=llm).warm_up()
            key = "assistant" if len(names) == 1 else f"assistant/{name}"
            results[key] = run_assistant(a, items, args.k, f"{evalset.name}: {name}")
        if args.baselines:
            results["bm25"] = run_bm25(a, items, args.k)
            results["langchain-textbook"] = run_langchain(a, items, args.k)
        rows = {name: summarize(items, recs) for name, recs in results.items()}
        print(f"\n## {evalset.path} ({args.split}, {len(items)} questions)\n\n{table(rows)}")
        reports.append((evalset, items, results, rows))
        for rule in ablate:
            off = Assistant(
                s.replace(answer_backend=names[0], **switched_off(rule)), embedder=embedder, chat_model=llm
            ).warm_up()
            recs = run_assistant(off, items, args.k, f"{evalset.name}: without {rule}")
            base = results["assistant" if len(names) == 1 else f"assistant/{names[0]}"]
            rows_of_rule = [
                {
                    "rule": rule,
                    "set": evalset.name,
                    "half": half,
                    "n": len(idx),
                    "with": summarize([items[i] for i in idx], [base[i] for i in idx]),
                    "without": summarize([items[i] for i in idx], [recs[i] for i in idx]),
                }
                for half, idx in _halves(items).items()
            ]
            print(ablation_table(rows_of_rule).split("\n", 2)[2], flush=True)  # this rule's lines, as soon as known
            ablations += rows_of_rule
        if args.out:
            out = Path(args.out)
            out = out if len(sets) == 1 else out.with_name(f"{out.stem}.{evalset.name}{out.suffix}")
            out.parent.mkdir(parents=True, exist_ok=True)
            with open(out, "w", encoding="utf-8") as f:
                for name, recs in results.items():
                    for rec in recs if name.startswith("assistant") else ():
                        f.write(json.dumps(dict(rec, system=name), ensure_ascii=False) + "\n")
    if ablations:
        print("\n## Ablation: each rule switched off (change against the rule on)\n\n" + ablation_table(ablations))
        if args.out:
            Path(args.out).with_name("ablation.json").write_text(json.dumps(ablations, indent=1), encoding="utf-8")
    if llm is not None and hasattr(llm, "hits"):
        print(
            f"model calls answered from the cache: {llm.hits} of {llm.hits + llm.misses} ({args.llm_cache}); "
            "latencies of cached answers are not the product's"
        )
    if args.report:
        machine = (
            f"{hardware.cpu_name()}, {hardware.physical_cores()} cores, documents "
            f"{getattr(embedder, 'dtype_name', '?')}, questions {getattr(embedder, 'query_dtype_name', '?')}"
        )
        meta = {
            "model": settings.embedding_model,
            "when": time.strftime("%Y-%m-%d %H:%M"),
            "machine": machine,
            "split": args.split,
            "cached": bool(llm is not None and getattr(llm, "hits", 0)),
        }
        write_report(args.report, reports, args.k, meta, ablations)
        print(f"report: {args.report}")
    if args.feedback and Path(args.feedback).is_file():
        print(f"feedback: {read_feedback(args.feedback)}")
    return 0


def outcomes(scores: list[float], answerable: list[bool], thr: float) -> tuple[list[bool], list[bool]]:
    """At threshold `thr`: for each answerable question whether it is answered, and for
    each unanswerable one whether the assistant abstains."""
    return ([s >= thr for s, a in zip(scores, answerable) if a], [s < thr for s, a in zip(scores, answerable) if not a])


def calibrate(best_scores: list[float], answerable: list[bool]) -> tuple[float, float]:
    """Threshold maximising balanced accuracy (abstain on unanswerable, answer the
    answerable); returns (threshold, balanced accuracy). Pure function."""
    cands = sorted(set(best_scores))
    best = (cands[0] if cands else 0.0, -1.0)
    for i, t in enumerate(cands):
        thr = (t + cands[i - 1]) / 2 if i else t - 1e-6
        ans_ok, un_ok = outcomes(best_scores, answerable, thr)
        bal = (sum(ans_ok) / max(len(ans_ok), 1) + sum(un_ok) / max(len(un_ok), 1)) / 2
        if bal > best[1]:
            best = (thr, bal)
    return round(best[0], 4), best[1]


def cmd_calibrate(args, settings) -> int:
    from assistant.pipeline.assistant import Assistant

    items = load_dataset(args.dataset)
    items = [it for it in items if args.split in ("all", it.get("split"))]
    assistant = Assistant(settings.replace(abstain_threshold=-1.0)).warm_up()
    recs = run_assistant(assistant, items, args.k)
    scores = [r["best_score"] for r in recs]
    ans = [it["answerable"] for it in items]
    thr, bal = calibrate(scores, ans)
    print(f"all {len(items)} questions: threshold {thr} (balanced accuracy {bal:.3f})")
    # honesty check: fit on one half, score on the other
    for fit, test in ((0, 1), (1, 0)):
        f_idx = [i for i in range(len(items)) if i % 2 == fit]
        t_idx = [i for i in range(len(items)) if i % 2 == test]
        t, _ = calibrate([scores[i] for i in f_idx], [ans[i] for i in f_idx])
        a_ok, u_ok = outcomes([scores[i] for i in t_idx], [ans[i] for i in t_idx], t)
        print(
            f"  fit on half {fit}: threshold {t}; held-out half {test}: answered {sum(a_ok)}/{len(a_ok)} answerable, "
            f"abstained {sum(u_ok)}/{len(u_ok)} unanswerable"
        )
    print(f"set `abstain_threshold = {thr}` in assistant.toml (or the default in assistant/config.py)")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("eval", help="evaluate on one or more question sets")
    p.add_argument(
        "--dataset", type=Path, action="append", help="a JSONL question set (repeat for several; default eval/qa.jsonl)"
    )
    p.add_argument(
        "--split",
        choices=("tune", "test", "all"),
        default="all",
        help="which half to run; the test half is frozen and only reported",
    )
    p.add_argument("--out", type=Path, help="write one JSON record per question here")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--baselines", action="store_true", help="also score BM25 alone and the textbook LangChain pipeline")
    p.add_argument(
        "--answerers",
        help="comma-separated answer backends to compare, e.g. selector,extractive (default: the configured one)",
    )
    p.add_argument("--ablate", help="'all' or comma-separated rules (core/rules.py): run again with each switched off")
    p.add_argument(
        "--llm-cache",
        type=Path,
        default=Path("eval/out/llm-cache.sqlite"),
        help="answer identical model calls from this file (default eval/out/llm-cache.sqlite)",
    )
    p.add_argument("--no-llm-cache", action="store_true", help="call the model for every question (for latencies)")
    p.add_argument(
        "--scratch",
        type=Path,
        default=Path("eval/out/scratch"),
        help="where a set's documents are indexed beside the corpus",
    )
    p.add_argument("--report", type=Path, help="write a markdown report (+ PNG plot beside it)")
    p.add_argument("--feedback", type=Path, help="also summarise a chat feedback JSONL file")
    p.set_defaults(fn=cmd_eval, dataset=None)
    p = sub.add_parser("calibrate", help="calibrate the abstention threshold on a dataset")
    p.add_argument("--dataset", type=Path, default=Path("eval/qa.jsonl"))
    p.add_argument("--split", choices=("tune", "test", "all"), default="tune")
    p.add_argument("-k", type=int, default=5)
    p.set_defaults(fn=cmd_calibrate)
