"""Read corpus files into immutable `Document`s.

Every format is normalised to a light markdown-like text: headings become `#` lines
(txt/md are kept as decoded, so character offsets point into the file itself), tables
become tab-separated rows, HTML tags are stripped. Chunk and citation offsets are
offsets into `Document.text`. Readers come from `formats.LOADERS`, by extension.

A corpus file is read only when it is a regular file whose real path lies inside the
corpus folder (no symbolic links out, no FIFOs/devices/sockets) and within
`LoadLimits`; anything else is one `LoaderError` for that file, and the rest loads.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import LoaderError
from assistant.core.lang import detect_language
from assistant.ingest.formats import LOADERS, MB, LoadLimits, check_text_size, decode_text  # noqa: F401  (decode_text, LoadLimits: public API)
from assistant.ingest.metadata import find_date, find_title, strip_markup  # noqa: F401  (public API)

SUPPORTED = tuple(LOADERS.names())


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the corpus folder, with forward slashes
    title: str
    text: str
    language: str  # sv / da / no / en
    date: str | None  # ISO yyyy-mm-dd when one was found
    content_hash: str  # sha256 of the file's bytes
    fmt: str  # txt, md, pdf, docx, html
    encoding: str = "utf-8"

    @property
    def doc_id(self) -> str:
        return hashlib.sha1(f"{self.source}\0{self.content_hash}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LoadReport:
    documents: tuple[Document, ...]
    errors: tuple[LoaderError, ...]
    skipped: tuple[str, ...] = ()  # `name: reason` for entries deliberately not loaded


# ---------- safe reading ----------


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_corpus_entry(path: Path, corpus_dir: Path | None, max_file_mb: float) -> str:
    """The real path of `path` when it is a regular file inside `corpus_dir` (when
    given) of at most `max_file_mb`; links out, folders, special files and oversize
    files are refused without opening them."""
    try:
        link = stat.S_ISLNK(os.lstat(path).st_mode)
        real = os.path.realpath(path)
        if corpus_dir is not None and not _inside(real, os.path.realpath(corpus_dir)):
            raise LoaderError(
                path,
                "is a symbolic link (or lies in a linked folder) that points outside the corpus "
                "folder; it was not read. Copy the file into the corpus instead",
            )
        try:
            st = os.stat(real)
        except FileNotFoundError:
            if link:
                raise LoaderError(
                    path, "is a broken symbolic link; remove it or point it at a file in the corpus"
                ) from None
            raise
    except OSError as e:
        raise LoaderError(path, f"cannot read file: {e.strerror or e}; check that it exists and is readable") from e
    _check_stat(st, path, max_file_mb)
    return real


def read_checked(real: str, path: Path, max_file_mb: float) -> bytes:
    """Read a file `check_corpus_entry` accepted; the opened file is checked again
    (no link, regular, size) so a swap after the check is refused too."""
    max_bytes = int(max_file_mb * MB)
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as f:
            _check_stat(os.fstat(f.fileno()), path, max_file_mb)
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise LoaderError(path, f"cannot read file: {e.strerror or e}; check that it exists and is readable") from e
    if len(data) > max_bytes:
        raise LoaderError(path, f"the file grew past the {max_file_mb:g} MB limit while it was read; try again")
    return data


def _check_stat(st: os.stat_result, path: Path, max_file_mb: float) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise LoaderError(
            path,
            "is a folder that could not be listed, or a link to a folder (links are not followed); "
            "check its permissions, or copy the files into the corpus",
        )
    if not stat.S_ISREG(st.st_mode):
        raise LoaderError(path, "is not a regular file (a FIFO, device or socket); it was not opened. Remove it")
    if st.st_size > max_file_mb * MB:
        raise LoaderError(
            path,
            f"the file is {st.st_size / MB:,.1f} MB, over the {max_file_mb:g} MB limit for corpus "
            "files (max_file_mb); split it or raise the limit",
        )


# ---------- entry points ----------


def load_file(path: Path, corpus_dir: Path | None = None, limits: LoadLimits = LoadLimits()) -> Document:
    path = Path(path)
    real = check_corpus_entry(path, corpus_dir, limits.max_file_mb)
    ext = path.suffix.lower()
    if ext not in LOADERS:
        raise LoaderError(path, f"unsupported file type {ext or '(none)'!r}; supported: {', '.join(SUPPORTED)}")
    data = read_checked(real, path, limits.max_file_mb)
    if not data.strip():
        raise LoaderError(path, "the file is empty; add text or remove it from the corpus")
    text, encoding = LOADERS.get(ext)(data, path, limits)
    if not text.strip():
        raise LoaderError(path, "no text could be extracted (scanned PDF or empty document?); provide a text version")
    check_text_size(len(text), path, limits)
    source = path.relative_to(corpus_dir).as_posix() if corpus_dir else path.name
    return Document(
        source=source,
        title=find_title(text, path),
        text=text,
        language=detect_language(text),
        date=find_date(text, path.name),
        content_hash=hashlib.sha256(data).hexdigest(),
        fmt="html" if ext == ".htm" else ext.lstrip("."),
        encoding=encoding,
    )


def scan_corpus(corpus_dir: Path) -> tuple[list[Path], list[str]]:
    """(entries to load, sorted; what is skipped, as `name: reason`). Hidden names (`.x`)
    are skipped. Only real folders are entered: a linked folder is an entry itself
    (load_file refuses it when it points outside the corpus) unless it points inside,
    where its files are found anyway. Special files are entries too, so load_file
    refuses them by name."""
    root = os.path.realpath(corpus_dir)
    found: list[Path] = []
    skipped: list[str] = []
    stack = [Path(corpus_dir)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            found.append(folder)  # unreadable folder: load_file says so
            continue
        for entry in entries:
            p = Path(entry.path)
            rel = p.relative_to(corpus_dir).as_posix()
            if entry.name.startswith("."):
                skipped.append(f"{rel}: hidden (the name starts with '.'); rename it to index it")
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(p)
                    continue
                if entry.is_symlink() and entry.is_dir() and _inside(real := os.path.realpath(p), root):
                    skipped.append(
                        f"{rel}: a link to the folder {Path(real).relative_to(root).as_posix() or '.'} "
                        "inside the corpus, whose files are indexed from there"
                    )
                    continue
                if entry.is_symlink() and entry.is_file() and _inside(real := os.path.realpath(p), root):
                    skipped.append(
                        f"{rel}: a link to the file {Path(real).relative_to(root).as_posix()} inside "
                        "the corpus, indexed from there (it would be quoted twice)"
                    )
                    continue
            except OSError:
                pass
            found.append(p)
    return sorted(found), sorted(skipped)


def load_corpus(corpus_dir: Path, limits: LoadLimits = LoadLimits()) -> LoadReport:
    """Load every file; a bad file becomes an error entry, the rest still loads."""
    docs, errors = [], []
    files, skipped = scan_corpus(corpus_dir)
    for p in files:
        rel = p.relative_to(corpus_dir).as_posix()
        try:
            docs.append(load_file(p, corpus_dir, limits))
        except LoaderError as e:
            errors.append(LoaderError(rel, e.reason))
        except Exception as e:  # a parser bug must not stop the other files
            errors.append(
                LoaderError(
                    rel,
                    f"could not be loaded ({e.__class__.__name__}: {str(e)[:160]}); "
                    "convert it to another format, and please report this",
                )
            )
    return LoadReport(tuple(docs), tuple(errors), tuple(skipped))
