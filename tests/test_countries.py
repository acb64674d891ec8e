from assistant.query.countries import asked_country, is_about, named_countries
from assistant.retrieval.hybrid import asks_for_several_documents
from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant


def test_the_one_country_a_question_names():
    assert asked_country("Och hur ser det ut i Danmark?") == "da"
    assert asked_country("Is the profession regulated in Norway?") == "no"
    assert asked_country("Hur ser det ut i Sverige jämfört med Danmark?") is None   # several
    assert asked_country("Hvornår skal udredningen være færdig?") is None
    assert asked_country("Hvad er Danmarks startløn?") == "da"
    # a follow-up joined to the previous question: the follow-up's own country counts
    assert asked_country("Hvor mye er inngangslønnen i Sverige — Og i Danmark?") == "da"
    assert asked_country("Hvor mye er inngangslønnen i Sverige — Og hvorfor?") == "sv"
    assert asked_country("Vad säger dokumenten om danskarna?") is None               # names only, not adjectives


def test_a_quote_is_about_a_country_by_name_or_by_its_documents_language():
    assert is_about("da", "Danmark har höjt sin ingångslön till 40 000 kr.", "sv")
    assert is_about("da", "Referencegruppen består af 8-12 personer.", "da")
    assert not is_about("da", "Utredningen ska vara klar 30 maj 2025.", "sv")
    assert not is_about("sv", "Danmark har höjt sin ingångslön till 40 000 kr.", "sv")   # names another
    assert is_about("sv", "I Sverige har vi högst arbetstid, Danmark lägst.", "sv")


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


def test_one_list_of_country_names_for_every_job():
    assert named_countries("Är yrket reglerat i Island, Norge och Tyskland?") == {"is", "no", "de"}
    assert named_countries("Hur är det i Sverige (Sweden)?") == {"sv"}           # two names, one country
    # any listed country is asked about: a follow-up about Finland is not answered with Sweden's figure
    assert asked_country("Är yrket reglerat i Island?") == "is"
    assert asked_country("Hur många skyddsombud finns i Sverige — Och i Finland?") == "fi"
    assert asked_country("Hur många skyddsombud finns i Finland och Danmark?") is None
    assert not is_about("sv", "I Tyskland är ingångslönen 3 000 euro.", "sv")         # names another
    assert is_about("is", "Island, Norge och Tyskland har skyddad titel.", "sv")
    # English "islands" is not Iceland; Nordic "Island(s)" is
    assert named_countries("What is the situation in the Faroe Islands?") == {"fo"}
    assert named_countries("Which islands in Norway have a hospital?") == {"no"}
    assert named_countries("Färöarna och Islands regering") == {"fo", "is"}
    assert asks_for_several_documents("Vad gäller på Färöarna och i Danmark?")
    assert not asks_for_several_documents("How is it in Sweden (Sverige)?")
