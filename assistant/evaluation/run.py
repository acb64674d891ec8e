"""`assistant eval` and `assistant calibrate`.

eval runs every question of a dataset (JSONL: id, lang, question, evidence,
answer_all, answerable) through the real pipeline, writes one record per question,
and prints the metrics; with --baselines it also scores BM25 alone and the textbook
LangChain pipeline (RecursiveCharacterTextSplitter 1000/200 + the same embedder +
FAISS top-k) on the same questions."""
from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.models import hardware
from assistant.core.errors import EvalDataError
from assistant.evaluation.metrics import summarize
from assistant.evaluation.report import table, write_report

REQUIRED = {"id": str, "lang": str, "question": str, "evidence": list, "answer_all": list, "answerable": bool}


def load_dataset(path: Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise EvalDataError(f"Dataset {path} not found.")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise EvalDataError(f"{path}:{n}: not valid JSON ({e.msg}).") from e
        for key, typ in REQUIRED.items():
            if not isinstance(row.get(key), typ):
                raise EvalDataError(f"{path}:{n}: field {key!r} missing or not a {typ.__name__}.")
        if row["answerable"] and not row["evidence"]:
            raise EvalDataError(f"{path}:{n}: an answerable question needs at least one evidence string.")
        row.setdefault("kind", "answerable" if row["answerable"] else "unanswerable")
        items.append(row)
    if not items:
        raise EvalDataError(f"Dataset {path} is empty.")
    return items


# ---------- systems ----------

def run_assistant(assistant, items, k: int) -> list[dict]:
    """Each question through the streaming chain, as the chat runs it: time to the first
    text, the full answer, and what the answer step reports (LLM tokens, selection)."""
    from assistant.answer.base import Answer, Preview

    out = []
    for it in items:
        t0, first, evidence, a = time.perf_counter(), None, None, None
        for item in assistant.stream(it["question"], k=k):
            if isinstance(item, Preview):
                evidence = time.perf_counter() - t0
            elif isinstance(item, str) and first is None:
                first = time.perf_counter() - t0
            elif isinstance(item, Answer):
                a = item
        j = a.to_json()
        out.append({"id": it["id"], "question": it["question"], "language": a.language, "answer": a.text,
                    "abstained": a.abstained, "best_score": a.best_score, "backend": a.backend, "note": a.note,
                    "citations": [{"n": c["n"], "source": c["source"], "text": c["text"]} for c in j["citations"]],
                    "retrieved": [{"source": r["source"], "text": r["text"], "score": r["score"]} for r in j["retrieved"]],
                    "latency_s": a.latency_s, "evidence_s": evidence, "first_text_s": first, "grounding": a.grounding,
                    "prompt_tokens": a.grounding.get("prompt_tokens", 0)})
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
        out.append({"id": it["id"], "answer": None, "retrieved": [{"source": c.source, "text": c.text, "score": s}
                    for c, (_, s) in zip(chunks, hits)], "latency_s": time.perf_counter() - t0})
    return out


def run_langchain(assistant, items, k: int) -> list[dict]:
    """The textbook pipeline: RecursiveCharacterTextSplitter(1000, 200) over each
    document, the same embedder, exact FAISS inner-product top-k."""
    import faiss

    try:
        from langchain_text_splitters import RecursiveCharacterTextSplitter
    except ImportError as e:
        raise EvalDataError("The textbook baseline needs langchain-text-splitters: pip install 'minutes-assistant[eval]'") from e
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    splits = [(s, t) for s, d in sorted(assistant.index.documents.items()) for t in splitter.split_text(d.text)]
    vecs = assistant.embedder.embed_documents_np([t for _, t in splits])
    flat = faiss.IndexFlatIP(vecs.shape[1])
    flat.add(vecs)
    out = []
    for it in items:
        t0 = time.perf_counter()
        scores, ids = flat.search(assistant.embedder.embed_query_np(it["question"]).reshape(1, -1), k)
        out.append({"id": it["id"], "answer": None, "retrieved": [{"source": splits[i][0], "text": splits[i][1],
                    "score": float(sc)} for sc, i in zip(scores[0], ids[0]) if i >= 0],
                    "latency_s": time.perf_counter() - t0})
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

def cmd_eval(args, settings) -> int:
    from assistant.pipeline.assistant import Assistant

    items = load_dataset(args.dataset)
    names = [n.strip() for n in (args.answerers or settings.answer_backend).split(",") if n.strip()]
    assistant = Assistant(settings.replace(answer_backend=names[0])).warm_up()
    results = {}
    for name in names:  # the same retrieval, one answer backend after the other
        a = assistant if name == names[0] else Assistant(settings.replace(answer_backend=name), embedder=assistant.embedder)
        results["assistant" if len(names) == 1 else f"assistant/{name}"] = run_assistant(a, items, args.k)
    if args.baselines:
        results["bm25"] = run_bm25(assistant, items, args.k)
        results["langchain-textbook"] = run_langchain(assistant, items, args.k)
    rows = {name: summarize(items, recs) for name, recs in results.items()}
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            for name, recs in results.items():
                for rec in recs if name.startswith("assistant") else ():
                    f.write(json.dumps(dict(rec, system=name), ensure_ascii=False) + "\n")
    print(table(rows))
    if args.report:
        emb = assistant.embedder
        machine = (f"{hardware.cpu_name()}, {hardware.physical_cores()} cores, documents "
                   f"{getattr(emb, 'dtype_name', '?')}, questions {getattr(emb, 'query_dtype_name', '?')}")
        meta = {"dataset": str(args.dataset), "model": settings.embedding_model, "when": time.strftime("%Y-%m-%d %H:%M"),
                "machine": machine}
        write_report(args.report, items, results, rows, args.k, meta)
        print(f"report: {args.report}")
    if args.feedback and Path(args.feedback).is_file():
        print(f"feedback: {read_feedback(args.feedback)}")
    return 0


def outcomes(scores: list[float], answerable: list[bool], thr: float) -> tuple[list[bool], list[bool]]:
    """At threshold `thr`: for each answerable question whether it is answered, and for
    each unanswerable one whether the assistant abstains."""
    return ([s >= thr for s, a in zip(scores, answerable) if a],
            [s < thr for s, a in zip(scores, answerable) if not a])


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
        print(f"  fit on half {fit}: threshold {t}; held-out half {test}: answered {sum(a_ok)}/{len(a_ok)} answerable, "
              f"abstained {sum(u_ok)}/{len(u_ok)} unanswerable")
    print(f"set `abstain_threshold = {thr}` in assistant.toml (or the default in assistant/config.py)")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("eval", help="evaluate on a JSONL dataset")
    p.add_argument("--dataset", type=Path, default=Path("eval/qa.jsonl"))
    p.add_argument("--out", type=Path, help="write one JSON record per question here")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--baselines", action="store_true", help="also score BM25 alone and the textbook LangChain pipeline")
    p.add_argument("--answerers", help="comma-separated answer backends to compare, e.g. reader,extractive "
                                       "(default: the configured one)")
    p.add_argument("--report", type=Path, help="write a markdown report (+ PNG plot beside it)")
    p.add_argument("--feedback", type=Path, help="also summarise a chat feedback JSONL file")
    p.set_defaults(fn=cmd_eval)
    p = sub.add_parser("calibrate", help="calibrate the abstention threshold on a dataset")
    p.add_argument("--dataset", type=Path, default=Path("eval/qa.jsonl"))
    p.add_argument("-k", type=int, default=5)
    p.set_defaults(fn=cmd_calibrate)
