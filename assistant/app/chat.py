"""The member's conversation, kept in the member's browser, and the answers being made
for it, without a server: `web.py` only wires these to Gradio.

A conversation is plain JSON (`new_conversation`): its turns, each the question as asked,
what the chat shows for it (`html`), its state and, once answered, the record feedback
stores (`rec`, which also gives the follow-up history). The page keeps the current one
and the earlier ones in the browser's storage (gr.BrowserState); the server holds only
the open page's copy (`Session`, a gr.State), never on disk.

`answer_turns` answers a session's questions one after the other: a question sent while
an answer is being made waits, shown as queued, and is answered in turn by the same
loop. The pipeline runs in its own thread inside `stoppable(session.stop)`, so Stop ends
the model call (the answer is then the extractive quotes, with a note)."""

from __future__ import annotations

import copy
import queue
import threading
import time
import uuid
from collections.abc import Iterator, Mapping

from assistant.answer.base import Answer, Preview, Waiting
from assistant.app.render import (
    WRITING,
    answer_message,
    found_documents,
    found_html,
    md_text,
    shorten,
    status_html,
    unanswered_html,
)
from assistant.core.errors import AssistantError
from assistant.core.i18n import human_date
from assistant.index.filters import Filters
from assistant.models.llm import stoppable

MAX_TURNS = 50  # a conversation keeps its last 50 questions
MAX_PAST = 10  # earlier chats kept in the browser
PAST_BUDGET = 1_500_000  # characters of JSON for the earlier chats (the browser's storage holds ~5 MB)
MAX_HTML = 200_000  # characters of one stored answer
MAX_STORED = 2_000_000  # characters of one stored conversation: the oldest questions go first
PENDING = ("queued", "searching", "found", "writing")  # not answered yet


def new_conversation() -> dict:
    return {"v": 1, "id": uuid.uuid4().hex[:12], "ts": time.strftime("%Y-%m-%dT%H:%M:%S"), "next": 1, "turns": []}


def _str(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def stored_record(value, max_question_chars: int = 1000) -> dict | None:
    """A feedback record read back from the browser, in the shape `record` writes and
    bounded (it is stored with the member's thumbs); None if it is not one."""
    if not isinstance(value, dict) or not isinstance(value.get("answer"), str):
        return None
    cites: list[dict] = []
    raw = value.get("citations")
    for c in raw if isinstance(raw, list) else []:
        if isinstance(c, dict) and len(cites) < 20:
            cites.append(
                {
                    k: c[k] if type(c[k]) is int else _str(c[k], 4000)
                    for k in ("n", "source", "title", "date", "heading", "text", "start", "end")
                    if k in c
                }
            )
    return {
        "question": _str(value.get("question"), max_question_chars),
        "answer": _str(value["answer"], 20_000),
        "language": _str(value.get("language"), 5),
        "backend": _str(value.get("backend"), 40),
        "citations": cites,
    }


def restored(stored, max_question_chars: int = 1000) -> dict:
    """A conversation read back from the browser, checked: anything not in the shape
    this module writes is dropped (a stored value is the member's own, but still input);
    a question that was waiting or being answered when the page closed is shown as not
    answered, with "ask again"."""
    conv = new_conversation()
    if not isinstance(stored, dict) or not isinstance(stored.get("turns"), list):
        return conv
    conv["id"] = _str(stored.get("id"), 40) or conv["id"]
    conv["ts"] = _str(stored.get("ts"), 40) or conv["ts"]
    turns: list[dict] = []
    ks: set[int] = set()
    for turn in stored["turns"][-MAX_TURNS:]:
        if not isinstance(turn, dict) or not isinstance(turn.get("k"), int) or turn["k"] in ks:
            continue
        q = _str(turn.get("q"), max_question_chars)
        if not q.strip():
            continue
        rec = stored_record(turn.get("rec"), max_question_chars)
        html = _str(turn.get("html"), MAX_HTML)
        state = "done" if turn.get("state") == "done" and html else "lost"
        raw_ctx = turn.get("ctx")
        ctx = raw_ctx if isinstance(raw_ctx, int) else len(turns)
        ks.add(turn["k"])
        turns.append(
            {
                "k": turn["k"],
                "q": q,
                "state": state,
                "html": html if state == "done" else "",
                "rec": rec if state == "done" else None,
                "ctx": max(0, min(ctx, len(turns))),
                "flt": filter_values(turn.get("flt")),
            }
        )
    while len(turns) > 1 and sum(len(x["q"]) + len(x["html"]) for x in turns) > MAX_STORED:
        turns.pop(0)
        for x in turns:
            x["ctx"] = max(0, x["ctx"] - 1)
    conv["turns"] = turns
    nxt = stored.get("next") if isinstance(stored.get("next"), int) else 1
    conv["next"] = max([nxt, *(t_["k"] + 1 for t_ in turns)])
    return conv


def filter_values(value) -> list:
    """[documents, languages, year from, year to] as the filter widgets give them; a
    stored value of another shape means no filters."""
    if not isinstance(value, list) or len(value) != 4:
        return [[], [], "", ""]
    docs, langs, y1, y2 = value
    names = lambda v: [x for x in v if isinstance(x, str)][:100] if isinstance(v, list) else []  # noqa: E731
    return [names(docs), names(langs), _str(y1, 4), _str(y2, 4)]


def frozen(conv: dict) -> dict:
    """The conversation as stored: a copy, with a question still waiting marked as not
    answered (what a reload would find if the page closed now)."""
    out = copy.deepcopy(conv)
    for turn in out["turns"]:
        if turn["state"] in PENDING:
            turn.update(state="lost", html="", rec=None)
    return out


def messages(conv: dict, lang: str) -> list[dict]:
    """The Chatbot's messages: each question, then what is shown for it."""
    out = []
    for turn in conv["turns"]:
        out.append({"role": "user", "content": md_text(turn["q"])})
        state = turn["state"]
        if state == "queued":
            bot = status_html(lang, "queued")
        elif state == "searching" or (state in PENDING and not turn["html"]):
            bot = status_html(lang, "searching")
        elif state == "lost":
            bot = unanswered_html(turn["k"], lang)
        else:
            bot = turn["html"]
        out.append({"role": "assistant", "content": bot})
    return out


def history(conv: dict, turn: dict) -> list[tuple[str, str]]:
    """[(question, answer text)] of the answered turns before `turn`'s context: what a
    follow-up follows (a question asked again keeps its first context)."""
    turns = conv["turns"][: turn.get("ctx", 0)]
    return [
        (x["rec"]["question"], x["rec"]["answer"])
        for x in turns
        if x["state"] == "done" and x.get("rec") and isinstance(x["rec"].get("answer"), str)
    ]


def record(answer: Answer, question: str, citations: list[dict]) -> dict:
    """What a thumbs up/down stores, and what a follow-up reads."""
    return {
        "question": question,
        "answer": answer.text,
        "language": answer.language,
        "backend": answer.backend,
        "citations": citations,
    }


# ---------- earlier chats ----------


def remember(past, conv: dict) -> list[dict]:
    """The earlier chats with `conv` first (if it has questions): at most MAX_PAST,
    and the oldest left out while they take more than PAST_BUDGET characters."""
    import json

    past = [
        p for p in (past if isinstance(past, list) else []) if isinstance(p, dict) and p.get("id") != conv.get("id")
    ]
    if conv["turns"]:
        past.insert(0, frozen(conv))
    past = past[:MAX_PAST]
    while len(past) > 1 and len(json.dumps(past, ensure_ascii=False)) > PAST_BUDGET:
        past.pop()
    return past


def title_of(conv: dict) -> str:
    first = next((x["q"] for x in conv.get("turns") or [] if isinstance(x, dict) and isinstance(x.get("q"), str)), "")
    return shorten(" ".join(first.split()), 60)


def past_choices(past, lang: str) -> list[tuple[str, str]]:
    """(label, id) of each earlier chat: its first question and its date."""
    out = []
    for p in past if isinstance(past, list) else []:
        if isinstance(p, dict) and isinstance(p.get("id"), str) and title_of(p):
            when = human_date(_str(p.get("ts"), 10), lang)
            out.append((f"{title_of(p)} · {when}" if when else title_of(p), p["id"]))
    return out


# ---------- the open page ----------


class Session:
    """One open page: its conversation (a copy of the browser's), the Stop flag of the
    answer being made, and whether a loop is answering (`busy`). Handlers of the same
    page share it (gr.State hands the same object to each), so one lock guards it."""

    def __init__(self, conv: dict | None = None):
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.busy = False
        self.conv = conv or new_conversation()

    def __deepcopy__(self, memo):  # gr.State copies its initial value for each page: a new, empty session
        return Session()

    def ask(self, question: str, flt: list, ctx: int | None = None) -> dict:
        """Adds a question: answered now, or queued behind the answer being made."""
        with self.lock:
            conv = self.conv
            turn = {
                "k": conv["next"],
                "q": question,
                "state": "queued" if self.busy else "searching",
                "html": "",
                "rec": None,
                "ctx": len(conv["turns"]) if ctx is None else ctx,
                "flt": flt,
            }
            conv["next"] += 1
            conv["turns"].append(turn)
            if len(conv["turns"]) > MAX_TURNS:
                drop = len(conv["turns"]) - MAX_TURNS
                conv["turns"] = conv["turns"][drop:]
                for x in conv["turns"]:
                    x["ctx"] = max(0, x["ctx"] - drop)
            return turn

    def turn(self, k: int) -> dict | None:
        with self.lock:
            return next((x for x in self.conv["turns"] if x["k"] == k), None)

    def claim(self) -> bool:
        """True for the one loop that answers this page's questions."""
        with self.lock:
            if self.busy:
                return False
            self.busy = True
            self.idle.clear()
            return True

    def next_turn(self) -> dict | None:
        """The first question waiting, now being answered; None (and the loop ends) when
        none waits: in one step, so a question added meanwhile is never left waiting."""
        with self.lock:
            turn = next((x for x in self.conv["turns"] if x["state"] in ("queued", "searching")), None)
            if turn is None:
                self.release()
            else:
                turn.update(state="searching", html="")
                self.stop.clear()
            return turn

    def release(self) -> None:
        with self.lock:
            self.busy = False
            self.idle.set()

    def show(self, turn: dict, state: str, html: str, rec: dict | None = None) -> None:
        with self.lock:
            turn.update(state=state, html=html, rec=rec)

    def replace(self, conv: dict, wait_s: float = 10.0) -> dict:
        """Another conversation in place of this one (a new chat, an earlier one): the
        answer being made is stopped and the questions waiting are dropped. Returns the
        one replaced, as stored."""
        with self.lock:
            old = self.conv
            old["turns"] = [x for x in old["turns"] if x["state"] != "queued"]
            if self.busy:
                self.stop.set()
        self.idle.wait(wait_s)
        with self.lock:
            self.conv = conv
            return frozen(old)

    def close(self) -> None:
        """The page went away: end its model call."""
        self.stop.set()


def stream_in_thread(
    assistant, question: str, history_: list, lang: str, flt: Filters, stop: threading.Event
) -> Iterator:
    """`assistant.query` then `assistant.stream`, run in their own thread inside
    `stoppable(stop)` (the stop flag is a context variable: it must be set where the
    model is called, and Gradio runs each step of a generator in a different thread).
    Yields the stream's items; an error is raised here. Closed early, it stops the call."""
    out: queue.Queue = queue.Queue()

    def run() -> None:
        try:
            with stoppable(stop):
                query = assistant.query(question, history_, page_language=lang)
                for item in assistant.stream(query, filters=flt):
                    out.put(("item", item))
        except BaseException as e:  # noqa: BLE001 - handed to the page's loop
            out.put(("error", e))
        finally:
            out.put(("end", None))

    thread = threading.Thread(target=run, name="answer", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = out.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        if thread.is_alive():
            stop.set()


def answer_turns(assistant, session: Session, lang: str, make_filters, citation_records) -> Iterator[bool]:
    """Answers the session's waiting questions in order; yields after each change to
    what the chat shows: True when a turn is finished (the conversation is stored then),
    False for progress. Returns at once when another loop already answers this page."""
    if not session.claim():
        return
    try:
        while (turn := session.next_turn()) is not None:
            yield False
            with session.lock:
                hist = history(session.conv, turn)
            k, found, text = turn["k"], [], ""
            try:
                items = stream_in_thread(assistant, turn["q"], hist, lang, make_filters(*turn["flt"]), session.stop)
                for item in items:
                    if isinstance(item, Preview):
                        found = found_documents(item.retrieval, assistant.index.documents)
                        session.show(turn, "found", found_html(found, lang))
                    elif isinstance(item, Waiting):
                        session.show(turn, "found", found_html(found, lang, waiting=item.ahead))
                    elif isinstance(item, Answer):
                        html = answer_message(item, assistant.index.documents, k, lang)
                        session.show(turn, "done", html, record(item, turn["q"], citation_records(item)))
                        yield True
                        break
                    else:
                        text += item
                        session.show(turn, "writing", md_text(text) + WRITING)
                    yield False
                else:  # a stream that ended without an answer
                    session.show(turn, "done", unanswered_html(k, lang))
                    yield True
            except AssistantError as e:  # e.g. a misconfigured backend: said in the chat, to be asked again
                session.show(turn, "done", unanswered_html(k, lang, "error", msg=str(e)))
                yield True
    finally:
        if session.busy:
            # closed early (the page went away): the question being answered is not, and
            # the next page's loop must not find this one still busy
            with session.lock:
                for x in session.conv["turns"]:
                    if x["state"] in ("searching", "found", "writing"):
                        x.update(state="lost", html="")
            session.close()
            session.release()


def answered(conv: dict) -> Mapping[int, dict]:
    """Chat position of each answer -> its feedback record (thumbs name a position)."""
    return {2 * i + 1: x["rec"] for i, x in enumerate(conv["turns"]) if x["state"] == "done" and x.get("rec")}
