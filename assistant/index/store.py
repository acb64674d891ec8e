"""What every index store provides, whatever keeps the data (FAISS files, PostgreSQL):

- `SearchIndex`, the read side retrieval works on: dense search, keyword search,
  chunks, their vectors and sentence vectors, documents, and the manifest;
- `Store`, the write side the indexer uses: the current manifest, `open()`, and an
  atomic `write()` of one re-index (documents kept + documents (re)embedded).

The manifest (embedding model id + hash, dimension, chunker settings, one entry per
document with its content hash) travels with every index; an index built with another
model or chunker is refused with a message to re-index."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

import numpy as np

from assistant.ingest.chunking import Chunk, Heading, heading_path
from assistant.core.errors import IndexCorruptError, IndexMismatchError
from assistant.index.filters import Filters

FORMAT = 3   # 3: sentences also have search vectors (sentence_text.py)


@dataclass(frozen=True)
class DocRecord:
    source: str
    title: str
    language: str
    date: str | None
    content_hash: str
    fmt: str
    text: str
    outline: tuple[Heading, ...]

    def heading_at(self, offset: int) -> str:
        """Heading path (below the title) at a character offset, for citations."""
        return " > ".join(h for h in heading_path(self.outline, offset) if h != self.title)


@dataclass(frozen=True)
class DocContents:
    """One document as the indexer hands it to a store."""
    record: DocRecord
    chunks: tuple[Chunk, ...]
    chunk_vectors: np.ndarray                   # (len(chunks), dim)
    sentence_vectors: tuple[np.ndarray, ...]    # per chunk: (len(chunk.sentences), dim), each sentence alone
    sentence_search_vectors: tuple[np.ndarray, ...]  # same shapes: each sentence as retrieval reads it (in context)


class SearchIndex(Protocol):
    """Chunk keys are ints chosen by the store (a row number, a database id)."""
    @property
    def manifest(self) -> dict: ...
    @property
    def documents(self) -> Mapping[str, DocRecord]: ...

    def __len__(self) -> int: ...
    def dense(self, query: np.ndarray, k: int, filters: Filters) -> list[tuple[int, float]]: ...
    def lexical(self, question: str, k: int, filters: Filters) -> list[tuple[int, float]]: ...
    def chunks(self, keys: Sequence[int]) -> list[Chunk]: ...
    def chunk_vectors(self, keys: Sequence[int]) -> np.ndarray: ...
    def sentence_vectors(self, keys: Sequence[int]) -> list[np.ndarray]: ...
    def sentence_search_vectors(self, keys: Sequence[int]) -> list[np.ndarray]: ...
    def document_chunks(self, source: str) -> list[tuple[int, Chunk]]: ...


class Store(Protocol):
    kind: str

    def manifest(self) -> dict | None: ...
    def open(self) -> SearchIndex: ...
    def write(self, manifest: dict, keep: set[str], new: list[DocContents], old: SearchIndex | None) -> str: ...
    def describe(self) -> str: ...


def make_manifest(embedding: dict, chunker: dict, store_kind: str, documents: dict[str, dict]) -> dict:
    """`documents`: source -> {content_hash, title, language, date, n_chunks, n_sentences}."""
    return {
        "format": FORMAT,
        "embedding": embedding,
        "chunker": chunker,
        "store": store_kind,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "n_documents": len(documents),
        "n_chunks": sum(d["n_chunks"] for d in documents.values()),
        "n_sentences": sum(d["n_sentences"] for d in documents.values()),
        "documents": dict(sorted(documents.items())),
    }


def document_entry(contents: DocContents) -> dict:
    r = contents.record
    return {"content_hash": r.content_hash, "title": r.title, "language": r.language, "date": r.date,
            "n_chunks": len(contents.chunks), "n_sentences": sum(len(c.sentences) for c in contents.chunks)}


_SHAPE = {"embedding": dict, "chunker": dict, "documents": dict, "n_documents": int, "n_chunks": int, "n_sentences": int}


def manifest_problem(manifest: object) -> str | None:
    """What makes `manifest` unreadable as an index manifest (a hand-edited or damaged
    file), or None. Checked before any field is used, so a bad one is never a crash."""
    if not isinstance(manifest, dict):
        return "not a JSON object"
    for key, typ in _SHAPE.items():
        if not isinstance(manifest.get(key), typ) or isinstance(manifest.get(key), bool):
            return f"{key!r} is missing or not a {typ.__name__}"
    emb = manifest["embedding"]
    if not (isinstance(emb.get("model_id"), str) and isinstance(emb.get("model_hash"), str)
            and isinstance(emb.get("dim"), int) and emb["dim"] > 0):
        return "'embedding' lacks a model_id, model_hash or dimension"
    if not all(isinstance(d, dict) and isinstance(d.get("content_hash"), str) for d in manifest["documents"].values()):
        return "a document entry lacks its content_hash"
    return None


def check_compatible(manifest: dict, embedding: dict, chunker: dict) -> None:
    """Refuse an index built with another format, model or chunker settings (or a manifest
    that is not one)."""
    if isinstance(manifest, dict) and manifest.get("format") != FORMAT:
        raise IndexMismatchError(f"The index has format {manifest.get('format')!r:.20}, this version reads {FORMAT}. "
                                 "Re-index with `assistant index --rebuild`.")
    problem = manifest_problem(manifest)
    if problem:
        raise IndexCorruptError(f"The index manifest is damaged ({problem}). Run `assistant index --rebuild`.")
    built = manifest["embedding"]
    if (built["model_id"], built["model_hash"]) != (embedding["model_id"], embedding["model_hash"]):
        raise IndexMismatchError(
            f"The index was built with embedding model {built['model_id']} (hash {built['model_hash'][:12]}), "
            f"but the assistant is configured with {embedding['model_id']} (hash {embedding['model_hash'][:12]}). "
            "Re-index with `assistant index --rebuild`.")
    if manifest["chunker"] != chunker:
        raise IndexMismatchError(f"The index was built with chunker settings {manifest['chunker']}, "
                                 f"now configured {chunker}. Re-index with `assistant index --rebuild`.")
