"""Format readers, chosen by file extension from `LOADERS`: bytes -> (normalised text,
encoding). Each reader enforces its own resource limits (zip sizes for DOCX, pages and
time for PDF, markup size for HTML) before or while parsing, and turns every parser
failure into one `LoaderError` that says what to do."""

from __future__ import annotations

import codecs
import io
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from assistant.core.errors import LoaderError
from assistant.core.logs import quiet_loggers
from assistant.core.registry import Registry


@dataclass(frozen=True)
class LoadLimits:
    """Resource limits for one corpus file; the settings of the same names set them."""

    max_file_mb: float = 20.0  # checked by stat before reading; like upload_max_mb
    # ~1,000 pages of minutes, ~2,500 chunks: already ~20 min of embedding on a 2-core CPU.
    # Longer extracted text is almost surely not minutes (a log, a dump) and would stall
    # a re-index for hours, so it is refused with a message instead.
    max_text_chars: int = 2_000_000
    max_pdf_pages: int = 1000
    parse_budget_s: float = 60.0  # wall clock per PDF/DOCX/HTML, checked between pages/paragraphs/elements
    max_html_chars: int = 3_000_000  # decoded markup; html.parser: ~5 s and ~30 MB per million
    docx_max_entries: int = 1000  # files inside the zip (Word writes ~10-100)
    docx_max_entry_mb: float = 50.0  # uncompressed size of one file inside the zip
    docx_max_total_mb: float = 200.0  # uncompressed size of all of them
    docx_max_ratio: float = 100.0  # compression ratio of an entry over 1 MB (text XML: ~5-20)

    @classmethod
    def from_settings(cls, settings: Any) -> LoadLimits:
        """From any object with attributes of the same names (e.g. `config.Settings`)."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


Reader = Callable[[bytes, Path, LoadLimits], tuple[str, str]]
LOADERS: Registry[Reader] = Registry("file type")
MB = 1024 * 1024


# ---------- decoding ----------


def _c1_fallback(e: UnicodeError) -> tuple[str, int]:
    """cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined; map them as latin-1 does
    (as browsers do), so one stray byte does not turn the whole file into latin-1."""
    if not isinstance(e, UnicodeDecodeError):
        raise e
    return "".join(chr(b) for b in e.object[e.start : e.end]), e.end


codecs.register_error("assistant-c1", _c1_fallback)

# UTF-32 LE before UTF-16 LE: its BOM starts with the UTF-16 LE one
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode_bom(data: bytes, path: Path) -> tuple[str, str] | None:
    matched = [(bom, enc) for bom, enc in _BOMS if data.startswith(bom)]
    for bom, enc in matched:
        try:
            return data[len(bom) :].decode(enc), enc
        except UnicodeDecodeError:
            continue
    if matched:
        raise LoaderError(
            path,
            f"starts with a {matched[-1][1].upper()} byte-order mark but is not valid "
            f"{matched[-1][1].upper()} text; re-save it as UTF-8",
        )
    return None


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """Decode by byte-order mark (UTF-8/16/32), else as UTF-8, else as cp1252 (undefined
    bytes as latin-1). Binary content (NUL bytes without a BOM, many control
    characters) is refused. Line ends become `\\n`."""
    if not data.strip():
        raise LoaderError(path, "the file is empty; add text or remove it from the corpus")
    decoded = _decode_bom(data, path)
    if decoded is None:
        if b"\x00" in data[:8192]:
            raise LoaderError(
                path,
                "looks like a binary file (NUL bytes), not text; export it as .txt, .md, .pdf, .docx or "
                ".html (UTF-16 text needs a byte-order mark, or re-save it as UTF-8)",
            )
        try:
            decoded = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            decoded = data.decode("cp1252", errors="assistant-c1"), "cp1252"
    text, enc = decoded
    sample = text[:8192]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > max(8, len(sample) // 50):
        raise LoaderError(
            path,
            "looks like a binary file (control characters), not text; export it as .txt, .md, .pdf, .docx or .html",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n"), enc


def check_text_size(n_chars: int, path: Path, limits: LoadLimits) -> None:
    if n_chars > limits.max_text_chars:
        raise LoaderError(
            path,
            f"the extracted text has over {limits.max_text_chars:,} characters (max_text_chars); "
            "split the document into smaller files or raise the limit",
        )


def deadline(path: Path, limits: LoadLimits) -> Callable[[str], None]:
    """A check to call between pages/paragraphs/elements: past `parse_budget_s` of wall
    clock since this call, it raises (a parser cannot be stopped inside one step)."""
    t0 = time.monotonic()

    def check(where: str) -> None:
        if time.monotonic() - t0 > limits.parse_budget_s:
            raise LoaderError(
                path,
                f"reading took over {limits.parse_budget_s:g} s and was stopped at {where} "
                "(parse_budget_s); save it as .txt, split it, or raise the limit",
            )

    return check


def _unreadable(kind: str, e: Exception, path: Path, what_to_do: str) -> LoaderError:
    return LoaderError(path, f"corrupt or unreadable {kind} ({e.__class__.__name__}: {str(e)[:160]}); {what_to_do}")


# ---------- readers ----------


@LOADERS.register(".txt", ".md")
def read_text(data: bytes, path: Path, limits: LoadLimits) -> tuple[str, str]:
    """Kept as decoded, so character offsets point into the file itself."""
    return decode_text(data, path)


@LOADERS.register(".pdf")
def read_pdf(data: bytes, path: Path, limits: LoadLimits) -> tuple[str, str]:
    """Page by page, within `max_pdf_pages` and `parse_budget_s` (checked between
    pages; pypdf itself caps each decompressed stream at 75 MB)."""
    from pypdf import PdfReader

    check_time = deadline(path, limits)
    pages: list[str] = []
    with quiet_loggers("pypdf"):  # its warnings repeat what the LoaderError says
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise LoaderError(path, "the PDF is password-protected; save an unprotected copy")
            n = len(reader.pages)
            if n > limits.max_pdf_pages:
                raise LoaderError(
                    path,
                    f"the PDF has {n} pages, over the limit of {limits.max_pdf_pages} (max_pdf_pages); "
                    "split it or raise the limit",
                )
            total = 0
            for i, page in enumerate(reader.pages):
                check_time(f"page {i + 1} of {n}")
                text = (page.extract_text() or "").strip()
                total += len(text)
                check_text_size(total, path, limits)
                pages.append(text)
        except LoaderError:
            raise
        except Exception as e:  # pypdf raises many kinds of errors on hostile input
            raise _unreadable("PDF", e, path, "re-export it") from e
    return "\n\n".join(p for p in pages if p), "binary"


def check_zip(data: bytes, path: Path, limits: LoadLimits) -> None:
    """Refuse a zip whose central directory promises too much: too many entries, an
    entry or a total that inflates past the limits, or a zip-bomb compression ratio.
    zipfile never inflates an entry past its declared size (a lying header fails its
    CRC), so these checks bound what python-docx can load."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception as e:
        raise _unreadable("DOCX", e, path, "re-save it from Word") from e
    fix = "re-save it from Word (without large embedded files)"
    if len(infos) > limits.docx_max_entries:
        raise LoaderError(
            path,
            f"the DOCX holds {len(infos)} files, over the limit of {limits.docx_max_entries} (docx_max_entries); {fix}",
        )
    total = 0
    for i in infos:
        if i.file_size > limits.docx_max_entry_mb * MB:
            raise LoaderError(
                path,
                f"{i.filename} inside the DOCX inflates to {i.file_size / MB:,.0f} MB, over the "
                f"{limits.docx_max_entry_mb:g} MB limit (docx_max_entry_mb); {fix}",
            )
        if i.file_size > MB and i.file_size > max(i.compress_size, 1) * limits.docx_max_ratio:
            raise LoaderError(
                path,
                f"{i.filename} inside the DOCX is compressed {i.file_size / max(i.compress_size, 1):,.0f}:1, "
                f"over the {limits.docx_max_ratio:g}:1 limit (docx_max_ratio); this looks like a "
                f"zip bomb; {fix}",
            )
        total += i.file_size
    if total > limits.docx_max_total_mb * MB:
        raise LoaderError(
            path,
            f"the DOCX inflates to {total / MB:,.0f} MB in all, over the {limits.docx_max_total_mb:g} MB "
            f"limit (docx_max_total_mb); {fix}",
        )


_DOCX_HEADING = re.compile(r"(?:Heading|Rubrik|Overskrift)\s*(\d)")


@LOADERS.register(".docx")
def read_docx(data: bytes, path: Path, limits: LoadLimits) -> tuple[str, str]:
    """Heading styles -> `#`, bold-only paragraphs -> `**…**`, tables -> tab-separated rows."""
    check_zip(data, path, limits)
    check_time = deadline(path, limits)
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        d = docx.Document(io.BytesIO(data))
        out: list[str] = []
        total = 0
        for i, child in enumerate(d.element.body.iterchildren()):
            check_time(f"paragraph {i + 1}")
            tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if tag == "p":
                p = Paragraph(child, d)
                text = p.text.strip()
                if not text:
                    continue
                style = (p.style.name or "") if p.style is not None else ""
                m = _DOCX_HEADING.match(style)
                if m or style == "Title":
                    text = "#" * (int(m.group(1)) if m else 1) + " " + text
                elif p.runs and all(r.bold for r in p.runs if r.text.strip()):
                    text = f"**{text}**"
            elif tag == "tbl":
                t = Table(child, d)
                text = "\n".join("\t".join(c.text.strip() for c in row.cells) for row in t.rows)
            else:
                continue
            total += len(text) + 2
            check_text_size(total, path, limits)
            out.append(text)
    except LoaderError:
        raise
    except Exception as e:  # python-docx/lxml raise many kinds of errors on hostile input
        raise _unreadable("DOCX", e, path, "re-save it from Word") from e
    return "\n\n".join(out), "binary"


_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "blockquote", "dt", "dd"]


@LOADERS.register(".html", ".htm")
def read_html(data: bytes, path: Path, limits: LoadLimits) -> tuple[str, str]:
    """Scripts/navigation dropped, `h1..h6` -> `#`, list items -> `- `, table rows ->
    tab-separated. The decoded markup is capped at `max_html_chars`."""
    from bs4 import BeautifulSoup

    html, enc = decode_text(data, path)
    if len(html) > limits.max_html_chars:
        raise LoaderError(
            path,
            f"the HTML page has {len(html):,} characters of markup, over the limit of "
            f"{limits.max_html_chars:,} (max_html_chars); save its text as .txt or raise the limit",
        )
    check_time = deadline(path, limits)
    try:
        soup = BeautifulSoup(html, "html.parser")
        for tag in soup(["script", "style", "noscript", "nav", "footer", "head"]):
            tag.decompose()
        out: list[str] = []
        for i, el in enumerate(soup.find_all(_HTML_BLOCKS)):
            check_time(f"element {i + 1}")
            if el.find_parent(["li", "tr", "p", "blockquote"]) is not None and el.name != "tr":
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
    except Exception as e:  # html.parser is lenient, but keep one clear line per file
        raise _unreadable("HTML", e, path, "save the page again or as .txt") from e
    return "\n\n".join(out), enc
