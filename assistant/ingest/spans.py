"""Character spans inside a text: sentences, and pieces of at most N tokens. Both are
linear in the text's length (no regex that can backtrack on long runs)."""

from __future__ import annotations

import re
from collections.abc import Callable

TokenCounter = Callable[[str], int]

_SENT_SPLIT = re.compile(r"(?<=[.!?…])[\"”»)]?\s+(?=[\"“«(]?[A-ZÅÄÖÆØÉ0-9•\-])")
_TRIM_LEFT = re.compile(r"^(\s|[-*•·#>]|\d+[.)]\s|\*{1,3}|_{1,3})+")
_TRIM_LEFT_ROW = re.compile(r"^(\s|\*{1,3}|_{1,3})+")  # a table row keeps its leading number ("20. sept. 2021\t…")
# a split after one of these is not a sentence end ("Opdateret 14. sept. 2021", "bl.a. Norge")
_ABBREV = re.compile(
    r"\b(?:jan|febr?|mar|apr|jun|jul|aug|sept?|okt|oct|nov|dec|dek|nr|kl|ca|resp|tel|bl\.a|t\.ex|f\.eks|fx|dvs|jf|jfr|vs)\.$",
    re.I,
)
# a piece that is only a number, a date or a year range belongs to the sentence before it
_ONLY_NUMBER = re.compile(r"^[\d\s.,:/–\-]+$")


def _trim_right(text: str, a: int, b: int) -> int:
    """End of text[a:b] without trailing whitespace, `*` and `_` (a loop, not a regex:
    the former `(\\s|_{1,3})+$` backtracked exponentially on a run of underscores)."""
    while b > a and (text[b - 1] in "*_" or text[b - 1].isspace()):
        b -= 1
    return b


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of text[start:end] as absolute spans, markup trimmed at both ends."""
    spans = []
    for line_m in re.finditer(r"[^\n]+", text[start:end]):
        ls = start + line_m.start()
        line = line_m.group(0)
        pos, row = 0, "\t" in line
        pieces: list[tuple[int, int]] = []
        for piece in _SENT_SPLIT.split(line) if not row else [line]:
            i = line.find(piece, pos)
            pos = i + len(piece)
            if pieces and (_ABBREV.search(line[pieces[-1][0] : pieces[-1][1]]) or _ONLY_NUMBER.match(piece)):
                pieces[-1] = (pieces[-1][0], pos)
            else:
                pieces.append((i, pos))
        for i, j in pieces:
            a, b = ls + i, ls + j
            seg = text[a:b]
            lm = (_TRIM_LEFT_ROW if row else _TRIM_LEFT).match(seg)
            a += lm.end() if lm else 0
            b = _trim_right(text, a, b)
            if b - a >= 3 and re.search(r"\w", text[a:b]):
                spans.append((a, b))
    return spans


def token_pieces(text: str, s: int, e: int, count: TokenCounter, max_tokens: int) -> list[tuple[int, int]]:
    """Cut text[s:e] into spans of at most `max_tokens` tokens (whitespace between them
    dropped), cutting after a space in a piece's last fifth when there is one. Each cut
    is found with a few counts of about one piece (interpolation, then bisection), so
    the cost is linear in e - s. A single character over `max_tokens` stands alone."""
    out: list[tuple[int, int]] = []
    per_token = 4.0  # characters per token, learnt from the previous piece
    a = s
    while True:
        while a < e and text[a].isspace():
            a += 1
        if a >= e:
            return out
        rest = e - a
        lo, hi = 0, rest + 1  # a prefix of lo characters fits, one of hi does not
        size = min(rest, max(1, int(max_tokens * per_token)))
        for step in range(60):
            n = count(text[a : a + size])
            if n <= max_tokens:
                lo, n_lo = size, n
            else:
                hi = size
            if lo == rest or hi - lo <= max(1, lo // 16):
                break
            guess = int(size * max_tokens / max(n, 1) * (1.03 if n <= max_tokens else 0.97))
            size = guess if lo < guess < hi and step < 6 else (lo + hi) // 2
        if lo == 0:
            lo, n_lo = 1, max_tokens
        per_token = max(lo / max(n_lo, 1), 0.25)
        b = a + lo
        if b < e:
            ws = max(text.rfind(" ", a + lo * 4 // 5, b), text.rfind("\n", a + lo * 4 // 5, b))
            if ws > a and count(text[a:ws]) <= max_tokens:
                b = ws
        end = b
        while end > a and text[end - 1].isspace():
            end -= 1
        out.append((a, end))
        a = b
