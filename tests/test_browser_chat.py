"""The member's chat in headless Debian Chromium, fast: the app in this process over the
shipped corpus with the fake embedder and a fake language model whose answer takes as
long as the test says (`fake_chat_app.SlowModel`). What it checks, as a Swedish member:

- the question shows at once, the documents found within 0.5 s of the click (measured in
  the page), and the answer in their place; thumbs only under a finished answer;
- a question sent while an answer is being made is queued, shown as queued, answered next;
- Stop ends a slow model's call: the quotes with the stopped note, within a second or two;
- copy puts the answer with its sources on the clipboard; ask again asks it again;
- a reload keeps the chat (and the follow-up history, from the browser); a new chat keeps
  the old one to reopen;
- axe-core finds nothing on the start page, an answer with its sources open, and /doc;
  every control shows a visible focus; at 375 px the title and the start screen read whole.

Timings go to artifacts/browser-chat-timings.json."""

import json
import time

import pytest
from conftest import ROOT
from fake_chat_app import Served, SlowModel, fake_assistant
from test_browser import CHROMIUM, FLAGS, english_ui_text, in_view

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"
BOT, USER = "#chat [data-testid='bot']", "#chat [data-testid='user']"
Q1 = "Hur många underskrifter samlades in på några timmar?"
Q2 = "Vem leder Helsesekretærforbundet i Delta i dag?"
Q3 = "När ska utredningen om skyddad titel vara klar?"
TIMINGS: dict = {}

# in the page: when Send was clicked, and when the first list of documents found appeared
CLOCK_JS = """() => {
  window.minutesClock = {};
  document.querySelector('#send').addEventListener('click', () => { window.minutesClock.click = performance.now(); },
                                                   {capture: true, once: true});
  const seen = new MutationObserver(() => {
    if (document.querySelector("#chat [data-testid=user]") && !window.minutesClock.question)
      window.minutesClock.question = performance.now();
    if (document.querySelector("#chat [data-testid=bot] .found-list") && !window.minutesClock.found) {
      window.minutesClock.found = performance.now();
      seen.disconnect();
    }
  });
  seen.observe(document.body, {subtree: true, childList: true});
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from assistant.app.web import warm

    model = SlowModel(responses=["x"], delay=1.0)
    assistant = warm(fake_assistant(tmp_path_factory.mktemp("chat"), model))
    asked = []  # (question, history) as the page hands them to the pipeline
    query = assistant.query
    assistant.query = lambda text, history=(), **kw: asked.append((text, list(history))) or query(text, history, **kw)
    served = Served(assistant)
    yield served.url, model, asked
    served.stop()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-chat-timings.json").write_text(json.dumps(TIMINGS, indent=1))


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM or not __import__("pathlib").Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_chat(context, url, width=1300, height=1000):
    pg = context.new_page()
    pg.set_viewport_size({"width": width, "height": height})
    pg.goto(url, wait_until="load")
    pg.wait_for_selector("#question textarea", timeout=60000)
    pg.wait_for_function("document.title === 'Protokollassistenten'", timeout=30000)
    pg.wait_for_timeout(500)
    return pg


def axe(pg) -> list[dict]:
    """axe-core's violations on the page (every rule it runs by default)."""
    pg.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return pg.evaluate("""async () => (await axe.run(document)).violations.map(v => ({id: v.id, impact: v.impact,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary.slice(0, 200))}))""")


def answered(pg, i: int, timeout=30000) -> str:
    """The text of answer i once it is finished (its sources or an abstention)."""
    nth = f'document.querySelectorAll("{BOT}")[{i}]'
    pg.wait_for_function(f"{nth} && {nth}.querySelector('.sources, .abstained')", timeout=timeout)
    return pg.locator(BOT).nth(i).inner_text()


def visible_thumbs(pg, i: int) -> int:
    """Thumbs shown under message i of the chat (user and bot messages counted)."""
    return pg.evaluate(
        """(i) => { const rows = [...document.querySelectorAll('#chat .message-row')];
      let n = rows[i].nextElementSibling, shown = 0;
      while (n && !n.classList.contains('message-row')) {
        if (n.matches('.message-buttons') && n.offsetParent !== null) shown += n.querySelectorAll('button').length;
        n = n.nextElementSibling; }
      return shown + [...rows[i].querySelectorAll('.message-buttons button')].filter(b => b.offsetParent !== null).length; }""",
        i,
    )


def test_sources_first_queue_stop_copy_retry_reload_and_no_axe_violations(browser, served):
    url, model, asked = served
    ctx = browser.new_context(locale="sv-SE")
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    pg = open_chat(ctx, url)
    assert english_ui_text(pg) == []
    assert (start := axe(pg)) == [], start
    TIMINGS["axe_start"] = 0

    # the question at once, the documents found within 0.5 s of the click, then the answer in their place
    model.delay = 1.0
    pg.evaluate(CLOCK_JS)
    pg.fill("#question textarea", Q1)
    t0 = time.perf_counter()
    pg.click("#send")
    pg.wait_for_selector(f"{BOT} .found-list", timeout=10000)
    seen_s = time.perf_counter() - t0
    clock = pg.evaluate("window.minutesClock")
    question_s, found_s = (clock["question"] - clock["click"]) / 1000, (clock["found"] - clock["click"]) / 1000
    TIMINGS.update(
        question_on_screen_s=round(question_s, 3),
        evidence_on_screen_s=round(found_s, 3),
        evidence_seen_by_test_s=round(seen_s, 3),
    )
    assert question_s < 0.5 and found_s < 0.5, clock
    found = pg.locator(BOT).first.inner_text()
    assert found.startswith("Hittat i ") and "Bättre arbetsvillkor för medicinska sekreterare!" in found, found
    assert pg.locator(USER).first.inner_text() == Q1 and visible_thumbs(pg, 1) == 0  # no thumbs before an answer
    assert pg.locator("#stop").is_visible()
    first = answered(pg, 0)
    assert "145 underskrifter" in first and "Källor" in first and "Hittat i" not in first
    assert visible_thumbs(pg, 1) == 2 and pg.locator("#stop").is_hidden()

    # a question sent while an answer is being made waits, shown as queued, and is answered next
    model.delay = 2.0
    pg.fill("#question textarea", Q2)
    pg.press("#question textarea", "Enter")
    pg.wait_for_selector(f"{BOT} >> nth=1 >> .found-list", timeout=10000)
    pg.fill("#question textarea", Q3)
    pg.click("#send")
    pg.wait_for_function(f'document.querySelectorAll("{BOT}").length === 3', timeout=10000)
    assert pg.locator(BOT).nth(2).inner_text().startswith("I kön: besvaras när svaret ovanför är klart")
    assert pg.locator(USER).nth(2).inner_text() == Q3 and visible_thumbs(pg, 5) == 0
    assert "Gro Bengtson" in answered(pg, 1)
    assert "Utredningen ska vara klar 30 maj 2025." in answered(pg, 2)
    # [1] of the first answer, right after the last one came: Gradio scrolls the chat to its end
    # 300 ms after an update, and the source must stay in view
    pg.locator(BOT).first.locator("a.cite").first.click()
    pg.wait_for_timeout(600)
    assert in_view(pg, "#a1-s1 summary")
    pg.evaluate("document.getElementById('a1-s1').open = false")

    # Stop: the model call ends, the quotes show with the note, quickly
    model.delay, model.stopped = 60.0, 0
    pg.fill("#question textarea", Q1)
    pg.click("#send")
    pg.wait_for_selector(f"{BOT} >> nth=3 >> .found-list", timeout=10000)
    pg.wait_for_timeout(300)
    t1 = time.perf_counter()
    pg.click("#stop")
    stopped = answered(pg, 3, timeout=10000)
    TIMINGS["stop_to_answer_s"] = round(time.perf_counter() - t1, 3)
    assert TIMINGS["stop_to_answer_s"] < 2.5 and "Stoppat; här är de stycken som bäst matchar frågan." in stopped
    assert "145 underskrifter" in stopped and model.stopped == 1
    pg.wait_for_selector("#stop", state="hidden", timeout=5000)
    model.delay = 0.2

    # copy: the answer with its sources and quotes, as text
    pg.locator(BOT).first.locator(".copy-answer").click()
    pg.wait_for_function("window.minutesCopied !== undefined")
    copied = pg.evaluate("navigator.clipboard.readText()")
    assert copied == pg.evaluate("window.minutesCopied") and "<" not in copied
    assert (
        copied.startswith("I dokumenten:")
        and "\nKällor:\n[1] Bättre arbetsvillkor för medicinska sekreterare! · 17 mars 2023" in copied
    )
    assert "“145 underskrifter på bara några timmar!”" in copied.split("Källor:")[1]
    assert "Kopierat" in pg.locator(BOT).first.locator(".copy-answer").inner_text()

    # ask again: the same question, answered again at the end of the chat
    pg.locator(BOT).nth(1).locator(".retry-answer").click()
    pg.wait_for_function(f'document.querySelectorAll("{BOT}").length === 5', timeout=10000)
    assert pg.locator(USER).nth(4).inner_text() == Q2 and "Gro Bengtson" in answered(pg, 4)

    # the first answer with its sources open, and the document page it links to: no violations
    pg.locator(BOT).first.locator("details.src summary").first.click()
    pg.wait_for_timeout(300)
    assert (answer_page := axe(pg)) == [], answer_page
    marked = pg.locator("mark", has_text="145 underskrifter")
    source = pg.locator(BOT).first.locator("details.src").filter(has=marked).first
    href = source.locator("a.open-doc").get_attribute("href")
    doc = browser.new_context(locale="sv-SE", bypass_csp=True).new_page()  # the page's CSP forbids any script
    doc.goto(url + href, wait_until="load")
    assert "145 underskrifter" in doc.inner_text("#passage")
    assert (doc_page := axe(doc)) == [], doc_page
    TIMINGS.update(axe_answer=0, axe_doc=0)

    # a reload keeps the chat, and a follow-up follows what the browser kept
    pg.evaluate("document.querySelectorAll('#chat details[open]').forEach((d) => { d.open = false; })")
    pg.wait_for_function(
        "!document.querySelector('#chat .copy-answer').innerText.includes('Kopierat')"
    )  # back after 2 s
    before = [pg.locator(BOT).nth(i).inner_text() for i in range(5)]
    pg.reload(wait_until="load")
    pg.wait_for_function(f'document.querySelectorAll("{BOT}").length === 5', timeout=30000)
    assert [pg.locator(BOT).nth(i).inner_text() for i in range(5)] == before
    assert [pg.locator(USER).nth(i).inner_text() for i in range(5)] == [Q1, Q2, Q3, Q1, Q2]
    pg.fill("#question textarea", "Och hur många timmar tog det?")
    pg.click("#send")
    answered(pg, 5)
    text, hist = asked[-1]
    assert text == "Och hur många timmar tog det?" and [q for q, _ in hist] == [Q1, Q2, Q3, Q1, Q2]
    assert "145 underskrifter" in hist[0][1]

    # a new chat; the old one waits under "Tidigare samtal" and opens again
    pg.click("#new-chat")
    pg.wait_for_function(f'document.querySelectorAll("{BOT}").length === 0', timeout=10000)
    assert "Tidigare samtal (1)" in pg.inner_text("#past-box")
    pg.click("#past-box .label-wrap")
    pg.locator("#past-chats label").first.click()
    pg.wait_for_function(f'document.querySelectorAll("{BOT}").length === 6', timeout=10000)
    assert pg.locator(BOT).first.inner_text() == before[0]
    pg.screenshot(path=str(ARTIFACTS / "chat-sv-desktop.png"))


def test_every_control_shows_its_focus(browser, served):
    url, model, _ = served
    model.delay = 0.0
    pg = open_chat(browser.new_context(locale="sv-SE"), url)
    pg.fill("#question textarea", Q1)
    pg.click("#send")
    answered(pg, 0)
    pg.locator(BOT).first.locator("details.src summary").first.click()
    pg.locator("#question textarea").focus()
    seen, unseen = [], []
    for _ in range(40):  # Tab from the question box through the page (and round again)
        pg.keyboard.press("Tab")
        el = pg.evaluate("""() => { const e = document.activeElement, cs = getComputedStyle(e);
          return {what: e.tagName + (e.id ? '#' + e.id : '') + '.' + (e.className || '').toString().split(' ')[0]
                        + ' ' + (e.innerText || e.value || e.getAttribute('aria-label') || '').slice(0, 20),
                  outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2,
                  visible: e.getBoundingClientRect().width > 0}; }""")
        if el["what"].startswith("BODY"):
            continue
        (seen if el["outline"] else unseen).append(el["what"])
    assert len(set(seen)) >= 10 and unseen == [], (unseen, seen)
    # a thumbs down opens its own box with a Save button: not a second Send above the question's
    pg.locator("#chat button[aria-label='Dåligt svar']").first.click()
    pg.wait_for_selector("#reason textarea")
    buttons = pg.evaluate("""() => [...document.querySelectorAll('button')].filter(b => b.offsetParent !== null)
                                   .map(b => b.innerText.trim())""")
    assert buttons.count("Skicka") == 1 and pg.inner_text("#reason-send") == "Spara", buttons
    box, ask_row = pg.locator("#feedback-box").bounding_box(), pg.locator("#ask-row").bounding_box()
    assert box["y"] + box["height"] <= ask_row["y"] and "Vad var fel?" in pg.inner_text("#feedback-box")


def test_a_phone_reads_the_title_and_the_whole_start_screen(browser, served):
    url, _, _ = served
    pg = open_chat(browser.new_context(locale="sv-SE"), url, 375, 700)
    pg.wait_for_timeout(600)
    geo = pg.evaluate("""() => { const h1 = document.querySelector('#heading h1'), chat = document.querySelector('#chat'),
        h2 = document.querySelector('#chat .placeholder h2'), box = (e) => e.getBoundingClientRect();
      return {title: h1.innerText, cut: h1.scrollWidth > h1.clientWidth, titleRight: box(h1).right, vw: window.innerWidth,
              pageWidth: document.documentElement.scrollWidth, chatTop: box(chat).top, h2Top: box(h2).top,
              h2Bottom: box(h2).bottom, chatBottom: box(chat).bottom}; }""")
    pg.screenshot(path=str(ARTIFACTS / "chat-sv-phone-start.png"))
    assert geo["title"] == "Protokollassistenten" and not geo["cut"] and geo["titleRight"] <= geo["vw"], geo
    assert geo["pageWidth"] <= 375, geo
    assert geo["chatTop"] <= geo["h2Top"] and geo["h2Bottom"] <= geo["chatBottom"], geo  # the start heading in view
    # and the rest of the start screen scrolls into view inside the chat box
    last = pg.locator("#chat .placeholder li").last
    last.scroll_into_view_if_needed()
    box, chat = last.bounding_box(), pg.locator("#chat").bounding_box()
    assert chat["y"] <= box["y"] and box["y"] + box["height"] <= chat["y"] + chat["height"] + 1
