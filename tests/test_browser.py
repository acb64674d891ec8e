"""The app as members use it: `assistant run` on a fresh copy of the corpus (model
present, index missing -> built), driven in headless Debian Chromium via Playwright as a
Swedish member on a desktop and on a phone, then as an admin. Saves screenshots,
contrast figures and timings to artifacts/. Waits for each answer's final sources, so an
LLM reader that streams for several seconds passes too. The admin signs in on the admin
page (/admin, its own page behind a password)."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

# a page whose script loops never answers Playwright: fail the test instead of hanging CI
pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.timeout(600)]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_TIMEOUT = 240_000  # ms; an LLM answer on a busy 2-core machine can take a while
BOT = "#chat [data-testid='bot']"
ADMIN_PASSWORD = "browser-test-admin-password"
TIMINGS: list[dict] = []

# English interface text that must not appear on a Swedish page: ours, and Gradio's own
GRADIO_ENGLISH = [
    "Chatbot",
    "Sources",
    "Filters",
    "Examples",
    "Like",
    "Dislike",
    "Liked",
    "Disliked",
    "Clear",
    "Copy",
    "Copy message",
    "Admin",
    "Upload",
    "Drop File Here",
    "Click to Upload",
    "Use via API",
    "Built with Gradio",
    "Settings",
    "Documents",
    "Languages",
    "Loading",
    "processing",
    "Error",
    "Submit",
    "Dropdown",
    "chatbot conversation",
    "Select example",
    "bot's message",
    "Send",
    "Scroll to bottom",
]

CONTRAST_JS = """(sel) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const blend = (t, u) => ({r: t.r * t.a + u.r * (1 - t.a), g: t.g * t.a + u.g * (1 - t.a), b: t.b * t.a + u.b * (1 - t.a), a: 1});
  const ratio = (fg, bg) => { const [x, y] = [lum(blend(fg, bg)), lum(bg)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    return layers.reverse().reduce((bg, l) => blend(l, bg), {r: 255, g: 255, b: 255, a: 1}); };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
    if (!el || !text || seen.has(el)) continue;
    seen.add(el);
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (!r.width || !r.height || cs.visibility === "hidden" || el.closest("[aria-hidden=true], .hide")) continue;
    out.push({text: text.slice(0, 40), where: el.tagName + (el.id ? "#" + el.id : ""), ratio: ratio(parse(cs.color), background(el))});
  }
  for (const el of document.querySelectorAll("textarea[placeholder]:not([placeholder='']), input[placeholder]:not([placeholder=''])")) {
    if (!el.getBoundingClientRect().width) continue;
    out.push({text: "placeholder: " + el.placeholder.slice(0, 30), where: "placeholder",
              ratio: ratio(parse(getComputedStyle(el, "::placeholder").color), background(el))});
  }
  const send = document.querySelector(sel), cs = getComputedStyle(send);
  return {send: ratio(parse(cs.color), background(send)), send_fg: cs.color, send_bg: cs.backgroundColor,
          texts: out.sort((a, b) => a.ratio - b.ratio)};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    root = tmp_path_factory.mktemp("app")
    shutil.copytree(ROOT / "corpus", root / "corpus")
    port = _free_port()
    env = dict(
        os.environ,
        ASSISTANT_MODELS_DIR=str(ROOT / "models"),
        ASSISTANT_APP_PORT=str(port),
        ASSISTANT_FEEDBACK_FILE=str(root / "feedback.jsonl"),
        GRADIO_ANALYTICS_ENABLED="False",
        ASSISTANT_ADMIN_PASSWORD=ADMIN_PASSWORD,
        ASSISTANT_UPLOAD_MAX_MB="1",
    )
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--root", str(root), "run"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("app exited:\n" + (root / "server.log").read_text()[-3000:])
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail("app did not start:\n" + (root / "server.log").read_text()[-3000:])
    ARTIFACTS.mkdir(exist_ok=True)
    yield url, root
    proc.terminate()
    proc.wait(timeout=20)
    (ARTIFACTS / "browser-timings.json").write_text(json.dumps(TIMINGS, ensure_ascii=False, indent=1))


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_page(browser, url, width=1300, height=1000, locale="sv-SE", context=None):
    pg = (context or browser.new_context(locale=locale)).new_page()
    pg.set_viewport_size({"width": width, "height": height})
    pg.goto(url, wait_until="load")
    pg.wait_for_selector("#question textarea", timeout=60000)
    pg.wait_for_function("document.title !== 'Minutes assistant' || navigator.language.startsWith('en')", timeout=30000)
    pg.wait_for_timeout(500)
    return pg


def wait_answer(pg, n_before: int, label: str, t0: float) -> dict:
    """Waits for answer number n_before+1's documents found (or the answer itself), then
    for its text, then for its final sources."""
    nth = f'document.querySelectorAll("{BOT}")[{n_before}]'
    pg.wait_for_function(f"{nth} && {nth}.querySelector('.found-list, .sources, .abstained')", timeout=ANSWER_TIMEOUT)
    evidence = time.perf_counter() - t0
    pg.wait_for_function(
        f"{nth} && {nth}.innerText.trim().length > 0 && !{nth}.querySelector('.status')", timeout=ANSWER_TIMEOUT
    )
    ttft = time.perf_counter() - t0
    pg.wait_for_function(f"{nth}.querySelector('.sources, .abstained')", timeout=ANSWER_TIMEOUT)
    full = time.perf_counter() - t0
    TIMINGS.append(
        {"question": label, "evidence_s": round(evidence, 2), "first_text_s": round(ttft, 2), "full_s": round(full, 2)}
    )
    return {"answer": pg.locator(BOT).nth(n_before).inner_text(), "html": pg.locator(BOT).nth(n_before).inner_html()}


def ask(pg, question: str) -> dict:
    n = pg.locator(BOT).count()
    pg.fill("#question textarea", question)
    t0 = time.perf_counter()
    pg.press("#question textarea", "Enter")
    return wait_answer(pg, n, question, t0)


def english_ui_text(pg) -> list[str]:
    """English interface strings visible or announced on the page (messages' contents,
    i.e. answers and quotes, are left out: they are in the documents' languages)."""
    from assistant.core.i18n import catalogue

    en, sv = catalogue("en"), catalogue("sv")
    english = {v for k, v in en.items() if isinstance(v, str) and v != sv[k]} | set(GRADIO_ENGLISH)
    page_text = pg.evaluate("""() => {
      const parts = [document.title], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const el = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
        if (!text || !el || el.closest('.message-content, script, style')) continue;
        if (el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden') parts.push(text);
      }
      for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], [alt]'))
        if (!el.closest('.message-content'))
          for (const a of ['placeholder', 'aria-label', 'title', 'alt']) if (el.getAttribute(a)) parts.push(el.getAttribute(a));
      return parts.join(' | ');
    }""")
    return sorted(e for e in english if re.search(rf"(?<![\wåäöæø]){re.escape(e)}(?![\wåäöæø])", page_text))


def in_view(pg, selector: str) -> bool:
    """The element is inside the window and inside the chat's visible area."""
    return pg.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect(),
      c = document.querySelector('#chat').getBoundingClientRect();
      return r.top >= Math.max(0, c.top) - 1 && r.bottom <= Math.min(window.innerHeight, c.bottom) + 1 && r.height > 0; }""",
        selector,
    )


def test_swedish_member_on_a_desktop(browser, server):
    url, root = server
    pg = open_page(browser, url)
    assert pg.title() == "Protokollassistenten" and pg.evaluate("document.documentElement.lang") == "sv"
    assert pg.evaluate("!!document.activeElement.closest('#question')"), "keyboard focus starts in the question box"
    assert english_ui_text(pg) == []
    start = pg.inner_text("#chat")
    assert "Bättre arbetsvillkor för medicinska sekreterare!" in start and "17 mars 2023" in start
    assert "Svaren kommer bara från de här 5 dokumenten (2018–2024)" in start and "danska" in start
    assert "Admin" not in pg.inner_text("body") and not pg.locator("#admin").is_visible()
    pg.screenshot(path=str(ARTIFACTS / "after-sv-desktop-start.png"))

    # contrast from computed styles: the Send button, placeholders, every visible text
    contrast = pg.evaluate(CONTRAST_JS, "#send")
    (ARTIFACTS / "contrast-sv-desktop.json").write_text(json.dumps(contrast, ensure_ascii=False, indent=1))
    assert contrast["send"] >= 4.5, contrast
    assert contrast["texts"][0]["ratio"] >= 4.5, contrast["texts"][:5]

    # an example asks its question
    t0 = time.perf_counter()
    pg.locator("#chat button.example").first.click()
    r = wait_answer(pg, 0, "example 1", t0)
    assert "Hur många underskrifter" in pg.locator("#chat [data-testid='user']").first.inner_text()
    assert "145" in r["answer"] and "Källor" in r["answer"] and "17 mars 2023" in r["answer"]
    assert ".txt" not in r["answer"] and not re.search(r"\d+–\d+", r["answer"].split("Källor")[1])

    # [1] opens that source under the answer and brings it into view
    first_cite = pg.locator(BOT).first.locator("a.cite").first
    target = first_cite.get_attribute("href")[1:]
    assert not pg.evaluate(f"document.getElementById('{target}').open")
    first_cite.click()
    pg.wait_for_function(f"document.getElementById('{target}').open")
    pg.wait_for_timeout(300)
    assert in_view(pg, f"#{target} summary") and pg.locator(f"#{target} mark").inner_text().strip()
    pg.screenshot(path=str(ARTIFACTS / "after-sv-desktop-answer.png"))

    # a follow-up: the first answer's sources stay reachable from its own [n]
    r2 = ask(pg, "Vem är ledare för Helsesekretærforbundet i Delta?")
    assert "Gro Bengtson" in r2["answer"] and "Källor" in r2["answer"]
    pg.evaluate(f"document.getElementById('{target}').open = false")
    pg.locator(BOT).last.locator("a.cite").first.scroll_into_view_if_needed()
    first_cite.click()
    pg.wait_for_function(f"document.getElementById('{target}').open")
    pg.wait_for_timeout(300)
    assert in_view(pg, f"#{target} summary") and pg.locator(f"#{target} mark").is_visible()
    assert english_ui_text(pg) == []

    # thumbs down on the first answer: confirmation, an optional reason, stored with the citations
    pg.locator("#chat button[aria-label='Dåligt svar']").first.click()  # one per answer, in order
    pg.wait_for_selector("#reason textarea", timeout=30000)
    assert "Tack! Ditt omdöme är sparat." in pg.inner_text("#feedback")
    pg.fill("#reason textarea", "Fel källa")
    pg.click("#reason-send")
    pg.wait_for_function("document.querySelector('#feedback').innerText.includes('det är sparat')", timeout=30000)
    fb = root / "feedback.jsonl"
    rec = json.loads(fb.read_text().splitlines()[-1])
    assert (rec["rating"], rec["reason"]) == ("down", "Fel källa") and rec["question"].startswith("Hur många")
    assert rec["citations"] and "145" in rec["answer"]

    # a filter that excludes every document says so, before and after asking
    pg.click("#filters .label-wrap")
    pg.click("#f-docs input")
    pg.get_by_role("option", name=re.compile("^Projektplan")).click()
    pg.keyboard.press("Escape")
    pg.get_by_label(re.compile(r"svenska \(\d+\)")).check()
    pg.wait_for_function(
        "document.querySelector('#filter-state') && "
        "document.querySelector('#filter-state').innerText.includes('Inga dokument matchar')"
    )
    assert "Filter på (2)" in pg.inner_text("#filters")
    contrast = pg.evaluate(CONTRAST_JS, "#send")  # again with answers, sources and the filter form open
    (ARTIFACTS / "contrast-sv-desktop-answers.json").write_text(json.dumps(contrast, ensure_ascii=False, indent=1))
    assert contrast["texts"][0]["ratio"] >= 4.5, contrast["texts"][:5]
    r3 = ask(pg, "Hur många underskrifter fick namninsamlingen?")
    assert "Inget dokument matchar dina filter" in r3["answer"] and "reason-filters" in r3["html"]
    pg.screenshot(path=str(ARTIFACTS / "after-sv-desktop-filters.png"), full_page=True)
    pg.click("#clear-filters")
    pg.wait_for_function(
        "!document.querySelector('#filter-state') || !document.querySelector('#filter-state').offsetParent"
    )

    # an empty question says what to do and runs nothing
    n = pg.locator(BOT).count()
    pg.fill("#question textarea", "   ")
    pg.click("#send")
    pg.wait_for_function(
        "document.querySelector('#notice') && document.querySelector('#notice').innerText.includes('Skriv en fråga')"
    )
    assert pg.locator(BOT).count() == n

    # the language switch persists in the browser
    pg.click("#lang input")
    pg.get_by_role("option", name="Norsk").click()
    pg.wait_for_function("document.title === 'Referatassistenten' && document.documentElement.lang === 'nb'")
    again = open_page(browser, url, context=pg.context)
    assert again.inner_text("#send") == "Send" and again.get_attribute("#question textarea", "placeholder").startswith(
        "Skriv et spørsmål"
    )
    again.wait_for_function(
        f'document.querySelectorAll("{BOT}").length === {pg.locator(BOT).count()}'
    )  # the chat, kept
    again.click("#new-chat")
    again.wait_for_function(
        "document.querySelector('#chat').innerText.includes('Spør på svensk, dansk, norsk eller engelsk')"
    )
    assert "Tidligere samtaler (1)" in again.inner_text("#past-box")
    # a Norwegian page answers (its Clear label is also one of Gradio's: relabelling must settle)
    no = ask(again, "Hvem leder Helsesekretærforbundet i Delta?")
    assert "Gro Bengtson" in no["answer"] and "Kilder" in no["answer"], no["answer"]
    assert (
        again.evaluate("""() => [...document.querySelectorAll('#chat button[aria-label]')]
                              .map(b => b.getAttribute('aria-label'))""").count("Clear")
        == 0
    )


def test_an_english_member_reads_a_swedish_fact_in_english_with_its_source(browser, server):
    """The answer opens with one sentence in the member's language that states the fact and
    cites [1]; [1] opens the Swedish passage it came from."""
    from assistant.core.lang import detect_language

    url, _ = server
    pg = open_page(browser, url, locale="en-US")
    r = ask(pg, "How many signatures were collected in a few hours?")
    first = r["answer"].strip().split("\n")[0]
    assert "145" in first and "[1]" in first and detect_language(first) == "en", r["answer"]
    cite = pg.locator(BOT).last.locator("p").first.locator("a.cite").first
    target = cite.get_attribute("href")[1:]
    cite.click()
    pg.wait_for_function(f"document.getElementById('{target}').open")
    assert "145 underskrifter" in pg.locator(f"#{target} mark").inner_text()
    pg.screenshot(path=str(ARTIFACTS / "after-en-desktop-answer.png"))


def test_swedish_member_on_a_phone(browser, server):
    url, _ = server
    pg = open_page(browser, url, 390, 844)
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    header = pg.locator("#heading h1").bounding_box()
    assert header["height"] < 40, "the title fits on one line"
    pg.screenshot(path=str(ARTIFACTS / "after-sv-phone-start.png"))
    ask(pg, "Hur många underskrifter samlades in på några timmar?")
    pg.wait_for_timeout(500)
    geo = pg.evaluate(f"""() => {{
      const bot = document.querySelectorAll("{BOT}"), last = bot[bot.length - 1];
      const box = (e) => e.getBoundingClientRect();
      const chat = box(document.querySelector('#chat')), text = box(last.querySelector('p')),
            src = box(last.querySelector('.sources')), filters = box(document.querySelector('#filters'));
      return {{scrollY: window.scrollY, vh: window.innerHeight, chatTop: chat.top, chatBottom: chat.bottom,
               textTop: text.top, sourcesTop: src.top, sourcesBottom: src.bottom, filtersTop: filters.top}};
    }}""")
    pg.screenshot(path=str(ARTIFACTS / "after-sv-phone-answer.png"))
    assert geo["scrollY"] == 0 and geo["chatTop"] <= geo["textTop"] and geo["sourcesBottom"] <= geo["chatBottom"], geo
    assert geo["sourcesBottom"] <= geo["vh"] and geo["sourcesBottom"] < geo["filtersTop"], geo
    cite = pg.locator(BOT).last.locator("a.cite").first
    target = cite.get_attribute("href")[1:]
    cite.click()
    pg.wait_for_function(f"document.getElementById('{target}').open")
    pg.wait_for_timeout(300)
    assert in_view(pg, f"#{target} summary")
    pg.screenshot(path=str(ARTIFACTS / "after-sv-phone-source.png"))


def upload(pg, path: Path) -> None:
    with pg.expect_file_chooser() as chooser:
        pg.click("#upload")
    chooser.value.set_files(str(path))


def test_admin_signs_in_uploads_reindexes_and_members_can_ask(browser, server):
    import docx

    url, root = server
    log = (root / "server.log").read_text()
    assert f"admin on {url}admin (enabled" in log, log[-2000:]
    member = open_page(browser, url + "?admin")  # the old way in opens nothing now
    assert not member.locator("#admin, #upload, #admin-password").count() and "dministrat" not in member.inner_text(
        "body"
    )

    # the admin page is its own, behind a sign-in page in the admin's language
    ctx = browser.new_context(locale="sv-SE")
    pg = ctx.new_page()
    pg.set_viewport_size({"width": 1300, "height": 1000})
    pg.goto(url + "admin", wait_until="load")
    assert pg.url == url + "admin/signin" and "Logga in som administratör" in pg.inner_text("h1")
    assert english_ui_text(pg) == []
    pg.fill("#password", "fel lösenord")
    pg.click("#sign-in")
    pg.wait_for_selector("#signin-message")
    assert pg.inner_text("#signin-message") == "Fel lösenord." and pg.url == url + "admin/signin"
    pg.fill("#password", ADMIN_PASSWORD)
    pg.click("#sign-in")
    pg.wait_for_url(url + "admin/", timeout=30000)
    pg.wait_for_function(
        "document.querySelector('#admin-note') && "
        "document.querySelector('#admin-note').innerText.includes('Inloggad som administratör')",
        timeout=60000,
    )
    pg.wait_for_function(
        "document.querySelector('#status') && document.querySelector('#status').innerText.includes('5 dokument')",
        timeout=60000,
    )
    assert pg.title() == "Administration · Protokollassistenten" and english_ui_text(pg) == []

    # a file over the limit (1 MB here) is refused in the page, with the app's own message
    big = root / "2025-06-01_sv_for-stor.txt"
    big.write_bytes(b"Protokoll. " * 150_000)
    upload(pg, big)
    pg.wait_for_function(
        "() => (document.querySelector('#upload-log textarea')||{}).value?.includes('över gränsen')", timeout=30000
    )
    assert pg.input_value("#upload-log textarea") == "✘ 2025-06-01_sv_for-stor.txt: 1.6 MB är över gränsen på 1 MB"

    new = root / "2025-05-20_sv_styrelsemote.docx"
    d = docx.Document()
    d.add_heading("Protokoll styrelsemöte 2025-05-20", 1)
    d.add_paragraph("Styrelsen beslutade att nätverkets höstmöte 2025 hålls i Luleå den 14 oktober.")
    d.save(new)
    upload(pg, new)
    pg.wait_for_function(
        "() => (document.querySelector('#upload-log textarea')||{}).value?.includes('sparad')", timeout=60000
    )
    assert "✔ sparad: 2025-05-20_sv_styrelsemote.docx" in pg.input_value("#upload-log textarea")
    upload(pg, new)  # the same file again overwrites nothing
    pg.wait_for_function(
        "() => (document.querySelector('#upload-log textarea')||{}).value?.includes('oförändrad')", timeout=60000
    )
    assert not (root / "corpus" / big.name).exists()
    pg.click("#reindex")
    pg.wait_for_function(
        "() => (document.querySelector('#reindex-log textarea')||{}).value?.includes('Tillagda 1')", timeout=300000
    )
    assert "Protokoll styrelsemöte 2025-05-20" in pg.inner_text("#status")
    pg.screenshot(path=str(ARTIFACTS / "after-sv-admin.png"), full_page=True)

    # members ask on their own page; a bare address in a question stays text
    member = open_page(browser, url)
    r = ask(member, "Var hålls nätverkets höstmöte 2025?")
    assert "Luleå" in r["answer"] and "20 maj 2025" in r["answer"]
    # thumbs up is stored with the question
    member.locator("button[aria-label='Bra svar']").last.click()
    member.wait_for_function(
        "document.querySelector('#feedback') && document.querySelector('#feedback').innerText.includes('Tack!')"
    )
    rec = json.loads((root / "feedback.jsonl").read_text().splitlines()[-1])
    assert rec["rating"] == "up" and rec["question"] == "Var hålls nätverkets höstmöte 2025?"
    ask(member, "Står det något på https://example.com/protokoll eller www.example.se?")
    asked = member.locator("#chat [data-testid='user']").last
    assert "https://example.com/protokoll eller www.example.se" in asked.inner_text()
    assert asked.locator("a").count() == 0

    # signing out ends the session: the admin page sends back to the sign-in page
    pg.click("#sign-out")
    pg.wait_for_selector("#signin-message")
    assert pg.inner_text("#signin-message") == "Du är utloggad."
    pg.goto(url + "admin/", wait_until="load")
    assert pg.url == url + "admin/signin"
    print("\nbrowser timings:", [(t["first_text_s"], t["full_s"]) for t in TIMINGS])
