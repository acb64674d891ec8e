"""Gradio chat front end: `build_app(assistant)` returns the Blocks; `assistant serve`,
`make run` or `python app.py` launch it. The logic it wires lives in `assistant/ui.py`."""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from .conversation import condense
from .errors import AssistantError
from .filters import Filters
from .lang import detect_language
from .ui import (EXAMPLES, TEXT, admin_check, append_feedback, index_status, message_text, save_uploads,
                          sources_html, ui_language)

CSS = ".citation{margin:.4em 0;padding:.3em .5em;border:1px solid #ddd;border-radius:6px} mark{background:#ffe58a}"


def build_app(assistant) -> gr.Blocks:
    s = assistant.settings
    t = TEXT["en"]
    needs_password = admin_check(s.app_host, s.admin_password, None) is not None

    def filters(docs, langs, y_from, y_to) -> Filters:
        return Filters(tuple(docs or ()), tuple(langs or ()), int(y_from) if y_from else None, int(y_to) if y_to else None)

    def respond(message, chat, history, docs, langs, y_from, y_to):
        message = (message or "").strip()
        if not message:
            yield chat, gr.skip(), history, ""
            return
        question = condense(history, message, getattr(assistant.answerer, "chat_model", None))
        lang = detect_language(message)
        chat = chat + [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        try:
            for item in assistant.stream(question, filters=filters(docs, langs, y_from, y_to), language=lang):
                if isinstance(item, str):
                    chat[-1]["content"] += item
                    yield chat, gr.skip(), history, ""
                else:
                    chat[-1]["content"] = item.text + (f"\n\n_{item.note}_" if item.note else "")
                    history = history + [(message, item.text)]
                    yield chat, sources_html(item, assistant.index), history, ""
        except AssistantError as e:  # e.g. a misconfigured backend: say what to do, keep the chat
            raise gr.Error(str(e))

    def on_like(data: gr.LikeData, chat):
        i = data.index if isinstance(data.index, int) else data.index[0]
        question = next((message_text(m["content"]) for m in reversed(chat[:i]) if m["role"] == "user"), "")
        append_feedback(s.path("feedback_file"), question, message_text(chat[i]["content"]), "up" if data.liked else "down")

    def check(password):
        if reason := admin_check(s.app_host, s.admin_password, password):
            raise gr.Error(reason)

    def upload(files, password):
        check(password)
        items = [(Path(f).name, Path(f).read_bytes()) for f in files or []]  # Gradio keeps the original name
        res = save_uploads(items, s.path("corpus_dir"), s.upload_max_mb)
        lines = [f"✔ saved {n}" for n in res.saved] + [f"✘ {e}" for e in res.errors]
        return "\n".join(lines) or "no files"

    def reindex(password, progress=gr.Progress()):
        check(password)
        report = assistant.reindex(progress=lambda f, m: progress(f, desc=m))
        return report.summary(), index_status(assistant.index)

    def localize(request: gr.Request):
        lang = ui_language(request.headers.get("accept-language") if request else None)
        tx = TEXT[lang]
        return gr.update(placeholder=tx["ask"], label=tx["ask"]), gr.update(value=tx["send"])

    with gr.Blocks(title=t["title"]) as demo:
        history = gr.State([])
        gr.Markdown(f"## {TEXT['sv']['title']} · {TEXT['da']['title']} · {t['title']}")
        with gr.Tab("Chat", id="chat-tab"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(elem_id="chat", height=460, feedback_options=("Like", "Dislike"))
                    msg = gr.Textbox(elem_id="question", label=t["ask"], placeholder=t["ask"], lines=1)
                    send = gr.Button(t["send"], elem_id="send", variant="primary")
                    gr.Examples(EXAMPLES, inputs=msg, label="Exempel · Eksempler · Examples")
                    with gr.Accordion("Filter · Filtre · Filters", open=False):
                        docs = gr.Dropdown(sorted(assistant.index.documents), multiselect=True, label=t["documents"])
                        langs = gr.CheckboxGroup(["sv", "da", "no", "en"], label=t["languages"])
                        with gr.Row():
                            y_from = gr.Number(label=t["year_from"], precision=0)
                            y_to = gr.Number(label=t["year_to"], precision=0)
                with gr.Column(scale=2):
                    sources = gr.HTML(f"<h3>{t['sources']}</h3>", elem_id="sources")
        with gr.Tab("Admin", id="admin-tab"):
            password = gr.Textbox(label="Admin password", type="password", visible=needs_password, elem_id="admin-password")
            files = gr.File(file_count="multiple", type="filepath", label="Upload minutes (.txt .md .pdf .docx .html)", elem_id="upload")
            upload_log = gr.Textbox(label="Upload", elem_id="upload-log", lines=3)
            reindex_btn = gr.Button("Re-index", elem_id="reindex")
            reindex_log = gr.Textbox(label="Re-index", elem_id="reindex-log", lines=4)
            status = gr.Markdown(index_status(assistant.index), elem_id="status")
        inputs = [msg, chat, history, docs, langs, y_from, y_to]
        outputs = [chat, sources, history, msg]
        msg.submit(respond, inputs, outputs)
        send.click(respond, inputs, outputs)
        chat.like(on_like, [chat], None)
        files.upload(upload, [files, password], upload_log)
        reindex_btn.click(reindex, [password], [reindex_log, status])
        demo.load(localize, None, [msg, send])
    return demo


def main(settings=None) -> None:
    from .config import load_settings
    from .pipeline import Assistant

    settings = settings or load_settings()
    assistant = Assistant(settings).warm_up()
    build_app(assistant).queue().launch(server_name=settings.app_host, server_port=settings.app_port, css=CSS,
                                        max_file_size=f"{int(settings.upload_max_mb)}mb")


if __name__ == "__main__":
    main()
