"""Fault tests for hostile or accidental files in the corpus: each is refused (or read)
on its own with one clear line, quickly and in bounded memory, and the good files
beside it still load and chunk (issue 9)."""

from __future__ import annotations

import io
import logging
import os
import random
import string
import threading
import time
import zipfile
from pathlib import Path

import pytest

from assistant.core.config import load_settings
from assistant.core.errors import LoaderError
from assistant.ingest import formats
from assistant.ingest.chunking import chunk_document, tiktoken_counter
from assistant.ingest.formats import LOADERS
from assistant.ingest.loaders import SUPPORTED, LoadLimits, find_date, load_corpus, load_file

GOOD = "# Möte\n\nStyrelsen beslutade att höja medlemsavgiften med 20 kronor.\n"


@pytest.fixture
def corpus(tmp_path):
    c = tmp_path / "corpus"
    c.mkdir()
    (c / "2024-01-02_sv_good.md").write_text(GOOD, encoding="utf-8")
    return c


def errors_by_path(rep) -> dict[str, str]:
    assert all("\n" not in str(e) for e in rep.errors)  # one line each
    return {e.path: e.reason for e in rep.errors}


# ---------- links, special files, folders ----------


def test_symlink_to_etc_passwd_is_refused_and_never_read(corpus):
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    rep = load_corpus(corpus)
    assert [d.source for d in rep.documents] == ["2024-01-02_sv_good.md"]
    assert "outside the corpus" in errors_by_path(rep)["passwd.txt"]
    assert not any("root:" in d.text for d in rep.documents)


def test_symlink_to_a_file_outside_and_a_linked_folder_are_refused(corpus, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Hemligt lösenord: hunter2.", encoding="utf-8")
    (corpus / "link.txt").symlink_to(outside / "secret.txt")
    (corpus / "linked").symlink_to(outside, target_is_directory=True)
    rep = load_corpus(corpus)
    errs = errors_by_path(rep)
    assert [d.source for d in rep.documents] == ["2024-01-02_sv_good.md"]
    assert set(errs) == {"link.txt", "linked"}
    assert all("outside the corpus" in r for r in errs.values())
    with pytest.raises(LoaderError, match="outside the corpus"):  # a path through the linked folder, asked directly
        load_file(corpus / "linked" / "secret.txt", corpus)


def test_links_inside_the_corpus_are_fine_and_not_duplicated(corpus):
    sub = corpus / "sub"
    sub.mkdir()
    (sub / "2023-05-06_sv_inner.md").write_text("# Inre\n\nVi träffades i maj.\n", encoding="utf-8")
    (corpus / "alias").symlink_to(sub, target_is_directory=True)  # not followed: its file is found in sub/
    (corpus / "same.md").symlink_to(corpus / "2024-01-02_sv_good.md")
    (corpus / "broken.md").symlink_to(corpus / "gone.md")
    rep = load_corpus(corpus)
    # a linked file is indexed once, under its own name (twice, it was quoted twice as [1] and [2])
    assert [d.source for d in rep.documents] == ["2024-01-02_sv_good.md", "sub/2023-05-06_sv_inner.md"]
    assert set(errors_by_path(rep)) == {"broken.md"} and "broken symbolic link" in rep.errors[0].reason
    assert rep.skipped == (
        "alias: a link to the folder sub inside the corpus, whose files are indexed from there",
        "same.md: a link to the file 2024-01-02_sv_good.md inside the corpus, indexed from there "
        "(it would be quoted twice)",
    )


@pytest.mark.parametrize("name", ["pipe.txt", "pipe"])
def test_fifo_is_refused_without_opening_it(corpus, name):
    os.mkfifo(corpus / name)  # opening it for reading would block forever
    result = {}
    t = threading.Thread(target=lambda: result.update(rep=load_corpus(corpus)), daemon=True)
    t.start()
    t.join(timeout=20)
    assert not t.is_alive(), "load_corpus blocked on a FIFO"
    rep = result["rep"]
    assert [d.source for d in rep.documents] == ["2024-01-02_sv_good.md"]
    assert "not a regular file" in errors_by_path(rep)[name]


def test_hidden_files_are_skipped_and_readme_is_indexed(corpus):
    (corpus / ".upload-x.md").write_text("# Halvfärdig uppladdning\n", encoding="utf-8")
    (corpus / "README.md").write_text("# Om mappen\n\nHär ligger protokollen från nätverket.\n", encoding="utf-8")
    rep = load_corpus(corpus)
    assert [d.source for d in rep.documents] == ["2024-01-02_sv_good.md", "README.md"] and not rep.errors
    assert rep.skipped == (".upload-x.md: hidden (the name starts with '.'); rename it to index it",)


# ---------- size limits ----------


def test_oversize_file_is_refused_by_stat_before_reading(corpus, monkeypatch):
    with open(corpus / "huge.txt", "wb") as f:
        f.truncate(25 * 1024 * 1024)  # sparse: 25 MB by stat, nothing written
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k))
    rep = load_corpus(corpus)
    assert "25.0 MB, over the 20 MB limit" in errors_by_path(rep)["huge.txt"]
    assert not any(p.endswith("huge.txt") for p in opened)
    assert [d.source for d in rep.documents] == ["2024-01-02_sv_good.md"]


def test_extracted_text_over_the_character_limit_is_refused(corpus):
    (corpus / "long.txt").write_text("Styrelsen beslutade. " * 100, encoding="utf-8")
    rep = load_corpus(corpus, LoadLimits(max_text_chars=1000))
    assert "max_text_chars" in errors_by_path(rep)["long.txt"]
    assert [d.source for d in rep.documents] == ["2024-01-02_sv_good.md"]


def test_html_markup_over_its_limit_is_refused(tmp_path):
    (tmp_path / "p.html").write_text("<p>" + "Mötet beslutade. " * 20 + "</p>", encoding="utf-8")
    with pytest.raises(LoaderError, match="max_html_chars"):
        load_file(tmp_path / "p.html", limits=LoadLimits(max_html_chars=100))


def test_limits_come_from_settings_with_the_same_defaults(tmp_path):
    assert LoadLimits.from_settings(load_settings(tmp_path, env={})) == LoadLimits()
    assert LoadLimits.from_settings(load_settings(tmp_path, env={"ASSISTANT_MAX_FILE_MB": "3"})).max_file_mb == 3.0


# ---------- DOCX zip limits ----------


def docx_with(entries: dict[str, bytes] | None = None, n_extra: int = 0) -> bytes:
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, (entries or {}).get(info.filename, src.read(info.filename)))
        for i in range(n_extra):
            z.writestr(f"extra/item{i}.xml", b"<a/>")
    return out.getvalue()


def test_zip_bomb_docx_is_refused_before_parsing(corpus):
    t0 = time.perf_counter()
    bomb = docx_with({"word/document.xml": b"<w:p>" + b"\0" * (60 * 1024 * 1024)})
    (corpus / "bomb.docx").write_bytes(bomb)
    assert len(bomb) < 200_000
    rep = load_corpus(corpus)
    assert "inflates to 60 MB, over the 50 MB limit (docx_max_entry_mb)" in errors_by_path(rep)["bomb.docx"]
    assert [d.source for d in rep.documents] == ["2024-01-02_sv_good.md"]
    assert time.perf_counter() - t0 < 20


def test_ratio_bomb_many_entries_and_total_size_are_refused(tmp_path):
    cases = {
        "ratio.docx": (docx_with({"word/document.xml": b"\0" * (5 * 1024 * 1024)}), LoadLimits(), "docx_max_ratio"),
        "many.docx": (docx_with(n_extra=1001), LoadLimits(), "docx_max_entries"),
        "total.docx": (
            docx_with({"word/document.xml": os.urandom(700_000), "word/styles.xml": os.urandom(700_000)}),
            LoadLimits(docx_max_total_mb=1),
            "docx_max_total_mb",
        ),
    }
    for name, (data, limits, msg) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(LoaderError, match=msg):
            load_file(tmp_path / name, limits=limits)


def test_docx_whose_header_understates_its_size_cannot_inflate_past_it(tmp_path):
    data = bytearray(docx_with({"word/document.xml": b"\0" * (5 * 1024 * 1024)}))
    z = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = z.getinfo("word/document.xml")
    cd = data.find(b"PK\x01\x02")  # the central directory's entries: signature, fixed fields, name at +46
    while data[cd + 46 : cd + 46 + 17] != b"word/document.xml":
        cd = data.find(b"PK\x01\x02", cd + 4)
    data[cd + 24 : cd + 28] = (1000).to_bytes(4, "little")  # uncompressed size field: claims 1000 bytes
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml").file_size == 1000 != info.file_size
    (tmp_path / "liar.docx").write_bytes(bytes(data))
    with pytest.raises(LoaderError, match="corrupt or unreadable DOCX"):
        load_file(tmp_path / "liar.docx")


# ---------- PDF limits ----------


def make_pdf(path: Path, pages: int) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for i in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Sida {i + 1}. Styrelsen beslutade att höja medlemsavgiften.")
    pdf.output(str(path))


def test_pdf_page_limit_and_time_budget(tmp_path, monkeypatch):
    make_pdf(tmp_path / "p.pdf", 10)
    assert "Sida 10." in load_file(tmp_path / "p.pdf").text
    with pytest.raises(LoaderError, match="10 pages, over the limit of 5"):
        load_file(tmp_path / "p.pdf", limits=LoadLimits(max_pdf_pages=5))

    class SlowClock:  # every page "takes" 10 s against the 60 s budget
        t = 0.0

        def monotonic(self):
            self.t += 10.0
            return self.t

    monkeypatch.setattr(formats, "time", SlowClock())
    with pytest.raises(LoaderError, match=r"over 60 s and was stopped at page 7 of 10 \(parse_budget_s\)"):
        load_file(tmp_path / "p.pdf")


def test_a_corrupt_pdf_is_one_clear_error_and_pypdf_prints_nothing(tmp_path, caplog):
    random.seed(5)
    bad = tmp_path / "random.pdf"
    bad.write_bytes(bytes(random.getrandbits(8) for _ in range(4096)))
    caplog.set_level("WARNING")
    with pytest.raises(LoaderError, match=r"random\.pdf: corrupt or unreadable PDF .*; re-export it"):
        load_file(bad)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pypdf")] == []
    assert logging.getLogger("pypdf").level == logging.NOTSET  # restored for other users of pypdf


# ---------- per-file isolation ----------


def test_noise_file_beside_a_good_file_loads_and_both_chunk(corpus):
    random.seed(9)
    (corpus / "noise.txt").write_text(
        "".join(random.choices(string.ascii_letters + string.digits, k=40_000)), encoding="utf-8"
    )
    rep = load_corpus(corpus)
    assert not rep.errors and [d.source for d in rep.documents] == ["2024-01-02_sv_good.md", "noise.txt"]
    count = tiktoken_counter()
    for doc in rep.documents:
        chunks = chunk_document(doc)
        assert chunks and all(doc.text[c.start : c.end] == c.text and count(c.text) <= 220 for c in chunks)
        assert all(c.start <= s < e <= c.end for c in chunks for s, e in c.sentences)
    noise = chunk_document(rep.documents[1])
    assert len(noise) > 100 and noise[0].start == 0 and noise[-1].end == 40_000


def test_an_unexpected_reader_failure_stays_with_its_file(corpus, monkeypatch):
    def broken(data, path, limits):
        raise RuntimeError("parser bug")

    monkeypatch.setitem(LOADERS._items, ".txt", broken)
    (corpus / "a.txt").write_text("Mötet började klockan nio.", encoding="utf-8")
    rep = load_corpus(corpus)
    assert [d.source for d in rep.documents] == ["2024-01-02_sv_good.md"]
    assert errors_by_path(rep)["a.txt"].startswith("could not be loaded (RuntimeError: parser bug)")


# ---------- encodings and dates ----------

TEXT = "Mötet i Malmö beslutade om lönetillägg – “ja” för alla.\n"


@pytest.mark.parametrize(
    "bom,codec,label",
    [
        (b"\xef\xbb\xbf", "utf-8", "utf-8"),
        (b"\xff\xfe", "utf-16-le", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be", "utf-16-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32-be"),
    ],
)
def test_text_with_a_byte_order_mark_is_decoded(tmp_path, bom, codec, label):
    (tmp_path / "x.txt").write_bytes(bom + TEXT.replace("\n", "\r\n").encode(codec))
    d = load_file(tmp_path / "x.txt")
    assert d.text == TEXT and d.encoding == label


def test_cp1252_and_binary_and_bad_bom(tmp_path):
    (tmp_path / "cp.txt").write_bytes("Avgiften är 20 € från maj.".encode("cp1252") + b" \x81")
    d = load_file(tmp_path / "cp.txt")
    assert d.text == "Avgiften är 20 € från maj. \x81" and d.encoding == "cp1252"
    (tmp_path / "u16.txt").write_bytes(TEXT.encode("utf-16-le"))  # no BOM: NUL bytes
    with pytest.raises(LoaderError, match="binary file.*byte-order mark"):
        load_file(tmp_path / "u16.txt")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe" + b"\x00\xd8" * 10)  # lone surrogates
    with pytest.raises(LoaderError, match="UTF-16-LE byte-order mark but is not valid"):
        load_file(tmp_path / "bad.txt")


def test_dates_from_file_names_and_text(tmp_path):
    (tmp_path / "2024-11-06_sv_natverket.txt").write_text("Inget datum i texten.", encoding="utf-8")
    (tmp_path / "2024-13-45_sv_fel.txt").write_text("Inget datum här heller.", encoding="utf-8")
    assert load_file(tmp_path / "2024-11-06_sv_natverket.txt").date == "2024-11-06"
    assert load_file(tmp_path / "2024-13-45_sv_fel.txt").date is None
    assert find_date("Protokoll 2023-02-30, rättat 2023-03-01.") == "2023-03-01"  # not a calendar date, skipped
    assert find_date("Möte 5. maj 2022", "notes_2021-09-14.md") == "2021-09-14"  # the file name wins
    assert sorted(SUPPORTED) == [".docx", ".htm", ".html", ".md", ".pdf", ".txt"]
