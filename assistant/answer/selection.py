"""The selector's constrained output (issue 7): the grammar that lets the model name
only sentence numbers, and the reading of its choice from the token probabilities.
Pure functions, no model."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass


def ids_grammar(n: int, max_ids: int = 2) -> str:
    """GBNF for {"ids": [..]} with at most `max_ids` of the numbers 1..n (no free
    whitespace, only valid numbers: a handful of cheap tokens)."""
    alts = " | ".join(f'"{i}"' for i in range(1, n + 1))
    return f'root ::= "{{\\"ids\\": [" ( id ( ", " id ){{0,{max_ids - 1}}} )? "]}}"\nid ::= {alts}\n'


@dataclass(frozen=True)
class Selection:
    ids: tuple[int, ...]         # chosen sentence numbers, best first
    p_none: float                # probability the model gave to the empty list
    p_ids: dict                  # sentence number -> probability as the first id


def parse_selection(text: str, logprobs: dict | None, n: int, second_ratio: float) -> Selection:
    """The model's choice. With token log-probabilities (llama.cpp), the decision is read
    where the model chooses between ' [' and ' []' (P(none)) and at the first id (the
    distribution over sentence numbers); a second id is kept when its probability is at
    least `second_ratio` x the first's. Without them, the ids in the JSON text, p = 1."""
    try:
        said = [i for i in json.loads(text)["ids"] if isinstance(i, int) and 1 <= i <= n]
    except (ValueError, KeyError, TypeError):
        said = []
    toks = (logprobs or {}).get("content") or []
    k = next((i for i, t in enumerate(toks) if t.get("token") in (" [", " []", "[", "[]")), None)
    if k is None or k + 1 >= len(toks):
        return Selection(tuple(dict.fromkeys(said)), 0.0 if said else 1.0, {i: 1.0 for i in said})
    top = {t["token"]: math.exp(t["logprob"]) for t in toks[k].get("top_logprobs", [])}
    p_none = sum(v for tok, v in top.items() if tok.strip().startswith("[]"))
    p_open = sum(v for tok, v in top.items() if tok.strip() == "[")
    p_none = p_none / (p_none + p_open) if p_none + p_open > 0 else (0.0 if said else 1.0)
    digits = {int(t["token"]): math.exp(t["logprob"]) for t in toks[k + 1].get("top_logprobs", [])
              if t["token"].strip().isdigit() and 1 <= int(t["token"]) <= n}
    total = sum(digits.values()) or 1.0
    p_ids = {i: v / total for i, v in sorted(digits.items(), key=lambda kv: -kv[1])}
    ranked = list(p_ids)
    ids = ranked[:1] + [i for i in ranked[1:2] if p_ids[i] >= second_ratio * p_ids[ranked[0]]]
    return Selection(tuple(ids), p_none, p_ids)
