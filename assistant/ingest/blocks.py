"""A document as an outline of headings (markdown `#`, bold-only lines, short title-like
lines in plain text) and blocks (paragraphs, list items, a list of short items with its
lead-in, tab-separated table rows), each with its character span and heading path.
`chunking.py` packs the blocks into chunks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.ingest.loaders import Document, strip_markup


@dataclass(frozen=True)
class Heading:
    start: int
    level: int
    text: str


_MD_HEADING = re.compile(r"^(#{1,6})\s++(.*\S)\s*$")  # possessive: linear on `#` + spaces
_BOLD_LINE = re.compile(r"^\s*(\*{2,3}|_{2})(?=\S)(.+?)(?<=\S)\1\s*$")
_DATEISH = re.compile(r"^(\d{4}-\d\d-\d\d|dag\s*\d+\.?|day\s*\d+\.?)$", re.I)
BULLET = re.compile(r"^\s*([-*•·]|\d+[.)])\s+")
_HEAD_CAP = 1000  # characters kept of a heading's text or a table's header row


def _plain_heading(line: str, prev_blank: bool, next_line: str | None) -> bool:
    s = line.strip()
    if not s or len(s) > 60 or "\t" in s or BULLET.match(line) or not next_line or not next_line.strip():
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
        elif BULLET.match(line):
            out.append(("item", 0))
        elif _plain_heading(line, prev_blank, nxt):
            out.append(("heading", 5))
        else:
            out.append(("text", 0))
    return out


@dataclass
class Block:
    start: int
    end: int
    kind: str
    headings: tuple[str, ...]
    context: str = ""


_PRESENTER = re.compile(r"\s[–—-]\s+[A-ZÅÄÖÆØ][a-zåäöæøé]+\s+[A-ZÅÄÖÆØ][a-zåäöæøé]+")  # "… – Björn Cardenas"


def states(heading: str) -> bool:
    """A heading that names someone and is not a question is a statement one can quote
    (in minutes, an agenda item with who presented it): six words or more with a
    capitalised word after the first, or a topic, a dash and a name."""
    plain = strip_markup(heading)
    words = plain.split()
    if not words or words[-1].endswith("?"):
        return False
    return bool(_PRESENTER.search(plain)) or (
        len(words) >= 6 and any(w[:1].isupper() and any(ch.islower() for ch in w) for w in words[1:])
    )


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


def read_blocks(doc: Document) -> list[Block]:
    lines = doc.text.split("\n")
    kinds = _classify(lines)
    heads: list[Heading] = []
    blocks: list[Block] = []
    pos = 0
    table_header = ""
    cur: Block | None = None
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
                    blocks.append(Block(pos, end, kind, path))
                else:
                    blocks.append(Block(pos, end, kind, path, context=table_header))
            else:
                blocks.append(Block(pos, end, kind, path))
            cur = None
        else:  # text: lines of one paragraph (no blank line between) form one block
            if cur is not None and cur.end == pos - 1:
                cur.end = end
            else:
                cur = Block(pos, end, "text", heading_path(heads, pos))
                blocks.append(cur)
        pos = end + 1
    return _merge_lists(doc.text, blocks)


_LIST_ITEM_WORDS = 6


def _short_item(text: str, b: Block) -> bool:
    item = BULLET.sub("", text[b.start : b.end], count=1).strip()
    body = item[:-1] if item.endswith(".") else item  # "- En arbetsplats för alla." ends the list above
    return b.kind == "item" and 0 < len(item.split()) <= _LIST_ITEM_WORDS and not re.search(r"[.!?]", body)


def _merge_lists(text: str, blocks: list[Block]) -> list[Block]:
    """Two or more short list items in a row ("- Mänskligt arbetsliv", "- Grönare framtid")
    are one quotable unit, with their lead-in line ("Hjärtefrågor:") when there is one:
    an item alone answers nothing, and the list is the answer to "what are the …?"."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        j = i
        while (
            j < len(blocks)
            and _short_item(text, blocks[j])
            and blocks[j].headings == blocks[i].headings
            and (j == i or not text[blocks[j - 1].end : blocks[j].start].strip())
        ):
            j += 1
        if j - i < 2:
            out.append(blocks[i])
            i += 1
            continue
        start, lead = blocks[i].start, out[-1] if out else None
        if (
            lead is not None
            and lead.kind == "text"
            and lead.headings == blocks[i].headings
            and text[lead.start : lead.end].rstrip().endswith(":")
            and "\n" not in text[lead.start : lead.end].strip()
            and not text[lead.end : start].strip()
        ):
            start = out.pop().start
        out.append(Block(start, blocks[j - 1].end, "list", blocks[i].headings))
        i = j
    return out
