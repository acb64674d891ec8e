"""The chat app's logic without a server: interface text in four languages, answer and
source rendering (links, escaping), filters, feedback records, uploads, the admin password."""

import json
import re
import string

import pytest

from assistant.answer.base import Answer
from assistant.answer.citations import Citation
from assistant.app.admin import UploadError, password_ok, safe_filename, save_uploads
from assistant.app.render import answer_html, document_page, link_markers, md_text, sources_block, start_screen
from assistant.app.ui import (
    append_feedback,
    filter_choices,
    filter_summary,
    make_filters,
    matching_documents,
    message_text,
    set_feedback_reason,
)
from assistant.core.i18n import (
    LANGS,
    MessageError,
    catalogue,
    examples,
    human_date,
    language_name,
    month_names,
    own_name,
    t,
    ui_language,
)
from assistant.index.filters import Filters
from assistant.index.store import DocRecord
from assistant.query.query import build_query
from assistant.retrieval.hybrid import Retrieval

# the same word in English and the other language, on purpose
SAME_AS_ENGLISH = {("sv", "admin"), ("da", "admin"), ("da", "send"), ("no", "send"), ("da", "stop")}


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


# ---------- interface text ----------


def test_every_text_exists_in_all_four_languages_with_the_same_placeholders():
    texts = {lang: {k: v for k, v in catalogue(lang).items() if isinstance(v, str)} for lang in LANGS}
    keys = set(texts["en"])
    for lang in LANGS:
        assert set(catalogue(lang)) == set(catalogue("en")), lang
        for k in keys:
            assert texts[lang][k].strip(), (lang, k)
            assert _fields(texts[lang][k]) == _fields(texts["en"][k]), (lang, k)
            if lang != "en" and (lang, k) not in SAME_AS_ENGLISH:
                assert texts[lang][k] != texts["en"][k], f"{lang}.{k} is still English"
        assert len(examples(lang)) >= 3 and len(month_names(lang)) == 12
        assert all(language_name(code, lang) for code in LANGS) and own_name(lang)
    assert own_name("sv") == "Svenska" and own_name("no") == "Norsk" and language_name("da", "sv") == "danska"
    # one product name per language, used for the heading and the tab title
    assert t("sv", "title") == "Protokollassistenten" and t("en", "title") == "Minutes assistant"


def test_a_text_without_its_value_or_key_raises():
    assert t("sv", "source_n", n=2) == "Källa 2"
    with pytest.raises(MessageError, match="needs n"):
        t("sv", "source_n")
    with pytest.raises(MessageError, match="no text"):
        t("da", "no_such_text")


def test_page_language_from_stored_choice_or_browser():
    assert ui_language("da") == "da" and ui_language("sv-SE,sv;q=0.9,en;q=0.8") == "sv"
    assert ui_language("nb-NO,nb;q=0.9,en;q=0.5") == "no" and ui_language("nn") == "no"
    assert ui_language("de-DE,fr") == "en" and ui_language(None) == "en" and ui_language("") == "en"
    assert ui_language("de,da-DK") == "da"  # the first of the four in the browser's list


def test_human_dates():
    assert human_date("2023-03-17", "sv") == "17 mars 2023" and human_date("2023-03-17", "da") == "17. marts 2023"
    assert human_date("2021-05-19", "no") == "19. mai 2021" and human_date("2024-11-06", "en") == "6 November 2024"
    assert human_date(None, "sv") == "" and human_date("sometime", "sv") == "sometime"


# ---------- answers and sources ----------

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'>"
DOC_TEXT = (
    "# Protokoll\n\nInledning om mötet.\n\n\n\nStyrelsen beslutade att höstmötet hålls i Luleå. "
    f"Mer text {EVIL} och slut.\n"
)


def _doc(text=DOC_TEXT, title="Styrelsemöte", source="2025-05-20_sv_mote.txt"):
    return DocRecord(source, title, "sv", "2025-05-20", "h", "txt", text, ())


def _citation(doc, phrase, n=1):
    s = doc.text.index(phrase)
    return Citation(n, doc.source, doc.title, doc.date, "Beslut > Höstmöte", phrase, s, s + len(phrase))


def _answer(text, citations, abstained=False, reason="", note="", language="sv"):
    return Answer(
        "q",
        language,
        text,
        abstained,
        tuple(citations),
        Retrieval(build_query("q"), None, ()),
        0.5,
        note=note,
        reason=reason,
    )


def test_answer_markers_link_to_this_answers_own_sources():
    doc = _doc()
    c1, c2 = _citation(doc, "höstmötet hålls i Luleå", 1), _citation(doc, "Inledning om mötet.", 2)
    html = answer_html(
        _answer("I dokumenten: “höstmötet hålls i Luleå” [1] och [2], inte [7].", [c1, c2]), {doc.source: doc}, 5, "sv"
    )
    assert html.count('<a class="cite"') == 2
    for n in (1, 2):  # every link has its target, and the target is under this answer
        assert f'href="#a5-s{n}"' in html and f'id="a5-s{n}"' in html
    assert "\\[7\\]" in html  # a marker with no source stays plain text
    other = answer_html(_answer("Svar [1].", [c1]), {doc.source: doc}, 7, "sv")
    assert 'id="a7-s1"' in other and 'id="a5-s1"' not in other  # each answer keeps its own ids
    # human title, date and heading; the file name and character span are not shown
    sources = html.split('<div class="sources"')[1]
    assert "Styrelsemöte" in sources and "20 maj 2025" in sources and "Beslut › Höstmöte" in sources
    assert "Källor" in sources and "Öppna dokumentet vid det här stycket" in sources
    assert not re.search(r">[^<]*2025-05-20_sv_mote\.txt", sources) and f"{c1.start}–{c1.end}" not in sources
    assert f"doc?src=2025-05-20_sv_mote.txt&amp;s={c1.start}&amp;e={c1.end}&amp;lang=sv#passage" in sources
    assert "<mark>höstmötet hålls i Luleå</mark>" in sources


def test_sources_escape_document_text_and_titles():
    doc = _doc(title=f"Titel {EVIL}")
    c = _citation(doc, f"Mer text {EVIL} och slut.", 1)
    c = Citation(1, c.source, doc.title, c.date, f"Rubrik {EVIL}", c.text, c.start, c.end)
    html = answer_html(_answer(f"Citat {EVIL} [1]", [c]), {doc.source: doc}, 1, "sv")
    for raw in ("<script", "<img", "onerror=alert(2)>"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    # a quote cannot become a markdown link or emphasis either
    assert (
        md_text("[klick](javascript:alert(1)) *fet* _kursiv_") == r"\[klick\](javascript:alert(1)) \*fet\* \_kursiv\_"
    )
    assert link_markers("**x** [1]", (c,), 1, "en").startswith(r"\*\*x\*\* <a class=")
    screen = start_screen(
        {"a.txt": {"title": f"T {EVIL}", "date": "2024-01-02", "language": "da", "n_chunks": 1}}, "sv"
    )
    assert "<script" not in screen and "<img" not in screen and "2 januari 2024 · danska" in screen


def test_bare_addresses_in_text_do_not_become_links():
    """GFM makes https://…, www.… and name@host links; a member's question (or a quote)
    shows them as text: the same characters, one of them as an HTML entity."""
    import html as html_lib

    q = "Stämmer det som står på https://evil.example/x?a=1, WWW.evil.example och hos kansli@evil.example?"
    out = md_text(q)
    assert "://" not in out and "www." not in out.lower() and "@" not in out
    assert html_lib.unescape(out.replace("\\", "")) == q


def test_sources_block_is_one_html_block():
    """A blank line inside would end the HTML block and let markdown mangle the rest."""
    doc = _doc()
    block = sources_block((_citation(doc, "Styrelsen beslutade", 1),), {doc.source: doc}, 1, "sv")
    assert "\n" not in block and "<br>" in block and "<br><br>" not in block  # blank lines collapsed
    # when the document changed since the answer, the quote is shown alone
    changed = sources_block((_citation(doc, "Styrelsen beslutade", 1),), {doc.source: _doc("annan text")}, 1, "sv")
    assert "<mark>Styrelsen beslutade</mark></div>" in changed


def test_context_reads_as_text_and_long_headings_are_shortened():
    text = "## ***Rubrik om titeln***\n\n**Fet** inledning. Utredningen ska vara klar 30 maj 2025. Slut <b>här</b>.\n"
    doc = _doc(text)
    c = _citation(doc, "Utredningen ska vara klar 30 maj 2025.")
    c = Citation(1, c.source, c.title, c.date, "Dag 2. > " + "Mycket lång rubrik " * 10, c.text, c.start, c.end)
    block = sources_block((c,), {doc.source: doc}, 1, "sv")
    assert "Rubrik om titeln<br>Fet inledning. <mark>Utredningen ska vara klar 30 maj 2025.</mark> Slut här." in block
    assert "#" not in block.split('class="passage"')[1].split("</div>")[0] and "*" not in block
    meta = block.split('class="meta">')[1].split("</span>")[0]
    assert meta.startswith("· 20 maj 2025 · Dag 2. › Mycket lång rubrik") and meta.endswith(" …") and len(meta) < 120


def test_abstention_for_filters_names_the_filters_and_shows_no_sources():
    html = answer_html(
        _answer(
            "Inget dokument matchar dina filter.",
            [],
            abstained=True,
            reason="filters",
            note="Språkmodellen kunde inte nås",
        ),
        {},
        3,
        "sv",
    )
    assert 'class="abstained reason-filters"' in html and "sources" not in html
    assert "Språkmodellen kunde inte nås" in html


def test_start_screen_lists_documents_newest_first_with_years():
    docs = {
        "a": {"title": "Äldre", "date": "2018-12-05", "language": "no", "n_chunks": 3},
        "b": {"title": "Nyare", "date": "2024-11-06", "language": "sv", "n_chunks": 5},
        "c": {"title": "Odaterad", "date": None, "language": "en", "n_chunks": 1},
    }
    md = start_screen(docs, "sv")
    assert "3 dokumenten (2018–2024)" in md and md.index("Nyare") < md.index("Äldre")
    assert md.startswith("## Fråga om")  # under the page's h1: an h2
    assert "6 november 2024 · svenska" in md and "Odaterad** — engelska" in md
    assert "… och 1 till" in start_screen(docs, "sv", limit=2)
    assert "Inga dokument" in start_screen({}, "sv")


def test_a_count_of_one_reads_as_one_in_every_language():
    from assistant.core.i18n import t_count

    one = {lang: t_count(lang, "found", 1) for lang in LANGS}
    assert one == {
        "sv": "Hittat i 1 dokument:",
        "da": "Fundet i 1 dokument:",
        "no": "Funnet i 1 dokument:",
        "en": "Found in 1 document:",
    }
    assert (
        t_count("no", "found", 2) == "Funnet i 2 dokumenter:" and t_count("en", "found", 3) == "Found in 3 documents:"
    )
    assert t_count("sv", "waiting_n", 2) == "2 frågor före din i kön …"  # no <key>_1: the text itself
    single = {"a": {"title": "Ett", "date": "2024-11-06", "language": "no", "n_chunks": 1}}
    assert "fra dette dokumentet (2024)" in start_screen(single, "no") and "1 dokument" not in start_screen(
        single, "no"
    )
    assert "this document (2024)" in start_screen(single, "en")


def test_found_documents_show_titles_and_dates_before_the_answer():
    from assistant.app.render import found_html

    html = found_html([("Projektplan", "2021-09-14"), (f"Titel {EVIL}", None)], "no")
    assert "Funnet i 2 dokumenter:" in html and "Projektplan</span> · 14. september 2021" in html
    assert "<script" not in html and "Svaret skrives …" in html and 'class="status' in html and "\n" not in html
    assert "2 spørsmål før ditt i køen …" in found_html([("Projektplan", None)], "no", waiting=2)
    assert "Funnet i 1 dokument:" in found_html([("Projektplan", None)], "no")
    assert found_html([], "en") == '<span class="status">Searching the documents …</span>'


def test_an_answer_copies_as_text_with_its_sources_and_quotes():
    from assistant.app.render import answer_message, answer_tools, copy_text

    doc = _doc()
    c1, c2 = _citation(doc, "höstmötet hålls i Luleå", 1), _citation(doc, f"Mer text {EVIL} och slut.", 2)
    ans = _answer("I dokumenten: “höstmötet hålls i Luleå” [1] och [2].", [c1, c2], note="Stoppat; här är …")
    text = copy_text(ans, "sv")
    assert text.splitlines() == [
        "I dokumenten: “höstmötet hålls i Luleå” [1] och [2].",
        "",
        "⚠ Stoppat; här är …",
        "",
        "Källor:",
        "[1] Styrelsemöte · 20 maj 2025 · Beslut › Höstmöte",
        "“höstmötet hålls i Luleå”",
        "[2] Styrelsemöte · 20 maj 2025 · Beslut › Höstmöte",
        "“Mer text alert(1)\"'> och slut.”",
    ]
    # the quotes as the sources show them (tags and markdown marks left out); an abstention copies its text alone
    assert copy_text(_answer("Det står inte i dokumenten.", [], abstained=True), "en") == "Det står inte i dokumenten."
    msg = answer_message(ans, {doc.source: doc}, 4, "sv")
    tools = msg.split("\n\n")[-1]  # the tools: the last block, one line (a blank line would end the HTML block)
    assert tools.startswith('<div class="answer-tools" id="a4-tools">') and "\n" not in tools
    assert ">Kopiera</span>" in tools and ">Fråga igen</span>" in tools and "<script" not in tools
    import html as html_lib

    value = re.search(r'class="copy-text" value="([^"]*)"', tools).group(1)
    assert html_lib.unescape(value) == text and "&#10;" in value
    assert "copy-answer" not in answer_tools(4, "sv")  # a question not answered: ask again only
    assert ">Spør igjen</span>" in answer_tools(4, "no")


def test_document_page_marks_the_passage():
    doc = _doc()
    c = _citation(doc, "höstmötet hålls i Luleå")
    page = document_page(doc, c.start, c.end, "da")
    assert '<mark id="passage">höstmötet hålls i Luleå</mark>' in page and '<html lang="da">' in page
    assert "20. maj 2025" in page and "<script" not in page and "alert" in page
    assert "<mark" not in document_page(doc, 10**6, 10**6 + 5, "sv")  # a span outside the text marks nothing
    md = _doc("# Protokoll\n\n**Beslut:** lönen höjs med <b>3 %</b> & mer.\n")
    page = document_page(md, md.text.index("lönen"), md.text.index(" & mer"), "sv")
    assert 'Beslut: <mark id="passage">lönen höjs med 3 %</mark> &amp; mer.' in page  # markup as a reader sees it
    assert "**" not in page and "&lt;b&gt;" not in page and "# Protokoll" not in page and "Protokoll" in page
    assert "finns inte" in document_page(None, 0, 0, "sv")


# ---------- filters ----------

DOCS = {
    "2021-09-14_da_plan.md": {"title": "Projektplan", "date": "2021-09-14", "language": "da", "n_chunks": 3},
    "2023-03-17_sv_namn.txt": {"title": "Bättre arbetsvillkor", "date": "2023-03-17", "language": "sv", "n_chunks": 2},
    "2024-11-06_sv_host.md": {"title": "Nätverket höst 2024", "date": "2024-11-06", "language": "sv", "n_chunks": 4},
}


def test_filter_choices_use_human_names_and_empty_defaults():
    ch = filter_choices(DOCS, "sv")
    assert ch["documents"][0] == ("Nätverket höst 2024 · 6 november 2024", "2024-11-06_sv_host.md")
    assert ch["languages"] == [("svenska (2)", "sv"), ("danska (1)", "da")]
    assert ch["years"] == [("Alla år", ""), ("2021", "2021"), ("2023", "2023"), ("2024", "2024")]
    assert make_filters([], [], "", "") == Filters() and not make_filters(None, None, None, None).active
    assert make_filters([], [], "2024", "2021") == Filters((), (), 2021, 2024)  # reversed years are swapped


def test_filter_summary_says_what_is_on_and_when_nothing_matches():
    assert filter_summary(Filters(), DOCS, "sv") == ""
    on = filter_summary(make_filters([], ["sv"], "2024", ""), DOCS, "sv")
    assert on == "Filter på: Dokumentens språk: svenska; från 2024. 1 av 3 dokument matchar."
    none = make_filters(["2021-09-14_da_plan.md"], ["sv"], "", "")
    assert matching_documents(DOCS, none) == 0
    assert filter_summary(none, DOCS, "da").endswith("Ingen dokumenter passer med dine filtre.")
    assert "Projektplan" in filter_summary(none, DOCS, "en")


# ---------- feedback ----------


def test_feedback_records_keep_question_answer_citations_and_a_later_reason(tmp_path):
    from assistant.evaluation.run import read_feedback

    p = tmp_path / "fb.jsonl"
    cites = [{"n": 1, "source": "a.txt", "title": "A", "date": None, "heading": "", "text": "x", "start": 0, "end": 1}]
    up = append_feedback(p, "q1", "a1 [1]", "up", cites, language="sv")
    down = append_feedback(p, "q2", "a2", "down")
    assert set_feedback_reason(p, down["id"], "  Fel   källa \n") and not set_feedback_reason(p, "nope", "x")
    recs = [json.loads(line) for line in p.read_text().splitlines()]
    assert [r["id"] for r in recs] == [up["id"], down["id"]]  # still one record per line
    assert recs[0]["citations"] == cites and recs[0]["reason"] == "" and recs[0]["language"] == "sv"
    assert recs[1]["reason"] == "Fel källa" and recs[1]["question"] == "q2"
    assert (
        set_feedback_reason(p, down["id"], "x" * 900)
        and len(json.loads(p.read_text().splitlines()[1])["reason"]) == 500
    )
    assert read_feedback(p) == {"up": 1, "down": 1, "total": 2}
    assert message_text([{"text": "Hej", "type": "text"}, {"text": " då", "type": "text"}]) == "Hej då"
    assert message_text("x") == "x" and message_text({"text": "y"}) == "y"


# ---------- uploads ----------


def test_uploads_are_checked(tmp_path):
    res = save_uploads(
        [
            ("../../etc/passwd.txt", b"hej"),
            ("möte 2025.md", b"# M\n\ntext"),
            ("x.exe", b"MZ"),
            ("big.pdf", b"x" * 3000),
            ("empty.txt", b"  "),
        ],
        tmp_path,
        max_mb=0.001,
    )
    assert res.saved == ["passwd.txt", "mote_2025.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mote_2025.md", "passwd.txt"]
    assert any("x.exe" in e and "not allowed" in e for e in res.errors)
    assert any("big.pdf" in e and "limit" in e for e in res.errors) and any("empty" in e for e in res.errors)
    with pytest.raises(UploadError):
        safe_filename("../..")


def test_uploads_never_overwrite_silently(tmp_path):
    (tmp_path / "protokoll.txt").write_bytes(b"gammal version")
    same = save_uploads([("protokoll.txt", b"gammal version")], tmp_path, 1, lang="sv")
    assert same.saved == [] and same.errors == [] and "oförändrad" in same.lines[0]
    refused = save_uploads([("protokoll.txt", b"ny version")], tmp_path, 1, lang="sv")
    assert refused.saved == [] and "inget skrevs över" in refused.errors[0]
    assert (tmp_path / "protokoll.txt").read_bytes() == b"gammal version"
    replaced = save_uploads([("protokoll.txt", b"ny version")], tmp_path, 1, replace=True, lang="sv")
    assert replaced.saved == ["protokoll.txt"] and (tmp_path / "protokoll.txt").read_bytes() == b"ny version"
    kept = list((tmp_path / ".previous").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == b"gammal version" and kept[0].name in replaced.lines[0]
    assert "Indexera om" in replaced.lines[-1]


def test_an_uploaded_readme_is_indexed_like_any_document(tmp_path):
    from assistant.ingest.loaders import load_corpus

    res = save_uploads([("README.md", b"# Protokoll\n\nStyrelsen beslutade om friskvard.")], tmp_path, 1, lang="en")
    assert res.saved == ["README.md"]
    assert [d.source for d in load_corpus(tmp_path).documents] == ["README.md"]


# ---------- admin ----------


def test_admin_password_check():
    # who may be an admin, lockouts and sessions: tests/test_admin_web.py
    assert password_ok("s3cret", "s3cret") and not password_ok("s3cret", "s3cre") and not password_ok("", "")
    assert not password_ok("s3cret", None)


def test_the_highlighted_quote_reads_as_text_too():
    doc = _doc("Projektplan\n\n**Referencegruppen (RG)** Består af 8-12 personer.\n")
    c = _citation(doc, "Referencegruppen (RG)** Består af 8-12 personer.")  # a sentence span can start inside bold
    block = sources_block((c,), {doc.source: doc}, 1, "da")
    assert "<mark>Referencegruppen (RG) Består af 8-12 personer.</mark>" in block and "**" not in block
