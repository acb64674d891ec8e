"""Language identification restricted to the four languages the assistant serves.

py3langid does the statistics; Danish and Norwegian Bokmål are so close in writing
that short questions are often confused, so a small list of words that differ
between the two settles that pair."""
from __future__ import annotations

import re
from functools import lru_cache

LANGS = ("sv", "da", "no", "en")
_MAP = {"nb": "no", "nn": "no", "no": "no", "sv": "sv", "da": "da", "en": "en"}

_DA = {"af", "efter", "hvad", "nogle", "meget", "sygehus", "sygehuse", "nu", "mig", "dig", "sig",
       "spørgsmål", "hvornår", "lægesekretær", "lægesekretærer", "købe", "hjælp", "udvikling",
       "uddannelse", "blev", "gennem", "kun", "siger", "ud", "op", "løn", "fik", "færdig", "gør",
       "gøre", "stadig", "sådan", "hvorledes", "regionerne", "nogen", "bliver"}
_NO = {"av", "etter", "hva", "noen", "mye", "sykehus", "sykehuset", "nå", "meg", "deg", "seg",
       "spørsmål", "når", "helsesekretær", "helsesekretærer", "hjelp", "utvikling", "utdanning",
       "ble", "gjennom", "sier", "ut", "opp", "lønn", "ikkje", "kva", "korleis", "eg", "kven", "fikk",
       "ferdig", "gjør", "gjøre", "fortsatt", "slik", "noe", "blir", "kvinner", "namninnsamlingen"}
_DA_ONLY = _DA - _NO
_NO_ONLY = _NO - _DA
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# function words that only one of the four languages uses (weight 2 in the vote)
_FUNCTION = {
    "sv": {"vem", "vad", "hur", "när", "vilka", "vilken", "vilket", "är", "och", "inte", "mycket", "många",
           "också", "från", "skulle", "finns", "blev", "vår", "våra", "sina", "deras", "varför", "kunde"},
    "da": {"hvad", "hvornår", "nogle", "meget", "efter", "af", "blev", "mig", "dig", "nu"},
    "no": {"hva", "når", "noen", "mye", "etter", "ble", "meg", "deg", "nå", "kva", "korleis", "kven"},
    "en": {"the", "what", "who", "when", "how", "is", "are", "of", "and", "which", "did", "does", "was", "were",
           "many", "much", "why", "about", "there", "their", "say", "said"},
}
# spelling that differs between Danish and Norwegian (weight 1 in the vote)
_DA_PREFIX = ("sundhed", "læge", "sygeh", "uddann", "opgav", "indgå", "indlæg", "arbejd", "tillæg", "sygemeld",
              "repræsent")
_NO_PREFIX = ("helse", "lege", "sykeh", "utdann", "oppgav", "inngå", "innlegg", "arbeid", "tilleg", "sykemeld",
              "sykmeld", "verne", "represent")

# Swedish spellings (with ä/ö, where Danish and Norwegian write æ/ø): a one-word question
# ("skyddsombud") has no function word, and the statistics call it Danish
_SV_PREFIX = ("skydd", "sjukh", "sjuks", "läkar", "sekreterar", "medicinsk", "arbets", "förhandl", "facklig")


def _swedish_spelling(words: list[str]) -> bool:
    sv = sum(w.startswith(_SV_PREFIX) or bool(re.search("[äö]", w)) for w in words)
    nordic = sum(w.startswith(_DA_PREFIX + _NO_PREFIX) or bool(re.search("[æø]", w)) for w in words)
    return sv > nordic


def _vote(words: list[str]) -> str | None:
    """Function-word vote for short texts; None when it does not decide."""
    score = {lang: sum(w in ws for w in words) for lang, ws in _FUNCTION.items()}
    best = max(score.values())
    top = [lang for lang, v in score.items() if v == best]
    if best == 0 or not (len(top) == 1 or set(top) == {"da", "no"}):
        return None
    return top[0] if len(top) == 1 else "da"  # a da/no tie is split by the caller


def _da_or_no(words: list[str]) -> str | None:
    """Split Danish from Norwegian by words and spellings that differ between them."""
    da = sum(w in _DA_ONLY or w in _FUNCTION["da"] or w.startswith(_DA_PREFIX) for w in words)
    no = sum(w in _NO_ONLY or w in _FUNCTION["no"] or w.startswith(_NO_PREFIX) for w in words)
    return "da" if da > no else "no" if no > da else None


@lru_cache(maxsize=2)
def _identifier(restricted: bool = True):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if restricted:
        ident.set_languages([c for c in ("sv", "da", "no", "nb", "nn", "en") if c in ident.nb_classes])
    return ident


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c < "\u0250" for c in letters) / len(letters) if letters else 1.0


def is_other_language(text: str) -> bool:
    """True for text clearly in a language the assistant does not serve (Finnish,
    German, Chinese...): mostly non-Latin letters, or confidently classified as another
    language by the unrestricted identifier."""
    if _latin_share(text) < 0.5:
        return True
    lang, prob = _identifier(restricted=False).classify(text[:4000])
    return lang not in _MAP and prob >= 0.5


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text[:4000])]


def language_named_by_words(text: str) -> str | None:
    """The one language whose function words a text uses ("När …?" Swedish, "And …?"
    English), or None: "Og i Sverige?" (Danish or Norwegian) cannot tell alone."""
    words = _words(text)
    lang = _vote(words)
    return _da_or_no(words) if lang in ("da", "no") else lang   # Danish or Norwegian: by their own words


def detect_language(text: str, default: str = "en") -> str:
    """Return 'sv', 'da', 'no' or 'en' for `text`; text in another language gets
    `default` (English), so answers to it are framed in English."""
    sample = text[:4000]
    words = _words(sample)
    if not words:
        return default
    lang = _vote(words) if len(words) <= 40 else None
    if lang is None and is_other_language(sample):
        return default
    if lang is None:
        lang = _MAP.get(_identifier().classify(sample)[0], default)
        if lang in ("da", "no") and len(words) <= 40 and _swedish_spelling(words):
            return "sv"
    if lang in ("da", "no"):
        lang = _da_or_no(words) or lang
    return lang
