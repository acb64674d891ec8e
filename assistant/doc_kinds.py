"""Which kind of document a question names ("prosjektplanen", "namninsamlingen", "the
network meeting"), and which documents are of that kind by their title or file name.

"Når ble prosjektplanen publisert?" asks about the project plan: the Norwegian article's
"Publisert: 2018-12-05" is another document's date, however close its words. A kind is
named at the start of a word, in any of the four languages, with å/ä/æ and ö/ø folded
("nätverksmötet", "netværksmøderne"); a file name's dashes and underscores separate words.
Pure functions."""
from __future__ import annotations

import re
from collections.abc import Iterable

_FOLD = str.maketrans("åäæöøÅÄÆÖØ", "aaaooaaaoo")
# each kind as it is named in questions, titles and file names (folded, lower case)
KINDS = {
    "project plan": re.compile(r"(?<!\w)(?:proje[ck]t\s*plan|prosjekt\s*plan)"),
    "petition": re.compile(r"(?<!\w)(?:petition|namn\s*in+samling|underskrift\w*\s*in+samling|"
                           r"underskrift\w*\s*indsamling|signatur\w*\s*in+samling)"),
    "network minutes": re.compile(r"(?<!\w)(?:minutes|motesanteckning|minnesanteckning|natverk|netvark|nettverk|"
                                  r"network)"),
}


def _fold(text: str) -> str:
    return re.sub(r"[-_./]+", " ", text.lower().translate(_FOLD))


def kinds_named(text: str) -> set[str]:
    """The kinds of document `text` names."""
    t = _fold(text)
    return {kind for kind, pattern in KINDS.items() if pattern.search(t)}


def documents_named(question: str, documents: Iterable[tuple[str, str]]) -> set[str]:
    """Of `documents` ((file name, title) pairs), those of a kind the question names; none
    when it names no kind or no document is of the kinds it names."""
    asked = kinds_named(question)
    return {source for source, title in documents if asked & kinds_named(f"{source} {title}")} if asked else set()
