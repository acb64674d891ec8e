"""Stores by name (setting `store`): `faiss` (exact, local files; the default),
`faiss-hnsw` (approximate, for one large machine) and `pgvector` (PostgreSQL, shared by
several app processes). Implementations are imported only when chosen."""
from __future__ import annotations

from typing import Callable

from assistant.core.config import Settings
from assistant.core.registry import Registry
from assistant.index.store import Store

STORES: Registry[Callable[[Settings], Store]] = Registry("store", "store")


@STORES.register("faiss")
def _faiss(settings: Settings) -> Store:
    from assistant.index.faiss_store import LocalStore

    return LocalStore(settings.path("index_dir"), ann="flat")


@STORES.register("faiss-hnsw")
def _faiss_hnsw(settings: Settings) -> Store:
    from assistant.index.faiss_store import LocalStore

    return LocalStore(settings.path("index_dir"), ann="hnsw")


@STORES.register("pgvector")
def _pgvector(settings: Settings) -> Store:
    from assistant.index.pg_store import PgStore

    return PgStore.from_settings(settings)


def make_store(settings: Settings) -> Store:
    return STORES.get(settings.store)(settings)
