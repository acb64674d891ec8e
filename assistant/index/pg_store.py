"""The PostgreSQL + pgvector store (`store = "pgvector"`): one database shared by any
number of app processes, each of which can re-index it. Tables and the meaning of a
generation: `pg_schema.py`; reading: `pg_index.py`; connections: `pg_conn.py`.

`PgStore.write` is one transaction under an advisory lock (one writer at a time):
purge what the previous re-index retired, retire the documents not kept, COPY the new
ones, count their lexemes, publish the manifest as the next generation. Until it
commits, every reader sees the previous generation; after, the next question of every
process sees the new one. A large full rebuild drops the HNSW index and builds it
once after loading (in parallel); readers wait for that transaction instead."""
from __future__ import annotations

from assistant.core.config import Settings
from assistant.core.errors import IndexMissingError
from assistant.index.pg_conn import IndexChangedError, Options, Session, database_url, get_pool, safe_url
from assistant.index.pg_index import PgIndex, load_view
from assistant.index.pg_schema import (CHUNKS, DOCS, META, count_new, drop_hnsw, ensure_schema, hnsw_index, insert_documents, publish,
                        retire)
from assistant.index.store import DocContents, SearchIndex

__all__ = ["IndexChangedError", "Options", "PgIndex", "PgStore"]
_LOCK_KEY = 0x6d696e75746573  # pg_advisory_xact_lock key: one writer at a time


class PgStore:
    kind = "pgvector"

    def __init__(self, url: str, options: Options = Options()):
        self.url, self.options = url, options
        self.pool = get_pool(url, options.pool_size, Session(options.ef_search))

    @classmethod
    def from_settings(cls, settings: Settings) -> "PgStore":
        return cls(database_url(settings), Options.from_settings(settings))

    def describe(self) -> str:
        return f"pgvector at {safe_url(self.url)}"

    def manifest(self) -> dict | None:
        view = load_view(self.pool, self.describe())
        return None if view is None else view.manifest

    def open(self) -> PgIndex:
        view = load_view(self.pool, self.describe())
        if view is None:
            raise IndexMissingError(f"No index in {self.describe()}. Build it with `assistant index` (or `make run`).")
        return PgIndex(self.pool, self.options, self.describe(), view)

    def write(self, manifest: dict, keep: set[str], new: list[DocContents], old: SearchIndex | None) -> str:
        dim = int(manifest["embedding"]["dim"])
        opt = self.options

        def tx(conn) -> int:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                fresh, last = ensure_schema(cur, dim)
                cur.execute(f"SELECT generation FROM {META} FOR UPDATE")
                row = cur.fetchone()
                gen = max(last, row[0] if row else 0) + 1
                self._check_kept(cur, manifest, keep)
                cur.execute(f"DELETE FROM {DOCS} WHERE gen_to <= %s", (gen - 1,))  # retired one generation ago
                retire(cur, keep, gen)
                n_new = sum(len(d.chunks) for d in new)
                bulk = fresh or (not keep and n_new > 5000)
                if bulk:  # build the graph once after loading, in parallel, instead of row by row (readers wait)
                    drop_hnsw(cur)
                    cur.execute(f"DELETE FROM {DOCS} WHERE gen_to IS NOT NULL")
                ids = insert_documents(cur, sorted(new, key=lambda d: d.record.source), gen)
                count_new(cur, ids)
                hnsw_index(cur, dim, opt.m, opt.ef_construction, opt.maintenance_work_mem)
                if bulk:
                    cur.execute(f"ANALYZE {CHUNKS}")
                publish(cur, dict(manifest, store=self.kind, generation=gen), dim, gen)
            return gen

        gen = self.pool.run(tx, retry=False)
        return f"{self.describe()} (generation {gen})"

    def _check_kept(self, cur, manifest: dict, keep: set[str]) -> None:
        """The documents this run keeps must still be live with the content it saw; if
        another process re-indexed a changed corpus meanwhile, refuse instead of mixing."""
        if not keep:
            return
        cur.execute(f"SELECT source, content_hash FROM {DOCS} WHERE gen_to IS NULL AND source = ANY(%s)", (sorted(keep),))
        live = dict(cur.fetchall())
        wrong = sorted(s for s in keep if live.get(s) != manifest["documents"][s]["content_hash"])
        if wrong:
            raise IndexChangedError(f"Another process re-indexed {self.describe()} while this run was embedding "
                                    f"({len(wrong)} kept document(s) changed, e.g. {wrong[0]}). Run `assistant index` again.")

