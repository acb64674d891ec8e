"""Chat-app logic that needs no server: filters with human names and their summary,
feedback records, the chat's concurrency. `web.py` only wires these to Gradio.

The rest lives next door and is re-exported here: interface text (`core.i18n`), the
HTML/markdown the chat shows (`render`), admin and uploads (`admin`)."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from assistant.answer.base import Answer
from assistant.app.admin import (  # noqa: F401
    AdminGate,
    UploadError,
    UploadResult,
    index_status,
    password_ok,
    read_uploads,
    reindex_summary,
    safe_filename,
    save_uploads,
)
from assistant.app.render import answer_html, document_page, start_screen  # noqa: F401
from assistant.core.i18n import LANGS, examples, human_date, language_name, t, ui_language  # noqa: F401
from assistant.index.filters import Filters

# ---------- filters ----------


def filter_choices(documents: Mapping[str, dict], lang: str) -> dict:
    """Dropdown/checkbox choices as (label, value): documents by human title and date
    (newest first), the languages present with their counts, the years present."""
    docs = sorted(documents.items(), key=lambda kv: (kv[1].get("date") or "", kv[1]["title"]), reverse=True)
    counts: dict[str, int] = {}
    for d in documents.values():
        counts[d["language"]] = counts.get(d["language"], 0) + 1
    years = sorted({d["date"][:4] for d in documents.values() if d.get("date")})
    return {
        "documents": [(f"{d['title']} · {human_date(d.get('date'), lang)}".rstrip(" ·"), s) for s, d in docs],
        "languages": [(f"{language_name(code, lang)} ({counts[code]})", code) for code in LANGS if code in counts],
        "years": [(t(lang, "any_year"), "")] + [(y, y) for y in years],
    }


def make_filters(docs, langs, year_from, year_to) -> Filters:
    """Filters from the widgets' values; empty values mean no restriction."""
    y1, y2 = (int(y) if str(y or "").strip().isdigit() else None for y in (year_from, year_to))
    if y1 and y2 and y1 > y2:
        y1, y2 = y2, y1
    return Filters(tuple(docs or ()), tuple(langs or ()), y1, y2)


def matching_documents(documents: Mapping[str, dict], filters: Filters) -> int:
    return sum(filters.allows_document(s, d["language"], d.get("date")) for s, d in documents.items())


def active_count(filters: Filters) -> int:
    return bool(filters.sources) + bool(filters.languages) + bool(filters.year_from or filters.year_to)


def filter_summary(filters: Filters, documents: Mapping[str, dict], lang: str) -> str:
    """One line saying which filters are on and how many documents they leave; "" when off."""
    if not filters.active:
        return ""
    parts = []
    if filters.sources:
        titles = [documents[s]["title"] if s in documents else s for s in filters.sources]
        parts.append(f"{t(lang, 'documents')}: {', '.join(titles)}")
    if filters.languages:
        parts.append(
            f"{t(lang, 'languages')}: "
            f"{', '.join(language_name(c, lang) if c in LANGS else c for c in filters.languages)}"
        )
    if filters.year_from or filters.year_to:
        span = " ".join(
            x
            for x in (
                filters.year_from and t(lang, "years_from", y=filters.year_from),
                filters.year_to and t(lang, "years_to", y=filters.year_to),
            )
            if x
        )
        parts.append(span)
    n = matching_documents(documents, filters)
    match = t(lang, "filter_match", n=n, total=len(documents)) if n else t(lang, "filter_none")
    return t(lang, "filter_state", what="; ".join(parts), match=match)


# ---------- feedback ----------

_feedback_lock = threading.Lock()


def citation_records(answer: Answer) -> list[dict]:
    return answer.to_json()["citations"]


def message_text(content) -> str:
    """Text of a chat message as Gradio returns it: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, (list, tuple)):
        return "".join(message_text(c) for c in content)
    return str(content or "")


def append_feedback(
    path: Path, question: str, answer: str, rating: str, citations: list[dict] | None = None, **extra
) -> dict:
    """Appends one record (question, answer text, rating, citations, reason, ...) and
    returns it; its `id` lets `set_feedback_reason` add a reason later."""
    rec = {
        "id": uuid.uuid4().hex[:12],
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "question": question,
        "answer": answer,
        "rating": rating,
        "reason": "",
        "citations": citations or [],
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with _feedback_lock, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return rec


def set_feedback_reason(path: Path, feedback_id: str, reason: str, max_chars: int = 500) -> bool:
    """Stores a member's short reason in the record with this id (the file is rewritten
    atomically, one record per line stays one record). False if the id is not found."""
    reason = " ".join((reason or "").split())[:max_chars]
    with _feedback_lock:
        if not path.exists():
            return False
        lines, found = path.read_text(encoding="utf-8").splitlines(), False
        for i, line in enumerate(lines):
            if feedback_id and f'"id": "{feedback_id}"' in line:
                rec = json.loads(line)
                if rec.get("id") == feedback_id:
                    rec["reason"], found = reason, True
                    lines[i] = json.dumps(rec, ensure_ascii=False)
        if found:
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
            tmp.replace(path)
        return found


def answer_concurrency(cpus: int | None = None) -> int:
    """How many members' questions the chat answers at once: retrieval is thread-safe and
    the LLM has its own queue (Waiting items), so at least 2, at most 8, ~CPU count."""
    return max(2, min(8, cpus if cpus is not None else (os.cpu_count() or 2)))
