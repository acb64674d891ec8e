"""In-process GGUF chat model on llama.cpp through `xllamacpp` (prebuilt wheels, no
compiling), as a LangChain `BaseChatModel` so chains and tracing see it.

xllamacpp embeds llama.cpp's server: `Server(CommonParams)` loads the model once and
`handle_chat_completions(body[, callback])` takes an OpenAI-style request body. That
gives, per request: `json_schema` or `grammar` (constrained decoding),
`response_format`, `cache_prompt` (the slot keeps the previous prompt's KV cache, so a
fixed prompt prefix is evaluated once), and `timings` (prompt/generation tok/s).

Threads: both `cpuparams` (generation) and `cpuparams_batch` (prompt evaluation) are set
to the physical core count; llama.cpp's defaults were several times slower here. One
generation at a time (a lock): the server has one slot, which is what makes the prefix
cache hit.

Stopping: every request streams from llama.cpp (also `invoke`, whose pieces are put back
together), because only a streamed request can be stopped: the callback returns True and
llama.cpp cancels the task. `return_progress` makes llama.cpp report each evaluated batch
of the prompt (`n_batch` = `n_ubatch` tokens), so a request stops within one batch, also
during a long prompt. A generation stops when its caller gave up (`llm.within_deadline`
timed out), when its stream is closed, or when the model closes. `close()` (also run at
interpreter exit) stops every generation, waits for their threads and only then frees
the llama.cpp server: a generation still running in a daemon thread while the
interpreter tore down made `assistant ask` end with SIGSEGV after a timeout."""
from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
import time
import urllib.request
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.models import hardware
from assistant.models.llm import given_up
from assistant.core.config import Settings
from assistant.core.errors import LLMError, ModelError

log = logging.getLogger(__name__)

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
# request fields a caller may pass through invoke(..., **kwargs)
_PASS = ("json_schema", "grammar", "response_format", "max_tokens", "temperature", "logprobs", "top_logprobs", "seed")


def resolve_model_path(settings: Settings) -> Path:
    """`llm_model_name` as a verified GGUF in models_dir, or a .gguf path as given."""
    from assistant.models import gguf as models

    name = settings.llm_model_name
    if name in models.LLM_SPECS:
        path = settings.path("models_dir") / models.LLM_SPECS[name].filename
        if not models.is_gguf_verified(path):
            raise ModelError(f"The LLM {name} is missing or unverified at {path}. Run `assistant models fetch --llm {name}`.")
        return path
    path = Path(name) if Path(name).is_absolute() else settings.root / name
    if path.suffix != ".gguf" or not path.is_file():
        raise ModelError(f"llm_model_name {name!r} is neither a known model ({', '.join(models.LLM_SPECS)}) "
                         "nor an existing .gguf file.")
    return path


class LocalChatModel(BaseChatModel):
    """A GGUF model loaded once (lazily or by `warm_up()`), greedy by default."""

    model_path: str
    n_ctx: int = 2048
    n_threads: int = 0                  # 0 = physical cores
    max_tokens: int = 256
    temperature: float = 0.0
    _server: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _load_s: float = PrivateAttr(default=0.0)
    _pending: int = PrivateAttr(default=0)
    _pending_lock: Any = PrivateAttr(default_factory=threading.Lock)
    _closing: Any = PrivateAttr(default_factory=threading.Event)
    _threads: Any = PrivateAttr(default_factory=set)      # threads inside a llama.cpp call now

    @classmethod
    def from_settings(cls, settings: Settings) -> "LocalChatModel":
        return cls(model_path=str(resolve_model_path(settings)), n_ctx=settings.llm_n_ctx,
                   n_threads=settings.llm_threads, max_tokens=settings.llm_max_tokens)

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    @property
    def _identifying_params(self) -> dict:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "n_threads": self.threads}

    @property
    def threads(self) -> int:
        return self.n_threads if self.n_threads > 0 else hardware.physical_cores()

    def warm_up(self) -> "LocalChatModel":
        if self._closing.is_set():
            raise LLMError("The local model was closed.")
        with self._lock:
            if self._server is None:
                self._server = self._load()
                _OPEN[id(self)] = weakref.ref(self)
        return self

    def close(self, timeout_s: float = 60.0) -> bool:
        """Stops every generation (at its next token), waits up to `timeout_s` for the
        threads inside llama.cpp, then frees the server (its destructor ends llama.cpp's
        own loop thread and joins it). True when closed; False when a thread did not
        return in time, and the server is then left alone (freeing it under a running
        call would crash). Run at interpreter exit for every loaded model."""
        self._closing.set()
        deadline = time.monotonic() + timeout_s
        me = threading.current_thread()
        for thread in list(self._threads):
            if thread is not me:
                thread.join(max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() and t is not me for t in list(self._threads)):
            log.warning("the local model did not stop within %.0f s; not freed", timeout_s)
            return False
        if self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            try:
                server, self._server = self._server, None
                del server
            finally:
                self._lock.release()
        _OPEN.pop(id(self), None)
        return True

    def _stop_check(self):
        """A function telling a running generation to stop: the model closes, or the
        caller gave up on it (read here, in the caller's context)."""
        gave_up = given_up()
        return lambda: self._closing.is_set() or (gave_up is not None and gave_up.is_set())

    @contextmanager
    def _in_llama(self):
        """Marks the current thread as inside a llama.cpp call (close() waits for it)."""
        me = threading.current_thread()
        self._threads.add(me)
        try:
            yield
        finally:
            self._threads.discard(me)

    def _load(self):
        try:
            import xllamacpp as xlc
        except ImportError as e:
            raise LLMError("The local LLM reader needs xllamacpp: pip install xllamacpp") from e
        if not Path(self.model_path).is_file():
            raise ModelError(f"{self.model_path} not found. Run `assistant models fetch --llm NAME`.")
        p = xlc.CommonParams()
        p.model.path = self.model_path
        p.n_ctx = self.n_ctx
        p.n_parallel = 1                 # one slot: its KV cache holds the last prompt (prefix reuse)
        p.n_batch = p.n_ubatch           # the prompt in steps of one physical batch: a stop request waits at most one
        p.cpuparams.n_threads = self.threads
        p.cpuparams_batch.n_threads = self.threads
        p.sampling.temp = self.temperature
        p.sampling.top_k = 1 if self.temperature == 0 else 40
        p.verbosity = -1                 # quiet; failures come back as error responses and are raised
        p.hostnames, p.port = ["127.0.0.1"], 0   # its HTTP side (used for /tokenize) on loopback, free port
        t0 = time.perf_counter()
        server = xlc.Server(p)
        self._load_s = time.perf_counter() - t0
        return server

    @property
    def load_seconds(self) -> float:
        return self._load_s

    def pending(self) -> int:
        """Requests running or waiting for the model (it answers one at a time)."""
        return self._pending

    @contextmanager
    def _turn(self):
        """The model's lock, counting who waits for it (for "n questions ahead")."""
        with self._pending_lock:
            self._pending += 1
        try:
            with self._lock:
                yield
        finally:
            with self._pending_lock:
                self._pending -= 1

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in this model's own vocabulary (llama.cpp's /tokenize of the
        embedded server, which listens on loopback on a free port)."""
        self.warm_up()
        req = urllib.request.Request(self._server.listening_address + "/tokenize", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"content": text}).encode("utf-8"))
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return len(json.loads(r.read())["tokens"])
        except (OSError, ValueError, KeyError) as e:
            raise LLMError(f"Could not count tokens with the local model: {e}") from e

    def _body(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool, kwargs: dict) -> dict:
        unknown = set(kwargs) - set(_PASS)
        if unknown:
            raise TypeError(f"LocalChatModel does not take {sorted(unknown)}; known: {', '.join(_PASS)}")
        # return_progress: llama.cpp also reports each evaluated prompt batch, so the
        # callback runs (and can stop the request) during a long prompt, not only after it
        body = {"messages": [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages],
                "max_tokens": self.max_tokens, "temperature": self.temperature, "cache_prompt": True, "stream": stream,
                "return_progress": True}
        if stop:
            body["stop"] = list(stop)
        body.update(kwargs)
        return body

    @staticmethod
    def _check(result: Any) -> dict:
        if not isinstance(result, dict) or "error" in result or "choices" not in result:
            err = result.get("error", result) if isinstance(result, dict) else result
            raise LLMError(f"The local model failed: {str(err)[:300]}")
        return result

    def _complete(self, body: dict, stop_now) -> dict:
        """One request, streamed (so it can stop), put back together as the response a
        non-streamed request gives: message, finish_reason, logprobs, usage, timings."""
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        events: list = []
        with self._turn():
            if stop_now():
                raise LLMError("The local model's generation was cancelled before it started.")
            with self._in_llama():
                def collect(ev: Any) -> bool:
                    events.append(ev)
                    return stop_now()

                self._server.handle_chat_completions(body, collect)
        if stop_now():
            raise LLMError("The local model's generation was cancelled.")
        text: list[str] = []
        tokens: list[dict] = []
        finish = None
        usage: dict = {}
        timings: dict = {}
        for ev in events:
            if not isinstance(ev, dict) or "error" in ev:
                self._check(ev)
            for ch in ev.get("choices") or []:
                text.append((ch.get("delta") or {}).get("content") or "")
                tokens += ((ch.get("logprobs") or {}).get("content") or [])
                finish = ch.get("finish_reason") or finish
            usage = ev.get("usage") or usage
            timings = ev.get("timings") or timings
        choice = {"message": {"role": "assistant", "content": "".join(text)}, "finish_reason": finish,
                  "logprobs": {"content": tokens} if body.get("logprobs") else None}
        return {"choices": [choice], "usage": usage, "timings": timings}

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.warm_up()
        r = self._complete(self._body(messages, stop, False, kwargs), self._stop_check())
        choice = r["choices"][0]
        usage = r.get("usage") or {}
        msg = AIMessage(content=choice["message"].get("content") or "",
                        response_metadata={"timings": r.get("timings", {}), "finish_reason": choice.get("finish_reason"),
                                           "logprobs": choice.get("logprobs")},
                        usage_metadata={"input_tokens": usage.get("prompt_tokens", 0),
                                        "output_tokens": usage.get("completion_tokens", 0),
                                        "total_tokens": usage.get("total_tokens", 0)})
        return ChatResult(generations=[ChatGeneration(message=msg)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        """xllamacpp streams through a blocking callback; it runs in a thread that feeds
        a queue. Closing the generator early stops generation (the callback returns True)."""
        self.warm_up()
        body = self._body(messages, stop, True, kwargs)
        q: queue.Queue = queue.Queue()
        cancelled = threading.Event()
        done = object()
        caller_stop = self._stop_check()
        stop_now = lambda: cancelled.is_set() or caller_stop()  # noqa: E731

        def run():
            try:
                with self._turn():
                    if not stop_now():
                        self._server.handle_chat_completions(body, lambda ev: (q.put(ev), stop_now())[1])
            except Exception as e:  # surfaced to the consumer below
                q.put(e)
            finally:
                q.put(done)
                self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, daemon=True, name="xllamacpp-stream")
        self._threads.add(thread)     # close() waits for it from now until it has left llama.cpp
        thread.start()
        try:
            while (ev := q.get()) is not done:
                if isinstance(ev, Exception):
                    raise LLMError(f"The local model failed: {ev}") from ev
                if not isinstance(ev, dict) or "error" in ev:
                    raise LLMError(f"The local model failed: {str(ev.get('error', ev) if isinstance(ev, dict) else ev)[:300]}")
                for ch in ev.get("choices", []):
                    piece = (ch.get("delta") or {}).get("content") or ""
                    if piece:
                        chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                        if run_manager:
                            run_manager.on_llm_new_token(piece, chunk=chunk)
                        yield chunk
                if "timings" in ev:
                    yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata={"timings": ev["timings"]}))
        finally:
            cancelled.set()


_OPEN: dict[int, weakref.ref] = {}   # loaded models (weakly: a model no longer used may go), closed at exit


@atexit.register
def _close_all() -> None:
    """At interpreter exit (before daemon threads are frozen and modules torn down):
    stop every generation, wait for it, free each llama.cpp server."""
    for ref in list(_OPEN.values()):
        model = ref()
        if model is not None:
            model.close()
