"""The package as others install it: a regular (non-editable) wheel carries the prompts,
the hash lists and the app, and `assistant ask` works from a folder that is not the
repository."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT

from assistant.models import fetch as models


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    (whl,) = out.glob("minutes_assistant-*.whl")
    return whl


def test_wheel_carries_prompts_hash_lists_and_app(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    prompts = {p.name for p in (ROOT / "prompts").glob("*.txt")}
    assert prompts and {f"assistant/prompts/{p}" for p in prompts} <= names
    assert {
        "assistant/models/embeddinggemma-300m.sha256",
        "assistant/models/llm-models.sha256",
        "assistant/retrieval/glossary.tsv",
        "assistant/app/web.py",
        "assistant/app/cli.py",
    } <= names
    assert not any(n.startswith(("tests/", "corpus/", "eval/", "index/", "models/")) for n in names)


@pytest.mark.model
def test_installed_wheel_answers_outside_the_repository(wheel, tmp_path):
    if not models.is_verified(models.gemma_dir(ROOT / "models")):
        pytest.fail("EmbeddingGemma is not in models/; run `make model`")
    site, work = tmp_path / "site", tmp_path / "work"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    work.mkdir()
    shutil.copy(ROOT / "corpus" / "2021-09-14_da_projektplan-partnerskab-hk-rltn.md", work)
    (work / "corpus").mkdir()
    shutil.move(str(work / "2021-09-14_da_projektplan-partnerskab-hk-rltn.md"), work / "corpus")
    env = dict(
        os.environ,
        PYTHONPATH=str(site),
        ASSISTANT_MODELS_DIR=str(ROOT / "models"),
        ASSISTANT_ANSWER_BACKEND="extractive",
    )
    run = lambda *args: subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=work,
        env=env,  # noqa: E731
        capture_output=True,
        text=True,
        timeout=600,
    )
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import assistant, assistant.prompts, assistant.app.web; "
            "print(assistant.__file__); print(assistant.prompts.__file__)",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.returncode == 0 and all(line.startswith(str(site)) for line in where.stdout.split()), where
    assert run("index").returncode == 0
    ans = run("ask", "How many people sit in the partnership's reference group?")
    assert ans.returncode == 0, ans.stderr[-2000:]
    assert "In the documents:" in ans.stdout and "8-12 personer" in ans.stdout and "[1]" in ans.stdout
