"""Which quotes may answer the question asked, for every answer step.

- A question naming one of the three countries is answered only by quotes about it
  (countries.py); when the best quote is about another country, the answer is an
  abstention ("other_country"): the best evidence answers another question.
- A question naming a region, union, hospital or person is answered only by quotes whose
  passage names it and that name no one else (names.py); when none is left, the answer
  is an abstention ("other_name"): Gotland's cuts do not answer a question about Värmland.
  (Unlike a country, a name is not always repeated beside the fact, so a best quote
  without it only drops out.)
- A how-many / how-much question is answered only by quotes that state a number, a
  how-many question by one that is not a sum of money, a question for a named figure
  ("the retirement age") by one that names it (quantities.py); none left is an abstention
  ("no_number").
- A who-wrote question ("Hvem skrev innlegget …?", "Hvilken signatur …?") is answered only
  by a byline or signature (questions.is_byline; which one: evidence.first_byline), not by
  sentences about the topic; none is an abstention ("no_author").
Pure function over (quote text, language of its document[, its passage]) tuples, best first;
the passage is the quote's chunk with its headings, title and file name (the quote alone
if not given)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from assistant.query.countries import is_about
from assistant.query.names import is_about_names
from assistant.query.quantities import states_quantity
from assistant.query.query import Query
from assistant.query.questions import is_byline


@dataclass(frozen=True)
class Switches:
    """Which guards apply (the settings rule_country, rule_names, rule_quantity, rule_byline)."""
    country: bool = True
    names: bool = True
    quantity: bool = True
    author: bool = True

    @classmethod
    def of(cls, settings) -> "Switches":
        return cls(settings.rule_country, settings.rule_names, settings.rule_quantity, settings.rule_byline)


@dataclass(frozen=True)
class Verdict:
    keep: tuple[bool, ...]   # which quotes may be shown, in the order given
    reason: str = ""         # set when none may: "other_country", "other_name", "no_number" or "no_author"

    @property
    def all_kept(self) -> bool:
        return all(self.keep)


def judge(query: Query, quotes: Sequence[tuple[str, ...]], best_decides: bool = True,
          switches: Switches | None = None) -> Verdict:
    """`quotes`: (text, language of its document[, passage]), best first. With `best_decides`,
    a best quote about another country abstains even when a later one is about the right one.
    `switches`: which guards apply (all by default)."""
    on = switches or Switches()
    keep = [True] * len(quotes)
    country = query.country if on.country else None
    if country and quotes:
        keep = [is_about(country, q[0], q[1]) for q in quotes]
        if (best_decides and not keep[0]) or not any(keep):
            return Verdict(tuple(False for _ in quotes), "other_country")
    names = list(query.names) if on.names else []
    if names and quotes:
        named = [is_about_names(names, q[0], q[2] if len(q) > 2 else q[0]) for q in quotes]
        if not any(k and n for k, n in zip(keep, named)):
            return Verdict(tuple(False for _ in quotes), "other_name")
        keep = [k and n for k, n in zip(keep, named)]
    if quotes and on.quantity and query.asks("quantity"):
        count, figure = query.asks("count"), query.figure
        keep = [k and states_quantity(q[0], count) and (not figure or bool(figure.search(q[0])))
                for k, q in zip(keep, quotes)]
        if not any(keep):
            return Verdict(tuple(keep), "no_number")
    if on.author and query.asks("author"):   # no quote at all is an abstention too
        keep = [k and is_byline(q[0]) for k, q in zip(keep, quotes)]
        if not any(keep):
            return Verdict(tuple(keep), "no_author")
    return Verdict(tuple(keep))
