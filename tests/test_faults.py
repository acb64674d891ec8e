"""Faults beyond single files: damaged index files, a file that breaks chunking or
embedding, abusive questions, concurrent members. Each gives a bounded, isolated,
clear result."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import FakeEmbedder

from assistant.app import cli
from assistant.core.errors import IndexCorruptError
from assistant.index.indexer import build_index
from assistant.index.stores import make_store
from assistant.pipeline.assistant import Assistant
from assistant.query.questions import QuestionError

INDEX_FILES = [
    "vectors.faiss",
    "chunk_vectors.npy",
    "sentence_vectors.npy",
    "sentence_search_vectors.npy",
    "sentence_offsets.npy",
    "chunks.jsonl",
    "documents.jsonl",
]


def _current(settings):
    d = settings.path("index_dir")
    return d / (d / "CURRENT").read_text().strip()


@pytest.mark.parametrize("name", INDEX_FILES)
def test_damaged_index_file_is_an_index_error_and_index_repairs_it(fake_cli, name, capsys):
    root = str(fake_cli.root)
    assert cli.main(["--root", root, "index"]) == 0
    f = _current(fake_cli) / name
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])  # truncated
    with pytest.raises(IndexCorruptError, match=f"{name}.*assistant index"):
        make_store(fake_cli).open()
    capsys.readouterr()
    assert cli.main(["--root", root, "ask", "Hvor mange personer er der i referencegruppen?"]) == 5
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "assistant index" in err
    assert cli.main(["--root", root, "index"]) == 0  # no --rebuild needed
    assert "full rebuild" in capsys.readouterr().out
    assert cli.main(["--root", root, "ask", "Hvor mange personer er der i referencegruppen?"]) == 0


@pytest.mark.parametrize(
    "damage",
    [
        "garbage manifest",
        "pointer to nowhere",
        "manifest without file list",
        "embedding as a string",
        "manifest a list",
        "document without hash",
    ],
)
def test_damaged_manifest_or_pointer(fake_cli, damage, capsys):
    root = str(fake_cli.root)
    assert cli.main(["--root", root, "index"]) == 0
    folder = _current(fake_cli)
    if damage == "garbage manifest":
        (folder / "manifest.json").write_text("{not json")
    elif damage == "pointer to nowhere":
        (fake_cli.path("index_dir") / "CURRENT").write_text("v-gone\n")
    else:  # hand-edited manifests: each was a traceback (TypeError) before the manifest's shape was checked
        import json

        m = json.loads((folder / "manifest.json").read_text())
        if damage == "manifest without file list":
            del m["files"]
        elif damage == "embedding as a string":
            m["embedding"] = "google/embeddinggemma-300m"
        elif damage == "manifest a list":
            m = [m]
        else:
            next(iter(m["documents"].values())).pop("content_hash")
        (folder / "manifest.json").write_text(json.dumps(m))
    capsys.readouterr()
    assert cli.main(["--root", root, "retrieve", "lön"]) == 5
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "assistant index" in err
    assert cli.main(["--root", root, "index"]) == 0
    assert cli.main(["--root", root, "retrieve", "lön"]) == 0


def test_two_index_runs_at_once_publish_in_turn_and_leave_a_readable_index(fake_cli, fake_embedder, monkeypatch):
    import assistant.index.faiss_store as fs
    from assistant.index.faiss_store import POINTER

    write = fs._write_version
    monkeypatch.setattr(fs, "_write_version", lambda *a: (write(*a), time.sleep(0.3)))  # writes overlap for sure
    with ThreadPoolExecutor(2) as pool:  # without the lock, one run's cleanup removed the other's published version
        reps = list(pool.map(lambda _: build_index(fake_cli, fake_embedder, rebuild=True), range(4)))
    assert all(r.total_chunks == reps[0].total_chunks for r in reps)
    index_dir = fake_cli.path("index_dir")
    name = (index_dir / POINTER).read_text().strip()
    assert (index_dir / name).is_dir() and len(make_store(fake_cli).open()) == reps[0].total_chunks
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_a_file_with_too_many_passages_or_sentences_is_refused_with_what_to_do_and_the_rest_indexes(
    settings, fake_embedder
):
    corpus = settings.path("corpus_dir")
    (corpus / "log.txt").write_text("".join(f"Rad {i} loggades.\n\n" for i in range(400)), encoding="utf-8")
    rep = build_index(settings.replace(max_file_sentences=300), fake_embedder)
    assert [e.path for e in rep.errors] == ["log.txt"] and len(rep.added) == 5
    assert "400 sentences" in rep.errors[0].reason and "max_file_sentences" in rep.errors[0].reason
    rep = build_index(settings.replace(max_file_chunks=5), fake_embedder)
    assert [e.path for e in rep.errors] == ["log.txt"] and "chunks to embed, over max_file_chunks = 5" in rep.errors[
        0
    ].reason
    assert "log.txt" in build_index(settings, fake_embedder).added  # the default limit takes it


class BoomEmbedder(FakeEmbedder):
    """Fails on any text containing BOOM, like a model choking on one file's text."""

    def embed_documents(self, texts):
        if any("BOOM" in t for t in texts):
            raise RuntimeError("the model failed on this text")
        return super().embed_documents(texts)


def test_a_file_that_fails_to_embed_is_isolated_and_strict_exits_4(settings, capsys, monkeypatch):
    corpus = settings.path("corpus_dir")
    (corpus / "bad.txt").write_text("Protokoll\n\nDetta stycke får modellen att krascha: BOOM.\n", encoding="utf-8")
    (corpus / "good.txt").write_text(
        "Protokoll 2025\n\nStyrelsen beslutade om friskvårdsbidrag på 3500 kronor.\n", encoding="utf-8"
    )
    rep = build_index(settings, BoomEmbedder())
    assert [e.path for e in rep.errors] == ["bad.txt"] and "could not be embedded" in rep.errors[0].reason
    assert "good.txt" in rep.added and len(rep.added) == 6
    import assistant.models.embeddings as emb
    import assistant.pipeline.assistant as pl

    monkeypatch.setattr(emb, "load_embedder", lambda s: BoomEmbedder())
    monkeypatch.setattr(pl, "load_embedder", lambda s: BoomEmbedder())
    (corpus / "bad.txt").write_text("Ändrad men fortfarande BOOM.\n", encoding="utf-8")
    assert cli.main(["--root", str(settings.root), "index", "--strict"]) == 4
    assert "bad.txt" in capsys.readouterr().out


def test_a_file_that_breaks_the_chunker_is_isolated(settings, fake_embedder, monkeypatch):
    import assistant.index.indexer as ix

    real = ix.chunk_document

    def chunk(doc, *a, **kw):
        if doc.source == "2018-12-05_no_dagens-medisin-helsesekretaerer-i-skranken.txt":
            raise ValueError("unexpected structure")
        return real(doc, *a, **kw)

    monkeypatch.setattr(ix, "chunk_document", chunk)
    rep = build_index(settings, fake_embedder)
    assert len(rep.added) == 4 and rep.errors[0].path.startswith("2018-12-05") and "chunked" in rep.errors[0].reason


@pytest.fixture
def assistant(settings, fake_embedder):
    build_index(settings, fake_embedder)
    return Assistant(settings, embedder=fake_embedder).warm_up()


@pytest.mark.parametrize(
    "question,kind,lang",
    [
        ("", "empty", "en"),
        ("   \n\t ", "empty", "en"),
        ("?!", "empty", "en"),
        ("Hur många " + "underskrifter " * 200, "long", "sv"),
        ("Hvor mange personer er der i referencegruppen? " * 30, "long", "da"),
    ],
)
def test_empty_and_oversized_questions_are_refused_before_any_model(assistant, question, kind, lang):
    with pytest.raises(QuestionError) as e:
        assistant.ask(question)
    assert e.value.kind == kind and e.value.language == lang


def test_question_is_normalised_and_cjk_or_other_languages_get_english(assistant):
    ans = assistant.ask("  Hvor mange\x00 personer\n er der   i referencegruppen?  ")
    assert ans.question == "Hvor mange personer er der i referencegruppen?"
    for q in ("工会有多少安全代表？", "Kuinka monta allekirjoitusta vetoomus sai?"):
        assert assistant.ask(q).language == "en"


def test_answer_latency_excludes_loading(settings, fake_embedder):
    class SlowLoad(FakeEmbedder):
        def warm_up(self):
            time.sleep(0.5)

    build_index(settings, fake_embedder)
    a = Assistant(settings, embedder=SlowLoad())
    ans = a.ask("Vilka är hjärtefrågorna?")
    assert a.load_seconds >= 0.5 and ans.latency_s < 0.5


def test_concurrent_members_get_the_same_answers_as_one_by_one(assistant):
    qs = [
        "Hvor mange personer er der i referencegruppen?",
        "Vilka är hjärtefrågorna?",
        "distansarbete",
        "Hvem er leder for Helsesekretærforbundet?",
    ] * 4
    alone = [assistant.ask(q).text for q in qs]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: assistant.ask(q).text, qs))
    assert together == alone


def test_noise_and_a_symlink_out_beside_a_good_file_leave_the_good_one_answerable(settings, fake_embedder):
    corpus = settings.path("corpus_dir")
    (corpus / "noise.txt").write_text("x" * 40_000 + "\n", encoding="utf-8")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "2025-02-01_sv_styrelse.txt").write_text(
        "Protokoll\n\nStyrelsen beslutade att friskvårdsbidraget blir 3500 kronor.\n", encoding="utf-8"
    )
    rep = build_index(settings, fake_embedder)
    assert "2025-02-01_sv_styrelse.txt" in rep.added and "noise.txt" in rep.added
    assert [e.path for e in rep.errors] == ["passwd.txt"] and "outside the corpus" in rep.errors[0].reason
    a = Assistant(settings, embedder=fake_embedder).warm_up()
    assert not any("root:" in c.text for s in a.index.documents for _, c in a.index.document_chunks(s))
    ans = a.ask("Hur stort blir friskvårdsbidraget?")
    assert any("3500 kronor" in c.text for c in ans.citations)
