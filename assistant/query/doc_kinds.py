"""Questions about a document's own date: "Når ble prosjektplanen publisert?" names a kind
of document (the project plan) and asks when it was published, updated or written
(`kinds_dated`); `documents_named` finds the retrieved documents of that kind by their
title or file name; `is_date_line` tells a line that dates a text ("Opdateret 14. sept.
2021"). The Norwegian article's "Publisert: 2018-12-05" is another document's date,
however close its words (evidence.dated_document keeps the answer to the plan).

Narrow on purpose: the kind is the subject of a past-tense verb of publishing right after
the question word ("When was the project plan published?", "När skrevs protokollet?"), in
a follow-up's own words. Not a question about
an event ("Var hålls nätverkets höstmöte 2025?": an uploaded board protocol reports it),
about something in the document ("Hvornår blev lønnen opdateret i projektplanen?"), about
the future ("När ska projektplanen revideras?"), or about the network (an organisation,
not a kind of document: "När publicerade nätverket rapporten?").

A kind is named at the start of a word, in any of the four languages, with å/ä/æ and ö/ø
folded; a file name's dashes and underscores separate words. Pure functions."""
from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.ingest.metadata import dates_in

_FOLD = str.maketrans("åäæöø", "aaaoo")
# each kind as it is named in questions, titles and file names (folded, lower case)
KINDS = {
    "project plan": re.compile(r"(?<!\w)pro(?:je[ck]|sjek)t\s*plan(?!ned|lag|er|l)"),
    "petition": re.compile(r"(?<!\w)(?:petition(?!ed\b|ing\b)|petisjon|namne?\s*in+d?samling|"
                           r"(?:underskrift|signatur)\w*\s*in+d?samling)"),
    "minutes": re.compile(r"(?<!\w)(?:the\s+minutes|minutes\s+(?:of|from)\b|protokoll?(?:et|en)?\b|"
                          r"(?:mote|mode)?s?referat|motesanteckning|minnesanteckning)"),
}
# the question word (folded); the kind follows it after at most two words ("was the", "ble")
_WHEN = re.compile(r"(?<!\w)(?:nar|hvornar|when|(?:what|which) date|vilket datum|hvilken dato)(?!\w)")
# future or present: not a date the document has
_NOT_PAST = re.compile(r"(?<!\w)(?:ska|skal|skall|will|shall|kommer|vil|blir|bliver|is being|are)(?!\w)")
# past forms of publishing, updating, dating and writing (folded)
_PUBLISHED = re.compile(
    r"(?<!\w)(?:publicerad(?:es|ats)?|publiceret|publicered?es|publisert|published|offentliggjor(?:t|des)|"
    r"uppdaterad(?:es|ats)?|opdateret|opdateredes|oppdatert|updated|reviderad(?:es|ats)?|revideret|revidert|"
    r"revised|daterad|dateret|datert|dated|skrevs|skrivits|skrevet|written|utkom|udkom|kom ut|gavs ut|"
    r"utgavs|udgivet|utgitt|gitt ut|issued|released)(?!\w)")


def _fold(text: str) -> str:
    return re.sub(r"[-_./]+", " ", text.lower().translate(_FOLD))


def kinds_named(text: str) -> set[str]:
    """The kinds of document `text` names."""
    t = _fold(text)
    return {kind for kind, pattern in KINDS.items() if pattern.search(t)}


def kinds_dated(question: str) -> set[str]:
    """The kinds of document whose own date the question asks for (see the module's note):
    the kind within two words of the question word, the verb before it or within four
    words after it ("Når ble prosjektplanen for partnerskapet sist oppdatert?"; not "Hvornår
    blev projektplanen vedtaget, og er den siden blevet opdateret?")."""
    t = _fold(question)
    if _NOT_PAST.search(t) or not _PUBLISHED.search(t):
        return set()
    out: set[str] = set()
    for m in _WHEN.finditer(t):
        words = t[m.end():].split()[:12]
        for skip in range(3):
            head = " ".join(words[skip:])
            for kind, pattern in KINDS.items():
                named = pattern.match(head)
                if not named:
                    continue
                after = re.sub(r"^\S*", "", head[named.end():]).split()[:4]   # from the word after the kind's
                if _PUBLISHED.search(" ".join(words[:skip] + after)):
                    out.add(kind)
    return out


def documents_named(kinds: set[str], documents: Iterable[tuple[str, str]]) -> list[str]:
    """Of `documents` ((file name, title) pairs, in rank order), those of one of `kinds`."""
    return [source for source, title in documents if kinds & kinds_named(f"{source} {title}")]


def is_date_line(sentence: str) -> bool:
    """A line that dates a text: a date with a past form of "published/updated/…"
    ("Opdateret 14. sept. 2021", "Publisert: 2018-12-05 — 05.06"), or a date in at most five
    words ("**2024-11-06**"); not a dated row of a schedule ("7.feb. 2022 Jylland
    Temadrøftelse SG-møde …")."""
    return bool(dates_in(sentence)) and (bool(_PUBLISHED.search(_fold(sentence))) or len(sentence.split()) <= 5)
