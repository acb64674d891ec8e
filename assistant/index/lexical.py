"""Lexical analysis for the keyword channel of retrieval (BM25 here, PostgreSQL
full-text search in the pgvector store): words are stemmed with the Snowball stemmer of
the text's language (PyStemmer: swedish, danish, norwegian, english), then Danish and
Norwegian letters are folded onto Swedish ones (æ→ä, ø→ö) so 'løn' meets 'lön'.
A question may be in another language than the document it should find, so its words
are stemmed with every stemmer and the distinct stems are all kept."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STEMMERS = {"sv": "swedish", "da": "danish", "no": "norwegian", "en": "english"}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD = str.maketrans({"æ": "ä", "ø": "ö", "é": "e", "ü": "u"})


@lru_cache(maxsize=None)
def _stemmer(language: str):
    import Stemmer

    return Stemmer.Stemmer(STEMMERS.get(language, "english"))


def words(text: str) -> list[str]:
    """Lower-case words (NFC); one-letter words are dropped unless they are digits."""
    return [w for w in _WORD.findall(unicodedata.normalize("NFC", text.lower())) if len(w) > 1 or w.isdigit()]


def fold(word: str) -> str:
    """Danish and Norwegian letters onto Swedish ones (æ→ä, ø→ö; é→e, ü→u)."""
    return word.translate(_FOLD)


def analyze(text: str, language: str) -> list[str]:
    """Index-side terms of a text written in `language`."""
    return [fold(s) for s in _stemmer(language).stemWords(words(text))]


def query_terms(text: str) -> list[str]:
    """Query-side terms: the word stemmed in each of the four languages, deduplicated."""
    ws = words(text)
    out: dict[str, None] = {}
    for lang in STEMMERS:
        for s in _stemmer(lang).stemWords(ws):
            out.setdefault(fold(s), None)
    return list(out)
