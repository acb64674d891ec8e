"""Property-based tests (hypothesis, derandomized so every run is the same): whatever the
bytes, a loader gives a Document or one LoaderError; whatever the text, chunk and
sentence spans are exact and within max_tokens; whatever the markers, every citation
marker left in an answer names a returned citation, and the dropped ones are counted."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.answer.citations import Passage, cite
from assistant.core.errors import LoaderError
from assistant.ingest.chunking import ChunkerSettings, chunk_document, tiktoken_counter
from assistant.ingest.loaders import SUPPORTED, Document, load_file

PROFILE = dict(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COUNT = tiktoken_counter()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("prop")


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in dict(entries).items():  # one entry per name
            z.writestr(name, data)
    return buf.getvalue()


_XML = st.sampled_from(
    [
        b"",
        b"<",
        b"<w:document/>",
        b'<?xml version="1.0"?><a>',
        b"\x00\xff",
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        b"<w:p><w:r><w:t>Hej</w:t></w:r></w:p></w:body></w:document>",
    ]
)
_PARTS = st.sampled_from(["[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml", "x"])
FILE_BYTES = st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda b: b"%PDF-1.4\n" + b + b"\n%%EOF", st.binary(max_size=2000)),
    st.builds(_zip, st.lists(st.tuples(_PARTS, st.one_of(_XML, st.binary(max_size=300))), max_size=5)),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8")),
    st.text(max_size=500).map(lambda t: t.encode("utf-16")),
    st.text(max_size=500).map(lambda t: b"<html><body><h1>" + t.encode("utf-8", "replace") + b"</p><li>"),
)


@settings(max_examples=120, **PROFILE)
@given(data=FILE_BYTES, ext=st.sampled_from(SUPPORTED))
@example(data=b"\xff\xfe" + "Möte".encode("utf-16-le"), ext=".txt")
@example(data=b"PK\x05\x06" + b"\x00" * 18, ext=".docx")  # an empty zip
def test_any_bytes_give_a_document_or_one_loader_error(folder, data, ext):
    path = folder / f"f{ext}"
    path.write_bytes(data)
    try:
        doc = load_file(path)
    except LoaderError as e:
        assert e.reason and "\n" not in str(e)
        return
    assert doc.text.strip() and doc.language in ("sv", "da", "no", "en") and doc.source == path.name


_PIECES = st.sampled_from(
    [
        "# ",
        "## ",
        "**",
        "__",
        "- ",
        "1. ",
        "\t",
        "\n",
        "\n\n",
        " ",
        ". ",
        "! ",
        "<b>",
        "»",
        "Mötet beslutade",
        "Styrelsen",
        "lön",
        "A",
        "x",
        "2024-11-06",
        "…",
        "\u2028",
        "\r",
    ]
)
_RUNS = st.builds(
    lambda c, n: c * n, st.sampled_from(["a", "_", " ", "*", "#", "\n", "ab1", "é", "😀"]), st.integers(1, 3000)
)
TEXT = st.one_of(
    st.text(max_size=3000),
    st.lists(st.one_of(_PIECES, _RUNS, st.text(max_size=40)), max_size=60).map("".join),
)


@settings(max_examples=150, **PROFILE)
@given(text=TEXT, max_tokens=st.sampled_from([8, 30, 220]))
@example(text="x" * 40_000, max_tokens=220)
@example(text="Namn: " + "_" * 5000 + " slut.\n" + "# " + " " * 5000 + "\n**" + "a" * 3000, max_tokens=30)
def test_chunk_spans_are_exact_and_within_max_tokens(text, max_tokens):
    doc = Document("d.txt", "d", text, "sv", None, "h", "txt")
    chunks = chunk_document(doc, ChunkerSettings(max_tokens=max_tokens, min_tokens=max_tokens // 5))
    prev_end = 0
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text) and c.start >= prev_end
        assert c.text == text[c.start : c.end] and c.text.strip()
        assert COUNT(c.text) <= max_tokens
        assert all(c.start <= s < e <= c.end for s, e in c.sentences)
        assert all(len(h) <= 1000 for h in c.headings)
        prev_end = c.end
    assert len({c.chunk_id for c in chunks}) == len(chunks)


_FILLER = st.text(st.characters(blacklist_characters="[]0123456789", blacklist_categories=("Cs",)), max_size=30)
_GROUP = st.lists(st.integers(0, 9), min_size=1, max_size=3)


@settings(max_examples=200, **PROFILE)
@given(
    n_passages=st.integers(0, 6),
    parts=st.lists(st.tuples(_FILLER, _GROUP, st.sampled_from([",", ", ", " , "])), max_size=8),
    stray=st.sampled_from(["", "[", "]", "[x]", "[]", "[1", "2]"]),
)
@example(n_passages=1, parts=[("", [9], ","), ("", [1], ",")], stray="[")
def test_every_citation_marker_names_a_returned_citation(n_passages, parts, stray):
    passages = [Passage(n, f"doc{n}.md", f"T{n}", None, "", f"Passage {n}.", 0, 11) for n in range(1, n_passages + 1)]
    answer = stray + "".join(f"{filler}[{sep.join(map(str, group))}]" for filler, group, sep in parts) + stray
    out = cite(answer, passages)
    valid = [n for _, group, _ in parts for n in group if 1 <= n <= n_passages]
    assert out.dropped_markers == sum(len(g) for _, g, _ in parts) - len(valid)
    assert [c.n for c in out.citations] == list(range(1, len(out.citations) + 1))
    assert [c.source for c in out.citations] == [f"doc{n}.md" for n in dict.fromkeys(valid)]  # first-appearance order
    shown = {
        int(n) for m in re.finditer(r"\[(\d+(?:\s*,\s*\d+)*)\]", out.text) for n in re.split(r"\s*,\s*", m.group(1))
    }
    assert shown == {c.n for c in out.citations}


@settings(max_examples=300, **PROFILE)
@given(
    n_passages=st.integers(0, 4),
    answer=st.lists(
        st.sampled_from(["[", "]", "1", "2", "9", ",", " ", "[1]", "[9]", "x", ".", "\x00"]), max_size=20
    ).map("".join),
)
@example(n_passages=1, answer="[[9]1]")  # removing [9] joins the rest into a new marker
def test_markers_in_any_text_name_returned_citations(n_passages, answer):
    passages = [Passage(n, f"doc{n}.md", f"T{n}", None, "", f"Passage {n}.", 0, 11) for n in range(1, n_passages + 1)]
    out = cite(answer, passages)
    shown = {
        int(n) for m in re.finditer(r"\[(\d+(?:\s*,\s*\d+)*)\]", out.text) for n in re.split(r"\s*,\s*", m.group(1))
    }
    assert shown == {c.n for c in out.citations}
