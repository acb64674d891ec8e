import json

import numpy as np
import pytest
from conftest import FakeEmbedder

from assistant.answer.base import Preview
from assistant.core.errors import IndexMismatchError, IndexMissingError
from assistant.index import faiss_store as store_mod
from assistant.index.filters import Filters
from assistant.index.indexer import build_index
from assistant.index.stores import make_store
from assistant.pipeline.assistant import Assistant
from assistant.query.query import build_query


def load_index(settings):
    return make_store(settings).open()


def all_chunks(idx):
    return [c for s in sorted(idx.documents) for _, c in idx.document_chunks(s)]


def test_incremental_index_add_change_delete(settings, fake_embedder):
    rep = build_index(settings, fake_embedder)
    assert len(rep.added) == 5 and rep.embedded_chunks == rep.total_chunks > 0
    m = make_store(settings).manifest()
    assert m["embedding"] == {"model_id": "fake/trigram", "model_hash": "fake-1", "dim": 256, "dtype": ""}
    assert set(m["documents"]) == {p.name for p in settings.path("corpus_dir").iterdir()}

    corpus = settings.path("corpus_dir")
    (corpus / "2025-01-10_sv_nytt-protokoll.txt").write_text(
        "Protokoll från styrelsemöte\n\nStyrelsen beslutade att lönetillägget för nattarbete blir 1200 kronor.\n",
        encoding="utf-8",
    )
    da = corpus / "2021-09-14_da_projektplan-partnerskab-hk-rltn.md"
    da.write_text(da.read_text(encoding="utf-8").replace("8-12 personer", "10-14 personer"), encoding="utf-8")
    (corpus / "2018-12-05_no_dagens-medisin-helsesekretaerer-i-skranken.txt").unlink()
    before = fake_embedder.embedded
    rep = build_index(settings, fake_embedder)
    assert rep.added == ["2025-01-10_sv_nytt-protokoll.txt"]
    assert rep.updated == ["2021-09-14_da_projektplan-partnerskab-hk-rltn.md"]
    assert rep.removed == ["2018-12-05_no_dagens-medisin-helsesekretaerer-i-skranken.txt"]
    assert len(rep.unchanged) == 3
    idx = load_index(settings)
    new_chunks = [c for c in all_chunks(idx) if c.source in rep.added + rep.updated]
    # only the new and the changed document were embedded (chunks + their sentences)
    assert rep.embedded_chunks == len(new_chunks)
    assert fake_embedder.embedded - before == rep.embedded_chunks + rep.embedded_sentences + rep.embedded_in_context
    assert 0 < rep.embedded_in_context < rep.embedded_sentences
    assert not any(c.source.startswith("2018") for c in all_chunks(idx))
    assert any("10-14 personer" in c.text for c in all_chunks(idx))
    assert "added 1, updated 1, removed 1, unchanged 3" in rep.summary()


def test_bad_file_reported_and_previous_version_kept(settings, fake_embedder):
    build_index(settings, fake_embedder)
    corpus = settings.path("corpus_dir")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    target = corpus / "2023-03-17_sv_namninsamling-medicinska-sekreterare-norrbotten.txt"
    target.write_bytes(b"")  # emptied by accident
    rep = build_index(settings, fake_embedder)
    assert {e.path for e in rep.errors} == {"broken.pdf", target.name}
    assert rep.kept_on_error == [target.name]
    idx = load_index(settings)
    assert any(c.source == target.name for c in all_chunks(idx))


def test_crash_mid_write_keeps_old_index(settings, fake_embedder, monkeypatch):
    build_index(settings, fake_embedder)
    old = load_index(settings)
    (settings.path("corpus_dir") / "new.txt").write_text("Ett nytt protokoll om semester och lön.", encoding="utf-8")
    real_save = np.save
    calls = {"n": 0}

    def crashing_save(path, arr):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real_save(path, arr)

    monkeypatch.setattr(store_mod.np, "save", crashing_save)
    with pytest.raises(OSError):
        build_index(settings, fake_embedder)
    monkeypatch.undo()
    again = load_index(settings)
    assert again.path == old.path and len(again) == len(old)
    assert not [p for p in settings.path("index_dir").iterdir() if p.name.startswith(".tmp-")]
    # after two successful builds, the current and the previous version remain
    build_index(settings, fake_embedder)
    (settings.path("corpus_dir") / "new.txt").write_text("Ändrat protokoll om semester.", encoding="utf-8")
    build_index(settings, fake_embedder)
    versions = sorted(p.name for p in settings.path("index_dir").iterdir() if p.name.startswith("v-"))
    assert len(versions) == 2 and load_index(settings).path.name in versions


def test_missing_and_mismatched_index_are_refused(settings, fake_embedder):
    with pytest.raises(IndexMissingError, match="assistant index"):
        Assistant(settings, embedder=fake_embedder).warm_up()
    build_index(settings, fake_embedder)
    with pytest.raises(IndexMismatchError, match="Re-index"):
        Assistant(settings, embedder=FakeEmbedder(model_hash="other")).warm_up()
    with pytest.raises(IndexMismatchError, match="chunker"):
        Assistant(settings.replace(chunk_tokens=100), embedder=fake_embedder).warm_up()
    # a rebuild with the other model fixes it and says why
    rep = build_index(settings, FakeEmbedder(model_hash="other"))
    assert "fake-1" in rep.rebuilt_reason and rep.embedded_chunks == rep.total_chunks


@pytest.fixture
def assistant(settings, fake_embedder):
    build_index(settings, fake_embedder)
    return Assistant(settings, embedder=fake_embedder).warm_up()


def test_hybrid_retrieval_and_filters(assistant):
    r = assistant.retrieve("Referencegruppen består af 8-12 personer", k=3)
    assert r.hits[0].chunk.source.startswith("2021-09-14_da") and "Referencegruppen" in r.hits[0].chunk.text
    assert r.hits[0].lexical_rank == 0
    r = assistant.retrieve("distansarbete", k=5, filters=Filters(year_to=2022, languages=("sv",)))
    assert r.hits and all(h.chunk.source.startswith("2021-05-19") for h in r.hits)
    r = assistant.retrieve("lön", k=4, filters=Filters(sources=("namninsamling",)))
    assert {h.chunk.source for h in r.hits} == {"2023-03-17_sv_namninsamling-medicinska-sekreterare-norrbotten.txt"}


def test_extractive_answer_quotes_and_cites(assistant):
    ans = assistant.ask("Hvor mange personer er der i referencegruppen?")
    assert not ans.abstained and ans.language == "da"
    assert ans.text.startswith("I dokumenterne:")
    assert ans.citations and ans.citations[0].n == 1
    for c in ans.citations:
        assert assistant.index.documents[c.source].text[c.start : c.end] == c.text
        assert f"[{c.n}]" in ans.text
    cited = next(c for c in ans.citations if "8-12 personer" in c.text)
    assert assistant.index.documents[cited.source].title == "Projektplan"


def test_abstains_below_threshold_in_question_language(settings, fake_embedder):
    build_index(settings, fake_embedder)
    a = Assistant(settings.replace(abstain_threshold=0.99), embedder=fake_embedder)
    ans = a.ask("Vad kostar en lokförares lunch i Bergen?")
    assert ans.abstained and ans.citations == () and ans.text == "Dokumenten säger inget om detta."
    ans = a.ask("What does the pancake recipe say?")
    assert ans.abstained and ans.text == "The documents do not say anything about this."


def test_answer_json_shape(assistant):
    j = assistant.ask("Vilka är hjärtefrågorna?").to_json()
    assert set(j) >= {"question", "language", "answer", "abstained", "citations", "retrieved", "latency_s"}
    assert all(set(c) >= {"n", "source", "title", "text", "start", "end"} for c in j["citations"])
    assert [r["score"] for r in j["retrieved"]] and all(set(r) >= {"source", "text", "score"} for r in j["retrieved"])
    json.dumps(j)


def test_stream_yields_preview_text_then_answer(assistant):
    items = list(assistant.stream("Vilka är hjärtefrågorna?"))
    preview, final = items[0], items[-1]
    assert isinstance(preview, Preview) and preview.retrieval.hits and preview.language == "sv"
    assert "".join(items[1:-1]) == final.text and final.latency_s > 0


def test_noop_reindex_does_not_load_the_model(settings):
    class CountingEmbedder(FakeEmbedder):
        warmups = 0

        def warm_up(self):
            type(self).warmups += 1

    first = build_index(settings, CountingEmbedder())
    CountingEmbedder.warmups = 0
    e = CountingEmbedder()
    rep = build_index(settings, e)
    assert rep.embedded_chunks == 0 and CountingEmbedder.warmups == 0 and e.embedded == 0
    assert rep.path == first.path and rep.total_chunks == first.total_chunks  # no new version written


def test_faiss_hnsw_store_finds_what_the_exact_store_finds(settings, fake_embedder):
    build_index(settings, fake_embedder)
    exact = Assistant(settings, embedder=fake_embedder).warm_up()
    hnsw_settings = settings.replace(store="faiss-hnsw", index_dir=settings.root / "index-hnsw")
    rep = build_index(hnsw_settings, fake_embedder)
    assert make_store(hnsw_settings).manifest()["store"] == "faiss-hnsw" and rep.total_chunks == len(exact.index)
    hnsw = Assistant(hnsw_settings, embedder=fake_embedder).warm_up()
    for q in ("Hvor mange personer er der i referencegruppen?", "distansarbete", "Vilka är hjärtefrågorna?"):
        assert [h.chunk.chunk_id for h in hnsw.retrieve(q).hits] == [h.chunk.chunk_id for h in exact.retrieve(q).hits]


def test_each_other_document_is_quoted_by_the_sentence_that_names_the_topic():
    """ "Vad står det i dokumenten om taligenkänning?": the Norwegian article's sentence with
    "talegjenkjenning" ranks below two of its own sentences and under the evidence floor,
    but names the question's subject, so it is the article's quote, and comes first."""
    from assistant.answer.each_document import other_documents
    from assistant.answer.evidence import Evidence
    from assistant.retrieval.glossary import load_glossary
    from assistant.retrieval.hybrid import Retrieval

    q = "Vad står det i dokumenten om taligenkänning?"
    r = Retrieval(build_query(q), np.zeros(2), (), topics=load_glossary("builtin").topics(q))
    ev = lambda src, text, sim: Evidence(0, src, 0, len(text), text, sim, sim)  # noqa: E731
    ranked = [
        ev("sv-2024", "Taligenkänning mest påtalat.", 0.45),
        ev("sv-2021", "Distansarbete går ut över teamkänslan.", 0.36),
        ev("no-2018", "Tror ingen andre yrkesgrupper er utsatt for så mye.", 0.31),
        ev("no-2018", "Det er ikke bare legeressursene som utnyttes for dårlig.", 0.28),
        ev("no-2018", "Ett eksempel er innføringen av talegjenkjenning.", 0.25),
        ev("da-2021", "Formålet med partnerskabet er fælles viden.", 0.20),
    ]
    picked = other_documents(build_query(q), ranked, {"sv-2024"}, room=2, floor=0.34, topic_count=r.topic_count)
    assert [e.text for e in picked] == [
        "Ett eksempel er innføringen av talegjenkjenning.",
        "Distansarbete går ut över teamkänslan.",
    ]
    assert (
        other_documents(build_query(q), ranked, {"sv-2024"}, room=3, floor=0.34)[0].source == "sv-2021"
    )  # without topics
    assert (
        other_documents(
            build_query("Vad säger protokollet om taligenkänning?"), ranked, set(), 3, 0.34, topic_count=r.topic_count
        )
        == []
    )
    # a sentence under a heading that names the subject names it too
    heading = lambda ev: "Formål > Taligenkänning" if ev.source == "da-2021" else ""  # noqa: E731
    picked = other_documents(
        build_query(q), ranked, {"sv-2024", "no-2018"}, room=1, floor=0.9, topic_count=r.topic_count, heading_of=heading
    )
    assert [e.source for e in picked] == ["da-2021"]
    assert (
        other_documents(build_query(q), ranked, {"sv-2024", "no-2018"}, 1, 0.9, topic_count=r.topic_count) == []
    )  # names none
    # "… i Sverige og Norge?" answered from a Swedish document: the Norwegian one comes first
    lang = lambda source: source[:2]  # noqa: E731
    q2 = "Hva sier dokumentene om taligenkänning i Sverige og Norge?"
    picked = other_documents(
        build_query(q2), ranked, {"sv-2024"}, room=1, floor=0.34, topic_count=r.topic_count, language_of=lang
    )
    assert [e.source for e in picked] == ["no-2018"]
    ranked_no_topic = [e for e in ranked if "talegjenkjenning" not in e.text]
    assert (
        other_documents(build_query(q2), ranked_no_topic, {"sv-2024"}, 1, 0.30, language_of=lang)[0].source == "no-2018"
    )
    assert (
        other_documents(build_query(q2), ranked_no_topic, {"sv-2024"}, 1, 0.30)[0].source == "sv-2021"
    )  # no languages known
    # three countries named: one document of each before a second of any
    q3 = "Hva sier dokumentene om lønnen i Sverige, Norge og Danmark?"
    three = [
        ev("no-2018", "Lønnen er for lav.", 0.50),
        ev("no-2019", "Lønnen ble diskutert.", 0.48),
        ev("da-2021", "Lønnen forhandles lokalt.", 0.40),
    ]
    assert [e.source for e in other_documents(build_query(q3), three, {"sv-2024"}, 2, 0.30, language_of=lang)] == [
        "no-2018",
        "da-2021",
    ]
