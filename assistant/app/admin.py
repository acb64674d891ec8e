"""Admin side of the app, without a server: who may see and use it, uploads that never
overwrite silently, the index status table and the re-index report, all localized."""
from __future__ import annotations

import hmac
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.loaders import SUPPORTED
from assistant.core.i18n import human_date, language_name, t

PREVIOUS_DIR = ".previous"   # old versions of replaced files (hidden: the indexer skips it)


def is_local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class AdminView:
    visible: bool          # show the admin panel at all (only with ?admin in the address)
    note: str              # who can see this
    needs_password: bool   # show the sign-in form
    tools: bool            # upload and re-index usable now


def admin_allowed(host: str, configured_password: str, signed_in: bool) -> bool:
    """Server-side gate for every admin action: signed in when a password is set (also
    on localhost); without one only when the app listens on localhost."""
    return signed_in if configured_password else is_local(host)


def admin_view(host: str, configured_password: str, requested: bool, signed_in: bool, lang: str) -> AdminView:
    """Members never see the panel; `requested` is true for an address with ?admin."""
    if not requested:
        return AdminView(False, "", False, False)
    if configured_password:
        note = t(lang, "signed_in") if signed_in else t(lang, "admin_locked")
        return AdminView(True, note, not signed_in, signed_in)
    if is_local(host):
        return AdminView(True, t(lang, "admin_open"), False, True)
    return AdminView(True, t(lang, "admin_shared"), False, False)


def password_ok(configured_password: str, given: str | None) -> bool:
    return bool(configured_password) and hmac.compare_digest(configured_password.encode(), (given or "").encode())


def admin_check(host: str, configured_password: str, given: str | None) -> str | None:
    """None when admin actions are allowed with this password, else the reason (English;
    kept for the CLI/tests; the app uses `admin_allowed` with a signed-in session)."""
    if not configured_password:
        return None if is_local(host) else "The app is shared beyond localhost: set ASSISTANT_ADMIN_PASSWORD to enable admin."
    return None if password_ok(configured_password, given) else "Wrong admin password."


class UploadError(ValueError):
    pass


def safe_filename(name: str) -> str:
    """The base name only, reduced to letters, digits, '.', '-', '_'; no hidden files."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")
    if not base or "." not in base:
        raise UploadError(f"{name!r}: not a usable file name")
    return base[:120]


@dataclass(frozen=True)
class UploadResult:
    saved: list[str]        # names written into the corpus (new, renamed or replaced)
    errors: list[str]       # one message per refused file
    lines: list[str]        # every outcome in upload order, for the log


def save_uploads(files: list[tuple[str, bytes]], corpus_dir: Path, max_mb: float, replace: bool = False,
                 lang: str = "en") -> UploadResult:
    """files: (original name, content). Each file is checked on its own. An existing file
    is never overwritten silently: same content -> unchanged; other content -> refused,
    unless `replace`, which moves the old version to corpus/.previous/ first."""
    saved, errors, lines = [], [], []
    root = corpus_dir.resolve()
    for name, data in files:
        try:
            try:
                fname = safe_filename(name)
            except UploadError:
                raise UploadError(t(lang, "up_badname", name=name))
            ext = Path(fname).suffix.lower()
            if ext not in SUPPORTED:
                raise UploadError(t(lang, "up_type", name=name, ext=ext, allowed=", ".join(SUPPORTED)))
            if len(data) > max_mb * 1024 * 1024:
                raise UploadError(t(lang, "up_big", name=name, mb=f"{len(data) / 1e6:.1f}", max=f"{max_mb:g}"))
            if not data.strip():
                raise UploadError(t(lang, "up_empty", name=name))
            target = (corpus_dir / fname).resolve()
            if target.parent != root:
                raise UploadError(t(lang, "up_badname", name=name))
            message = t(lang, "up_saved", name=fname)
            if target.exists():
                if target.read_bytes() == data:
                    lines.append(t(lang, "up_same", name=fname))
                    continue
                if not replace:
                    raise UploadError(t(lang, "up_exists", name=fname))
                old = f"{target.stem}.{time.strftime('%Y%m%d-%H%M%S')}{target.suffix}"
                (root / PREVIOUS_DIR).mkdir(exist_ok=True)
                target.replace(root / PREVIOUS_DIR / old)
                message = t(lang, "up_replaced", name=fname, old=old)
            tmp = target.with_name(f".upload-{fname}")
            tmp.write_bytes(data)
            tmp.replace(target)
            saved.append(fname)
            lines.append(message)
        except UploadError as e:
            errors.append(str(e))
            lines.append(str(e))
    if saved:
        lines.append(t(lang, "up_next"))
    return UploadResult(saved, errors, lines or [t(lang, "no_files")])


def index_status(index, lang: str = "en") -> str:
    """Markdown: counts, model, last build, and one row per document (human title first)."""
    m = index.manifest
    cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    rows = "\n".join(f"| {cell(d['title'][:60])} | {human_date(d.get('date'), lang)} | {language_name(d['language'], lang)} "
                     f"| {d['n_chunks']} | {cell(s)} |" for s, d in m["documents"].items())
    head = " | ".join(t(lang, k) for k in ("col_title", "col_date", "col_lang", "col_chunks", "col_file"))
    return (t(lang, "status", n=m["n_documents"], c=m["n_chunks"], when=m["built_at"][:16].replace("T", " "))
            + f" · `{m['embedding']['model_id']}`\n\n| {head} |\n|---|---|---|---|---|\n{rows}")


def reindex_summary(report, lang: str) -> str:
    lines = [t(lang, "rx_summary", a=len(report.added), u=len(report.updated), r=len(report.removed),
               n=len(report.unchanged), s=f"{report.seconds:.0f}")]
    for key, items in (("rx_added", report.added), ("rx_updated", report.updated), ("rx_removed", report.removed),
                       ("rx_kept", report.kept_on_error)):
        lines += [f"  {t(lang, key)}: {s}" for s in items]
    lines += [f"  {t(lang, 'rx_error')}: {e}" for e in report.errors]   # loader messages are in English
    return "\n".join(lines)


_PROGRESS = {"reading documents": "rx_reading", "embedding": "rx_embedding", "writing index": "rx_writing"}


def progress_text(message: str, lang: str) -> str:
    key = _PROGRESS.get(message)
    return t(lang, key) if key else ""
