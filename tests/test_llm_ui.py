import socket

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.conversation import condense, is_follow_up
from assistant.indexer import build_index
from assistant.llm import LLMAnswerer, numbered_sources
from assistant.pipeline import Assistant


@pytest.fixture
def built(settings, fake_embedder):
    build_index(settings, fake_embedder)
    return settings, fake_embedder


def _llm_assistant(settings, embedder, chat_model):
    return Assistant(settings, embedder=embedder,
                     answerer_factory=lambda idx, s, llm: LLMAnswerer(idx, s, chat_model, label="fake-llm")).warm_up()


def test_llm_answer_citations_validated_and_counted(built):
    settings, emb = built
    fake = FakeListChatModel(responses=["Referencegruppen har 8-12 personer [1]. Se også [7]."])
    a = _llm_assistant(settings, emb, fake)
    ans = a.ask("Hvor mange personer består referencegruppen af?")
    assert ans.backend == "fake-llm" and not ans.abstained
    assert ans.text == "Referencegruppen har 8-12 personer [1]. Se også." and ans.dropped_citations == 1
    assert len(ans.citations) == 1 and a.index.documents[ans.citations[0].source].text[ans.citations[0].start:ans.citations[0].end] == ans.citations[0].text


def test_llm_stream_yields_pieces_then_final(built):
    settings, emb = built
    a = _llm_assistant(settings, emb, FakeListChatModel(responses=["Svar med kilde [2]."]))
    items = list(a.stream("Vilka är hjärtefrågorna?"))[1:]  # after the Preview
    assert all(isinstance(x, str) for x in items[:-1]) and "".join(items[:-1]) == "Svar med kilde [2]."
    assert items[-1].citations and items[-1].text == "Svar med kilde [1]."


def test_prompt_has_numbered_sources_in_budget(built):
    settings, emb = built
    a = Assistant(settings, embedder=emb).warm_up()
    r = a.retrieve("medicinska sekreterare lön", k=5)
    src = numbered_sources(a.index, r, budget_tokens=300)
    assert [p.n for p in src] == list(range(1, len(src) + 1)) and 1 <= len(src) < 5
    msgs = LLMAnswerer(a.index, settings, FakeListChatModel(responses=["x"])).messages("Fråga?", "sv", src)
    assert "Swedish" in msgs[0].content and "[1] " in msgs[0].content and msgs[1].content == "Question: Fråga?"


def test_unreachable_endpoint_falls_back_with_note(built):
    settings, emb = built
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = settings.replace(answer_backend="openai", llm_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout_s=3)
    a = Assistant(cfg, embedder=emb).warm_up()
    ans = a.ask("Hvor mange personer består referencegruppen af?")
    assert ans.backend == "openai→extractive" and "could not be reached" not in ans.text
    assert "Sprogmodellen kunne ikke nås" in ans.note and "Connection" in ans.note
    assert ans.citations and not ans.abstained


def test_follow_up_condensing():
    hist = [("Hvor mye er inngangslønnen i Sverige?", "…")]
    assert is_follow_up("Og i Danmark?") and not is_follow_up("Hvor mange personer består referencegruppen af?")
    assert condense(hist, "Og i Danmark?") == "Hvor mye er inngangslønnen i Sverige — Og i Danmark?"
    assert condense([], "Og i Danmark?") == "Og i Danmark?"
    llm = FakeListChatModel(responses=["Hvor mye er inngangslønnen i Danmark?"])
    assert condense(hist, "Og i Danmark?", llm) == "Hvor mye er inngangslønnen i Danmark?"


def test_chat_keeps_answering_from_old_index_during_reindex(built):
    import threading

    settings, emb = built
    a = Assistant(settings, embedder=emb).warm_up()
    gate = threading.Event()
    real = emb.embed_documents

    def slow(texts):
        gate.wait(10)
        return real(texts)

    emb.embed_documents = slow
    (settings.path("corpus_dir") / "2025-06-01_sv_nytt.txt").write_text(
        "Protokoll\n\nStyrelsen beslutade att sommarmötet hålls i Visby den 3 juni.\n", encoding="utf-8")
    t = threading.Thread(target=a.reindex)
    t.start()
    during = a.ask("Var hålls sommarmötet i Visby?")       # answered while the re-index is blocked
    assert not any(c.source.endswith("nytt.txt") for c in during.citations)
    assert "2025-06-01_sv_nytt.txt" not in a.index.documents
    gate.set()
    t.join(30)
    after = a.ask("Var hålls sommarmötet i Visby?")
    assert any(c.source == "2025-06-01_sv_nytt.txt" and "Visby" in c.text for c in after.citations)
