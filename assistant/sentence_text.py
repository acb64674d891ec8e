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


def sentence_embed_texts(chunk: Chunk, texts: list[str] | None = None) -> list[str]:
    """`texts`: the chunk's sentences already through `clean_text`, if at hand."""
    raw = chunk.sentence_texts()
    texts = [clean_text(s) for s in raw] if texts is None else texts
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


def index_texts(chunks: list[Chunk]) -> tuple[list[str], int, list[int]]:
    """Everything the index embeds for these chunks, in order: the chunk texts, each
    sentence alone, then the in-context texts that differ from the sentence alone.
    Returns (texts, number of sentences, indices of the sentences read in context)."""
    alone, search = [], []
    for c in chunks:
        texts = [clean_text(s) for s in c.sentence_texts()]
        alone += texts
        search += sentence_embed_texts(c, texts)
    differ = [i for i, (a, t) in enumerate(zip(alone, search)) if a != t]
    return [c.embed_text for c in chunks] + alone + [search[i] for i in differ], len(alone), differ
