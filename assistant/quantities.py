"""Whether a question asks for a count or an amount, and whether a quote states one.

"How many …?", "Hvor mye …?", "Vad kostar …?", and "which/what is the" + a salary, fee,
price or retirement age ("Vilken lön har …?", "Hva er pensjonsalderen …?") are not
answered by quotes that hold no number: such quotes are about the topic, not the figure
asked for, and quoted with citations they still look like an answer. The answer step
leaves them out, and abstains (reason "no_number") when no quote is left. A number that
is part of a name ("Microsoft 365", "Windows 11") does not count. "When" questions are
left alone ("i april", "next spring")."""
from __future__ import annotations

import re

from .countries import COUNTRY_NAMES

_ASKS = re.compile(
    r"\b(hur många|hur mycket|vad kostar|hvor mange|hvor meget|hvor mye|hvad koster|hva koster|how many|how much|"
    r"what do(?:es)? .{1,60}? cost)\b"
    r"|\b(?:vilken|vilket|hvilken|hvilket|vad är|hvad er|hva er|what is|what's|what are)\s+(?:the\s+)?(?:\w+\s+)?"
    r"\w*(?:lön|løn|lønn|salar|pensionsålder|pensionsalder|pensjonsalder|retirement age|avgift|kontingent|fee|"
    r"pris|price|kostnad)", re.I)
_NUMBER_WORDS = (r"två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|to|fire|seks|syv|otte|åtte|ni|ti|elleve|"
                 r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dubbelt|dobbelt|double|hälften|halvdelen|"
                 r"halvparten|half|hundra|hundrede|hundre|hundred|tusen|tusind|thousand|miljon(?:er)?|million(?:er|s)?")
_STATES = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
# a capitalised word and a number: a name ("Microsoft 365"), unless the word is a country ("I Sverige 6496 …")
_IN_NAME = re.compile(rf"(?<![.!?:]\s)(?<!^)\b(?!(?i:{COUNTRY_NAMES})s?\s)[A-ZÅÄÖÆØ][A-Za-zåäöæøé-]*[a-zåäöæøé] \d+\b"
                      r"(?![.,:/–-]?\d)")


def asks_quantity(question: str) -> bool:
    return bool(_ASKS.search(question))


def states_quantity(text: str) -> bool:
    return bool(_STATES.search(_IN_NAME.sub(" ", text)))
