"""Admin side of the app, without a server: who is an admin (a password, sessions, a
guard against guessing), uploads that never overwrite silently and only come from the
upload cache, the index status table and the re-index report, all localized.

The admin panel is its own page (`/admin`, see `admin_web.py`). With no password set
(`admin_password` / ASSISTANT_ADMIN_PASSWORD) there is no admin at all, whatever address
the server listens on."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.i18n import human_date, language_name, t
from assistant.ingest.loaders import SUPPORTED

PREVIOUS_DIR = ".previous"  # old versions of replaced files (hidden: the indexer skips it)
log = logging.getLogger("assistant.admin")


def password_ok(configured_password: str, given: str | None) -> bool:
    return bool(configured_password) and hmac.compare_digest(configured_password.encode(), (given or "").encode())


# ---------- failed sign-ins ----------


@dataclass
class _Failures:
    count: int = 0  # failures in a row (since the last lockout or success)
    lockouts: int = 0  # lockouts so far; each one lasts twice as long as the one before
    until: float = 0.0  # locked until this time
    last: float = 0.0  # time of the last failure


class SignInGuard:
    """Failed sign-ins, per client address and in total. `per_address` failures in a row
    from one address lock that address out for `lockout_s`, doubled with each further
    lockout (at most `max_lockout_s`); `overall` failures within `window_s` from all
    addresses together lock everyone out the same way (someone guessing from many
    addresses). A success clears its address's count; `forget_s` without a failure
    forgets an address. Thread-safe; `clock` is injectable for tests."""

    def __init__(
        self,
        per_address: int = 5,
        overall: int = 20,
        window_s: float = 600.0,
        lockout_s: float = 60.0,
        max_lockout_s: float = 3600.0,
        forget_s: float = 3600.0,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.per_address, self.overall, self.window_s = per_address, overall, window_s
        self.lockout_s, self.max_lockout_s, self.forget_s = lockout_s, max_lockout_s, forget_s
        self.max_addresses, self.clock = max_addresses, clock
        self._by_address: dict[str, _Failures] = {}
        self._recent: deque[float] = deque()  # times of failures from any address, within window_s
        self._all = _Failures()  # the overall lockout (count unused)
        self._lock = threading.Lock()

    def _lockout(self, f: _Failures, now: float) -> float:
        wait = min(self.max_lockout_s, self.lockout_s * 2**f.lockouts)
        f.lockouts += 1
        f.until, f.count = now + wait, 0
        return wait

    def _prune(self, now: float) -> None:
        while self._recent and self._recent[0] <= now - self.window_s:
            self._recent.popleft()
        if self._all.lockouts and now - self._all.last > self.forget_s and now >= self._all.until:
            self._all = _Failures()
        if len(self._by_address) > self.max_addresses:  # many addresses: forget the quiet ones, then the oldest
            for addr, f in sorted(self._by_address.items(), key=lambda kv: kv[1].last):
                if len(self._by_address) <= self.max_addresses // 2:
                    break
                if now >= f.until:
                    del self._by_address[addr]

    def wait(self, address: str) -> float:
        """Seconds until `address` may try again (0: now)."""
        with self._lock:
            now = self.clock()
            self._prune(now)
            f = self._by_address.get(address)
            if f is not None and now - f.last > self.forget_s and now >= f.until:
                del self._by_address[address]
                f = None
            return max(0.0, (f.until - now) if f else 0.0, self._all.until - now)

    def failed(self, address: str) -> float:
        """Records a failure; returns the lockout it starts (0: none yet)."""
        with self._lock:
            now = self.clock()
            self._prune(now)
            f = self._by_address.setdefault(address, _Failures())
            if now - f.last > self.forget_s and now >= f.until:
                f.count = f.lockouts = 0
            f.count, f.last = f.count + 1, now
            wait = self._lockout(f, now) if f.count >= self.per_address else 0.0
            self._recent.append(now)
            self._all.last = now
            if len(self._recent) >= self.overall:
                self._recent.clear()
                overall = self._lockout(self._all, now)
                log.warning(
                    "admin sign-in: %d failed attempts within %.0f s from all addresses; everyone waits %.0f s",
                    self.overall,
                    self.window_s,
                    overall,
                )
                wait = max(wait, overall)
            return wait

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._by_address.pop(address, None)


# ---------- sessions ----------


class AdminSessions:
    """Signed-in admins: random tokens (kept in the server's memory only, so a restart
    signs everyone out), each valid until `ttl_s` after its last use."""

    def __init__(self, ttl_s: float = 8 * 3600.0, clock: Callable[[], float] = time.monotonic):
        self.ttl_s, self.clock = ttl_s, clock
        self._tokens: dict[str, float] = {}  # token -> expiry
        self._lock = threading.Lock()

    def create(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self.clock()
            self._tokens = {k: v for k, v in self._tokens.items() if v > now}
            self._tokens[token] = now + self.ttl_s
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            now = self.clock()
            expiry = self._tokens.get(token)
            if expiry is None or expiry <= now:
                self._tokens.pop(token, None)
                return False
            self._tokens[token] = now + self.ttl_s
            return True

    def end(self, token: str | None) -> None:
        with self._lock:
            self._tokens.pop(token or "", None)


ADMIN_USER = "admin"


@dataclass(frozen=True)
class SignIn:
    ok: bool
    token: str = ""
    wait_s: float = 0.0  # > 0: locked out, the password was not even checked


@dataclass
class AdminGate:
    """The one place that decides who is an admin. Off without a password. Every admin
    request passes `user()` (the mounted admin app's auth dependency) and every admin
    handler passes `caller_ok()` again with the request Gradio hands it."""

    password: str
    guard: SignInGuard = field(default_factory=SignInGuard)
    sessions: AdminSessions = field(default_factory=AdminSessions)
    COOKIE = "minutes_admin"

    @property
    def enabled(self) -> bool:
        return bool(self.password)

    def sign_in(self, address: str, given: str | None) -> SignIn:
        if not self.enabled:
            return SignIn(False)
        wait = self.guard.wait(address)
        if wait > 0:
            log.warning("admin sign-in from %s refused: locked out for %.0f s more", address, wait)
            return SignIn(False, wait_s=wait)
        if password_ok(self.password, given):
            self.guard.succeeded(address)
            log.info("admin signed in from %s", address)
            return SignIn(True, self.sessions.create())
        wait = self.guard.failed(address)
        log.warning(
            "admin sign-in from %s: wrong password%s", address, f"; locked out for {wait:.0f} s" if wait else ""
        )
        return SignIn(False, wait_s=wait)

    def user(self, token: str | None) -> str | None:
        """ADMIN_USER for a valid session token, else None."""
        return ADMIN_USER if self.enabled and self.sessions.valid(token) else None

    def sign_out(self, token: str | None) -> None:
        self.sessions.end(token)

    def caller_ok(self, request) -> bool:
        """For a handler: the request (gr.Request or a Starlette request) comes from a
        signed-in admin: the name Gradio's auth dependency gave it, and its session cookie
        still valid now (a session ended meanwhile counts as signed out)."""
        if not self.enabled or request is None:
            return False
        cookies = getattr(request, "cookies", None) or {}
        token = cookies.get(self.COOKIE) if hasattr(cookies, "get") else None
        username = getattr(request, "username", ADMIN_USER)
        return username == ADMIN_USER and self.user(token) == ADMIN_USER


def wait_text(seconds: float) -> str:
    """A lockout's length for the message: whole seconds, or minutes from two minutes up."""
    s = max(1, round(seconds))
    return f"{s} s" if s < 120 else f"{round(s / 60)} min"


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
    saved: list[str]  # names written into the corpus (new, renamed or replaced)
    errors: list[str]  # one message per refused file
    lines: list[str]  # every outcome in upload order, for the log


def save_uploads(
    files: list[tuple[str, bytes]], corpus_dir: Path, max_mb: float, replace: bool = False, lang: str = "en"
) -> UploadResult:
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
                raise UploadError(t(lang, "up_badname", name=name)) from None
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


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def read_uploads(
    paths: Iterable[str],
    cache_dir: Path | str,
    uploaded: set[str] | None,
    max_mb: float,
    lang: str = "en",
    who: str = "?",
) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The files an upload request names, as (original name, content), and one message
    per refused file. Only files Gradio itself stored in its upload cache are read: the
    path must lie inside `cache_dir` after resolving links, be a regular file and not a
    link, and (when `uploaded` is given) be one of the paths this app's upload route
    created. Any other path (a server file such as the repository's README named in a
    crafted request) is refused and logged with `who`. A file over `max_mb` is refused
    from its size alone, without reading it."""
    files, refused = [], []
    root = Path(cache_dir).resolve()
    for raw in paths:
        path = Path(str(raw))
        name = path.name or str(raw)
        try:
            real = path.resolve(strict=True)
            ok = (
                path.is_absolute()
                and not path.is_symlink()
                and real.is_file()
                and _inside(real, root)
                and (uploaded is None or str(raw) in uploaded or str(real) in uploaded)
            )
        except (OSError, RuntimeError, ValueError):
            ok = False
        if not ok:
            log.warning(
                "admin upload from %s refused: %r is not a file uploaded to this app (cache %s)", who, str(raw), root
            )
            refused.append(t(lang, "up_refused", name=name))
            continue
        size = real.stat().st_size
        if size > max_mb * 1024 * 1024:
            refused.append(t(lang, "up_big", name=name, mb=f"{size / 1e6:.1f}", max=f"{max_mb:g}"))
            continue
        files.append((name, real.read_bytes()))
    return files, refused


def index_status(index, lang: str = "en") -> str:
    """Markdown: counts, model, last build, and one row per document (human title first)."""
    m = index.manifest
    cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    rows = "\n".join(
        f"| {cell(d['title'][:60])} | {human_date(d.get('date'), lang)} | {language_name(d['language'], lang)} "
        f"| {d['n_chunks']} | {cell(s)} |"
        for s, d in m["documents"].items()
    )
    head = " | ".join(t(lang, k) for k in ("col_title", "col_date", "col_lang", "col_chunks", "col_file"))
    return (
        t(lang, "status", n=m["n_documents"], c=m["n_chunks"], when=m["built_at"][:16].replace("T", " "))
        + f" · `{m['embedding']['model_id']}`\n\n| {head} |\n|---|---|---|---|---|\n{rows}"
    )


def reindex_summary(report, lang: str) -> str:
    lines = [
        t(
            lang,
            "rx_summary",
            a=len(report.added),
            u=len(report.updated),
            r=len(report.removed),
            n=len(report.unchanged),
            s=f"{report.seconds:.0f}",
        )
    ]
    for key, items in (
        ("rx_added", report.added),
        ("rx_updated", report.updated),
        ("rx_removed", report.removed),
        ("rx_kept", report.kept_on_error),
    ):
        lines += [f"  {t(lang, key)}: {s}" for s in items]
    lines += [f"  {t(lang, 'rx_error')}: {e}" for e in report.errors]  # loader messages are in English
    return "\n".join(lines)


_PROGRESS = {"reading documents": "rx_reading", "embedding": "rx_embedding", "writing index": "rx_writing"}


def progress_text(message: str, lang: str) -> str:
    key = _PROGRESS.get(message)
    return t(lang, key) if key else ""
