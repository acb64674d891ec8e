"""Which kind of document a question names ("prosjektplanen", "namninsamlingen", "the
network meeting"), and which documents are of that kind by their title or file name.

"Når ble prosjektplanen publisert?" asks about the project plan: the Norwegian article's
"Publisert: 2018-12-05" is another document's date, however close its words. A kind is
named at the start of a word, in any of the four languages, with å/ä/æ and ö/ø folded
("nätverksmötet", "netværksmøderne"); a file name's dashes and underscores separate words.
Only words that name a document count: "the network" or "nätverket" (the union's network
of medical secretaries, whose meetings the minutes are), not "a network", "nettverk" or
"networking"; "the minutes", not "How many minutes …?"; "petition", not "petitioned".
Pure functions."""
from __future__ import annotations

import re
from collections.abc import Iterable

from .countries import JOINED

_FOLD = str.maketrans("åäæöø", "aaaoo")
# each kind as it is named in questions, titles and file names (folded, lower case)
KINDS = {
    "project plan": re.compile(r"(?<!\w)pro(?:je[ck]|sjek)t\s*plan(?!ned|lag)"),
    "petition": re.compile(r"(?<!\w)(?:petition(?!ed\b|ing\b)|petisjon|namne?\s*in+d?samling|"
                           r"(?:underskrift|signatur)\w*\s*in+d?samling)"),
    "network meetings": re.compile(r"(?<!\w)(?:n[ae]t+v[ae]rk(?:et|s?mot|s?mod|s?traff)|network\s+meeting|"
                                   r"the\s+network\b(?!\s*(?:of|for)\b))"),
    "minutes": re.compile(r"(?<!\w)(?:the\s+minutes|minutes\s+(?:of|from)\b|protokoll?(?:et|en)\b|"
                          r"(?:mote|mode)?s?referat|motesanteckning|minnesanteckning)"),
}


def _fold(text: str) -> str:
    return re.sub(r"[-_./]+", " ", text.lower().translate(_FOLD))


def kinds_named(text: str) -> set[str]:
    """The kinds of document `text` names."""
    t = _fold(text)
    return {kind for kind, pattern in KINDS.items() if pattern.search(t)}


def documents_named(question: str, documents: Iterable[tuple[str, str]]) -> set[str]:
    """Of `documents` ((file name, title) pairs), those of a kind the question names; none
    when it names no kind or no document is of the kinds it names. In a follow-up joined to
    the previous question (conversation.py), only the follow-up's own words count: "Hvad
    siger projektplanen om rekruttering? — Og i Norge?" is not about the plan alone."""
    asked = kinds_named(question.rsplit(JOINED, 1)[-1])
    return {source for source, title in documents if asked & kinds_named(f"{source} {title}")} if asked else set()
