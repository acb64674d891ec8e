"""Incremental indexing: unchanged documents keep their chunks and vectors, changed
ones are re-chunked and re-embedded, deleted ones are dropped. A file that fails to
load but was indexed before keeps its previous version (nothing is lost)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .chunking import Chunk, ChunkerSettings, chunk_document, clean_text, outline, tiktoken_counter
from .config import Settings
from .embeddings import Embedder
from .errors import AssistantError, IndexError_, IndexMissingError, LoaderError
from .loaders import Document, load_corpus
from .store import DocRecord, FaissFlatStore, Index, check_compatible, load_index, make_manifest, save_index

Progress = Callable[[float, str], None]


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_on_error: list[str] = field(default_factory=list)
    errors: list[LoaderError] = field(default_factory=list)
    embedded_chunks: int = 0
    embedded_sentences: int = 0
    total_chunks: int = 0
    seconds: float = 0.0
    rebuilt_reason: str = ""
    path: Path | None = None

    def summary(self) -> str:
        lines = []
        if self.rebuilt_reason:
            lines.append(f"full rebuild: {self.rebuilt_reason}")
        lines.append(f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
                     f"unchanged {len(self.unchanged)} document(s); embedded {self.embedded_chunks} chunk(s) and "
                     f"{self.embedded_sentences} sentence(s) in {self.seconds:.1f}s; index has {self.total_chunks} chunks")
        for name, items in (("added", self.added), ("updated", self.updated), ("removed", self.removed)):
            lines += [f"  {name}: {s}" for s in items]
        lines += [f"  kept previous version of {s} (the file now fails to load)" for s in self.kept_on_error]
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


def _doc_record(doc: Document) -> DocRecord:
    return DocRecord(doc.source, doc.title, doc.language, doc.date, doc.content_hash, doc.fmt, doc.text, tuple(outline(doc)))


def _reuse(old: Index, idxs: list[int]) -> tuple[list[Chunk], np.ndarray, list[np.ndarray]]:
    """A document's chunks, chunk vectors and sentence vectors from the previous index."""
    return ([old.chunks[i] for i in idxs], old.chunk_vectors[idxs].reshape(len(idxs), -1),
            [old.chunk_sentence_vectors(i) for i in idxs])


def build_index(settings: Settings, embedder: Embedder, rebuild: bool = False,
                progress: Progress = lambda f, m: None) -> IndexReport:
    t0 = time.perf_counter()
    rep = IndexReport()
    corpus_dir, index_dir = settings.path("corpus_dir"), settings.path("index_dir")
    if not corpus_dir.is_dir():
        raise AssistantError(f"Corpus folder {corpus_dir} does not exist. Create it and put documents in it.")
    chunker = chunker_settings(settings)
    # the model is only loaded when something must be embedded (or its size is unknown)
    ident = {"model_id": embedder.model_id, "model_hash": embedder.model_hash}
    progress(0.02, "reading documents")
    loaded = load_corpus(corpus_dir)
    rep.errors = list(loaded.errors)

    old: Index | None = None
    if not rebuild:
        try:
            old = load_index(index_dir)
            check_compatible(old.manifest, ident, chunker.as_dict())
        except IndexMissingError:
            old = None
        except IndexError_ as e:  # built with another model/settings, or unreadable
            rep.rebuilt_reason = str(e).split(" Re-index with")[0].split(" Rebuild with")[0]
            old = None
    else:
        rep.rebuilt_reason = "requested (--rebuild)"

    old_by_source: dict[str, list[int]] = {}
    if old is not None:
        for i, c in enumerate(old.chunks):
            old_by_source.setdefault(c.source, []).append(i)

    documents: dict[str, DocRecord] = {}
    parts: list[tuple[list[Chunk], np.ndarray, list[np.ndarray]]] = []  # per doc: chunks, chunk vecs, sentence vecs
    to_embed: list[tuple[Document, list[Chunk]]] = []
    failed = {e.path for e in loaded.errors}
    count = tiktoken_counter(chunker.tokenizer)
    for doc in loaded.documents:
        prev = old.documents.get(doc.source) if old else None
        if prev is not None and prev.content_hash == doc.content_hash:
            documents[doc.source] = prev
            parts.append(_reuse(old, old_by_source.get(doc.source, [])))
            rep.unchanged.append(doc.source)
            continue
        (rep.updated if prev is not None else rep.added).append(doc.source)
        chunks = chunk_document(doc, chunker, count)
        too_long = [c for c in chunks if embedder.count_tokens(c.embed_text) > embedder.max_tokens]
        if too_long:
            raise AssistantError(f"{doc.source}: a chunk has more tokens than the model's maximum ({embedder.max_tokens}); "
                                 "lower `chunk_tokens`.")
        to_embed.append((doc, chunks))
    if old is not None:  # documents that now fail to load keep their previous version
        for source in sorted(failed & set(old.documents)):
            documents[source] = old.documents[source]
            parts.append(_reuse(old, old_by_source.get(source, [])))
            rep.kept_on_error.append(source)
        rep.removed = sorted(set(old.documents) - {d.source for d in loaded.documents} - failed)

    if old is not None and not (rep.added or rep.updated or rep.removed):
        rep.path, rep.total_chunks = old.path, len(old.chunks)  # nothing changed: keep the index as it is
        rep.seconds = time.perf_counter() - t0
        progress(1.0, "nothing to do")
        return rep

    n_total = sum(len(ch) for _, ch in to_embed) or 1
    done = 0
    for doc, chunks in to_embed:
        progress(0.05 + 0.9 * done / n_total, f"embedding {doc.source}")
        cvec = embedder.embed_documents_np([c.embed_text for c in chunks])
        sent_texts = [clean_text(s) for c in chunks for s in c.sentence_texts()]
        svec_all = embedder.embed_documents_np(sent_texts)
        svecs, k = [], 0
        for c in chunks:
            svecs.append(svec_all[k:k + len(c.sentences)])
            k += len(c.sentences)
        documents[doc.source] = _doc_record(doc)
        parts.append((chunks, cvec, svecs))
        rep.embedded_chunks += len(chunks)
        rep.embedded_sentences += len(sent_texts)
        done += len(chunks)

    ident = embedding_identity(embedder, dim=old.manifest["embedding"]["dim"] if old is not None else None)
    if not documents:
        raise AssistantError(f"No document in {corpus_dir} could be indexed." +
                             ("".join(f"\n  {e}" for e in rep.errors) or " The folder is empty."))

    parts.sort(key=lambda p: p[0][0].source if p[0] else "")
    chunks = [c for p in parts for c in p[0]]
    dim = ident["dim"]
    cvecs = np.vstack([p[1] for p in parts if len(p[1])]).astype(np.float32) if chunks else np.zeros((0, dim), np.float32)
    sent_lists = [sv for p in parts for sv in p[2]]
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(sv) for sv in sent_lists])
    svecs = np.vstack([sv for sv in sent_lists if len(sv)]).astype(np.float32) if offsets[-1] else np.zeros((0, dim), np.float32)
    store = FaissFlatStore(dim)
    store.add(cvecs)
    manifest = make_manifest(ident, chunker.as_dict(), store.kind, documents, chunks, int(offsets[-1]))
    progress(0.97, "writing index")
    idx = Index(manifest, documents, chunks, cvecs, svecs, offsets, store)
    rep.path = save_index(index_dir, idx)
    rep.total_chunks = len(chunks)
    rep.seconds = time.perf_counter() - t0
    progress(1.0, "done")
    return rep
