"""Follow-ups, an unreachable LLM endpoint, the queue in front of the model, and chat
during a re-index."""

import socket
import threading

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.reader import LLMReader
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant
from assistant.query.conversation import answer_language, carries_topic, follow_up, is_follow_up
from assistant.query.query import build_query


@pytest.fixture
def built(settings, fake_embedder):
    build_index(settings, fake_embedder)
    return settings, fake_embedder


def test_unreachable_endpoint_falls_back_with_note(built):
    settings, emb = built
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = settings.replace(
        answer_backend="selector", llm_provider="openai", llm_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout_s=3
    )
    a = Assistant(cfg, embedder=emb).warm_up()
    ans = a.ask("Hvor mange personer er der i referencegruppen?")
    assert ans.backend == "selector→extractive" and "Sprogmodellen kunne ikke svare" in ans.note
    assert "Connection" in ans.grounding["error"] and "Connection" not in ans.note  # a short note in Danish
    assert ans.citations and not ans.abstained and any("8-12 personer" in c.text for c in ans.citations)


def test_queued_question_hears_how_many_are_ahead(built):
    from assistant.answer.base import Answer, Waiting

    settings, emb = built

    class BusyModel(FakeListChatModel):
        def pending(self):
            return 2

    model = BusyModel(responses=['{"ids": [1]}'])
    a = Assistant(
        settings.replace(answer_backend="selector"),
        embedder=emb,
        answerer_factory=lambda idx, s, llm: LLMReader(idx, s, model, "selector"),
    ).warm_up()
    items = list(a.stream("Hvor mange personer er der i referencegruppen?"))
    assert isinstance(items[1], Waiting) and items[1].ahead == 2 and isinstance(items[-1], Answer)


def test_a_follow_up_keeps_the_question_it_follows_and_a_checked_rewrite():
    hist = [("Hvor mye er inngangslønnen i Sverige?", "…")]
    assert is_follow_up("Og i Danmark?") and not is_follow_up("Hvor mange personer er der i referencegruppen?")
    assert follow_up(hist, "Og i Danmark?") == ("Hvor mye er inngangslønnen i Sverige?", "")
    assert follow_up([], "Og i Danmark?") == ("", "")
    assert follow_up(hist, "Hvor mange personer er der i referencegruppen?") == ("", "")  # stands alone
    llm = FakeListChatModel(responses=["Hva er inngangslønnen i Danmark?"])
    assert follow_up(hist, "Og i Danmark?", llm) == (
        "Hvor mye er inngangslønnen i Sverige?",
        "Hva er inngangslønnen i Danmark?",
    )
    # bounded: a huge previous question is cut, a rambling model output is not used
    long_hist = [("Hvor mye er inngangslønnen " + "i Sverige " * 500 + "?", "…")]
    assert len(follow_up(long_hist, "Og i Danmark?", max_chars=400)[0]) <= 400
    assert follow_up(hist, "Og i Danmark?", FakeListChatModel(responses=["x " * 600]), max_chars=400)[1] == ""
    # the model sees the earlier questions, not the answers (a small model answers instead of rewriting)
    seen = []

    class Recording(FakeListChatModel):
        def invoke(self, prompt, **kw):
            seen.append(prompt)
            return super().invoke(prompt, **kw)

    follow_up(
        [("Hvor mye er inngangslønnen i Sverige?", "Inngangslønnen er 31 000 kr. [1]")],
        "Og i Danmark?",
        Recording(responses=["Hva er inngangslønnen i Danmark?"]),
    )
    assert "Hvor mye er inngangslønnen i Sverige?" in seen[0] and "31 000" not in seen[0]
    # ... and only the previous one (with several, a small model completes the wrong one)
    follow_up(
        [("Hvem leder Helsesekretærforbundet?", "…"), ("Hva er inngangslønnen i Danmark?", "…")],
        "Og i Sverige?",
        Recording(responses=["Hvor mye er inngangslønnen i Sverige?"]),
    )
    assert "inngangslønnen i Danmark" in seen[1] and "Helsesekretærforbundet" not in seen[1]
    # an answer instead of a question, the question echoed back, a question that lost the previous
    # one's topic or dropped the follow-up's country: no rewrite, the previous question is kept
    for out in [
        "I Danmark er inngangslønnen 40 000 kr.",
        "Og i Danmark?",
        '"og i danmark?"',
        "Hvordan er det i Danmark?",
        "Hvor mye er inngangslønnen?",
        "Hvor mye er inngangslønnen i Sverige?",
    ]:
        assert follow_up(hist, "Og i Danmark?", FakeListChatModel(responses=[out])) == (
            "Hvor mye er inngangslønnen i Sverige?",
            "",
        ), out
    # the country by another of its names is kept
    assert (
        follow_up(hist, "Og i Danmark?", FakeListChatModel(responses=["Hvor mye er inngangslønnen i Denmark?"]))[1]
        == "Hvor mye er inngangslønnen i Denmark?"
    )


def test_a_follow_ups_own_words_decide_what_it_asks_about():
    q = build_query("Og i Danmark?", previous="Hvor mye er inngangslønnen i Sverige?")
    assert q.countries == {"DK"} and q.country == "DK" and q.previous.endswith("Sverige?")
    assert q.search_text == "Hvor mye er inngangslønnen i Sverige? Og i Danmark?"
    why = build_query("Og hvorfor?", previous="Hvor mye er inngangslønnen i Sverige?")
    assert why.country == "SE"  # no country of its own: the previous one's
    assert (
        build_query("Og i Danmark?", previous="Hvor mye?", rewrite="Hvor mye er lønnen i Danmark?").search_text
        == "Hvor mye er lønnen i Danmark?"
    )


def test_answer_languages():
    # a follow-up too short to tell its language is answered in the language of the question it became
    assert answer_language("Og i Sverige?", "Hvor mye er inngangslønnen i Sverige?") == "no"
    assert answer_language("Hvor mange personer er der i referencegruppen?", "whatever") == "da"
    # a short question whose own words name its language keeps it (it had taken the Norwegian rewrite's)
    assert answer_language("När publicerades projektplanen?", "Når ble prosjektplanen publisert?") == "sv"
    assert answer_language("Och i Norge?", "Hvor mye er inngangslønnen i Norge?") == "sv"
    assert answer_language("And in Sweden?", "Hvor mye er inngangslønnen i Sverige?") == "en"
    assert answer_language("Hvad med Sverige?", "Hvor mye er inngangslønnen i Sverige?") == "da"
    assert answer_language("Hva med Danmark?", "Hvor mange personer er der i referencegruppen i Danmark?") == "no"
    assert carries_topic(
        "Hur går det med skyddad titel i Danmark?",
        "Hur går det med utredningen om skyddad yrkestitel?",
        "Och hur ser det ut i Danmark?",
    )
    assert not carries_topic(
        "Hur ser det ut i Danmark?",
        "Hur går det med utredningen om skyddad yrkestitel?",
        "Och hur ser det ut i Danmark?",
    )
    # a Chinese question is not a one-word follow-up
    assert not is_follow_up("工会有多少安全代表和会员？")


def test_chat_keeps_answering_from_old_index_during_reindex(built):
    settings, emb = built
    a = Assistant(settings, embedder=emb).warm_up()
    gate = threading.Event()
    real = emb.embed_documents

    def slow(texts):
        gate.wait(10)
        return real(texts)

    emb.embed_documents = slow
    (settings.path("corpus_dir") / "2025-06-01_sv_nytt.txt").write_text(
        "Protokoll\n\nStyrelsen beslutade att sommarmötet hålls i Visby den 3 juni.\n", encoding="utf-8"
    )
    t = threading.Thread(target=a.reindex)
    t.start()
    during = a.ask("Var hålls sommarmötet i Visby?")  # answered while the re-index is blocked
    assert not any(c.source.endswith("nytt.txt") for c in during.citations)
    assert "2025-06-01_sv_nytt.txt" not in a.index.documents
    gate.set()
    t.join(30)
    after = a.ask("Var hålls sommarmötet i Visby?")
    assert any(c.source == "2025-06-01_sv_nytt.txt" and "Visby" in c.text for c in after.citations)
