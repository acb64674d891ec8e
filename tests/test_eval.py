import json
from collections import Counter

import pytest
from conftest import ROOT

from assistant.app import cli
from assistant.core.errors import EvalDataError
from assistant.evaluation.run import calibrate, load_dataset


def test_dataset_is_complete_and_every_evidence_string_is_in_the_corpus():
    items = load_dataset(ROOT / "eval" / "qa.jsonl")
    corpus = [p.read_text(encoding="utf-8") for p in (ROOT / "corpus").iterdir()]
    assert len(items) >= 80 and len({it["id"] for it in items}) == len(items)
    assert sum(not it["answerable"] for it in items) >= 15
    assert set(Counter(it["lang"] for it in items)) == {"sv", "da", "no", "en"}
    assert {"same-lang", "cross-lang", "multi-doc", "unanswerable", "off-topic"} <= {it["kind"] for it in items}
    for it in items:
        for e in it["evidence"]:
            assert any(e in text for text in corpus), (it["id"], e)
        if it["kind"] == "multi-doc":
            docs = {i for e in it["evidence"] for i, text in enumerate(corpus) if e in text}
            assert len(docs) >= 2, it["id"]
        assert all(isinstance(g, list) and g for g in it["answer_all"]) and (not it["answerable"] or it["answer_all"])


@pytest.mark.parametrize(
    "line,msg",
    [
        ("not json", "not valid JSON"),
        (
            '{"id": "a", "lang": "sv", "question": "q", "evidence": [], "answer_all": [], "answerable": true}',
            "needs at least one evidence",
        ),
        ('{"id": "a", "lang": "sv", "question": "q", "evidence": [], "answer_all": []}', "answerable"),
    ],
)
def test_bad_dataset_lines_are_reported_with_line_numbers(tmp_path, line, msg):
    p = tmp_path / "d.jsonl"
    p.write_text(line + "\n")
    with pytest.raises(EvalDataError, match=msg):
        load_dataset(p)


def test_calibrate_hand_computed():
    # answerable 0.5, 0.6, 0.4; unanswerable 0.2, 0.45. Cut in (0.2, 0.4]: answers 3/3,
    # abstains 1/2 -> 0.75. Cut in (0.45, 0.5]: answers 2/3, abstains 2/2 -> 0.833 (best).
    thr, bal = calibrate([0.5, 0.6, 0.4, 0.2, 0.45], [True, True, True, False, False])
    assert 0.45 < thr <= 0.5 and bal == pytest.approx((2 / 3 + 1.0) / 2)


def test_eval_command_runs_on_any_dataset(fake_cli, tmp_path, capsys):
    root = str(fake_cli.root)
    assert cli.main(["--root", root, "index"]) == 0
    ds = tmp_path / "mini.jsonl"
    rows = [
        {
            "id": "x1",
            "lang": "da",
            "question": "Hvor mange personer er der i referencegruppen?",
            "evidence": ["Består af 8-12 personer"],
            "answer_all": [["8-12"]],
            "answerable": True,
        },
        {"id": "x2", "lang": "en", "question": "zzzz qqqq", "evidence": [], "answer_all": [], "answerable": False},
    ]
    ds.write_text("\n".join(json.dumps(r) for r in rows))
    out, report = tmp_path / "res.jsonl", tmp_path / "rep" / "report.md"
    assert (
        cli.main(
            [
                "--root",
                root,
                "eval",
                "--dataset",
                str(ds),
                "--out",
                str(out),
                "--baselines",
                "--report",
                str(report),
                "-k",
                "3",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "| assistant | 2 | 1.000" in printed and "| bm25 |" in printed and "| langchain-textbook |" in printed
    recs = [json.loads(l) for l in out.read_text().splitlines()]
    assert [r["id"] for r in recs] == ["x1", "x2"]
    assert set(recs[0]) >= {"id", "answer", "abstained", "citations", "retrieved", "latency_s"}
    assert len(recs[0]["retrieved"]) == 3
    assert report.is_file() and report.with_suffix(".png").is_file() and "## Per language" in report.read_text()
    from assistant.models import hardware

    assert (
        f"; {hardware.cpu_name()}, {hardware.physical_cores()} cores, documents " in report.read_text()
    )  # figures vary by CPU
