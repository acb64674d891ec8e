"""Answer backends by name (setting `answer_backend`). Each factory gets the index, the
settings and a function that returns the shared LLM (created on first call only, and
kept by the Assistant across re-indexing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.answer.base import Answerer, ExtractiveAnswerer
from assistant.core.config import Settings
from assistant.core.registry import Registry
from assistant.index.store import SearchIndex

LLM = Callable[[], Any]
ANSWERERS: Registry[Callable[[SearchIndex, Settings, LLM], Answerer]] = Registry("answer backend", "answer_backend")
USES_LLM = {"selector", "writer"}


@ANSWERERS.register("extractive")
def _extractive(index: SearchIndex, settings: Settings, llm: LLM) -> Answerer:
    return ExtractiveAnswerer(index, settings)


@ANSWERERS.register("selector", "writer")
def _reader(index: SearchIndex, settings: Settings, llm: LLM) -> Answerer:
    from assistant.answer.reader import LLMReader

    return LLMReader(index, settings, llm(), mode=settings.answer_backend)


def make_answerer(index: SearchIndex, settings: Settings, llm: LLM) -> Answerer:
    return ANSWERERS.get(settings.answer_backend)(index, settings, llm)
