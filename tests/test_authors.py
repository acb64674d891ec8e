"""Who wrote or signed a text: the question (questions.asks_author), the line that answers
it (questions.is_byline), retrieval's `byline_bonus`, and the answer (guards.py)."""
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.index.indexer import build_index
from assistant.pipeline.assistant import Assistant
from assistant.query.questions import answer_type, asks_author, is_byline, type_prior
from assistant.query.query import build_query


@pytest.mark.parametrize("question", [
    "Hvem skrev innlegget om helsesekretærer i skranken?", "Vem har skrivit inlägget?", "Who wrote the opinion piece?",
    "Hvilken signatur står under innlegget?", "Hvem er forfatteren?", "Vem är författaren till artikeln?",
    "Who is the author of the article?", "Hvem har skrevet indlægget?", "Kven skreiv innlegget?",
    "Hvem står bak innlegget?", "Whose signature is under the post?"])
def test_who_wrote_questions(question):
    assert asks_author(question)


@pytest.mark.parametrize("question", [
    "Hur många underskrifter fick namninsamlingen?", "Vem skriver journalen?", "Vad skrev Vision om lönerna?",
    "Vem leder Helsesekretærforbundet i Delta?", "Who are the members of the steering group?",
    "Vad säger författaren om lönerna?", "What does the author say about pay?", "Vem undertecknade avtalet?"])
def test_other_questions(question):
    assert not asks_author(question)


def test_bylines_signatures_and_attributions():
    for line in ("Innlegg: Gro Bengtson, leder for Helsesekretærforbundet i Delta", "Av: Anna Berg",
                 'De medicinska sekreterarna är den dolda nyckelgruppen, skriver "Snart på väg".', "/Snart på väg",
                 "Written by: Jane Doe", "Skrevet av Gro Bengtson", "**Av:** Anna Berg", "Referent: Anna Berg"):
        assert is_byline(line), line
    for line in ("Det är den medicinska sekreteraren som skriver din journal.", "– Rekrutteringssituationen",
                 "By the way, the meeting ended early.", "I Västernorrland skriver sekreterarbyrån akutens diktat.",
                 "I Västernorrland skriver Sekreterarbyrån akutens diktat.", "Styrelsen skriver Vision ett brev.",
                 "Text: Avtalet gäller.", "Gro Bengtson"):
        assert not is_byline(line), line


def test_the_answer_steps_prior_prefers_the_byline_for_who_wrote_questions():
    q = "Hvem skrev innlegget?"
    assert type_prior(answer_type(q), "Innlegg: Gro Bengtson, leder for Helsesekretærforbundet i Delta", 0.08) == 0.08
    assert type_prior(answer_type(q), "Gro Bengtson og Kari Nordmann møtte ledelsen.", 0.08) == 0.0   # a name, no byline
    assert type_prior(answer_type("Hvem leder forbundet?"), "Gro Bengtson og Kari Nordmann møtte ledelsen.", 0.08) == 0.08


def test_the_question_is_classified_once_for_all_its_sentences():
    assert answer_type("Hvem skrev innlegget?") == ("author",)
    assert answer_type("Hur många skyddsombud finns det?") == ("number",)
    assert answer_type("Hvem leder forbundet?") == ("person",)
    assert answer_type("Vad tyckte de yngre om distansarbete?") == ()
    assert answer_type("Vem höll i mötet och när?") == ("number", "person")   # a date or a name
    assert type_prior(("number", "person"), "Mötet leddes av Gro Bengtson.", 0.08) == 0.08
    assert type_prior(("number",), "6496 skyddsombud.", 0.08) == 0.08
    assert type_prior(("number",), "Gro Bengtson leder forbundet.", 0.08) == 0.0
    assert type_prior((), "6496 skyddsombud.", 0.08) == 0.0


def test_who_wrote_is_answered_with_the_byline(settings, fake_embedder):
    build_index(settings, fake_embedder)
    q = "Who wrote about the health secretaries?"
    rank, hits = {}, {}
    for bonus in (0.0, 0.2):
        a = Assistant(settings.replace(byline_bonus=bonus), embedder=fake_embedder).warm_up()
        hits[bonus] = {h.chunk.chunk_id: h for h in a.retrieve(q, k=1000).hits}
        rank[bonus] = next((i for i, h in enumerate(hits[bonus].values()) if "Innlegg: Gro Bengtson" in h.chunk.text), None)
    assert rank[0.2] is not None and rank[0.2] <= 5 < 20 <= rank[0.0], rank
    for cid, h in hits[0.2].items():   # the bonus goes to byline sentences only
        gained = h.score - hits[0.0][cid].score
        assert gained >= -1e-6 and (gained > 1e-6) == any(map(is_byline, h.chunk.sentence_texts())), h.chunk.text
    for bonus in (0.2, 0.0):   # with the bonus turned off too
        a = Assistant(settings.replace(byline_bonus=bonus), embedder=fake_embedder).warm_up()
        ans = a.ask("Hvem skrev innlegget om helsesekretærer i skranken?")
        assert not ans.abstained and [c.text for c in ans.citations] == ["Innlegg: Gro Bengtson, leder for "
                                                                         "Helsesekretærforbundet i Delta"], ans.text
        assert "Gro Bengtson" in ans.text and ans.retrieval.topic_source.startswith("2018-12-05_no")


def test_no_byline_in_the_document_asked_about_abstains(settings, fake_embedder):
    """The project plan has no byline: the bonus must not make another document's the answer."""
    build_index(settings, fake_embedder)
    a = Assistant(settings, embedder=fake_embedder).warm_up()
    ans = a.ask("Hvem skrev projektplanen for partnerskabet om sundhedsadministrative opgaver?")
    assert ans.retrieval.topic_source.startswith("2021-09-14_da_projektplan")
    assert ans.abstained and ans.reason == "no_author" and not ans.citations, ans.text


def test_a_byline_is_taken_only_when_both_orders_agree_on_the_document():
    from assistant.answer.evidence import Evidence, first_byline
    from assistant.retrieval.hybrid import Hit, Retrieval

    def hit(source):
        return Hit(0, SimpleNamespace(source=source), 1.0, 0.5, np.zeros((0, 2)))

    ranked = [Evidence(0, "petition", 0, 10, 'Vi är osynliga, skriver "Snart på väg".', 0.6, 0.5),
              Evidence(1, "article", 0, 10, "Innlegg: Gro Bengtson", 0.7, 0.3)]
    agree = Retrieval(build_query("Hvem skrev innlegget?"), np.zeros(2), (hit("article"), hit("petition")), topic_source="article")
    assert [ev.source for ev in first_byline(ranked, agree)] == ["article"]
    moved = Retrieval(build_query("Hvem skrev innlegget?"), np.zeros(2), (hit("petition"), hit("article")), topic_source="article")
    assert first_byline(ranked, moved) == []            # the bonus alone put the petition first
    assert first_byline(ranked, Retrieval(build_query("Hvem skrev innlegget?"), np.zeros(2), ())) == []


def test_the_llm_reader_answers_who_wrote_with_the_byline_without_the_model(settings, fake_embedder):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.answer.reader import LLMReader

    build_index(settings, fake_embedder)
    a = Assistant(settings, embedder=fake_embedder).warm_up()
    q = "Hvem skrev innlegget om helsesekretærer i skranken?"
    model = FakeListChatModel(responses=['{"ids": [1]}'])
    ans = LLMReader(a.index, a.settings, model, "selector", count_tokens=lambda t: len(t.split())).answer(a.retrieve(q))
    assert ans.backend == "selector→byline" and model.i == 0                      # the model was not asked
    assert [c.text for c in ans.citations] == ["Innlegg: Gro Bengtson, leder for Helsesekretærforbundet i Delta"]
