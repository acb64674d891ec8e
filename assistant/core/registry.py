"""Implementations chosen by name (loaders by file extension, embedders, stores, answer
backends), as simonw/llm registers models: a module registers what it provides, and
settings name what to use. An unknown name is a ConfigError that lists the known ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from assistant.core.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, setting: str = ""):
        self.kind, self.setting = kind, setting
        self._items: dict[str, T] = {}

    def register(self, *names: str) -> Callable[[T], T]:
        """Decorator: `@LOADERS.register(".txt", ".md")`. Names are case-insensitive."""

        def deco(obj: T) -> T:
            for name in names:
                self._items[name.lower()] = obj
            return obj

        return deco

    def get(self, name: str) -> T:
        try:
            return self._items[name.lower()]
        except KeyError:
            where = f" Set `{self.setting}` to one of them." if self.setting else ""
            raise ConfigError(f"Unknown {self.kind} {name!r}; known: {', '.join(self.names())}.{where}") from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def names(self) -> list[str]:
        return sorted(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
