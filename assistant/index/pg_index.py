"""The read side of the pgvector store: `PgIndex` answers retrieval from one generation
of the tables at a time (see `pg_schema.py`).

Each `dense()` call, the first step of every question, checks the current generation
(one cheap query) and pins it for the calling thread, so a question sees one index
version throughout (its keyword search, chunks, documents and manifest) while every
process follows re-indexes done elsewhere. Chunk keys are the chunks
table's ids; a chunk row never changes, so rows and documents are cached by id. Dense
search is exact (a scan of the allowed rows) up to `pg_exact_max_chunks` searched
chunks, else HNSW with iterative scans when filtered; keyword search is BM25 computed
in SQL over the full-text index (`pg_sql.py`)."""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from assistant.ingest.chunking import Chunk, Heading
from assistant.core.errors import IndexMismatchError, IndexMissingError
from assistant.index.filters import Filters
from assistant.index.lexical import words
from assistant.index import pg_sql as sql
from assistant.index.pg_conn import IndexChangedError, Options, Pool
from assistant.index.pg_schema import CHUNKS, DOCS, IN_SCHEMA, MAX_HNSW_DIM, META, SCHEMA_VERSION, TSCONFIGS
from assistant.index.store import DocRecord

_QUESTION_SECONDS = 120.0     # after dense(), the thread stays on its generation this long (answer + citations)
_REBUILD = "Run `assistant index --rebuild`."


@dataclass(frozen=True)
class _View:
    """One generation: its manifest, live document ids and the ids of rows that are
    still in the tables but no longer part of it."""
    generation: int
    manifest: dict
    doc_ids: dict[str, int]
    dead: tuple[int, ...]
    incarnation: str = ""       # changes when the tables are re-created (ids start again)


class _Documents(Mapping[str, DocRecord]):
    """source -> DocRecord of the generation the calling thread works on, loaded on demand."""

    def __init__(self, index: "PgIndex"):
        self._index = index

    def __getitem__(self, source: str) -> DocRecord:
        return self._index._document(self._index._view().doc_ids[source])

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._index._view().doc_ids))

    def __len__(self) -> int:
        return len(self._index._view().doc_ids)


class PgIndex:
    def __init__(self, pool: Pool, options: Options, name: str, view: _View):
        self._pool, self._opt, self._name = pool, options, name
        self._latest = view
        self._identity = (view.manifest["embedding"], view.manifest["chunker"])
        self._local = threading.local()
        self._lock = threading.Lock()
        self._rows: OrderedDict[int, tuple] = OrderedDict()
        self._docs: OrderedDict[int, DocRecord] = OrderedDict()
        self.documents: Mapping[str, DocRecord] = _Documents(self)

    # ---- generations ----
    def _view(self) -> _View:
        """The calling thread's generation while its question lasts (and its rows are still
        kept, i.e. at most one generation behind), else the current one."""
        pin = getattr(self._local, "pin", None)
        if pin is not None and time.monotonic() - pin[0] < _QUESTION_SECONDS and \
                pin[1].generation >= self._latest.generation - 1:
            return pin[1]
        return self._pin()

    @property
    def manifest(self) -> dict:
        return self._view().manifest

    @property
    def generation(self) -> int:
        return self._view().generation

    @property
    def path(self) -> str:
        return f"{self._name} (generation {self.generation})"

    def __len__(self) -> int:
        return int(self.manifest["n_chunks"])

    def _pin(self) -> _View:
        """Check the current generation (one cheap query), load it if new, pin it for this thread."""
        gen = self._pool.run(lambda c: _missing_is_none(lambda: c.execute(f"SELECT generation FROM {META}").fetchone()))
        if gen is None:
            raise IndexMissingError(f"The index in {self._name} is gone. Build it with `assistant index`.")
        view = self._latest
        if gen[0] != view.generation:
            fresh = load_view(self._pool, self._name)
            if fresh is None:
                raise IndexMissingError(f"The index in {self._name} is gone. Build it with `assistant index`.")
            view = fresh
            if (view.manifest["embedding"], view.manifest["chunker"]) != self._identity:
                e = view.manifest["embedding"]
                raise IndexMismatchError(
                    f"The index in {self._name} was rebuilt by another process with embedding model "
                    f"{e['model_id']} (hash {e['model_hash'][:12]}) or other chunker settings than this process uses. "
                    "Restart this app with the same settings, or re-index with `assistant index --rebuild`.")
            with self._lock:
                if view.incarnation != self._latest.incarnation:  # re-created tables: cached ids mean other rows
                    self._rows.clear()
                    self._docs.clear()
                if view.generation > self._latest.generation:
                    self._latest = view
        self._local.pin = (time.monotonic(), view)
        return view

    def _where(self, view: _View, f: Filters) -> tuple[str, dict]:
        parts: list[str] = ["c.gen_from <= %(gen)s"]
        params: dict[str, Any] = {"gen": view.generation}
        if view.dead:
            parts.append("NOT (c.doc_id = ANY(%(dead)s))")
            params["dead"] = list(view.dead)
        if f.sources:
            parts.append("(" + " OR ".join(f"strpos(c.source, %(src{i})s) > 0" for i in range(len(f.sources))) + ")")
            params |= {f"src{i}": s for i, s in enumerate(f.sources)}
        if f.languages:
            parts.append("c.language = ANY(%(langs)s)")
            params["langs"] = list(f.languages)
        if f.year_from:
            parts.append("c.year >= %(year_from)s")
            params["year_from"] = int(f.year_from)
        if f.year_to:
            parts.append("c.year <= %(year_to)s")
            params["year_to"] = int(f.year_to)
        return " AND ".join(parts), params

    # ---- search ----
    def dense(self, query: np.ndarray, k: int, filters: Filters) -> list[tuple[int, float]]:
        from pgvector import Vector

        view = self._pin()
        if k <= 0:
            return []
        m = view.manifest
        allowed = [s for s, d in m["documents"].items() if filters.allows_document(s, d["language"], d["date"])] \
            if filters.active else []
        searched = sum(m["documents"][s]["n_chunks"] for s in allowed) if filters.active else m["n_chunks"]
        exact = searched <= self._opt.exact_max_chunks or m["embedding"]["dim"] > MAX_HNSW_DIM
        where, params = self._where(view, filters)
        if exact and filters.active:  # the same documents again by id: lets PostgreSQL read only their rows
            where += " AND c.doc_id = ANY(%(allowed)s)"
            params["allowed"] = [view.doc_ids[s] for s in allowed]
        query_sql = (sql.DENSE_EXACT if exact else sql.DENSE_HNSW).format(where=where)
        params |= {"q": Vector(np.asarray(query, np.float32).ravel()), "k": int(k)}
        rows = self._pool.run(lambda c: c.execute(query_sql, params).fetchall())
        return [(int(i), float(-d)) for i, d in rows]

    def lexical(self, question: str, k: int, filters: Filters) -> list[tuple[int, float]]:
        view = self._view()
        q = " ".join(words(question))
        terms = self._pool.run(lambda c: c.execute(sql.TERMS, {"langs": list(TSCONFIGS), "q": q}).fetchall())
        if not terms or k <= 0:
            return []
        n, total = terms[0][2], terms[0][3]
        idf = [math.log(1 + (n - df + 0.5) / (df + 0.5)) for _, df, _, _ in terms]
        where, params = self._where(view, filters)
        params |= {"lex": [t[0] for t in terms], "idf": idf, "tsq": sql.tsquery(sql.candidate_terms(terms)),
                   "avgdl": max(total / max(n, 1), 1.0), "k": int(k)}
        rows = self._pool.run(lambda c: c.execute(sql.BM25.format(where=where), params).fetchall())
        return [(int(i), float(s)) for i, s in rows if s > 0]

    # ---- rows by key ----
    def _fetch(self, keys: Sequence[int]) -> list[tuple]:
        with self._lock:
            missing = [k for k in dict.fromkeys(keys) if k not in self._rows]
        if missing:
            dim = int(self.manifest["embedding"]["dim"])

            def load(conn):
                with conn.cursor(binary=True) as cur:
                    return cur.execute(sql.ROWS, (list(missing),)).fetchall()

            for r in self._pool.run(load):
                chunk = Chunk(r[1], r[2], r[3], r[4], r[5], tuple(r[6]), r[7], r[8], r[9],
                              tuple(zip(r[12], r[13])) if r[12] else (), r[10])
                svec, ssvec = (np.vstack([v.to_numpy() for v in vs]) if vs else np.zeros((0, dim), np.float32)
                               for vs in (r[14], r[15]))
                with self._lock:
                    self._rows[int(r[0])] = (chunk, r[11].to_numpy(), svec, ssvec)
        out = []
        with self._lock:
            for k in keys:
                if k not in self._rows:
                    raise IndexChangedError("The index was re-indexed twice by other processes while this question was "
                                            "answered. Ask again.")
                self._rows.move_to_end(k)
                out.append(self._rows[k])
            while len(self._rows) > 1024:
                self._rows.popitem(last=False)
        return out

    def chunks(self, keys: Sequence[int]) -> list[Chunk]:
        return [r[0] for r in self._fetch(keys)]

    def chunk_vectors(self, keys: Sequence[int]) -> np.ndarray:
        dim = int(self.manifest["embedding"]["dim"])
        rows = self._fetch(keys)
        return np.vstack([r[1] for r in rows]) if rows else np.zeros((0, dim), np.float32)

    def sentence_vectors(self, keys: Sequence[int]) -> list[np.ndarray]:
        return [r[2] for r in self._fetch(keys)]

    def sentence_search_vectors(self, keys: Sequence[int]) -> list[np.ndarray]:
        return [r[3] for r in self._fetch(keys)]

    def document_chunks(self, source: str) -> list[tuple[int, Chunk]]:
        doc_id = self._view().doc_ids.get(source)
        if doc_id is None:
            return []
        ids = [r[0] for r in self._pool.run(
            lambda c: c.execute(f"SELECT id FROM {CHUNKS} WHERE doc_id = %s ORDER BY position", (doc_id,)).fetchall())]
        return list(zip(ids, self.chunks(ids)))

    def _document(self, doc_id: int) -> DocRecord:
        with self._lock:
            if doc_id in self._docs:
                self._docs.move_to_end(doc_id)
                return self._docs[doc_id]
        r = self._pool.run(lambda c: c.execute(
            f"SELECT source, title, language, date, content_hash, fmt, text, outline FROM {DOCS} WHERE id = %s",
            (doc_id,)).fetchone())
        if r is None:
            raise IndexChangedError("The index was re-indexed twice by other processes meanwhile. Ask again.")
        source, title, language, date, content_hash, fmt, text, outline = r
        rec = DocRecord(source, title, language, date, content_hash, fmt, text,
                        tuple(Heading(**h) for h in outline))
        with self._lock:
            self._docs[doc_id] = rec
            while len(self._docs) > 256:
                self._docs.popitem(last=False)
        return rec


def _missing_is_none(fn):
    import psycopg

    try:
        return fn()
    except psycopg.errors.UndefinedTable:
        return None


def load_view(pool: Pool, name: str) -> _View | None:
    """The current generation, or None when the database has no index yet."""
    def load(conn):
        if not conn.execute(IN_SCHEMA, (META,)).fetchone()[0]:
            return None
        return _missing_is_none(lambda: conn.execute(sql.VIEW).fetchone())

    row = pool.run(load)
    if row is None:
        return None
    if row[2] != SCHEMA_VERSION:
        raise IndexMismatchError(f"The index in {name} has table layout {row[2]}, this version reads {SCHEMA_VERSION}. "
                                 f"{_REBUILD}")
    return _View(int(row[0]), row[1], dict(row[3]), tuple(row[4]), row[5])
