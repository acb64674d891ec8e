"""Retrieval filters (document, language, year range): a value object that every store
applies the same way, in Python (`allows`) or translated to its query language."""
from __future__ import annotations

from dataclasses import dataclass

from assistant.ingest.chunking import Chunk


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] = ()     # a document's source path, or part of it
    languages: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.sources or self.languages or self.year_from or self.year_to)

    def allows_document(self, source: str, language: str, date: str | None) -> bool:
        if self.sources and not any(s == source or s in source for s in self.sources):
            return False
        if self.languages and language not in self.languages:
            return False
        year = int(date[:4]) if date else None
        if self.year_from and (year is None or year < self.year_from):
            return False
        if self.year_to and (year is None or year > self.year_to):
            return False
        return True

    def allows(self, c: Chunk) -> bool:
        return self.allows_document(c.source, c.language, c.date)
