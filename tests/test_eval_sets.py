"""Evaluation sets with their own documents, the frozen test half, the ablation run and
the evaluation's model-call cache."""

import json

import pytest
from conftest import ROOT
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from assistant.app import cli
from assistant.core.errors import ConfigError, EvalDataError
from assistant.core.rules import RULES, switched_off
from assistant.evaluation.datasets import check_frozen, frozen_digest, load_set
from assistant.evaluation.llm_cache import CachedChat

ROWS = [
    {
        "id": "t1",
        "lang": "sv",
        "question": "Hur många deltagare hade kursen i Umeå?",
        "evidence": ["Kursen i Umeå hade 37 deltagare."],
        "answer_all": [["37"]],
        "answerable": True,
        "docs": ["2025-01-10_sv_kurs.txt"],
        "split": "tune",
    },
    {
        "id": "t2",
        "lang": "en",
        "question": "What did the course in Umeå cost?",
        "evidence": [],
        "answer_all": [],
        "answerable": False,
        "docs": [],
        "split": "tune",
    },
    {
        "id": "s1",
        "lang": "da",
        "question": "Hvor mange var med på mødet i Aarhus?",
        "evidence": ["Mødet i Aarhus samlede 52 medlemmer."],
        "answer_all": [["52"]],
        "answerable": True,
        "docs": ["aarhus-referat.md"],
        "split": "test",
    },
]


@pytest.fixture
def new_set(tmp_path):
    root = tmp_path / "newset"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "2025-01-10_sv_kurs.txt").write_text("Kurs i journalföring\n\nKursen i Umeå hade 37 deltagare.\n")
    (root / "docs" / "aarhus-referat.md").write_text("# Referat\n\nMødet i Aarhus samlede 52 medlemmer.\n")
    (root / "split.json").write_text(json.dumps({"2025-01-10_sv_kurs.txt": "tune", "aarhus-referat.md": "test"}))
    (root / "qa.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS))
    s = load_set(root / "qa.jsonl")
    (root / "test.sha256").write_text(frozen_digest(s) + "  test half\n")
    return root


def test_a_set_with_documents_is_indexed_beside_the_corpus_and_ablated_per_half(fake_cli, new_set, tmp_path, capsys):
    scratch, out = tmp_path / "scratch", tmp_path / "out" / "res.jsonl"
    argv = [
        "--root",
        str(fake_cli.root),
        "eval",
        "--dataset",
        str(new_set / "qa.jsonl"),
        "--split",
        "all",
        "--scratch",
        str(scratch),
        "--ablate",
        "each_document,newest",
        "--out",
        str(out),
        "-k",
        "3",
    ]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    corpus = {p.name for p in (scratch / "newset" / "corpus").iterdir()}
    assert {"2025-01-10_sv_kurs.txt", "aarhus-referat.md"} <= corpus and len(corpus) == 7  # 5 of the corpus + 2
    assert (
        "## Ablation" in printed
        and "| each_document | newset | tune | 2 |" in printed
        and "| newest | newset | test | 1 |" in printed
    )
    ablation = json.loads(out.with_name("ablation.json").read_text())
    assert {(a["rule"], a["half"]) for a in ablation} == {
        (r, h) for r in ("each_document", "newest") for h in ("all", "tune", "test")
    }
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in recs] == ["t1", "t2", "s1"]
    assert "37" in recs[0]["answer"] and recs[0]["citations"][0]["source"] == "2025-01-10_sv_kurs.txt"


def test_the_frozen_test_half_refuses_a_change(new_set):
    check_frozen(load_set(new_set / "qa.jsonl"))  # unchanged: fine
    doc = new_set / "docs" / "aarhus-referat.md"
    doc.write_text(doc.read_text().replace("52", "53"))
    with pytest.raises(EvalDataError, match="frozen test half"):
        check_frozen(load_set(new_set / "qa.jsonl"))
    doc.write_text(doc.read_text().replace("53", "52"))
    rows = [dict(r, question=r["question"] + " ?") if r["split"] == "test" else r for r in ROWS]
    (new_set / "qa.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(EvalDataError, match="frozen test half"):
        check_frozen(load_set(new_set / "qa.jsonl"))
    tune_edit = [dict(r, question=r["question"] + " ?") if r["split"] == "tune" else r for r in ROWS]
    (new_set / "qa.jsonl").write_text("\n".join(json.dumps(r) for r in tune_edit))
    check_frozen(load_set(new_set / "qa.jsonl"))  # the tune half may grow and change


def test_a_set_without_halves_for_its_documents_is_refused(new_set):
    (new_set / "split.json").write_text(json.dumps({"2025-01-10_sv_kurs.txt": "tune"}))
    with pytest.raises(EvalDataError, match="aarhus-referat.md"):
        load_set(new_set / "qa.jsonl")


def test_the_shipped_new_minutes_set_is_frozen_and_split_by_document():
    s = load_set(ROOT / "eval" / "new_minutes" / "qa.jsonl")
    check_frozen(s)
    assert len(s.items) >= 160 and sum(not it["answerable"] for it in s.items) >= 40
    for it in s.items:
        halves = {s.doc_split[d] for d in it.get("docs", [])}
        assert halves <= {it["split"]}, it["id"]  # a question's documents are all in its half


def test_every_rule_has_a_switch_that_exists_in_the_settings():
    from assistant.core.config import Settings

    fields = set(Settings.__dataclass_fields__)
    assert len(RULES.names()) >= 5
    for name in RULES:
        off = switched_off(name)
        assert off and set(off) <= fields, name
    with pytest.raises(ConfigError, match="Unknown rule"):
        switched_off("no_such_rule")


class Counting:
    """A chat model that counts its calls and says which call it is."""

    _llm_type = "fake"

    def __init__(self):
        self.calls = 0

    def invoke(self, messages, **kw):
        self.calls += 1
        return AIMessage(content=f"answer {self.calls}", response_metadata={"timings": {"prompt_n": 7}})

    def stream(self, messages, **kw):
        self.calls += 1
        yield AIMessageChunk(content="part ")
        yield AIMessageChunk(content=f"{self.calls}")

    def pending(self):
        return 0


def test_the_cache_answers_an_identical_call_and_only_that(tmp_path):
    model = Counting()
    cached = CachedChat(model, tmp_path / "c.sqlite", "m1")
    msgs = [HumanMessage("Hur många?")]
    first = cached.invoke(msgs, max_tokens=5)
    again = cached.invoke(msgs, max_tokens=5)
    assert first.content == again.content == "answer 1" and again.response_metadata["timings"]["prompt_n"] == 7
    assert cached.invoke(msgs, max_tokens=6).content == "answer 2"  # other arguments: a new call
    assert cached.invoke([HumanMessage("Hvor mange?")], max_tokens=5).content == "answer 3"
    assert "".join(c.content for c in cached.stream(msgs)) == "part 4"
    assert "".join(c.content for c in cached.stream(msgs)) == "part 4" and model.calls == 4
    assert cached._llm_type == "fake" and cached.pending() == 0  # the rest is the model's own
    other = CachedChat(Counting(), tmp_path / "c.sqlite", "m2")  # another model: no answers shared
    assert other.invoke(msgs, max_tokens=5).content == "answer 1" and (cached.hits, cached.misses) == (2, 4)
