"""Persisted index: a vector store (FAISS, swappable), the chunk/document store and a
manifest. Writes are atomic: each build goes to a fresh version folder and the
`CURRENT` pointer file is replaced with os.replace, so a crash mid-write leaves the
previous index in use.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .chunking import Chunk, Heading, heading_path
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError

FORMAT = 1
POINTER = "CURRENT"


class VectorStore(Protocol):
    kind: str

    def add(self, vectors: np.ndarray) -> None: ...
    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...
    def save(self, path: Path) -> None: ...
    def __len__(self) -> int: ...


class FaissFlatStore:
    """Exact inner-product search (vectors are L2-normalised, so this is cosine)."""

    kind = "faiss-flat-ip"

    def __init__(self, dim: int, index=None):
        import faiss

        self.dim = dim
        self.index = index if index is not None else faiss.IndexFlatIP(dim)

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.index.ntotal)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        return scores[0], ids[0]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, dim: int) -> "FaissFlatStore":
        import faiss

        return cls(dim, faiss.read_index(str(path)))

    def __len__(self) -> int:
        return self.index.ntotal


STORES = {FaissFlatStore.kind: FaissFlatStore}


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


@dataclass
class Index:
    manifest: dict
    documents: dict[str, DocRecord]
    chunks: list[Chunk]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray       # all chunks' sentences, in chunk order
    sentence_offsets: np.ndarray       # sentence_vectors rows of chunk i: [off[i], off[i+1])
    store: VectorStore
    path: Path | None = None

    def chunk_sentence_vectors(self, i: int) -> np.ndarray:
        return self.sentence_vectors[self.sentence_offsets[i]:self.sentence_offsets[i + 1]]


def make_manifest(embedding: dict, chunker: dict, store_kind: str, documents: dict[str, DocRecord], chunks: list[Chunk], sentences: int) -> dict:
    return {
        "format": FORMAT,
        "embedding": embedding,
        "chunker": chunker,
        "store": store_kind,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "n_documents": len(documents),
        "n_chunks": len(chunks),
        "n_sentences": sentences,
        "documents": {s: {"content_hash": d.content_hash, "title": d.title, "language": d.language, "date": d.date,
                          "n_chunks": sum(c.source == s for c in chunks)} for s, d in sorted(documents.items())},
    }


def _chunk_to_json(c: Chunk) -> dict:
    d = asdict(c)
    d["headings"], d["sentences"] = list(c.headings), [list(s) for s in c.sentences]
    return d


def _chunk_from_json(d: dict) -> Chunk:
    d = dict(d)
    d["headings"] = tuple(d["headings"])
    d["sentences"] = tuple(tuple(s) for s in d["sentences"])
    return Chunk(**d)


def save_index(index_dir: Path, idx: Index) -> Path:
    """Write a new version folder, then atomically point CURRENT at it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    ptr = index_dir / POINTER
    previous = ptr.read_text().strip() if ptr.is_file() else ""
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    try:
        with open(tmp / "documents.jsonl", "w", encoding="utf-8") as f:
            for d in idx.documents.values():
                rec = asdict(d)
                rec["outline"] = [asdict(h) for h in d.outline]
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in idx.chunks:
                f.write(json.dumps(_chunk_to_json(c), ensure_ascii=False) + "\n")
        np.save(tmp / "chunk_vectors.npy", idx.chunk_vectors.astype(np.float32))
        np.save(tmp / "sentence_vectors.npy", idx.sentence_vectors.astype(np.float32))
        np.save(tmp / "sentence_offsets.npy", idx.sentence_offsets.astype(np.int64))
        idx.store.save(tmp / "vectors.faiss")
        (tmp / "manifest.json").write_text(json.dumps(idx.manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        for p in tmp.iterdir():  # flush file contents before publishing
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
        final = index_dir / name
        tmp.rename(final)
        ptr_tmp = index_dir / f".{POINTER}.{uuid.uuid4().hex[:6]}"
        ptr_tmp.write_text(name + "\n")
        os.replace(ptr_tmp, index_dir / POINTER)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _cleanup(index_dir, keep={name, previous})
    return final


def _cleanup(index_dir: Path, keep: set[str]) -> None:
    """Remove older versions and stale temp folders. The previous version is kept, so a
    process that read the old pointer just before the swap can still load it."""
    for p in index_dir.iterdir():
        if p.is_dir() and p.name not in keep and (p.name.startswith("v-") or p.name.startswith(".tmp-")):
            shutil.rmtree(p, ignore_errors=True)


def current_version(index_dir: Path) -> Path:
    ptr = index_dir / POINTER
    if not ptr.is_file():
        raise IndexMissingError(f"No index in {index_dir}. Build it with `assistant index` (or `make run`).")
    folder = index_dir / ptr.read_text().strip()
    if not (folder / "manifest.json").is_file():
        raise IndexCorruptError(f"The index pointer in {index_dir} names a missing version ({folder.name}). "
                                "Rebuild with `assistant index --rebuild`.")
    return folder


def read_manifest(index_dir: Path) -> dict:
    return json.loads((current_version(index_dir) / "manifest.json").read_text(encoding="utf-8"))


def check_compatible(manifest: dict, embedding: dict, chunker: dict) -> None:
    """Refuse an index built with another model or other chunker settings."""
    if manifest.get("format") != FORMAT:
        raise IndexMismatchError(f"The index has format {manifest.get('format')}, this version reads {FORMAT}. "
                                 "Re-index with `assistant index --rebuild`.")
    built = manifest["embedding"]
    if (built["model_id"], built["model_hash"]) != (embedding["model_id"], embedding["model_hash"]):
        raise IndexMismatchError(
            f"The index was built with embedding model {built['model_id']} (hash {built['model_hash'][:12]}), "
            f"but the assistant is configured with {embedding['model_id']} (hash {embedding['model_hash'][:12]}). "
            "Re-index with `assistant index --rebuild`.")
    if manifest["chunker"] != chunker:
        raise IndexMismatchError(f"The index was built with chunker settings {manifest['chunker']}, "
                                 f"now configured {chunker}. Re-index with `assistant index --rebuild`.")


def load_index(index_dir: Path) -> Index:
    folder = current_version(index_dir)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        docs = {}
        for line in (folder / "documents.jsonl").read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            d["outline"] = tuple(Heading(**h) for h in d["outline"])
            docs[d["source"]] = DocRecord(**d)
        chunks = [_chunk_from_json(json.loads(l)) for l in (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
        cvec = np.load(folder / "chunk_vectors.npy")
        svec = np.load(folder / "sentence_vectors.npy")
        soff = np.load(folder / "sentence_offsets.npy")
        store_cls = STORES[manifest["store"]]
        store = store_cls.load(folder / "vectors.faiss", manifest["embedding"]["dim"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexCorruptError(f"The index in {folder} is unreadable ({e.__class__.__name__}: {e}). "
                                "Rebuild with `assistant index --rebuild`.") from e
    if not (len(chunks) == len(cvec) == len(store) == len(soff) - 1 and soff[-1] == len(svec)):
        raise IndexCorruptError(f"The index in {folder} is inconsistent (chunks {len(chunks)}, vectors {len(cvec)}). "
                                "Rebuild with `assistant index --rebuild`.")
    return Index(manifest, docs, chunks, cvec, svec, soff, store, folder)
