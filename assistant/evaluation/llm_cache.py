"""A chat model whose identical calls are answered from an SQLite file, for evaluation.

The local reader decodes greedily, so the same messages with the same arguments give the
same output. An ablation that changes nothing the model is shown (a guard after the
model's pick, say) then costs no model time. Latencies measured through a cache are not
the product's: `assistant eval` reports how many calls were answered from it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage


class CachedChat:
    """Wraps a LangChain chat model: `invoke` and `stream` are cached by the messages,
    the call's arguments and `identity` (the model's name); everything else is the
    model's own."""

    def __init__(self, model: Any, path: Path, identity: str):
        self._model, self._identity = model, identity
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, content TEXT, meta TEXT)")
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def _key(self, messages: list[BaseMessage] | str, kw: dict) -> str:
        msgs = [messages] if isinstance(messages, str) else [(m.type, str(m.content)) for m in messages]
        blob = json.dumps([self._identity, msgs, sorted((k, repr(v)) for k, v in kw.items())], ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _get(self, key: str) -> tuple[str, dict] | None:
        with self._lock:
            row = self._db.execute("SELECT content, meta FROM calls WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return row[0], json.loads(row[1])

    def _put(self, key: str, content: str, meta: dict) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?)", (key, content, json.dumps(meta, default=str))
            )
            self._db.commit()

    def invoke(self, messages: Any, **kw: Any) -> AIMessage:
        key = self._key(messages, kw)
        if (got := self._get(key)) is not None:
            return AIMessage(content=got[0], response_metadata=got[1])
        msg = self._model.invoke(messages, **kw)
        self._put(key, str(msg.content), dict(msg.response_metadata or {}))
        return msg

    def stream(self, messages: Any, **kw: Any) -> Iterator[AIMessageChunk]:
        key = self._key(messages, kw)
        if (got := self._get(key)) is not None:
            yield AIMessageChunk(content=got[0], response_metadata=got[1])
            return
        parts: list[str] = []
        meta: dict = {}
        for chunk in self._model.stream(messages, **kw):
            parts.append(str(chunk.content))
            meta.update(chunk.response_metadata or {})
            yield chunk
        self._put(key, "".join(parts), meta)
