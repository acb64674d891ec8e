"""A quote about another year does not answer a question about this one.

A question that names a year ("… in September 2023?") is answered only by a quote whose
words, or the document title and heading above it, name that year. A quote that names
years there, none of them the question's ("… 33 900 kr in September 2024."), is about
another period: quoting it would answer a question the member did not ask. A quote that
names no year in its words, title or heading is not judged. An amount ("2000 kr") is not
a year; a range ("2024–2026", "2023/24") names each year in it, in the quote and in the
question alike."""

from __future__ import annotations

import re

from assistant.answer.citations import Passage

_YEAR = re.compile(
    r"(?:(?<=\d\d\.\d\d\.)|(?<=\d\.\d\.)|(?<![\d,.]))((?:19|20)\d\d)(?:\s*[–/-]\s*((?:19|20)?\d\d))?(?!\d)(?![.,]\d)"
    r"(?!\s*(?:kr|kronor|kroner|sek|nok|dkk|eur|usd|€|\$|,-))",
    re.I,
)


def years_in(text: str) -> set[str]:
    """The years a text names; a range "2024–2026" or "2023/24" names each year in it."""
    out: set[str] = set()
    for m in _YEAR.finditer(text):
        first = int(m.group(1))
        end = m.group(2)
        last = first if end is None else int(end) if len(end) == 4 else first // 100 * 100 + int(end)
        if 0 <= last - first <= 20:
            out.update(str(y) for y in range(first, last + 1))
        else:  # not a range of years: the first year, and the second if it is one
            out.add(m.group(1))
            out.update({end} if end and len(end) == 4 else set())
    return out


def other_period(years: frozenset[str], passage: Passage) -> bool:
    """The passage names years and none of `years` (the question's, with the years between
    its first and last); False if the question names none."""
    if not years:
        return False
    low, high = min(int(y) for y in years), max(int(y) for y in years)
    asked = {str(y) for y in range(low, high + 1)} if high - low <= 20 else set(years)
    named = years_in(f"{passage.title}\n{passage.heading}\n{passage.text}")
    return bool(named) and not (named & asked)
