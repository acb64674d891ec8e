"""The members' chat served over a copy of the shipped corpus with test doubles, for the
fast browser tests (tests/test_browser_chat.py): the fake embedder (conftest.FakeEmbedder)
and `SlowModel`, a language model that picks sentence [1] after `delay` seconds (set it
while the server runs), so there is something to stop and something to queue behind.

`python tests/fake_chat_app.py [port]` serves it for a look by hand. Tests only."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from pathlib import Path

from langchain_core.language_models.fake_chat_models import FakeListChatModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import ROOT, FakeEmbedder  # noqa: E402


class SlowModel(FakeListChatModel):
    """Picks sentence [1] after `delay` s; gives up (like the local model) when the
    caller stops waiting. `calls` counts the model calls, `stopped` the ones given up."""

    delay: float = 0.0
    calls: int = 0
    stopped: int = 0

    def _call(self, *args, **kwargs):
        from assistant.models.llm import given_up

        self.calls += 1
        flag, end = given_up(), time.monotonic() + self.delay
        while time.monotonic() < end:
            if flag is not None and flag.is_set():
                self.stopped += 1
                return ""
            time.sleep(0.02)
        return '{"ids": [1]}'


def fake_assistant(root: Path, model: SlowModel | None = None, **overrides):
    """An Assistant over a copy of the shipped corpus in `root`, indexed with the fake
    embedder, answering with the selector and `model`."""
    from assistant.core.config import load_settings
    from assistant.index.indexer import build_index
    from assistant.pipeline.assistant import Assistant

    shutil.copytree(ROOT / "corpus", root / "corpus", dirs_exist_ok=True)
    settings = load_settings(
        root,
        env={},
        answer_backend="selector",
        abstain_threshold=0.2,
        llm_timeout_s=60,
        feedback_file=str(root / "feedback.jsonl"),
        **overrides,
    )
    embedder = FakeEmbedder()
    build_index(settings, embedder)
    model = model if model is not None else SlowModel(responses=["x"])
    return Assistant(settings, embedder=embedder, chat_model=model).warm_up()


class Served:
    """`make_server` in a uvicorn thread on 127.0.0.1; `url`, `stop()`."""

    def __init__(self, assistant, port: int = 0):
        import socket

        import uvicorn

        from assistant.app.web import build_app, make_server

        if not port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        app = make_server(assistant, build_app(assistant), assistant.settings)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started and time.time() < deadline:
            time.sleep(0.05)
        if not self.server.started:
            raise RuntimeError("the chat did not start")
        self.url = f"http://127.0.0.1:{port}/"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


if __name__ == "__main__":
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="fake-chat-"))
    served = Served(
        fake_assistant(tmp, SlowModel(responses=["x"], delay=float(sys.argv[2]) if len(sys.argv) > 2 else 2.0)),
        int(sys.argv[1]) if len(sys.argv) > 1 else 7861,
    )
    print(served.url, flush=True)
    served.thread.join()
