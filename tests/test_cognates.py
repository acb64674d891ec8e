"""The cognate channel of retrieval (cognates.py): character 4-grams of folded words, each
sentence's share of the question's tf-idf weight over the candidates' sentences, and its
place in the ranking."""

import numpy as np

from assistant.index.indexer import build_index
from assistant.index.sentence_text import sentence_embed_texts
from assistant.pipeline.assistant import Assistant
from assistant.retrieval.cognates import Cognates, grams


def cognate_scores(question, candidates):
    """Cognates.scores for candidates given as their sentences, through a fresh Cognates."""
    c = Cognates()
    return c.scores(question, [c.passage(str(i), lambda s=s: s) for i, s in enumerate(candidates)])


def test_grams_fold_scandinavian_letters_and_skip_short_words():
    assert grams("løn") == grams("lön") == grams("LÖN") == grams("LØN") and set(grams("lön")) == {" lön", "lön "}
    assert grams("i på en") == {}  # words of fewer than three letters
    assert grams("Hvor ved hvad, vad och what") == {}  # question and function words
    assert grams("Hvordan, hur många, hvor mye, what do the documents say, vad säger dokumenten") == {}
    assert grams("partnerskabet")[" par"] == 1 and grams("partnerskabet")["bet "] == 1


def test_a_cognate_sentence_scores_above_an_unrelated_one():
    question = "Hvor lang er beregningsperioden, når kriseaftalen aktiveres?"
    cognate = ["Villkor för aktivering är bland annat: ordinarie arbetstid, beräkningsperiod 4 veckor."]
    other = ["Lönerna diskuterades länge.", "Styrgruppen träffas fyra gånger om året."]
    near, far = cognate_scores(question, [cognate, other])
    assert 0.2 < near <= 1.0 and far < 0.05 < near
    assert cognate_scores("Beräkningsperiod", [["Beräkningsperiod"], ["Lön"]])[0] == 1.0  # the same sentence


def test_a_long_sentence_holding_the_words_beats_a_short_one_holding_a_suffix():
    """A share of the question, not a cosine: "projektperioden" shares "perioden"'s grams
    but not "beregnings…" or "aktivering"."""
    question = "Hvor lang er beregningsperioden, når kriseaftalen aktiveres?"
    long_ = [
        "Villkor för aktivering är bland annat: ordinarie arbetstid, beräkningsperiod 4 veckor, särskild "
        "nödfallsövertid, dygnsvila, sammanhängande veckovila, grundlönen, extra ordinär arbetstid."
    ]
    short = ["Temaerne adresseres i starten af projektperioden."]
    a, b = cognate_scores(question, [long_, short])
    assert a > 2 * b > 0


def test_a_gram_every_sentence_has_counts_less_than_a_rare_one():
    """The idf is taken over the candidates' sentences: "medicinska sekreterare" is in all of
    them, so the sentence that also names the salary wins."""
    sentences = [
        ["Medicinska sekreterare har låg lön."],
        ["Medicinska sekreterare arbetar hårt."],
        ["Medicinska sekreterare i Norrbotten."],
    ]
    scores = cognate_scores("lön för medicinska sekreterare", sentences)
    assert scores[0] == max(scores) and scores[0] > scores[1] + 0.2


def test_nothing_to_compare_scores_zero():
    assert cognate_scores("i på", [["Lönen är låg."]]) == [0.0]  # no word of three letters
    assert cognate_scores("Lönen", [[], ["Lönen är låg."]])[0] == 0.0  # a passage without sentences
    assert cognate_scores("Lönen", []) == []


def test_a_passage_is_read_once_and_the_cache_is_bounded():
    c = Cognates(max_passages=2)
    calls = []

    def sentences(text):
        return lambda: calls.append(text) or [text]

    a = c.passage("a", sentences("Lönen är låg."))
    assert c.passage("a", sentences("Lönen är låg.")) is a and calls == ["Lönen är låg."]
    c.passage("b", sentences("Styrgruppen."))
    c.passage("c", sentences("Referencegruppen."))  # full: the kept ones are let go
    assert len(c._passages) == 1 and "a" not in c._passages
    kept = c.scores("Lønnen", [c.passage("a", sentences("Lönen är låg.")), c.passage("b", sentences("Styrgruppen."))])
    assert kept == cognate_scores("Lønnen", [["Lönen är låg."], ["Styrgruppen."]]) and kept[0] > 0 == kept[1]


def test_retrieval_adds_the_cognate_weight_times_each_candidates_best_sentence(settings, fake_embedder):
    build_index(settings, fake_embedder)
    question = "Hvor lang er beregningsperioden, når kriseaftalen aktiveres?"
    runs = {}
    for w in (0.0, 0.1):
        a = Assistant(settings.replace(cognate_weight=w), embedder=fake_embedder).warm_up()
        runs[w] = {h.chunk.chunk_id: h for h in a.retrieve(question, k=1000).hits}  # every candidate
    assert runs[0.0].keys() == runs[0.1].keys()  # the same candidates
    ids = list(runs[0.0])
    near = cognate_scores(question, [sentence_embed_texts(runs[0.0][i].chunk) for i in ids])
    gained = [runs[0.1][i].score - runs[0.0][i].score for i in ids]
    assert np.allclose(gained, [0.1 * s for s in near], atol=1e-6)
    best = runs[0.0][ids[int(np.argmax(near))]].chunk
    assert "beräkningsperiod 4 veckor" in best.text  # the cognate gains the most
