"""Whether a question asks for a count or an amount, and whether a quote states one.

"How many …?", "Hvor mye …?", "Vad kostar …?" are not answered by quotes that hold no
number: such quotes are about the topic, not the figure asked for, and quoted with
citations they still look like an answer. The answer step leaves them out, and abstains
(reason "no_number") when no quote is left. "When" questions are left alone ("i april",
"next spring")."""
from __future__ import annotations

import re

_ASKS = re.compile(
    r"\b(hur många|hur mycket|vad kostar|hvor mange|hvor meget|hvor mye|hvad koster|hva koster|how many|how much|"
    r"what do(?:es)? .{1,60}? cost)\b", re.I)
_NUMBER_WORDS = (r"två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|to|fire|seks|syv|sju|otte|åtte|ni|ti|elleve|tolv|"
                 r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dubbelt|dobbelt|double|hälften|halvdelen|"
                 r"halvparten|half|hundra|hundrede|hundre|hundred|tusen|tusind|thousand|miljon(?:er)?|million(?:er|s)?")
_STATES = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)


def asks_quantity(question: str) -> bool:
    return bool(_ASKS.search(question))


def states_quantity(text: str) -> bool:
    return bool(_STATES.search(text))
