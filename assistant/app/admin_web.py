"""The admin panel as its own page, `/admin`: a Gradio Blocks of its own, mounted on the
same FastAPI app as the members' chat (which has no admin handler at all), behind a
sign-in that every request passes.

- No password configured (`admin_password` / ASSISTANT_ADMIN_PASSWORD): admin is off.
  Every /admin address answers with a page (403) that says how to set one; the admin
  Blocks is not even mounted. The address the server listens on changes nothing.
- With a password: /admin/signin (a plain, localized form) checks it, guarded by
  `SignInGuard` (lockouts per client address and overall), and sets a random session
  cookie (HttpOnly, SameSite=Strict, path /admin). `AdminGuardMiddleware` lets no other
  /admin request through without a valid session; Gradio's `auth_dependency` checks it
  again for every Gradio route of the admin app; and each admin handler checks the
  caller once more (`AdminGate.caller_ok`) with the request Gradio hands it.
- Uploads are read only from Gradio's upload cache, from paths the admin app's upload
  route created (`admin.read_uploads`); anything else is refused and logged.
- The upload limit is the app's own (`upload_max_mb`, at most `max_file_mb`): the page
  refuses a larger file before sending it, with the app's message; the handler checks
  again; Gradio's own limit is set higher (`gradio_upload_limit`) so that it never
  answers first with a bare HTTP 413 for a file the handler would have refused anyway."""

from __future__ import annotations

import html
import json
import logging
from typing import Any

import gradio as gr
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from gradio.utils import get_upload_folder

from assistant.app.admin import (
    AdminGate,
    index_status,
    progress_text,
    read_uploads,
    reindex_summary,
    save_uploads,
    wait_text,
)
from assistant.app.assets import HEAD, page_header
from assistant.core.i18n import LANGS, own_name, t, ui_language
from assistant.ingest.loaders import SUPPORTED

log = logging.getLogger("assistant.admin")
PREFIX = "/admin"
MAX_PASSWORD_CHARS = 1024


def upload_limit_mb(settings) -> float:
    """The app's own limit per uploaded file, in MB."""
    return min(settings.upload_max_mb, settings.max_file_mb)


def gradio_upload_limit(settings) -> str:
    """Gradio's limit, above the app's (about 25 % more, at least 2 MB more): a file a
    little over the limit reaches the handler and gets the app's own message, not
    Gradio's 413."""
    mb = upload_limit_mb(settings)
    return f"{int(mb + max(1.0, mb * 0.25)) + 1}mb"


_SIZE_SCRIPT = """
window.minutesTitles = %(titles)s;
(() => {
  const MAX = %(max_bytes)d, MAXMB = %(max_mb)s, TOO_BIG = %(too_big)s;
  // a file over the app's limit is refused here, before it is sent, with the app's own
  // message (the server checks again; Gradio's own limit is higher)
  document.addEventListener("change", (ev) => {
    const input = ev.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.closest("#admin")) return;
    const big = [...(input.files || [])].filter((f) => f.size > MAX);
    if (!big.length) return;
    ev.stopImmediatePropagation();
    ev.preventDefault();
    input.value = "";
    const code = document.documentElement.lang === "nb" ? "no" : document.documentElement.lang;
    const tpl = TOO_BIG[code] || TOO_BIG.en;
    const text = big.map((f) => tpl.replace("{name}", f.name).replace("{mb}", (f.size / 1e6).toFixed(1))
                                   .replace("{max}", MAXMB)).join("\\n");
    const box = document.querySelector("#upload-log textarea");
    if (box) box.value = text;
  }, true);
})();
"""


def admin_head(settings) -> str:
    mb = upload_limit_mb(settings)
    script = _SIZE_SCRIPT % {
        "max_bytes": int(mb * 1024 * 1024),
        "max_mb": json.dumps(f"{mb:g}"),
        "titles": json.dumps({c: t(c, "admin_title") for c in LANGS}, ensure_ascii=False),
        "too_big": json.dumps(
            {c: t(c, "up_big", name="{name}", mb="{mb}", max="{max}") for c in LANGS}, ensure_ascii=False
        ),
    }
    return HEAD + "<script>" + script + "</script>"


def _sign_out_html(code: str) -> str:
    # relative addresses: the page is /admin/ (also behind a proxy that adds a prefix)
    return (
        f'<form method="post" action="signout" class="admin-links">'
        f'<a href="../">{html.escape(t(code, "back_to_chat"))}</a>'
        f' <button type="submit" id="sign-out">{html.escape(t(code, "sign_out"))}</button></form>'
    )


def build_admin_app(assistant, gate: AdminGate) -> gr.Blocks:
    """The admin page: upload (with the replace option), re-index with progress, the
    index status table; labels in the admin's language (stored in the browser, shared
    with the chat page). Every handler checks the caller itself."""
    s = assistant.settings
    limit = upload_limit_mb(s)

    with gr.Blocks(title=t("en", "admin_title")) as demo:
        hint = gr.Textbox(visible=False)
        heading, lang = page_header()
        with gr.Row(elem_id="admin-bar"):
            note = gr.Markdown(elem_id="admin-note")
            links = gr.HTML(elem_id="admin-links")
        with gr.Column(elem_id="admin"):
            upload = gr.UploadButton(
                file_count="multiple", type="filepath", elem_id="upload", file_types=list(SUPPORTED)
            )
            replace = gr.Checkbox(value=False, elem_id="replace")
            upload_log = gr.Textbox(lines=3, interactive=False, elem_id="upload-log")
            reindex_btn = gr.Button(elem_id="reindex")
            reindex_log = gr.Textbox(lines=4, interactive=False, elem_id="reindex-log")
            status = gr.Markdown(elem_id="status")

        def who(request: gr.Request | None) -> str:
            client = getattr(request, "client", None) if request is not None else None
            return getattr(client, "host", None) or "?"

        def texts(code, request: gr.Request):
            ok = gate.caller_ok(request)
            return [
                gr.update(value=f"<h1>{html.escape(t(code, 'admin_title'))}</h1>"),
                gr.update(value=code, label=t(code, "language")),
                gr.update(value=t(code, "signed_in") if ok else t(code, "not_admin")),
                gr.update(value=_sign_out_html(code)),
                gr.update(label=t(code, "upload"), visible=ok),
                gr.update(label=t(code, "replace"), visible=ok),
                gr.update(label=t(code, "upload_log")),
                gr.update(value=t(code, "reindex"), visible=ok),
                gr.update(label=t(code, "reindex_log")),
            ]

        labelled = [heading, lang, note, links, upload, replace, upload_log, reindex_btn, reindex_log]

        def on_load(stored, request: gr.Request):
            code = ui_language(stored or (request.headers.get("accept-language") if request else None))
            return texts(code, request)

        def on_status(code, request: gr.Request):
            if not gate.caller_ok(request):
                return t(code, "not_admin")
            return index_status(assistant.index, code)

        def on_upload(files, replace_existing, code, request: gr.Request):
            if not gate.caller_ok(request):
                log.warning("admin upload from %s refused: not signed in", who(request))
                return t(code, "not_admin")
            paths = [files] if isinstance(files, str) else list(files or [])
            items, refused = read_uploads(paths, get_upload_folder(), demo.upload_file_set, limit, code, who(request))
            lines = refused + (
                save_uploads(items, s.path("corpus_dir"), limit, bool(replace_existing), code).lines
                if items or not refused
                else []
            )
            return "\n".join(lines)

        def on_reindex(code, request: gr.Request, progress=gr.Progress()):
            if not gate.caller_ok(request):
                log.warning("admin re-index from %s refused: not signed in", who(request))
                return t(code, "not_admin"), gr.skip()
            report = assistant.reindex(
                progress=lambda done, total, m: progress((done, max(total, 1)), desc=progress_text(m, code))
            )
            return reindex_summary(report, code), index_status(assistant.index, code)

        quiet: dict[str, Any] = dict(show_progress="hidden", api_visibility="private")
        apply_js = "(code) => window.minutesApplyLanguage(code)"
        demo.load(on_load, [hint], labelled, js="(h) => window.minutesStoredLanguage()", **quiet).then(
            on_status, [lang], [status], show_progress="hidden", api_name="index_status"
        ).then(None, [lang], None, js=apply_js)
        lang.input(None, [lang], None, js="(code) => window.minutesStoreLanguage(code)").then(
            texts, [lang], labelled, **quiet
        ).then(on_status, [lang], [status], **quiet).then(None, [lang], None, js=apply_js)
        admin: dict[str, Any] = dict(concurrency_limit=1, concurrency_id="admin")
        upload.upload(on_upload, [upload, replace, lang], upload_log, api_name="upload_documents", **admin)
        reindex_btn.click(on_reindex, [lang], [reindex_log, status], api_name="reindex", **admin)
    return demo


# ---------- sign-in pages and the guard in front of /admin ----------

_PAGE_CSS = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2937}"
    "h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .3rem;font-weight:600}"
    "input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}"
    "button{margin-top:.8rem;padding:.5rem 1.2rem;font-size:1rem;background:#b93c0a;color:#fff;border:0;"
    "border-radius:6px;font-weight:600;cursor:pointer}.msg{padding:.5rem .7rem;border-radius:6px;"
    "background:#fef2f2;color:#991b1b;border:1px solid #fecaca}.ok{background:#f0fdf4;color:#166534;"
    "border-color:#bbf7d0}nav a{margin-right:.8rem}code{background:#f3f4f6;padding:0 .2em}"
)
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}


def _page(code: str, title: str, body: str) -> str:
    langs = " ".join(f'<a href="?lang={c}" hreflang="{c}">{html.escape(own_name(c))}</a>' for c in LANGS)
    return (
        f'<!doctype html><html lang="{"nb" if code == "no" else code}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>{_PAGE_CSS}</style></head><body><nav>{langs}</nav>{body}"
        f'<p><a href="../">{html.escape(t(code, "back_to_chat"))}</a></p></body></html>'
    )


def off_page(code: str) -> str:
    text = html.escape(t(code, "admin_off"))
    for snippet in ("ASSISTANT_ADMIN_PASSWORD=… assistant serve", "admin_password = &quot;…&quot;", "assistant.toml"):
        text = text.replace(snippet, f"<code>{snippet}</code>", 1)
    return _page(
        code,
        t(code, "admin_off_head"),
        f'<main><h1>{html.escape(t(code, "admin_off_head"))}</h1><p id="admin-off">{text}</p></main>',
    )


def signin_page(code: str, message: str = "", ok: bool = False) -> str:
    msg = (
        f'<p class="msg{" ok" if ok else ""}" role="alert" id="signin-message">{html.escape(message)}</p>'
        if message
        else ""
    )
    return _page(
        code,
        t(code, "admin_title"),
        f"<main><h1>{html.escape(t(code, 'signin_head'))}</h1><p>{html.escape(t(code, 'signin_note'))}</p>{msg}"
        f'<form method="post" action="signin"><input type="hidden" name="lang" value="{code}">'
        f'<label for="password">{html.escape(t(code, "password"))}</label>'
        f'<input type="password" id="password" name="password" autocomplete="current-password" required autofocus>'
        f'<button type="submit" id="sign-in">{html.escape(t(code, "sign_in"))}</button></form></main>',
    )


def _language(request, given: str | None = None) -> str:
    return ui_language(given or request.query_params.get("lang") or request.headers.get("accept-language"))


def _cookie_path(request) -> str:
    return (request.scope.get("root_path") or "").rstrip("/") + PREFIX


def add_admin_routes(app, gate: AdminGate) -> None:
    """/admin/signin (GET: the form; POST: the check) and /admin/signout, on the outer
    FastAPI app, before the admin Blocks is mounted (so these routes answer first)."""

    def page(content: str, status: int = 200, **headers) -> HTMLResponse:
        return HTMLResponse(content, status_code=status, headers={**_HEADERS, **headers})

    @app.get(PREFIX + "/signin", response_class=HTMLResponse, include_in_schema=False)
    def signin_form(request: Request):
        code = _language(request)
        if not gate.enabled:
            return page(off_page(code), 403)
        if gate.user(request.cookies.get(gate.COOKIE)):
            return RedirectResponse("./", status_code=303)
        return page(signin_page(code, t(code, "signed_out") if "out" in request.query_params else "", ok=True))

    @app.post(PREFIX + "/signin", response_class=HTMLResponse, include_in_schema=False)
    async def signin(request: Request):
        try:
            form = await request.form(max_files=0, max_fields=4, max_part_size=4096)
            given, lang = str(form.get("password") or ""), str(form.get("lang") or "")
        except Exception:  # noqa: BLE001 - a malformed form is a failed sign-in, not a server error
            given, lang = "", ""
        code = _language(request, lang if lang in LANGS else None)
        if not gate.enabled:
            return page(off_page(code), 403)
        address = request.client.host if request.client else "?"
        result = gate.sign_in(address, given[:MAX_PASSWORD_CHARS])
        if result.ok:
            response = RedirectResponse("./", status_code=303)
            response.set_cookie(
                gate.COOKIE,
                result.token,
                httponly=True,
                samesite="strict",
                path=_cookie_path(request),
                secure=request.url.scheme == "https",
                max_age=int(gate.sessions.ttl_s),
            )
            return response
        if result.wait_s:
            return page(
                signin_page(code, t(code, "locked_out", wait=wait_text(result.wait_s))),
                429,
                **{"Retry-After": str(int(result.wait_s + 0.999))},
            )
        return page(signin_page(code, t(code, "wrong_password")), 401)

    @app.post(PREFIX + "/signout", include_in_schema=False)
    def signout(request: Request):
        gate.sign_out(request.cookies.get(gate.COOKIE))
        response = RedirectResponse("signin?out=1", status_code=303)
        response.delete_cookie(gate.COOKIE, path=_cookie_path(request))
        return response


class AdminGuardMiddleware:
    """In front of everything (pure ASGI, so the queue's event streams pass untouched):
    - /admin/signin and /admin/signout go to their routes;
    - admin off: every other /admin address gets the page that says how to turn it on;
    - no valid session: the page itself redirects to the sign-in form, anything else
      under /admin (Gradio's API, queue, upload, files) gets 401;
    - /gradio_api/upload of the members' app: 404 (members upload nothing).
    /admin responses also get headers that keep the page out of other sites' frames."""

    def __init__(self, app, gate: AdminGate):
        self.app, self.gate = app, gate

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        from starlette.requests import HTTPConnection
        from starlette.responses import PlainTextResponse

        path = scope["path"]
        if path.startswith("/gradio_api/upload"):
            return await PlainTextResponse("Not found", status_code=404)(scope, receive, send)
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return await self.app(scope, receive, send)
        sub = path[len(PREFIX) :]
        conn = HTTPConnection(scope)
        if sub in ("/signin", "/signout"):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            if not self.gate.user(conn.cookies.get(self.gate.COOKIE)):
                return await send({"type": "websocket.close", "code": 1008})
            return await self.app(scope, receive, send)
        if not self.gate.enabled:
            code = ui_language(conn.query_params.get("lang") or conn.headers.get("accept-language"))
            return await HTMLResponse(off_page(code), status_code=403, headers=_HEADERS)(scope, receive, send)
        if not self.gate.user(conn.cookies.get(self.gate.COOKIE)):
            if sub in ("", "/") and scope.get("method") in ("GET", "HEAD"):
                target = "admin/signin" if sub == "" else "signin"
                return await RedirectResponse(target, status_code=303, headers=_HEADERS)(scope, receive, send)
            client = scope.get("client") or ("?",)
            log.warning("admin request without a session refused: %s %s from %s", scope.get("method"), path, client[0])
            return await PlainTextResponse("Sign in at /admin first.", status_code=401)(scope, receive, send)
        if sub == "" and scope.get("method") in ("GET", "HEAD"):
            return await RedirectResponse("admin/", status_code=307)(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                for k, v in (("x-frame-options", "DENY"), ("cache-control", "no-store")):
                    if k.encode() not in names:
                        headers.append((k.encode(), v.encode()))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def startup_lines(settings) -> list[str]:
    """What `assistant serve` / `make run` print: where the chat and the admin page are,
    and whether admin is on."""
    base = f"http://{settings.app_host}:{settings.app_port}"
    lines = [f"chat on {base}/"]
    if settings.admin_password:
        lines.append(
            f"admin on {base}/admin (enabled: sign in with the admin password; 5 failed sign-ins "
            "lock an address out for 60 s, longer each time)"
        )
        if len(settings.admin_password) < 12:
            lines.append("warning: the admin password has fewer than 12 characters; choose a longer one")
    else:
        lines.append(
            f"admin: off ({base}/admin says how to turn it on): no admin password is set. Set "
            "ASSISTANT_ADMIN_PASSWORD (or admin_password in assistant.toml) and restart to enable it."
        )
    return lines


def admin_mount_kwargs(assistant, gate: AdminGate) -> dict:
    s = assistant.settings
    return dict(
        auth_dependency=lambda request: gate.user(request.cookies.get(gate.COOKIE)),
        head=admin_head(s),
        footer_links=[],
        show_error=False,
        max_file_size=gradio_upload_limit(s),
    )
