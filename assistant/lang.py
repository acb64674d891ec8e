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
    "da": {"hvad", "hvornår", "hvorfor", "nogle", "meget", "efter", "af", "blev", "mig", "dig", "nu", "hvilken", "ikke"},
    "no": {"hva", "når", "noen", "mye", "etter", "av", "ble", "meg", "deg", "nå", "ikke", "kva", "korleis", "kven"},
    "en": {"the", "what", "who", "when", "how", "is", "are", "of", "and", "which", "did", "does", "was", "were",
           "many", "much", "why", "about", "there", "their", "say", "said"},
}
_FUNCTION["da"] -= _FUNCTION["no"] | {"ikke"}
_FUNCTION["no"] -= {"ikke"}


def _vote(words: list[str]) -> str | None:
    """Weighted word vote for short texts; None when it does not decide."""
    score = {lang: 2 * sum(w in ws for w in words) for lang, ws in _FUNCTION.items()}
    score["da"] += sum(w in _DA_ONLY or w.startswith(("sundhed", "læge", "sygeh")) for w in words)
    score["no"] += sum(w in _NO_ONLY or w.startswith(("helse", "lege", "sykeh")) for w in words)
    ranked = sorted(score.items(), key=lambda kv: -kv[1])
    if ranked[0][1] > 0 and ranked[0][1] > ranked[1][1]:
        return ranked[0][0]
    return None


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages([c for c in ("sv", "da", "no", "nb", "nn", "en") if c in ident.nb_classes])
    return ident


def detect_language(text: str, default: str = "en") -> str:
    """Return 'sv', 'da', 'no' or 'en' for `text`."""
    sample = text[:4000]
    words = [w.lower() for w in _WORD.findall(sample)]
    if not words:
        return default
    if len(words) <= 40 and (voted := _vote(words)):
        return voted
    lang, _ = _identifier().classify(sample)
    lang = _MAP.get(lang, default)
    if lang in ("da", "no"):
        da = sum(w in _DA_ONLY or w.startswith(("sundhed", "læge", "sygeh")) for w in words)
        no = sum(w in _NO_ONLY or w.startswith(("helse", "lege", "sykeh")) for w in words)
        if da > no:
            lang = "da"
        elif no > da:
            lang = "no"
    return lang
