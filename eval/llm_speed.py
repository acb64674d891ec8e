"""Speed of the local LLM on this machine: load time, prompt-eval and generation tok/s,
thread settings, and the effect of prompt-prefix (KV cache) reuse.

    python eval/llm_speed.py [--model qwen2.5-coder-0.5b] [--threads 2] [--batch-threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from langchain_core.messages import HumanMessage, SystemMessage  # noqa: E402

from assistant.answer.selection import ids_grammar  # noqa: E402
from assistant.core.config import load_settings  # noqa: E402
from assistant.models.local_llm import LocalChatModel, resolve_model_path  # noqa: E402

SYSTEM = (
    "You select evidence. Below are numbered sentences from union meeting minutes. "
    "Return the numbers of the sentences that answer the question, or none.\n"
    + "\n".join(
        f"[{i}] Styrelsen beslutade att mötet {i} hålls i Visby den {i} juni och att {i * 37} medlemmar bjuds in."
        for i in range(1, 25)
    )
)
QUESTIONS = [
    "Hur många medlemmar bjuds in till möte 7?",
    "När hålls möte 12?",
    "Where is meeting 3 held?",
    "Hvor mange medlemmer inviteres til møde 20? Forklar udførligt.",
    "Hvem leder mødet? Explain in detail.",
]


def run(llm, cache: bool, schema: bool, max_tokens: int):
    rows = []
    for q in QUESTIONS:
        kw = {"grammar": ids_grammar(24)} if schema else {}
        t0 = time.perf_counter()
        msg = (
            llm.invoke(
                [SystemMessage(SYSTEM), HumanMessage(q if cache else f"{time.time_ns()} {q}")],
                max_tokens=max_tokens,
                **kw,
            )
            if cache
            else None
        )
        if not cache:  # different first token: the cached prefix cannot be reused
            msg = llm.invoke(
                [SystemMessage(f"{time.time_ns()}\n{SYSTEM}"), HumanMessage(q)], max_tokens=max_tokens, **kw
            )
        t = msg.response_metadata["timings"]
        rows.append(
            (
                time.perf_counter() - t0,
                t["prompt_n"],
                t.get("cache_n", 0),
                t["prompt_per_second"],
                t["predicted_n"],
                t["predicted_per_second"],
            )
        )
    return rows


def show(label, rows):
    med = lambda i: statistics.median(r[i] for r in rows)  # noqa: E731
    print(
        f"{label:38s} wall p50 {med(0):5.2f}s | prompt evaluated {med(1):5.0f} tok (cached {med(2):4.0f}) "
        f"at {med(3):6.1f} tok/s | generated {med(4):3.0f} tok at {med(5):5.1f} tok/s"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--free-gen", type=int, default=64, help="tokens for the free-generation run")
    args = ap.parse_args()
    s = load_settings(env={**os.environ, "ASSISTANT_LLM_MODEL_NAME": args.model})
    llm = LocalChatModel(model_path=str(resolve_model_path(s)), n_threads=args.threads, n_ctx=2048)
    llm.warm_up()
    print(
        f"{args.model}: threads {llm.threads} (gen + batch), load {llm.load_seconds:.1f}s, "
        f"system prompt {llm.count_tokens(SYSTEM)} tokens; load average {os.getloadavg()[0]:.2f}"
    )
    show("no prefix cache, ids grammar", run(llm, False, True, 16))
    show("prefix cache, ids grammar", run(llm, True, True, 16))
    show(f"prefix cache, free text ({args.free_gen} tok)", run(llm, True, False, args.free_gen))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
