"""The grounding check: a pure function, on hand-written cases and a randomised property."""

import random
import re

from assistant.answer.grounding import check_grounding, months, names, numbers, split_sentences

P = {
    1: "Förbundet har idag 6496 skyddsombud.",
    2: "Utredningen ska vara klar 30 maj 2025.",
    3: "Danmark har höjt sin ingångslön till 40 000 kr. Anna-Lena Lindström och Malin Karlsson ingår i gruppen.",
}


def test_number_normalisation():
    assert numbers("6 496") == numbers("6496") == {"6496"}
    assert "6496" in numbers("6.496") and "6496" in numbers("6,496") and numbers("40\u00a0000 kr") == {"40000"}
    assert numbers("4,5 procent") == {"4.5"} and numbers("30 maj 2025") == {"30", "2025"}
    assert numbers("1 234 567") == {"1234567"}


def test_month_normalisation():
    assert months("30 maj") == months("May 30") == months("30. mai") == months("2025-05-30") == {5}
    assert months("9 december") == months("9. desember") == {12}


def test_grounded_sentences_kept_across_formats():
    g = check_grounding(
        "Forbundet har 6 496 verneombud [1]. The inquiry is due on May 30, 2025 [2]. "
        "I Danmark er startlønnen 40.000 kr. [3]",
        P,
    )
    assert not g.dropped, g.dropped
    assert len(g.kept) == 3 and g.text.startswith("Forbundet har 6 496 verneombud [1].")


def test_ungrounded_number_date_name_currency_dropped_with_reason():
    g = check_grounding(
        "Förbundet har 6500 skyddsombud [1]. Utredningen ska vara klar 30 juni 2025 [2]. "
        "Gruppen leds av Karin Svensson [3]. Lönen är 40 000 NOK [3]. Malin Karlsson ingår [3].",
        P,
    )
    reasons = [d.reason for d in g.dropped]
    assert g.kept == ("Malin Karlsson ingår [3].",)
    assert "number 6500" in reasons[0] and "month 6" in reasons[1]
    assert "name karin" in reasons[2] and "svensson" in reasons[2] and "currency NOK" in reasons[3]


def test_fact_must_be_in_the_passage_that_sentence_cites():
    g = check_grounding("Förbundet har 6496 skyddsombud [2].", P)  # true fact, wrong source
    assert g.kept == () and "number 6496" in g.dropped[0].reason


def test_missing_or_unknown_citation_dropped():
    g = check_grounding("Det finns 6496 skyddsombud. Klart 30 maj 2025 [9].", P)
    assert g.text == "" and [d.reason for d in g.dropped] == ["no valid citation", "cites unknown source [9]"]


def test_marker_after_full_stop_and_combined_markers():
    assert split_sentences("Klart 30 maj 2025. [2] Nästa mening [1].") == [
        "Klart 30 maj 2025. [2]",
        "Nästa mening [1].",
    ]
    g = check_grounding("Det finns 6496 skyddsombud och utredningen är klar 30 maj 2025 [1, 2].", P)
    assert len(g.kept) == 1


def test_names_and_nordic_exonyms():
    assert names("Gruppen består av Malin Karlsson och NOLO. SSR deltog.") == {"malin", "karlsson", "nolo", "ssr"}
    assert names("Utredningen är klar.") == set()  # a sentence start is not a name
    assert check_grounding("In Denmark the starting salary is 40 000 [3].", P).kept
    assert not check_grounding("In Sweden the starting salary is 40 000 [3].", P).kept
    assert check_grounding("The verb may is not a month [1].", {1: "verb"}).kept


def test_property_kept_text_never_has_a_fact_outside_its_cited_passages():
    rng = random.Random(7)
    pool_names = ["Malin Karlsson", "Karin Svensson", "Oslo", "Visby", "NOLO", "SSR"]
    pool_nums = ["6496", "6 496", "40 000", "4500", "12", "2025", "30 maj", "May 30", "3 juni", "1.234"]
    for _ in range(400):
        passages = {
            n: f"Mötet i {rng.choice(pool_names)} hade {rng.choice(pool_nums)} deltagare."
            for n in range(1, rng.randint(2, 4))
        }
        sents = [
            f"Det var {rng.choice(pool_nums)} personer hos {rng.choice(pool_names)} [{rng.randint(1, 4)}]."
            for _ in range(rng.randint(1, 4))
        ]
        g = check_grounding(" ".join(sents), passages)
        for sent in g.kept:
            cited = "\n".join(passages[int(n)] for n in re.findall(r"\[(\d+)\]", sent) if int(n) in passages)
            body = re.sub(r"\[\d+\]", "", sent)
            assert numbers(body) <= numbers(cited), (sent, cited)
            assert all(n in cited.lower() for n in names(body)), (sent, cited)
            assert months(body) <= months(cited), (sent, cited)


def test_a_quotation_is_one_unit():
    text = "Enligt protokollen:\n\n“Mötet är slut. Det hölls 30 maj 2025.” [2]"
    assert split_sentences(text) == ["Enligt protokollen:", "“Mötet är slut. Det hölls 30 maj 2025.” [2]"]
    assert check_grounding(text, {2: "Mötet är slut. Det hölls 30 maj 2025."}).kept == (split_sentences(text)[1],)


def test_an_ordinal_date_or_a_time_does_not_end_a_sentence_but_each_sentence_keeps_its_own_facts():
    assert split_sentences("Forumet hade 531 medlemmar per 31. desember 2024. Styret har hatt 6 møter.") == [
        "Forumet hade 531 medlemmar per 31. desember 2024.",
        "Styret har hatt 6 møter.",
    ]
    assert split_sentences("Nästa möte hålls 5 november kl. 10.00 i Kiruna. [1]") == [
        "Nästa möte hålls 5 november kl. 10.00 i Kiruna. [1]"
    ]
    text = "Medlemmer per 31. desember 2024: 531 [1]."
    assert check_grounding(text, {1: "Forbundet hadde 531 medlemmer per 31. desember 2024."}).kept == (text,)
    # a sentence opening with a number or a lower-case word is still its own sentence
    cited = {1: "Forbundet hadde 531 medlemmer.", 2: "Årsmøtet ble holdt 3. mai 2025."}
    g = check_grounding("Forbundet hadde 3 medlemmer [1]. 531 møter ble holdt i mai 2025 [2].", cited)
    assert g.kept == () and len(g.dropped) == 2
    g = check_grounding("Forbundet hadde 531 medlemmer [1]. 2025 ble 3 nye valgt.", cited)
    assert g.kept == ("Forbundet hadde 531 medlemmer [1].",)
