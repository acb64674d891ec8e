import pytest
from conftest import ROOT

from assistant.core.errors import LoaderError
from assistant.ingest.loaders import find_date, load_corpus, load_file


def test_shipped_corpus_metadata():
    rep = load_corpus(ROOT / "corpus")
    assert not rep.errors
    by = {d.source[:10]: d for d in rep.documents}
    assert by["2021-09-14"].language == "da" and by["2021-09-14"].title == "Projektplan"
    assert by["2018-12-05"].language == "no" and by["2018-12-05"].title == "Nøkkelpersonellet i skranken"
    assert by["2024-11-06"].language == "sv" and by["2024-11-06"].date == "2024-11-06"
    assert by["2024-11-06"].title == "Nationella medicinska sekreterarnätverket höst 2024"
    assert by["2023-03-17"].title == "Bättre arbetsvillkor för medicinska sekreterare!"
    assert by["2021-05-19"].title == "Nationella nätverket för medicinska sekreterare 210519-210520"


def test_dates_from_text():
    assert find_date("Opdateret 14. sept. 2021") == "2021-09-14"
    assert find_date("Nationella nätverket 210519-210520\nmore") == "2021-05-19"
    assert find_date("nothing here") is None


def test_pdf_docx_html(tmp_path):
    import docx
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Protokoll 2025-02-03\nStyrelsen beslutade att höja medlemsavgiften med 20 kronor.")
    pdf.output(str(tmp_path / "a.pdf"))
    d = docx.Document()
    d.add_heading("Referat af møde", 1)
    d.add_paragraph("Vi har besluttet at lægesekretærerne får mere uddannelse.")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "Tid"
    t.cell(0, 1).text = "Sted"
    t.cell(1, 0).text = "9. nov."
    t.cell(1, 1).text = "København"
    d.save(tmp_path / "b.docx")
    (tmp_path / "c.html").write_text(
        "<html><head><title>x</title><script>var a=1;</script></head><body><h1>Møte</h1>"
        "<p>Helsesekretærene <b>krever</b> høyere lønn.</p></body></html>",
        encoding="utf-8",
    )
    a, b, c = (load_file(tmp_path / n) for n in ("a.pdf", "b.docx", "c.html"))
    assert "medlemsavgiften med 20 kronor" in a.text and a.date == "2025-02-03" and a.language == "sv"
    assert b.text.startswith("# Referat af møde") and "Tid\tSted\n9. nov.\tKøbenhavn" in b.text and b.language == "da"
    assert c.text == "# Møte\n\nHelsesekretærene krever høyere lønn." and "var a" not in c.text and c.title == "Møte"


def test_non_utf8_is_decoded(tmp_path):
    (tmp_path / "x.txt").write_bytes("Mötet i Malmö beslutade om lönetillägg.".encode("cp1252"))
    d = load_file(tmp_path / "x.txt")
    assert "Malmö" in d.text and d.encoding == "cp1252"


@pytest.mark.parametrize(
    "name,data,msg",
    [
        ("empty.txt", b"  \n", "empty"),
        ("bin.txt", b"\x00\x01\x02abc" * 10, "binary"),
        ("x.xlsx", b"PK whatever", "unsupported file type"),
        ("bad.pdf", b"%PDF-1.4 garbage", "PDF"),
        ("bad.docx", b"not a zip at all", "DOCX"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, name, data, msg):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(LoaderError, match=msg) as e:
        load_file(tmp_path / name)
    assert name in str(e.value)


def test_corpus_continues_past_bad_files(tmp_path):
    (tmp_path / "good.md").write_text("# Möte\n\nVi beslutade att träffas igen i maj.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "data.bin").write_bytes(b"\x00\x00")
    rep = load_corpus(tmp_path)
    assert [d.source for d in rep.documents] == ["good.md"]
    assert sorted(e.path for e in rep.errors) == ["data.bin", "empty.txt"]
