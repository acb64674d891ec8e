"""Gradio chat front end: `build_app(assistant)` returns the members' Blocks (the chat
only: no admin handler at all); `make_server` mounts it at / beside the admin page at
/admin (`admin_web.py`) and the document page at /doc; `assistant serve`, `make run` or
`python app.py` launch it (`main`). The logic it wires lives in `assistant/app/chat.py`
(the conversation and the answers being made), `ui.py`, `render.py` and `admin.py`; this
module only connects widgets to it."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.app.admin import AdminGate
from assistant.app.assets import HEAD, page_header
from assistant.app.chat import (
    Session,
    answer_turns,
    answered,
    frozen,
    messages,
    new_conversation,
    past_choices,
    remember,
    restored,
)
from assistant.app.ui import (
    LANGS,
    active_count,
    answer_concurrency,
    append_feedback,
    citation_records,
    examples,
    filter_choices,
    filter_summary,
    make_filters,
    set_feedback_reason,
    start_screen,
    t,
    ui_language,
)
from assistant.core.errors import AssistantError
from assistant.query.questions import QuestionError

# The conversation is kept in the member's browser (localStorage, through gr.BrowserState).
# Gradio encrypts it with this key, which it also sends to the page: it is no secret, only
# fixed, so that a conversation stored before a restart of the server still opens after it.
STORE_KEY, PAST_KEY, STORE_SECRET = "minutes-chat", "minutes-chats", "minutes-assistant-chat-v1"


def build_app(assistant) -> gr.Blocks:
    s = assistant.settings
    docs_of = lambda: assistant.index.manifest["documents"]  # noqa: E731 - the index may be swapped by a re-index
    hide, show, skip = gr.update(visible=False), gr.update(visible=True), gr.skip()
    private: dict[str, Any] = dict(api_visibility="private")  # page plumbing, not an API: only `ask` is one

    with gr.Blocks(title=t("en", "title")) as demo:
        # this page's copy of the conversation, and its Stop: each page gets its own (Session's deepcopy is a new one)
        session = gr.State(Session(), delete_callback=lambda sess: sess.close())
        conv_store = gr.BrowserState(None, storage_key=STORE_KEY, secret=STORE_SECRET)
        past_store = gr.BrowserState([], storage_key=PAST_KEY, secret=STORE_SECRET)
        feedback_id = gr.State("")  # the thumbs-down record awaiting a reason
        hint = gr.Textbox(visible=False)  # the browser's stored or preferred languages
        heading, lang = page_header()
        with gr.Row(elem_id="chat-bar"):
            new_chat = gr.Button(size="sm", variant="secondary", scale=0, min_width=100, elem_id="new-chat")
            with gr.Accordion(open=False, visible=False, elem_id="past-box") as past_box:
                past = gr.Radio([], value=None, elem_id="past-chats", show_label=False, container=False)
        chat = gr.Chatbot(
            elem_id="chat",
            show_label=False,
            height="66vh",
            min_height=320,
            buttons=[],
            feedback_options=("Like", "Dislike"),
            sanitize_html=True,
        )
        with gr.Column(visible=False, elem_id="feedback-box") as feedback_box:
            feedback_msg = gr.Markdown(elem_id="feedback")
            with gr.Row(visible=False, elem_id="reason-row") as reason_row:
                reason = gr.Textbox(max_length=500, scale=4, elem_id="reason", container=False)
                reason_send = gr.Button(scale=0, min_width=90, elem_id="reason-send", variant="secondary")
        notice = gr.Markdown(visible=False, elem_id="notice")
        with gr.Row(elem_id="ask-row", equal_height=True):
            msg = gr.Textbox(
                elem_id="question", show_label=False, lines=1, max_lines=6, autofocus=True, scale=5, container=False
            )
            send = gr.Button(elem_id="send", variant="primary", scale=0, min_width=90)
            stop = gr.Button(elem_id="stop", variant="stop", scale=0, min_width=90, visible=False)
        with gr.Row(visible=False, elem_id="filter-state") as fstate_row:
            fstate = gr.Markdown()
            fclear = gr.Button(size="sm", variant="secondary", scale=0, min_width=120, elem_id="clear-filters")
        with gr.Accordion(open=False, elem_id="filters") as facc:
            ch = filter_choices(docs_of(), "en")  # relabelled on load in the member's language
            f_docs = gr.Dropdown(ch["documents"], multiselect=True, value=[], elem_id="f-docs")
            f_langs = gr.CheckboxGroup(ch["languages"], value=[], elem_id="f-langs")
            with gr.Row():
                y_from, y_to = (gr.Dropdown(ch["years"], value="", elem_id=e) for e in ("y-from", "y-to"))
        # "ask again" under an answer: the page's script puts the answer's number here and clicks
        retry_k = gr.Textbox(visible="hidden", elem_id="retry-k")
        retry_go = gr.Button(visible="hidden", elem_id="retry-go")
        filters_in: list[Any] = [f_docs, f_langs, y_from, y_to]

        # ---- language: every label and the start screen ----
        def texts(code):
            ch = filter_choices(docs_of(), code)
            return [
                gr.update(value=f"<h1>{t(code, 'title')}</h1>"),
                gr.update(value=code, label=t(code, "language")),
                gr.update(
                    placeholder=start_screen(docs_of(), code),
                    examples=[{"text": q} for q in examples(code)],
                    label=t(code, "chat_label"),
                ),
                gr.update(label=t(code, "ask_label"), placeholder=t(code, "ask_placeholder")),
                gr.update(value=t(code, "send")),
                gr.update(value=t(code, "stop")),
                gr.update(value=t(code, "new_chat")),
                gr.update(label=t(code, "past_chats")),
                gr.update(label=t(code, "past_chats")),
                gr.update(label=t(code, "reason_label"), placeholder=t(code, "reason_placeholder")),
                gr.update(value=t(code, "reason_send")),
                gr.update(value=t(code, "clear_filters")),
                gr.update(choices=ch["documents"], label=t(code, "documents"), info=t(code, "documents_info")),
                gr.update(choices=ch["languages"], label=t(code, "languages")),
                gr.update(choices=ch["years"], label=t(code, "year_from")),
                gr.update(choices=ch["years"], label=t(code, "year_to")),
            ]

        labelled = [
            heading,
            lang,
            chat,
            msg,
            send,
            stop,
            new_chat,
            past_box,
            past,
            reason,
            reason_send,
            fclear,
            f_docs,
            f_langs,
            y_from,
            y_to,
        ]

        def on_load(stored, request: gr.Request):
            return texts(ui_language(stored or (request.headers.get("accept-language") if request else None)))

        def on_filters(docs, langs, yf, yt, code):
            flt = make_filters(docs, langs, yf, yt)
            n = active_count(flt)
            return (
                gr.update(value=filter_summary(flt, docs_of(), code)),
                gr.update(visible=flt.active),
                gr.update(label=t(code, "filters_on", n=n) if n else t(code, "filters")),
            )

        filter_out = [fstate, fstate_row, facc]

        def past_list(items, code):
            choices = past_choices(items, code)
            return (
                gr.update(choices=choices, value=None),
                gr.update(visible=bool(choices), open=False, label=f"{t(code, 'past_chats')} ({len(choices)})"),
            )

        # ---- the conversation kept in the browser ----
        def on_restore(stored, items, sess, code):
            sess.conv = restored(stored, s.question_max_chars)
            return messages(sess.conv, code), frozen(sess.conv), *past_list(items, code)

        apply_js = "(code) => window.minutesApplyLanguage(code)"
        quiet: dict[str, Any] = dict(show_progress="hidden", **private)
        demo.load(on_load, [hint], labelled, js="(h) => window.minutesStoredLanguage()", **quiet).then(
            on_filters, filters_in + [lang], filter_out, **quiet
        ).then(on_restore, [conv_store, past_store, session, lang], [chat, conv_store, past, past_box], **quiet).then(
            None, [lang], None, js=apply_js
        )
        lang.input(None, [lang], None, js="(code) => window.minutesStoreLanguage(code)").then(
            texts, [lang], labelled, **quiet
        ).then(on_filters, filters_in + [lang], filter_out, **quiet).then(
            lambda sess, items, code: (messages(sess.conv, code), *past_list(items, code)),
            [session, past_store, lang],
            [chat, past, past_box],
            **quiet,
        ).then(None, [lang], None, js=apply_js)
        for f in filters_in:
            f.change(on_filters, filters_in + [lang], filter_out, **quiet)
        fclear.click(lambda: ([], [], "", ""), None, filters_in, **private)

        # ---- asking: the question shows at once; one loop per page answers in turn ----
        def shown(sess, code):
            with sess.lock:
                return messages(sess.conv, code), frozen(sess.conv)

        def on_ask(message, sess, docs, langs, yf, yt, code):
            try:
                question = assistant.question(message or "", code)
            except QuestionError as e:  # nothing runs: say why, keep what was typed
                return skip, skip, skip, gr.update(value=str(e), visible=True)
            sess.ask(question, [list(docs or []), list(langs or []), yf or "", yt or ""])
            return *shown(sess, code), "", hide

        def on_example(evt: gr.SelectData, sess, docs, langs, yf, yt, code):
            return on_ask((evt.value or {}).get("text", ""), sess, docs, langs, yf, yt, code)

        def on_retry(k, sess, docs, langs, yf, yt, code):
            turn = sess.turn(int(k)) if str(k).isdigit() else None
            if turn is None:
                return skip, skip, skip, skip
            sess.ask(turn["q"], [list(docs or []), list(langs or []), yf or "", yt or ""], ctx=turn["ctx"])
            return *shown(sess, code), skip, hide

        def on_work(sess, code):
            ran = False
            for done in answer_turns(assistant, sess, code, make_filters, citation_records):
                with sess.lock:
                    chat_, store = messages(sess.conv, code), frozen(sess.conv) if done else skip
                yield chat_, store, skip if ran else show
                ran = True
            yield skip, skip, hide if ran else skip  # Stop goes when this loop ends, not when a queued question's does

        ask_in: list[Any] = [session, *filters_in, lang]
        ask_out = [chat, conv_store, msg, notice]
        work: dict[str, Any] = dict(
            fn=on_work,
            inputs=[session, lang],
            outputs=[chat, conv_store, stop],
            concurrency_limit=answer_concurrency(),
            concurrency_id="answer",
            show_progress="hidden",
            **private,
        )
        quick: dict[str, Any] = dict(concurrency_limit=None, trigger_mode="multiple", show_progress="hidden", **private)
        msg.submit(on_ask, [msg] + ask_in, ask_out, **quick).then(**work)
        send.click(on_ask, [msg] + ask_in, ask_out, **quick).then(**work)
        chat.example_select(on_example, ask_in, ask_out, **quick).then(**work)
        retry_go.click(None, None, [retry_k], js="() => String(window.minutesRetry ?? '')", **private).then(
            on_retry, [retry_k] + ask_in, ask_out, **quick
        ).then(**work)
        stop.click(lambda sess: sess.stop.set(), [session], None, queue=False, show_progress="hidden", **private)

        # ---- new chat, earlier chats ----
        def on_new(sess, items, code):
            items = remember(items, sess.replace(new_conversation()))
            return [], frozen(sess.conv), items, *past_list(items, code), hide, hide

        def on_open(chosen, sess, items, code):
            item = next((p for p in items or [] if isinstance(p, dict) and p.get("id") == chosen), None)
            if item is None:
                return skip, skip, skip, *past_list(items, code), skip, skip
            conv = restored(item, s.question_max_chars)
            items = remember([p for p in items if p is not item], sess.replace(conv))
            return messages(conv, code), frozen(conv), items, *past_list(items, code), hide, hide

        def on_clear(sess, items, code):  # the chat's bin: this conversation is forgotten, not kept as an earlier one
            sess.replace(new_conversation())
            return [], frozen(sess.conv), items, *past_list(items, code), hide, hide

        switch_out = [chat, conv_store, past_store, past, past_box, notice, feedback_box]
        chat.clear(on_clear, [session, past_store, lang], switch_out, concurrency_limit=None, **quiet)
        new_chat.click(on_new, [session, past_store, lang], switch_out, concurrency_limit=None, **quiet)
        past.input(on_open, [past, session, past_store, lang], switch_out, concurrency_limit=None, **quiet)

        # ---- the API: one question, one answer with its sources (no conversation) ----
        def ask(question: str, language: str = "en") -> dict:
            """Answers one question from the documents: the answer's text, whether it
            abstained, its note and its citations (source, title, date, quoted text)."""
            try:
                query = assistant.query(question, page_language=language if language in LANGS else "en")
            except QuestionError as e:
                raise gr.Error(str(e)) from None
            ans = assistant.ask(query)
            return {
                "answer": ans.text,
                "language": ans.language,
                "abstained": ans.abstained,
                "note": ans.note,
                "citations": citation_records(ans),
            }

        gr.api(ask, api_name="ask", concurrency_limit=answer_concurrency(), concurrency_id="answer")

        # ---- feedback: thumbs under a finished answer ----
        def on_like(data: gr.LikeData, sess, code):
            i = data.index if isinstance(data.index, int) else data.index[0]
            with sess.lock:
                rec = answered(sess.conv).get(i)
            if rec is None or data.liked not in (True, False):
                return skip, skip, skip, skip
            saved = append_feedback(
                s.path("feedback_file"),
                rec["question"],
                rec["answer"],
                "up" if data.liked else "down",
                rec["citations"],
                language=rec["language"],
                backend=rec["backend"],
            )
            if data.liked:
                return show, gr.update(value=t(code, "thanks_up")), hide, ""
            return show, gr.update(value=t(code, "thanks_down")), show, saved["id"]

        def on_reason(text, fid, code):
            if fid and text.strip():
                set_feedback_reason(s.path("feedback_file"), fid, text)
            return gr.update(value=t(code, "reason_saved")), hide, "", ""

        chat.like(on_like, [session, lang], [feedback_box, feedback_msg, reason_row, feedback_id], **private)
        reason_out = [feedback_msg, reason_row, reason, feedback_id]
        reason_send.click(on_reason, [reason, feedback_id, lang], reason_out, **private)
        reason.submit(on_reason, [reason, feedback_id, lang], reason_out, **private)
    return demo


def make_server(assistant, demo: gr.Blocks, settings, gate: AdminGate | None = None):
    """The ASGI app: the chat at /, /doc (the whole document opened at a cited passage)
    and the admin page at /admin (its own Blocks, mounted only when a password is set;
    `admin_web.py`). `gate` decides who is an admin (default: from `admin_password`)."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from assistant.app.admin_web import AdminGuardMiddleware, add_admin_routes, admin_mount_kwargs, build_admin_app
    from assistant.app.render import document_page

    gate = gate or AdminGate(settings.admin_password)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.admin_gate = gate

    @app.get("/doc", response_class=HTMLResponse)
    def doc(src: str = "", s: int = 0, e: int = 0, lang: str = "en") -> HTMLResponse:
        record = assistant.index.documents.get(src)
        return HTMLResponse(
            document_page(record, s, e, ui_language(lang)),
            status_code=200 if record else 404,
            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
        )

    add_admin_routes(app, gate)  # /admin/signin, /admin/signout: before the mounts, so they answer first
    if gate.enabled:  # mounted before /, which would take every path
        app.state.admin_app = build_admin_app(assistant, gate)
        gr.mount_gradio_app(app, app.state.admin_app.queue(), path="/admin", **admin_mount_kwargs(assistant, gate))
        app.state.admin_app.has_launched = True
    gr.mount_gradio_app(app, demo.queue(), path="/", head=HEAD, footer_links=[], show_error=False, max_file_size="1mb")
    # Gradio checks the file paths a request names (only its own upload folder) only in
    # an app that has "launched"; a mounted app never does, and then any readable file
    # named in a request (a server path in place of an upload) was copied into Gradio's
    # cache and served back. Mounted here, they count as launched.
    demo.has_launched = True
    app.add_middleware(AdminGuardMiddleware, gate=gate)
    return app


def warm(assistant):
    """The first question reads the question rules and searches the index once before a
    member asks (~0.5 s on a first question, then ~0.01 s): the documents found then show
    within moments of sending from the first question on."""
    try:
        assistant.retrieve(assistant.query(examples("en")[0]))
    except AssistantError:  # only a warm-up: the member's own question says what is wrong
        pass
    return assistant


def main(settings=None) -> None:
    import uvicorn

    from assistant.core.config import load_settings
    from assistant.pipeline.assistant import Assistant

    settings = settings or load_settings()
    assistant = warm(Assistant(settings).warm_up())
    app = make_server(assistant, build_app(assistant), settings)
    from assistant.app.admin_web import startup_lines

    for line in startup_lines(settings):
        print(line, flush=True)
    uvicorn.run(app, host=settings.app_host, port=settings.app_port, log_level="warning")


if __name__ == "__main__":
    main()
