"""The `Query`: a member's question, read once, passed down the whole path.

`build_query` is the one place the question's words are read: its language, the
countries and years it names, whether it is about one document or each of several. A follow-up
keeps the question it follows as `previous` (not joined into its text): its own words
decide what it names, and where they name nothing, the previous question's do ("Og i
Sverige?" after a question about salaries is about Sweden and salaries)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.lang import detect_language
from assistant.query import places

_SEVERAL = re.compile(
    r"\b(dokumenten|dokumentene|dokumenterne|documents|both|båda|bägge|begge|jämför|sammenlign|compare)\b", re.I
)
_DOCUMENTS = re.compile(r"\b(dokumenten|dokumentene|dokumenterne|documents)\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_YEAR_RANGE = re.compile(r"\b(?:19|20)\d\d\s*[–-]\s*(?:19|20)\d\d\b")


def years_named(text: str) -> frozenset[str]:
    """The years a text names ("… i maj 2021?")."""
    return frozenset(_YEAR.findall(text))


@dataclass(frozen=True)
class Query:
    text: str  # the member's question, normalised
    language: str  # the language the answer is written in
    previous: str = ""  # the question this one follows up ("" if none)
    rewrite: str = ""  # the follow-up as a stand-alone question, when a model wrote one
    countries: frozenset[str] = frozenset()  # ISO codes of the countries it names
    years: frozenset[str] = frozenset()
    scope: str = "one"  # "one", "several" (compare, both) or "each" (each document's answer)

    @property
    def search_text(self) -> str:
        """What retrieval searches with: the rewrite, or the follow-up after its previous question."""
        return self.rewrite or (f"{self.previous} {self.text}" if self.previous else self.text)

    @property
    def country(self) -> str | None:
        """The one country the question asks about (None for none or several)."""
        return next(iter(self.countries)) if len(self.countries) == 1 else None


def _own_first(text: str, whole: str, read):
    """What `read` finds in the follow-up's own words, else in the whole question."""
    return read(text) or read(whole)


def build_query(text: str, language: str | None = None, previous: str = "", rewrite: str = "") -> Query:
    """The question read once. `language` defaults to the question's own; `previous` is
    the question a follow-up follows; `rewrite` its stand-alone form, if a model wrote one."""
    whole = rewrite or (f"{previous} {text}" if previous else text)
    own_years = years_named(_YEAR_RANGE.sub(" ", text)) or years_named(_YEAR_RANGE.sub(" ", whole))
    countries = frozenset(_own_first(text, whole, places.countries))
    several_years = len(own_years) >= 2
    each = bool(_DOCUMENTS.search(whole)) or several_years or len(countries) >= 2
    several = each or bool(_SEVERAL.search(whole)) or len(years_named(whole)) >= 2
    return Query(
        text=text,
        language=language or detect_language(text),
        previous=previous,
        rewrite=rewrite,
        countries=countries,
        years=years_named(text) or years_named(whole),
        scope="each" if each else "several" if several else "one",
    )
