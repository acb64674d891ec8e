from conftest import ROOT

from assistant.ingest.chunking import ChunkerSettings, chunk_document, heading_path, outline, tiktoken_counter
from assistant.ingest.loaders import load_corpus, load_file

DOCS = {d.source: d for d in load_corpus(ROOT / "corpus").documents}


def test_spans_are_exact_and_within_token_limit():
    count = tiktoken_counter()
    for doc in DOCS.values():
        chunks = chunk_document(doc)
        assert chunks
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert count(c.text) <= 220
            for s, e in c.sentences:
                assert c.start <= s < e <= c.end
        assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_heading_paths_and_table_header():
    da = DOCS["2021-09-14_da_projektplan-partnerskab-hk-rltn.md"]
    chunks = chunk_document(da)
    rg = next(c for c in chunks if "Referencegruppen (RG)" in c.text)
    assert rg.headings == ("Projektets organisering",)
    rows = [c for c in chunks if "7.feb. 2022" in c.text]
    assert rows and rows[0].context.startswith("Tid\tSted\tMøder\tTemaer")
    assert "Tid\tSted" in rows[0].embed_text and "<b>" not in rows[0].embed_text
    sv = DOCS["2024-11-06_sv_natverket-medicinska-sekreterare-host-2024.md"]
    pos = sv.text.index("Utredningen ska vara klar 30 maj 2025")
    path = heading_path(outline(sv), pos)
    assert path[1] == "Dag 2." and path[-1].startswith("Hur går det med utredningen")


def test_ids_are_content_derived(tmp_path):
    p = tmp_path / "a.md"
    p.write_text(
        "# A\n\nFörsta stycket handlar om lön.\n\n# B\n\nAndra stycket handlar om arbetsmiljö.\n", encoding="utf-8"
    )
    first = chunk_document(load_file(p))
    assert [c.chunk_id for c in first] == [c.chunk_id for c in chunk_document(load_file(p))]
    p.write_text(p.read_text(encoding="utf-8").replace("arbetsmiljö", "semester"), encoding="utf-8")
    assert [c.chunk_id for c in chunk_document(load_file(p))] != [c.chunk_id for c in first]


def test_long_paragraph_is_split_by_sentences(tmp_path):
    p = tmp_path / "long.txt"
    p.write_text(
        " ".join(f"Mening nummer {i} handlar om medicinska sekreterare och deras lön." for i in range(80)),
        encoding="utf-8",
    )
    chunks = chunk_document(load_file(p), ChunkerSettings(max_tokens=100))
    assert len(chunks) > 5 and all(tiktoken_counter()(c.text) <= 100 for c in chunks)


def test_sentences_do_not_end_at_an_abbreviation_or_before_a_lone_number():
    from assistant.ingest.spans import sentence_spans

    def split(t):
        return [t[a:b] for a, b in sentence_spans(t, 0, len(t))]

    assert split("Opdateret 14. sept. 2021") == ["Opdateret 14. sept. 2021"]
    assert split("Den nya inriktningen Starkare tillsammans. 2025–2028. Nästa punkt.") == [
        "Den nya inriktningen Starkare tillsammans. 2025–2028.",
        "Nästa punkt.",
    ]
    assert split("Det finns 6496 skyddsombud. Nästa punkt.") == ["Det finns 6496 skyddsombud.", "Nästa punkt."]
    assert split("Vi har bl.a. Norge. Och Sverige.") == ["Vi har bl.a. Norge.", "Och Sverige."]
    assert split("Det blev motion 44. Vi tittar på den.") == ["Det blev motion 44.", "Vi tittar på den."]


def test_an_agenda_heading_with_its_presenter_is_a_quotable_sentence():
    sv = DOCS["2024-11-06_sv_natverket-medicinska-sekreterare-host-2024.md"]
    quotable = {s for c in chunk_document(sv) for s in c.sentence_texts()}
    assert any(
        s.startswith("Hur går det med utredningen") and s.endswith("Josepha Lindbom, Strateg, Stabsfunktionen")
        for s in quotable
    )
    assert any("Felix Ulfenstedt" in s for s in quotable)
    assert "Dag 2." not in quotable  # a short heading is not
    assert not any(s.startswith("Gemensam opinionsbildning i nätverket") for s in quotable)  # nor a question
    assert not any(s.startswith("Vad hände avtal 2024") for s in quotable)  # nor a topic without a name


def test_a_short_topic_with_a_dash_and_its_presenter_is_quotable():
    sv21 = DOCS["2021-05-19_sv_natverket-medicinska-sekreterare-maj-2021.txt"]
    quotable = {s for c in chunk_document(sv21) for s in c.sentence_texts()}
    assert "Distansarbete/hemarbete – Björn Cardenas" in quotable  # four words: was not quotable
    assert "Löner och villkor" not in quotable and "Mariela Ferré Hofman" not in quotable


def test_a_list_of_short_items_is_one_sentence_with_its_lead_in(tmp_path):
    sv = DOCS["2024-11-06_sv_natverket-medicinska-sekreterare-host-2024.md"]
    quotable = [s for c in chunk_document(sv) for s in c.sentence_texts()]
    hearts = [s for s in quotable if "Mänskligt arbetsliv" in s]
    assert hearts == [
        "Hjärtefrågor:\n\n- Mänskligt arbetsliv\n- Utvecklande arbetsliv\n- Innovation och delaktighet\n\n"
        "- Grönare framtid\n- En arbetsplats för alla."
    ]  # was five one-item sentences and a lead-in
    # too short to quote; an item ending in a period belongs to the list (a member saw the list stop before it)
    da = DOCS["2021-09-14_da_projektplan-partnerskab-hk-rltn.md"]
    quotable = [s for c in chunk_document(da) for s in c.sentence_texts()]
    assert "- Rekrutteringssituationen\n- Kompetenceudvikling\n- Praktikforløb" in quotable
    # items that are sentences stay sentences, and a lone item stays one
    p = tmp_path / "m.md"
    p.write_text(
        "# Frågor\n\nVi frågade:\n\n- Hur många sekreterare behövs i regionen?\n- Vem betalar utbildningen?\n\n"
        "Ensam punkt:\n\n- Budget\n",
        encoding="utf-8",
    )
    doc = load_file(p, tmp_path)
    quotable = [s for c in chunk_document(doc) for s in c.sentence_texts()]
    assert quotable == [
        "Vi frågade:",
        "Hur många sekreterare behövs i regionen?",
        "Vem betalar utbildningen?",
        "Ensam punkt:",
        "Budget",
    ]


def test_a_list_quote_reads_on_one_line():
    from assistant.ingest.chunking import clean_text, flat_list

    sv = DOCS["2024-11-06_sv_natverket-medicinska-sekreterare-host-2024.md"]
    hearts = next(s for c in chunk_document(sv) for s in c.sentence_texts() if "Mänskligt arbetsliv" in s)
    assert flat_list(clean_text(hearts)) == (
        "Hjärtefrågor: Mänskligt arbetsliv; Utvecklande arbetsliv; "
        "Innovation och delaktighet; Grönare framtid; En arbetsplats för alla."
    )
    assert flat_list("En mening\nsom fortsätter.") == "En mening\nsom fortsätter."  # not a list: unchanged


def test_a_navigation_menu_is_not_quotable():
    no = DOCS["2018-12-05_no_dagens-medisin-helsesekretaerer-i-skranken.txt"]
    chunks = chunk_document(no)
    assert any("Logg inn" in c.text for c in chunks)  # still in the passage
    assert not any("Logg inn" in s or "Abonnere" in s for c in chunks for s in c.sentence_texts())
