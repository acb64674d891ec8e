"""Incremental indexing through the configured store: unchanged documents are kept,
new and changed ones are chunked and embedded, deleted ones are dropped. Every problem
belongs to its file: a file that fails to load, chunk or embed is reported on one line
and the rest indexes; if it was indexed before, its previous version is kept."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from assistant.ingest.chunking import Chunk, ChunkerSettings, chunk_document, outline, tiktoken_counter
from assistant.core.config import Settings
from assistant.models.embeddings import Embedder
from assistant.core.errors import AssistantError, IndexError_, LoaderError
from assistant.ingest.loaders import Document, LoadLimits, load_corpus
from assistant.index.sentence_text import index_texts
from assistant.index.store import DocContents, DocRecord, Store, check_compatible, document_entry, make_manifest
from assistant.index.stores import make_store

Progress = Callable[[int, int, str], None]  # (done, total, message)


def no_progress(done: int, total: int, message: str) -> None:
    pass


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_on_error: list[str] = field(default_factory=list)
    errors: list[LoaderError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    embedded_chunks: int = 0
    embedded_sentences: int = 0
    embedded_in_context: int = 0     # sentences embedded a second time, as retrieval reads them (sentence_text.py)
    embed_seconds: float = 0.0
    total_chunks: int = 0
    seconds: float = 0.0
    rebuilt_reason: str = ""
    path: str = ""

    def summary(self) -> str:
        lines = [f"full rebuild: {self.rebuilt_reason}"] if self.rebuilt_reason else []
        lines.append(f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
                     f"unchanged {len(self.unchanged)} document(s); embedded {self.embedded_chunks} chunk(s) and "
                     f"{self.embedded_sentences} sentence(s) (+{self.embedded_in_context} in context) in "
                     f"{self.seconds:.1f}s; index has {self.total_chunks} chunks")
        for name, items in (("added", self.added), ("updated", self.updated), ("removed", self.removed)):
            lines += [f"  {name}: {s}" for s in items]
        lines += [f"  kept previous version of {s} (the file now fails)" for s in self.kept_on_error]
        lines += [f"  skipped: {s}" for s in self.skipped]
        lines += [f"  error: {e}" for e in self.errors]
        return "\n".join(lines)


def chunker_settings(settings: Settings) -> ChunkerSettings:
    return ChunkerSettings(max_tokens=settings.chunk_tokens, tokenizer=settings.tokenizer)


def embedding_identity(embedder: Embedder, dim: int | None = None) -> dict:
    """Model id, hash and dimension. The id and hash are known without loading the
    weights; the dimension is taken from `dim` when given, else the model is loaded."""
    if dim is None:
        embedder.warm_up()
        dim = embedder.dim
    return {"model_id": embedder.model_id, "model_hash": embedder.model_hash, "dim": int(dim)}


def _record(doc: Document) -> DocRecord:
    return DocRecord(doc.source, doc.title, doc.language, doc.date, doc.content_hash, doc.fmt, doc.text, tuple(outline(doc)))


@dataclass
class _Pending:
    doc: Document
    chunks: list[Chunk]
    texts: list[str]          # chunk texts, sentence texts, then the search texts that differ from them
    n_sentences: int = 0
    in_context: list[int] = field(default_factory=list)   # the sentences whose search text differs


class _Refused(ValueError):
    """A file this index will not take, with what to do (the message is the whole reason)."""


def _prepare(doc: Document, chunker: ChunkerSettings, embedder: Embedder, limits: dict[str, int]) -> _Pending:
    chunks = chunk_document(doc, chunker, tiktoken_counter(chunker.tokenizer))
    counts = {"max_file_chunks": len(chunks), "max_file_sentences": sum(len(c.sentences) for c in chunks)}
    for name, n in counts.items():  # 1.8 MB of "a0" lines: 8,182 chunks, over half an hour of embedding
        if n > limits[name]:
            what = name.removeprefix("max_file_")
            raise _Refused(f"is too long to index: {n} {what} to embed, over {name} = {limits[name]}. "
                           f"Split the file, or raise {name} in assistant.toml")
    longest = max((embedder.count_tokens(c.embed_text) for c in chunks), default=0)
    if longest > embedder.max_tokens:
        raise ValueError(f"a chunk has {longest} model tokens, over the model's maximum {embedder.max_tokens}; "
                         "lower `chunk_tokens` and re-index")
    return _Pending(doc, chunks, *index_texts(chunks))


def _contents(p: _Pending, vectors: np.ndarray) -> DocContents:
    n, m = len(p.chunks), p.n_sentences
    alone = vectors[n:n + m]
    search = alone.copy()
    search[p.in_context] = vectors[n + m:]
    svecs, ssvecs, k = [], [], 0
    for c in p.chunks:
        svecs.append(alone[k:k + len(c.sentences)])
        ssvecs.append(search[k:k + len(c.sentences)])
        k += len(c.sentences)
    return DocContents(_record(p.doc), tuple(p.chunks), vectors[:n], tuple(svecs), tuple(ssvecs))


def _embed_all(pending: list[_Pending], embedder: Embedder, progress: Progress, batch: int) -> list[np.ndarray]:
    """All texts of all pending documents, longest first in batches (little padding),
    with progress after every batch; returns one array per document."""
    texts = [(d, i, t) for d, p in enumerate(pending) for i, t in enumerate(p.texts)]
    order = sorted(range(len(texts)), key=lambda j: -len(texts[j][2]))
    out = [np.zeros((len(p.texts), 0), np.float32) for p in pending]
    done = 0
    progress(0, len(order), "embedding")
    for s in range(0, len(order), batch):
        part = order[s:s + batch]
        vecs = embedder.embed_documents_np([texts[j][2] for j in part])
        for j, v in zip(part, vecs):
            d, i, _ = texts[j]
            if out[d].shape[1] == 0:
                out[d] = np.zeros((len(pending[d].texts), len(v)), np.float32)
            out[d][i] = v
        done += len(part)
        progress(done, len(order), "embedding")
    return out


def build_index(settings: Settings, embedder: Embedder, rebuild: bool = False, progress: Progress = no_progress,
                store: Store | None = None) -> IndexReport:
    t0 = time.perf_counter()
    rep = IndexReport()
    corpus_dir = settings.path("corpus_dir")
    if not corpus_dir.is_dir():
        raise AssistantError(f"Corpus folder {corpus_dir} does not exist. Create it and put documents in it.")
    store = store or make_store(settings)
    chunker = chunker_settings(settings)
    ident = {"model_id": embedder.model_id, "model_hash": embedder.model_hash}  # no model load yet
    progress(0, 1, "reading documents")
    loaded = load_corpus(corpus_dir, LoadLimits.from_settings(settings))
    rep.errors = list(loaded.errors)
    rep.skipped = list(loaded.skipped)

    old, entries = None, {}
    if rebuild:
        rep.rebuilt_reason = "requested (--rebuild)"
    else:
        try:
            manifest = store.manifest()
            if manifest is not None:
                check_compatible(manifest, ident, chunker.as_dict())
                old = store.open()
                entries = dict(old.manifest["documents"])
        except IndexError_ as e:  # another model/settings, or damaged: rebuild everything
            rep.rebuilt_reason = str(e).split(" Re-index with")[0].split(" Run `assistant index`")[0]
            old, entries = None, {}

    keep: set[str] = set()
    pending: list[_Pending] = []
    limits = {"max_file_chunks": settings.max_file_chunks, "max_file_sentences": settings.max_file_sentences}
    for doc in loaded.documents:
        prev = entries.get(doc.source)
        if prev is not None and prev["content_hash"] == doc.content_hash:
            keep.add(doc.source)
            rep.unchanged.append(doc.source)
            continue
        try:
            pending.append(_prepare(doc, chunker, embedder, limits))
        except Exception as e:  # noqa: BLE001 - any chunking failure belongs to this file
            _file_failed(rep, keep, entries, doc.source,
                         str(e) if isinstance(e, _Refused) else f"could not be chunked ({e.__class__.__name__}: {e})")
    failed = {e.path for e in rep.errors}
    for source in sorted(failed & set(entries) - keep):  # files that now fail keep their previous version
        keep.add(source)
        rep.kept_on_error.append(source)
    on_disk = {d.source for d in loaded.documents} | failed
    rep.removed = sorted(set(entries) - on_disk)

    if old is not None and not pending and not rep.removed:
        rep.path, rep.total_chunks = str(getattr(old, "path", "") or store.describe()), len(old)
        rep.seconds = time.perf_counter() - t0
        progress(1, 1, "nothing to do")
        return rep

    new = _embed(pending, embedder, progress, settings.embedding_batch_size, rep, keep, entries)
    for c in new:
        (rep.updated if c.record.source in entries else rep.added).append(c.record.source)
    docs = {s: entries[s] for s in keep} | {c.record.source: document_entry(c) for c in new}
    if not docs:
        raise AssistantError(f"No document in {corpus_dir} could be indexed." +
                             ("".join(f"\n  {e}" for e in rep.errors) or " The folder is empty."))
    dim = old.manifest["embedding"]["dim"] if old is not None else None
    manifest = make_manifest(embedding_identity(embedder, dim) | {"dtype": getattr(embedder, "dtype_name", "")},
                             chunker.as_dict(), store.kind, docs)
    progress(1, 1, "writing index")
    rep.path = store.write(manifest, keep, new, old)
    rep.total_chunks = manifest["n_chunks"]
    rep.seconds = time.perf_counter() - t0
    progress(1, 1, "done")
    return rep


def _file_failed(rep: IndexReport, keep: set[str], entries: dict, source: str, reason: str) -> None:
    rep.errors.append(LoaderError(source, reason))
    if source in entries:
        keep.add(source)
        rep.kept_on_error.append(source)


def _embed(pending: list[_Pending], embedder: Embedder, progress: Progress, batch: int,
           rep: IndexReport, keep: set[str], entries: dict) -> list[DocContents]:
    """Embed everything in one pass; if that fails, document by document, so the
    failure belongs to the file that caused it."""
    if not pending:
        return []
    t0 = time.perf_counter()
    try:
        vectors = _embed_all(pending, embedder, progress, batch)
        ok = list(zip(pending, vectors))
    except Exception:  # noqa: BLE001 - find the file that fails
        ok = []
        for p in pending:
            try:
                ok.append((p, _embed_all([p], embedder, progress, batch)[0]))
            except Exception as e:  # noqa: BLE001
                _file_failed(rep, keep, entries, p.doc.source, f"could not be embedded ({e.__class__.__name__}: {e})")
    rep.embed_seconds = time.perf_counter() - t0
    out = [_contents(p, v) for p, v in ok]
    rep.embedded_chunks = sum(len(c.chunks) for c in out)
    rep.embedded_sentences = sum(len(sv) for c in out for sv in c.sentence_vectors)
    rep.embedded_in_context = sum(len(p.in_context) for p, _ in ok)
    return out
