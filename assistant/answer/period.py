"""A quote about another year does not answer a question about this one.

A question that names a year ("… in September 2023?") is answered only by a quote whose
words, or the title and heading shown above it, name that year. A quote that names years,
none of them the question's ("… 33 900 kr in September 2024."), is about another period:
quoting it would answer a question the member did not ask. A quote that names no year
at all is not judged (the year may be the document's own)."""

from __future__ import annotations

import re

from assistant.answer.citations import Passage

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?:\s*[–-]\s*((?:19|20)\d\d))?(?!\d)")


def years_in(text: str) -> set[str]:
    """The years a text names; a range "2024–2026" names each year in it."""
    out: set[str] = set()
    for m in _YEAR.finditer(text):
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if 0 <= last - first <= 20:
            out.update(str(y) for y in range(first, last + 1))
        else:  # not a range of years: the two years alone
            out.update((m.group(1), m.group(2)))
    return out


def other_period(years: frozenset[str], passage: Passage) -> bool:
    """The passage names years and none of `years` (the question's); False if the question names none."""
    if not years:
        return False
    named = years_in(passage.shown())
    return bool(named) and not (named & years)
