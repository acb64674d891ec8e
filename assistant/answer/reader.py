"""Grounded LLM readers, same interface as `ExtractiveAnswerer`.

Both show the model a compact numbered list of evidence sentences: the best-ranked
sentences of `ExtractiveAnswerer.evidence()` with their neighbours in the chunk,
grouped by passage, budgeted in the model's own tokens.

- `selector` (default): the model returns which numbers answer the question, as
  grammar-constrained JSON {"ids": [...]}; an empty list is an abstention, and so is a
  pick whose quotes all name another year than the question (period.py). The answer
  quotes the chosen sentences verbatim with citations; when the question's language
  differs from theirs, the model may add a one-sentence restatement in the question's
  language, kept only if it passes the grounding check, with the quotes beside it.
- `writer`: the model writes a short answer citing [n]; sentences that fail the
  grounding check are dropped; if none is left, the extractive answer is shown with a note.

Any model failure or timeout gives the extractive answer with a visible note."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.answer.base import (
    Answer,
    ExtractiveAnswerer,
    Waiting,
    abstention,
    cited_answer,
    passage_for,
    quoted_answer,
    stream_answer,
)
from assistant.answer.candidates import Admit
from assistant.answer.citations import Passage
from assistant.answer.each_document import other_documents
from assistant.answer.evidence import Evidence, select_evidence
from assistant.answer.grounding import check_grounding, first_sentence, unsupported
from assistant.answer.period import other_period
from assistant.answer.selection import ids_grammar, labels, parse_selection
from assistant.core.config import Settings
from assistant.core.i18n import t
from assistant.core.lang import detect_language
from assistant.core.prompting import render
from assistant.index.store import SearchIndex
from assistant.ingest.chunking import clean_text, flat_list
from assistant.models.llm import LLMStopped, LLMTimeout, within_deadline
from assistant.retrieval.hybrid import Retrieval

LANGUAGE_NAMES = {"sv": "Swedish", "da": "Danish", "no": "Norwegian (bokmål)", "en": "English"}


log = logging.getLogger(__name__)


def neighbours(retrieval: Retrieval, ev: Evidence, admit: Admit = Admit()) -> list[Evidence]:
    """The sentence before, the sentence itself and the one after, inside its chunk
    (a neighbour that could not be evidence itself, e.g. a bare link or a heading, is left out)."""
    chunk = retrieval.hits[ev.hit_rank].chunk
    spans, texts = list(chunk.sentences), chunk.sentence_texts()
    if (ev.start, ev.end) not in spans:
        return [ev]
    i = spans.index((ev.start, ev.end))
    return [
        ev if j == i else Evidence(ev.hit_rank, ev.source, *spans[j], texts[j], float("nan"), float("nan"))
        for j in range(max(0, i - 1), min(len(spans), i + 2))
        if j == i or admit(texts[j], (chunk.title, *chunk.headings))
    ]


def compact_evidence(
    index: SearchIndex,
    retrieval: Retrieval,
    ranked: list[Evidence],
    budget: int,
    count: Callable[[str], int],
    max_seeds: int = 6,
    max_sentences: int = 9,
    context_seeds: int | None = None,
    context: Admit = Admit(),
) -> tuple[list[Passage], str]:
    """Best sentences, the first `context_seeds` (default: all) with their neighbours, in
    document order per passage, numbered 1..N, as many seeds as fit in `budget` tokens.
    Returns (numbered passages, prompt block)."""
    chosen: dict[tuple[int, int], Evidence] = {}
    used = 0
    for n, ev in enumerate(ranked[:max_seeds]):
        near = neighbours(retrieval, ev, context) if context_seeds is None or n < context_seeds else [ev]
        group = [e for e in near if (e.hit_rank, e.start) not in chosen]
        cost = sum(count(clean_text(e.text)) + 3 for e in group)
        if chosen and (used + cost > budget or len(chosen) + len(group) > max_sentences):
            if (ev.hit_rank, ev.start) in chosen or used + count(ev.text) + 3 > budget or len(chosen) >= max_sentences:
                continue
            group, cost = [ev], count(ev.text) + 3  # the seed alone still fits
        used += cost
        chosen.update({(e.hit_rank, e.start): e for e in group})
    passages: list[Passage] = []
    lines: list[str] = []
    last_rank = None
    names = labels(len(chosen))
    for key in sorted(chosen):
        ev = chosen[key]
        p = passage_for(index, ev, len(passages) + 1)
        if ev.hit_rank != last_rank:
            head = " > ".join(x for x in (p.title, p.heading.split(" > ")[-1] if p.heading else "") if x)
            lines.append(f"# {head[:120]}")
            last_rank = ev.hit_rank
        passages.append(p)
        lines.append(f"[{names[p.n - 1]}] {flat_list(clean_text(p.text))}")
    return passages, "\n".join(lines)


class LLMReader:
    """`mode` is "selector" or "writer"."""

    def __init__(
        self,
        index: SearchIndex,
        settings: Settings,
        chat_model: BaseChatModel,
        mode: str = "selector",
        count_tokens: Callable[[str], int] | None = None,
        restate: bool | None = None,
    ):
        if mode not in ("selector", "writer"):
            raise ValueError(f"mode must be selector or writer, not {mode!r}")
        self.index, self.s, self.llm, self.mode, self.name = index, settings, chat_model, mode, mode
        self.fallback = ExtractiveAnswerer(index, settings)
        self.count = count_tokens or getattr(chat_model, "count_tokens", None) or _tiktoken_count()
        self.restate = settings.reader_restate if restate is None else restate
        # llama.cpp in-process: grammar-constrained ids and token probabilities; another
        # endpoint gets the same prompt and its JSON is parsed
        self.constrained = getattr(chat_model, "_llm_type", "") == "xllamacpp"

    # ---- model calls ----
    def _call(self, system: str, user: str, deadline: float, turns: tuple = (), **kw) -> tuple[str, dict]:
        """Streams the model's output (so a deadline also stops the generation); returns text + metadata.
        `turns` continue the conversation after the user message, as in `_invoke`."""
        messages = [SystemMessage(system), HumanMessage(user), *turns]

        def run() -> tuple[str, dict]:
            parts, meta = [], {}
            for chunk in self.llm.stream(messages, **kw):
                parts.append(str(chunk.content))
                meta.update(chunk.response_metadata or {})
                if time.monotonic() > deadline:
                    raise LLMTimeout(f"no answer within {self.s.llm_timeout_s:.0f} s")
            return "".join(parts), meta

        return within_deadline(deadline, run, self.s.llm_timeout_s)

    def _invoke(self, system: str, user: str, deadline: float, turns: tuple = (), **kw: Any) -> tuple[str, dict]:
        """One call; `turns` continue the conversation after the user message (the model's
        earlier reply, then a new question), so the prompt so far is reused from the cache."""
        messages = [SystemMessage(system), HumanMessage(user), *turns]
        msg = within_deadline(deadline, lambda: self.llm.invoke(messages, **kw), self.s.llm_timeout_s)
        return str(msg.content), msg.response_metadata

    # ---- answers ----
    def answer(self, retrieval: Retrieval) -> Answer:
        ranked, best = self.fallback.evidence(retrieval)
        if not ranked or best < self.s.abstain_threshold:
            return self.fallback.answer_from(retrieval, ranked, best)
        deadline = time.monotonic() + self.s.llm_timeout_s
        try:
            passages, block = self.shown_evidence(retrieval)
            if self.mode == "selector":
                return self._select(retrieval, ranked, best, passages, block, deadline)
            return self._write(retrieval, ranked, best, passages, block, deadline)
        except Exception as e:  # model failure, timeout or stop: the extractive answer, said so in a short note
            ans = self.fallback.answer_from(retrieval, ranked, best)
            note = (
                "note_timeout"
                if isinstance(e, LLMTimeout)
                else "note_stopped"
                if isinstance(e, LLMStopped)
                else "note_failed"
            )
            if note == "note_failed":
                log.warning("the language model failed: %s: %s", e.__class__.__name__, str(e)[:300])
            return dataclasses.replace(
                ans,
                note=t(retrieval.query.language, note),
                backend=f"{self.name}→extractive",
                grounding={"error": f"{e.__class__.__name__}: {str(e)[:120]}"},
            )

    def shown_evidence(self, retrieval: Retrieval) -> tuple[list[Passage], str]:
        """What the model is shown: (numbered passages, prompt block).
        Seeded by each sentence's own similarity to the question or its glossary expansion
        (a sentence naming one of the question's glossary concepts moves up; the best two
        come with their neighbours); the extractive ranking adds quotes after the pick."""
        seeds, _ = self.fallback.evidence(retrieval, expanded=True, topic_bonus=self.s.reader_topic_bonus)
        return compact_evidence(
            self.index,
            retrieval,
            seeds,
            self.s.llm_evidence_tokens,
            self.count,
            self.s.reader_seeds,
            max_sentences=self.s.reader_max_sentences,
            context_seeds=self.s.reader_context_seeds,
            context=Admit.of(self.s),
        )

    def stream(self, retrieval: Retrieval) -> Iterator[Waiting | str | Answer]:
        """The answer is only shown once verified, so it streams after the model has
        finished; while other members' questions hold the model, says how many."""
        ahead = getattr(self.llm, "pending", lambda: 0)()
        if ahead:
            yield Waiting(ahead)
        yield from stream_answer(self.answer(retrieval))

    def _select(self, retrieval, ranked, best, passages, block, deadline) -> Answer:
        q = retrieval.query
        kw: dict[str, Any] = (
            {"grammar": ids_grammar(len(passages)), "logprobs": True, "top_logprobs": 10} if self.constrained else {}
        )
        system, user = (
            render("reader_select_system"),
            render("reader_select_user", question=q.search_text, evidence=block),
        )
        out, meta = self._invoke(system, user, deadline, max_tokens=12, **kw)
        sel = parse_selection(out, meta.get("logprobs"), len(passages), self.s.reader_second_ratio)
        diag = {
            "evidence": len(passages),
            "p_none": round(sel.p_none, 4),
            "ids": list(sel.ids),
            "p_ids": {str(k): round(v, 4) for k, v in sel.p_ids.items()},
            **_tokens(meta),
        }
        chosen = [passages[i - 1] for i in sel.ids]
        if not chosen or sel.p_none > self.s.reader_max_p_none:
            return dataclasses.replace(abstention(retrieval, best, self.name, "model"), grounding=diag)
        if self.s.rule_period:  # a quote about another year than the question's
            chosen = [p for p in chosen if not other_period(q.years, p)]
            if not chosen:
                return dataclasses.replace(abstention(retrieval, best, self.name, "period"), grounding=diag)
        picked = len(chosen)
        if self.s.rule_each_document:  # "the documents", two years or countries: each one's best sentence too
            chosen += [
                passage_for(self.index, ev, 0)
                for ev in other_documents(
                    q,
                    ranked,
                    {p.source for p in chosen},
                    self.s.answer_max_sentences - len(chosen),
                    self.s.abstain_threshold,
                    frozenset(p.source for p in passages),
                    retrieval.topic_count,
                    retrieval.document_language,
                    self.fallback.heading_of,
                )
            ]
        if self.s.reader_add_extractive:  # then what the extractive ranking quotes from the same document(s)
            seen, docs = {(p.source, p.start) for p in chosen}, {p.source for p in chosen}
            for ev in select_evidence(ranked, len(ranked), self.s.sentence_margin):
                if (
                    len(chosen) < self.s.answer_max_sentences
                    and ev.source in docs
                    and (ev.source, ev.start) not in seen
                ):
                    chosen.append(passage_for(self.index, ev, 0))
                    seen.add((ev.source, ev.start))
        newest = self.fallback.newest_first(retrieval, chosen)
        updated = newest != chosen  # a later document updates the pick: it leads, the older one follows
        if updated:
            chosen, picked = newest, picked + 1
            diag["updated"] = True
        lead = ""
        if self.restate and any(retrieval.document_language(p.source) != q.language for p in chosen[:picked]):
            lead, why = self._restatement(system, user, out, q, chosen[:picked], deadline)
            diag["restated"] = bool(lead)
            if why:
                diag["restate_dropped"] = why
        return quoted_answer(retrieval, best, chosen, self.name, lead=lead, grounding=diag)

    def _restatement(
        self, system: str, user: str, reply: str, q, chosen: list[Passage], deadline: float
    ) -> tuple[str, str]:
        """One sentence in the member's language that states what the picked sentences say,
        asked as the next turn of the selector's conversation (its prompt is read from the
        cache); kept only if it is in that language and every number, date, amount and name
        in it stands in the quotes it cites (a name may also stand in the document title shown
        above them, rule `titles`). `chosen` are the answer's first quotes, so they are cited as [1], [2], ...
        Returns (the sentence or "", why it was not kept or "")."""
        group = [dataclasses.replace(p, n=k) for k, p in enumerate(chosen, 1)]
        quotes = "\n".join(f"“{flat_list(clean_text(p.text))}”" for p in group)
        ask = render("reader_restate_turn", language_name=LANGUAGE_NAMES[q.language], quotes=quotes)
        out, _ = self._call(
            system,
            user,
            deadline,
            turns=(AIMessage(reply), HumanMessage(ask)),
            max_tokens=self.s.reader_restate_max_tokens,
        )
        first = re.sub(r"\s*\[\d+\]", "", first_sentence(out)).strip()
        if len(first.split()) < 3:
            return "", f"too short: {first[:80]}"
        if (lang := detect_language(first)) != q.language:
            return "", f"in {lang}: {first[:160]}"
        marks = "".join(f"[{p.n}]" for p in group)
        titles = self._titles(group)
        missing = unsupported(first, "\n".join(p.text for p in group), "\n".join(titles.values()))
        if missing:
            return "", f"not in the cited source: {', '.join(missing)}: {first[:160]}"
        return f"{first} {marks}", ""

    def _titles(self, passages: list[Passage]) -> dict[int, str]:
        """The document titles shown above the quotes, where names may also stand (rule `titles`)."""
        return {p.n: p.title for p in passages} if self.s.grounding_titles else {}

    def _write(self, retrieval, ranked, best, passages, block, deadline) -> Answer:
        q = retrieval.query
        name = LANGUAGE_NAMES[q.language]
        out, meta = self._call(
            render("reader_write_system"),
            render("reader_write_user", question=q.search_text, evidence=block, language_name=name),
            deadline,
            max_tokens=self.s.reader_write_max_tokens,
        )
        if not out.strip() or out.strip().upper().startswith("NONE"):
            return dataclasses.replace(
                abstention(retrieval, best, self.name, "model"), grounding={"evidence": len(passages), **_tokens(meta)}
            )
        g = check_grounding(out, {p.n: p.text for p in passages}, self._titles(passages))
        diag = {
            "evidence": len(passages),
            "kept": len(g.kept),
            **_tokens(meta),
            "dropped": [{"sentence": d.sentence, "reason": d.reason} for d in g.dropped],
        }
        if not g.kept:
            ans = self.fallback.answer_from(retrieval, ranked, best)
            return dataclasses.replace(
                ans, note=t(q.language, "note_unverified"), backend=f"{self.name}→extractive", grounding=diag
            )
        return cited_answer(retrieval, best, g.text, passages, self.name, grounding=diag)


def _tokens(meta: dict) -> dict:
    """Prompt tokens (evaluated + reused from the cache) and generated tokens of a call."""
    t = meta.get("timings") or {}
    return {
        "prompt_tokens": t.get("prompt_n", 0) + t.get("cache_n", 0),
        "prompt_evaluated": t.get("prompt_n", 0),
        "generated_tokens": t.get("predicted_n", 0),
    }


def _tiktoken_count() -> Callable[[str], int]:
    from assistant.ingest.chunking import tiktoken_counter

    return tiktoken_counter()
