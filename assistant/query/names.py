"""Which names a question asks about (a region, a union, a hospital, a person), and
whether a passage names them.

"Hur många medicinska sekreterare ska bort i Region Värmland?" asks about Värmland: a
passage about Region Gotland's cuts answers another question, however close its words.
A name is a run of capitalised words that does not open a sentence ("Region Värmland",
"Mariela Ferré Hofman", "USÖ", "YH-utbildningen" → "YH"; an acronym may open it); generic
heads ("Region", "Universitetssjukhus") and countries (countries.py has its own rule) do
not count. A text names a run when it holds any of the run's words at the start of a word
("Visions", "Norrbottens", "Björn" for "Björn Cardenas").
A quote is about the names asked when it names one of them and its passage (text,
headings, title, file name) names them all; a quote naming only other names ("Region
Gotland … 20 ska bort") is about those; a quote naming none is judged by its passage
("6496 skyddsombud." under its heading). Pure functions."""
from __future__ import annotations

import re

from assistant.query.places import countries, spellings

# capitalised at the start of a word; an acronym's letters, or a name's letters and inner hyphen parts
_WORD = re.compile(r"(?<![\w-])([A-ZÅÄÖÆØÉÜ][A-ZÅÄÖÆØÉÜa-zåäöæøéüß]*)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”«»()]\s*|\s[—–-]\s)$")
# capitalised words that are not names: heads of names, pronouns, and the few words
# English questions capitalise
GENERIC = {w.lower() for w in """Region Regionen Regionens Landsting Kommun Kommune Kommunen Sjukhus Sjukhuset
    Sykehus Sykehuset Sygehus Universitetssjukhus Universitetssjukhuset Hospital University I Mr Mrs Ms Dr""".split()}
def names_in(text: str) -> list[tuple[str, ...]]:
    """The names a question asks about, each as its run of words."""
    return _runs(text)


def _runs(text: str, acronym_first: bool = False) -> list[tuple[str, ...]]:
    runs: list[list[str]] = []
    last_end = -2
    for m in _WORD.finditer(text):
        word, start = m.group(1), m.start(1)
        opens = _SENTENCE_START.search(text[:start]) and not (acronym_first and word.isupper() and len(word) > 1)
        if opens or countries(word):
            last_end = -2
            continue
        if word.lower() in GENERIC or (len(word) == 1 and not word.isupper()):
            last_end = m.end(1)       # a generic head joins the run but does not name it
            continue
        if runs and text[last_end:start].strip(" ") == "" and last_end >= 0:
            runs[-1].append(word)
        else:
            runs.append([word])
        last_end = m.end(1)
    return [tuple(r) for r in runs]


def names_it(name: tuple[str, ...], context: str) -> bool:
    """The context holds one of the name's words at the start of a word (an acronym as a
    whole word: "AI" is not "aid")."""
    for word in name:
        if word.isupper() and len(word) > 1:
            if re.search(rf"(?<![\w]){re.escape(word)}(?![a-zåäöæøé])", context):
                return True
        elif any(re.search(rf"(?<![\w]){re.escape(w)}", context, re.I) for w in spellings(word)):
            return True
    return False


def names_all(names: list[tuple[str, ...]], context: str) -> bool:
    return all(names_it(n, context) for n in names)


def is_about_names(names: list[tuple[str, ...]], quote: str, passage: str) -> bool:
    """The quote names one of the names asked and its passage all of them; or it names no
    name at all and its passage names them all."""
    if any(names_it(n, quote) for n in names):
        return names_all(names, f"{passage}\n{quote}")
    if _runs(quote, acronym_first=True):
        return False          # about someone or somewhere else
    return names_all(names, passage)
