"""The question encoder in ONNX Runtime (onnx_query.py): chosen by CPU, refused when stale,
and, with the real model, the same vectors as the torch model's within int8 noise."""
import json

import numpy as np
import pytest

from assistant import hardware, models, onnx_query
from assistant.embeddings import SentenceTransformerEmbedder
from assistant.errors import ConfigError, ModelError
from conftest import ROOT

VNNI, NO_VNNI, OLD = {"avx512_vnni", "avx512_bf16", "avx2"}, {"avx2"}, {"sse4_2"}


def test_questions_run_in_onnx_runtime_where_its_int8_kernels_run_and_the_model_has_an_export():
    assert hardware.query_dtype("auto", VNNI, onnx=True) == "onnx-int8"
    assert hardware.query_dtype("auto", NO_VNNI, onnx=True) == "onnx-int8"  # AVX2 alone: 48 against 208 ms in fp32
    assert hardware.query_dtype("auto", VNNI, onnx=False) == "int8"        # another model folder: torch's int8
    assert hardware.query_dtype("auto", NO_VNNI, onnx=False) == "float32"  # no VNNI, no export: the documents' dtype
    assert hardware.query_dtype("auto", OLD, onnx=True) == "float32"       # neither AVX2 nor VNNI
    assert hardware.query_dtype("int8", VNNI, onnx=True) == "int8"         # the setting wins
    with pytest.raises(ConfigError, match="questions only"):
        SentenceTransformerEmbedder(ROOT / "models", "m", "h", dtype="onnx-int8")
    with pytest.raises(ConfigError, match="default model only"):           # no export is made for other folders
        SentenceTransformerEmbedder(ROOT / "models", "my/model", "h", query_dtype="onnx-int8")


def test_a_missing_stale_or_incomplete_export_is_refused_with_what_to_do(tmp_path):
    model_dir = tmp_path / "embeddinggemma-300m"
    model_dir.mkdir()
    with pytest.raises(ModelError, match="assistant models fetch"):
        onnx_query.OnnxQuestionEncoder(model_dir, "hash-1", threads=1)
    out = onnx_query.export_dir(model_dir)
    out.mkdir()
    (out / onnx_query.FILE).write_bytes(b"graph")
    (out / (onnx_query.FILE + ".data")).write_bytes(b"weights")
    good = {"format": onnx_query.FORMAT, "model_hash": "hash-1", "prompt": "q: ", "dim": 4, "max_tokens": 8,
            "files": {onnx_query.FILE: 5, onnx_query.FILE + ".data": 7}}
    (out / onnx_query.STAMP).write_text(json.dumps(good))
    assert onnx_query.is_exported(model_dir, "hash-1")
    for stamp in (dict(good, model_hash="another model"), dict(good, format=0), {k: v for k, v in good.items() if k != "dim"},
                  dict(good, files={onnx_query.FILE: 5, onnx_query.FILE + ".data": 70}), "{broken"):
        (out / onnx_query.STAMP).write_text(stamp if isinstance(stamp, str) else json.dumps(stamp))
        assert not onnx_query.is_exported(model_dir, "hash-1")
        with pytest.raises(ModelError, match="exported from another model"):
            onnx_query.OnnxQuestionEncoder(model_dir, "hash-1", threads=1)
    (out / onnx_query.STAMP).write_text(json.dumps(good))
    (out / (onnx_query.FILE + ".data")).unlink()                           # a half-copied export
    assert not onnx_query.is_exported(model_dir, "hash-1")


def test_a_failed_export_keeps_the_earlier_one_and_leaves_nothing_behind(tmp_path):
    model_dir = tmp_path / "embeddinggemma-300m"
    model_dir.mkdir()                                        # not a model: the export fails
    earlier = onnx_query.export_dir(model_dir)
    earlier.mkdir()
    (earlier / "stamp.json").write_text("{}")
    (tmp_path / ".onnx-export-killed").mkdir()              # left by an export that was killed
    with pytest.raises(ModelError, match="ASSISTANT_QUERY_DTYPE=int8"):
        onnx_query.export(model_dir, "hash-1", log=lambda s: None)
    assert (earlier / "stamp.json").read_text() == "{}"
    assert not list(tmp_path.glob(".onnx-export-*"))


@pytest.mark.model
def test_the_exported_encoder_gives_the_models_question_vectors():
    folder = models.gemma_dir(ROOT / "models")
    if not onnx_query.is_exported(folder, models.hash_list_digest()):
        pytest.skip("no ONNX export here (made by `assistant models fetch` on CPUs with int8 dot products)")
    fp32 = SentenceTransformerEmbedder(folder, models.GEMMA_ID, models.hash_list_digest(), dtype="float32")
    fast = SentenceTransformerEmbedder(folder, models.GEMMA_ID, models.hash_list_digest(), query_dtype="onnx-int8",
                                       onnx_questions=True)
    questions = ["How many safety representatives does the union have?", "När ska utredningen vara klar?",
                 "Hvor mange personer består referencegruppen af?", "Hvem leder Helsesekretærforbundet i Delta?"]
    want, got = fp32.embed_queries_np(questions), fast.embed_queries_np(questions)
    assert got.shape == (4, 768) and np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-3)
    cos = np.sum(want * got, axis=1)
    assert cos.min() >= 0.9, cos                               # int8 noise (torch's own int8: 0.90-0.95)
    others = want @ got.T - np.diag(np.diag(want @ got.T))
    assert (cos[:, None] > others).all()                        # each question still nearest to itself
    assert fast.count_tokens("Hvem leder Helsesekretærforbundet?") == fp32.count_tokens("Hvem leder Helsesekretærforbundet?")


@pytest.mark.model
def test_questions_are_answered_without_loading_torch_and_tokenised_as_the_model_does():
    """The chat and `assistant ask` load ONNX Runtime and the Rust tokenizer only (about 5 s
    less start-up); the ids are those of the model's own tokenizer, truncation included."""
    import subprocess
    import sys

    folder = models.gemma_dir(ROOT / "models")
    if not onnx_query.is_exported(folder, models.hash_list_digest()):
        pytest.skip("no ONNX export here (made by `assistant models fetch` on CPUs with int8 dot products)")
    code = ("import sys; from pathlib import Path; from assistant import models\n"
            "from assistant.embeddings import SentenceTransformerEmbedder\n"
            f"e = SentenceTransformerEmbedder(models.gemma_dir(Path({str(ROOT / 'models')!r})), models.GEMMA_ID, "
            "models.hash_list_digest(), query_dtype='onnx-int8', onnx_questions=True)\n"
            "v = e.embed_query_np('Hur många skyddsombud finns det?')\n"
            "print(v.shape[0], e.count_tokens('ø'), 'torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-4:] == ["768", "3", "False", "False"]      # <bos> ø <eos>; no torch, no transformers
    from transformers import AutoTokenizer

    enc = onnx_query.OnnxQuestionEncoder(folder, models.hash_list_digest(), threads=1)
    hf = AutoTokenizer.from_pretrained(str(onnx_query.export_dir(folder) / "tokenizer"), local_files_only=True)
    for text in ("Hvad er 6 496 kr.? 🙂", "", "a\x00b", "Hvem leder Helsesekretærforbundet? " * 400):
        want = hf([enc.prompt + text], truncation=True, max_length=enc.max_tokens)["input_ids"][0]
        assert enc.tokenizer.encode(enc.prompt + text).ids == want
    assert len(want) == enc.max_tokens                                       # the long one was cut as the model cuts
    assert enc.count_tokens(text) > enc.max_tokens       # ... but counted whole: the indexer refuses such a chunk
