"""The LLM behind the readers, chosen by name (setting `llm_provider`):

- `local`: the GGUF named by `llm_model_name`, in-process through xllamacpp
  (`local_llm.LocalChatModel`; fetched and verified by `assistant models fetch`);
- `openai`: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp's server, OpenAI)
  at `llm_base_url`, model `llm_model`, key from the variable named `llm_api_key_env`.

Both are LangChain chat models; the factory only builds them (the local model loads on
first use)."""
from __future__ import annotations

import contextvars
import os
import threading
import time
from typing import Callable, TypeVar

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.core.config import Settings
from assistant.core.errors import LLMError
from assistant.core.registry import Registry

PROVIDERS: Registry[Callable[[Settings], BaseChatModel]] = Registry("LLM provider", "llm_provider")


@PROVIDERS.register("local")
def _local(settings: Settings) -> BaseChatModel:
    from assistant.models.local_llm import LocalChatModel

    return LocalChatModel.from_settings(settings)


@PROVIDERS.register("openai")
def _openai(settings: Settings) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as e:
        raise LLMError("The OpenAI-compatible provider needs langchain-openai: pip install 'minutes-assistant[openai]'") from e
    return ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model,
                      api_key=os.environ.get(settings.llm_api_key_env) or "not-needed",
                      timeout=settings.llm_timeout_s, max_retries=0, max_tokens=settings.llm_max_tokens, temperature=0)


def make_chat_model(settings: Settings) -> BaseChatModel:
    return PROVIDERS.get(settings.llm_provider)(settings)


class LLMTimeout(LLMError):
    pass


T = TypeVar("T")


def within_deadline(deadline: float, call: Callable[[], T], timeout_s: float) -> T:
    """`call()`, given up at `deadline` (time.monotonic). The HTTP client's timeout counts
    per read, so an endpoint that trickles a byte at a time never trips it; this bounds
    the whole call. A call given up finishes in its (daemon) thread and is discarded."""
    box: dict = {}
    done = threading.Event()
    context = contextvars.copy_context()   # LangChain's callbacks and tracing follow the call

    def run() -> None:
        try:
            box["value"] = context.run(call)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name="llm-call", daemon=True).start()
    if not done.wait(max(0.0, deadline - time.monotonic())):
        raise LLMTimeout(f"no answer within {timeout_s:.0f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
