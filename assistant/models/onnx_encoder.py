"""The embedder in ONNX Runtime (a faster runtime for the encoder on CPU): fp32,
the torch model's function (cosine 0.99999), 1.8x torch's speed on passages on an AVX2-only
EPYC (59 ms against 218 ms per question); int8 weights for questions where the CPU has VNNI
(21 ms against 89 ms in torch's int8 on a Xeon). Both graphs carry ONNX Runtime's fused RMS
norm and GELU kernels (int8: 30 -> 23 ms per question on a Zen 4 EPYC).

Exported once, beside the verified EmbeddingGemma folder, by `assistant models fetch`
(onnx_export.py), with a stamp that names the model it came from; a stamp for another
model or an older format means "export again", never a silent use. int8 is for questions
only: documents are embedded at full precision, so the index does not change.
Measured on the eval set and in eval/bench.py (README)."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path

import numpy as np

from assistant.core.errors import ModelError

FILES = {"onnx-float32": "fp32.onnx", "onnx-int8": "question-int8.onnx"}   # dtype name -> graph file
FILE = FILES["onnx-int8"]
STAMP = "stamp.json"
PROMPTS = ("query", "document")   # the model's own prompt names
FORMAT = 3                        # bumped when the export changes: an older one is exported again
                                  # (3: the int8 graph is quantised from the fused one)
# checked at export, cosine with the torch model's fp32 vectors: the fp32 export must be the
# same function; int8 weights cost some (torch's own int8 reaches 0.90-0.95 there)
MIN_AGREEMENT = {FILES["onnx-float32"]: 0.999, FILE: 0.9}


def export_dir(model_dir: Path) -> Path:
    return model_dir.parent / f"{model_dir.name}-onnx"


def earlier_dir(model_dir: Path) -> Path:
    """Where format 1 (questions only) was written; removed when the new export is in."""
    return model_dir.parent / f"{model_dir.name}-onnx-questions"


def is_exported(model_dir: Path, model_hash: str) -> bool:
    """The export is there, complete (every file at its recorded size) and made from this model."""
    folder = export_dir(model_dir)
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
        sizes = stamp["files"]
        complete = set(FILES.values()) <= set(sizes) and all((folder / name).stat().st_size == size for name, size in sizes.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return complete and stamp.get("model_hash") == model_hash and stamp.get("format") == FORMAT \
        and all(k in stamp for k in ("prompts", "dim", "max_tokens"))




class OnnxEncoder:
    """Encodes texts with one exported graph (`dtype`: a key of FILES). int8 runs each text
    alone: its activations are quantised per run, so a text in a batch would get another vector.
    Those runs go side by side, one core each (a question and its glossary-expanded form: 42 ms
    against 61 ms one after the other on two cores; a question alone on one core: 27 ms
    against 25 ms on two)."""

    def __init__(self, model_dir: Path, model_hash: str, threads: int, dtype: str = "onnx-int8", spin: bool = False):
        folder = export_dir(model_dir)
        if not is_exported(model_dir, model_hash):
            raise ModelError(f"The ONNX Runtime encoder is not in {folder} (or was exported from another model). "
                             "Run `assistant models fetch` (it exports it once), or set embedding_dtype = "
                             "\"float32\" and query_dtype = \"int8\".")
        self._open(folder, json.loads((folder / STAMP).read_text(encoding="utf-8")), threads, dtype, spin)

    @classmethod
    def from_folder(cls, folder: Path, stamp: dict, threads: int, dtype: str = "onnx-int8") -> "OnnxEncoder":
        enc = cls.__new__(cls)
        enc._open(folder, stamp, threads, dtype)
        return enc

    def _open(self, folder: Path, stamp: dict, threads: int, dtype: str, spin: bool = False) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer  # the Rust tokenizer alone: no torch/transformers import when serving

        self.prompts, self.dim, self.max_tokens = stamp["prompts"], stamp["dim"], stamp["max_tokens"]
        try:
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer" / "tokenizer.json"))
        except Exception as e:
            raise ModelError(f"Cannot read the ONNX Runtime encoder's tokenizer in {folder}: {str(e)[:200]}. "
                             "Run `assistant models fetch --force` to export it again.") from e
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer.no_padding()
        self.pack = 0 if dtype == "onnx-int8" else 256
        # int8: one text per run, one core per run, `threads` runs at a time (`_pool`)
        self.parallel = threads if self.pack == 0 and threads > 1 else 1
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = 1 if self.parallel > 1 else threads, 1
        # `spin` only for a session that embeds documents alone (1.1x faster while indexing);
        # one that answers questions sleeps when idle: the LLM runs on the same cores right after
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        try:
            self.session = ort.InferenceSession(str(folder / FILES[dtype]), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # damaged after it was checked
            raise ModelError(f"Cannot open the ONNX Runtime encoder in {folder}: {str(e)[:200]}. "
                             "Run `assistant models fetch --force` to export it again.") from e
        self._lock = threading.Lock()
        # int8: every run through the pool, which caps the runs at once at `threads` (one core each)
        self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="onnx-encoder") if self.parallel > 1 else None

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

    def encode(self, texts: list[str], kind: str = "query") -> np.ndarray:
        """Unit vectors of `texts` read as `kind` ("query" or "document": the model's prompt)."""
        ids = [self.tokenizer.encode(self.prompts[kind] + text).ids for text in texts]
        feeds = []
        for run in _runs([len(x) for x in ids], self.pack):
            width = max(len(ids[i]) for i in run)
            feed = {"input_ids": np.zeros((len(run), width), np.int64), "attention_mask": np.zeros((len(run), width), np.int64)}
            for row, i in enumerate(run):
                feed["input_ids"][row, :len(ids[i])], feed["attention_mask"][row, :len(ids[i])] = ids[i], 1
            feeds.append(feed)
        if self._pool:   # one core each: a session runs concurrently
            out = list(self._pool.map(lambda feed: self.session.run(None, feed)[0], feeds))
        else:
            out = []
            for feed in feeds:
                with self._lock:
                    out.append(self.session.run(None, feed)[0])
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.dim), np.float32)


def _runs(lengths: list[int], pack: int) -> list[list[int]]:
    """Consecutive texts grouped into runs of up to 8 and `pack` padded tokens (short
    sentences run together: 1.25x faster than one by one; long passages alone: padding
    costs more than a run). `pack` 0: one text per run."""
    runs: list[list[int]] = []
    for i, n in enumerate(lengths):
        if runs and len(runs[-1]) < 8 and (len(runs[-1]) + 1) * max(n, *(lengths[j] for j in runs[-1])) <= pack:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs
