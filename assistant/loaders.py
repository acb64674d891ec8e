"""Read corpus files into immutable `Document`s.

Every format is normalised to a light markdown-like text: headings become `#` lines
(txt/md are kept byte-for-byte as decoded, so character offsets point into the file
itself), tables become tab-separated rows, HTML tags are stripped. Chunk and citation
offsets are offsets into `Document.text`.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .errors import LoaderError
from .lang import detect_language

SUPPORTED = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")


@dataclass(frozen=True)
class Document:
    source: str          # path relative to the corpus folder, with forward slashes
    title: str
    text: str
    language: str        # sv / da / no / en
    date: str | None     # ISO yyyy-mm-dd when one was found
    content_hash: str    # sha256 of the file's bytes
    fmt: str             # txt, md, pdf, docx, html
    encoding: str = "utf-8"

    @property
    def doc_id(self) -> str:
        return hashlib.sha1(f"{self.source}\0{self.content_hash}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LoadReport:
    documents: tuple[Document, ...]
    errors: tuple[LoaderError, ...]


# ---------- decoding ----------

def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM); fall back to cp1252, then latin-1.
    Binary content (NUL bytes, many control characters) is refused."""
    if not data.strip():
        raise LoaderError(path, "the file is empty; add text or remove it from the corpus")
    if b"\x00" in data[:8192]:
        raise LoaderError(path, "looks like a binary file (NUL bytes), not text; export it as .txt, .md, .pdf, .docx or .html")
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > max(8, len(text[:8192]) // 50):
        raise LoaderError(path, "looks like a binary file (control characters), not text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), ("utf-8" if enc == "utf-8-sig" else enc)


# ---------- format readers: bytes -> normalised text ----------

def _read_pdf(data: bytes, path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(p.extract_text() or "").strip() for p in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise LoaderError(path, f"corrupt or unreadable PDF ({e.__class__.__name__}: {e}); re-export it") from e
    return "\n\n".join(p for p in pages if p)


def _read_docx(data: bytes, path: Path) -> str:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise LoaderError(path, f"corrupt or unreadable DOCX ({e.__class__.__name__}); re-save it from Word") from e
    out: list[str] = []
    body = d.element.body
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(child, d)
            text = p.text.strip()
            if not text:
                continue
            style = (p.style.name or "") if p.style is not None else ""
            m = re.match(r"(?:Heading|Rubrik|Overskrift)\s*(\d)", style)
            if m or style == "Title":
                out.append("#" * (int(m.group(1)) if m else 1) + " " + text)
            elif p.runs and all(r.bold for r in p.runs if r.text.strip()):
                out.append(f"**{text}**")
            else:
                out.append(text)
        elif tag == "tbl":
            t = Table(child, d)
            out.append("\n".join("\t".join(c.text.strip() for c in row.cells) for row in t.rows))
    return "\n\n".join(out)


def _read_html(data: bytes, path: Path) -> str:
    from bs4 import BeautifulSoup

    html, _ = decode_text(data, path)
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "footer", "head"]):
        tag.decompose()
    out: list[str] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "blockquote", "dt", "dd"]):
        if el.find_parent(["li", "tr", "p", "blockquote"]) is not None and el.name not in ("tr",):
            continue
        if el.name == "tr":
            text = "\t".join(c.get_text(" ", strip=True) for c in el.find_all(["td", "th"]))
        else:
            text = el.get_text(" ", strip=True)
        if not text:
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            text = "#" * int(el.name[1]) + " " + text
        elif el.name == "li":
            text = "- " + text
        out.append(text)
    if not out:  # no block elements: fall back to all text
        out = [line.strip() for line in soup.get_text("\n").splitlines() if line.strip()]
    return "\n\n".join(out)


_READERS: dict[str, Callable[[bytes, Path], str]] = {".pdf": _read_pdf, ".docx": _read_docx, ".html": _read_html, ".htm": _read_html}


# ---------- metadata ----------

_MONTHS = {
    "jan": 1, "januari": 1, "januar": 1, "january": 1, "feb": 2, "febr": 2, "februari": 2, "februar": 2, "february": 2,
    "mar": 3, "mars": 3, "marts": 3, "march": 3, "apr": 4, "april": 4, "maj": 5, "mai": 5, "may": 5,
    "jun": 6, "juni": 6, "june": 6, "jul": 7, "juli": 7, "july": 7, "aug": 8, "augusti": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "okt": 10, "oct": 10, "oktober": 10, "october": 10,
    "nov": 11, "november": 11, "dec": 12, "des": 12, "december": 12, "desember": 12,
}
_ISO = re.compile(r"\b(19|20)(\d\d)-([01]\d)-([0-3]\d)\b")
_DMY = re.compile(r"\b([0-3]?\d)\.?\s*([A-Za-zæøåäö]{3,9})\.?\s+((?:19|20)\d\d)\b", re.I)
_YYMMDD = re.compile(r"\b(\d\d)([01]\d)([0-3]\d)(?:-\d{6})?\b")


def find_date(text: str, filename: str = "") -> str | None:
    m = _ISO.search(filename) or _ISO.search(text[:3000])
    if m:
        return f"{m.group(1)}{m.group(2)}-{m.group(3)}-{m.group(4)}"
    for m in _DMY.finditer(text[:3000]):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            return f"{m.group(3)}-{month:02d}-{int(m.group(1)):02d}"
    first_line = next((l for l in text.splitlines() if l.strip()), "")
    m = _YYMMDD.search(first_line)
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return f"20{m.group(1)}-{m.group(2)}-{m.group(3)}"
    return None


_MD_MARKUP = re.compile(r"^#+\s*|[*_]{1,3}|<[^>]+>")


def strip_markup(line: str) -> str:
    return re.sub(r"\s+", " ", _MD_MARKUP.sub("", line)).strip(" \t-–")


_NAV_ITEM = re.compile(r"^\s*[•·*-]\s+\S")


def find_title(text: str, path: Path) -> str:
    """The first markdown heading; else the first line that is not site navigation
    (a bullet, or a line that introduces a bullet list, as in a saved web page)."""
    lines = [l for l in text.splitlines() if l.strip()]
    for l in lines[:15]:
        if l.lstrip().startswith("#"):
            return strip_markup(l)[:150]
    for i, l in enumerate(lines[:30]):
        if _NAV_ITEM.match(l) or (i + 1 < len(lines) and _NAV_ITEM.match(lines[i + 1])):
            continue
        t = strip_markup(l)
        if len(t) > 3:
            return t[:150]
    return path.stem


# ---------- entry points ----------

def load_file(path: Path, corpus_dir: Path | None = None) -> Document:
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise LoaderError(path, f"unsupported file type {ext or '(none)'!r}; supported: {', '.join(SUPPORTED)}")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LoaderError(path, f"cannot read file: {e.strerror}") from e
    if not data.strip():
        raise LoaderError(path, "the file is empty; add text or remove it from the corpus")
    encoding = "binary"
    if ext in _READERS:
        text = _READERS[ext](data, path)
    else:
        text, encoding = decode_text(data, path)
    if not text.strip():
        raise LoaderError(path, "no text could be extracted (scanned PDF or empty document?); provide a text version")
    source = path.relative_to(corpus_dir).as_posix() if corpus_dir else path.name
    return Document(
        source=source,
        title=find_title(text, path),
        text=text,
        language=detect_language(text),
        date=find_date(text, path.name),
        content_hash=hashlib.sha256(data).hexdigest(),
        fmt=ext.lstrip(".").replace("htm", "html").replace("htmll", "html"),
        encoding=encoding,
    )


def iter_corpus_files(corpus_dir: Path) -> Iterable[Path]:
    for p in sorted(Path(corpus_dir).rglob("*")):
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts):
            if p.name.lower() in ("readme.md", "readme.txt"):
                continue
            yield p


def load_corpus(corpus_dir: Path) -> LoadReport:
    """Load every file; a bad file becomes an error entry, the rest still loads."""
    docs, errors = [], []
    for p in iter_corpus_files(corpus_dir):
        try:
            docs.append(load_file(p, corpus_dir))
        except LoaderError as e:
            errors.append(LoaderError(p.relative_to(corpus_dir).as_posix(), e.reason))
    return LoadReport(tuple(docs), tuple(errors))
