"""The page's CSS and the small script, both in <head> (Gradio would scope `css=` rules
to its content area, and the phone layout also needs the page around it): [n] links open their source, the
page's language is stored in the browser, the few labels Gradio draws itself
(thumbs, clear) follow the page's language instead of the browser's, and the buttons
under an answer copy it (with its sources, as text) or ask its question again."""

from __future__ import annotations

import json

import gradio as gr

from assistant.core.i18n import LANGS, STORAGE_KEY, own_name, t

CSS = """
.gradio-container {width: 100% !important; max-width: 980px !important; margin: 0 auto !important;}
#header {align-items: center; flex-wrap: nowrap; gap: .5rem; min-height: 0;}
#heading {flex: 1 1 0 !important; min-width: 0 !important;}
/* the title wraps rather than being cut ("Protokollassiste…" on a phone) */
#header h1 {font-size: 1.35rem; line-height: 1.2; margin: 0; overflow-wrap: anywhere;}
#lang {flex: 0 0 8.5rem !important; min-width: 0 !important;}
#chat-bar {align-items: center; gap: .5rem; flex-wrap: wrap; min-height: 0;}
#new-chat {flex: 0 0 auto !important;}
#past-box {flex: 1 1 14rem !important; min-width: 0 !important;}
#past-chats label {width: 100%;}
/* Gradio centres the start screen in the chat box; taller than the box (a phone), its top
   was cut off above the box and could not be scrolled to: it starts at the top instead */
#chat .placeholder-content, #chat .placeholder {height: auto !important;}
#chat .placeholder {flex-grow: 0 !important; justify-content: flex-start !important; align-items: stretch !important;}
#chat .placeholder {padding: 0 1rem; text-align: left;}
#chat .placeholder h2 {margin: .2em 0 .4em; font-size: 1.15em; line-height: 1.3;}
#chat .placeholder strong {font-weight: 600;}
#chat .placeholder p, #chat .placeholder ul {margin: .3em 0;}
#chat .example {padding: .45em .8em !important; min-height: 0 !important;}
#ask-row {align-items: stretch; gap: .5rem;}
#send {background: #b93c0a !important; color: #fff !important; border: 0 !important; font-weight: 600;}
#send:hover, #send:focus-visible {background: #8c2d07 !important;}
.info-text {color: #52525b !important;}
.dark .info-text {color: #c4c9d2 !important;}
textarea::placeholder, input::placeholder {color: #5b6170 !important; opacity: 1 !important;}
.dark textarea::placeholder, .dark input::placeholder {color: #b8bdc7 !important;}
#chat a.cite {font-weight: 700; color: #9a3412; text-decoration: underline; padding: 0 .1em;}
.dark #chat a.cite {color: #fdba74;}
#chat .status {color: #4b5563; font-style: italic;}
.dark #chat .status {color: #c4c9d2;}
#chat .sources {margin-top: .5em; border-top: 1px solid #d4d4d8; padding-top: .3em;}
#chat .sources-h {font-weight: 600; margin: 0 0 .2em;}
#chat details.src {margin: .25em 0; padding: .2em .5em; border: 1px solid #d4d4d8; border-radius: 6px;}
#chat details.src summary {cursor: pointer;}
#chat details.src .meta {color: #4b5563;}
/* Gradio draws every message at opacity .8, which takes text below 4.5:1 (the grey date line: 4.4) */
#chat .message-wrap .prose.chatbot.md {opacity: 1 !important;}
.dark #chat details.src .meta {color: #c4c9d2;}
#chat details.src .passage {margin: .35em 0; padding-left: .6em; border-left: 3px solid #f59e0b; font-size: .95em;}
#chat details.src.flash {outline: 3px solid #c2410c; outline-offset: 1px;}
#chat .open-doc {font-size: .9em;}
#chat mark {background: #ffe58a; color: #111827; padding: 0 .1em;}
#chat .abstained p {margin: 0;}
#filter-state {align-items: center; border: 1px solid #f59e0b; border-radius: 8px; padding: .2em .6em; gap: .5rem;}
#filter-state p {margin: 0;}
#feedback p, #notice p {margin: .2em 0;}
#feedback-box {border: 1px solid #d4d4d8; border-radius: 8px; padding: .4rem .6rem; gap: .3rem;}
#reason-row {align-items: stretch; gap: .5rem;}
/* what is shown before the answer: the documents found, then the answer in their place */
#chat .found .found-h {margin: 0 0 .2em;}
#chat .found-list {margin: .1em 0 .3em; padding-left: 1.2em;}
#chat .found-title {font-weight: 600;}
#chat .found p {margin: .2em 0;}
#chat .writing::after {content: "\u258d"; color: #6b7280;}
/* thumbs only under a finished answer: not under "Searching …", the documents found or text still coming */
#chat .message-row:has(.status, .writing) + .message-buttons,
#chat .message-row:has(.status, .writing) .message-buttons {display: none !important;}
#chat .answer-tools {display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .7em;}
#chat .answer-tools button {display: inline-flex; align-items: center; gap: .35em; padding: .3em .75em;
  font-size: .9em; line-height: 1.3; border: 1px solid #a1a1aa; border-radius: 6px; background: #ffffff;
  color: #1f2937; cursor: pointer;}
#chat .answer-tools button:hover {background: #f4f4f5;}
.dark #chat .answer-tools button {background: #27272a; color: #f4f4f5; border-color: #71717a;}
#stop {background: #ffffff !important; color: #991b1b !important; border: 2px solid #991b1b !important;
       font-weight: 600;}
/* a visible focus on every control (text fields show it on a click too) */
:is(a, button, summary, input, textarea, select, [tabindex]):focus-visible {
  outline: 3px solid #1d4ed8 !important; outline-offset: 2px !important;}
:is(input, textarea):focus-visible {outline-offset: -1px !important;}
.dark :is(a, button, summary, input, textarea, select, [tabindex]):focus-visible {outline-color: #93c5fd !important;}
/* Gradio's "processing | 1.2s" / "queue: 2/3" are English only; the chat shows its own
   localized status ("Söker i dokumenten …", "2 frågor före din i kön …") instead */
#chat .progress-text, #ask-row .progress-text, #notice .progress-text, #feedback .progress-text {
  display: none !important;
}
#admin {border: 1px solid #d4d4d8; border-radius: 8px; padding: .6rem;}
#admin-bar {align-items: center;}
#admin-links .admin-links {display: flex; gap: 1rem; justify-content: flex-end; align-items: center; margin: 0;}
#sign-out {padding: .35em 1em; border: 1px solid #a1a1aa; border-radius: 6px; background: #f4f4f5; color: #18181b;
           font-weight: 600; cursor: pointer;}
#status table {font-size: .85em;}
#status th, #status td:nth-child(2), #status td:nth-child(3), #status td:nth-child(4) {
  white-space: nowrap; word-break: normal;
}
#notice {color: #991b1b;}
.dark #notice {color: #fca5a5;}
@media (max-width: 640px) {
  .app {padding-left: .5rem !important; padding-right: .5rem !important;}
  #chat .placeholder {padding: 0 .5rem; font-size: .88em;}
  #chat .placeholder ul {padding-left: 1.1em;}
  #header h1 {font-size: 1.1rem;}
  #lang {flex: 0 0 7.2rem !important;}
  #send, #stop {min-width: 4.5rem !important;}
}
"""

# Gradio's own labels for the buttons it draws in the chat, in the languages it knows
_GRADIO_LABELS = {
    "like": ["Like", "Liked", "Gilla", "Liker"],
    "dislike": ["Dislike", "Disliked", "Ogilla", "Liker ikke"],
    "clear_chat": ["Clear", "Rensa chatten", "Tøm samtalen"],
}

_SCRIPT = """
(() => {
  const KEY = %(key)s, TITLES = %(titles)s, LABELS = %(labels)s, GRADIO = %(gradio)s;
  let labels = null;
  const shownStart = new WeakSet();
  // [n] in an answer: open that answer's source n and bring it into view
  document.addEventListener("click", (ev) => {
    const a = ev.target.closest && ev.target.closest("a.cite");
    if (!a) return;
    const d = document.getElementById((a.getAttribute("href") || "").slice(1));
    if (!d) return;
    ev.preventDefault();
    d.open = true;
    d.scrollIntoView({block: "nearest"});
    // Gradio scrolls the chat to its end 300 ms after an update that came while it was
    // there (an answer just finished): the source is brought back if that took it away
    const chatBox = d.closest(".bubble-wrap");
    if (chatBox) {
      const back = () => {
        const r = d.getBoundingClientRect(), c = chatBox.getBoundingClientRect();
        if (r.top < c.top || r.top > c.bottom - 20) d.scrollIntoView({block: "nearest"});
      };
      chatBox.addEventListener("scroll", back);
      setTimeout(() => chatBox.removeEventListener("scroll", back), 900);
    }
    const s = d.querySelector("summary");
    if (s) s.focus({preventScroll: true});
    d.classList.add("flash");
    setTimeout(() => d.classList.remove("flash"), 1600);
  });
  function relabel() {
    if (!labels) return;
    document.querySelectorAll("#chat button[aria-label], #chat button[title]").forEach((b) => {
      for (const key in GRADIO) {
        const cur = b.getAttribute("aria-label") || b.getAttribute("title");
        // only when it changes: setting an attribute (even to its own value) is a mutation
        // this observer sees, and "Tøm samtalen" is both Gradio's label and ours
        if (GRADIO[key].includes(cur) && cur !== labels[key]) {
          b.setAttribute("aria-label", labels[key]);
          b.setAttribute("title", labels[key]);
        }
      }
    });
    // Gradio's English names for the message list, each message (its raw markup) and
    // each example ("Select example 1: ..."): the visible text names them well enough
    document.querySelectorAll("#chat [data-testid=bot][aria-label], #chat [data-testid=user][aria-label], "
                              + "#chat button.example[aria-label]").forEach((m) => m.removeAttribute("aria-label"));
    // the start screen begins at its top (Gradio scrolls the chat to its end, also when it is empty)
    const start = document.querySelector("#chat .placeholder-content");
    if (start && !shownStart.has(start)) {
      shownStart.add(start);
      const wrap = start.closest(".bubble-wrap");
      if (wrap) [0, 100, 400].forEach((ms) => setTimeout(() => { if (start.isConnected) wrap.scrollTop = 0; }, ms));
    }
    // Gradio's example questions are a role=list of buttons (not list items): a group
    document.querySelectorAll("#chat .examples[role=list]").forEach((e) => {
      e.setAttribute("role", "group");
      e.setAttribute("aria-label", labels.examples_label);
    });
    document.querySelectorAll("#chat [role=log]").forEach((m) => {
      if (m.getAttribute("aria-label") !== labels.chat_label) m.setAttribute("aria-label", labels.chat_label);
    });
  }
  // copy an answer with its sources as text; ask its question again
  async function copyAnswer(button, text) {
    window.minutesCopied = text;   // what was copied, also for tests
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {   // no clipboard API (an insecure origin): the old way
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      button.focus();
    }
    const label = button.querySelector("span");
    if (label && labels) {
      const was = label.textContent;
      label.textContent = labels.copied;
      setTimeout(() => { label.textContent = was; }, 2000);
    }
  }
  document.addEventListener("click", (ev) => {
    const b = ev.target.closest && ev.target.closest("#chat .copy-answer, #chat .retry-answer");
    if (!b) return;
    const tools = b.closest(".answer-tools");
    if (!tools) return;
    ev.preventDefault();
    if (b.classList.contains("copy-answer")) {
      const text = tools.querySelector(".copy-text");
      if (text) copyAnswer(b, text.value);
    } else {
      window.minutesRetry = parseInt(tools.id.slice(1), 10);
      const go = document.getElementById("retry-go");
      if (go) go.click();
    }
  });
  new MutationObserver(relabel).observe(document.documentElement, {subtree: true, childList: true,
                                                                  attributes: true, attributeFilter: ["aria-label"]});
  // called after the page's language is known or switched
  window.minutesApplyLanguage = (lang) => {
    document.documentElement.lang = lang === "no" ? "nb" : lang;
    const titles = window.minutesTitles || TITLES;   // the admin page has its own
    document.title = titles[lang] || titles.en;
    labels = LABELS[lang] || LABELS.en;
    relabel();
    return lang;
  };
  window.minutesStoredLanguage = () =>
    localStorage.getItem(KEY) || (navigator.languages || [navigator.language]).join(",");
  window.minutesStoreLanguage = (lang) => { localStorage.setItem(KEY, lang); return lang; };
})();
"""

HEAD = (
    "<style>"
    + CSS
    + "</style><script>"
    + _SCRIPT
    % {
        "key": json.dumps(STORAGE_KEY),
        "titles": json.dumps({lang: t(lang, "title") for lang in LANGS}, ensure_ascii=False),
        "labels": json.dumps(
            {
                lang: {k: t(lang, k) for k in [*_GRADIO_LABELS, "chat_label", "copied", "examples_label"]}
                for lang in LANGS
            },
            ensure_ascii=False,
        ),
        "gradio": json.dumps(_GRADIO_LABELS, ensure_ascii=False),
    }
    + "</script>"
)


def page_header() -> tuple[gr.HTML, gr.Dropdown]:
    """The header row both pages share, inside the current Blocks: the heading and the
    language menu (each language by its own name), styled by `#header` above."""
    with gr.Row(elem_id="header"):
        heading = gr.HTML(elem_id="heading")
        lang = gr.Dropdown(
            [(own_name(c), c) for c in LANGS],
            value="en",
            elem_id="lang",
            filterable=False,
            label=t("en", "language"),
            show_label=False,
            container=False,
            scale=0,
        )
    return heading, lang
