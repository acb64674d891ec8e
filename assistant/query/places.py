"""Place names in Swedish, Danish, Norwegian and English, from CLDR (through Babel): the
one source for every job that needs them.

- Countries and territories: CLDR's territory names in sv, da, nb and en ("Danmark",
  "Denmark", "Färöarna", "Færøerne", "Faroe Islands"), each to its ISO code, so "Sweden"
  and "Sverige" are one country. A name is matched as CLDR writes it (a proper noun, with
  its capitals), also in the genitive ("Danmarks"), so "island" (English) is not Iceland
  ("Island" in the Nordic languages); a text written without any capital letter is
  matched without case.
- Cities: CLDR's exemplar cities of the time zones in the four languages ("Copenhagen",
  "København", "Köpenhamn").

`same_place` tells two spellings of one place apart from two places; the grounding check
uses it so that a restatement may write "Denmark" for a quote's "Danmark"."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale

LOCALES = ("sv", "da", "nb", "nn", "en")
# the served languages' countries (a document in one of the languages is about its country)
LANGUAGE_COUNTRY = {"sv": "SE", "da": "DK", "no": "NO"}


def _fold(name: str) -> str:
    return name.casefold().replace("\u2019", "'")


@lru_cache(maxsize=1)
def _territories() -> dict[str, str]:
    """Folded territory name -> ISO code (two-letter territories only, not regions like "Europe")."""
    out: dict[str, str] = {}
    for loc in LOCALES:
        for code, name in Locale.parse(loc).territories.items():
            if len(code) == 2 and code.isalpha() and code not in ("ZZ", "EU", "EZ", "UN", "QO"):
                out.setdefault(_fold(name), code)
    return out


@lru_cache(maxsize=2)
def _country_pattern(ignore_case: bool) -> re.Pattern:
    names = sorted(
        {
            name
            for loc in LOCALES
            for code, name in Locale.parse(loc).territories.items()
            if _fold(name) in _territories()
        },
        key=len,
        reverse=True,
    )
    alt = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w-])(?:{alt})(?:s)?(?![\w-])", re.I if ignore_case else 0)


def countries(text: str) -> set[str]:
    """The ISO codes of the countries and territories `text` names ("Sverige", "Sweden",
    "Danmarks", "Færøyene")."""
    found = set()
    for m in _country_pattern(not any(c.isupper() for c in text)).finditer(text):
        name = _fold(m.group(0))
        code = _territories().get(name) or _territories().get(name[:-1])
        if code:
            found.add(code)
    return found


def country_of_language(language: str) -> str:
    """The country whose documents are written in `language` ("" for English)."""
    return LANGUAGE_COUNTRY.get(language, "")


@lru_cache(maxsize=1)
def _groups() -> dict[str, frozenset[str]]:
    """Folded place name -> every name of that place (countries and cities)."""
    by_key: dict[str, set[str]] = {}
    for name, code in _territories().items():
        by_key.setdefault(f"country:{code}", set()).add(name)
    for loc in LOCALES:
        for tz, names in Locale.parse(loc).time_zones.items():
            if "/" in tz and "city" in names:
                by_key.setdefault(f"city:{tz}", set()).add(_fold(names["city"]))
    for key in [k for k in by_key if k.startswith("city:")]:
        by_key[key].add(_fold(key.rsplit("/", 1)[-1].replace("_", " ")))
    out: dict[str, frozenset[str]] = {}
    for names in by_key.values():
        group = frozenset(names)
        for n in names:
            out.setdefault(n, group)
    return out


def same_place(a: str, b: str) -> bool:
    """`a` and `b` name the same country or city (in any of the four languages)."""
    fa, fb = _fold(a), _fold(b)
    return fa == fb or fb in _groups().get(fa, frozenset())


def spellings(name: str) -> frozenset[str]:
    """Every spelling of the place `name` names (folded), or just `name` when it is none."""
    return _groups().get(_fold(name), frozenset({_fold(name)}))
