"""Whether a question asks for a count or an amount, and whether a quote states one.

"How many …?", "Hvor mye …?" and "Vad kostar …?" are not answered by quotes that hold no
number: such quotes are about the topic, not the figure
asked for, and quoted with citations they still look like an answer. The answer step
leaves them out, and abstains (reason "no_number") when no quote is left. A number that
is part of a name ("Microsoft 365", "Windows 11") does not count. "When" questions are
left alone ("i april", "next spring").

A how-many question counts something (skyddsombud, personer, underskrifter): a sum of money
("40 000 kr", "DKK 500") states no count, so "Hur många skyddsombud har förbundet i Danmark?"
is not answered by "Danmark har höjt sin ingångslön till 40 000 kr." (unless it asks how
many kronor)."""

from __future__ import annotations

import re

from assistant.query.places import countries

_CODES = r"(?-i:SEK|DKK|NOK|EUR|USD)"  # upper case only: "nok" is Danish/Norwegian for "probably"
_MONEY_UNIT = rf"kronor|kroner|kronur|crowns|kr|{_CODES}|euros?|€|\$|dollars?"
_HOW_MANY = r"hur många|hvor mange|how many"
_COUNTS = re.compile(
    rf"\b(?:{_HOW_MANY})\b"
    rf"(?!\s+(?:\w+\s+)?(?:{_MONEY_UNIT}|penge|penger|pengar|money)(?!\w))",
    re.I,
)
_AMOUNT = r"\d{1,3}(?:[ \u00a0.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
# the full stop after "kr" stays: it ends the sentence for _IN_NAME
_MONEY = re.compile(rf"(?<![\w.,])(?:(?:{_AMOUNT})\s*(?:{_MONEY_UNIT})|(?:{_CODES}|€|\$)\s*(?:{_AMOUNT}))(?!\w)", re.I)

# what something costs: "Vad kostar …?", "Hvad koster …?", "What does … cost?"
_COST_ASKED = r"vad kostar|hva koster|hvad koster|what do(?:es)? .{1,60}? cost"
_HOW_MUCH = r"how much|hur mycket|hvor mye|hvor meget"
_ASKS = re.compile(rf"\b({_HOW_MANY}|{_HOW_MUCH}|{_COST_ASKED})\b", re.I)
_NUMBER_WORDS = (
    r"två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|to|fire|seks|syv|otte|åtte|ni|ti|elleve|"
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dubbelt|dobbelt|double|hälften|halvdelen|"
    r"halvparten|half|hundra|hundrede|hundre|hundred|tusen|tusind|thousand|miljon(?:er)?|million(?:er|s)?"
)
_STATES = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
# a capitalised word and a number: a name ("Microsoft 365"), unless the word is a country ("I Sverige 6496 …")
_IN_NAME = re.compile(r"(?<![.!?:]\s)(?<!^)\b([A-ZÅÄÖÆØ][A-Za-zåäöæøé-]*[a-zåäöæøé]) \d+\b(?![.,:/–-]?\d)")


def _drop_names(text: str) -> str:
    """The text without numbers that are part of a name ("Microsoft 365"); a country before a
    number is not a name ("I Sverige 6496 …")."""
    return _IN_NAME.sub(lambda m: m.group(0) if countries(m.group(1)) else " ", text)


def asks_quantity(question: str) -> bool:
    return bool(_ASKS.search(question))


def asks_count(question: str) -> bool:
    """How many of something, not how many kronor."""
    return bool(_COUNTS.search(question))


def states_quantity(text: str, count: bool = False) -> bool:
    """`text` states a number (`count`: one that is not a sum of money)."""
    if count:
        text = _MONEY.sub(" ", text)
    return bool(_STATES.search(_drop_names(text)))
