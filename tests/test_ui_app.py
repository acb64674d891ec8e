"""The Gradio app's handlers, called as Gradio would call them but without a server
(fake embedder, real index): asking, streaming states, follow-ups keeping their own
sources, feedback, the admin handlers' own checks, language updates and the document page."""
import json

import gradio as gr
import pytest

from assistant.answer.base import Waiting
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant
from assistant.core.i18n import catalogue
from assistant.app.web import build_app, make_server

QUESTION = "Hur många underskrifter fick namninsamlingen på några timmar?"


@pytest.fixture
def app(settings, fake_embedder):
    build_index(settings, fake_embedder)
    assistant = Assistant(settings, embedder=fake_embedder).warm_up()
    return assistant, build_app(assistant)


def handler(demo, name):
    return next(f for f in demo.fns.values() if f.name == name)


def run(demo, message, chat=(), history=(), answers=None, docs=(), langs=(), yf="", yt="", code="sv"):
    """All states `respond` yields, the way Gradio streams them to the page."""
    fn = handler(demo, "respond").fn
    return list(fn(message, list(chat), list(history), dict(answers or {}), list(docs), list(langs), yf, yt, code))


def test_app_builds_and_answers_several_members_at_once(app):
    _, demo = app
    assert demo.title == "Minutes assistant"     # replaced in the browser by the member's language
    chat_events = [f for f in demo.fns.values() if f.name in ("respond", "ask_example")]
    assert len(chat_events) == 3 and len({f.concurrency_id for f in chat_events}) == 1
    assert all(f.concurrency_limit >= 2 for f in chat_events)
    assert not [f for f in demo.fns.values() if f.name in ("on_upload", "on_reindex", "on_signin")]   # admin: /admin


def test_admin_actions_run_one_at_a_time(app):
    from assistant.app.admin import AdminGate
    from assistant.app.admin_web import build_admin_app

    assistant, _ = app
    admin = build_admin_app(assistant, AdminGate("s3cret-s3cret"))
    actions = [f for f in admin.fns.values() if f.name in ("on_upload", "on_reindex")]
    assert len(actions) == 2 and all(f.concurrency_limit == 1 and f.concurrency_id == "admin" for f in actions)


def test_bad_questions_show_the_message_and_run_nothing(app, monkeypatch):
    assistant, demo = app
    calls = []
    monkeypatch.setattr(assistant, "stream", lambda *a, **k: calls.append(a) or iter(()))
    for text, expected in (("   \n ", "Skriv en fråga."), ("x" * 5000, "Frågan är för lång")):
        (chat, history, answers, notice, msg), = run(demo, text)
        assert chat == [] and history == [] and notice["visible"] and expected in notice["value"]
        assert msg is not None and not isinstance(msg, str)   # gr.skip(): what was typed stays
    assert calls == []


def test_stream_states_then_the_answer_with_its_sources(app, monkeypatch):
    assistant, demo = app
    real = assistant.stream

    def queued(question, **kw):   # the real stream, queued behind two other questions
        items = real(question, **kw)
        yield next(items)
        yield Waiting(ahead=2)
        yield from items

    monkeypatch.setattr(assistant, "stream", queued)
    states = run(demo, QUESTION)
    bot = [s[0][-1]["content"] for s in states[1:]]
    assert states[0][0][-1]["content"] == "" and states[0][4] == ""      # question shown, box emptied
    assert "Läser" in bot[0] and "stycken ur" in bot[0]                  # Preview
    assert "2 frågor före din i kön" in bot[1]                           # Waiting
    assert '<a class="cite" href="#a1-s1"' in bot[-1] and 'id="a1-s1"' in bot[-1] and "Källor" in bot[-1]
    chat, history, answers = states[-1][:3]
    assert history[-1][0] == QUESTION and answers[1]["citations"][0]["n"] == 1 and answers[1]["question"] == QUESTION


def test_follow_up_keeps_the_first_answers_sources(app):
    _, demo = app
    chat, history, answers = run(demo, QUESTION)[-1][:3]
    first = chat[1]["content"]
    chat, history, answers = run(demo, "Vilka är hjärtefrågorna?", chat, history, answers)[-1][:3]
    assert chat[1]["content"] == first and 'id="a1-s1"' in first
    assert 'href="#a3-s1"' in chat[3]["content"] and 'id="a3-s1"' in chat[3]["content"]
    assert set(answers) == {1, 3} and len(history) == 2


def test_filters_that_exclude_everything_say_so(app):
    _, demo = app
    chat = run(demo, QUESTION, docs=["2021-09-14_da_projektplan-partnerskab-hk-rltn.md"], langs=["sv"])[-1][0]
    assert 'class="abstained reason-filters"' in chat[-1]["content"]
    assert "Inget dokument matchar dina filter" in chat[-1]["content"]
    summary = handler(demo, "on_filters").fn(["2021-09-14_da_projektplan-partnerskab-hk-rltn.md"], ["sv"], "", "", "sv")
    assert summary[0]["value"].endswith("Inga dokument matchar dina filter.") and summary[1]["visible"]
    assert summary[2]["label"] == "Filter på (2)"
    assert not handler(demo, "on_filters").fn([], [], "", "", "sv")[1]["visible"]


def test_thumbs_down_confirms_and_stores_a_reason_with_the_citations(app, settings):
    _, demo = app
    answers = run(demo, QUESTION)[-1][2]
    like = handler(demo, "on_like").fn
    msg, reason_row, fid = like(gr.LikeData(None, {"index": 1, "value": "", "liked": False}), answers, "da")
    assert "Tak! Din vurdering er gemt. Hvad var galt?" in msg["value"] and reason_row["visible"] and fid
    msg, reason_row, *_ = handler(demo, "on_reason").fn("Forkert kilde", fid, "da")
    assert msg["value"] == "Tak, det er gemt." and not reason_row["visible"]
    msg, reason_row, fid2 = like(gr.LikeData(None, {"index": 1, "value": "", "liked": True}), answers, "sv")
    assert msg["value"] == "Tack! Ditt omdöme är sparat." and not reason_row["visible"] and fid2 == ""
    down, up = [json.loads(line) for line in settings.path("feedback_file").read_text().splitlines()]
    assert (down["rating"], down["reason"], up["rating"]) == ("down", "Forkert kilde", "up")
    assert down["question"] == QUESTION and down["citations"] and down["citations"][0]["text"] in down["answer"]


class AdminRequest:
    """What Gradio hands an admin handler: the session cookie, the name its auth
    dependency gave, the client's address."""
    username = "admin"
    client = type("Client", (), {"host": "127.0.0.1"})()
    headers = {"accept-language": "sv"}

    def __init__(self, token=""):
        self.cookies = {"minutes_admin": token}


def test_admin_handlers_check_the_caller_themselves(settings, fake_embedder, tmp_path, monkeypatch):
    from assistant.app.admin import AdminGate
    from assistant.app.admin_web import build_admin_app

    build_index(settings, fake_embedder)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    gate = AdminGate("s3cret-s3cret")
    admin = build_admin_app(Assistant(settings, embedder=fake_embedder).warm_up(), gate)
    upload_file = tmp_path / "gradio" / "abc" / "2025-05-20_sv_nytt.txt"
    upload_file.parent.mkdir(parents=True)
    upload_file.write_text("Protokoll\n\nStyrelsen beslutade att sommarmötet hålls i Visby.\n", encoding="utf-8")
    admin.upload_file_set.add(str(upload_file))        # as Gradio's upload route records it
    upload, reindex, status = (handler(admin, n).fn for n in ("on_upload", "on_reindex", "on_status"))
    ended = "Din administratörssession har tagit slut. Ladda om sidan och logga in igen."
    for request in (AdminRequest(), AdminRequest("forged-token"), None):
        assert upload([str(upload_file)], False, "sv", request) == ended
        assert reindex("sv", request)[0] == ended and status("sv", request) == ended
    assert not (settings.path("corpus_dir") / upload_file.name).exists()
    signed = AdminRequest(gate.sign_in("127.0.0.1", "s3cret-s3cret").token)
    assert "✔ sparad: 2025-05-20_sv_nytt.txt" in upload([str(upload_file)], False, "sv", signed)
    assert "oförändrad: 2025-05-20_sv_nytt.txt" in upload([str(upload_file)], False, "sv", signed)
    assert upload([], False, "sv", signed) == "Inga filer valda."
    assert reindex("sv", signed)[0].startswith("Tillagda 1,") and "**6 dokument" in status("sv", signed)


def test_admin_page_labels_follow_the_language(app):
    from assistant.app.admin import AdminGate
    from assistant.app.admin_web import build_admin_app

    assistant, _ = app
    gate = AdminGate("s3cret-s3cret")
    admin = build_admin_app(assistant, gate)
    en, da = catalogue("en"), catalogue("da")
    english = {v for k, v in en.items() if isinstance(v, str) and v != da[k]}
    updates = handler(admin, "on_load").fn("da", AdminRequest(gate.sign_in("127.0.0.1", "s3cret-s3cret").token))
    texts = [str(u.get(key)) for u in updates for key in ("value", "label") if u.get(key)]
    assert "Logget ind som administrator." in texts and any("Log ud" in x for x in texts)
    assert not [x for x in texts if x in english or any(e in x for e in english if len(e) > 12)]
    assert all(u.get("visible", True) for u in updates)
    locked = handler(admin, "on_load").fn("da", AdminRequest("stale"))
    assert locked[2]["value"].startswith("Din administratorsession er udløbet") and locked[4]["visible"] is False


def test_every_label_follows_the_page_language(app):
    _, demo = app
    en, sv = catalogue("en"), catalogue("sv")
    english = {v for k, v in en.items() if isinstance(v, str) and v != sv[k]}
    on_load = handler(demo, "on_load").fn

    class Request:   # what Gradio passes: headers and the address's query
        headers = {"accept-language": "en-US"}
        query_params = {"admin": ""}   # the old way to the admin panel: nothing now

    updates = on_load("sv", Request())
    texts = [str(u.get(key)) for u in updates for key in ("value", "label", "placeholder", "info") if u.get(key)]
    texts += [str(c[0]) for u in updates for c in u.get("choices") or []]
    assert any("Protokollassistenten" in x for x in texts) and not any("dministrat" in x for x in texts)
    assert not [x for x in texts if x in english or any(e in x for e in english if len(e) > 12)]
    assert on_load("", Request())[1]["value"] == "en"     # no stored choice: the browser's language


def test_document_page_route(app, settings):
    from fastapi.testclient import TestClient

    assistant, demo = app
    source = "2023-03-17_sv_namninsamling-medicinska-sekreterare-norrbotten.txt"
    text = assistant.index.documents[source].text
    s = text.index("145 underskrifter")
    client = TestClient(make_server(assistant, demo, settings))
    r = client.get("/doc", params={"src": source, "s": s, "e": s + 17, "lang": "sv"})
    assert r.status_code == 200 and '<mark id="passage">145 underskrifter</mark>' in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert client.get("/doc", params={"src": "../../etc/passwd"}).status_code == 404
