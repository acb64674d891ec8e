"""Language identification restricted to the four languages the assistant serves.

py3langid does the statistics; for short texts the function words that only one of the
languages uses decide. Danish and Norwegian Bokmål are so close in writing that short
questions are often confused: their own function words and a few regular spelling
differences ("ej"/"ei", "-hed"/"-het", "ud"/"ut") settle that pair."""

from __future__ import annotations

import re
from functools import lru_cache

LANGS = ("sv", "da", "no", "en")
_MAP = {"nb": "no", "nn": "no", "no": "no", "sv": "sv", "da": "da", "en": "en"}

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# function words (pronouns, question words, prepositions, auxiliaries, adverbs) from the four
# grammars. The vote for short texts counts those only one language uses (Danish and Norwegian
# share many, "hvem", "hvor", "og", "til", "er": both count those, and the pair is split below)
_DA_NO = {
    "hvem",
    "hvor",
    "hvilken",
    "hvilket",
    "hvilke",
    "og",
    "til",
    "er",
    "skal",
    "mange",
    "være",
    "ikke",
    "jeg",
    "også",
    "hvis",
    "hvordan",
    "hvorfor",
    "deres",
    "blandt",
    "siden",
}
_FUNCTION = {
    "sv": {
        "vem",
        "vad",
        "hur",
        "när",
        "vilka",
        "vilken",
        "vilket",
        "är",
        "och",
        "inte",
        "mycket",
        "många",
        "också",
        "från",
        "skulle",
        "finns",
        "vår",
        "våra",
        "sina",
        "deras",
        "varför",
        "kunde",
        "någon",
        "några",
        "något",
        "till",
        "jag",
        "bland",
        "sedan",
        "mellan",
        "hade",
    },
    "da": {
        "hvad",
        "hvornår",
        "nogle",
        "nogen",
        "noget",
        "meget",
        "af",
        "gennem",
        "kun",
        "ud",
        "op",
        "fik",
        "stadig",
        "sådan",
        "hvorledes",
        "bliver",
        "havde",
        "vores",
        "mellem",
        "blevet",
        "hende",
    }
    | _DA_NO,
    "no": {
        "hva",
        "når",
        "noen",
        "noe",
        "mye",
        "etter",
        "ble",
        "meg",
        "deg",
        "seg",
        "nå",
        "kva",
        "korleis",
        "kven",
        "gjennom",
        "bare",
        "ut",
        "opp",
        "fikk",
        "fortsatt",
        "slik",
        "blir",
        "hadde",
        "ikkje",
        "eg",
        "enn",
        "våre",
        "mellom",
        "blitt",
        "henne",
    }
    | _DA_NO,
    "en": {
        "the",
        "what",
        "who",
        "when",
        "how",
        "is",
        "are",
        "of",
        "and",
        "which",
        "did",
        "does",
        "was",
        "were",
        "many",
        "much",
        "why",
        "about",
        "there",
        "their",
        "say",
        "said",
        "in",
        "has",
        "have",
        "will",
        "with",
    },
}
# Danish against Norwegian: their own function words, also those Swedish shares with one of them
_DA_ONLY = (_FUNCTION["da"] - _DA_NO) | {"efter", "nu", "mig", "dig", "sig", "blev", "gør", "gøre", "end"}
_NO_ONLY = (_FUNCTION["no"] - _DA_NO) | {"av", "gjør", "gjøre"}
# spelling that differs between Danish and Norwegian (weight 1): Danish writes "ej", "-hed", "ud-",
# "op-", "-tion" and "-erne" where Norwegian writes "ei", "-het", "ut-", "opp-", "-sjon" and "-ene"
# (arbejde/arbeid, frihed/frihet, uddannelse/utdanning, information/informasjon, dokumenterne/dokumentene)
_DA_SPELLING = re.compile(r"ej|hed$|heds$|heden$|^ud|^op(?!p)|tion|erne$")
_NO_SPELLING = re.compile(r"ei|het$|hets$|heten$|^ut|^opp|sjon|[^e]ene$")


def _swedish_spelling(words: list[str]) -> bool:
    """More words with Swedish ä/ö than with Danish/Norwegian æ/ø (a one-word question like
    "skyddsombud" has no function word, and the statistics may call it Danish)."""
    sv = sum(bool(re.search("[äö]", w)) for w in words)
    nordic = sum(bool(re.search("[æø]", w)) for w in words)
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
    da = sum(2 * (w in _DA_ONLY) + bool(_DA_SPELLING.search(w)) for w in words)
    no = sum(2 * (w in _NO_ONLY) + bool(_NO_SPELLING.search(w)) for w in words)
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
    return _da_or_no(words) if lang in ("da", "no") else lang  # Danish or Norwegian: by their own words


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
        lang = _da_or_no(words) or _statistics_da_or_no(sample)
    return lang


def _statistics_da_or_no(text: str) -> str:
    """Danish or Norwegian by py3langid's statistics, when their words do not tell."""
    ranked = _identifier().rank(text)
    score = {"da": 0.0, "no": 0.0}
    for code, p in ranked:
        if _MAP.get(code) in score:
            score[_MAP[code]] += p
    return "no" if score["no"] > score["da"] else "da"
