"""The in-process xllamacpp chat model on the real Qwen2.5-Coder 0.5B (marker `llm`):
invoke, token streaming, JSON-schema and grammar-constrained output, prefix-cache reuse,
token counting in the model's own vocabulary."""

import json
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.models import gguf as models
from assistant.models.hardware import physical_cores
from assistant.models.local_llm import LocalChatModel

pytestmark = pytest.mark.llm
MODELS = Path(__file__).resolve().parent.parent / "models"


@pytest.fixture(scope="module")
def llm():
    path = MODELS / models.LLM_SPECS["qwen2.5-coder-0.5b"].filename
    if not path.is_file():
        pytest.fail(f"{path} missing: run `assistant models fetch --llm qwen2.5-coder-0.5b`")
    return LocalChatModel(model_path=str(path), n_ctx=1024, max_tokens=24).warm_up()


SYS = SystemMessage(
    "Numbered sentences:\n[1] The sky is green today.\n[2] The meeting is held in Visby on 3 June.\n"
    "[3] Lunch is served at noon.\nAnswer with the numbers of the sentences that answer the question."
)


def test_threads_are_physical_cores(llm):
    assert llm.threads == physical_cores() >= 1 and llm.load_seconds > 0


FACTS = SystemMessage("Facts: The sky is green today. The meeting is held in Visby on 3 June. Lunch is served at noon.")


def test_invoke_stream_and_prefix_cache(llm):
    first = llm.invoke([FACTS, HumanMessage("In which town is the meeting held?")])
    assert "Visby" in first.content and first.usage_metadata["input_tokens"] > 20
    second = llm.invoke([FACTS, HumanMessage("When is lunch served?")])
    t = second.response_metadata["timings"]
    assert t["cache_n"] >= 30 and t["prompt_n"] < 20  # the shared system prefix was not evaluated again
    pieces = [c.content for c in llm.stream([FACTS, HumanMessage("In which town is the meeting held?")]) if c.content]
    assert len(pieces) >= 2 and "Visby" in "".join(pieces)


def test_constrained_output(llm):
    schema = {
        "type": "object",
        "properties": {"ids": {"type": "array", "items": {"type": "integer"}}},
        "required": ["ids"],
    }
    out = llm.invoke([SYS, HumanMessage("Which sentence says where the meeting is? JSON.")], json_schema=schema)
    assert isinstance(json.loads(out.content)["ids"], list)
    grammar = 'root ::= "{\\"ids\\": [" ( id ( ", " id )* )? "]}"\nid ::= "1" | "2" | "3"\n'
    out = llm.invoke([SYS, HumanMessage("Which sentence says where the meeting is? JSON.")], grammar=grammar)
    assert set(json.loads(out.content)["ids"]) <= {1, 2, 3}


def test_count_tokens_in_model_vocabulary(llm):
    assert llm.count_tokens("Utredningen ska vara klar 30 maj 2025.") == 16  # Qwen splits digits one by one
    with pytest.raises(TypeError, match="does not take"):
        llm.invoke("hi", top_q=1)


def test_selector_reader_end_to_end(settings, fake_embedder, llm):
    """answer_backend = "selector" on the real 0.5B: a cited quote of the answer, or an
    abstention, never text that is not in the cited passage."""
    from assistant.index.indexer import build_index
    from assistant.pipeline.assistant import Assistant

    build_index(settings, fake_embedder)
    cfg = settings.replace(answer_backend="selector", llm_model_name=llm.model_path, llm_n_ctx=1024)
    a = Assistant(cfg, embedder=fake_embedder).warm_up()
    ans = a.ask("Hvor mange personer er der i referencegruppen?")
    assert ans.backend == "selector" and not ans.note, ans.note
    assert not ans.abstained and ans.citations
    for c in ans.citations:
        assert a.index.documents[c.source].text[c.start : c.end] == c.text
    pieces = list(a.stream("Hvor mange personer er der i referencegruppen?"))[1:]  # after the Preview
    assert pieces[-1].text == ans.text and "".join(p for p in pieces[:-1]) == ans.text


def test_openai_compatible_provider_over_http(settings, fake_embedder, llm):
    """The OpenAI-compatible path against a real server on loopback: the llama.cpp server
    that xllamacpp runs beside the in-process model. Without grammar or token
    probabilities the selector reads the ids from the JSON text."""
    pytest.importorskip("langchain_openai", reason="make test installs langchain-openai")
    from assistant.index.indexer import build_index
    from assistant.pipeline.assistant import Assistant

    build_index(settings, fake_embedder)
    cfg = settings.replace(
        answer_backend="selector",
        llm_provider="openai",
        llm_model="qwen",
        llm_base_url=llm._server.listening_address + "/v1",
        llm_timeout_s=120,
    )
    a = Assistant(cfg, embedder=fake_embedder).warm_up()
    assert type(a.chat_model()).__name__ == "ChatOpenAI"
    ans = a.ask("Hvor mange personer er der i referencegruppen?")
    assert ans.backend == "selector" and not ans.note, ans.note
    for c in ans.citations:
        assert a.index.documents[c.source].text[c.start : c.end] == c.text
