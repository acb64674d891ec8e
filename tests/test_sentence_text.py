from conftest import ROOT

from assistant.index.sentence_text import SHORT_WORDS, sentence_embed_texts
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_corpus

DOCS = {d.source: d for d in load_corpus(ROOT / "corpus").documents}


def _pairs(source: str) -> list[tuple[str, str]]:
    return [(s, t) for c in chunk_document(DOCS[source]) for s, t in zip(c.sentence_texts(), sentence_embed_texts(c))]


def test_a_table_row_is_quoted_whole_and_read_with_its_column_names():
    pairs = _pairs("2021-09-14_da_projektplan-partnerskab-hk-rltn.md")
    row = next((s, t) for s, t in pairs if "SG-møde" in s and "København (RLTN)" in s and "sept" in s)
    assert row[0].startswith("20. sept. 2021\t")  # the day is not trimmed like a list number
    assert row[1].startswith("Tid: 20. sept. 2021 | Sted: København (RLTN) | Møder: SG-møde")
    assert not any(s.startswith("Tid\tSted") for s, _ in pairs)  # the header row itself is not a quote


def test_a_short_sentence_is_read_with_its_neighbours_a_long_one_alone():
    pairs = dict(_pairs("2024-11-06_sv_natverket-medicinska-sekreterare-host-2024.md"))
    short = pairs["6496 skyddsombud."]
    assert short == "Aktuell arbetsmiljö. 6496 skyddsombud. Skyddsombud gör skillnad."
    long = next(s for s in pairs if len(s.split()) >= SHORT_WORDS and "\t" not in s)
    assert pairs[long] == long


def test_a_list_is_read_on_one_line_after_its_lead_in_or_its_heading():
    from assistant.index.sentence_text import sentence_alone_texts

    alone = {
        s: a
        for c in chunk_document(DOCS["2021-09-14_da_projektplan-partnerskab-hk-rltn.md"])
        for s, a in zip(c.sentence_texts(), sentence_alone_texts(c))
    }
    assert (
        alone["- Rekrutteringssituationen\n- Kompetenceudvikling\n- Praktikforløb"]
        == "Kort sigt: Rekrutteringssituationen; Kompetenceudvikling; Praktikforløb"
    )  # no lead-in: its heading
    sv = DOCS["2024-11-06_sv_natverket-medicinska-sekreterare-host-2024.md"]
    alone = [a for c in chunk_document(sv) for a in sentence_alone_texts(c)]
    assert (
        "Hjärtefrågor: Mänskligt arbetsliv; Utvecklande arbetsliv; Innovation och delaktighet; Grönare framtid; "
        "En arbetsplats för alla." in alone
    )
    assert "6496 skyddsombud." in alone  # other sentences as they are
