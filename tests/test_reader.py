"""The LLM readers with LangChain's fake chat models: evidence block, selection,
abstention, grounding of written answers, fallbacks."""

import dataclasses
import math
import re

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.reader import LLMReader, compact_evidence
from assistant.answer.selection import ids_grammar, parse_selection
from assistant.index.indexer import build_index
from assistant.ingest.chunking import clean_text
from assistant.pipeline.assistant import Assistant
from assistant.query.query import build_query

Q = "Hvor mange personer er der i referencegruppen?"


@pytest.fixture
def built(settings, fake_embedder):
    build_index(settings, fake_embedder)
    a = Assistant(settings, embedder=fake_embedder).warm_up()
    return a, a.retrieve(Q)


def words(text):
    return len(text.split())


def reader(a, responses, mode="selector", **settings):
    return LLMReader(
        a.index, a.settings.replace(**settings), FakeListChatModel(responses=responses), mode, count_tokens=words
    )


def test_compact_evidence_numbered_budgeted_with_neighbours(built):
    a, r = built
    ranked, _ = reader(a, ["x"]).fallback.evidence(r)
    passages, block = compact_evidence(a.index, r, ranked, budget=60, count=words)
    assert [p.n for p in passages] == list(range(1, len(passages) + 1)) and 2 <= len(passages) <= 9
    assert sum(words(p.text) + 3 for p in passages) <= 60 + words(ranked[0].text) + 3
    assert any(p.start == ranked[0].start for p in passages)  # the best sentence is in
    for p in passages:
        assert a.index.documents[p.source].text[p.start : p.end] == p.text and f"[{p.n}] " in block
    many, _ = compact_evidence(a.index, r, ranked, budget=10_000, count=words)
    assert len(many) <= 9
    # only the first `context_seeds` come with neighbours: the rest of the room goes to seeds
    alone, _ = compact_evidence(a.index, r, ranked, budget=10_000, count=words, max_seeds=9, context_seeds=0)
    assert {(p.source, p.start) for p in alone} == {(ev.source, ev.start) for ev in ranked[:9]}


def test_selector_quotes_chosen_sentences_with_exact_citations(built):
    a, r = built
    rd = reader(a, ['{"ids": [2]}'], reader_add_extractive=False)
    passages, _ = rd.shown_evidence(r)
    ans = rd.answer(r)
    assert not ans.abstained and ans.backend == "selector" and ans.text.startswith("I dokumenterne:")
    assert len(ans.citations) == 1 and ans.citations[0].text == passages[1].text
    c = ans.citations[0]
    assert a.index.documents[c.source].text[c.start : c.end] == c.text and f"“{clean_text(c.text)}” [1]" in ans.text


def test_selector_pick_comes_first_then_extractive_quotes_from_the_same_document(built):
    a, r = built
    shown, _ = reader(a, ["x"]).shown_evidence(r)
    last = shown[-1]
    rd = reader(a, [f'{{"ids": [{last.n}]}}'], answer_max_sentences=3, sentence_margin=1.0)
    ranked, _ = rd.fallback.evidence(r)
    ans = rd.answer(r)
    same_doc = [ev.text for ev in ranked if ev.source == last.source and ev.text != last.text]
    assert ans.citations[0].n == 1 and ans.citations[0].text == last.text
    assert len(same_doc) >= 2 and [c.text for c in ans.citations[1:]] == same_doc[:2]
    assert {c.source for c in ans.citations} == {last.source}


def test_selector_empty_list_abstains(built):
    a, r = built
    ans = reader(a, ['{"ids": []}']).answer(r)
    assert ans.abstained and ans.text == "Dokumenterne siger ikke noget om dette." and not ans.citations


def test_model_failure_gives_extractive_answer_with_note(built):
    a, r = built

    class Broken(FakeListChatModel):
        def _call(self, *args, **kwargs):
            raise ConnectionError("model crashed")

    rd = LLMReader(a.index, a.settings, Broken(responses=["x"]), "selector", count_tokens=words)
    ans = rd.answer(r)
    assert ans.backend == "selector→extractive" and ans.citations
    assert ans.note == "Sprogmodellen kunne ikke svare; her er de afsnit, der passer bedst til spørgsmålet."
    assert "model crashed" in ans.grounding["error"]  # the detail is kept for the log, not shown


def test_stop_ends_the_model_call_and_shows_the_quotes(built):
    import threading
    import time

    from assistant.models.llm import stoppable

    a, r = built
    release = threading.Event()

    class Slow(FakeListChatModel):
        def _call(self, *args, **kwargs):
            release.wait(30)
            return '{"ids": [1]}'

    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    rd = LLMReader(a.index, a.settings.replace(llm_timeout_s=30), Slow(responses=["x"]), "selector", count_tokens=words)
    t0 = time.monotonic()
    with stoppable(stop):
        ans = rd.answer(r)
    release.set()
    assert time.monotonic() - t0 < 5 and ans.backend == "selector→extractive" and ans.citations
    assert ans.note.startswith("Stoppet;") and "LLMStopped" in ans.grounding["error"]


def test_writer_keeps_grounded_sentences_only(built):
    a, r = built
    passages, _ = reader(a, ["x"], "writer").shown_evidence(r)
    n, src = next((p.n, p.text) for p in passages if re.search(r"\d", p.text))
    num = re.search(r"\d+", src).group()
    rd = reader(a, [f"Gruppen har {num} [{n}]. Den ledes af Karin Svensson [{n}]. Mødet var i 1999."], "writer")
    ans = rd.answer(r)
    assert ans.backend == "writer" and ans.text == f"Gruppen har {num} [1]." and ans.citations[0].text == src


def test_writer_with_nothing_verifiable_falls_back_visibly(built):
    a, r = built
    r = dataclasses.replace(r, query=build_query(Q, "en"))  # answered in English
    ans = reader(a, ["Gruppen har 987654 medlemmer [1]."], "writer").answer(r)
    assert ans.backend == "writer→extractive" and "could not be verified" in ans.note and ans.citations
    assert reader(a, ["NONE"], "writer").answer(r).abstained


def test_parse_selection_reads_token_probabilities():
    def tok(t, tops):
        return {
            "token": t,
            "logprob": math.log(tops[t]),
            "top_logprobs": [{"token": k, "logprob": math.log(v)} for k, v in tops.items()],
        }

    lp = {
        "content": [
            tok('{"', {'{"': 1.0}),
            tok("ids", {"ids": 1.0}),
            tok('":', {'":': 1.0}),
            tok(" [", {" [": 0.8, " []": 0.2}),
            tok("3", {"3": 0.5, "1": 0.3, "7": 0.1, "0": 0.1}),
            tok("]}", {"]}": 1.0}),
        ]
    }
    sel = parse_selection('{"ids": [3]}', lp, n=5, second_ratio=0.5)
    assert sel.ids == (3, 1) and sel.p_none == pytest.approx(0.2) and sel.p_ids[3] == pytest.approx(0.5 / 0.8)
    assert parse_selection('{"ids": [3]}', lp, n=5, second_ratio=0.9).ids == (3,)
    assert parse_selection('{"ids": [4, 9]}', None, n=5, second_ratio=0.5).ids == (4,)  # 9 is not a sentence
    assert ids_grammar(3).endswith('id ::= "1" | "2" | "3"\n')
    # more than nine sentences: letters, each one token after ' ["'
    lp = {
        "content": [
            tok('{"', {'{"': 1.0}),
            tok("ids", {"ids": 1.0}),
            tok('":', {'":': 1.0}),
            tok(' ["', {' ["': 0.9, " []": 0.1}),
            tok("K", {"K": 0.6, "B": 0.3, "Z": 0.1}),
            tok('"]}', {'"]}': 1.0}),
        ]
    }
    sel = parse_selection('{"ids": ["K"]}', lp, n=12, second_ratio=0.5)
    assert (
        sel.ids == (11, 2) and sel.p_none == pytest.approx(0.1) and set(sel.p_ids) == {11, 2}
    )  # Z is not a label of 12
    assert parse_selection('{"ids": ["C", "Q"]}', None, n=12, second_ratio=0.5).ids == (3,)
    assert ids_grammar(12).endswith(
        'id ::= "\\"A\\"" | "\\"B\\"" | "\\"C\\"" | "\\"D\\"" | "\\"E\\"" | "\\"F\\"" | '
        '"\\"G\\"" | "\\"H\\"" | "\\"I\\"" | "\\"J\\"" | "\\"K\\"" | "\\"L\\""\n'
    )


@pytest.fixture
def trickling_endpoint():
    """An 'OpenAI-compatible' server that answers 200 and then one byte every 0.1 s,
    forever: each read arrives well within the client's timeout."""
    import http.server
    import threading
    import time

    class Trickle(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for _ in range(600):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.mark.parametrize("mode", ["selector", "writer"])
def test_an_endpoint_that_trickles_bytes_is_given_up_at_the_timeout(built, trickling_endpoint, mode):
    import time

    pytest.importorskip("langchain_openai", reason="make test installs langchain-openai")
    from assistant.models.llm import make_chat_model

    a, r = built
    cfg = a.settings.replace(llm_provider="openai", llm_base_url=trickling_endpoint, llm_model="m", llm_timeout_s=2)
    rd = LLMReader(a.index, cfg, make_chat_model(cfg), mode, count_tokens=words)
    t0 = time.monotonic()
    ans = rd.answer(r)
    took = time.monotonic() - t0  # before: the answer waited for the whole minute of trickle
    assert took < 6 and ans.backend == f"{mode}→extractive" and ans.note.startswith("Sprogmodellen var for længe")
    assert "no answer within 2 s" in ans.grounding["error"]
    assert ans.citations


def test_a_follow_up_rewrite_that_hangs_is_given_up_and_the_previous_question_kept():
    import threading
    import time

    from assistant.query.conversation import follow_up

    release = threading.Event()

    class Hangs(FakeListChatModel):
        def _call(self, *args, **kwargs):
            release.wait(30)
            return "Hva er inngangslønnen i Danmark?"

    t0 = time.monotonic()
    out = follow_up(
        [("Hvor mye er inngangslønnen i Sverige?", "…")], "Og i Danmark?", Hangs(responses=["x"]), timeout_s=0.5
    )
    release.set()
    assert time.monotonic() - t0 < 3 and out == ("Hvor mye er inngangslønnen i Sverige?", "")


def test_a_question_about_the_documents_quotes_each_document_the_model_saw(built):
    a, _ = built
    q = "Vad säger dokumenten om pandemin?"  # no glossary concept: each document by its best sentence
    r = a.retrieve(q)
    rd = reader(a, ['{"ids": [1]}'] * 2, reader_add_extractive=False, answer_max_sentences=3)
    passages, _ = rd.shown_evidence(r)
    ranked, _ = rd.fallback.evidence(r)
    shown = list(dict.fromkeys(p.source for p in passages))
    assert len(shown) >= 2 and not r.topics
    ans = rd.answer(r)
    cited = [c.source for c in ans.citations]
    assert ans.citations[0].text == passages[0].text and len(set(cited)) == len(cited) and set(shown) <= set(cited)
    for c in ans.citations[1:]:  # each other document by its best-ranked sentence, if shown or close enough
        best = next(ev for ev in ranked if ev.source == c.source)
        assert c.text == best.text and (c.source in shown or best.similarity >= a.settings.abstain_threshold)
    one = rd.answer(dataclasses.replace(r, query=build_query("Vad säger protokollet om pandemin?")))  # the pick alone
    assert [c.text for c in one.citations] == [passages[0].text]


def test_callbacks_and_tracing_follow_the_model_call_into_its_deadline_thread(settings, fake_embedder):
    from langchain_core.callbacks import BaseCallbackHandler

    class Seen(BaseCallbackHandler):
        def __init__(self):
            self.model_runs = []

        def on_chat_model_start(self, serialized, messages, *, run_id, parent_run_id=None, **kw):
            self.model_runs.append(parent_run_id)

    build_index(settings, fake_embedder)
    a = Assistant(settings.replace(answer_backend="selector"), embedder=fake_embedder)
    a._chat_model = FakeListChatModel(responses=['{"ids": [1]}'])
    a.warm_up()
    seen = Seen()
    ans = a.ask(Q, config={"callbacks": [seen]})
    assert ans.backend == "selector" and seen.model_runs and all(p is not None for p in seen.model_runs)


def test_a_cross_language_answer_opens_with_a_grounded_sentence_in_the_members_language(built):
    a, r = built
    r = dataclasses.replace(r, query=build_query("How many people are in the reference group?", "en"))
    rd = reader(a, ["x"], reader_add_extractive=False)
    passages, _ = rd.shown_evidence(r)
    n = next(p.n for p in passages if "8-12" in p.text)
    good = reader(
        a,
        [f'{{"ids": [{n}]}}', "The reference group has 8-12 people."],
        reader_restate=True,
        reader_add_extractive=False,
    ).answer(r)
    assert good.lead == "The reference group has 8-12 people. [1]" and good.text.startswith(good.lead)
    assert "In the documents:" in good.text and "8-12" in good.citations[0].text and good.grounding["restated"]
    # a number that is not in the quote, or a sentence in another language: no lead, the quotes stand alone
    for said in ("The reference group has 15 people.", "Referencegruppen består af 8-12 personer."):
        bare = reader(a, [f'{{"ids": [{n}]}}', said], reader_restate=True, reader_add_extractive=False).answer(r)
        assert bare.lead == "" and bare.text.startswith("In the documents:") and bare.citations, said
    # a question in the quotes' own language: no second call
    same = reader(a, [f'{{"ids": [{n}]}}'], reader_restate=True, reader_add_extractive=False).answer(
        dataclasses.replace(r, query=build_query(Q))
    )
    assert same.lead == "" and "restated" not in same.grounding


def test_a_restatement_may_name_what_the_title_above_its_quote_names_but_not_a_number_of_it(built):
    a, r = built
    r = dataclasses.replace(r, query=build_query("How many people are in the reference group?", "en"))
    passages, _ = reader(a, ["x"], reader_add_extractive=False).shown_evidence(r)
    p = next(p for p in passages if "8-12" in p.text)
    name = next(w for w in re.findall(r"\b[A-ZÆØÅ]\w{3,}", p.title) if w not in p.text)

    def ask(said, **settings):
        return reader(a, [f'{{"ids": [{p.n}]}}', said], reader_add_extractive=False, **settings).answer(r)

    said = f"The reference group in the {name} has 8-12 people."
    assert ask(said).lead == f"{said} [1]"  # the title is shown in full above the quote the member opens
    off = ask(said, grounding_titles=False)
    assert off.lead == "" and f"name {name.lower()}" in off.grounding["restate_dropped"]
    wrong = ask(f"The reference group in the {name} has 8-12 people and 2021 members.")
    assert wrong.lead == "" and "number 2021" in wrong.grounding["restate_dropped"]  # numbers stand in the quote


def test_a_restatement_that_quotes_a_phrase_is_kept_whole(built):
    a, r = built
    r = dataclasses.replace(r, query=build_query("How many people are in the reference group?", "en"))
    passages, _ = reader(a, ["x"], reader_add_extractive=False).shown_evidence(r)
    p = next(p for p in passages if "8-12" in p.text)
    said = "The reference group has “8-12 people” in it."
    ans = reader(a, [f'{{"ids": [{p.n}]}}', said + " Nothing else."], reader_add_extractive=False).answer(r)
    assert ans.lead == f"{said} [1]"


def test_a_quote_about_another_year_than_the_questions_is_no_answer(built):
    a, r = built
    passages, _ = reader(a, ["x"], reader_add_extractive=False).shown_evidence(r)
    dated = next(p for p in passages if re.search(r"\b20\d\d\b", f"{p.title} {p.heading} {p.text}"))
    named = set(re.findall(r"\b20\d\d\b", f"{dated.title} {dated.heading} {dated.text}"))
    other = next(str(y) for y in range(2000, 2030) if str(y) not in named)

    def ask(question, **settings):
        rd = reader(a, [f'{{"ids": [{dated.n}]}}'], reader_add_extractive=False, **settings)
        return rd.answer(dataclasses.replace(r, query=build_query(question, "da")))

    wrong_year = ask(f"Hvor mange personer var der i referencegruppen i {other}?")
    assert wrong_year.abstained and wrong_year.reason == "period" and not wrong_year.citations
    for question, settings in (
        (f"Hvor mange personer var der i referencegruppen i {min(named)}?", {}),  # its own year
        ("Hvor mange personer er der i referencegruppen?", {}),  # no year asked
        (f"Hvor mange personer var der i referencegruppen i {other}?", {"rule_period": False}),  # rule off
    ):
        ans = ask(question, **settings)
        assert not ans.abstained and ans.citations[0].text == dated.text, question
