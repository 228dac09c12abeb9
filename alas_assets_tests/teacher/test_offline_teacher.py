"""The offline teacher: corpus planner, extractive synthesizer (held-out hygiene) and reference judge."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from alas_assets.curation import NEAR_DUPLICATE, keep_held_out, similarity
from alas_assets.records import TopicRevision
from alas_assets.research.corpus import CorpusResearcher
from alas_assets.teacher.offline import CorpusPlanner, ExtractiveSynthesizer, ReferenceJudge
from alas_assets.teacher.questions import questions_for
from alas_assets.teacher.spans import contains_span
from alas_assets.teacher.statements import statements
from alas_assets_tests.conftest import DOCS, write_corpus
from alas_assets_tests.teacher.documents import synthesized

DEMO_CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus" / "demo"
DEMO_DOCS = sorted(p.name for p in DEMO_CORPUS.glob("*.md"))

EXTRA = """\
---
title: Lumen Browser 3.0
url: https://example.org/lumen-3
published: 2026-06-01
---
Lumen Browser 3.0 was released on 1 June 2026.
Lumen Browser 3.0 is maintained by Ines Duarte.
"""


def revision(topic: str, status: str) -> TopicRevision:
    return TopicRevision(
        iteration="it0001",
        topic=topic,
        name=topic,
        accuracy_before=0.0,
        accuracy_after=0.5,
        probes=2,
        status=status,
        next_action="",
        source_refs=[f"{topic}.md"],
        continue_loop=True,
    )


# --- planner -------------------------------------------------------------------------------


def test_planner_makes_one_topic_per_document(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    topics = CorpusPlanner(corpus, max_topics=12).plan("it0001", [], set())

    assert sorted(t.topic for t in topics) == ["orion-mission", "zephyr-release"]
    by_slug = {t.topic: t for t in topics}
    assert by_slug["orion-mission"].name == "The Orion Deep Survey"
    assert by_slug["orion-mission"].source_refs == ["orion-mission.md"]
    assert all(t.iteration == "it0001" and t.status == "new" for t in topics)
    assert [t.order for t in topics] == list(range(len(topics)))
    assert all(t.planner == CorpusPlanner.name for t in topics)
    # Every named source can be researched.
    researcher = CorpusResearcher(corpus)
    assert all(researcher.research(t) for t in topics)


def test_planner_remediates_weak_topics_first_then_adds_uncovered_documents(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {**DOCS, "lumen-browser.md": EXTRA})
    previous = [revision("zephyr-release", "mastered"), revision("orion-mission", "remediate")]

    topics = CorpusPlanner(corpus, max_topics=12).plan("it0002", previous, {"zephyr-release", "orion-mission"})

    assert [(t.topic, t.status) for t in topics] == [("orion-mission", "remediate"), ("lumen-browser", "new")]
    assert [t.order for t in topics] == [0, 1]
    assert all(t.iteration == "it0002" for t in topics)


def test_planner_drops_a_remediation_topic_whose_document_is_gone(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    previous = [revision("retired-doc", "remediate"), revision("orion-mission", "remediate")]
    topics = CorpusPlanner(corpus, 12).plan("it0002", previous, {"retired-doc", "orion-mission", "zephyr-release"})
    assert [t.topic for t in topics] == ["orion-mission"]


def test_planner_has_nothing_to_plan_when_everything_is_covered_and_mastered(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    previous = [revision("zephyr-release", "mastered"), revision("orion-mission", "mastered")]
    assert CorpusPlanner(corpus, 12).plan("it0002", previous, {"zephyr-release", "orion-mission"}) == []


def test_planner_caps_the_topics_keeping_remediation_first(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {**DOCS, "lumen-browser.md": EXTRA})
    assert len(CorpusPlanner(corpus, max_topics=2).plan("it0001", [], set())) == 2
    previous = [revision("zephyr-release", "remediate")]
    topics = CorpusPlanner(corpus, max_topics=1).plan("it0002", previous, {"zephyr-release"})
    assert [(t.topic, t.status) for t in topics] == [("zephyr-release", "remediate")]


def test_planner_skips_a_second_document_with_the_same_title(tmp_path):
    copy = DOCS["orion-mission.md"].replace("orion-deep-survey\n", "orion-copy\n")
    corpus = write_corpus(tmp_path / "corpus", {**DOCS, "orion-mirror.md": copy})
    topics = CorpusPlanner(corpus, 12).plan("it0001", [], set())
    assert len([t for t in topics if t.name == "The Orion Deep Survey"]) == 1
    assert len(topics) == 2


# --- synthesizer ---------------------------------------------------------------------------


def test_the_demo_corpus_is_found():
    assert len(DEMO_DOCS) >= 5  # else the tests parametrized over it would silently not run


@pytest.fixture(scope="module")
def demo_topics():
    """Every demo document as a topic, with its researched sources."""
    topics = CorpusPlanner(DEMO_CORPUS, max_topics=100).plan("it0001", [], set())
    researcher = CorpusResearcher(DEMO_CORPUS)
    return {t.source_refs[0]: (t, researcher.research(t)) for t in topics}


def synthesize(
    demo_topics, doc: str, study_round: int = 1, n_train: int = 600, n_probes: int = 4, questions_per_fact: int = 6
):
    topic, sources = demo_topics[doc]
    synthesizer = ExtractiveSynthesizer(seed=0, questions_per_fact=questions_per_fact)
    return topic, sources, synthesizer.synthesize(topic, sources, n_train, n_probes, study_round)


WH_OPENINGS = (
    "What",
    "When",
    "Where",
    "Who",
    "Which",
    "How",
    "Do you know",
    "Can you tell me",
    "I'd like to know",
    "Could you say",
    "In ",
    "Besides ",
    "Apart from ",
)


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_every_pair_quotes_its_source_and_its_reference_is_judged_correct(demo_topics, doc):
    topic, sources, pairs = synthesize(demo_topics, doc)
    source = sources[0]
    judge = ReferenceJudge()
    assert pairs
    for pair in pairs:
        assert " ".join(pair.quote.split()) in " ".join(source.text.split())
        assert pair.source_id == source.source_id and pair.source_url == source.url
        assert pair.topic == topic.topic and pair.iteration == "it0001"
        assert judge.grade(pair.question, pair.answer, pair.answer_span, pair.answer).correct, pair
    # Curation keeps all of them: they are cited and nothing leaks a probe.
    kept, dropped = keep_held_out(pairs, sources)
    assert dropped == [] and len(kept) == len(pairs)


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_questions_are_natural_questions_that_never_contain_their_sentence(demo_topics, doc):
    _, _, pairs = synthesize(demo_topics, doc)
    for pair in pairs:
        if pair.direction == "summary":
            continue
        assert pair.question.endswith("?") and pair.question.startswith(WH_OPENINGS), pair.question
        assert "___" not in pair.question and "say about" not in pair.question
        assert pair.quote not in pair.question and pair.answer not in pair.question
        assert pair.answer_span.lower() not in pair.question.lower(), pair


@pytest.mark.parametrize("doc", DEMO_DOCS)
@pytest.mark.parametrize("study_round", [1, 2, 3])
def test_pairs_are_distinct(demo_topics, doc, study_round):
    _, _, pairs = synthesize(demo_topics, doc, study_round)
    assert len({p.pair_id for p in pairs}) == len(pairs)
    questions = Counter(p.question for p in pairs)
    assert [q for q, n in questions.items() if n > 1] == []


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_every_fact_is_taught_in_several_questions(demo_topics, doc):
    _, sources, pairs = synthesize(demo_topics, doc)
    train = [p for p in pairs if p.split == "train" and p.direction != "summary"]
    askable = {
        s.quote for s in statements(sources[0].title, sources[0].text) if questions_for(s.text, row=s.kind == "row")
    }
    taught = Counter(p.quote for p in train)
    assert set(taught) <= askable
    # Every fact, not a sample of them (a fact whose every question another fact asks too is asked once).
    assert len(set(taught)) >= 0.75 * len(askable)
    # At most six questions a fact; a sentence may state two ('X, released on D, did Y').
    facts = Counter(s.quote for s in statements(sources[0].title, sources[0].text))
    assert all(1 <= n <= 6 * facts[quote] for quote, n in taught.items())
    several = [q for q, n in taught.items() if n >= 3]
    assert len(several) >= len(askable) / 2


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_more_questions_per_fact_ask_the_same_facts_in_more_ways_and_keep_the_probes(demo_topics, doc):
    _, _, six = synthesize(demo_topics, doc, questions_per_fact=6)
    _, _, nine = synthesize(demo_topics, doc, questions_per_fact=9)
    train_6 = [p for p in six if p.split == "train" and p.direction != "summary"]
    train_9 = [p for p in nine if p.split == "train" and p.direction != "summary"]
    assert {p.fact_id for p in train_6} == {p.fact_id for p in train_9}
    # The same questions and more (those asked by another name are the ones past each budget's cut).
    assert {p.question for p in train_6 if not p.direction.startswith("alias")} <= {p.question for p in train_9}
    assert len({p.question for p in train_9}) > len({p.question for p in train_6})
    assert [p.question for p in six if p.split == "probe"] == [p.question for p in nine if p.split == "probe"]


@pytest.mark.parametrize("doc", DEMO_DOCS)
@pytest.mark.parametrize("study_round", [1, 2, 3])
def test_probes_ask_a_trained_fact_in_a_wording_no_training_question_has(demo_topics, doc, study_round):
    _, _, pairs = synthesize(demo_topics, doc, study_round)
    train = [p for p in pairs if p.split == "train"]
    probes = [p for p in pairs if p.split == "probe"]
    assert probes
    for probe in probes:
        assert probe.question.startswith(("What", "Who")) and probe.question.endswith("?")
        assert probe.quote not in probe.question and "___" not in probe.question
        assert probe.answer_span.lower() not in probe.question.lower()
        assert contains_span(probe.answer, probe.answer_span)
        # The fact and its answer are trained (a user asks for exactly that)...
        assert any(t.fact_id == probe.fact_id and t.answer_span == probe.answer_span for t in train)
        # ...in other forms: no training question has the probe's form or nearly repeats it.
        assert probe.direction.startswith("cleft:")
        for pair in train:
            assert not pair.direction.startswith("cleft:")
            assert similarity(probe.question, pair.question) < NEAR_DUPLICATE


def test_every_document_of_a_topic_is_probed(demo_topics):
    topic, _ = demo_topics[DEMO_DOCS[0]]
    sources = [demo_topics[doc][1][0] for doc in DEMO_DOCS[:3]]
    pairs = ExtractiveSynthesizer().synthesize(topic, sources, 600, 4, 1)
    assert {p.source_id for p in pairs if p.split == "probe"} == {s.source_id for s in sources}


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_a_second_study_round_asks_the_same_facts_in_other_words_and_keeps_the_probes(demo_topics, doc):
    _, _, first = synthesize(demo_topics, doc, study_round=1)
    _, _, second = synthesize(demo_topics, doc, study_round=2)
    train_1 = {p.question for p in first if p.split == "train"}
    train_2 = {p.question for p in second if p.split == "train"}
    assert train_1 != train_2
    assert [p.question for p in first if p.split == "probe"] == [p.question for p in second if p.split == "probe"]
    assert {p.fact_id for p in first if p.split == "train"} == {p.fact_id for p in second if p.split == "train"}


def test_synthesis_is_deterministic_for_a_seed(demo_topics):
    doc = DEMO_DOCS[0]
    _, _, once = synthesize(demo_topics, doc)
    _, _, again = synthesize(demo_topics, doc)
    assert [p.model_dump() for p in once] == [p.model_dump() for p in again]


def test_sources_without_askable_facts_give_no_pairs(demo_topics):
    topic, sources = demo_topics[DEMO_DOCS[0]]
    plain = [sources[0].model_copy(update={"text": "this text has no names, no dates and no numbers at all."})]
    assert ExtractiveSynthesizer().synthesize(topic, plain, 10, 4, 1) == []


# --- judge ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "span", "correct"),
    [
        ("Python 3.14.0 came out on October 7, 2025.", "7 October 2025", True),
        ("It was released in October.", "7 October 2025", False),
        ("Hugo van Kemenade", "Hugo van Kemenade", True),
        ("It is the compression.zstd module", "`compression.zstd`", True),
        ("Python 3.140", "3.14", False),
        ("About 400000 tokens.", "400,000", True),
    ],
)
def test_reference_judge_checks_the_key_span(answer, span, correct):
    verdict = ReferenceJudge().grade("q?", f"The answer is {span}.", span, answer)
    assert verdict.correct is correct
    if correct:
        assert verdict.score == 1.0
    else:
        assert 0.0 <= verdict.score <= 0.5
    assert span in verdict.reasoning


def test_reference_judge_gives_partial_credit_for_overlap_but_never_correct():
    judge = ReferenceJudge()
    reference = "Python 3.14.0 was released on 7 October 2025."
    close = judge.grade("When?", reference, "7 October 2025", "Python 3.14.0 was released on 8 October 2025.")
    far = judge.grade("When?", reference, "7 October 2025", "I do not know.")
    assert not close.correct and not far.correct
    assert close.score > far.score


@pytest.mark.parametrize("answer", ["", "   \n"])
def test_reference_judge_fails_an_empty_answer(answer):
    verdict = ReferenceJudge().grade("When?", "7 October 2025", "7 October 2025", answer)
    assert verdict.correct is False and verdict.score == 0.0
    assert "empty" in verdict.reasoning


def test_questions_asked_by_another_name_are_wordings_the_budget_would_otherwise_leave_out():
    body = """# Election of Pope Leo XIV

Cardinal Robert Prevost took the name Leo XIV. Prevost was born in Chicago on 14 September 1955.
"""
    train = {p.question: p for p in synthesized("Election of Pope Leo XIV", body, "pope") if p.split == "train"}
    # The short questions ('Where was Prevost born?') are past the budget's cut: asked by the other names.
    assert train["Where was Cardinal Robert Prevost born?"].answer_span == "Chicago"
    assert train["When was Leo XIV born?"].answer_span == "14 September 1955"
    assert "Where was Prevost born on 14 September 1955?" in train  # the full question is kept as it is
