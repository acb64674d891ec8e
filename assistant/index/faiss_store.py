"""The local store: FAISS (exact inner product, or HNSW for one large machine) plus
chunk/document JSONL, NumPy arrays and the manifest, in a version folder under
`index/`. Writes are atomic: each build goes to a fresh folder and the `CURRENT`
pointer is replaced with os.replace, so a crash mid-write leaves the previous index in
use. Every file's size and sha256 are in the manifest and checked on open, so damage is
an IndexCorruptError (which `assistant index` repairs by rebuilding), never a crash.
Writers take turns (an exclusive lock on `index/.lock`): two `assistant index` runs at
once publish one after the other, and neither removes the version the other published."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import numpy as np
from filelock import FileLock

from assistant.ingest.chunking import Chunk, Heading
from assistant.core.errors import IndexCorruptError, IndexMissingError
from assistant.index.filters import Filters
from assistant.core.hashing import sha256_file
from assistant.index.lexical import analyze, query_terms
from assistant.index.store import FORMAT, DocContents, DocRecord, SearchIndex, manifest_problem

POINTER = "CURRENT"
_FIX = "Run `assistant index` to rebuild it (or `assistant index --rebuild`)."


HNSW_EF_SEARCH = 128  # recall@10 >= 0.95 at 200k chunks (eval/bench_scale.py; 64 gave 0.906)


def _ann(kind: str, dim: int, vectors: np.ndarray):
    import faiss

    index: faiss.Index
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction, index.hnsw.efSearch = 80, HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class LocalIndex:
    """Everything in memory; `dense` searches the FAISS index (exactly over the allowed
    chunks when a filter is on), `lexical` is BM25 (bm25s) over `lexical.analyze`."""

    def __init__(self, manifest: dict, documents: dict[str, DocRecord], chunks: list[Chunk], chunk_vectors: np.ndarray,
                 sentence_vectors: np.ndarray, sentence_search_vectors: np.ndarray, sentence_offsets: np.ndarray, ann,
                 path: Path | None = None):
        self.manifest, self.documents, self._chunks = manifest, documents, chunks
        self._cvec, self._svec, self._soff, self._ann, self.path = chunk_vectors, sentence_vectors, sentence_offsets, ann, path
        self._ssvec = sentence_search_vectors
        self._bm25 = None
        self._bm25_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._chunks)

    def _allowed(self, filters: Filters) -> np.ndarray:
        return np.array([filters.allows(c) for c in self._chunks], dtype=bool)

    def dense(self, query: np.ndarray, k: int, filters: Filters) -> list[tuple[int, float]]:
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if filters.active:
            ids = np.flatnonzero(self._allowed(filters))
            scores = self._cvec[ids] @ q[0]
            top = np.argsort(-scores, kind="stable")[:k]
            return [(int(ids[i]), float(scores[i])) for i in top]
        k = min(k, len(self._chunks))
        if k <= 0:
            return []
        scores, ids = self._ann.search(q, k)
        return [(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    def _bm25_index(self):
        with self._bm25_lock:
            if self._bm25 is None:
                import bm25s

                bm = bm25s.BM25()
                bm.index([analyze(c.embed_text, c.language) for c in self._chunks] or [[""]], show_progress=False)
                self._bm25 = bm
            return self._bm25

    def lexical(self, question: str, k: int, filters: Filters) -> list[tuple[int, float]]:
        bm = self._bm25_index()
        terms = [t for t in query_terms(question) if t in bm.vocab_dict]
        if not terms or not self._chunks:
            return []
        scores = np.asarray(bm.get_scores(terms), dtype=np.float32)[: len(self._chunks)]
        if filters.active:
            scores = np.where(self._allowed(filters), scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def chunks(self, keys: Sequence[int]) -> list[Chunk]:
        return [self._chunks[k] for k in keys]

    def chunk_vectors(self, keys: Sequence[int]) -> np.ndarray:
        return self._cvec[list(keys)].reshape(len(keys), -1)

    def sentence_vectors(self, keys: Sequence[int]) -> list[np.ndarray]:
        return [self._svec[self._soff[k]:self._soff[k + 1]] for k in keys]

    def sentence_search_vectors(self, keys: Sequence[int]) -> list[np.ndarray]:
        return [self._ssvec[self._soff[k]:self._soff[k + 1]] for k in keys]

    def document_chunks(self, source: str) -> list[tuple[int, Chunk]]:
        return [(i, c) for i, c in enumerate(self._chunks) if c.source == source]

    def contents(self, source: str) -> DocContents:
        keys = [k for k, _ in self.document_chunks(source)]
        return DocContents(self.documents[source], tuple(self.chunks(keys)), self.chunk_vectors(keys),
                           tuple(self.sentence_vectors(keys)), tuple(self.sentence_search_vectors(keys)))


# ---------- files ----------

def _chunk_from_json(d: dict) -> Chunk:
    d = dict(d, headings=tuple(d["headings"]), sentences=tuple(tuple(s) for s in d["sentences"]))
    return Chunk(**d)


def _write_version(folder: Path, manifest: dict, docs: list[DocContents], ann_kind: str) -> None:
    chunks = [c for d in docs for c in d.chunks]
    dim = manifest["embedding"]["dim"]
    cvec = np.vstack([d.chunk_vectors for d in docs if len(d.chunks)]).astype(np.float32) if chunks else np.zeros((0, dim), np.float32)
    sents = [sv for d in docs for sv in d.sentence_vectors]
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(sv) for sv in sents])
    svec, ssvec = (np.vstack([sv for sv in s if len(sv)]).astype(np.float32) if offsets[-1] else np.zeros((0, dim), np.float32)
                   for s in (sents, [sv for d in docs for sv in d.sentence_search_vectors]))
    with open(folder / "documents.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            rec = asdict(d.record)
            rec["outline"] = [asdict(h) for h in d.record.outline]
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
    np.save(folder / "chunk_vectors.npy", cvec)
    np.save(folder / "sentence_vectors.npy", svec)
    np.save(folder / "sentence_search_vectors.npy", ssvec)
    np.save(folder / "sentence_offsets.npy", offsets)
    import faiss

    faiss.write_index(_ann(ann_kind, dim, cvec), str(folder / "vectors.faiss"))
    files = {}
    for p in sorted(folder.iterdir()):
        with open(p, "rb") as fh:
            os.fsync(fh.fileno())
        files[p.name] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    manifest = dict(manifest, files=files)
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def _verify(folder: Path, manifest: dict) -> None:
    for name, meta in manifest.get("files", {}).items():
        p = folder / name
        if not p.is_file():
            raise IndexCorruptError(f"The index file {p} is missing. {_FIX}")
        if p.stat().st_size != meta["bytes"] or sha256_file(p) != meta["sha256"]:
            raise IndexCorruptError(f"The index file {p} is damaged (size or checksum differs from the manifest). {_FIX}")
    if not manifest.get("files"):
        raise IndexCorruptError(f"The index in {folder} has no file list in its manifest. {_FIX}")


def _read_version(folder: Path, manifest: dict) -> LocalIndex:
    import faiss

    docs = {}
    for line in (folder / "documents.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        d["outline"] = tuple(Heading(**h) for h in d["outline"])
        docs[d["source"]] = DocRecord(**d)
    chunks = [_chunk_from_json(json.loads(line)) for line in (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
    cvec, svec = np.load(folder / "chunk_vectors.npy"), np.load(folder / "sentence_vectors.npy")
    ssvec = np.load(folder / "sentence_search_vectors.npy")
    soff = np.load(folder / "sentence_offsets.npy")
    ann = faiss.read_index(str(folder / "vectors.faiss"))
    if hasattr(ann, "hnsw"):
        ann.hnsw.efSearch = HNSW_EF_SEARCH
    counts = (len(docs), len(chunks), len(cvec), ann.ntotal, len(soff) - 1, int(soff[-1]), len(svec), len(ssvec))
    want = (manifest["n_documents"],) + (manifest["n_chunks"],) * 4 + (manifest["n_sentences"],) * 3
    if counts != want:
        raise IndexCorruptError(f"The index in {folder} is inconsistent (counts {counts}, manifest {want}). {_FIX}")
    return LocalIndex(manifest, docs, chunks, cvec, svec, ssvec, soff, ann, folder)


class LocalStore:
    """Version folders under `index_dir`, published by replacing the CURRENT pointer."""

    def __init__(self, index_dir: Path, ann: str = "flat"):
        self.dir, self.ann = Path(index_dir), ann
        self.kind = "faiss" if ann == "flat" else f"faiss-{ann}"

    def describe(self) -> str:
        return f"{self.kind} in {self.dir}"

    def _current(self) -> Path | None:
        ptr = self.dir / POINTER
        if not ptr.is_file():
            return None
        name = ptr.read_text(encoding="utf-8", errors="replace").strip()
        folder = self.dir / name
        if not name or "/" in name or not (folder / "manifest.json").is_file():
            raise IndexCorruptError(f"The index pointer {ptr} names a missing version ({name[:40]!r}). {_FIX}")
        return folder

    def manifest(self) -> dict | None:
        folder = self._current()
        if folder is None:
            return None
        try:
            m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            problem = manifest_problem(m) if not isinstance(m, dict) or m.get("format") == FORMAT else None
            if problem:  # another format is refused by check_compatible, with its own message
                raise ValueError(problem)
            return m
        except (OSError, ValueError) as e:
            raise IndexCorruptError(f"The index manifest in {folder} is unreadable ({e}). {_FIX}") from e

    def open(self) -> LocalIndex:
        manifest = self.manifest()
        if manifest is None:
            raise IndexMissingError(f"No index in {self.dir}. Build it with `assistant index` (or `make run`).")
        folder = self._current()
        if folder is None:
            raise IndexMissingError(f"No index in {self.dir}. Build it with `assistant index` (or `make run`).")
        try:
            _verify(folder, manifest)
            return _read_version(folder, manifest)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:  # faiss raises RuntimeError
            raise IndexCorruptError(f"The index in {folder} is unreadable ({e.__class__.__name__}: {e}). {_FIX}") from e

    def write(self, manifest: dict, keep: set[str], new: list[DocContents], old: SearchIndex | None) -> str:
        kept = [old.contents(s) for s in sorted(keep)] if isinstance(old, LocalIndex) and keep else []
        docs = sorted(kept + list(new), key=lambda d: d.record.source)
        self.dir.mkdir(parents=True, exist_ok=True)
        with FileLock(self.dir / ".lock"):  # one writer at a time, across processes and threads
            ptr = self.dir / POINTER
            previous = ptr.read_text(encoding="utf-8", errors="replace").strip() if ptr.is_file() else ""
            name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
            tmp = self.dir / f".tmp-{name}"
            tmp.mkdir()
            try:
                _write_version(tmp, dict(manifest, store=self.kind), docs, self.ann)
                tmp.rename(self.dir / name)
                ptr_tmp = self.dir / f".{POINTER}.{uuid.uuid4().hex[:6]}"
                ptr_tmp.write_text(name + "\n", encoding="utf-8")
                os.replace(ptr_tmp, ptr)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
            self._cleanup(keep={name, previous})
        return str(self.dir / name)

    def _cleanup(self, keep: set[str]) -> None:
        """Remove older versions and stale temp folders. The previous version is kept, so
        a process that read the old pointer just before the swap can still load it."""
        for p in self.dir.iterdir():
            if p.is_dir() and p.name not in keep and (p.name.startswith("v-") or p.name.startswith(".tmp-")):
                shutil.rmtree(p, ignore_errors=True)
