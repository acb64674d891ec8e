"""Questions are bounded before any model runs: whitespace and control characters are
normalised, an empty question or one over the length limit is refused with a message in
the question's language (QuestionError, exit code 2 in the CLI). `answer_type` (once per
question) and `type_prior` (per sentence) are the answer step's small prior for the kind of
sentence a question asks for;
`asks_author` and `is_byline` let retrieval and the answer step find who wrote or signed
a text ("Innlegg: Gro Bengtson", '…, skriver "Snart på väg".', "/Snart på väg")."""
from __future__ import annotations

import re
import unicodedata

from assistant.query.doc_kinds import is_date_line
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

_ASKS_NUMBER = re.compile(
    r"\b(när|hvornår|når|when|what year|vilket år|hvilket år|hur många|hur mycket|hvor mange|hvor meget|hvor mye|"
    r"how many|how much|hur stor|hvor stor|how large|hur länge|hvor længe|hvor lenge|how long|datum|dato|date)\b", re.I)
_ASKS_PERSON = re.compile(r"\b(vem|vilka personer|hvem|who|whom)\b", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÅÄÖÆØ][a-zåäöæøé]+(?:[- ][A-ZÅÄÖÆØ][a-zåäöæøé]+)+")


# who wrote it: "Hvem skrev innlegget …?", "Vem har skrivit …?", "Who wrote …?", "Kven skreiv …?",
# "Hvem står bak innlegget?", and a question word before the signature or author ("Hvilken
# signatur …?", "Who is the author …?"); not "Vad säger författaren om …?" nor "Vem undertecknade
# avtalet?" (who signed an agreement is a fact in the text, not its byline)
_ASKS_AUTHOR = re.compile(
    r"\b(?:vem|hvem|who|kven)\s+(?:har\s+|has\s+|had\s+)?(?:skrev|skrivit|skrevet|skreiv|wrote|written|authored|"
    r"penned|forfattet|författade|står\s+bak(?:om)?|is\s+behind)\b|"
    r"\b(?:vem|hvem|who|kven|vems|hvis|whose|vilken|vilket|hvilken|hvilket|which)\b(?:\s+\w+){0,3}?\s+"
    r"(?:signatur(?:en)?|signature|byline|författare(?:n)?|forfatter(?:en)?|author|avsändare(?:n)?|"
    r"afsender(?:en)?|avsender(?:en)?|underskrift(?:en)?)\b", re.I)
# a byline ("Innlegg: Gro Bengtson", "**Av:** Anna Berg", "Skrevet av Gro Bengtson", "Referent: …"),
# a signature line ("/Snart på väg"; not "– Name": a list item) or an attribution closing a
# sentence ('…, skriver "Snart på väg".'; not "I Västernorrland skriver Sekreterarbyrån …")
_BYLINE = re.compile(
    r"(?:^|\s)\**(?:Innlegg|Indlæg|Inlägg|Av|Af|By|Forfatter|Författare|Author|Referent|Protokollförare|"
    r"Protokollfører|Vid protokollet|Ved protokollen)\**\s*:\**\s*[A-ZÅÄÖÆØ]|"
    r"(?:^|\s)(?:Skrevet av|Skrevet af|Skrivet av|Written by)\s*:?\s*[A-ZÅÄÖÆØ]|^\s*/\s*[A-ZÅÄÖÆØ]|"
    r"[,—–]\s*(?:skriver|skrev|writes|wrote)\s+[\"“«]?[A-ZÅÄÖÆØ][^,.!?]{0,40}[\"”»]?\s*[.!]?\s*$", re.M)


def asks_author(question: str) -> bool:
    """The question asks who wrote or signed a text."""
    return bool(_ASKS_AUTHOR.search(question))


def is_byline(sentence: str) -> bool:
    """The sentence names who wrote or signed a text."""
    return bool(_BYLINE.search(sentence))


def answer_type(question: str) -> tuple[str, ...]:
    """What kinds of sentence answer the question: ("author",) (a byline or signature), or
    "number" (a number or date: when/how many) and/or "person" (a name: other who-questions).
    ("date",), a line that dates a text, is for a question about when a retrieved document
    was published (evidence.rank_sentences)."""
    if asks_author(question):
        return ("author",)
    return tuple(kind for kind, pattern in (("number", _ASKS_NUMBER), ("person", _ASKS_PERSON)) if pattern.search(question))


_FITS = {"author": is_byline, "date": is_date_line, "number": lambda s: bool(re.search(r"\d", s)),
         "person": lambda s: bool(_NAME.search(s))}


# a date line is the whole answer to "when was the plan published?" ("Opdateret 14. sept. 2021"):
# at 1x the extractive step quoted it for 2 of 6 such questions, at 2x for all 6, first in 5 (stop 26)
_WEIGHT = {"date": 2.0}


def type_prior(kinds: tuple[str, ...], sentence: str, bonus: float) -> float:
    """`bonus` (x the kind's weight) for a sentence of a kind (answer_type) the question asks for."""
    return max((bonus * _WEIGHT.get(kind, 1.0) for kind in kinds if _FITS[kind](sentence)), default=0.0)

