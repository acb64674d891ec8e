"""Shared fixtures. `FakeEmbedder` is a deterministic test double: hashed character
trigrams of the folded text, so texts sharing words are similar. Tests only."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.core.config import load_settings
from assistant.index.lexical import words
from assistant.models.embeddings import Embedder

_FOLD = str.maketrans({"æ": "ä", "ø": "ö", "é": "e", "ü": "u"})


def fake_tokens(text: str) -> list[str]:
    """Words folded (æ/ø onto ä/ö) and cut to six characters: shared stems look alike."""
    return [w.translate(_FOLD)[:6] for w in words(text)]


ROOT = Path(__file__).resolve().parent.parent


class FakeEmbedder(Embedder):
    model_id = "fake/trigram"
    model_hash = "fake-1"
    dim = 256
    max_tokens = 4096

    def __init__(self, model_hash: str = "fake-1"):
        self.model_hash = model_hash
        self.calls: list[int] = []  # number of texts per embed_documents call

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for w in fake_tokens(text):
            w = f" {w} "
            for i in range(len(w) - 2):
                v[int(hashlib.md5(w[i : i + 3].encode()).hexdigest(), 16) % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_documents(self, texts):
        self.calls.append(len(texts))
        return [self._vec(t).tolist() for t in texts]

    def embed_query(self, text):
        return self._vec(text).tolist()

    @property
    def embedded(self) -> int:
        return sum(self.calls)


def shipped_assistant(root: Path, embedder: Embedder | None = None, **overrides):
    """An Assistant over a copy of the shipped corpus in `root`: index built (all five
    documents, no errors) with `embedder` (None: the configured model), models loaded."""
    from assistant.index.indexer import build_index
    from assistant.pipeline.assistant import Assistant

    shutil.copytree(ROOT / "corpus", root / "corpus")
    settings = load_settings(root, env={}, models_dir=str(ROOT / "models"), **overrides)
    assistant = Assistant(settings, embedder=embedder)
    report = build_index(settings, assistant.embedder)
    assert len(report.added) == 5 and not report.errors, report.errors
    return assistant.warm_up()


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture
def workdir(tmp_path):
    """A project root with a copy of the shipped corpus and an empty index."""
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    (tmp_path / "index").mkdir()
    return tmp_path


@pytest.fixture
def settings(workdir):
    return load_settings(workdir, env={}, abstain_threshold=0.2, answer_backend="extractive")


@pytest.fixture
def fake_cli(settings, fake_embedder, monkeypatch):
    """Settings whose CLI commands use the fake embedder."""
    import assistant.models.embeddings as emb
    import assistant.pipeline.assistant as pl

    monkeypatch.setattr(emb, "load_embedder", lambda s: fake_embedder)
    monkeypatch.setattr(pl, "load_embedder", lambda s: fake_embedder)
    monkeypatch.setenv("ASSISTANT_ANSWER_BACKEND", "extractive")  # CLI commands read settings from the root + env
    return settings
