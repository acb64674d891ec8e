"""Citations: a pure function from an answer text and the numbered source passages
it was written from, to citation records. A marker that points at no source is
removed from the text (and counted), so an invalid citation cannot be shown."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class Passage:
    """A numbered source the answer may cite (n is 1-based)."""

    n: int
    source: str
    title: str
    date: str | None
    heading: str
    text: str  # the quoted passage: exactly Document.text[start:end]
    start: int
    end: int


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    date: str | None
    heading: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class CitedAnswer:
    text: str
    citations: tuple[Citation, ...]
    dropped_markers: int


def cite(answer: str, passages: list[Passage]) -> CitedAnswer:
    """Keep markers [n] (or [n, m]) that name a passage; drop the others. Citations are
    renumbered 1.. in order of first appearance, and only cited passages are returned."""
    by_n = {p.n: p for p in passages}
    order: dict[int, int] = {}
    dropped = 0

    def repl(m: re.Match) -> str:
        nonlocal dropped
        kept = []
        for raw in re.split(r"\s*,\s*", m.group(1)):
            n = int(raw)
            if n not in by_n:
                dropped += 1
                continue
            order.setdefault(n, len(order) + 1)
            kept.append(order[n])
        return "".join(f"\x00{k}\x01" for k in kept)  # placeholders: no bracket, cannot re-match

    # removing a marker can join its neighbours into a new one (`[[9]1]` -> `[1]`), so
    # repeat until none is left; the kept ones become `[k]` only at the end
    text = answer.replace("\x00", "").replace("\x01", "")
    while _MARKER.search(text):
        text = _MARKER.sub(repl, text)
    text = re.sub("\x00(\\d+)\x01", r"[\1]", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    cites = tuple(
        Citation(
            new,
            by_n[old].source,
            by_n[old].title,
            by_n[old].date,
            by_n[old].heading,
            by_n[old].text,
            by_n[old].start,
            by_n[old].end,
        )
        for old, new in sorted(order.items(), key=lambda kv: kv[1])
    )
    return CitedAnswer(text, cites, dropped)
