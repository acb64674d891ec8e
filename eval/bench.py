"""Benchmark: prints figures, asserts nothing. Run it on an idle machine.

  python eval/bench.py [--queries 40] [--answerers extractive,reader] [--skip-dtypes]

- the CPU's flags and the dtypes chosen for documents and questions, with the raw
  model's speed in each dtype (passages/s on 48 real chunks, question p50);
- a fresh index build of the shipped corpus: total time, embedding throughput against
  the raw model's throughput in the chosen dtype on the same texts (the ratio);
  incremental re-index after one changed document;
- retrieval latency p50/p95, and per answer backend the time to first text and the
  full answer p50/p95; peak memory.
Scale (50k/200k chunks; FAISS flat / HNSW / pgvector): eval/bench_scale.py.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.base import Answer  # noqa: E402
from assistant.core.config import load_settings  # noqa: E402
from assistant.evaluation.metrics import percentile  # noqa: E402
from assistant.evaluation.run import load_dataset  # noqa: E402
from assistant.index.indexer import build_index  # noqa: E402
from assistant.index.sentence_text import index_texts  # noqa: E402
from assistant.ingest.chunking import chunk_document  # noqa: E402
from assistant.ingest.loaders import load_corpus  # noqa: E402
from assistant.models import hardware  # noqa: E402
from assistant.models.embeddings import SentenceTransformerEmbedder, load_embedder  # noqa: E402
from assistant.pipeline.assistant import Assistant  # noqa: E402


def p50_p95(xs) -> str:
    return f"p50 {median(xs) * 1000:.0f} ms, p95 {percentile(xs, 95) * 1000:.0f} ms"


def dtype_speeds(emb: SentenceTransformerEmbedder, chunks: list[str], questions: list[str]) -> None:
    print(
        f"CPU: {hardware.cpu_name()}, {hardware.physical_cores()} physical cores; "
        f"native bf16: {hardware.native_bf16()}; "
        f"VNNI int8: {hardware.int8_dot()}"
    )
    print(f"chosen: documents {emb.dtype_name}, questions {emb.query_dtype_name}")
    onnx = bool({emb.dtype_name, emb.query_dtype_name} & {"onnx-float32", "onnx-int8"})  # the export is there
    for dtype in ("float32", "bfloat16", "int8", *(("onnx-float32",) if onnx else ())):
        emb._encode(dtype, "encode_document", chunks[:4])
        t = time.perf_counter()
        for s in range(0, len(chunks), emb.batch_size):  # as the indexer calls it
            emb._encode(dtype, "encode_document", chunks[s : s + emb.batch_size])
        docs = len(chunks) / (time.perf_counter() - t)
        lat = []
        for q in questions:
            t = time.perf_counter()
            emb._encode(dtype, "encode_query", [q])
            lat.append(time.perf_counter() - t)
        print(f"  {dtype:>12}: {docs:.2f} passages/s ({len(chunks)} chunks), question p50 {median(lat) * 1000:.0f} ms")
        if dtype not in (emb.dtype_name, emb.query_dtype_name):
            emb._models.pop(dtype, None)
    if onnx:  # int8: questions only (onnx_encoder.py)
        lat = []
        for q in [questions[0], *questions]:
            t = time.perf_counter()
            emb._encode("onnx-int8", "encode_query", [q])
            lat.append(time.perf_counter() - t)
        print(f"     onnx-int8: questions only (ONNX Runtime), question p50 {median(lat[1:]) * 1000:.0f} ms")


def answer_latency(a: Assistant, questions: list[str]) -> str:
    first, full = [], []
    for q in questions:
        t0 = time.perf_counter()
        ttft = None
        for item in a.stream(q):
            if isinstance(item, str) and ttft is None:
                ttft = time.perf_counter() - t0
            if isinstance(item, Answer):
                full.append(time.perf_counter() - t0)
        first.append(ttft if ttft is not None else full[-1])
    return f"first text {p50_p95(first)}; full answer {p50_p95(full)}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--answerers", default="extractive")
    ap.add_argument("--skip-dtypes", action="store_true")
    args = ap.parse_args()
    questions = [it["question"] for it in load_dataset(ROOT / "eval" / "qa.jsonl")][: args.queries]
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        shutil.copytree(ROOT / "corpus", tmp / "corpus")
        settings = load_settings(tmp, env={}, models_dir=str(ROOT / "models"))
        emb = load_embedder(settings)
        t = time.perf_counter()
        emb.warm_up()
        t_model = time.perf_counter() - t
        print(f"question encoder load (cold): {t_model:.1f} s")
        docs = load_corpus(tmp / "corpus").documents
        chunks = [c for d in docs for c in chunk_document(d)]
        if not args.skip_dtypes and isinstance(emb, SentenceTransformerEmbedder):
            dtype_speeds(emb, [c.embed_text for c in chunks[:48]], questions[:10])

        t = time.perf_counter()
        rep = build_index(settings, emb)
        t_full = time.perf_counter() - t
        texts = rep.embedded_chunks + rep.embedded_sentences + rep.embedded_in_context
        print(
            f"fresh index build: {rep.total_chunks} chunks + {rep.embedded_sentences} sentences "
            f"(+{rep.embedded_in_context} in context) in {t_full:.1f} s "
            f"(embedding {rep.embed_seconds:.1f} s = {texts / rep.embed_seconds:.1f} texts/s)"
        )
        all_texts = index_texts(chunks)[0]
        t = time.perf_counter()
        emb.embed_documents_np(all_texts)
        t_raw = time.perf_counter() - t
        print(
            f"raw model on the same {len(all_texts)} texts in one call: {len(all_texts) / t_raw:.1f} texts/s; "
            f"index embedding / raw time = {rep.embed_seconds / t_raw:.2f}x"
        )
        changed = tmp / "corpus" / "2021-05-19_sv_natverket-medicinska-sekreterare-maj-2021.txt"
        changed.write_text(
            changed.read_text(encoding="utf-8") + "\nTillägg: nästa möte hålls i Umeå.\n", encoding="utf-8"
        )
        t = time.perf_counter()
        rep2 = build_index(settings, emb)
        t_inc = time.perf_counter() - t
        print(
            f"incremental re-index after 1 changed document: {t_inc:.1f} s ({rep2.embedded_chunks} chunks "
            f"re-embedded), {t_inc / t_full:.2f}x the fresh build"
        )

        for name in args.answerers.split(","):
            a = Assistant(settings.replace(answer_backend=name), embedder=emb).warm_up()
            a.ask(questions[0])  # warm-up (BM25 index, kernels, LLM prompt cache)
            if name == args.answerers.split(",")[0]:
                lat = []
                for q in questions:
                    t = time.perf_counter()
                    a.retrieve(q)
                    lat.append(time.perf_counter() - t)
                print(f"retrieval ({len(questions)} questions): {p50_p95(lat)}")
            print(f"answer [{name}] ({len(questions)} questions): {answer_latency(a, questions)}")
        print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
