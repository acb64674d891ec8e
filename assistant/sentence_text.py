"""What the embedder reads for each quotable sentence of a chunk; the stored text and
the quotes stay as they are. A sentence is embedded alone, except:
- a short one ("6496 skyddsombud.": fewer than `SHORT_WORDS` words) together with its
  neighbours in the chunk, so a bare figure is found by what it is about;
- a table row with its column names ("Tid: 20. sept. 2021 | Sted: København (RLTN) |
  Møder: SG-møde"), so a row is found by what its cells are."""
from __future__ import annotations

from .chunking import Chunk, clean_text

SHORT_WORDS = 8


def _row(header: list[str], row: str) -> str:
    cells = [clean_text(c) for c in row.split("\t")]
    names = [clean_text(h) for h in header] + [""] * max(0, len(cells) - len(header))
    return " | ".join(f"{n}: {c}" if n else c for n, c in zip(names, cells) if c)


def sentence_embed_texts(chunk: Chunk) -> list[str]:
    raw = chunk.sentence_texts()
    texts = [clean_text(s) for s in raw]
    header = chunk.context.split("\t") if chunk.context else []
    out = []
    for i, (r, t) in enumerate(zip(raw, texts)):
        if header and "\t" in r:
            out.append(_row(header, r))
        elif len(t.split()) < SHORT_WORDS:
            out.append(" ".join(texts[max(i - 1, 0):i + 2]))
        else:
            out.append(t)
    return out
