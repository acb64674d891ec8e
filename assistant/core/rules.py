"""The rules of the question and answer path, each with the settings that switch it off.

A rule is a step written by hand (a pattern, a prior, a guard) rather than learnt by a
model. Every rule has a switch in `Settings`, and `assistant eval --ablate` runs the
evaluation once per rule with it switched off, so each rule's effect on each half of each
evaluation set is measured (docs/evaluation.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.core.registry import Registry


@dataclass(frozen=True)
class Rule:
    name: str
    stage: str  # retrieval, evidence, reader or guard
    what: str  # one line: what the rule does
    off: dict[str, Any]  # the settings that switch it off


RULES: Registry[Rule] = Registry("rule")


def rule(name: str, stage: str, what: str, **off: Any) -> Rule:
    r = Rule(name, stage, what, off)
    RULES.register(name)(r)
    return r


rule("glossary", "retrieval", "the question is searched with its glossary terms in the other languages", glossary="")
rule("cognates", "retrieval", "candidates score by shared character 4-grams with the question", cognate_weight=0.0)
rule(
    "each_document",
    "evidence",
    "a question about each document quotes each one's best sentence",
    rule_each_document=False,
)
rule(
    "instructions", "evidence", "a sentence addressing the reader or a model is never evidence", rule_instructions=False
)
rule(
    "clean_candidates",
    "evidence",
    "bare headings and lines of times and dates are not candidates",
    rule_clean_candidates=False,
)
rule("topic_seed", "reader", "the model's candidates naming a glossary concept rank higher", reader_topic_bonus=0.0)
rule(
    "add_extractive",
    "reader",
    "after the model's pick, the extractive ranking's sentences of the same document",
    reader_add_extractive=False,
)
rule(
    "titles",
    "guard",
    "a generated sentence's names may stand in the cited quote's document title too",
    grounding_titles=False,
)
rule(
    "period",
    "guard",
    "a quote naming years, none of them the question's, is not an answer to it",
    rule_period=False,
)
rule("newest", "evidence", "a later document's statement that updates the quote leads the answer", rule_newest=False)


def switched_off(name: str) -> dict[str, Any]:
    """The settings that switch rule `name` off."""
    return dict(RULES.get(name).off)
