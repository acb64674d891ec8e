"""The admin surface: its own page at /admin behind a sign-in on every request, off
without a password whatever the bind address, lockouts after failed sign-ins, uploads only
from Gradio's upload cache, the app's own message for an oversized file; and the members'
chat with no admin handler at all. Fast: the fake embedder and a real index; the HTTP
tests run a real server on 127.0.0.1 (uvicorn in a thread) driven with gradio_client."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import ROOT
from fastapi.testclient import TestClient

from assistant.app.admin import AdminGate, AdminSessions, SignInGuard, read_uploads, wait_text
from assistant.app.admin_web import gradio_upload_limit, startup_lines
from assistant.app.web import build_app, make_server
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant

PASSWORD = "correct horse battery staple"
NEW_DOC = "Protokoll\n\nStyrelsen beslutade att sommarmötet 2025 hålls i Visby den 3 juni.\n"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# ---------- the parts, without a server ----------


def test_five_failures_lock_an_address_out_for_a_minute_then_longer():
    clock = Clock()
    guard = SignInGuard(clock=clock)
    assert [guard.failed("10.0.0.1") for _ in range(4)] == [0, 0, 0, 0] and guard.wait("10.0.0.1") == 0
    assert guard.failed("10.0.0.1") == 60 and guard.wait("10.0.0.1") == 60
    assert guard.wait("10.0.0.2") == 0  # another address is not locked out
    clock.now += 30
    assert guard.wait("10.0.0.1") == 30
    clock.now += 31
    assert guard.wait("10.0.0.1") == 0
    assert [guard.failed("10.0.0.1") for _ in range(5)][-1] == 120  # the second lockout is twice as long
    clock.now += 121
    guard.succeeded("10.0.0.1")  # a success starts afresh
    assert [guard.failed("10.0.0.1") for _ in range(5)][-1] == 60


def test_many_failures_from_many_addresses_lock_everyone_out():
    clock = Clock()
    guard = SignInGuard(clock=clock)
    for i in range(19):
        assert guard.failed(f"10.0.1.{i}") == 0  # four tries each would pass the per-address limit
    assert guard.failed("10.0.1.99") == 60
    assert guard.wait("192.168.1.5") == 60  # also an address that never failed
    clock.now += 61
    assert guard.wait("192.168.1.5") == 0


def test_sessions_expire_and_end():
    clock = Clock()
    sessions = AdminSessions(ttl_s=100, clock=clock)
    token = sessions.create()
    assert len(token) > 30 and sessions.valid(token) and not sessions.valid("guess") and not sessions.valid("")
    clock.now += 90
    assert sessions.valid(token)  # use keeps it alive
    clock.now += 101
    assert not sessions.valid(token)
    other = sessions.create()
    sessions.end(other)
    assert not sessions.valid(other)


def test_the_gate_is_off_without_a_password_and_checks_the_caller():
    off = AdminGate("")
    assert not off.enabled and not off.sign_in("127.0.0.1", "").ok and off.user("anything") is None
    gate = AdminGate(PASSWORD)
    assert not gate.sign_in("127.0.0.1", "wrong").ok
    ok = gate.sign_in("127.0.0.1", PASSWORD)
    assert ok.ok and gate.user(ok.token) == "admin"

    class Request:  # what Gradio hands a handler: the cookie and the name from the auth dependency
        username = "admin"
        cookies = {AdminGate.COOKIE: ok.token}

    assert gate.caller_ok(Request()) and not gate.caller_ok(None)
    Request.username = None
    assert not gate.caller_ok(Request())
    Request.username = "admin"
    gate.sign_out(ok.token)
    assert not gate.caller_ok(Request())
    assert wait_text(60) == "60 s" and wait_text(600) == "10 min"


def test_uploads_are_read_only_from_the_upload_cache(tmp_path, caplog):
    cache = tmp_path / "gradio"
    (cache / "abc").mkdir(parents=True)
    good = cache / "abc" / "2025-05-20_sv_nytt.txt"
    good.write_text(NEW_DOC, encoding="utf-8")
    elsewhere = ROOT / "README.md"
    link = cache / "abc" / "README.md"
    link.symlink_to(elsewhere)
    big = cache / "abc" / "big.txt"
    big.write_bytes(b"x" * 3_000_000)
    crafted = cache / "abc" / ".." / ".." / ".." / elsewhere.relative_to("/")  # inside by its text, not once resolved
    with caplog.at_level(logging.WARNING, logger="assistant.admin"):
        files, refused = read_uploads(
            [str(good), str(elsewhere), str(link), "relative.txt", str(crafted), str(big)],
            cache,
            None,
            max_mb=1,
            lang="sv",
            who="10.0.0.7",
        )
    assert files == [("2025-05-20_sv_nytt.txt", NEW_DOC.encode())]
    assert refused[:4] == [
        "✘ README.md: inte en fil som laddats upp här; avvisad (försöket loggas)",
        "✘ README.md: inte en fil som laddats upp här; avvisad (försöket loggas)",
        "✘ relative.txt: inte en fil som laddats upp här; avvisad (försöket loggas)",
        "✘ README.md: inte en fil som laddats upp här; avvisad (försöket loggas)",
    ]
    assert refused[4] == "✘ big.txt: 3.0 MB är över gränsen på 1 MB"
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 4 and all("10.0.0.7" in m and "refused" in m for m in logged) and str(elsewhere) in logged[0]
    # a file in the cache that this app's upload route did not create is refused too
    files, refused = read_uploads([str(good)], cache, {str(cache / "abc" / "other.txt")}, 1, "en")
    assert files == [] and "not a file uploaded here" in refused[0]


def test_startup_says_where_admin_is_and_whether_it_is_on(settings):
    off = startup_lines(settings.replace(app_host="0.0.0.0"))
    assert off[0] == "chat on http://0.0.0.0:7860/"
    assert off[1].startswith("admin: off") and "ASSISTANT_ADMIN_PASSWORD" in off[1] and "assistant.toml" in off[1]
    on = startup_lines(settings.replace(admin_password=PASSWORD))
    assert on[1].startswith("admin on http://127.0.0.1:7860/admin (enabled") and len(on) == 2
    assert "fewer than 12 characters" in startup_lines(settings.replace(admin_password="short"))[2]
    assert gradio_upload_limit(settings) == "26mb" and gradio_upload_limit(settings.replace(upload_max_mb=1)) == "3mb"


# ---------- the ASGI app (no server) ----------


@pytest.fixture
def assistant(settings, fake_embedder):
    build_index(settings, fake_embedder)
    return Assistant(settings, embedder=fake_embedder).warm_up()


def _server(assistant, password="", **kw):
    s = assistant.settings.replace(admin_password=password, **kw)
    assistant.settings = s
    return make_server(assistant, build_app(assistant), s)


def test_members_app_has_no_admin_handler_and_only_ask_as_api(assistant):
    demo = build_app(assistant)
    names = {f.name for f in demo.fns.values()}
    assert not names & {"on_upload", "on_reindex", "on_signin", "on_status"}
    assert not [c for c in demo.blocks.values() if type(c).__name__ in ("UploadButton", "File")]
    public = {f.api_name for f in demo.fns.values() if f.api_visibility == "public"}
    assert public == {"ask"}


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_without_a_password_admin_is_off_whatever_the_address(assistant, host):
    client = TestClient(_server(assistant, "", app_host=host))
    for path in (
        "/admin",
        "/admin/",
        "/admin/signin",
        "/admin/config",
        "/admin/gradio_api/info",
        "/admin/gradio_api/call/upload_documents",
    ):
        r = client.get(path, headers={"accept-language": "da"}, follow_redirects=False)
        assert r.status_code == 403 and "Administrationen er slået fra" in r.text, path
        assert "ASSISTANT_ADMIN_PASSWORD" in r.text and "assistant.toml" in r.text
    r = client.post("/admin/signin", data={"password": ""}, headers={"accept-language": "sv"})
    assert r.status_code == 403 and "Administrationen är avstängd" in r.text and "set-cookie" not in r.headers
    assert "Sign in as admin first" not in client.get("/admin?lang=en").text
    r = client.post("/gradio_api/upload", files={"files": ("x.txt", b"hello")})
    assert r.status_code == 404  # members upload nothing


def test_sign_in_on_its_own_page_then_the_admin_app(assistant):
    client = TestClient(_server(assistant, PASSWORD))
    r = client.get("/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "admin/signin"
    r = client.get("/admin/signin", headers={"accept-language": "nb-NO"})
    assert r.status_code == 200 and "Logg inn som administrator" in r.text and 'lang="nb"' in r.text
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    for path in ("/admin/config", "/admin/gradio_api/info", "/admin/gradio_api/queue/join"):
        assert client.get(path).status_code == 401, path
    r = client.post("/admin/signin", data={"password": "nope", "lang": "sv"})
    assert r.status_code == 401 and "Fel lösenord." in r.text and AdminGate.COOKIE not in client.cookies
    r = client.post("/admin/signin", data={"password": PASSWORD, "lang": "sv"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "./"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert client.get("/admin/", follow_redirects=False).status_code == 200
    assert client.get("/admin/gradio_api/info").status_code == 200
    assert client.get("/admin/").headers["x-frame-options"] == "DENY"
    r = client.post("/admin/signout", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "signin?out=1"
    assert client.get("/admin/gradio_api/info").status_code == 401


def test_failed_sign_ins_lock_the_address_out_with_a_message(assistant):
    app = _server(assistant, PASSWORD)
    clock = Clock()
    app.state.admin_gate.guard.clock = clock
    client = TestClient(app, client=("10.0.0.5", 40000))
    for _ in range(4):
        assert client.post("/admin/signin", data={"password": "guess", "lang": "sv"}).status_code == 401
    r = client.post("/admin/signin", data={"password": "guess", "lang": "sv"})
    assert r.status_code == 429 and "För många misslyckade inloggningar. Försök igen om 60 s." in r.text
    assert r.headers["retry-after"] == "60"
    r = client.post("/admin/signin", data={"password": PASSWORD, "lang": "en"})  # the right one, too early
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text and AdminGate.COOKIE not in client.cookies
    other = TestClient(app, client=("10.0.0.6", 40000))
    assert other.post("/admin/signin", data={"password": PASSWORD}, follow_redirects=False).status_code == 303
    clock.now += 61
    assert client.post("/admin/signin", data={"password": PASSWORD}, follow_redirects=False).status_code == 303


# ---------- a real server on 127.0.0.1, driven with gradio_client ----------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live(assistant, password="", **kw):
    import uvicorn

    app = _server(assistant, password, **kw)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{server.config.port}/", app
    finally:
        server.should_exit = True
        thread.join(10)


def call(http: httpx.Client, prefix: str, api: str, data: list):
    """A Gradio API call as any HTTP client can make it (no client-side upload of files):
    (status, last event, its data)."""
    r = http.post(f"{prefix}gradio_api/call/{api}", json={"data": data})
    if r.status_code != 200:
        return r.status_code, None, r.text
    event_id = r.json()["event_id"]
    lines = http.get(f"{prefix}gradio_api/call/{api}/{event_id}", timeout=60).text.strip().splitlines()
    return 200, lines[-2].removeprefix("event: "), lines[-1].removeprefix("data: ")


def corpus_names(assistant) -> list[str]:
    return sorted(p.name for p in assistant.settings.path("corpus_dir").iterdir())


def test_without_a_password_nothing_admin_is_reachable(assistant, tmp_path):
    from gradio_client import Client, handle_file

    before = corpus_names(assistant)
    with live(assistant) as (url, _):
        member = Client(url, verbose=False)
        assert list(member.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ["/ask"]
        for api in ("/upload_documents", "/reindex", "/index_status", "/on_upload", "/on_reindex"):
            with pytest.raises(ValueError, match="Cannot find a function"):
                member.predict(handle_file(str(ROOT / "README.md")), False, "en", api_name=api)
        with pytest.raises(Exception):
            Client(url + "admin/", verbose=False)
        with httpx.Client(base_url=url) as http:
            for api, data in (
                (
                    "upload_documents",
                    [[{"path": str(ROOT / "README.md"), "meta": {"_type": "gradio.FileData"}}], False, "en"],
                ),
                ("reindex", ["en"]),
                ("index_status", ["en"]),
            ):
                status, _, text = call(http, "admin/", api, data)
                assert status == 403 and "Administration is off" in text
            # a server path named in the members' API is not copied into Gradio's cache (nor served from it)
            import gradio.utils

            cached = lambda: set(Path(gradio.utils.get_upload_folder()).glob("*/README.md"))  # noqa: E731
            copies = cached()
            readme = {"path": str(ROOT / "README.md"), "meta": {"_type": "gradio.FileData"}}
            status, event, _ = call(http, "", "ask", [readme, [], [], {}, [], [], "", "", "en"])
            assert (status, event) == (200, "error") and cached() == copies
    assert corpus_names(assistant) == before


def test_with_a_password_sign_in_upload_and_reindex_and_server_paths_are_refused(assistant, tmp_path, caplog):
    from gradio_client import Client, handle_file

    new = tmp_path / "2025-05-20_sv_nytt.txt"
    new.write_text(NEW_DOC, encoding="utf-8")
    before = corpus_names(assistant)
    with live(assistant, PASSWORD, upload_max_mb=1) as (url, app):
        with httpx.Client(base_url=url) as anonymous:
            for api, data in (("upload_documents", [[], False, "en"]), ("reindex", ["en"]), ("index_status", ["en"])):
                assert call(anonymous, "admin/", api, data)[0] == 401
        with pytest.raises(Exception):
            Client(url + "admin/", verbose=False)
        with httpx.Client(base_url=url) as http:
            assert http.post("admin/signin", data={"password": PASSWORD}).status_code == 303
            cookie = f"{AdminGate.COOKIE}={http.cookies[AdminGate.COOKIE]}"
            admin = Client(url + "admin/", headers={"Cookie": cookie}, verbose=False)
            assert set(admin.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {
                "/upload_documents",
                "/reindex",
                "/index_status",
            }
            assert "**5 dokument" in admin.predict("sv", api_name="/index_status")
            out = admin.predict([handle_file(str(new))], False, "sv", api_name="/upload_documents")
            assert "✔ sparad: 2025-05-20_sv_nytt.txt" in out and "Indexera om" in out
            log, status = admin.predict("sv", api_name="/reindex")
            assert log.startswith("Tillagda 1,") and "**6 dokument" in status
            # a crafted request naming a server path: refused (Gradio's own check, then ours), nothing saved
            for payload in (
                {"path": str(ROOT / "README.md"), "meta": {"_type": "gradio.FileData"}},
                {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}},
            ):
                status, event, data = call(http, "admin/", "upload_documents", [[payload], False, "en"])
                assert status == 200 and event == "error", data
            # the handler's own check, called as Gradio calls it, with a path that is in Gradio's cache
            on_upload = next(f for f in app.state.admin_app.fns.values() if f.name == "on_upload").fn

            class Request:
                username, cookies = "admin", {AdminGate.COOKIE: http.cookies[AdminGate.COOKIE]}
                client = type("Client", (), {"host": "10.9.8.7"})()

            import gradio.utils

            stray = Path(gradio.utils.get_upload_folder()) / "not-uploaded" / "README.md"
            stray.parent.mkdir(parents=True, exist_ok=True)
            stray.write_bytes((ROOT / "README.md").read_bytes())
            with caplog.at_level(logging.WARNING, logger="assistant.admin"):
                assert (
                    on_upload([str(stray)], False, "en", Request())
                    == "✘ README.md: not a file uploaded here; refused (the attempt is logged)"
                )
                assert on_upload([str(ROOT / "README.md")], True, "en", Request()).startswith("✘ README.md: not a file")
            assert [r for r in caplog.records if "10.9.8.7" in r.getMessage() and str(stray) in r.getMessage()]
            # over the app's limit (1 MB) but under Gradio's: the app's own message, not a bare 413
            big = tmp_path / "2025-06-01_sv_stor.txt"
            big.write_bytes(b"Protokoll. " * 150_000)
            out = admin.predict([handle_file(str(big))], False, "sv", api_name="/upload_documents")
            assert out == "✘ 2025-06-01_sv_stor.txt: 1.6 MB är över gränsen på 1 MB"
            # signed out: the same session cookie opens nothing any more, the handler refuses too
            http.post("admin/signout")
            assert (
                call(httpx.Client(base_url=url, headers={"Cookie": cookie}), "admin/", "index_status", ["en"])[0] == 401
            )
            assert (
                on_upload([str(new)], False, "sv", Request())
                == "Din administratörssession har tagit slut. Ladda om sidan och logga in igen."
            )
    assert corpus_names(assistant) == sorted(before + ["2025-05-20_sv_nytt.txt"])
