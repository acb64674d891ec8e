import pytest

from assistant.core.errors import ConfigError
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant
from assistant.retrieval.glossary import load_glossary, parse


def test_a_term_brings_its_equivalents_in_the_other_languages():
    g = load_glossary("builtin")
    assert g.expand("How many safety representatives are there?") == (
        "How many safety representatives are there? (skyddsombud, arbejdsmiljørepræsentant, sikkerhedsrepræsentant, verneombud)"
    )
    assert "safety representative" in g.expand("Hur många skyddsombud har förbundet?")
    assert g.expand("Who won the World Cup?") == "Who won the World Cup?"
    assert "SG" in g.expand("When was the first steering group meeting?")  # the plan's table says "SG-møde"
    assert "steering group" in g.expand("Hvornår holdt SG møde?")
    assert load_glossary("").expand("How many safety representatives?") == "How many safety representatives?"


def test_words_that_only_start_like_a_term_are_not_expanded():
    g = load_glossary("builtin")
    assert g.expand("Who is the journalist?") == "Who is the journalist?"
    assert "patient records" in g.expand("Vilket journalsystem använder regionen?")  # a compound still matches
    assert g.expand("When is the payment made?") == "When is the payment made?"
    assert "lön" in g.expand("What is the pay?") and g.expand("Är det lönsamt?") == "Är det lönsamt?"
    assert not g.topics("Hur fungerar kompetensstegen i praktiken?")  # "in practice"
    assert g.topics("Hvordan opsamles erfaringerne fra praktikforløbene?") and g.topics("Hur ordnas praktik?")
    own = parse("en\tsv\nboard|!boarding\tstyrelse\n")
    assert own.expand("Where is the boarding gate?") == "Where is the boarding gate?"
    assert own.expand("Who is on the board?") == "Who is on the board? (styrelse)"
    assert parse("en\tsv\nboard\t!boarding\n").concepts == ()  # one term and an exception: nothing to expand


def test_a_glossary_of_ones_own_and_a_malformed_one(tmp_path):
    own = tmp_path / "terms.tsv"
    own.write_text("# ours\nen\tsv\nnight shift|night work\tnattpass|nattarbete\n", encoding="utf-8")
    assert load_glossary(str(own)).expand("Night shifts?") == "Night shifts? (night work, nattpass, nattarbete)"
    assert (
        load_glossary(str(own)).expand("Hur ser nattarbetet ut?")
        == "Hur ser nattarbetet ut? (night shift, night work, nattpass)"
    )
    with pytest.raises(ConfigError, match="line 2 has 3 columns"):
        parse("en\tsv\nnight shift\tnattpass\tx\n")
    with pytest.raises(ConfigError, match="bare '!'"):  # would turn the whole concept off
        parse("en\tsv\nboard|!|!boarding\tstyrelse\n")
    spaced = parse("en\tsv\nboard|! boarding\tstyrelse\n")  # "! word" is "!word"
    assert spaced.expand("Boarding pass?") == "Boarding pass?"
    assert spaced.expand("Who is on the board?") == "Who is on the board? (styrelse)"
    with pytest.raises(ConfigError, match="Cannot read the glossary"):
        load_glossary(str(tmp_path / "missing.tsv"))


def test_retrieval_searches_with_the_glossary_and_answers_from_the_question(settings, fake_embedder):
    build_index(settings, fake_embedder)
    q = "How many safety representatives?"
    on = Assistant(settings, embedder=fake_embedder).warm_up().retrieve(q, k=3)
    off = Assistant(settings.replace(glossary=""), embedder=fake_embedder).warm_up().retrieve(q, k=3)
    assert "skyddsombud" in on.hits[0].chunk.text  # the trigram embedder links them only through the glossary
    assert not any("skyddsombud" in h.chunk.text for h in off.hits)
    assert on.query.text == q and (on.query_vector == fake_embedder.embed_query_np(q)).all()


def test_a_glossary_setting_is_read_relative_to_the_project(settings, fake_embedder):
    build_index(settings, fake_embedder)
    (settings.root / "terms.tsv").write_text("en\tsv\nnight shift\tnattpass\n", encoding="utf-8")
    a = Assistant(settings.replace(glossary="terms.tsv"), embedder=fake_embedder).warm_up()
    assert a.retriever.glossary.expand("Night shifts?") == "Night shifts? (nattpass)"
