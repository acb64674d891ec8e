"""Gradio chat front end: `build_app(assistant)` returns the Blocks; `assistant serve`,
`make run` or `python app.py` launch it (`main`). The logic it wires lives in
`assistant/ui*.py`; this module only connects widgets to it."""
from __future__ import annotations

import time
from pathlib import Path

import gradio as gr

from assistant.answer.base import Answer, Preview, Waiting
from assistant.query.conversation import answer_language, condense
from assistant.core.errors import AssistantError
from assistant.query.questions import QuestionError
from assistant.ingest.loaders import SUPPORTED
from assistant.app.ui import (LANGS, examples, active_count, admin_allowed, admin_view, answer_concurrency, answer_html, append_feedback,
                 citation_records, filter_choices, filter_summary, index_status, make_filters, password_ok,
                 reindex_summary, save_uploads, set_feedback_reason, start_screen, t, ui_language)
from assistant.app.admin import progress_text
from assistant.app.assets import HEAD
from assistant.app.render import md_text, reading_status, waiting_status
from assistant.core.i18n import own_name


def build_app(assistant) -> gr.Blocks:
    s = assistant.settings
    docs_of = lambda: assistant.index.manifest["documents"]  # noqa: E731 - the index may be swapped by a re-index
    hide, show = gr.update(visible=False), gr.update(visible=True)

    with gr.Blocks(title=t("en", "title")) as demo:
        history = gr.State([])        # [(question, answer text)] for follow-ups
        answers = gr.State({})        # chat position of an answer -> what its feedback record stores
        feedback_id = gr.State("")    # the thumbs-down record awaiting a reason
        signed_in, admin_requested = gr.State(False), gr.State(False)
        hint = gr.Textbox(visible=False)   # the browser's stored or preferred languages
        with gr.Row(elem_id="header"):
            heading = gr.HTML(elem_id="heading")
            lang = gr.Dropdown([(own_name(c), c) for c in LANGS], value="en", elem_id="lang", filterable=False,
                               label=t("en", "language"), show_label=False, container=False, scale=0)
        with gr.Column(visible=False, elem_id="admin") as admin_col:
            admin_head, admin_note = gr.Markdown(), gr.Markdown(elem_id="admin-note")
            with gr.Row(visible=False) as signin_row:
                password = gr.Textbox(type="password", elem_id="admin-password", scale=3)
                signin = gr.Button(elem_id="sign-in", scale=1)
            with gr.Column(visible=False) as tools:
                upload = gr.UploadButton(file_count="multiple", type="filepath", elem_id="upload",
                                         file_types=list(SUPPORTED))
                replace = gr.Checkbox(value=False, elem_id="replace")
                upload_log = gr.Textbox(lines=3, interactive=False, elem_id="upload-log")
                reindex_btn = gr.Button(elem_id="reindex")
                reindex_log = gr.Textbox(lines=4, interactive=False, elem_id="reindex-log")
                status = gr.Markdown(elem_id="status")
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

        # ---- language: every label, the start screen and the admin panel ----
        def texts(code, requested, signed):
            ch = filter_choices(docs_of(), code)
            view = admin_view(s.app_host, s.admin_password, requested, signed, code)
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
                    gr.update(choices=ch["years"], label=t(code, "year_to")),
                    gr.update(visible=view.visible), gr.update(value=f"### {t(code, 'admin')}"),
                    gr.update(value=view.note), gr.update(visible=view.needs_password),
                    gr.update(visible=view.tools), gr.update(label=t(code, "password")),
                    gr.update(value=t(code, "sign_in")), gr.update(label=t(code, "upload")),
                    gr.update(label=t(code, "replace")), gr.update(label=t(code, "upload_log")),
                    gr.update(value=t(code, "reindex")), gr.update(label=t(code, "reindex_log")),
                    gr.update(value=index_status(assistant.index, code) if view.tools else "")]
        labelled = [heading, lang, chat, msg, send, reason, reason_send, fclear, f_docs, f_langs, y_from, y_to,
                    admin_col, admin_head, admin_note, signin_row, tools, password, signin, upload, replace, upload_log,
                    reindex_btn, reindex_log, status]

        def on_load(stored, request: gr.Request):
            code = ui_language(stored or (request.headers.get("accept-language") if request else None))
            requested = request is not None and "admin" in request.query_params
            return [requested] + texts(code, requested, False)

        def on_filters(docs, langs, yf, yt, code):
            flt = make_filters(docs, langs, yf, yt)
            n = active_count(flt)
            return (gr.update(value=filter_summary(flt, docs_of(), code)), gr.update(visible=flt.active),
                    gr.update(label=t(code, "filters_on", n=n) if n else t(code, "filters")))
        filter_out = [fstate, fstate_row, facc]

        apply_js = "(code) => window.minutesApplyLanguage(code)"
        quiet = dict(show_progress="hidden")
        demo.load(on_load, [hint], [admin_requested] + labelled, js="(h) => window.minutesStoredLanguage()", **quiet) \
            .then(on_filters, filters_in + [lang], filter_out, **quiet).then(None, [lang], None, js=apply_js)
        lang.input(None, [lang], None, js="(code) => window.minutesStoreLanguage(code)") \
            .then(texts, [lang, admin_requested, signed_in], labelled, **quiet) \
            .then(on_filters, filters_in + [lang], filter_out, **quiet).then(None, [lang], None, js=apply_js)
        for f in filters_in:
            f.change(on_filters, filters_in + [lang], filter_out, show_progress="hidden")
        fclear.click(lambda: ([], [], "", ""), None, filters_in)

        # ---- asking ----
        def respond(message, chat, history, answers, docs, langs, yf, yt, code):
            try:
                question = assistant.question(message or "", code)
            except QuestionError as e:  # nothing runs: say why, keep what was typed
                yield chat, history, answers, gr.update(value=str(e), visible=True), gr.skip()
                return
            flt = make_filters(docs, langs, yf, yt)
            standalone = condense(history, question, assistant.follow_up_model(),
                                  timeout_s=assistant.settings.llm_timeout_s)
            chat = chat + [{"role": "user", "content": md_text(question)}]
            k, text = len(chat), ""
            bot = lambda content: chat + [{"role": "assistant", "content": content}]  # noqa: E731 - a new list per state
            yield bot(""), history, answers, hide, ""
            try:
                for item in assistant.stream(standalone, filters=flt, language=answer_language(question, standalone)):
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
        msg.submit(respond, [msg] + ask_in, ask_out, **limit)
        send.click(respond, [msg] + ask_in, ask_out, **limit)
        chat.example_select(ask_example, ask_in, ask_out, **limit)
        chat.clear(lambda: ([], {}, hide, hide), None, [history, answers, feedback_msg, reason_row])

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

        chat.like(on_like, [answers, lang], [feedback_msg, reason_row, feedback_id])
        reason_send.click(on_reason, [reason, feedback_id, lang], [feedback_msg, reason_row, reason, feedback_id])
        reason.submit(on_reason, [reason, feedback_id, lang], [feedback_msg, reason_row, reason, feedback_id])

        # ---- admin ----
        def on_signin(given, code):
            if not password_ok(s.admin_password, given):
                time.sleep(1.0)   # slows guessing
                return False, gr.update(value=t(code, "wrong_password")), show, hide, "", gr.skip()
            return (True, gr.update(value=t(code, "signed_in")), hide, show, "",
                    gr.update(value=index_status(assistant.index, code)))

        def on_upload(files, replace_existing, signed, code):
            if not admin_allowed(s.app_host, s.admin_password, signed):
                return t(code, "not_admin")
            items = [(Path(f).name, Path(f).read_bytes()) for f in files or []]  # Gradio keeps the original name
            return "\n".join(save_uploads(items, s.path("corpus_dir"), min(s.upload_max_mb, s.max_file_mb), replace_existing, code).lines)

        def on_reindex(signed, code, progress=gr.Progress()):
            if not admin_allowed(s.app_host, s.admin_password, signed):
                return [t(code, "not_admin")] + [gr.skip()] * 6
            report = assistant.reindex(progress=lambda done, total, m: progress((done, max(total, 1)),
                                                                                desc=progress_text(m, code)))
            ch = filter_choices(docs_of(), code)
            return [reindex_summary(report, code), index_status(assistant.index, code),
                    gr.update(placeholder=start_screen(docs_of(), code)), gr.update(choices=ch["documents"]),
                    gr.update(choices=ch["languages"]), gr.update(choices=ch["years"]), gr.update(choices=ch["years"])]

        signin.click(on_signin, [password, lang], [signed_in, admin_note, signin_row, tools, password, status])
        password.submit(on_signin, [password, lang], [signed_in, admin_note, signin_row, tools, password, status])
        upload.upload(on_upload, [upload, replace, signed_in, lang], upload_log, concurrency_limit=1,
                      concurrency_id="admin")
        reindex_btn.click(on_reindex, [signed_in, lang], [reindex_log, status, chat] + filters_in, concurrency_limit=1,
                          concurrency_id="admin")
    return demo


def make_server(assistant, demo: gr.Blocks, settings):
    """The ASGI app: the chat at /, and /doc, the whole document opened at a cited passage."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from assistant.app.render import document_page

    app = FastAPI()

    @app.get("/doc", response_class=HTMLResponse)
    def doc(src: str = "", s: int = 0, e: int = 0, lang: str = "en") -> HTMLResponse:
        record = assistant.index.documents.get(src)
        return HTMLResponse(document_page(record, s, e, ui_language(lang)), status_code=200 if record else 404,
                            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

    return gr.mount_gradio_app(app, demo.queue(), path="/", head=HEAD, footer_links=[], show_error=False,
                               max_file_size=f"{int(settings.upload_max_mb)}mb")


def main(settings=None) -> None:
    import uvicorn

    from assistant.core.config import load_settings
    from assistant.pipeline.assistant import Assistant

    settings = settings or load_settings()
    assistant = Assistant(settings).warm_up()
    app = make_server(assistant, build_app(assistant), settings)
    print(f"chat on http://{settings.app_host}:{settings.app_port}/ (admin: add ?admin to the address)", flush=True)
    uvicorn.run(app, host=settings.app_host, port=settings.app_port, log_level="warning")


if __name__ == "__main__":
    main()
