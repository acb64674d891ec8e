"""What the embedder reads for each quotable sentence of a chunk; the stored text and
the quotes stay as they are. A sentence is embedded alone, except:
- a short one ("6496 skyddsombud.": fewer than `SHORT_WORDS` words) together with its
  neighbours in the chunk, so a bare figure is found by what it is about;
- a table row with its column names ("Tid: 20. sept. 2021 | Sted: København (RLTN) |
  Møder: SG-møde"), so a row is found by what its cells are."""
from __future__ import annotations

import re

from assistant.ingest.chunking import BULLET, Chunk, clean_text, flat_list

SHORT_WORDS = 8
_HEADING_LINE = re.compile(r"^\s*(#{1,6}\s|\*\*|__)")


def _heading_above(chunk: Chunk, start: int) -> str:
    """The heading line right above offset `start` in the chunk, or the chunk's heading
    when nothing precedes it there; "" when a paragraph does."""
    lines = [line for line in chunk.text[: start - chunk.start].split("\n") if line.strip()]
    if not lines:
        return chunk.headings[-1] if chunk.headings else ""
    return clean_text(lines[-1]) if _HEADING_LINE.match(lines[-1]) else ""


def sentence_alone_texts(chunk: Chunk) -> list[str]:
    """Each sentence as the answer step reads it: its text, a list on one line, and a list
    without a lead-in line after its heading ("Kort sigt: Rekrutteringssituationen;
    Kompetenceudvikling; Praktikforløb")."""
    out = []
    for (s, _), raw in zip(chunk.sentences, chunk.sentence_texts()):
        text = clean_text(raw)
        flat = flat_list(text)
        lead = _heading_above(chunk, s) if flat != text and BULLET.match(raw) else ""
        out.append(f"{lead}: {flat}" if lead else flat)
    return out


def _row(header: list[str], row: str) -> str:
    cells = [clean_text(c) for c in row.split("\t")]
    names = [clean_text(h) for h in header] + [""] * max(0, len(cells) - len(header))
    return " | ".join(f"{n}: {c}" if n else c for n, c in zip(names, cells) if c)


def sentence_embed_texts(chunk: Chunk, texts: list[str] | None = None) -> list[str]:
    """`texts`: the chunk's `sentence_alone_texts`, if at hand."""
    raw = chunk.sentence_texts()
    texts = sentence_alone_texts(chunk) if texts is None else texts
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
        texts = sentence_alone_texts(c)
        alone += texts
        search += sentence_embed_texts(c, texts)
    differ = [i for i, (a, t) in enumerate(zip(alone, search)) if a != t]
    return [c.embed_text for c in chunks] + alone + [search[i] for i in differ], len(alone), differ
