"""Query expansion with a glossary of the trade's terms in the four languages.

The embedder matches "lön" with "løn" easily but not always "safety representative"
with "skyddsombud". A question that uses a glossary term is searched with the term's
equivalents in the other languages appended; the answer step still ranks sentences
against the question itself. The glossary is a tab-separated file (one concept per
line, variants in a cell separated by "|", `#` comments, a header row of language
codes; a term matches at the start of a word, and a variant "!word" names words that
start like a term but mean something else, e.g. "journal|!journalist"): the one shipped
in the package (`glossary = "builtin"`), a file of your own, or none (`glossary = ""`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

from assistant.core.errors import ConfigError


@dataclass(frozen=True)
class Glossary:
    concepts: tuple[tuple[str, ...], ...]

    @cached_property
    def _patterns(self) -> list[tuple[re.Pattern, tuple[str, ...]]]:
        """One pattern per concept (its terms, longest first; not at a word that starts with
        one of its "!" exceptions), compiled once per glossary. Returns (pattern, terms)."""
        out = []
        for row in self.concepts:
            terms = tuple(t for t in row if not t.startswith("!"))
            alt = "|".join(re.escape(t.lower()) for t in sorted(terms, key=len, reverse=True))
            nots = "|".join(re.escape(t[1:].lower()) for t in row if t.startswith("!"))
            out.append((re.compile(rf"(?<!\w)(?!{nots})(?:{alt})" if nots else rf"(?<!\w)(?:{alt})"), terms))
        return out

    def topics(self, question: str) -> tuple[re.Pattern, ...]:
        """The patterns of the concepts the question uses (each matches any of the concept's
        terms, in every language, in lower-cased text)."""
        low = question.lower()
        return tuple(pattern for pattern, _ in self._patterns if pattern.search(low))

    def expand(self, question: str) -> str:
        """The question with the equivalents of every term it uses, e.g.
        "How many safety representatives?" -> "How many safety representatives? (skyddsombud,
        arbejdsmiljørepræsentant, verneombud)". Unchanged when it uses none."""
        low = question.lower()
        extra: dict[str, None] = {}
        for pattern, row in self._patterns:
            if pattern.search(low):
                extra.update((t, None) for t in row if t.lower() not in low)
        return f"{question} ({', '.join(extra)})" if extra else question


def count_topics(topics: tuple[re.Pattern, ...], text: str) -> int:
    """How many of the concepts (patterns from `Glossary.topics`) `text` names, in any language."""
    low = text.lower()
    return sum(bool(p.search(low)) for p in topics)


def parse(text: str, origin: str = "glossary") -> Glossary:
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not rows or len(rows[0]) < 2:
        raise ConfigError(
            f"{origin}: expected a header row of language codes separated by tabs, then one concept per line."
        )
    width = len(rows[0])
    concepts = []
    for n, row in enumerate(rows[1:], 2):
        terms = tuple(
            dict.fromkeys(re.sub(r"^!\s+", "!", t.strip()) for cell in row for t in cell.split("|") if t.strip())
        )
        if len(row) != width:
            raise ConfigError(
                f"{origin}: concept line {n} has {len(row)} columns, the header {width}. Separate terms with one tab."
            )
        if "!" in terms:
            raise ConfigError(f"{origin}: concept line {n} has a bare '!'. Write the exception as '!word'.")
        if sum(not t.startswith("!") for t in terms) > 1:
            concepts.append(terms)
    return Glossary(tuple(concepts))


@lru_cache(maxsize=4)
def load_glossary(name: str) -> Glossary:
    """ "builtin" (the package's file), "" (no expansion) or a path to a TSV file."""
    if not name:
        return Glossary(())
    if name == "builtin":
        return parse(
            resources.files("assistant.retrieval").joinpath("glossary.tsv").read_text(encoding="utf-8"),
            "builtin glossary",
        )
    path = Path(name)
    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(
            f'Cannot read the glossary {path}: {e}. Fix the `glossary` setting ("builtin", "" or a TSV file).'
        ) from e
