"""Optional generative answer step (never required): an OpenAI-compatible endpoint
(Ollama, vLLM, llama.cpp server, OpenAI) or a local GGUF via llama-cpp-python, plugged
into the same chain as the extractive answerer.

The model sees the top passages as numbered sources (trimmed to a tiktoken budget),
its [n] markers are validated by `cite` (invalid ones dropped and counted), and any
failure of the endpoint falls back to the extractive answer with a visible note."""
from __future__ import annotations

import dataclasses
import os
from typing import Iterator

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from .answer import Answer, ExtractiveAnswerer, abstain_text, stream_answer
from .chunking import clean_text, tiktoken_counter
from .citations import Passage, cite
from .config import Settings
from .errors import ConfigError, LLMError
from .prompting import render
from .retrieval import Retrieval
from .store import SearchIndex

LANGUAGE_NAMES = {"sv": "Swedish", "da": "Danish", "no": "Norwegian (bokmål)", "en": "English"}
NOTES = {
    "en": "The language model could not be reached ({err}); showing the extractive answer.",
    "sv": "Språkmodellen kunde inte nås ({err}); visar det extraherade svaret.",
    "da": "Sprogmodellen kunne ikke nås ({err}); viser det uddragne svar.",
    "no": "Språkmodellen kunne ikke nås ({err}); viser det uttrukne svaret.",
}


def numbered_sources(index: SearchIndex, retrieval: Retrieval, budget_tokens: int) -> list[Passage]:
    """Retrieved chunks as numbered passages, as many as fit in the token budget."""
    count = tiktoken_counter()
    out, used = [], 0
    for hit in retrieval.hits:
        c = hit.chunk
        n_tokens = count(c.text)
        if out and used + n_tokens > budget_tokens:
            break
        used += n_tokens
        doc = index.documents[c.source]
        out.append(Passage(len(out) + 1, c.source, doc.title, doc.date, doc.heading_at(c.start), c.text, c.start, c.end))
    return out


class LLMAnswerer:
    name = "llm"

    def __init__(self, index: SearchIndex, settings: Settings, chat_model: BaseChatModel, label: str = "llm"):
        self.index, self.s, self.chat_model, self.name = index, settings, chat_model, label
        self.fallback = ExtractiveAnswerer(index, settings)

    def messages(self, question: str, language: str, sources: list[Passage]):
        src = "\n\n".join(f"[{p.n}] {p.title} ({p.date or 'undated'}){' > ' + p.heading if p.heading else ''}\n{clean_text(p.text)}"
                          for p in sources)
        return [SystemMessage(render("llm_system", language_name=LANGUAGE_NAMES[language], sources=src)),
                HumanMessage(render("llm_user", question=question))]

    def _prepare(self, retrieval: Retrieval):
        """(sources for the prompt, or None when the evidence is too weak; ranked evidence; best similarity)."""
        ranked, best = self.fallback.evidence(retrieval)
        if best < self.s.abstain_threshold:
            return None, ranked, best
        return numbered_sources(self.index, retrieval, self.s.llm_context_tokens), ranked, best

    def _finish(self, question, language, retrieval, text: str, sources, best) -> Answer:
        cited = cite(text, sources)
        abstained = not cited.citations
        return Answer(question, language, cited.text if cited.text else abstain_text(language), abstained,
                      cited.citations, retrieval, best, backend=self.name, dropped_citations=cited.dropped_markers)

    def _fallback(self, question, language, retrieval, ranked, best, err: Exception) -> Answer:
        ans = self.fallback.answer_from(question, language, retrieval, ranked, best)
        msg = f"{err.__class__.__name__}: {str(err)[:120]}"
        return dataclasses.replace(ans, note=NOTES[language].format(err=msg), backend=f"{self.name}→extractive")

    def answer(self, question: str, language: str, retrieval: Retrieval) -> Answer:
        sources, ranked, best = self._prepare(retrieval)
        if sources is None:
            return self.fallback.answer_from(question, language, retrieval, ranked, best)
        try:
            text = self.chat_model.invoke(self.messages(question, language, sources)).content
        except Exception as e:  # any endpoint failure: answer extractively, say so
            return self._fallback(question, language, retrieval, ranked, best, e)
        return self._finish(question, language, retrieval, str(text), sources, best)

    def stream(self, question: str, language: str, retrieval: Retrieval) -> Iterator[str | Answer]:
        sources, ranked, best = self._prepare(retrieval)
        if sources is None:
            yield from stream_answer(self.fallback.answer_from(question, language, retrieval, ranked, best))
            return
        parts: list[str] = []
        try:
            for chunk in self.chat_model.stream(self.messages(question, language, sources)):
                piece = str(chunk.content)
                parts.append(piece)
                yield piece
        except Exception as e:
            yield self._fallback(question, language, retrieval, ranked, best, e)
            return
        yield self._finish(question, language, retrieval, "".join(parts), sources, best)


def make_chat_model(settings: Settings) -> BaseChatModel:
    if settings.answer_backend == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as e:
            raise LLMError("The OpenAI-compatible backend needs `langchain-openai`: pip install langchain-openai") from e
        return ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model,
                          api_key=os.environ.get(settings.llm_api_key_env) or "not-needed",
                          timeout=settings.llm_timeout_s, max_retries=0, max_tokens=settings.llm_max_tokens, temperature=0)
    if settings.answer_backend == "llamacpp":
        if not settings.llm_gguf_path or not os.path.isfile(settings.llm_gguf_path):
            raise LLMError(f"llm_gguf_path {settings.llm_gguf_path!r} is not a file; point it at a .gguf model.")
        try:
            from langchain_community.chat_models import ChatLlamaCpp
        except ImportError as e:
            raise LLMError("The local GGUF backend needs llama-cpp-python: pip install llama-cpp-python") from e
        return ChatLlamaCpp(model_path=settings.llm_gguf_path, n_ctx=4096, max_tokens=settings.llm_max_tokens,
                            temperature=0, verbose=False)
    raise ConfigError(f"answer_backend {settings.answer_backend!r} is unknown; use extractive, openai or llamacpp.")


