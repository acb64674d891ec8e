import json

import pytest
from conftest import ROOT

from assistant.core.lang import detect_language

CASES = [
    ("Vem är ledare för Helsesekretærforbundet i Delta?", "sv"),  # Swedish question, Norwegian name
    ("Vad gjorde Jämtland med pengar från omställningsfonden?", "sv"),
    ("När kommer medlemsundersökningen om arbetsmiljö att följas upp?", "sv"),
    ("Hvornår er udredningen om beskyttet titel færdig?", "da"),
    ("Hvilke opgaver hører til i helsesekretæruddannelsen?", "da"),  # Danish question, Norwegian word
    ("Hvor mange personer er der i referencegruppen?", "da"),
    ("Hvor mange underskrifter fikk namninnsamlingen?", "no"),
    ("Hvilken signatur står under innlegget om de usynlige sekretærene?", "no"),
    ("Hvem ble valgt til leder av forbundet?", "no"),  # Norwegian function words ("ble", "av")
    ("Hvor mye koster kurset?", "no"),
    ("Hvor stort er lønnstillegget?", "no"),
    ("Sjukskrivning på grund av stress", "sv"),
    ("Arbejdsmiljø", "da"),  # Danish "ej" against Norwegian "ei"
    ("Hvordan er informasjonen om arbeidstiden?", "no"),  # "-sjon" and "ei": Norwegian spelling
    ("Hvordan er informationen om arbejdstiden?", "da"),
    ("Hvor stort er løntillægget?", "da"),
    ("Hvor mange arbejdsmiljørepræsentanter er der?", "da"),
    ("How many people sit in the partnership's reference group?", "en"),
]


@pytest.mark.parametrize("text,lang", CASES)
def test_question_language(text, lang):
    assert detect_language(text) == lang


def test_eval_questions_language_accuracy():
    """Function words and spelling rules only, no word of the documents: both eval sets."""
    rows = [
        json.loads(l)
        for f in ("qa.jsonl", "new_minutes/qa.jsonl")
        for l in (ROOT / "eval" / f).read_text(encoding="utf-8").splitlines()
    ]
    right = sum(detect_language(r["question"]) == r["lang"] for r in rows)
    assert right / len(rows) >= 0.97, right


@pytest.mark.parametrize(
    "text", ["Medicinska sekreterare i Region Norrbotten", "Utdelning av lön", "Vad gör medicinska sekreterare?"]
)
def test_swedish_look_alikes_stay_swedish(text):
    assert detect_language(text) == "sv"
