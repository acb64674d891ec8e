"""Which quotes may answer the question asked, for every answer step.

A how-many or how-much question is answered only by quotes that state a number, and a
how-many question by one that is not only a sum of money (quantities.py): other quotes are
about the topic, not the figure asked for, and quoted with citations they still look like
an answer. None left is an abstention ("no_number"). Pure function over the quotes' texts,
best first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.query.quantities import states_quantity
from assistant.query.query import Query


@dataclass(frozen=True)
class Verdict:
    keep: tuple[bool, ...]  # which quotes may be shown, in the order given
    reason: str = ""  # set when none may: "no_number"

    @property
    def all_kept(self) -> bool:
        return all(self.keep)


def judge(query: Query, quotes: Sequence[str], on: bool = True) -> Verdict:
    """`quotes`: the quotes' texts, best first; `on`: the guard applies (rule_quantity)."""
    if not on or not quotes or not query.asks("quantity"):
        return Verdict(tuple(True for _ in quotes))
    keep = tuple(states_quantity(text, query.asks("count")) for text in quotes)
    return Verdict(keep, "" if any(keep) else "no_number")
