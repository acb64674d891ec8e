"""Questions are bounded before any model runs: whitespace and control characters are
normalised, an empty question or one over the length limit is refused with a message in
the question's language (QuestionError, exit code 2 in the CLI).

`answer_type` (once per question) reads the kind of answer a question asks for from its
question words in the four languages: a number, a date, a person, a place, an
organisation, a reason or a list. `type_prior` (per sentence) is the answer step's small
prior for sentences of that kind. Month names come from CLDR (Babel)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from assistant.core.errors import AssistantError
from assistant.core.i18n import t
from assistant.core.lang import detect_language


class QuestionError(AssistantError):
    exit_code = 2

    def __init__(self, kind: str, language: str, **values: object):
        self.kind, self.language = kind, language
        super().__init__(t(language, f"question_{kind}", **values))


def normalise(text: str) -> str:
    """NFC, control characters removed, runs of whitespace collapsed."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)
    return re.sub(r"\s+", " ", text).strip()


def check_question(text: str, max_chars: int = 1000, language: str | None = None) -> str:
    """The normalised question, or QuestionError (in the question's language, or
    `language` when given, e.g. the page's language for an empty question)."""
    q = normalise(text)
    if not q or not any(c.isalnum() for c in q):
        raise QuestionError("empty", language or "en")
    if len(q) > max_chars:
        raise QuestionError("long", language or detect_language(q[:2000]), n=len(q), max=max_chars)
    return q


# ---------- what kind of answer a question asks for ----------

_Q = {
    "date": r"när|hvornår|når|when|what date|which date|vilket datum|hvilken dato|what year|vilket år|hvilket år|"
    r"hvilken dag|vilken dag|which day|what day",
    "number": r"hur många|hur mycket|hvor mange|hvor meget|hvor mye|how many|how much|how large|how big|hur stor\w*|"
    r"hvor stor\w*|how long|hur länge|hvor længe|hvor lenge|how old|hur gammal|hvor gammel|vad kostar|"
    r"hvad koster|hva koster|what does .{1,40} cost|what is the (?:amount|number|price|cost)",
    "person": r"vem|vilka personer|hvem|who|whom|kven|vems|hvis|whose",
    "place": r"^var\b|var någonstans|"
    r"hvor(?!\s+(?:mange|meget|mye|længe|lenge|stor\w*|ofte|gammel|langt|lang|høy\w*|hurtig\w*))|"
    r"where|i vilken (?:stad|ort|kommun|region|lokal)|i hvilken (?:by|kommune|region)|"
    r"in which (?:city|town|place|region)|"
    r"which (?:city|town|place|venue|hotel)|vilket hotell|hvilket hotel\w*",
    "organisation": r"which (?:organi[sz]ation|union|company|body|party)|vilken (?:organisation|förening|facklig|part)|"
    r"hvilken (?:organisation|organisasjon|forening|part)|vilket förbund|hvilket forbund",
    "reason": r"varför|hvorfor|why|how come|av vilken anledning|af hvilken grund|av hvilken grunn|what was the reason|"
    r"vad var skälet|hva var grunnen|hvad var grunden",
    "list": r"vilka|hvilke|what are the|which are the|list the|name the|nämn|nevn|nævn",
}
_ASKS = {kind: re.compile(rf"(?:^|\b)(?:{pattern})(?:\b|$)", re.I) for kind, pattern in _Q.items()}


def answer_type(question: str) -> tuple[str, ...]:
    """The kinds of answer the question asks for, in a fixed order ("number", "date",
    "person", "place", "organisation", "reason", "list"); empty when its words say none."""
    q = question.strip()
    return tuple(
        kind
        for kind in ("number", "date", "person", "place", "organisation", "reason", "list")
        if _ASKS[kind].search(q)
    )


@lru_cache(maxsize=1)
def _months() -> re.Pattern:
    from babel import Locale

    names = {
        n.lower().rstrip(".")
        for loc in ("sv", "da", "nb", "en")
        for width in ("wide", "abbreviated")
        for n in Locale.parse(loc).months["format"][width].values()
    }
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b\.?", re.I)


_NUMBER = re.compile(r"\d")
_DATE = re.compile(r"\b\d{4}-\d\d-\d\d\b|\b\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\b|\b(?:19|20)\d\d\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÅÄÖÆØ][a-zåäöæøé]+(?:[- ][A-ZÅÄÖÆØ][a-zåäöæøé]+)+")
_PROPER = re.compile(r"(?<![.!?:]\s)(?<!^)\b(?:[A-ZÅÄÖÆØ][a-zåäöæøé]+|[A-ZÅÄÖÆØ]{2,})\b")
_REASON = re.compile(
    r"\b(?:eftersom|därför|för att|på grund av|pga|fordi|derfor|på grund af|på grunn av|because|"
    r"since|due to|so that|therefore|in order to|as a result|skälet|grunden|grunnen|the reason)\b",
    re.I,
)
_LIST = re.compile(r"(?:[^,;]+[,;]){2,}|\t|•")

_FITS = {
    "number": lambda s: bool(_NUMBER.search(s)),
    "date": lambda s: bool(_DATE.search(s) or _months().search(s)),
    "person": lambda s: bool(_NAME.search(s)),
    "place": lambda s: bool(_PROPER.search(s)),
    "organisation": lambda s: bool(_PROPER.search(s)),
    "reason": lambda s: bool(_REASON.search(s)),
    "list": lambda s: bool(_LIST.search(s)),
}


def type_prior(kinds: tuple[str, ...], sentence: str, bonus: float) -> float:
    """`bonus` for a sentence of a kind (answer_type) the question asks for."""
    return bonus if any(_FITS[kind](sentence) for kind in kinds) else 0.0
