"""Gradio chat front end: `build_app(assistant)` returns the members' Blocks (the chat
only: no admin handler at all); `make_server` mounts it at / beside the admin page at
/admin (`admin_web.py`) and the document page at /doc; `assistant serve`, `make run` or
`python app.py` launch it (`main`). The logic it wires lives in `assistant/app/ui.py`,
`render.py` and `admin.py`; this module only connects widgets to it."""
from __future__ import annotations

import gradio as gr

from assistant.answer.base import Answer, Preview, Waiting
from assistant.core.errors import AssistantError
from assistant.query.questions import QuestionError
from assistant.app.ui import (LANGS, examples, active_count, answer_concurrency, answer_html, append_feedback,
                              citation_records, filter_choices, filter_summary, make_filters, set_feedback_reason,
                              start_screen, t, ui_language)
from assistant.app.admin import AdminGate
from assistant.app.assets import HEAD
from assistant.app.render import md_text, reading_status, waiting_status
from assistant.core.i18n import own_name


def build_app(assistant) -> gr.Blocks:
    s = assistant.settings
    docs_of = lambda: assistant.index.manifest["documents"]  # noqa: E731 - the index may be swapped by a re-index
    hide, show = gr.update(visible=False), gr.update(visible=True)
    private = dict(api_visibility="private")   # page plumbing, not an API: only `ask` is one

    with gr.Blocks(title=t("en", "title")) as demo:
        history = gr.State([])        # [(question, answer text)] for follow-ups
        answers = gr.State({})        # chat position of an answer -> what its feedback record stores
        feedback_id = gr.State("")    # the thumbs-down record awaiting a reason
        hint = gr.Textbox(visible=False)   # the browser's stored or preferred languages
        with gr.Row(elem_id="header"):
            heading = gr.HTML(elem_id="heading")
            lang = gr.Dropdown([(own_name(c), c) for c in LANGS], value="en", elem_id="lang", filterable=False,
                               label=t("en", "language"), show_label=False, container=False, scale=0)
        chat = gr.Chatbot(elem_id="chat", show_label=False, height="66vh", min_height=320, buttons=[],
                          feedback_options=("Like", "Dislike"), sanitize_html=True)
        feedback_msg = gr.Markdown(visible=False, elem_id="feedback")
        with gr.Row(visible=False, elem_id="reason-row") as reason_row:
            reason = gr.Textbox(max_length=500, scale=4, elem_id="reason", container=False)
            reason_send = gr.Button(scale=1, elem_id="reason-send")
        notice = gr.Markdown(visible=False, elem_id="notice")
        with gr.Row(elem_id="ask-row", equal_height=True):
            msg = gr.Textbox(elem_id="question", show_label=False, lines=1, max_lines=6, autofocus=True, scale=5,
                             container=False)
            send = gr.Button(elem_id="send", variant="primary", scale=0, min_width=90)
        with gr.Row(visible=False, elem_id="filter-state") as fstate_row:
            fstate = gr.Markdown()
            fclear = gr.Button(size="sm", variant="secondary", scale=0, min_width=120, elem_id="clear-filters")
        with gr.Accordion(open=False, elem_id="filters") as facc:
            ch = filter_choices(docs_of(), "en")   # relabelled on load in the member's language
            f_docs = gr.Dropdown(ch["documents"], multiselect=True, value=[], elem_id="f-docs")
            f_langs = gr.CheckboxGroup(ch["languages"], value=[], elem_id="f-langs")
            with gr.Row():
                y_from, y_to = (gr.Dropdown(ch["years"], value="", elem_id=e) for e in ("y-from", "y-to"))
        filters_in = [f_docs, f_langs, y_from, y_to]

        # ---- language: every label and the start screen ----
        def texts(code):
            ch = filter_choices(docs_of(), code)
            return [gr.update(value=f"<h1>{t(code, 'title')}</h1>"), gr.update(value=code, label=t(code, "language")),
                    gr.update(placeholder=start_screen(docs_of(), code),
                              examples=[{"text": q} for q in examples(code)], label=t(code, "chat_label")),
                    gr.update(label=t(code, "ask_label"), placeholder=t(code, "ask_placeholder")),
                    gr.update(value=t(code, "send")),
                    gr.update(label=t(code, "reason_label"), placeholder=t(code, "reason_placeholder")),
                    gr.update(value=t(code, "reason_send")), gr.update(value=t(code, "clear_filters")),
                    gr.update(choices=ch["documents"], label=t(code, "documents"), info=t(code, "documents_info")),
                    gr.update(choices=ch["languages"], label=t(code, "languages")),
                    gr.update(choices=ch["years"], label=t(code, "year_from")),
                    gr.update(choices=ch["years"], label=t(code, "year_to"))]
        labelled = [heading, lang, chat, msg, send, reason, reason_send, fclear, f_docs, f_langs, y_from, y_to]

        def on_load(stored, request: gr.Request):
            return texts(ui_language(stored or (request.headers.get("accept-language") if request else None)))

        def on_filters(docs, langs, yf, yt, code):
            flt = make_filters(docs, langs, yf, yt)
            n = active_count(flt)
            return (gr.update(value=filter_summary(flt, docs_of(), code)), gr.update(visible=flt.active),
                    gr.update(label=t(code, "filters_on", n=n) if n else t(code, "filters")))
        filter_out = [fstate, fstate_row, facc]

        apply_js = "(code) => window.minutesApplyLanguage(code)"
        quiet = dict(show_progress="hidden", **private)
        demo.load(on_load, [hint], labelled, js="(h) => window.minutesStoredLanguage()", **quiet) \
            .then(on_filters, filters_in + [lang], filter_out, **quiet).then(None, [lang], None, js=apply_js)
        lang.input(None, [lang], None, js="(code) => window.minutesStoreLanguage(code)") \
            .then(texts, [lang], labelled, **quiet) \
            .then(on_filters, filters_in + [lang], filter_out, **quiet).then(None, [lang], None, js=apply_js)
        for f in filters_in:
            f.change(on_filters, filters_in + [lang], filter_out, **quiet)
        fclear.click(lambda: ([], [], "", ""), None, filters_in, **private)

        # ---- asking ----
        def respond(message, chat, history, answers, docs, langs, yf, yt, code):
            try:
                query = assistant.query(message or "", history, page_language=code)
            except QuestionError as e:  # nothing runs: say why, keep what was typed
                yield chat, history, answers, gr.update(value=str(e), visible=True), gr.skip()
                return
            question, flt = query.text, make_filters(docs, langs, yf, yt)
            chat = chat + [{"role": "user", "content": md_text(question)}]
            k, text = len(chat), ""
            bot = lambda content: chat + [{"role": "assistant", "content": content}]  # noqa: E731 - a new list per state
            yield bot(""), history, answers, hide, ""
            try:
                for item in assistant.stream(query, filters=flt):
                    if isinstance(item, Preview):
                        content = reading_status(item.retrieval, code)
                    elif isinstance(item, Waiting):
                        content = waiting_status(item.ahead, code)
                    elif isinstance(item, Answer):
                        content = answer_html(item, assistant.index.documents, k, code)
                        history = history + [(question, item.text)]
                        answers = {**answers, k: {"question": question, "answer": item.text, "language": item.language,
                                                  "backend": item.backend, "citations": citation_records(item)}}
                    else:
                        text += item
                        content = md_text(text)
                    yield bot(content), history, answers, gr.skip(), gr.skip()
            except AssistantError as e:  # e.g. a misconfigured backend: say what to do, keep the chat
                yield chat[:-1], history, answers, gr.update(value=t(code, "error", msg=str(e)), visible=True), message

        def ask_example(evt: gr.SelectData, chat, history, answers, docs, langs, yf, yt, code):
            yield from respond(evt.value.get("text", ""), chat, history, answers, docs, langs, yf, yt, code)

        ask_in = [chat, history, answers] + filters_in + [lang]
        ask_out = [chat, history, answers, notice, msg]
        limit = dict(concurrency_limit=answer_concurrency(), concurrency_id="answer")
        msg.submit(respond, [msg] + ask_in, ask_out, **limit, **private)
        send.click(respond, [msg] + ask_in, ask_out, api_name="ask", **limit)
        chat.example_select(ask_example, ask_in, ask_out, **limit, **private)
        chat.clear(lambda: ([], {}, hide, hide), None, [history, answers, feedback_msg, reason_row], **private)

        # ---- feedback ----
        def on_like(data: gr.LikeData, answers, code):
            i = data.index if isinstance(data.index, int) else data.index[0]
            rec = answers.get(i)
            if rec is None or data.liked not in (True, False):
                return gr.skip(), gr.skip(), gr.skip()
            saved = append_feedback(s.path("feedback_file"), rec["question"], rec["answer"], "up" if data.liked else "down",
                                    rec["citations"], language=rec["language"], backend=rec["backend"])
            if data.liked:
                return gr.update(value=t(code, "thanks_up"), visible=True), hide, ""
            return gr.update(value=t(code, "thanks_down"), visible=True), show, saved["id"]

        def on_reason(text, fid, code):
            if fid and text.strip():
                set_feedback_reason(s.path("feedback_file"), fid, text)
            return gr.update(value=t(code, "reason_saved"), visible=True), hide, "", ""

        chat.like(on_like, [answers, lang], [feedback_msg, reason_row, feedback_id], **private)
        reason_send.click(on_reason, [reason, feedback_id, lang], [feedback_msg, reason_row, reason, feedback_id], **private)
        reason.submit(on_reason, [reason, feedback_id, lang], [feedback_msg, reason_row, reason, feedback_id], **private)
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
        return HTMLResponse(document_page(record, s, e, ui_language(lang)), status_code=200 if record else 404,
                            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

    add_admin_routes(app, gate)              # /admin/signin, /admin/signout: before the mounts, so they answer first
    if gate.enabled:                          # mounted before /, which would take every path
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


def main(settings=None) -> None:
    import uvicorn

    from assistant.core.config import load_settings
    from assistant.pipeline.assistant import Assistant

    settings = settings or load_settings()
    assistant = Assistant(settings).warm_up()
    app = make_server(assistant, build_app(assistant), settings)
    from assistant.app.admin_web import startup_lines

    for line in startup_lines(settings):
        print(line, flush=True)
    uvicorn.run(app, host=settings.app_host, port=settings.app_port, log_level="warning")


if __name__ == "__main__":
    main()
