"""Document metadata read from the text and the file name: date and title."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

_MONTHS = {
    "jan": 1,
    "januari": 1,
    "januar": 1,
    "january": 1,
    "feb": 2,
    "febr": 2,
    "februari": 2,
    "februar": 2,
    "february": 2,
    "mar": 3,
    "mars": 3,
    "marts": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "maj": 5,
    "mai": 5,
    "may": 5,
    "jun": 6,
    "juni": 6,
    "june": 6,
    "jul": 7,
    "juli": 7,
    "july": 7,
    "aug": 8,
    "augusti": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "okt": 10,
    "oct": 10,
    "oktober": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "des": 12,
    "december": 12,
    "desember": 12,
}
# digits around the date are excluded, letters and `_` are not: `2024-11-06_sv_subject.md`
_ISO = re.compile(r"(?<!\d)((?:19|20)\d\d)-([01]\d)-([0-3]\d)(?!\d)")
_DMY = re.compile(r"\b([0-3]?\d)\.?\s*([A-Za-zæøåäö]{3,9})\.?\s+((?:19|20)\d\d)\b", re.I)
_YYMMDD = re.compile(r"\b(\d\d)([01]\d)([0-3]\d)(?:-\d{6})?\b")


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def date_from_filename(filename: str) -> str | None:
    """The date of the naming convention `YYYY-MM-DD_lang_subject.ext` (or any ISO date
    in the name), when it is a real calendar date."""
    for m in _ISO.finditer(filename):
        if d := _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            return d
    return None


def find_date(text: str, filename: str = "") -> str | None:
    """The file name's date, else the first date in the text's first 3000 characters
    (ISO, `14. sept. 2021`, or `210519` on the first line)."""
    if d := date_from_filename(filename):
        return d
    head = text[:3000]
    for m in _ISO.finditer(head):
        if d := _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            return d
    for m in _DMY.finditer(head):
        month = _MONTHS.get(m.group(2).lower())
        if month and (d := _iso(int(m.group(3)), month, int(m.group(1)))):
            return d
    first_line = next((line for line in head.splitlines() if line.strip()), "")
    yymmdd = _YYMMDD.search(first_line)
    if yymmdd and (d := _iso(2000 + int(yymmdd.group(1)), int(yymmdd.group(2)), int(yymmdd.group(3)))):
        return d
    return None


# `<[^<>]+>`, not `<[^>]+>`: a line of many `<` without `>` stays linear
_MD_MARKUP = re.compile(r"^#+\s*|[*_]{1,3}|<[^<>]+>")


def strip_markup(line: str) -> str:
    return re.sub(r"\s+", " ", _MD_MARKUP.sub("", line)).strip(" \t-–")


_NAV_ITEM = re.compile(r"^\s*[•·*-]\s+\S")


def find_title(text: str, path: Path) -> str:
    """The first markdown heading; else the first line that is not site navigation
    (a bullet, or a line that introduces a bullet list, as in a saved web page)."""
    lines = [line[:1000] for line in text[:100_000].splitlines() if line.strip()][:31]
    for line in lines[:15]:
        if line.lstrip().startswith("#"):
            return strip_markup(line)[:150]
    for i, line in enumerate(lines[:30]):
        if _NAV_ITEM.match(line) or (i + 1 < len(lines) and _NAV_ITEM.match(lines[i + 1])):
            continue
        t = strip_markup(line)
        if len(t) > 3:
            return t[:150]
    return path.stem
