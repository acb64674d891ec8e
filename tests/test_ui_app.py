"""The Gradio app's handlers, called as Gradio would call them but without a server
(fake embedder, real index): the question shown at once, then the documents found, then
the answer; questions queued behind the answer being made; ask again; the conversation
restored from the browser; new and earlier chats; follow-ups keeping their own sources;
feedback; the admin handlers' own checks; language updates and the document page."""

import json
import threading

import gradio as gr
import pytest

from assistant.answer.base import Waiting
from assistant.app.chat import Session
from assistant.app.web import build_app, make_server
from assistant.core.i18n import catalogue
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant

QUESTION = "Hur många underskrifter samlades in på några timmar?"


@pytest.fixture
def app(settings, fake_embedder):
    build_index(settings, fake_embedder)
    assistant = Assistant(settings, embedder=fake_embedder).warm_up()
    return assistant, build_app(assistant)


def handler(demo, name):
    return next(f for f in demo.fns.values() if f.name == name)


def send(demo, sess, message, docs=(), langs=(), yf="", yt="", code="sv"):
    """What pressing Send does at once: (chat, stored conversation, question box, notice)."""
    return handler(demo, "on_ask").fn(message, sess, list(docs), list(langs), yf, yt, code)


def work(demo, sess, code="sv"):
    """Every update the answering loop streams to the page: (chat, stored, Stop button)."""
    return list(handler(demo, "on_work").fn(sess, code))


def ask(demo, sess, message, **kw):
    send(demo, sess, message, **kw)
    return work(demo, sess, kw.get("code", "sv"))


def bot(chat, i=-1):
    return [m for m in chat if m["role"] == "assistant"][i]["content"]


def test_app_builds_and_answers_several_members_at_once(app):
    _, demo = app
    assert demo.title == "Minutes assistant"  # replaced in the browser by the member's language
    loops = [f for f in demo.fns.values() if f.name == "on_work"]
    assert len(loops) == 4 and len({f.concurrency_id for f in loops}) == 1  # Send, Enter, an example, ask again
    assert all(f.concurrency_limit >= 2 for f in loops)
    quick = [f for f in demo.fns.values() if f.name in ("on_ask", "on_example", "on_retry")]
    assert len(quick) == 4 and all(f.concurrency_limit is None and f.trigger_mode == "multiple" for f in quick)
    assert not [f for f in demo.fns.values() if f.name in ("on_upload", "on_reindex", "on_signin")]  # admin: /admin


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
    sess = Session()
    for text, expected in (("   \n ", "Skriv en fråga."), ("x" * 5000, "Frågan är för lång")):
        chat, stored, msg, notice = send(demo, sess, text)
        assert notice["visible"] and expected in notice["value"] and sess.conv["turns"] == []
        assert chat == stored == msg == gr.skip()  # the chat as it was, what was typed stays
    assert work(demo, sess) == [(gr.skip(),) * 3] and calls == [] and not sess.busy


def test_the_question_shows_before_anything_runs(app, monkeypatch):
    """The follow-up rewrite can take ~20 s with the language model: the question is on
    the screen before any of it runs."""
    assistant, demo = app
    monkeypatch.setattr(assistant, "query", lambda *a, **k: pytest.fail("query ran before the question was shown"))
    chat, stored, msg, notice = send(demo, Session(), QUESTION)
    assert chat[0] == {"role": "user", "content": QUESTION} and "Söker i dokumenten …" in bot(chat)
    assert msg == "" and not notice["visible"]
    # stored at once: a reload before the answer finds the question, not answered, to ask again
    assert stored["turns"][0]["q"] == QUESTION and stored["turns"][0]["state"] == "lost"


def test_the_documents_found_show_then_the_answer_with_its_sources(app, monkeypatch):
    assistant, demo = app
    real = assistant.stream

    def queued(question, **kw):  # the real stream, queued behind two other questions
        items = real(question, **kw)
        yield next(items)
        yield Waiting(ahead=2)
        yield from items

    monkeypatch.setattr(assistant, "stream", queued)
    sess = Session()
    states = ask(demo, sess, QUESTION)
    shown = [bot(s[0]) for s in states if isinstance(s[0], list)]
    assert "Söker i dokumenten …" in shown[0] and states[0][2]["visible"]  # Stop shows while it works
    found = shown[1]
    assert "Hittat i " in found and '<ul class="found-list">' in found and "Bättre arbetsvillkor" in found
    assert "Svaret skrivs …" in found and "2 frågor före din i kön" in shown[2]  # Preview, then Waiting
    final = shown[-1]
    assert '<a class="cite" href="#a1-s1"' in final and 'id="a1-s1"' in final and "Källor" in final
    assert 'class="answer-tools" id="a1-tools"' in final and "Hittat i" not in final  # the answer replaces the list
    assert states[-1][2]["visible"] is False  # and Stop goes
    stored = [s[1] for s in states if isinstance(s[1], dict) and "turns" in s[1]]
    assert len(stored) == 1 and stored[0]["turns"][0]["state"] == "done"  # stored once, when finished
    rec = stored[0]["turns"][0]["rec"]
    assert rec["question"] == QUESTION and rec["citations"][0]["n"] == 1 and rec["answer"].startswith("I dokumenten:")
    assert rec["citations"][0]["text"] in rec["answer"] and stored[0]["turns"][0]["html"] == final


def test_a_question_sent_while_answering_is_queued_then_answered(app, monkeypatch):
    assistant, demo = app
    real, release, started = assistant.stream, threading.Event(), threading.Event()

    def slow(query, **kw):
        items = real(query, **kw)
        yield next(items)
        started.set()
        assert release.wait(10)
        yield from items

    monkeypatch.setattr(assistant, "stream", slow)
    sess, first = Session(), []
    send(demo, sess, QUESTION)
    loop = threading.Thread(target=lambda: first.extend(work(demo, sess)))
    loop.start()
    assert started.wait(10)
    chat, stored, msg, _ = send(demo, sess, "Vem är ledare för Helsesekretærforbundet i Delta?")
    assert [m["role"] for m in chat] == [
        "user",
        "assistant",
    ] * 2 and "I kön: besvaras när svaret ovanför är klart" in bot(chat)
    assert work(demo, sess) == [(gr.skip(), gr.skip(), gr.skip())]  # its own loop leaves it to the one running
    release.set()
    loop.join(20)
    chat = first[-2][0]
    assert "Hur många" in chat[0]["content"] and "145 underskrifter" in bot(chat, 0)
    assert "Helsesekretærforbundet" in chat[2]["content"] and "Gro Bengtson" in bot(chat, 1)
    assert [x["state"] for x in sess.conv["turns"]] == ["done", "done"] and not sess.busy
    assert first[-1][2]["visible"] is False


def test_follow_up_keeps_the_first_answers_sources(app):
    _, demo = app
    sess = Session()
    first = bot(ask(demo, sess, QUESTION)[-2][0])
    chat = ask(demo, sess, "Vilka är hjärtefrågorna?")[-2][0]
    assert bot(chat, 0) == first and 'id="a1-s1"' in first
    assert 'href="#a2-s1"' in bot(chat) and 'id="a2-s1"' in bot(chat)


def test_ask_again_asks_the_same_question_with_its_own_context(app, monkeypatch):
    assistant, demo = app
    sess = Session()
    ask(demo, sess, QUESTION)
    ask(demo, sess, "Vem är ledare för Helsesekretærforbundet i Delta?")
    seen = []
    real = assistant.query
    monkeypatch.setattr(
        assistant, "query", lambda text, history, **kw: seen.append((text, list(history))) or real(text, history, **kw)
    )
    chat, *_ = handler(demo, "on_retry").fn("1", sess, [], [], "", "", "sv")
    assert chat[-2] == {"role": "user", "content": QUESTION} and "Söker" in bot(chat)
    chat = work(demo, sess)[-2][0]
    assert len(chat) == 6 and "145 underskrifter" in bot(chat) and 'id="a3-s1"' in bot(chat)
    assert seen == [(QUESTION, [])]  # asked as it was first: nothing before it to follow up
    assert handler(demo, "on_retry").fn("99", sess, [], [], "", "", "sv") == (gr.skip(),) * 4  # no such answer
    assert handler(demo, "on_retry").fn("<x>", sess, [], [], "", "", "sv") == (gr.skip(),) * 4


def test_the_conversation_comes_back_from_the_browser(app, monkeypatch):
    assistant, demo = app
    sess = Session()
    states = ask(demo, sess, QUESTION)
    stored = [s[1] for s in states if isinstance(s[1], dict) and "turns" in s[1]][-1]
    stored = json.loads(json.dumps(stored))  # what the browser keeps: JSON
    page = Session()  # the page reloaded: a new session
    chat, again, *_ = handler(demo, "on_restore").fn(stored, [], page, "sv")
    assert chat == states[-2][0] and again["turns"] == stored["turns"]
    # a follow-up asked after the reload follows the stored answer
    seen = []
    real = assistant.query
    monkeypatch.setattr(
        assistant, "query", lambda text, history, **kw: seen.append(list(history)) or real(text, history, **kw)
    )
    ask(demo, page, "Och hur många timmar tog det?")
    assert seen == [[(QUESTION, stored["turns"][0]["rec"]["answer"])]]
    # something else in the browser's storage is no conversation: an empty chat
    for junk in (None, "x", {"turns": "x"}, {"turns": [{"q": 5}, "x", {"k": "1", "q": "?"}]}):
        chat, conv, *_ = handler(demo, "on_restore").fn(junk, [], Session(), "sv")
        assert chat == [] and conv["turns"] == []


def test_new_chat_keeps_the_old_one_to_reopen_and_the_bin_forgets(app):
    _, demo = app
    sess = Session()
    ask(demo, sess, QUESTION)
    first_id = sess.conv["id"]
    chat, stored, past, radio, box, *_ = handler(demo, "on_new").fn(sess, [], "sv")
    assert chat == [] and stored["turns"] == [] and [p["id"] for p in past] == [first_id]
    from assistant.core.i18n import human_date

    assert (
        radio["choices"]
        == [
            (
                f"Hur många underskrifter samlades in på några timmar? · {human_date(past[0]['ts'][:10], 'sv')}",
                first_id,
            )
        ]
        and radio["value"] is None
    )
    assert box["visible"] and box["label"] == "Tidigare samtal (1)"
    ask(demo, sess, "Vem är ledare för Helsesekretærforbundet i Delta?")
    chat, stored, past, radio, box, *_ = handler(demo, "on_open").fn(first_id, sess, past, "sv")
    assert "145 underskrifter" in bot(chat) and stored["id"] == first_id and sess.conv["id"] == first_id
    assert len(past) == 1 and "Helsesekretærforbundet" in past[0]["turns"][0]["q"]  # the other one waits there now
    assert handler(demo, "on_open").fn("no-such-chat", sess, past, "sv")[0] == gr.skip()
    chat, stored, past2, *_ = handler(demo, "on_clear").fn(sess, past, "sv")
    assert chat == [] and stored["turns"] == [] and past2 == past  # forgotten, not kept


def test_filters_that_exclude_everything_say_so(app):
    _, demo = app
    chat = ask(demo, Session(), QUESTION, docs=["2021-09-14_da_projektplan-partnerskab-hk-rltn.md"], langs=["sv"])[-2][
        0
    ]
    assert 'class="abstained reason-filters"' in bot(chat) and "Inget dokument matchar dina filter" in bot(chat)
    summary = handler(demo, "on_filters").fn(["2021-09-14_da_projektplan-partnerskab-hk-rltn.md"], ["sv"], "", "", "sv")
    assert summary[0]["value"].endswith("Inga dokument matchar dina filter.") and summary[1]["visible"]
    assert summary[2]["label"] == "Filter på (2)"
    assert not handler(demo, "on_filters").fn([], [], "", "", "sv")[1]["visible"]


def test_thumbs_down_confirms_and_stores_a_reason_with_the_citations(app, settings):
    _, demo = app
    sess = Session()
    ask(demo, sess, QUESTION)
    like = handler(demo, "on_like").fn
    box, msg, reason_row, fid = like(gr.LikeData(None, {"index": 1, "value": "", "liked": False}), sess, "da")
    assert (
        box["visible"]
        and "Tak! Din vurdering er gemt. Hvad var galt?" in msg["value"]
        and reason_row["visible"]
        and fid
    )
    msg, reason_row, *_ = handler(demo, "on_reason").fn("Forkert kilde", fid, "da")
    assert msg["value"] == "Tak, det er gemt." and not reason_row["visible"]
    box, msg, reason_row, fid2 = like(gr.LikeData(None, {"index": 1, "value": "", "liked": True}), sess, "sv")
    assert msg["value"] == "Tack! Ditt omdöme är sparat." and not reason_row["visible"] and fid2 == ""
    down, up = [json.loads(line) for line in settings.path("feedback_file").read_text().splitlines()]
    assert (down["rating"], down["reason"], up["rating"]) == ("down", "Forkert kilde", "up")
    assert down["question"] == QUESTION and down["citations"] and down["citations"][0]["text"] in down["answer"]
    # a message that is not a finished answer stores nothing
    send(demo, sess, "Vem är ledare för Helsesekretærforbundet i Delta?")
    assert like(gr.LikeData(None, {"index": 3, "value": "", "liked": True}), sess, "sv") == (gr.skip(),) * 4
    assert len(settings.path("feedback_file").read_text().splitlines()) == 2


def test_the_api_answers_one_question_with_its_citations(app):
    _, demo = app
    ask_api = handler(demo, "ask").fn
    out = ask_api(QUESTION, "sv")
    assert "145 underskrifter" in out["answer"] and out["citations"][0]["title"].startswith("Bättre arbetsvillkor")
    assert out["abstained"] is False and out["language"] == "sv"
    with pytest.raises(gr.Error, match="Skriv en fråga"):
        ask_api("  ", "sv")
    with pytest.raises(gr.Error, match="too long|för lång"):
        ask_api("x" * 5000, "xx")


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
    admin.upload_file_set.add(str(upload_file))  # as Gradio's upload route records it
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

    class Request:  # what Gradio passes: headers and the address's query
        headers = {"accept-language": "en-US"}
        query_params = {"admin": ""}  # the old way to the admin panel: nothing now

    updates = on_load("sv", Request())
    texts = [str(u.get(key)) for u in updates for key in ("value", "label", "placeholder", "info") if u.get(key)]
    texts += [str(c[0]) for u in updates for c in u.get("choices") or []]
    assert any("Protokollassistenten" in x for x in texts) and not any("dministrat" in x for x in texts)
    assert not [x for x in texts if x in english or any(e in x for e in english if len(e) > 12)]
    assert on_load("", Request())[1]["value"] == "en"  # no stored choice: the browser's language


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
