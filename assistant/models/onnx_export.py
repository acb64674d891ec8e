"""Exports the embedder for ONNX Runtime (onnx_encoder.py), once, at `assistant models
fetch`: torch's ONNX exporter on the whole sentence-transformers pipeline, ONNX Runtime's
transformer fusions for the fp32 graph and its dynamic int8 quantisation for questions.
Checked against the torch model before anything is installed; installed atomically."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.core.errors import ModelError
from assistant.core.logs import quiet_loggers
from assistant.models.onnx_encoder import FILE, FILES, FORMAT, MIN_AGREEMENT, PROMPTS, STAMP, OnnxEncoder, earlier_dir, export_dir, \
    is_exported


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
    """Export `model_dir` (and quantise a copy for questions; about 3 min and 4 GB of memory
    on 2 cores, once), check it, and install it in place of any earlier one. Returns the folder."""
    out = export_dir(model_dir)
    with _export_lock(model_dir.parent):
        if not force and is_exported(model_dir, model_hash):   # another process just made it
            return out
        for stale in model_dir.parent.glob(".onnx-export-*"):   # left by a killed export
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=".onnx-export-", dir=model_dir.parent))
        try:
            log(f"exporting the embedder to ONNX Runtime (once; fp32, and an int8 copy for questions): {out}")
            saved, tempfile.tempdir = tempfile.tempdir, str(tmp)   # the exporters' own temporary copies too
            try:
                final = _build(model_dir, model_hash, tmp)
            finally:
                tempfile.tempdir = saved
            for path in (final, *final.rglob("*")):            # readable by the service's user too
                path.chmod(0o755 if path.is_dir() else 0o644)
            old = tmp / "previous"
            if out.exists():
                os.replace(out, old)                            # aside, then the new one in
            try:
                os.replace(final, out)
            except OSError:
                if old.exists():
                    os.replace(old, out)                        # the earlier export stays
                raise
            shutil.rmtree(earlier_dir(model_dir), ignore_errors=True)
            log(f"ONNX Runtime encoder ready: {out}")
            return out
        except Exception as e:
            raise ModelError(f"Could not export the embedder to ONNX ({e.__class__.__name__}: {str(e)[:200]}). "
                             "Set embedding_dtype = \"float32\" and query_dtype = \"int8\" (in assistant.toml, or "
                             "ASSISTANT_EMBEDDING_DTYPE=float32 ASSISTANT_QUERY_DTYPE=int8) to use torch instead.") from e
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

    enc = st.tokenizer([(st.prompts.get("query") or "") + "a question", "two"], return_tensors="pt", padding=True)
    final, raw = tmp / "out", tmp / "raw" / "fp32.onnx"
    final.mkdir()
    raw.parent.mkdir()
    batch, seq = torch.export.Dim("batch", max=64), torch.export.Dim("seq", max=int(st.max_seq_length or 2048))
    with warnings.catch_warnings(), torch.inference_mode(False), quiet_loggers("torch.onnx", ""):
        warnings.simplefilter("ignore")
        torch.onnx.export(Pipeline().eval(), (enc["input_ids"], enc["attention_mask"]), str(raw),
                          input_names=["input_ids", "attention_mask"], output_names=["question_vector"],
                          dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
                          dynamo=True, external_data=True, verbose=False, report=False)
    st.tokenizer.save_pretrained(str(final / "tokenizer"))
    get_dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
    stamp = {"format": FORMAT, "model_hash": model_hash, "prompts": {k: st.prompts.get(k, "") for k in PROMPTS},
             "dim": int(get_dim() or 0), "max_tokens": int(st.max_seq_length or 2048)}
    probe = {"query": ["How many safety representatives are there?", "När ska utredningen vara klar?"],
             "document": ["Skyddsombud: 6496 skyddsombud finns i förbundet.", "Referencegruppen består af 8 personer."]}
    want = {kind: getattr(st, f"encode_{kind}")(texts, normalize_embeddings=True, convert_to_numpy=True)
            for kind, texts in probe.items()}
    del st, get_dim   # 1.2 GB that quantising and fusing do not need

    def agreement(dtype: str, kinds=PROMPTS) -> float:  # checked before anything is installed
        enc = OnnxEncoder.from_folder(final, stamp, threads=1, dtype=dtype)
        cos = min(float(np.min(np.sum(want[k] * enc.encode(probe[k], k), axis=1))) for k in kinds)
        if cos < MIN_AGREEMENT[FILES[dtype]]:
            raise ModelError(f"the exported encoder ({FILES[dtype]}) gives other vectors than the model (cosine {cos:.3f})")
        return round(cos, 4)

    _fuse(raw, final / FILES["onnx-float32"])
    stamp["agreement_fp32"] = agreement("onnx-float32")
    with quiet_loggers(""):   # from the fused graph: its RMS norms and GELUs stay one kernel each
        quantize_dynamic(str(final / FILES["onnx-float32"]), str(final / FILE), weight_type=QuantType.QInt8,
                         use_external_data_format=True)
    stamp["agreement_int8"] = agreement("onnx-int8", ("query",))
    stamp["files"] = {p.name: p.stat().st_size for p in final.iterdir() if p.is_file()}
    (final / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    return final


def _fuse(src: Path, dst: Path) -> None:
    """ONNX Runtime's graph fusions for transformers (one kernel for each RMS norm and GELU):
    1.3x faster on an AVX2 EPYC (passages), cosine 0.99999 to the plain export; the int8 file
    is quantised from the fused graph (1.3x faster per question on a Zen 4 EPYC)."""
    import contextlib
    import io

    from onnxruntime.transformers import optimizer

    with quiet_loggers("onnxruntime", "onnx_model", ""), contextlib.redirect_stdout(io.StringIO()):
        model = optimizer.optimize_model(str(src), model_type="bert", num_heads=0, hidden_size=0, opt_level=1)
        model.save_model_to_file(str(dst), use_external_data_format=True)


def ensure_for(embedder, log: Callable[[str], None] = print, force: bool = False) -> None:
    """Export the encoder if `embedder` will use it and it is missing (or `force`)."""
    if not {getattr(embedder, "query_dtype_name", ""), getattr(embedder, "dtype_name", "")} & set(FILES):
        return
    if not force and is_exported(embedder.path, embedder.model_hash):
        log(f"ONNX Runtime encoder already exported: {export_dir(embedder.path)}")
    else:
        export(embedder.path, embedder.model_hash, log, force=force)
