"""Benchmark: prints figures, asserts nothing.

  python eval/bench.py [--scale 50000] [--queries 40]

- cold start (model + index load), index build throughput (full rebuild, chunks/s),
  incremental re-index after one changed document (ratio to the full rebuild),
  query latency p50/p95 for retrieval and for the full answer, peak memory;
- scale: a synthetic corpus of N chunks made from the corpus's own sentences, with
  embeddings reused from the real sentence vectors (mean of 3 random sentence vectors,
  normalised), to show query latency vs corpus size for exact (flat) FAISS against
  HNSW and IVF, with recall@10 against exact search.
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import load_settings  # noqa: E402
from assistant.evaluation import load_dataset  # noqa: E402
from assistant.indexer import build_index  # noqa: E402
from assistant.metrics import percentile  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402


def p50_p95(xs):
    return f"p50 {median(xs) * 1000:.1f} ms, p95 {percentile(xs, 95) * 1000:.1f} ms"


def scale_run(sent_vecs: np.ndarray, queries: np.ndarray, sizes: list[int], k: int = 10) -> None:
    import faiss

    rng = np.random.default_rng(0)
    print(f"\nscale run (synthetic chunks = mean of 3 real sentence vectors; {len(queries)} queries, recall@{k} vs exact)")
    print(f"{'chunks':>8} | {'flat p50/p95 ms':>16} | {'HNSW32 p50/p95 ms':>18} | {'HNSW recall':>11} | {'IVF p50/p95 ms':>15} | {'IVF recall':>10} | build HNSW/IVF s")
    for n in sizes:
        picks = rng.integers(0, len(sent_vecs), size=(n, 3))
        X = sent_vecs[picks].mean(axis=1)
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        X = np.ascontiguousarray(X, dtype=np.float32)
        d = X.shape[1]
        flat = faiss.IndexFlatIP(d); flat.add(X)
        t = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT); hnsw.hnsw.efConstruction = 80; hnsw.add(X)
        hnsw.hnsw.efSearch = 64
        t_h = time.perf_counter() - t
        t = time.perf_counter()
        nlist = max(16, int(np.sqrt(n)))
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.train(X); ivf.add(X); ivf.nprobe = max(4, nlist // 16)
        t_i = time.perf_counter() - t

        def timed(index):
            lat, res = [], []
            for q in queries:
                t0 = time.perf_counter()
                _, ids = index.search(q.reshape(1, -1), k)
                lat.append(time.perf_counter() - t0)
                res.append(set(ids[0].tolist()))
            return lat, res
        lf, rf = timed(flat); lh, rh = timed(hnsw); li, ri = timed(ivf)
        rec = lambda rs: np.mean([len(a & b) / k for a, b in zip(rs, rf)])
        fmt = lambda l: f"{median(l) * 1000:.2f}/{percentile(l, 95) * 1000:.2f}"
        print(f"{n:>8} | {fmt(lf):>16} | {fmt(lh):>18} | {rec(rh):>11.3f} | {fmt(li):>15} | {rec(ri):>10.3f} | {t_h:.1f}/{t_i:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=50000)
    ap.add_argument("--queries", type=int, default=40)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        shutil.copytree(ROOT / "corpus", tmp / "corpus")
        settings = load_settings(tmp, env={}, models_dir=str(ROOT / "models"))
        a = Assistant(settings)
        t = time.perf_counter(); a.embedder.warm_up(); t_model = time.perf_counter() - t
        t = time.perf_counter(); rep = build_index(settings, a.embedder); t_full = time.perf_counter() - t
        print(f"model load (cold): {t_model:.1f} s")
        print(f"full index build: {rep.total_chunks} chunks + {rep.embedded_sentences} sentences in {t_full:.1f} s "
              f"= {rep.total_chunks / t_full:.2f} chunks/s ({(rep.total_chunks + rep.embedded_sentences) / t_full:.1f} texts/s)")
        changed = tmp / "corpus" / "2021-05-19_sv_natverket-medicinska-sekreterare-maj-2021.txt"
        changed.write_text(changed.read_text(encoding="utf-8") + "\nTillägg: nästa möte hålls i Umeå.\n", encoding="utf-8")
        t = time.perf_counter(); rep2 = build_index(settings, a.embedder); t_inc = time.perf_counter() - t
        print(f"incremental re-index after 1 changed document: {t_inc:.1f} s ({rep2.embedded_chunks} chunks re-embedded), "
              f"{t_inc / t_full:.2f} x full rebuild")
        t = time.perf_counter(); a.warm_up(); t_index = time.perf_counter() - t
        print(f"index load + retriever set-up: {t_index * 1000:.0f} ms; cold start total ≈ {t_model + t_index:.1f} s")
        qs = [it["question"] for it in load_dataset(ROOT / "eval" / "qa.jsonl")][: args.queries]
        a.ask(qs[0])  # first-query warm-up (BM25 build, torch kernels)
        ret, full = [], []
        for q in qs:
            t = time.perf_counter(); a.retrieve(q); ret.append(time.perf_counter() - t)
            t = time.perf_counter(); a.ask(q); full.append(time.perf_counter() - t)
        print(f"retrieval latency ({len(qs)} questions): {p50_p95(ret)}")
        print(f"full answer latency ({len(qs)} questions): {p50_p95(full)}")
        print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        qvec = np.stack([a.embedder.embed_query_np(q) for q in qs])
        sizes = sorted({s for s in (1000, 10000, args.scale) if s <= args.scale})
        scale_run(a.index.sentence_vectors, qvec, sizes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
