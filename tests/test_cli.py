import json

from assistant.app import cli


def test_cli_index_and_ask_json(fake_cli, capsys):
    root = str(fake_cli.root)
    assert cli.main(["--root", root, "index"]) == 0
    assert "added 5" in capsys.readouterr().out
    assert cli.main(["--root", root, "index"]) == 0
    assert "unchanged 5" in capsys.readouterr().out
    assert cli.main(["--root", root, "ask", "Hvor mange personer er der i referencegruppen?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["language"] == "da" and out["abstained"] is False and out["citations"]
    assert out["retrieved"][0]["score"] >= out["retrieved"][-1]["score"]
    assert cli.main(["--root", root, "retrieve", "distansarbete", "-k", "2", "--json", "--lang", "sv"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2 and all(h["source"].split("_")[1] == "sv" for h in hits)


def test_cli_errors_are_clean(fake_cli, capsys):
    rc = cli.main(["--root", str(fake_cli.root), "ask", "anything"])
    assert rc == 5 and "assistant index" in capsys.readouterr().err
    rc = cli.main(["--root", str(fake_cli.root / "nope"), "index"])
    assert rc == 1 and "does not exist" in capsys.readouterr().err


def test_json_commands_report_errors_as_json_on_stdout(fake_cli, capsys):
    rc = cli.main(["--root", str(fake_cli.root), "ask", "anything", "--json"])  # no index yet
    out = capsys.readouterr()
    err = json.loads(out.out)["error"]
    assert rc == 5 == err["exit_code"] and err["type"] == "IndexMissingError" and "assistant index" in err["message"]
    assert "assistant index" in out.err


def test_missing_model_message(tmp_path, capsys):
    rc = cli.main(["--root", str(tmp_path), "retrieve", "x"])
    assert rc == 3 and "assistant models fetch" in capsys.readouterr().err


def test_index_progress_in_plain_lines_when_not_a_terminal(fake_cli, capsys):
    assert cli.main(["--root", str(fake_cli.root), "index"]) == 0
    err = capsys.readouterr().err
    assert "reading documents …" in err and "writing index …" in err
    last = [line for line in err.splitlines() if line.startswith("embedding: ")][-1]
    done, total = last.split()[1].split("/")
    assert done == total and int(total) > 80 and "/s, ETA 0s)" in last  # every chunk and sentence, with a rate


def test_progress_lines_are_spaced_and_end_complete():
    import io

    from assistant.core.progress import TerminalProgress

    out = io.StringIO()
    p = TerminalProgress(stream=out, interval_s=3600)
    for i in range(11):
        p(i, 10, "downloading")
    assert out.getvalue().splitlines() == [l for l in out.getvalue().splitlines() if l.startswith("downloading: 10/10")]


def test_ask_json_has_answerer_grounding_and_no_load_time(fake_cli, capsys):
    root = str(fake_cli.root)
    assert cli.main(["--root", root, "index"]) == 0
    capsys.readouterr()
    assert cli.main(["--root", root, "ask", "Hvor mange personer er der i referencegruppen?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["answerer"] == "extractive" and out["grounding"] == {} and 0 < out["latency_s"] < 5


def test_ask_streams_evidence_first_then_the_answer_with_citations(fake_cli, capsys):
    root = str(fake_cli.root)
    assert cli.main(["--root", root, "index"]) == 0
    capsys.readouterr()
    assert cli.main(["--root", root, "ask", "Hvor mange personer er der i referencegruppen?"]) == 0
    out = capsys.readouterr()
    assert "(reading 5 passages from" in out.err
    assert out.out.startswith("I dokumenterne:") and "] 2021-09-14_da_projektplan" in out.out
    assert "answered in" in out.out and "by extractive" in out.out


def test_run_rebuilds_an_index_of_an_earlier_chunker_before_serving(fake_cli, capsys, monkeypatch):
    root = str(fake_cli.root)
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "fake")  # no model fetch: the fake embedder is used
    monkeypatch.setenv("ASSISTANT_CHUNK_TOKENS", "100")
    assert cli.main(["--root", root, "index"]) == 0
    monkeypatch.delenv("ASSISTANT_CHUNK_TOKENS")
    served = []
    monkeypatch.setattr(cli, "cmd_serve", lambda args, settings: served.append(settings))
    capsys.readouterr()
    assert cli.main(["--root", root, "run"]) == 0
    out = capsys.readouterr().out
    assert "other chunker settings" in out and "full rebuild" in out and served
    assert cli.main(["--root", root, "run"]) == 0  # now current: served without a rebuild
    assert "rebuild" not in capsys.readouterr().out and len(served) == 2


def test_a_passage_count_below_one_is_refused(fake_cli, capsys):
    import pytest

    for k in ("-5", "0", "many"):  # -5 read 25 passages, 0 meant "the default"
        with pytest.raises(SystemExit) as e:
            cli.main(["--root", str(fake_cli.root), "ask", "skyddsombud", "-k", k])
        assert e.value.code == 2 and "1 or more" in capsys.readouterr().err


def test_a_bad_question_is_refused_before_anything_loads(tmp_path):
    """In a fresh process, with no model and no index at all (either would be exit 3 or 5
    if anything loaded): an empty or over-long question is exit 2 with its message, at
    once (it took 68-110 s, after loading ~2.5 GB of models)."""
    import subprocess
    import sys
    import time

    long_question = "Hur många underskrifter fick namninsamlingen i Norrbotten? " * 2000
    for question, message in (
        ("", "Please type a question."),
        ("  \n\t ", "Please type a question."),
        (long_question, "Frågan är för lång (117999 tecken; högst 1000)"),
    ):
        for extra in ([], ["--json"]):
            t0 = time.perf_counter()
            r = subprocess.run(
                [sys.executable, "-m", "assistant", "--root", str(tmp_path), "ask", question, *extra],
                capture_output=True,
                text=True,
                timeout=120,
            )
            seconds = time.perf_counter() - t0
            assert r.returncode == 2 and r.stderr.startswith(f"error: {message}"), (r.returncode, r.stderr[-500:])
            assert "Traceback" not in r.stderr and seconds < 20, seconds
            if extra:
                assert json.loads(r.stdout)["error"] == {
                    "type": "QuestionError",
                    "message": r.stderr[7:].strip(),
                    "exit_code": 2,
                }
    r = subprocess.run(
        [sys.executable, "-m", "assistant", "--root", str(tmp_path), "retrieve", " "],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "Please type a question." in r.stderr
