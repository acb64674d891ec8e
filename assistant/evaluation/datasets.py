"""Evaluation sets: questions (JSONL) and, for a set about new documents, the documents.

A set is a JSONL file of questions (id, lang, question, evidence, answer_all, answerable;
optional kind, qtype, docs, stale, split). A set about new documents keeps them in
`docs/` beside it, and `split.json` says which half each document is in, so that its
test half holds questions about documents no rule was fitted on. The test half is
frozen: `test.sha256` holds the digest of its documents and questions, and a changed
test half is refused (`frozen_digest`).

`scratch_settings` indexes such a set the way an administrator adds minutes: the corpus
first, then the new documents beside it, incrementally, in a scratch folder."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.config import Settings
from assistant.core.errors import EvalDataError

REQUIRED = {"id": str, "lang": str, "question": str, "evidence": list, "answer_all": list, "answerable": bool}
SPLITS = ("tune", "test")


@dataclass(frozen=True)
class EvalSet:
    path: Path
    items: tuple[dict, ...]
    docs_dir: Path | None = None  # the set's own documents, indexed beside the corpus
    doc_split: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.parent.name if self.docs_dir else self.path.stem

    @property
    def digest_file(self) -> Path:
        return self.path.parent / "test.sha256"

    def half(self, split: str) -> list[dict]:
        return [it for it in self.items if split in ("all", it.get("split"))]


def load_dataset(path: Path) -> list[dict]:
    """The questions of a JSONL file, checked field by field."""
    path = Path(path)
    if not path.is_file():
        raise EvalDataError(f"Dataset {path} not found.")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise EvalDataError(f"{path}:{n}: not valid JSON ({e.msg}).") from e
        for key, typ in REQUIRED.items():
            if not isinstance(row.get(key), typ):
                raise EvalDataError(f"{path}:{n}: field {key!r} missing or not a {typ.__name__}.")
        if row["answerable"] and not row["evidence"]:
            raise EvalDataError(f"{path}:{n}: an answerable question needs at least one evidence string.")
        row.setdefault("kind", "answerable" if row["answerable"] else "unanswerable")
        items.append(row)
    if not items:
        raise EvalDataError(f"Dataset {path} is empty.")
    return items


def load_set(path: Path) -> EvalSet:
    """A set, with its documents and halves when `docs/` and `split.json` lie beside it."""
    path = Path(path)
    items = load_dataset(path)
    docs = path.parent / "docs"
    if not docs.is_dir():
        return EvalSet(path, tuple(items))
    split_file = path.parent / "split.json"
    if not split_file.is_file():
        raise EvalDataError(f"{path.parent} has docs/ but no split.json saying which half each document is in.")
    doc_split = json.loads(split_file.read_text(encoding="utf-8"))
    unknown = sorted({d for it in items for d in it.get("docs", []) if d not in doc_split})
    if unknown or set(doc_split.values()) - set(SPLITS):
        raise EvalDataError(f"{split_file}: every document needs a half (tune/test); missing: {', '.join(unknown)}.")
    return EvalSet(path, tuple(items), docs, doc_split)


def frozen_digest(evalset: EvalSet) -> str:
    """sha256 over the test half: each test document's name and bytes, then each test
    question as stored (in id order)."""
    h = hashlib.sha256()
    docs = evalset.docs_dir or evalset.path.parent / "docs"
    for name in sorted(n for n, s in evalset.doc_split.items() if s == "test"):
        h.update(name.encode() + b"\0" + hashlib.sha256((docs / name).read_bytes()).digest())
    for it in sorted(evalset.half("test"), key=lambda it: it["id"]):
        h.update(json.dumps(it, ensure_ascii=False, sort_keys=True).encode() + b"\n")
    return h.hexdigest()


def check_frozen(evalset: EvalSet) -> None:
    """Refuses a test half that differs from the digest stored beside the set."""
    if not evalset.digest_file.is_file():
        return
    want = evalset.digest_file.read_text(encoding="utf-8").split()[0]
    if frozen_digest(evalset) != want:
        raise EvalDataError(
            f"The frozen test half of {evalset.path.parent} has changed (its digest is not "
            f"{want[:12]}…). Restore it from git: the test half is never edited after it is frozen."
        )


def scratch_settings(settings: Settings, evalset: EvalSet, scratch: Path, with_docs: bool = True) -> Settings:
    """Settings whose corpus is the configured corpus plus (`with_docs`) the set's
    documents, in `scratch` (kept between runs; only changed files are indexed again)."""
    corpus = scratch / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in sorted(settings.path("corpus_dir").iterdir()) if p.is_file()}
    if with_docs and evalset.docs_dir:
        wanted.update({p.name: p for p in sorted(evalset.docs_dir.iterdir()) if p.is_file()})
    for stale in corpus.iterdir():
        if stale.is_file() and stale.name not in wanted:
            stale.unlink()
    for name, src in wanted.items():
        dst = corpus / name
        if not dst.is_file() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
    return settings.replace(corpus_dir=corpus.resolve(), index_dir=(scratch / "index").resolve())
