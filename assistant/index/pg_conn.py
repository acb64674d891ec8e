"""Connections for the pgvector store: one small pool per database and process, shared
by its threads (Gradio answers several members at once). A connection is checked out
for one statement or one transaction and returned; a broken one is dropped and the
statement retried once on a fresh one. Every failure to reach the database, or a
database without the pgvector extension, is a `DatabaseError` that says what to do."""
from __future__ import annotations

import os
import queue
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, TypeVar

from assistant.core.config import Settings
from assistant.core.errors import ConfigError, IndexError_

T = TypeVar("T")
_CHECK = "Check `database_url` (or $DATABASE_URL) and that the server is running and reachable."


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else e.__class__.__name__


class DatabaseError(IndexError_):
    """The database cannot be reached or is not set up for the pgvector store."""


class IndexChangedError(DatabaseError):
    """Another process changed the index under a running operation."""


def database_url(settings: Settings) -> str:
    url = settings.database_url or os.environ.get("DATABASE_URL", "")
    if not url:
        raise ConfigError("store = \"pgvector\" needs a PostgreSQL database: set `database_url` in assistant.toml "
                          "(or ASSISTANT_DATABASE_URL / DATABASE_URL), e.g. postgresql://user:password@host:5432/minutes")
    return url


def safe_url(url: str) -> str:
    """host:port/dbname, without the password, for messages."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        d = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - only for display
        return "the configured database"
    host = d.get("host") or "localhost"
    return f"{host}{':' + str(d['port']) if d.get('port') else ''}/{d.get('dbname') or d.get('user') or ''}"


@dataclass(frozen=True)
class Session:
    """Per-connection settings."""
    ef_search: int = 100

    def statements(self) -> list[str]:
        return [f"SET hnsw.ef_search = {int(self.ef_search)}", "SET hnsw.iterative_scan = relaxed_order"]


def _psycopg():
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError as e:
        raise ConfigError(f"The pgvector store needs psycopg and pgvector ({e}). Install them: "
                          "pip install 'minutes-assistant[pgvector]' (or `pip install \"psycopg[binary]\" pgvector`).") from e
    return psycopg, register_vector


class Pool:
    """At most `size` connections; callers wait up to `timeout` seconds for a free one."""

    def __init__(self, url: str, size: int, session: Session, timeout: float = 30.0):
        self.url, self.session, self.timeout = url, session, timeout
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(max(1, size))

    def _connect(self):
        psycopg, register_vector = _psycopg()
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        given = conninfo_to_dict(self.url)
        extra = {k: v for k, v in {"connect_timeout": 10, "application_name": "minutes-assistant"}.items() if k not in given}
        try:
            conn = psycopg.connect(make_conninfo(self.url, **extra), autocommit=True)
        except psycopg.Error as e:
            raise DatabaseError(f"Cannot connect to PostgreSQL at {safe_url(self.url)} ({_first_line(e)}). {_CHECK}") from e
        try:
            self._ensure_vector(conn, psycopg)
            register_vector(conn)
            for statement in self.session.statements():
                try:
                    conn.execute(statement)
                except psycopg.Error:  # pgvector before 0.8 has no iterative scans: filtered search stays exact-first
                    pass
        except BaseException:
            conn.close()
            raise
        return conn

    def _ensure_vector(self, conn, psycopg) -> None:
        def present() -> bool:
            return conn.execute("SELECT to_regtype('vector')").fetchone()[0] is not None

        if present():
            return
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error as e:
            if not present():  # (another process may have created it at the same moment)
                raise DatabaseError(
                    f"The database at {safe_url(self.url)} has no pgvector extension and this user cannot create it "
                    f"({str(e).strip().splitlines()[0]}). Ask its administrator to run `CREATE EXTENSION vector;` in it "
                    "(managed services: enable the `vector` extension), or install pgvector on the server.") from e
        if not present():
            raise DatabaseError(f"The pgvector extension of {safe_url(self.url)} is in a schema outside this "
                                "connection's search_path. Add that schema, e.g. database_url = "
                                "\"postgresql://...?options=-csearch_path%3Dminutes,public\".")

    @contextmanager
    def connection(self) -> Iterator:
        if not self._slots.acquire(timeout=self.timeout):
            raise DatabaseError(f"All database connections stayed busy for {self.timeout:.0f}s. Raise `pg_pool_size` "
                                "or check the database for long-running statements.")
        conn = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            yield conn
        finally:
            if conn is not None:
                idle = not conn.closed and not conn.broken and conn.info.transaction_status == 0  # IDLE
                self._idle.put(conn) if idle else conn.close()
            self._slots.release()

    def run(self, fn: Callable[[Any], T], retry: bool = True) -> T:
        """`fn(connection)`; a connection lost on the way (server restart, idle timeout
        of a proxy) is replaced and `fn` retried once when `retry`."""
        psycopg, _ = _psycopg()
        for attempt in (0, 1):
            try:
                with self.connection() as conn:
                    return fn(conn)
            except psycopg.OperationalError as e:
                if attempt or not retry:
                    raise DatabaseError(f"Lost the connection to PostgreSQL at {safe_url(self.url)} "
                                        f"({_first_line(e)}). {_CHECK}") from e
            except psycopg.Error as e:
                raise DatabaseError(f"PostgreSQL at {safe_url(self.url)} refused a statement ({e.__class__.__name__}: "
                                    f"{_first_line(e)}); nothing was changed. If the assistant's tables were altered "
                                    "by hand, re-index with `assistant index --rebuild`.") from e
        raise AssertionError("unreachable")

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


_POOLS: dict[tuple, Pool] = {}
_POOLS_LOCK = threading.Lock()


def get_pool(url: str, size: int, session: Session) -> Pool:
    """One pool per (database, pool size, session settings) and process."""
    key = (url, size, session, os.getpid())
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = Pool(url, size, session)
        return _POOLS[key]


def close_pools(url: str | None = None) -> None:
    """Close the idle connections of this process's pools (of one database, or all)."""
    with _POOLS_LOCK:
        for key in [k for k in _POOLS if url is None or k[0] == url]:
            _POOLS.pop(key).close()


@dataclass(frozen=True)
class Options:
    pool_size: int = 4
    m: int = 16
    ef_construction: int = 64
    ef_search: int = 100
    exact_max_chunks: int = 10000
    maintenance_work_mem: str = "1GB"

    @classmethod
    def from_settings(cls, s: Settings) -> "Options":
        return cls(s.pg_pool_size, s.pg_hnsw_m, s.pg_hnsw_ef_construction, s.pg_hnsw_ef_search,
                   s.pg_exact_max_chunks, s.pg_maintenance_work_mem)
