"""Questions are bounded before any model runs: whitespace and control characters are
normalised, an empty question or one over the length limit is refused with a message in
the question's language (QuestionError, exit code 2 in the CLI)."""

from __future__ import annotations

import re
import unicodedata

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
