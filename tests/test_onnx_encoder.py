"""The embedder in ONNX Runtime (onnx_encoder.py): chosen by CPU, refused when stale, and,
with the real model, the torch model's vectors: the same for documents (fp32), within int8
noise for questions."""

import json

import numpy as np
import pytest
from conftest import ROOT

from assistant.core.errors import ConfigError, ModelError
from assistant.models import fetch as models
from assistant.models import hardware, onnx_encoder, onnx_export
from assistant.models.embeddings import SentenceTransformerEmbedder

VNNI, NO_VNNI, OLD = {"avx512_vnni", "avx512_bf16", "avx2"}, {"avx2"}, {"sse4_2"}


def test_questions_run_in_onnx_runtime_int8_with_vnni_and_fp32_without_where_the_model_has_an_export():
    assert hardware.query_dtype("auto", VNNI, onnx=True) == "onnx-int8"
    assert hardware.query_dtype("auto", NO_VNNI, onnx=True) == "onnx-float32"  # AVX2 alone: 59 ms (int8: 39 ms)
    assert hardware.query_dtype("auto", VNNI, onnx=False) == "int8"  # another model folder: torch's int8
    assert hardware.query_dtype("auto", NO_VNNI, onnx=False) == "float32"  # no VNNI, no export: the documents' dtype
    assert hardware.query_dtype("auto", OLD, onnx=True) == "onnx-float32"
    assert hardware.query_dtype("int8", VNNI, onnx=True) == "int8"  # the setting wins
    with pytest.raises(ConfigError, match="questions only"):
        SentenceTransformerEmbedder(ROOT / "models", "m", "h", dtype="onnx-int8")
    for setting in ({"query_dtype": "onnx-int8"}, {"dtype": "onnx-float32"}):  # no export is made for other folders
        with pytest.raises(ConfigError, match="default model only"):
            SentenceTransformerEmbedder(ROOT / "models", "my/model", "h", **setting)


def test_documents_run_in_onnx_runtimes_fp32_where_the_cpu_lacks_native_bf16_and_the_model_has_an_export():
    BF16 = {"avx512_bf16", "avx512_vnni", "avx2"}
    assert hardware.document_dtype("auto", NO_VNNI, onnx=True) == "onnx-float32"  # 5.3-5.7 against 3.2 texts/s
    assert hardware.document_dtype("auto", VNNI - {"avx512_bf16"}, onnx=True) == "onnx-float32"
    assert hardware.document_dtype("auto", NO_VNNI, onnx=False) == "float32"  # another model folder: torch
    assert hardware.document_dtype("auto", BF16, onnx=True) == "bfloat16"  # native bf16 stays in torch
    assert hardware.document_dtype("float32", NO_VNNI, onnx=True) == "float32"  # the setting wins
    e = SentenceTransformerEmbedder(ROOT / "models", "m", "h", dtype="onnx-float32", onnx=True)
    assert (e.dtype_name, e.query_dtype_name) == ("onnx-float32", "onnx-float32")  # set alone: questions follow
    torch_questions = SentenceTransformerEmbedder(ROOT / "models", "m", "h", query_dtype="int8", onnx=True)
    assert torch_questions.dtype_name == hardware.document_dtype("auto")  # torch too: the export is not needed


def test_a_missing_stale_or_incomplete_export_is_refused_with_what_to_do(tmp_path):
    model_dir = tmp_path / "embeddinggemma-300m"
    model_dir.mkdir()
    with pytest.raises(ModelError, match="assistant models fetch"):
        onnx_encoder.OnnxEncoder(model_dir, "hash-1", threads=1)
    out = onnx_encoder.export_dir(model_dir)
    out.mkdir()
    (out / onnx_encoder.FILE).write_bytes(b"graph")
    (out / (onnx_encoder.FILE + ".data")).write_bytes(b"weights")
    (out / "fp32.onnx").write_bytes(b"graph32")
    good = {
        "format": onnx_encoder.FORMAT,
        "model_hash": "hash-1",
        "prompts": {"query": "q: ", "document": "d: "},
        "dim": 4,
        "max_tokens": 8,
        "files": {onnx_encoder.FILE: 5, onnx_encoder.FILE + ".data": 7, "fp32.onnx": 7},
    }
    (out / onnx_encoder.STAMP).write_text(json.dumps(good))
    assert onnx_encoder.is_exported(model_dir, "hash-1")
    for stamp in (
        dict(good, model_hash="another model"),
        dict(good, format=0),
        {k: v for k, v in good.items() if k != "dim"},
        dict(good, files={onnx_encoder.FILE: 5, onnx_encoder.FILE + ".data": 70, "fp32.onnx": 7}),
        dict(good, files={onnx_encoder.FILE: 5, onnx_encoder.FILE + ".data": 7}),  # format 1: questions only
        "{broken",
    ):
        (out / onnx_encoder.STAMP).write_text(stamp if isinstance(stamp, str) else json.dumps(stamp))
        assert not onnx_encoder.is_exported(model_dir, "hash-1")
        with pytest.raises(ModelError, match="exported from another model"):
            onnx_encoder.OnnxEncoder(model_dir, "hash-1", threads=1)
    (out / onnx_encoder.STAMP).write_text(json.dumps(good))
    (out / (onnx_encoder.FILE + ".data")).unlink()  # a half-copied export
    assert not onnx_encoder.is_exported(model_dir, "hash-1")


def test_a_failed_export_keeps_the_earlier_one_and_leaves_nothing_behind(tmp_path):
    model_dir = tmp_path / "embeddinggemma-300m"
    model_dir.mkdir()  # not a model: the export fails
    earlier = onnx_encoder.export_dir(model_dir)
    earlier.mkdir()
    (earlier / "stamp.json").write_text("{}")
    (tmp_path / ".onnx-export-killed").mkdir()  # left by an export that was killed
    with pytest.raises(ModelError, match="ASSISTANT_EMBEDDING_DTYPE=float32 ASSISTANT_QUERY_DTYPE=int8"):
        onnx_export.export(model_dir, "hash-1", log=lambda s: None)
    assert (earlier / "stamp.json").read_text() == "{}"
    assert not list(tmp_path.glob(".onnx-export-*"))


def _gemma(**dtypes) -> SentenceTransformerEmbedder:
    folder = models.gemma_dir(ROOT / "models")
    if not onnx_encoder.is_exported(folder, models.hash_list_digest()):
        pytest.skip("no ONNX export here (made by `assistant models fetch` where the CPU lacks bf16 or has VNNI)")
    return SentenceTransformerEmbedder(folder, models.GEMMA_ID, models.hash_list_digest(), onnx=True, **dtypes)


def test_an_export_replaces_the_earlier_one_and_the_questions_only_folder_of_format_1(tmp_path, monkeypatch):
    model_dir = tmp_path / "embeddinggemma-300m"
    model_dir.mkdir()
    earlier, older = onnx_encoder.export_dir(model_dir), onnx_encoder.earlier_dir(model_dir)
    for folder in (earlier, older):
        folder.mkdir()
        (folder / "stamp.json").write_text("{}")

    def fake_build(model_dir, model_hash, tmp):
        (tmp / "out").mkdir()
        (tmp / "out" / "stamp.json").write_text('{"new": true}')
        return tmp / "out"

    monkeypatch.setattr(onnx_export, "_build", fake_build)
    assert onnx_export.export(model_dir, "hash-1", log=lambda s: None) == earlier
    assert (earlier / "stamp.json").read_text() == '{"new": true}'
    assert not older.exists() and not list(tmp_path.glob(".onnx-export-*"))


@pytest.mark.model
def test_the_exported_encoder_gives_the_models_question_vectors():
    fp32, fast, exact = _gemma(dtype="float32"), _gemma(query_dtype="onnx-int8"), _gemma(query_dtype="onnx-float32")
    questions = [
        "How many safety representatives are there?",
        "När ska utredningen vara klar?",
        "Hvor mange personer er der i referencegruppen?",
        "Hvem er lederen av Helsesekretærforbundet i Delta?",
    ]
    want, got = fp32.embed_queries_np(questions), fast.embed_queries_np(questions)
    assert got.shape == (4, 768) and np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-3)
    cos = np.sum(want * got, axis=1)
    assert cos.min() >= 0.9, cos  # int8 noise (torch's own int8: 0.90-0.95)
    others = want @ got.T - np.diag(np.diag(want @ got.T))
    assert (cos[:, None] > others).all()  # each question still nearest to itself
    assert np.sum(want * exact.embed_queries_np(questions), axis=1).min() >= 0.9999  # fp32: the same vectors
    # int8 runs side by side (one core each): in order, and each the vector it gets alone
    assert np.array_equal(got, np.array([fast.embed_query_np(q) for q in questions]))
    assert fast.count_tokens("Hvem leder Helsesekretærforbundet?") == fp32.count_tokens(
        "Hvem leder Helsesekretærforbundet?"
    )


@pytest.mark.model
def test_the_int8_question_graph_keeps_the_fused_norm_and_gelu_kernels():
    """Quantised from the fused fp32 graph (format 3): one kernel per RMS norm and GELU
    (30 -> 23 ms per question on a Zen 4 EPYC), not the dozen small ops of the plain export."""
    import onnx

    folder = onnx_encoder.export_dir(_gemma().path)
    for name in onnx_encoder.FILES.values():
        ops = {node.op_type for node in onnx.load(str(folder / name), load_external_data=False).graph.node}
        assert {"SimplifiedLayerNormalization", "Gelu"} <= ops and not {"Pow", "Sqrt", "Tanh"} & ops, (name, ops)


@pytest.mark.model
def test_documents_embedded_in_onnx_runtime_get_the_torch_models_vectors():
    """The index does not change when documents move to ONNX Runtime: fp32 is the same function."""
    torch32, ort32 = _gemma(dtype="float32"), _gemma(dtype="onnx-float32")
    texts = [
        "Förbundet har 6496 skyddsombud.",
        "Referencegruppen består af 8 medlemmer fra regionerne.",
        "Helsesekretærforbundet i Delta ble stiftet i 1951. " * 30,
        "ø",
    ]
    want, got = torch32.embed_documents_np(texts), ort32.embed_documents_np(texts)
    assert got.shape == (4, 768)
    assert np.sum(want * got, axis=1).min() >= 0.9999
    assert ort32.model_for("onnx-float32").encode([], "document").shape == (0, 768)


@pytest.mark.model
def test_questions_and_documents_are_embedded_without_loading_torch_and_tokenised_as_the_model_does():
    """The chat, `assistant ask` and `assistant index` load ONNX Runtime and the Rust tokenizer
    only (about 5 s less start-up); the ids are those of the model's own tokenizer, with
    either prompt, truncation included."""
    import subprocess
    import sys

    folder = models.gemma_dir(ROOT / "models")
    if not onnx_encoder.is_exported(folder, models.hash_list_digest()):
        pytest.skip("no ONNX export here (made by `assistant models fetch` on CPUs with int8 dot products)")
    code = (
        "import sys; from pathlib import Path; from assistant.models import fetch as models\n"
        "from assistant.models.embeddings import SentenceTransformerEmbedder\n"
        f"e = SentenceTransformerEmbedder(models.gemma_dir(Path({str(ROOT / 'models')!r})), models.GEMMA_ID, "
        "models.hash_list_digest(), dtype='onnx-float32', query_dtype='onnx-int8', onnx=True)\n"
        "v = e.embed_query_np('Hur många skyddsombud har förbundet?')\n"
        "d = e.embed_documents_np(['Förbundet har 6496 skyddsombud.', 'Kort sigt: Rekrutteringssituationen'])\n"
        "print(v.shape[0], d.shape, e.count_tokens('ø'), 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    # <bos> ø <eos>; neither questions nor indexing import torch or transformers
    assert out.stdout.strip().splitlines()[-1] == "768 (2, 768) 3 False False"
    from transformers import AutoTokenizer

    enc = onnx_encoder.OnnxEncoder(folder, models.hash_list_digest(), threads=1)
    hf = AutoTokenizer.from_pretrained(str(onnx_encoder.export_dir(folder) / "tokenizer"), local_files_only=True)
    for text in ("Hvad er 6 496 kr.? 🙂", "", "a\x00b", "Hvem leder Helsesekretærforbundet? " * 400):
        for prompt in enc.prompts.values():
            want = hf([prompt + text], truncation=True, max_length=enc.max_tokens)["input_ids"][0]
            assert enc.tokenizer.encode(prompt + text).ids == want
    assert len(want) == enc.max_tokens  # the long one was cut as the model cuts
    assert enc.count_tokens(text) > enc.max_tokens  # ... but counted whole: the indexer refuses such a chunk


def test_short_texts_run_together_and_long_ones_alone_but_int8_questions_always_alone():
    runs = onnx_encoder._runs
    assert runs([400, 300, 60, 50, 40, 30, 30, 30, 30, 30, 30, 30, 30, 20], 256) == [
        [0],
        [1],
        [2, 3, 4, 5],
        [6, 7, 8, 9, 10, 11, 12, 13],
    ]  # at most 256 padded tokens, 8 texts
    assert runs([10, 10, 10], 0) == [[0], [1], [2]]  # int8: activations are quantised per run
    assert runs([], 256) == []
