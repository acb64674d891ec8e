from assistant.query.places import countries, same_place
from assistant.query.query import build_query


def country(question: str, previous: str = "") -> str | None:
    return build_query(question, previous=previous).country


def test_the_one_country_a_question_names():
    assert country("Och hur ser det ut i Danmark?") == "DK"
    assert country("Is the profession regulated in Norway?") == "NO"
    assert country("Hur ser det ut i Sverige jämfört med Danmark?") is None  # several
    assert country("Hvornår skal udredningen være færdig?") is None
    assert country("Hvad er Danmarks startløn?") == "DK"
    # a follow-up: its own country counts, else the question it follows
    assert country("Og i Danmark?", "Hvor mye er inngangslønnen i Sverige?") == "DK"
    assert country("Og hvorfor?", "Hvor mye er inngangslønnen i Sverige?") == "SE"
    assert country("Vad säger dokumenten om danskarna?") is None  # names only, not adjectives


def test_country_names_come_from_cldr_in_the_four_languages():
    assert countries("Är yrket reglerat i Island, Norge och Tyskland?") == {"IS", "NO", "DE"}
    assert countries("Hur är det i Sverige (Sweden)?") == {"SE"}  # two names, one country
    assert countries("Hvad med Færøerne, Færøyene og Grønland?") == {"FO", "GL"}
    assert countries("Hvordan er det i Finland og Tyskland?") == {"FI", "DE"}
    assert country("Hur många skyddsombud finns i Finland?") == "FI"
    assert country("Hur många skyddsombud finns i Finland och Danmark?") is None
    # English "islands" is not Iceland; Nordic "Island(s)" is; a question without capitals is read without case
    assert countries("What is the situation in the Faroe Islands?") == {"FO"}
    assert countries("Which islands in Norway have a hospital?") == {"NO"}
    assert countries("Färöarna och Islands regering") == {"FO", "IS"}
    assert countries("hur ser det ut i danmark?") == {"DK"}
    assert build_query("Vad gäller på Färöarna och i Danmark?").scope == "each"
    assert build_query("How is it in Sweden (Sverige)?").scope == "one"
    # the same city in the four languages (CLDR's exemplar cities)
    assert same_place("Copenhagen", "Köpenhamn") and same_place("København", "Copenhagen")
    assert same_place("Helsingfors", "Helsinki") and not same_place("Oslo", "Bergen")
