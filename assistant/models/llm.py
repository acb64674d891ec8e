"""The LLM behind the readers, chosen by name (setting `llm_provider`):

- `local`: the GGUF named by `llm_model_name`, in-process through xllamacpp
  (`local_llm.LocalChatModel`; fetched and verified by `assistant models fetch`);
- `openai`: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp's server, OpenAI)
  at `llm_base_url`, model `llm_model`, key from the variable named `llm_api_key_env`.

Both are LangChain chat models; the factory only builds them (the local model loads on
first use)."""
from __future__ import annotations

import atexit
import contextvars
import os
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

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
    from pydantic import SecretStr

    return ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model,
                      api_key=SecretStr(os.environ.get(settings.llm_api_key_env) or "not-needed"),
                      timeout=settings.llm_timeout_s, max_retries=0, temperature=0,
                      max_completion_tokens=settings.llm_max_tokens)


def make_chat_model(settings: Settings) -> BaseChatModel:
    return PROVIDERS.get(settings.llm_provider)(settings)


class LLMTimeout(LLMError):
    pass


class LLMStopped(LLMError):
    """The member stopped the answer while the model was writing it."""


_stop: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("llm_stop", default=None)


@contextmanager
def stoppable(event: threading.Event) -> Iterator[None]:
    """Model calls made inside this block (`within_deadline`) are given up as soon as
    `event` is set, with LLMStopped: the chat's Stop button."""
    token = _stop.set(event)
    try:
        yield
    finally:
        _stop.reset(token)


T = TypeVar("T")


_given_up: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("llm_given_up", default=None)
_running: dict[threading.Thread, threading.Event] = {}   # within_deadline calls not finished yet
_running_lock = threading.Lock()


def given_up() -> threading.Event | None:
    """The flag `within_deadline` sets when it stops waiting for the call running in this
    context (None outside one). A model that can stop early (the local llama.cpp model,
    at its next token) checks it, so a timed-out generation does not run on."""
    return _given_up.get()


def within_deadline(deadline: float, call: Callable[[], T], timeout_s: float) -> T:
    """`call()`, given up at `deadline` (time.monotonic). The HTTP client's timeout counts
    per read, so an endpoint that trickles a byte at a time never trips it; this bounds
    the whole call. A call given up is told so (`given_up()`): the local model stops at
    its next token; any call still running at interpreter exit is waited for
    (`finish_running_calls`), so no model runs while the interpreter tears down."""
    box: dict = {}
    done = threading.Event()
    gave_up = threading.Event()
    context = contextvars.copy_context()   # LangChain's callbacks and tracing follow the call
    context.run(_given_up.set, gave_up)

    def run() -> None:
        try:
            box["value"] = context.run(call)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            box["error"] = e
        finally:
            done.set()
            with _running_lock:
                _running.pop(threading.current_thread(), None)

    thread = threading.Thread(target=run, name="llm-call", daemon=True)
    with _running_lock:
        _running[thread] = gave_up
    thread.start()
    stop = _stop.get()
    while not done.wait(max(0.0, min(0.1, deadline - time.monotonic()))):
        if stop is not None and stop.is_set():
            gave_up.set()
            raise LLMStopped("stopped")
        if time.monotonic() >= deadline:
            gave_up.set()
            raise LLMTimeout(f"no answer within {timeout_s:.0f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


@atexit.register
def finish_running_calls(timeout_s: float = 60.0) -> int:
    """Tells every call still running to stop and waits for it (at most `timeout_s` in
    all); returns how many still run. Registered for interpreter exit: a generation left
    running in a daemon thread while the interpreter tore down crashed the process."""
    with _running_lock:
        running = list(_running.items())
    for _, gave_up in running:
        gave_up.set()
    end = time.monotonic() + timeout_s
    for thread, _ in running:
        thread.join(max(0.0, end - time.monotonic()))
    return sum(thread.is_alive() for thread, _ in running)
