"""Cognates: the same word spelled a little differently in the Scandinavian languages
("beregningsperioden" / "beräkningsperiod", "partnerskapet" / "partnerskabet",
"osynliga" / "usynlige"). The embedder reads meaning and misses some of them across
languages; BM25 (lexical.py) matches whole stems, which differ. This third channel of
retrieval compares the character 4-grams of the question's words (lower case, æ/ø folded
onto ä/ö as in lexical.py; question and function words left out, or a Danish question
would favour Danish passages for its "hvor" and "ved") with those of each sentence of a
candidate passage: the share of the question's tf-idf weight the sentence holds. The idf
is taken over the candidates' sentences, so no corpus statistics are needed and every
store scores alike. A passage scores its best sentence.

`Cognates` keeps each passage's grams (the same for every question: ids into one
vocabulary and which sentence they belong to), so a question costs numpy sums."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from assistant.index.lexical import fold, words

N = 4
_STOP = frozenset(
    """
vad hvad hva what hur how när hvornår når when var hvor where vem hvem who whom vilken vilket vilka hvilken hvilket
hvilke which why varför hvorfor
och and eller or men but som the that this det den der dem denna detta dessa denne dette disse these those
för for til till med ved vid with från fra from about into och hos
har have has had hade havde hadde är are was were blev ble blir bliver been kan can ska skal skall shall will vil vill
inte ikke not även også also all alla alle
hvordan hvorledes korleis kven does did many much många mange mycket meget mye
säger siger sier say says said står finns findes finnes dokumenten dokumenterne dokumentene documents
""".split()
)
_Grams = tuple[np.ndarray, np.ndarray, int]  # gram ids, the sentence of each, the number of sentences


def grams(text: str) -> Counter:
    """The character `N`-grams of the folded words of at least three letters (not question
    or function words), with a space marking each word's start and end (" part", "bet ")."""
    out = []
    for w in map(fold, words(text)):
        if len(w) >= 3 and w not in _STOP:
            w = f" {w} "
            out += [w[i : i + N] for i in range(max(1, len(w) - N + 1))]
    return Counter(out)


class Cognates:
    def __init__(self, max_passages: int = 50_000):
        self.max_passages = max_passages
        self._vocab: dict[str, int] = {}
        self._passages: dict[str, _Grams] = {}
        self._lock = threading.Lock()

    def passage(self, key: str, sentences: Callable[[], Sequence[str]]) -> _Grams:
        """The grams of a passage's sentences, computed once per `key` (a content id)."""
        with self._lock:
            got = self._passages.get(key)
            if got is None:
                if len(self._passages) >= self.max_passages:
                    self._passages.clear()
                ids, which = [], []
                texts = list(sentences())
                for j, text in enumerate(texts):
                    for g in grams(text):
                        ids.append(self._vocab.setdefault(g, len(self._vocab)))
                        which.append(j)
                got = self._passages[key] = (np.array(ids, np.int64), np.array(which, np.int64), len(texts))
            return got

    def scores(self, question: str, passages: Sequence[_Grams]) -> list[float]:
        """For each passage, the most of the question's gram weight (tf-idf, squared) that one
        of its sentences holds, as a share in 0..1; 0.0 for a passage without sentences or a
        question without words to compare. A share, not a cosine: a long sentence that holds
        the question's words is not outscored by a short one holding a suffix of one."""
        with self._lock:
            size = len(self._vocab)
            asked = [(self._vocab.get(g), c) for g, c in grams(question).items()]
        n = sum(p[2] for p in passages)
        df = np.bincount(np.concatenate([p[0] for p in passages] or [np.zeros(0, np.int64)]), minlength=size)
        idf = np.log((n + 1) / (df + 0.5))
        unseen = math.log(n + 1)
        q2 = np.zeros(size)  # each question gram's squared weight
        total = 0.0  # with those no candidate sentence has
        for i, c in asked:
            w2 = (c * (idf[i] if i is not None and df[i] else unseen)) ** 2
            total += w2
            if i is not None and df[i]:
                q2[i] = w2
        return [
            float(np.bincount(which, q2[ids], minlength=n_sent).max()) / total if total and len(ids) else 0.0
            for ids, which, n_sent in passages
        ]
