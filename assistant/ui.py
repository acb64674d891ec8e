"""Chat-app logic that needs no server: localized interface text, the sources panel,
feedback records, upload checks, index status. `app.py` only wires these to Gradio."""
from __future__ import annotations

import html
import json
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .answer import Answer
from .loaders import SUPPORTED
from .store import SearchIndex

TEXT = {
    "en": {"title": "Minutes assistant", "ask": "Ask about the meeting minutes", "send": "Send", "sources": "Sources",
           "no_sources": "No sources: the documents do not answer this.",
           "documents": "Documents", "languages": "Languages", "year_from": "From year", "year_to": "To year"},
    "sv": {"title": "Protokollassistenten", "ask": "Fråga om mötesprotokollen", "send": "Skicka", "sources": "Källor",
           "no_sources": "Inga källor: dokumenten svarar inte på detta.",
           "documents": "Dokument", "languages": "Språk", "year_from": "Från år", "year_to": "Till år"},
    "da": {"title": "Referatassistenten", "ask": "Spørg om mødereferaterne", "send": "Send", "sources": "Kilder",
           "no_sources": "Ingen kilder: dokumenterne besvarer ikke dette.",
           "documents": "Dokumenter", "languages": "Sprog", "year_from": "Fra år", "year_to": "Til år"},
    "no": {"title": "Referatassistenten", "ask": "Spør om møtereferatene", "send": "Send", "sources": "Kilder",
           "no_sources": "Ingen kilder: dokumentene svarer ikke på dette.",
           "documents": "Dokumenter", "languages": "Språk", "year_from": "Fra år", "year_to": "Til år"},
}

EXAMPLES = [
    "Hur många underskrifter fick namninsamlingen på några timmar?",
    "Hvornår skal udredningen om beskyttet titel være færdig?",
    "Hvor mye er inngangslønnen i Danmark?",
    "How many people are in the reference group of the partnership?",
]


def ui_language(accept_language: str | None) -> str:
    """Pick sv/da/no/en from an Accept-Language header (nb/nn count as no)."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        code = {"nb": "no", "nn": "no"}.get(code, code)
        if code in TEXT:
            return code
    return "en"


def sources_html(answer: Answer, index: SearchIndex, context_chars: int = 280) -> str:
    """Each citation with title, date and heading, and the quoted passage highlighted
    inside its surrounding text, in an expander."""
    t = TEXT.get(answer.language, TEXT["en"])
    parts = [f'<div class="sources"><h3>{t["sources"]}</h3>']
    if not answer.citations:
        parts.append(f'<p class="no-sources">{t["no_sources"]}</p>')
    for c in answer.citations:
        doc = index.documents.get(c.source)
        text = doc.text if doc else c.text
        s, e = (c.start, c.end) if doc else (0, len(c.text))
        a, b = max(0, s - context_chars), min(len(text), e + context_chars)
        before, quote, after = (html.escape(x) for x in (text[a:s], text[s:e], text[e:b]))
        meta = " · ".join(html.escape(x) for x in (c.date or "", c.heading) if x)
        parts.append(
            f'<details class="citation" id="cite-{c.n}"{" open" if c.n == 1 else ""}>'
            f'<summary><b>[{c.n}]</b> {html.escape(c.title)} <small>{meta}</small></summary>'
            f'<div class="passage" style="white-space:pre-wrap">{"…" if a else ""}{before}'
            f'<mark>{quote}</mark>{after}{"…" if b < len(text) else ""}</div>'
            f'<small class="src">{html.escape(c.source)} · {c.start}–{c.end}</small></details>')
    if answer.note:
        parts.append(f'<p class="note">⚠ {html.escape(answer.note)}</p>')
    parts.append("</div>")
    return "".join(parts)


def message_text(content) -> str:
    """Text of a chat message as Gradio returns it: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, (list, tuple)):
        return "".join(message_text(c) for c in content)
    return str(content or "")


def append_feedback(path: Path, question: str, answer: str, rating: str, citations: list[dict] | None = None) -> dict:
    rec = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S"), "question": question, "answer": answer, "rating": rating,
           "citations": citations or []}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return rec


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


@dataclass
class UploadResult:
    saved: list[str]
    errors: list[str]


def save_uploads(files: list[tuple[str, bytes]], corpus_dir: Path, max_mb: float) -> UploadResult:
    """files: (original name, content). Each file is checked on its own."""
    saved, errors = [], []
    for name, data in files:
        try:
            fname = safe_filename(name)
            ext = Path(fname).suffix.lower()
            if ext not in SUPPORTED:
                raise UploadError(f"{name}: type {ext} not allowed (allowed: {', '.join(SUPPORTED)})")
            if len(data) > max_mb * 1024 * 1024:
                raise UploadError(f"{name}: {len(data) / 1e6:.1f} MB is over the {max_mb:g} MB limit")
            if not data.strip():
                raise UploadError(f"{name}: the file is empty")
            target = (corpus_dir / fname).resolve()
            if target.parent != corpus_dir.resolve():
                raise UploadError(f"{name}: refused path")
            tmp = target.with_name(f".upload-{fname}")
            tmp.write_bytes(data)
            tmp.replace(target)
            saved.append(fname)
        except UploadError as e:
            errors.append(str(e))
    return UploadResult(saved, errors)


def index_status(index: SearchIndex) -> str:
    m = index.manifest
    rows = "\n".join(f"| {s} | {d['title'][:50]} | {d['language']} | {d['date'] or ''} | {d['n_chunks']} |"
                     for s, d in m["documents"].items())
    return (f"**{m['n_documents']} documents, {m['n_chunks']} chunks**, model `{m['embedding']['model_id']}`, "
            f"last indexed {m['built_at']}\n\n| file | title | lang | date | chunks |\n|---|---|---|---|---|\n{rows}")


def is_local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def admin_check(host: str, configured_password: str, given: str | None) -> str | None:
    """None when admin actions are allowed, else the reason. A password is required
    when one is configured, and always when the app listens beyond localhost."""
    if not configured_password:
        return None if is_local(host) else "The app is shared beyond localhost: set ASSISTANT_ADMIN_PASSWORD to enable admin."
    return None if given == configured_password else "Wrong admin password."
