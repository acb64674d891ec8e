"""Years named by a question and by a quote (answer/period.py)."""

from assistant.answer.citations import Passage
from assistant.answer.period import other_period, years_in


def passage(text, title="Protokoll", heading=""):
    return Passage(1, "a.md", title, None, heading, text, 0, len(text))


def test_years_are_read_with_the_years_inside_a_range():
    assert years_in("33 900 kr i september 2024") == {"2024"}
    assert years_in("Strategi 2024–2026 och 1999") == {"1999", "2024", "2025", "2026"}
    assert years_in("1.146 studerende, 20240 kr, 12 000") == set()
    assert years_in("ärende 2024-2001") == {"2024", "2001"}  # not a range
    assert years_in("Verksamhetsåret 2023–24") == years_in("2023/24") == {"2023", "2024"}
    assert years_in("den 14.05.2024 och 2024-05-14") == {"2024"}
    assert years_in("Kontingenten er 2000 kr, 1950 kroner, 2 000 SEK") == set()  # amounts are not years


def test_a_quote_is_about_another_period_only_when_it_names_years_and_none_is_asked():
    assert other_period(frozenset({"2023"}), passage("Medellönen var 33 900 kr i september 2024."))
    assert not other_period(frozenset({"2024"}), passage("Medellönen var 33 900 kr i september 2024."))
    assert not other_period(frozenset({"2025"}), passage("Planen gäller 2024–2026."))
    assert not other_period(frozenset({"2023"}), passage("Styret har hatt 6 styremøter."))  # names no year
    assert not other_period(frozenset(), passage("Medellönen var 33 900 kr i september 2024."))  # none asked
    assert not other_period(frozenset({"2023"}), passage("Sex möten.", title="Årsberättelse 2023"))
    # the title above a quote that names no year dates it
    assert other_period(frozenset({"2024"}), passage("Sex möten.", title="Årsberättelse 2023"))
    # a question about 2023-2025 asks about 2024 too
    assert not other_period(frozenset({"2023", "2025"}), passage("Lönen var 33 900 kr i september 2024."))
