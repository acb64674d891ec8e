"""The member's conversation without a server (assistant/app/chat.py): what comes back
from the browser is checked, earlier chats stay bounded, one loop per page answers the
questions in turn (none left waiting), and Stop ends a slow model's call with the quotes."""

import json
import threading
import time

import pytest
from fake_chat_app import SlowModel, fake_assistant

from assistant.app.chat import (
    MAX_PAST,
    MAX_TURNS,
    PAST_BUDGET,
    Session,
    answer_turns,
    filter_values,
    frozen,
    history,
    messages,
    new_conversation,
    past_choices,
    remember,
    restored,
)
from assistant.app.ui import citation_records, make_filters

QUESTION = "Hur många underskrifter samlades in på några timmar?"


def turn(k, q="Fråga?", state="done", html="<p>svar</p>", answer="svar", ctx=None):
    return {
        "k": k,
        "q": q,
        "state": state,
        "html": html,
        "ctx": k - 1 if ctx is None else ctx,
        "flt": [[], [], "", ""],
        "rec": {"question": q, "answer": answer, "language": "sv", "backend": "extractive", "citations": []},
    }


def test_a_stored_conversation_is_checked_when_it_comes_back():
    stored = {
        "id": "c1",
        "ts": "2025-05-20T10:00:00",
        "next": 3,
        "turns": [
            turn(1, "Första?"),
            turn(2, "Andra?", state="writing", html="<p>halv</p>"),
            turn(2, "Samma nummer?"),
            {"k": 4, "q": "x" * 5000, "state": "done", "html": "<p>a</p>"},
            {"k": 5, "q": "   "},
            "inte en tur",
            {"k": "6", "q": "Text?"},
            turn(7, "Utan svar?", html=""),
        ],
    }
    conv = restored(json.loads(json.dumps(stored)), max_question_chars=1000)
    assert [(x["k"], x["state"]) for x in conv["turns"]] == [(1, "done"), (2, "lost"), (4, "done"), (7, "lost")]
    assert conv["turns"][1]["html"] == "" and conv["turns"][1]["rec"] is None  # unfinished: not answered, ask again
    assert len(conv["turns"][2]["q"]) == 1000 and conv["next"] == 8 and conv["id"] == "c1"
    assert history(conv, {"ctx": 4}) == [("Första?", "svar")]
    # what thumbs store comes back bounded and in its own shape
    forged = turn(1, "Första?")
    forged["rec"].update(answer="x" * 10**6, language=["sv"], citations=[{"n": 1, "text": "y" * 10**5, "evil": 1}] * 50)
    rec = restored({"turns": [forged]})["turns"][0]["rec"]
    assert len(rec["answer"]) == 20_000 and rec["language"] == "" and len(rec["citations"]) == 20
    assert rec["citations"][0] == {"n": 1, "text": "y" * 4000}
    assert restored({"turns": [dict(turn(1), rec="x")]})["turns"][0]["rec"] is None
    huge = {"turns": [turn(k, html="x" * 150_000) for k in range(1, 30)]}
    assert [x["k"] for x in restored(huge)["turns"]] == list(range(17, 30))  # the newest 13 fit in 2 MB
    many = {"turns": [turn(k) for k in range(1, 80)]}
    assert [x["k"] for x in restored(many)["turns"]] == list(range(80 - MAX_TURNS, 80))
    assert filter_values([["a.txt", 5], "sv", "2020", {"x": 1}]) == [["a.txt"], [], "2020", ""]
    assert filter_values("junk") == [[], [], "", ""]
    # what the page shows for each: the answer, or "not answered" with ask again
    shown = messages(conv, "en")
    assert shown[0] == {"role": "user", "content": "Första?"} and shown[1]["content"] == "<p>svar</p>"
    assert "Not answered: the page was closed" in shown[3]["content"] and 'id="a2-tools"' in shown[3]["content"]


def test_earlier_chats_are_bounded_newest_first():
    past = []
    for i in range(MAX_PAST + 3):
        conv = new_conversation()
        conv["turns"] = [turn(1, f"Fråga nummer {i}?")]
        past = remember(past, conv)
    assert len(past) == MAX_PAST and past[0]["turns"][0]["q"] == f"Fråga nummer {MAX_PAST + 2}?"
    assert remember(past, new_conversation()) == past  # an empty chat is not kept
    again = remember(past, past[3])
    assert [p["id"] for p in again].count(past[3]["id"]) == 1 and again[0]["id"] == past[3]["id"]
    big = new_conversation()
    big["turns"] = [turn(k, html="x" * 100_000) for k in range(1, 10)]
    kept = remember(past, big)
    assert len(json.dumps(kept)) <= PAST_BUDGET and kept[0]["id"] == big["id"]
    label, cid = past_choices(kept, "sv")[1]
    assert cid == past[0]["id"] and label.startswith(f"Fråga nummer {MAX_PAST + 2}? · ")
    assert past_choices(["x", {"id": 3}, {"id": "a", "turns": []}], "sv") == []


def test_one_loop_per_page_and_no_question_is_left_waiting():
    sess = Session()
    first = sess.ask("Första?", [[], [], "", ""])
    assert first["state"] == "searching" and sess.claim() and not sess.claim()  # one loop answers
    assert sess.next_turn() is first and first["state"] == "searching"
    second = sess.ask("Andra?", [[], [], "", ""])
    assert second["state"] == "queued" and second["ctx"] == 1
    sess.show(first, "done", "<p>1</p>")
    assert sess.next_turn() is second and sess.busy
    sess.show(second, "done", "<p>2</p>")
    assert sess.next_turn() is None and not sess.busy and sess.idle.is_set()  # released in the same step
    third = sess.ask("Tredje?", [[], [], "", ""])
    assert third["state"] == "searching" and sess.claim()  # so its own loop takes it
    assert (
        frozen(sess.conv)["turns"][2]["state"] == "lost" and third["state"] == "searching"
    )  # stored as not answered yet


def test_a_new_chat_stops_the_answer_and_drops_the_queue():
    sess = Session()
    sess.ask("Första?", [[], [], "", ""])
    sess.claim()
    busy = sess.next_turn()
    sess.ask("I kön?", [[], [], "", ""])

    def loop():  # what answer_turns does when Stop arrives: the answer ends, the next question is taken
        assert sess.stop.wait(5)
        sess.show(busy, "done", "<p>stoppat</p>")
        assert sess.next_turn() is None

    threading.Thread(target=loop).start()
    old = sess.replace(new_conversation())
    assert [(x["q"], x["state"]) for x in old["turns"]] == [("Första?", "done")] and sess.conv["turns"] == []
    assert not sess.busy


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    model = SlowModel(responses=["x"], delay=0.0)
    return fake_assistant(tmp_path_factory.mktemp("chat"), model), model


def run(assistant, sess, lang="sv"):
    return list(answer_turns(assistant, sess, lang, make_filters, citation_records))


def test_stop_ends_the_model_call_and_shows_the_quotes_with_a_note(slow):
    assistant, model = slow
    model.delay, model.stopped = 30.0, 0
    sess = Session()
    sess.ask(QUESTION, [[], [], "", ""])
    done = threading.Event()
    threading.Thread(target=lambda: (run(assistant, sess), done.set())).start()
    deadline = time.monotonic() + 10
    while sess.conv["turns"][0]["state"] != "found" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sess.conv["turns"][0]["state"] == "found" and "Hittat i" in sess.conv["turns"][0]["html"]
    time.sleep(0.3)  # the model is writing
    t0 = time.monotonic()
    sess.stop.set()
    assert done.wait(5)
    took = time.monotonic() - t0
    x = sess.conv["turns"][0]
    assert took < 2 and x["state"] == "done" and "145 underskrifter" in x["html"] and "Stoppat;" in x["html"]
    deadline = time.monotonic() + 1
    while model.stopped == 0 and time.monotonic() < deadline:  # the model sees it at its next step
        time.sleep(0.02)
    assert x["rec"]["backend"] == "selector→extractive" and model.stopped == 1 and not sess.busy
    # the next question is not stopped by the last one's Stop
    model.delay = 0.0
    sess.ask(QUESTION, [[], [], "", ""])
    run(assistant, sess)
    assert sess.conv["turns"][1]["rec"]["backend"] == "selector" and "Stoppat" not in sess.conv["turns"][1]["html"]


def test_a_page_that_goes_away_ends_its_model_call(slow):
    assistant, model = slow
    model.delay, model.stopped = 30.0, 0
    sess = Session()
    sess.ask(QUESTION, [[], [], "", ""])
    loop = answer_turns(assistant, sess, "sv", make_filters, citation_records)
    while sess.conv["turns"][0]["state"] != "found":
        next(loop)
    time.sleep(0.3)
    loop.close()  # Gradio closes the generator of a page that went away
    deadline = time.monotonic() + 3
    while model.stopped == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert model.stopped == 1 and sess.stop.is_set() and not sess.busy
    assert sess.conv["turns"][0]["state"] == "lost"
    model.delay = 0.0
