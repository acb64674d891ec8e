"""Which quotes may answer the question asked, for every answer step.

- A question naming one of the three countries is answered only by quotes about it
  (countries.py); when the best quote is about another country, the answer is an
  abstention ("other_country"): the best evidence answers another question.
- A how-many / how-much question is answered only by quotes that state a number
  (quantities.py); none left is an abstention ("no_number").
Pure function over (quote text, language of its document) pairs, best first."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .countries import asked_country, is_about
from .quantities import asks_quantity, states_quantity


@dataclass(frozen=True)
class Verdict:
    keep: tuple[bool, ...]   # which quotes may be shown, in the order given
    reason: str = ""         # set when none may: "other_country" or "no_number"

    @property
    def all_kept(self) -> bool:
        return all(self.keep)


def judge(question: str, quotes: Sequence[tuple[str, str]], best_decides: bool = True) -> Verdict:
    """`quotes`: (text, language of its document), best first. With `best_decides`, a best
    quote about another country abstains even when a later one is about the right one."""
    keep = [True] * len(quotes)
    country = asked_country(question)
    if country and quotes:
        keep = [is_about(country, text, language) for text, language in quotes]
        if (best_decides and not keep[0]) or not any(keep):
            return Verdict(tuple(False for _ in quotes), "other_country")
    if quotes and asks_quantity(question):
        keep = [k and states_quantity(text) for k, (text, _) in zip(keep, quotes)]
        if not any(keep):
            return Verdict(tuple(keep), "no_number")
    return Verdict(tuple(keep))
