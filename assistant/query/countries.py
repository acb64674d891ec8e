"""Whether a quote is about the one country a question asks about (`Query.country`).

"Och hur ser det ut i Danmark?" asks about Denmark; a quote that neither names Denmark
nor comes from a Danish document answers another country's question. The country of a
document is its language's (sv Sweden, da Denmark, no Norway); country names come from
CLDR in the four languages (places.py). Pure functions."""
from __future__ import annotations

from assistant.query.places import countries, country_of_language


def is_about(country: str, text: str, document_language: str) -> bool:
    """The quote names the country; or it names no other country and comes from a
    document written in the country's language ("Danmark har höjt sin ingångslön", in a
    Swedish document, is about Denmark, not Sweden)."""
    named = countries(text)
    if country in named:
        return True
    return country_of_language(document_language) == country and not named
