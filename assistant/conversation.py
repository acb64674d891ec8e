"""Follow-up questions ("and in Denmark?") are condensed with the chat history into a
stand-alone question before retrieval: by the LLM when one is configured, otherwise
by a rule: a short or elliptical question is joined to the previous one."""
from __future__ import annotations

import re

from .prompting import render

_FOLLOW_UP = re.compile(r"^\s*(and|but|what about|how about|och|men|vad sägs om|hur är det med|og|men|hvad med|hva med|"
                        r"hvordan med|samme|same|also|även|også)\b", re.I)


def is_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP.match(question)) or len(question.split()) <= 3


def condense(history: list[tuple[str, str]], question: str, chat_model=None) -> str:
    """history: [(user question, assistant answer), ...] oldest first."""
    if not history or not is_follow_up(question):
        return question
    if chat_model is not None:
        hist = "\n".join(f"User: {q}\nAssistant: {a[:300]}" for q, a in history[-3:])
        try:
            out = str(chat_model.invoke(render("condense", history=hist, question=question)).content).strip()
            if out:
                return out
        except Exception:
            pass  # fall back to the rule below; the answer step reports endpoint failures
    return f"{history[-1][0].rstrip(' ?')} — {question.strip()}"
