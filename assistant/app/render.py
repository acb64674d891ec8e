"""HTML and markdown the chat shows, built from pipeline objects without a server:
an answer with [n] links and its own sources under it, the start screen, progress lines
and the document page that opens at a cited passage. All document text is escaped here
(Gradio's sanitiser is a second line of defence, not the first)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import quote

from assistant.answer.base import Answer
from assistant.answer.citations import Citation
from assistant.core.i18n import human_date, language_name, t, t_count
from assistant.ingest.chunking import HTML_TAG

_MARKER = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|])")


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


_BARE_LINK = re.compile(r"://|(?<![\w.])www\.|@", re.I)
_UNLINKED = {"://": "&#58;//", "@": "&#64;"}


def md_text(text: str) -> str:
    """Plain text for a markdown message, shown verbatim: HTML escaped, and emphasis,
    links, code and headings neutralised (a quote must not turn into markup). Bare
    addresses too: the chat's markdown (GFM) would make "https://…", "www.…" and
    "name@host" links, so their ":", "." or "@" is written as an HTML entity, which
    shows the same character but is not a link."""
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(text or "", quote=False))
    text = _BARE_LINK.sub(lambda m: _UNLINKED.get(m.group(0), m.group(0)[:3] + "&#46;"), text)
    return re.sub(r"^(\s*)#", r"\1\\#", text, flags=re.M)


def one_line(text: str) -> str:
    """Escaped text for inside an HTML block: line breaks become <br>, blank lines are
    collapsed (a blank line would end the HTML block in the markdown renderer)."""
    text = re.sub(r"[ \t]+", " ", text or "")
    text = re.sub(r"[ \t]*\n\s*", "\n", text)
    return esc(text).replace("\n", "<br>")


def cite_id(k: int, n: int) -> str:
    """Id of source n of the answer at chat position k (unique on the page)."""
    return f"a{k}-s{n}"


def doc_href(c: Citation, lang: str) -> str:
    return f"doc?src={quote(c.source, safe='')}&s={c.start}&e={c.end}&lang={lang}#passage"


def passage_context(text: str, start: int, end: int, chars: int = 220) -> tuple[str, str, str, bool, bool]:
    """(before, quote, after, cut_before, cut_after) around text[start:end], cut at spaces."""
    a, b = max(0, start - chars), min(len(text), end + chars)
    if a > 0 and (sp := text.find(" ", a, start)) != -1:
        a = sp + 1
    if b < len(text) and (sp := text.rfind(" ", end, b)) != -1:
        b = sp
    return text[a:start], text[start:end], text[end:b], a > 0, b < len(text)


_MARKUP = re.compile(r"^[ \t]*#{1,6}[ \t]*|\*{1,3}|_{2,3}|^[ \t]*[-*_]{3,}[ \t]*$", re.M)


def plain(text: str) -> str:
    """Context around a quote as a reader sees it: markdown heading marks, emphasis
    stars, rules and inline HTML tags removed (the quote itself keeps its words)."""
    return _MARKUP.sub("", HTML_TAG.sub("", text))


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def source_meta(c: Citation, lang: str) -> str:
    heading = shorten(plain(c.heading).replace(" > ", " › "), 90)
    return " · ".join(x for x in (human_date(c.date, lang), heading) if x)


def sources_block(citations: tuple[Citation, ...], documents: Mapping, k: int, lang: str) -> str:
    """The sources of one answer: one closed <details> per citation (title, date, heading;
    the quote highlighted in its context; a link that opens the document at the passage)."""
    parts = [f'<div class="sources" id="a{k}-sources"><p class="sources-h">{esc(t(lang, "sources"))}</p>']
    for c in citations:
        doc = documents.get(c.source)
        if doc is not None and doc.text[c.start : c.end] == c.text:
            before, quote_, after, cut_a, cut_b = passage_context(doc.text, c.start, c.end)
        else:  # the index changed since the answer: show the quote alone
            before, quote_, after, cut_a, cut_b = "", c.text, "", False, False
        meta = source_meta(c, lang)
        parts.append(
            f'<details class="src" id="{cite_id(k, c.n)}"><summary><b>[{c.n}]</b> {esc(c.title)}'
            + (f' <span class="meta">· {esc(meta)}</span>' if meta else "")
            + "</summary>"
            f'<div class="passage">{"… " if cut_a else ""}{one_line(plain(before).lstrip())}'
            f"<mark>{one_line(plain(quote_))}</mark>"
            f"{one_line(plain(after).rstrip())}{' …' if cut_b else ''}</div>"
            f'<a class="open-doc" href="{esc(doc_href(c, lang))}">{esc(t(lang, "open_doc"))}</a></details>'
        )
    parts.append("</div>")
    return "".join(parts)


def link_markers(text: str, citations: tuple[Citation, ...], k: int, lang: str) -> str:
    """Escaped answer text whose [n] markers link to source n of this answer."""
    by_n = {c.n: c for c in citations}
    out, pos = [], 0
    for m in _MARKER.finditer(text or ""):
        c = by_n.get(int(m.group(1)))
        out.append(md_text(text[pos : m.start()]))
        if c is None:
            out.append(md_text(m.group(0)))
        else:
            label = f"{t(lang, 'source_n', n=c.n)}: {c.title}"
            out.append(f'<a class="cite" href="#{cite_id(k, c.n)}" title="{esc(label)}">[{c.n}]</a>')
        pos = m.end()
    out.append(md_text((text or "")[pos:]))
    return "".join(out)


def answer_html(answer: Answer, documents: Mapping, k: int, lang: str) -> str:
    """The final chat message for an answer at chat position k; `lang` is the page's."""
    if answer.abstained:
        body = (
            f'<div class="abstained reason-{esc(answer.reason or "none")}"><p>{one_line(answer.text.strip())}</p></div>'
        )
    else:
        body = link_markers(answer.text, answer.citations, k, lang)
    if answer.note:
        body += f'\n\n<p class="note">⚠ {one_line(answer.note.strip())}</p>'
    if answer.citations and not answer.abstained:
        body += "\n\n" + sources_block(answer.citations, documents, k, lang)
    return body


def status_html(lang: str, key: str, **values: object) -> str:
    return f'<span class="status">{esc(t(lang, key, **values))}</span>'


def waiting_status(ahead: int, lang: str) -> str:
    return status_html(lang, "waiting_1") if ahead == 1 else status_html(lang, "waiting_n", n=ahead)


def found_documents(retrieval, documents: Mapping) -> list[tuple[str, str | None]]:
    """(title, date) of each document the retrieved passages come from, best first."""
    seen: dict[str, tuple[str, str | None]] = {}
    for h in retrieval.hits:
        doc = documents.get(h.chunk.source)
        seen.setdefault(
            h.chunk.source,
            (h.chunk.title or (doc.title if doc else h.chunk.source), doc.date if doc is not None else None),
        )
    return list(seen.values())


def found_html(found: list[tuple[str, str | None]], lang: str, waiting: int = 0) -> str:
    """What the chat shows as soon as retrieval is done: "Found in 2 documents:", their
    titles and dates, and what happens next (writing, or the questions ahead in the
    model's queue). One HTML block; `.status` marks it as not yet an answer."""
    if not found:
        return status_html(lang, "searching")
    items = "".join(
        f'<li><span class="found-title">{esc(title)}</span>'
        + (f" · {esc(human_date(date, lang))}" if date else "")
        + "</li>"
        for title, date in found
    )
    after = waiting_status(waiting, lang) if waiting else status_html(lang, "writing")
    return (
        f'<div class="found"><p class="status found-h">{esc(t_count(lang, "found", len(found)))}</p>'
        f'<ul class="found-list">{items}</ul><p>{after}</p></div>'
    )


WRITING = '<span class="writing"></span>'  # after streamed text: not an answer yet (no thumbs, a cursor)


def copy_text(answer: Answer, lang: str) -> str:
    """An answer as plain text for the clipboard: its text with the [n] markers, the
    note, then each source (title, date, heading) with its quoted passage."""
    lines = [answer.text.strip()]
    if answer.note:
        lines += ["", f"⚠ {answer.note.strip()}"]
    if answer.citations and not answer.abstained:
        lines += ["", f"{t(lang, 'sources')}:"]
        for c in answer.citations:
            meta = source_meta(c, lang)
            quote_ = " ".join(plain(c.text).split())
            lines += [f"[{c.n}] {c.title}" + (f" · {meta}" if meta else ""), f"“{quote_}”"]
    return "\n".join(lines)


def answer_tools(k: int, lang: str, copy: str | None = None) -> str:
    """The buttons under answer k: copy (the text is in the hidden input next to it) and
    ask again. The page's script handles their clicks (assets.py). One HTML block."""
    parts = [f'<div class="answer-tools" id="a{k}-tools">']
    if copy is not None:
        parts.append(
            f'<button type="button" class="copy-answer" title="{esc(t(lang, "copy_title"))}">'
            f"<span>{esc(t(lang, 'copy'))}</span></button>"
        )
    parts.append(
        f'<button type="button" class="retry-answer" title="{esc(t(lang, "retry_title"))}">'
        f"<span>{esc(t(lang, 'retry'))}</span></button>"
    )
    if copy is not None:
        parts.append(f'<input type="hidden" class="copy-text" value="{esc(copy).replace(chr(10), "&#10;")}">')
    return "".join(parts) + "</div>"


def answer_message(answer: Answer, documents: Mapping, k: int, lang: str) -> str:
    """The chat message of a finished answer k: the answer with its sources, then its tools."""
    return answer_html(answer, documents, k, lang) + "\n\n" + answer_tools(k, lang, copy_text(answer, lang))


def unanswered_html(k: int, lang: str, key: str = "not_answered", **values: object) -> str:
    """A question left without an answer (the page closed, or an error), with "ask again"."""
    return f'<p class="status">{esc(t(lang, key, **values))}</p>\n\n' + answer_tools(k, lang)


def start_screen(documents: Mapping[str, dict], lang: str, limit: int = 8) -> str:
    """Markdown for the empty chat: what the assistant covers (manifest documents,
    newest first, with human titles, dates and languages) and that answers come only
    from them. `documents` is `index.manifest["documents"]`."""
    if not documents:
        return f"## {md_text(t(lang, 'start_head'))}\n\n{md_text(t(lang, 'start_empty'))}"
    docs = sorted(documents.values(), key=lambda d: d.get("date") or "", reverse=True)
    years = sorted({d["date"][:4] for d in docs if d.get("date")})
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (years[0] if years else "")
    lines = [
        f"## {md_text(t(lang, 'start_head'))}",
        "",
        md_text(t_count(lang, "start_body", len(docs), years=span)),
        "",
    ]
    for d in docs[:limit]:
        meta = " · ".join(
            x
            for x in (human_date(d.get("date"), lang), language_name(d["language"], lang) if d.get("language") else "")
            if x
        )
        lines.append(f"- **{md_text(d['title'])}**" + (f" — {md_text(meta)}" if meta else ""))
    if len(docs) > limit:
        lines.append(f"- {md_text(t(lang, 'start_more', n=len(docs) - limit))}")
    lines += ["", md_text(t(lang, "start_langs"))]
    return "\n".join(lines)


_PAGE_CSS = (
    "body{font:16px/1.6 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#1f2937}"
    "header p{color:#4b5563}.doc{white-space:pre-wrap}mark{background:#ffe58a;color:#111;padding:0 .1em;"
    "scroll-margin-top:30vh}"
)


def document_page(doc, start: int, end: int, lang: str) -> str:
    """A stand-alone page with the whole document, the cited span marked (#passage)."""
    if doc is None:
        return (
            f'<!doctype html><html lang="{esc(lang)}"><meta charset="utf-8"><title>{esc(t(lang, "title"))}</title>'
            f"<style>{_PAGE_CSS}</style><p>{esc(t(lang, 'doc_missing'))}</p></html>"
        )
    text = doc.text
    s, e = max(0, min(start, len(text))), max(0, min(end, len(text)))
    show = lambda part: esc(plain(part))  # noqa: E731 - as a reader sees it: no "**", "#" or "<b>" (a member asked)
    if e > s:
        body = f'{show(text[:s])}<mark id="passage">{show(text[s:e])}</mark>{show(text[e:])}'
        hint = f" · {esc(t(lang, 'doc_passage'))}"
    else:
        body, hint = show(text), ""
    meta = " · ".join(
        x for x in (human_date(doc.date, lang), language_name(doc.language, lang) if doc.language else "") if x
    )
    return (
        f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{esc(doc.title)}</title>'
        f"<style>{_PAGE_CSS}</style></head><body><header><h1>{esc(doc.title)}</h1><p>{esc(meta)}{hint}</p></header>"
        f'<main class="doc">{body}</main></body></html>'
    )
