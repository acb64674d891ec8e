"""The selector's constrained output: the grammar that lets the model name only sentence
labels, and the reading of its choice from the token probabilities. Pure functions, no model.

Up to nine sentences are labelled 1..9; more are labelled A, B, C, … (quoted JSON strings).
Either way a label is one token, so one token position carries the choice."""

from __future__ import annotations

import json
import math
import string
from dataclasses import dataclass


def labels(n: int) -> list[str]:
    """The labels of n sentences, in order."""
    return [str(i) for i in range(1, n + 1)] if n <= 9 else list(string.ascii_uppercase[:n])


def ids_grammar(n: int, max_ids: int = 2) -> str:
    """GBNF for {"ids": [..]} with at most `max_ids` of the n labels (no free whitespace,
    only valid labels: a handful of cheap tokens)."""
    quote = "" if n <= 9 else '\\"'
    alts = " | ".join(f'"{quote}{x}{quote}"' for x in labels(n))
    return f'root ::= "{{\\"ids\\": [" ( id ( ", " id ){{0,{max_ids - 1}}} )? "]}}"\nid ::= {alts}\n'


@dataclass(frozen=True)
class Selection:
    ids: tuple[int, ...]  # chosen sentence numbers (1..n), best first
    p_none: float  # probability the model gave to the empty list
    p_ids: dict  # sentence number -> probability as the first id


_OPEN = (" [", "[", ' ["', '["')  # the list opens with an id next
_EMPTY = (" []", "[]")


def parse_selection(text: str, logprobs: dict | None, n: int, second_ratio: float) -> Selection:
    """The model's choice. With token log-probabilities (llama.cpp), the decision is read
    where the model chooses between an opening and an empty list (P(none)) and at the first
    label (the distribution over sentences); a second id is kept when its probability is at
    least `second_ratio` x the first's. Without them, the ids in the JSON text, p = 1."""
    number = {x: i for i, x in enumerate(labels(n), 1)}
    try:
        said = [number[str(i)] for i in json.loads(text)["ids"] if str(i) in number]
    except (ValueError, KeyError, TypeError):
        said = []
    toks = (logprobs or {}).get("content") or []
    k = next((i for i, t in enumerate(toks) if t.get("token") in _OPEN + _EMPTY), None)
    if k is None or k + 1 >= len(toks):
        return Selection(tuple(dict.fromkeys(said)), 0.0 if said else 1.0, {i: 1.0 for i in said})
    top = {t["token"]: math.exp(t["logprob"]) for t in toks[k].get("top_logprobs", [])}
    p_none = sum(v for tok, v in top.items() if tok.strip().startswith("[]"))
    p_open = sum(v for tok, v in top.items() if tok.strip() in ("[", '["'))
    p_none = p_none / (p_none + p_open) if p_none + p_open > 0 else (0.0 if said else 1.0)
    firsts: dict[int, float] = {}
    for t in toks[k + 1].get("top_logprobs", []):  # a label, or a label with its opening quote ('"L')
        x = t["token"].strip().lstrip('"')
        if x in number:
            firsts[number[x]] = firsts.get(number[x], 0.0) + math.exp(t["logprob"])
    total = sum(firsts.values()) or 1.0
    p_ids = {i: v / total for i, v in sorted(firsts.items(), key=lambda kv: -kv[1])}
    ranked = list(p_ids)
    ids = ranked[:1] + [i for i in ranked[1:2] if p_ids[i] >= second_ratio * p_ids[ranked[0]]]
    return Selection(tuple(ids), p_none, p_ids)
