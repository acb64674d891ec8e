"""End to end with the real EmbeddingGemma model (fetched by `make test`)."""

import pytest
from conftest import ROOT, shipped_assistant

from assistant.models import fetch as models

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not models.is_verified(models.gemma_dir(ROOT / "models")):
        pytest.fail("EmbeddingGemma is not in models/; run `make model` (make test does it)")
    return shipped_assistant(tmp_path_factory.mktemp("real"), answer_backend="extractive")


@pytest.mark.parametrize(
    "question,lang,source,fact",
    [
        ("Hva er inngangslønnen i Danmark?", "no", "2024-11-06_sv", "40 000"),
        ("Hvor mange underskrifter blev samlet ind på få timer?", "da", "2023-03-17_sv", "145 underskrifter"),
        ("How many people sit in the partnership's reference group?", "en", "2021-09-14_da", "8-12 personer"),
        ("Vem är ledare för Helsesekretærforbundet i Delta?", "sv", "2018-12-05_no", "Gro Bengtson"),
        ("Hur många medlemmar svarade på rapporten om distansarbete?", "sv", "2021-05-19_sv", "5000 medlemmar"),
    ],
)
def test_cross_lingual_answers_cite_the_right_passage(real, question, lang, source, fact):
    ans = real.ask(question)
    assert ans.language == lang and not ans.abstained, ans.text
    assert any(c.source.startswith(source) and fact in c.text for c in ans.citations), ans.to_json()["citations"]
    for c in ans.citations:
        assert real.index.documents[c.source].text[c.start : c.end] == c.text


def test_the_glossary_finds_a_swedish_term_for_an_english_question(real):
    hits = real.retrieve("How many safety representatives are there?", k=5).hits
    assert any("6496 skyddsombud" in h.chunk.text for h in hits), [h.chunk.text[:80] for h in hits]


def test_a_short_sentence_is_found_by_what_its_neighbours_say(real):
    """ "6496 skyddsombud." alone is a bare figure; read with its neighbours it is about the
    work environment and its safety representatives (sentence_text.py)."""
    r = real.retrieve("How many safety representatives are there?", k=5)
    top = r.hits[0]
    assert "6496 skyddsombud" in top.chunk.text, [h.chunk.text[:80] for h in r.hits]
    i = top.chunk.sentence_texts().index("6496 skyddsombud.")
    alone, in_context = (float(v[i] @ r.search_vector) for v in (top.sentence_vectors, top.search_vectors))
    assert in_context > alone + 0.05, (alone, in_context)


@pytest.mark.parametrize(
    "question,text",
    [
        ("What is the recipe for Swedish meatballs?", "The documents do not say anything about this."),
        ("Hvad koster en togbillet fra København til Aarhus?", "Dokumenterne siger ikke noget om dette."),
    ],
)
def test_unanswerable_questions_abstain(real, question, text):
    ans = real.ask(question)
    assert ans.abstained and ans.text == text and not ans.citations


def test_new_docx_and_pdf_become_answerable_and_only_they_are_embedded(real):
    import docx
    from fpdf import FPDF

    corpus = real.settings.path("corpus_dir")
    d = docx.Document()
    d.add_heading("Protokoll styrelsemöte 2025-03-12", 1)
    d.add_paragraph(
        "Styrelsen beslutade att friskvårdsbidraget för medicinska sekreterare höjs till 3500 kronor per år."
    )
    d.save(corpus / "2025-03-12_sv_styrelsemote.docx")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(
        0,
        8,
        "Referat 2025-04-02\nHovedstyret vedtok at helsesekretaerenes kurs i medisinsk koding skal holdes i Tromso i oktober.",
    )
    pdf.output(str(corpus / "2025-04-02_no_referat.pdf"))
    report = real.reindex()
    assert sorted(report.added) == ["2025-03-12_sv_styrelsemote.docx", "2025-04-02_no_referat.pdf"]
    assert len(report.unchanged) == 5 and report.embedded_chunks == 2
    ans = real.ask("How much is the wellness allowance for medical secretaries?")
    assert any(c.source.endswith(".docx") and "3500 kronor" in c.text for c in ans.citations), ans.text
    ans = real.ask("Hvor skal kurset i medisinsk koding holdes?")
    assert any(c.source.endswith(".pdf") and "Tromso" in c.text for c in ans.citations), ans.text
