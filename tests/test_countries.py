from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant
from assistant.query.countries import is_about
from assistant.query.places import countries, same_place
from assistant.query.query import build_query


def country(question: str, previous: str = "") -> str | None:
    return build_query(question, previous=previous).country


def test_the_one_country_a_question_names():
    assert country("Och hur ser det ut i Danmark?") == "DK"
    assert country("Is the profession regulated in Norway?") == "NO"
    assert country("Hur ser det ut i Sverige jämfört med Danmark?") is None   # several
    assert country("Hvornår skal udredningen være færdig?") is None
    assert country("Hvad er Danmarks startløn?") == "DK"
    # a follow-up: its own country counts, else the question it follows
    assert country("Og i Danmark?", "Hvor mye er inngangslønnen i Sverige?") == "DK"
    assert country("Og hvorfor?", "Hvor mye er inngangslønnen i Sverige?") == "SE"
    assert country("Vad säger dokumenten om danskarna?") is None               # names only, not adjectives


def test_a_quote_is_about_a_country_by_name_or_by_its_documents_language():
    assert is_about("DK", "Danmark har höjt sin ingångslön till 40 000 kr.", "sv")
    assert is_about("DK", "Referencegruppen består af 8-12 personer.", "da")
    assert not is_about("DK", "Utredningen ska vara klar 30 maj 2025.", "sv")
    assert not is_about("SE", "Danmark har höjt sin ingångslön till 40 000 kr.", "sv")   # names another
    assert is_about("SE", "I Sverige har vi högst arbetstid, Danmark lägst.", "sv")


def test_a_question_about_another_country_than_the_quotes_abstains(settings, fake_embedder):
    build_index(settings, fake_embedder)
    assistant = Assistant(settings, embedder=fake_embedder).warm_up()
    plain = assistant.ask("Hvor mange personer består referencegruppen af?")
    assert not plain.abstained and plain.citations
    other = assistant.ask("Hvor mange personer består referencegruppen af i Sverige?")
    assert other.abstained and other.reason == "other_country" and not other.citations
    assert other.text == "Dokumenterne siger ikke noget om dette."
    same = assistant.ask("Hvor mange personer består referencegruppen af i Danmark?")
    assert not same.abstained and same.citations


def test_country_names_come_from_cldr_in_the_four_languages():
    assert countries("Är yrket reglerat i Island, Norge och Tyskland?") == {"IS", "NO", "DE"}
    assert countries("Hur är det i Sverige (Sweden)?") == {"SE"}           # two names, one country
    assert countries("Hvad med Færøerne, Færøyene og Grønland?") == {"FO", "GL"}
    assert countries("Hvordan er det i Finland og Tyskland?") == {"FI", "DE"}
    assert country("Hur många skyddsombud finns i Finland?") == "FI"
    assert country("Hur många skyddsombud finns i Finland och Danmark?") is None
    assert not is_about("SE", "I Tyskland är ingångslönen 3 000 euro.", "sv")         # names another
    assert is_about("IS", "Island, Norge och Tyskland har skyddad titel.", "sv")
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
