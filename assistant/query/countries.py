"""Which country a question asks about, and whether a quote is about it.

"Och hur ser det ut i Danmark?" becomes a question about Denmark; a quote that neither
names Denmark nor comes from a Danish document answers another country's question. The
answer step abstains when its first (best) quote is such a quote and leaves out the
others (quoted and cited, they still looked like an answer). Pure functions; the country
of a document is its language."""
from __future__ import annotations

import re

# every country the documents speak of (one list for every job): the three served, whose
# documents are in their languages, and the others the minutes compare them with (a
# question about one of those is answered only by quotes that name it)
_NAMES = {"sv": r"sverige|sweden", "da": r"danmark|denmark", "no": r"norge|noreg|norway",
          "is": r"(?<![Ff]aroe )(?-i:Island)|iceland",   # Nordic "Island" capitalised, not English "islands"
          "fi": r"finland", "de": r"tyskland|germany",
          "fo": r"färöarna|færøerne|færøyene|faroe"}
_PATTERNS = {code: re.compile(rf"\b(?:{names})s?\b", re.I) for code, names in _NAMES.items()}   # also "Danmarks"
COUNTRY_NAMES = "|".join(_NAMES.values())   # an alternation, to be matched ignoring case
JOINED = " — "   # how conversation.py joins a follow-up to the previous question


def named_countries(text: str) -> set[str]:
    """The codes of all the countries the text names ("Sverige" and "Sweden" are one)."""
    return {code for code, p in _PATTERNS.items() if p.search(text)}


def asked_country(question: str) -> str | None:
    """The code of the one country the question names (None for none or several); any
    listed country counts, so "… Och i Finland?" is not answered with Sweden's figure. In a
    follow-up joined to the previous question ("… i Sverige — Og i Danmark?") the
    follow-up's own country counts."""
    for part in (question.rsplit(JOINED, 1)[-1], question):
        named = named_countries(part)
        if named:
            return named.pop() if len(named) == 1 else None
    return None


def is_about(country: str, text: str, document_language: str) -> bool:
    """The quote names the country; or it names none of the others and comes from a
    document written in the country's language ("Danmark har höjt sin ingångslön", in a
    Swedish document, is about Denmark, not Sweden)."""
    if _PATTERNS[country].search(text):
        return True
    return document_language == country and not any(p.search(text) for c, p in _PATTERNS.items() if c != country)
