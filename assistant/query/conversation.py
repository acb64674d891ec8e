"""Follow-up questions ("and in Denmark?"): a short or elliptical question asked after
another keeps that question as its context (`Query.previous`), and, when a language model
is configured, the model's stand-alone rewrite (it sees the previous question, not the
answers; its output is bounded and used only if it is a new question that keeps the
previous one's topic and the follow-up's country). Both are bounded to `max_chars`."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from assistant.core.lang import detect_language, language_named_by_words
from assistant.core.prompting import render
from assistant.models.llm import within_deadline
from assistant.query.places import countries

_FOLLOW_UP = re.compile(
    r"^\s*(and|but|what about|how about|och|men|vad sägs om|hur är det med|og|hvad med|hva med|"
    r"hvordan med|hvordan er det med|samme|same|also|även|också|også)\b",
    re.I,
)
_WORDS = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def word_count(text: str) -> int:
    """Words, counting each CJK character as one (a Chinese sentence has no spaces)."""
    return len(_WORDS.findall(_CJK.sub(" ", text))) + len(_CJK.findall(text))


def is_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP.match(question)) or word_count(question) <= 3


def answer_language(question: str, standalone: str) -> str:
    """The language to answer in: the question's own, unless it is too short to tell
    ("Og i Sverige?"), then that of the stand-alone question it became. A short question
    whose words are all of one language is answered in it (a short Swedish follow-up to a
    Norwegian question is answered in Swedish)."""
    if word_count(question) > 3 or standalone == question:
        return detect_language(question)
    return language_named_by_words(question) or detect_language(standalone)


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _WORDS.findall(text.casefold()) if len(w) >= 4}


def carries_topic(rewrite: str, previous: str, question: str) -> bool:
    """The rewrite keeps a content word of the previous question that the follow-up lacks
    (compared by their first five letters: "utredningen" ~ "utredning")."""
    topic = _stems(previous) - _stems(question)
    return not topic or bool(topic & _stems(rewrite))


def keeps_countries(rewrite: str, question: str) -> bool:
    """The rewrite still names every country the follow-up names ("Og i Sverige?" rewritten
    as the previous question alone would be answered with the previous question's country);
    "Sweden" and "Sverige" are one, so a rewrite in another language passes."""
    return countries(question) <= countries(rewrite)


def _bounded(text: str, max_chars: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= max_chars else text[: max_chars - 1].rsplit(" ", 1)[0] + "…"


def follow_up(
    history: Sequence[tuple[str, str]], question: str, chat_model=None, max_chars: int = 400, timeout_s: float = 30.0
) -> tuple[str, str]:
    """(previous, rewrite) for a question asked after `history` ([(question, answer), ...],
    oldest first): ("", "") for a question that stands alone; for a follow-up, the previous
    question and, when a model is given, its stand-alone rewrite if it is a new question
    that keeps the previous one's topic and the follow-up's countries ("" otherwise). The
    model's rewrite is given up after `timeout_s`."""
    if not history or not is_follow_up(question):
        return "", ""
    previous = _bounded(history[-1][0], max_chars)
    if chat_model is None:
        return previous, ""
    # the previous question only: with the answers in view a small model answers instead of
    # rewriting, and with several questions it picks the wrong one to complete
    try:
        prompt = render("condense", previous=_bounded(previous, 300), question=question)
        out = str(
            within_deadline(
                time.monotonic() + timeout_s, lambda: chat_model.invoke(prompt, max_tokens=80), timeout_s
            ).content
        )
    except Exception:  # noqa: BLE001 - the follow-up is still answered with its previous question
        out = ""
    out = out.strip().strip('"').splitlines()[0].strip().strip('"') if out.strip() else ""
    # a question (not an answer or a remark) that differs from the one asked, carries the
    # previous question's topic ("Hur ser det ut i Danmark?" lost it) and the follow-up's country
    if (
        out.endswith("?")
        and len(out) <= max_chars
        and out.casefold() != question.casefold()
        and carries_topic(out, previous, question)
        and keeps_countries(out, question)
    ):
        return previous, out
    return previous, ""
