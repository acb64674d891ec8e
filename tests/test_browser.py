"""The app as a member uses it: `assistant run` on a fresh copy of the corpus (model
present, index missing -> built), driven in headless Debian Chromium via Playwright.
Saves screenshots and timings to artifacts/."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.model]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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
    env = dict(os.environ, ASSISTANT_MODELS_DIR=str(ROOT / "models"), ASSISTANT_APP_PORT=str(port),
               ASSISTANT_FEEDBACK_FILE=str(root / "feedback.jsonl"), GRADIO_ANALYTICS_ENABLED="False")
    log = open(root / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "--root", str(root), "run"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 400
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
    yield url, root
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        pg = browser.new_page(viewport={"width": 1300, "height": 1000}, locale="sv-SE")
        pg.goto(server[0], wait_until="load")
        pg.wait_for_selector("#question textarea", timeout=60000)
        yield pg
        browser.close()


def ask(pg, question: str, n_before: int) -> dict:
    """Type, send, and time the first streamed token and the finished answer."""
    pg.fill("#question textarea", question)
    t0 = time.perf_counter()
    pg.click("#send")
    pg.wait_for_function(f"document.querySelectorAll('#chat [data-testid=\"bot\"]').length > {n_before} && "
                         f"document.querySelectorAll('#chat [data-testid=\"bot\"]')[{n_before}].innerText.trim().length > 0",
                         timeout=60000)
    ttft = time.perf_counter() - t0
    pg.wait_for_function("(q) => { const s = document.querySelector('#sources'); return s && s.dataset.q !== q && "
                         "s.querySelector('.sources') && s.innerText.length > 10 }", arg=question, timeout=60000)
    pg.wait_for_timeout(300)
    full = time.perf_counter() - t0
    pg.evaluate("(q) => { document.querySelector('#sources').dataset.q = q }", question)
    answer = pg.locator("#chat [data-testid='bot']").nth(n_before).inner_text()
    return {"question": question, "answer": answer, "sources": pg.inner_text("#sources"), "ttft_s": ttft, "full_s": full}


def test_chat_admin_upload_and_answer(page, server):
    import docx

    ARTIFACTS.mkdir(exist_ok=True)
    pg, timings = page, []
    # interface text follows the browser's language (sv-SE here)
    pg.wait_for_function("document.querySelector('#send').innerText.includes('Skicka')", timeout=30000)
    assert pg.get_attribute("#question textarea", "placeholder") == "Fråga om mötesprotokollen"
    r = ask(pg, "Hur många underskrifter fick namninsamlingen på några timmar?", 0)
    timings.append(r)
    assert "Enligt protokollen" in r["answer"] and "145" in r["answer"] and "[1]" in r["answer"]
    assert "Källor" in r["sources"] and "2023-03-17" in r["sources"]
    assert "145 underskrifter" in pg.inner_text("#sources mark")
    pg.screenshot(path=str(ARTIFACTS / "browser-chat-sv.png"), full_page=True)

    r = ask(pg, "Hvem er leder for Helsesekretærforbundet i Delta?", 1)
    timings.append(r)
    assert "Ifølge referatene" in r["answer"] and "Gro Bengtson" in r["answer"]
    assert "Kilder" in r["sources"] and "Gro Bengtson" in pg.locator("#sources mark").first.inner_text()

    # admin: upload a new DOCX of minutes, re-index, and ask about it
    new = server[1] / "2025-05-20_sv_styrelsemote.docx"
    d = docx.Document()
    d.add_heading("Protokoll styrelsemöte 2025-05-20", 1)
    d.add_paragraph("Styrelsen beslutade att nätverkets höstmöte 2025 hålls i Luleå den 14 oktober.")
    d.save(new)
    pg.get_by_role("tab", name="Admin").click()
    pg.set_input_files("#upload input[type=file]", str(new))
    pg.wait_for_function("() => (document.querySelector('#upload-log textarea')||{}).value?.includes('saved')", timeout=60000)
    assert "2025-05-20_sv_styrelsemote.docx" in pg.input_value("#upload-log textarea")
    pg.click("#reindex")
    pg.wait_for_function("() => (document.querySelector('#reindex-log textarea')||{}).value?.includes('added 1')", timeout=180000)
    assert "2025-05-20_sv_styrelsemote.docx" in pg.inner_text("#status")
    pg.screenshot(path=str(ARTIFACTS / "browser-admin.png"), full_page=True)
    pg.get_by_role("tab", name="Chat").click()
    r = ask(pg, "Var hålls nätverkets höstmöte 2025?", 2)
    timings.append(r)
    assert "Luleå" in r["answer"] and "styrelsemote.docx" in r["sources"]
    pg.screenshot(path=str(ARTIFACTS / "browser-chat-new-doc.png"), full_page=True)

    # thumbs up is appended to the feedback file
    pg.locator("#chat button").last.click()  # the last answer's thumbs-up (label is localized)
    fb = server[1] / "feedback.jsonl"
    for _ in range(50):
        if fb.exists() and fb.read_text().strip():
            break
        time.sleep(0.1)
    rec = json.loads(fb.read_text().splitlines()[-1])
    assert rec["rating"] == "up" and rec["question"] == "Var hålls nätverkets höstmöte 2025?"
    (ARTIFACTS / "browser-timings.json").write_text(json.dumps(
        [{k: v for k, v in t.items() if k in ("question", "ttft_s", "full_s")} for t in timings], ensure_ascii=False, indent=1))
    print("\nbrowser timings:", [(round(t["ttft_s"], 2), round(t["full_s"], 2)) for t in timings])
