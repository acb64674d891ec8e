"""The question encoder in ONNX Runtime with int8 weights (issue 8: a faster runtime for
the encoder on CPU).

Exported once from the verified EmbeddingGemma folder by `assistant models fetch`: the
whole sentence-transformers pipeline (transformer, mean pooling, dense layers, normalise)
through torch's ONNX exporter, then ONNX Runtime's dynamic int8 quantisation (VNNI or AVX2 kernels).
Written next to the model, atomically, with a stamp that names the model it came from; a
stamp for another model means "export again", never a silent use. Questions only: the
documents keep the torch model (bf16/fp32), so the index does not change.
Measured on the eval set and in eval/bench.py (README)."""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import ModelError

FILE = "question-int8.onnx"
STAMP = "stamp.json"
QUERY_PROMPT = "query"        # the model's own prompt name for questions
FORMAT = 1                    # bumped when the export changes: an older one is exported again
# checked at export, cosine with the torch model's fp32 question vectors: the fp32 export must
# be the same function; int8 weights cost some (torch's own int8 reaches 0.90-0.95 there)
MIN_AGREEMENT = {"fp32.onnx": 0.999, FILE: 0.9}


def export_dir(model_dir: Path) -> Path:
    return model_dir.parent / f"{model_dir.name}-onnx-questions"


def is_exported(model_dir: Path, model_hash: str) -> bool:
    """The export is there, complete (every file at its recorded size) and made from this model."""
    folder = export_dir(model_dir)
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
        sizes = stamp["files"]
        complete = FILE in sizes and all((folder / name).stat().st_size == size for name, size in sizes.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return complete and stamp.get("model_hash") == model_hash and stamp.get("format") == FORMAT \
        and all(k in stamp for k in ("prompt", "dim", "max_tokens"))


@contextmanager
def _export_lock(models_dir: Path):
    """One export at a time per models folder (each needs ~4 GB); a second waits, then finds it done."""
    import fcntl

    with open(models_dir / ".onnx-export.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def export(model_dir: Path, model_hash: str, log: Callable[[str], None] = print, force: bool = False) -> Path:
    """Export + quantise the question encoder of `model_dir` (about 100 s and 4 GB of memory
    on 2 cores, once), check it, and install it in place of any earlier one. Returns the folder."""
    out = export_dir(model_dir)
    with _export_lock(model_dir.parent):
        if not force and is_exported(model_dir, model_hash):   # another process just made it
            return out
        for stale in model_dir.parent.glob(".onnx-export-*"):   # left by a killed export
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=".onnx-export-", dir=model_dir.parent))
        try:
            log(f"exporting the question encoder to ONNX Runtime int8 (once): {out}")
            final = _build(model_dir, model_hash, tmp)
            for path in (final, *final.rglob("*")):            # readable by the service's user too
                path.chmod(0o755 if path.is_dir() else 0o644)
            old = tmp / "previous"
            if out.exists():
                os.replace(out, old)                            # aside, then the new one in: no empty window
            os.replace(final, out)
            log(f"question encoder ready: {out}")
            return out
        except Exception as e:
            raise ModelError(f"Could not export the question encoder to ONNX ({e.__class__.__name__}: {str(e)[:200]}). "
                             "Set query_dtype = \"int8\" (in assistant.toml, or ASSISTANT_QUERY_DTYPE=int8) to use "
                             "torch's int8 instead.") from e
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _build(model_dir: Path, model_hash: str, tmp: Path) -> Path:
    """The export in `tmp/out`, checked against the model; raises if it disagrees."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True,
                             model_kwargs={"attn_implementation": "eager", "dtype": torch.float32}).eval()

    class Pipeline(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.st = st

        def forward(self, input_ids, attention_mask):
            return self.st({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]

    enc = st.tokenizer([st.prompts.get(QUERY_PROMPT, "") + "a question", "two"], return_tensors="pt", padding=True)
    batch, seq = torch.export.Dim("batch", max=64), torch.export.Dim("seq", max=int(st.max_seq_length))
    with warnings.catch_warnings(), torch.inference_mode(False), _quiet("torch.onnx", ""):
        warnings.simplefilter("ignore")
        torch.onnx.export(Pipeline().eval(), (enc["input_ids"], enc["attention_mask"]), str(tmp / "fp32.onnx"),
                          input_names=["input_ids", "attention_mask"], output_names=["question_vector"],
                          dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
                          dynamo=True, external_data=True, verbose=False, report=False)
    final = tmp / "out"
    final.mkdir()
    st.tokenizer.save_pretrained(str(final / "tokenizer"))
    get_dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
    stamp = {"format": FORMAT, "model_hash": model_hash, "prompt": st.prompts.get(QUERY_PROMPT, ""),
             "dim": int(get_dim()), "max_tokens": int(st.max_seq_length)}
    probe = ["How many safety representatives does the union have?", "När ska utredningen vara klar?"]
    want = st.encode_query(probe, normalize_embeddings=True, convert_to_numpy=True)

    def agreement(onnx_file: Path) -> float:  # checked before anything is installed
        got = OnnxQuestionEncoder.from_folder(final, stamp, threads=1, file=onnx_file).encode(probe)
        cos = float(np.min(np.sum(want * got, axis=1)))
        if cos < MIN_AGREEMENT[onnx_file.name]:
            raise ModelError(f"the exported encoder ({onnx_file.name}) gives other vectors than the model (cosine {cos:.3f})")
        return round(cos, 4)

    stamp["agreement_fp32"] = agreement(tmp / "fp32.onnx")
    with _quiet(""):
        quantize_dynamic(str(tmp / "fp32.onnx"), str(final / FILE), weight_type=QuantType.QInt8,
                         use_external_data_format=True)
    stamp["agreement_int8"] = agreement(final / FILE)
    stamp["files"] = {p.name: p.stat().st_size for p in final.iterdir() if p.is_file()}
    (final / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    return final


@contextmanager
def _quiet(*loggers: str):
    """The exporters' warnings (torchvision not installed, "consider pre-processing") say
    nothing to the user; errors still show."""
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in loggers]
    for lg, _ in saved:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in saved:
            lg.setLevel(level)


def ensure_for(embedder, log: Callable[[str], None] = print, force: bool = False) -> None:
    """Export the question encoder if `embedder` will use it and it is missing (or `force`)."""
    if getattr(embedder, "query_dtype_name", "") != "onnx-int8":
        return
    if not force and is_exported(embedder.path, embedder.model_hash):
        log(f"question encoder already exported: {export_dir(embedder.path)}")
    else:
        export(embedder.path, embedder.model_hash, log, force=force)


class OnnxQuestionEncoder:
    """Encodes questions with the exported model; one run per question (no padding)."""

    def __init__(self, model_dir: Path, model_hash: str, threads: int):
        folder = export_dir(model_dir)
        if not is_exported(model_dir, model_hash):
            raise ModelError(f"The question encoder for ONNX Runtime is not in {folder} (or was exported from another "
                             "model). Run `assistant models fetch` (it exports it once), or set query_dtype = \"int8\".")
        self._open(folder, json.loads((folder / STAMP).read_text(encoding="utf-8")), threads)

    @classmethod
    def from_folder(cls, folder: Path, stamp: dict, threads: int, file: Path | None = None) -> "OnnxQuestionEncoder":
        enc = cls.__new__(cls)
        enc._open(folder, stamp, threads, file)
        return enc

    def _open(self, folder: Path, stamp: dict, threads: int, file: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer  # the Rust tokenizer alone: no torch/transformers import when serving

        self.prompt, self.dim, self.max_tokens = stamp["prompt"], stamp["dim"], stamp["max_tokens"]
        try:
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer" / "tokenizer.json"))
        except Exception as e:
            raise ModelError(f"Cannot read the question encoder's tokenizer in {folder}: {str(e)[:200]}. "
                             "Run `assistant models fetch --force` to export it again.") from e
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        # idle threads sleep instead of spinning: the LLM runs on the same cores right after
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(file or folder / FILE), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # damaged after it was checked
            raise ModelError(f"Cannot open the question encoder in {folder}: {str(e)[:200]}. "
                             "Run `assistant models fetch --force` to export it again.") from e
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` with the special tokens (without the prompt), not cut at the
        model's maximum: the indexer refuses a chunk over it."""
        return len(self._counter.encode(text).ids)

    @cached_property
    def _counter(self):
        """The tokenizer without truncation (made when first needed: indexing, not questions)."""
        from tokenizers import Tokenizer

        counter = Tokenizer.from_str(self.tokenizer.to_str())
        counter.no_truncation()
        return counter

    def encode(self, texts: list[str]) -> np.ndarray:
        out = []
        for text in texts:
            ids = np.asarray([self.tokenizer.encode(self.prompt + text).ids], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            with self._lock:
                out.append(self.session.run(None, feed)[0][0])
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)
