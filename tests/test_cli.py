import json


from assistant import cli


def test_cli_index_and_ask_json(fake_cli, capsys):
    root = str(fake_cli.root)
    assert cli.main(["--root", root, "index"]) == 0
    assert "added 5" in capsys.readouterr().out
    assert cli.main(["--root", root, "index"]) == 0
    assert "unchanged 5" in capsys.readouterr().out
    assert cli.main(["--root", root, "ask", "Hvor mange personer består referencegruppen af?", "--json"]) == 0
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


def test_missing_model_message(tmp_path, capsys):
    rc = cli.main(["--root", str(tmp_path), "retrieve", "x"])
    assert rc == 3 and "assistant models fetch" in capsys.readouterr().err
