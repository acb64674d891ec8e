"""Questions about each of several documents ("what do the documents say about …", two
years, two countries; `Query.scope == "each"`): which sentence of each other document is
quoted beside the pick. A pure function over the ranked evidence (base.py, reader.py)."""

from __future__ import annotations

from assistant.query.places import country_of_language
from assistant.query.query import Query


def other_documents(
    query: Query,
    ranked: list,
    have: set[str],
    room: int,
    floor: float,
    seen: frozenset[str] = frozenset(),
    topic_count=lambda text: 0,
    language_of=lambda source: "",
    heading_of=lambda ev: "",
) -> list:
    """For a question about each document ("the documents", two years, two countries): the
    best sentence of each document not in `have`, at most `room`. A document's best sentence
    is its best-ranked one among those naming most of the question's glossary concepts
    (`topic_count`: "taligenkänning" finds "talegjenkjenning"), in the sentence or the heading
    of its section (`heading_of`); it is shown if it names one,
    or the model saw the document (`seen`), or its similarity reaches `floor`. A document
    of a country the question names that no document in `have` is of comes first ("… i
    Sverige og Norge?" answered from a Swedish document: then the Norwegian one; a
    document's country is its language, `language_of`; one document per such country), then
    those whose sentence names more concepts. Other questions: none."""
    if query.scope != "each":
        return []
    country = lambda source: country_of_language(language_of(source))  # noqa: E731
    wanted = set(query.countries) - {country(s) for s in have}
    best: dict[str, tuple] = {}
    for i, ev in enumerate(ranked):
        if ev.source in have:
            continue
        cand = (topic_count(f"{heading_of(ev)}\n{ev.text}"), -i, ev)
        if ev.source not in best or cand[:2] > best[ev.source][:2]:
            best[ev.source] = cand
    shown = [
        ev
        for n, _, ev in sorted(best.values(), key=lambda c: c[:2], reverse=True)
        if n or ev.source in seen or ev.similarity >= floor
    ]
    out: list = []
    while shown and len(out) < room:  # one document per named country first, then by concepts named
        ev = next((e for e in shown if country(e.source) in wanted), shown[0])
        shown.remove(ev)
        out.append(ev)
        wanted.discard(country(ev.source))
    return out
