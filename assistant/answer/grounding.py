"""Grounding check for generated answer text: a pure function.

Every number, date (day + month), month, currency code and proper name in an answer
sentence must occur in a passage that sentence cites with [n]. A sentence without a
valid [n], or with a fact not found in its cited passages, is dropped. Numbers are
compared after normalising thousands separators ("6 496" = "6496" = "6.496" = "6,496"),
months across sv/da/no/en ("30 maj" = "May 30" = "30. mai"), and names case-insensitively
(a country or city in any of the four languages: query/places.py, from CLDR). Units such as kr/kronor/kroner
are not facts; a currency code (SEK, NOK, DKK, EUR, €) is.

Guarantee: the kept text contains no number, month, currency code or name that is not
in a passage its sentence cites (numbers written as words are not recognised)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.query.places import spellings

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# a number: digits with optional thousands groups ("6 496", "6.496", "1,234,567") or decimals ("4,5")
_NUMBER = re.compile(r"(?<![\w])\d+(?:[ \u00a0\u202f.,]\d+)*(?![\w])")
_MONTHS = {
    1: ("januari", "januar", "january", "jan"),
    2: ("februari", "februar", "february", "feb"),
    3: ("mars", "marts", "march", "mar"),
    4: ("april", "apr"),
    5: ("maj", "mai", "may"),
    6: ("juni", "june", "jun"),
    7: ("juli", "july", "jul"),
    8: ("augusti", "august", "aug"),
    9: ("september", "sept", "sep"),
    10: ("oktober", "october", "okt", "oct"),
    11: ("november", "nov"),
    12: ("december", "desember", "dec", "des"),
}
_MONTH_OF = {name: m for m, names in _MONTHS.items() for name in names}
MONTH_RE = re.compile(r"(?<![\w])(" + "|".join(sorted(_MONTH_OF, key=len, reverse=True)) + r")\.?(?![\w])", re.I)
_NUMERIC_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b|\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b")
_CURRENCY = re.compile(r"(?<![\w])(SEK|NOK|DKK|EUR|USD|ISK|GBP)(?![\w])|[€$£]")
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:-[^\W\d_][^\W_]*)*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)|\n+")
# a full stop that does not end a sentence: an ordinal day before a lower-case word ("31. desember")
# or a common abbreviation of the four languages before a lower-case word or a number ("kl. 13.00")
_NOT_AN_END = re.compile(
    r"(?:(?<![\w.])\d{1,2}\.\s+(?=[^\W\d_])(?=[^A-ZÀ-ÖØ-Þ])"
    r"|(?<![\w.])(?i:kl|ca|cirka|nr|bl\.a|t\.ex|f\.eks|fx|jf|jfr|resp|dvs|vs|approx|no|p)\.\s+(?=\w)(?=[^A-ZÀ-ÖØ-Þ]))"
)


def _pieces(text: str) -> list[str]:
    """`text` split at sentence ends (not inside "31. desember" or "kl. 13.00")."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        last = out[-1].rstrip() if out else ""
        if last.endswith(".") and any(m.end() == len(last) + 1 for m in _NOT_AN_END.finditer(f"{last} {piece[:1]}")):
            out[-1] = f"{last} {piece}"
        else:
            out.append(piece)
    return out


def first_sentence(text: str) -> str:
    """The first sentence of `text` (a quotation inside it stays in it)."""
    return next((p.strip() for p in _pieces(" ".join(text.split())) if p.strip()), "")


@dataclass(frozen=True)
class Dropped:
    sentence: str
    reason: str


@dataclass(frozen=True)
class Grounded:
    text: str  # the kept sentences, joined as they were
    kept: tuple[str, ...]
    dropped: tuple[Dropped, ...]


def _fold(s: str) -> str:
    return unicodedata.normalize("NFC", s).lower()


def _readings(raw: str) -> set[str]:
    """Canonical readings of one written number: separators of 3-digit groups removed;
    a single ',' or '.' before 1-2 digits (or any non-3-digit group) read as a decimal point."""
    parts = re.split(r"[ \u00a0\u202f.,]", raw)
    seps = re.findall(r"[ \u00a0\u202f.,]", raw)
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]) and len(parts[0]) <= 3:
        out = {"".join(parts).lstrip("0") or "0"}  # thousands groups
        if len(parts) == 2 and seps[0] in ".,":
            out.add(f"{parts[0]}.{parts[1]}")  # "6.496" may also be a decimal
        return out
    if len(parts) == 2 and seps[0] in ".,":
        return {f"{parts[0].lstrip('0') or '0'}.{parts[1]}"}  # "4,5" -> 4.5
    return {p.lstrip("0") or "0" for p in parts}  # "3 juni 2025" etc.: separate numbers


def number_groups(text: str) -> list[tuple[str, set[str]]]:
    """Each number written in `text` with its readings; "30 maj 2025" is two numbers."""
    out = []
    for m in _NUMBER.finditer(text):
        parts = re.split(r"[ \u00a0\u202f]", m.group())
        # "30 2025"-like runs that are not thousands groups are separate numbers
        if len(parts) > 1 and not all(len(p) == 3 for p in parts[1:]):
            out += [(p, _readings(p)) for p in parts]
        else:
            out.append((m.group(), _readings(m.group())))
    return out


def numbers(text: str) -> set[str]:
    """All readings of all numbers in `text`."""
    return {r for _, readings in number_groups(text) for r in readings}


def months(text: str) -> set[int]:
    out = {_MONTH_OF[m.group(1).lower()] for m in MONTH_RE.finditer(text)}
    for m in _NUMERIC_DATE.finditer(text):
        month = m.group(2) if m.group(1) else m.group(5)
        if month and 1 <= int(month) <= 12:
            out.add(int(month))
    return out


def _fact_months(text: str) -> set[int]:
    """Months named in answer text (ambiguous short forms like 'mar', 'des', 'may' only
    when next to a number, so that the English verb 'may' is not a date)."""
    out = set()
    for m in MONTH_RE.finditer(text):
        word = m.group(1).lower()
        near = re.search(r"\d\.?\s*$", text[: m.start()]) or re.match(r"\s*\d", text[m.end() :])
        if len(word) > 4 or near:
            out.add(_MONTH_OF[word])
    return out


def currencies(text: str) -> set[str]:
    return {m.group().upper() for m in _CURRENCY.finditer(text)}


def names(text: str) -> set[str]:
    """Proper names: capitalised words not at a sentence start (a sentence's first word
    cannot be told from an ordinary word, so it is not checked unless it is an acronym),
    and acronyms (2+ capitals) anywhere; month names excluded. Folded to lower case."""
    out = set()
    for m in _WORD.finditer(text):
        w = m.group()
        if not w[0].isupper():
            continue
        before = text[: m.start()].rstrip(" \t\"'“”«»(")
        at_start = not before or before[-1] in ".!?:;\n]"
        acronym = sum(c.isupper() for c in w) >= 2
        if (acronym or not at_start) and w.lower() not in _MONTH_OF:
            out.add(_fold(w))
    return out


def _name_found(name: str, passage_text: str) -> bool:
    """The name, or another spelling of the same place ("Denmark" for "Danmark"; CLDR), is in the text."""
    return any(re.search(r"(?<![\w])" + re.escape(n) + r"(?![\w])", passage_text) for n in spellings(name) | {name})


_QUOTE = re.compile(r"(“[^”]*”(?:\s*\[\d+(?:\s*,\s*\d+)*\])*)")


def split_sentences(text: str) -> list[str]:
    """Sentences, with a trailing [n] that follows the full stop kept on its sentence;
    a quotation “…” with its markers is one unit."""
    out: list[str] = []
    for k, part in enumerate(_QUOTE.split(text.strip())):
        if k % 2:  # a quotation
            out.append(part.strip())
            continue
        for piece in _pieces(part.strip()):
            if not piece.strip():
                continue
            lead = re.match(r"^((?:\[\d+(?:\s*,\s*\d+)*\]\s*)+)(.*)$", piece, re.S)
            if lead and out:  # "… 2025. [1]" -> marker belongs to the previous sentence
                out[-1] = out[-1] + " " + lead.group(1).strip()
                piece = lead.group(2)
            if piece.strip():
                out.append(piece.strip())
    return out


def unsupported(sentence: str, cited_text: str, titles: str = "") -> list[str]:
    """The facts of `sentence` (markers removed) that `cited_text` does not contain; a name
    may also stand in `titles` (the cited documents' titles, shown above their quotes)."""
    body = _MARKER.sub(" ", sentence)
    src = _fold(f"{cited_text}\n{titles}")
    have = numbers(cited_text)
    missing = [f"number {raw}" for raw, readings in number_groups(body) if not readings & have]
    missing += [f"month {m}" for m in sorted(_fact_months(body) - months(cited_text))]
    missing += [f"currency {c}" for c in sorted(currencies(body) - currencies(cited_text))]
    missing += [f"name {n}" for n in sorted(names(body)) if not _name_found(n, src)]
    return missing


def check_grounding(answer: str, passages: Mapping[int, str], titles: Mapping[int, str] | None = None) -> Grounded:
    """Keep the sentences of `answer` whose every fact occurs in a passage they cite
    (`passages`: marker number -> passage text; a name may also stand in the cited passage's
    entry of `titles`); say why each other sentence was dropped."""
    titles = titles or {}
    kept, dropped = [], []
    for sent in split_sentences(answer):
        cited = [int(n) for m in _MARKER.finditer(sent) for n in re.split(r"\s*,\s*", m.group(1))]
        valid = [n for n in cited if n in passages]
        if not valid:
            dropped.append(Dropped(sent, "no valid citation" if not cited else f"cites unknown source {cited}"))
            continue
        missing = unsupported(sent, "\n".join(passages[n] for n in valid), "\n".join(titles.get(n, "") for n in valid))
        if missing:
            dropped.append(Dropped(sent, "not in the cited source: " + ", ".join(missing)))
        else:
            kept.append(sent)
    return Grounded(" ".join(kept), tuple(kept), tuple(dropped))
