"""The offline teacher: corpus planner, extractive synthesizer (held-out hygiene) and reference judge."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from alas_assets.curation import NEAR_DUPLICATE, keep_held_out, similarity
from alas_assets.records import TopicRevision
from alas_assets.research.corpus import CorpusResearcher, document_text
from alas_assets.teacher.offline import CorpusPlanner, ExtractiveSynthesizer, ReferenceJudge
from alas_assets.teacher.spans import contains_span, split_sentences

from alas_assets_tests.conftest import DOCS, write_corpus

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
        iteration="it0001", topic=topic, name=topic, accuracy_before=0.0, accuracy_after=0.5, probes=2,
        status=status, next_action="", source_refs=[f"{topic}.md"], continue_loop=True,
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
    demo_topics, doc: str, study_round: int = 1, n_train: int = 30, n_probes: int = 4, directions_per_fact: int = 6
):
    topic, sources = demo_topics[doc]
    synthesizer = ExtractiveSynthesizer(seed=0, directions_per_fact=directions_per_fact)
    return topic, sources, synthesizer.synthesize(topic, sources, n_train, n_probes, study_round)


def probe_cloze(question: str) -> str:
    """The sentence with its blank that a probe quotes."""
    return question.split('"')[1]


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_every_pair_quotes_a_sentence_of_its_source_and_its_reference_is_judged_correct(demo_topics, doc):
    topic, sources, pairs = synthesize(demo_topics, doc)
    source = sources[0]
    sentences = split_sentences(document_text(source.text))
    judge = ReferenceJudge()
    assert pairs
    for pair in pairs:
        assert pair.quote in sentences
        assert pair.source_id == source.source_id and pair.source_url == source.url
        assert pair.topic == topic.topic and pair.iteration == "it0001"
        assert judge.grade(pair.question, pair.answer, pair.answer_span, pair.answer).correct, pair
    # Curation keeps all of them: they are cited and nothing leaks a probe.
    kept, dropped = keep_held_out(pairs, sources)
    assert dropped == [] and len(kept) == len(pairs)


@pytest.mark.parametrize("doc", DEMO_DOCS)
@pytest.mark.parametrize("study_round", [1, 2, 3])
def test_pairs_are_distinct(demo_topics, doc, study_round):
    _, _, pairs = synthesize(demo_topics, doc, study_round)
    assert len({p.pair_id for p in pairs}) == len(pairs)
    questions = Counter(p.question for p in pairs)
    assert [q for q, n in questions.items() if n > 1] == []


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_counts_and_splits(demo_topics, doc):
    _, _, pairs = synthesize(demo_topics, doc, n_train=12, n_probes=2)
    train = [p for p in pairs if p.split == "train" and p.direction != "recite"]
    notes = [p for p in pairs if p.direction == "recite"]
    probes = [p for p in pairs if p.split == "probe"]
    assert 1 <= len(train) <= 12
    assert 1 <= len(probes) <= 2
    # One recitation of the source's trained sentences, on top of the QA pairs; nothing untrained in it.
    assert len(notes) == 1 and notes[0].split == "train"
    assert all(p.quote in notes[0].answer for p in train)
    assert all(p.direction == "probe" for p in probes)
    assert all(p.direction != "probe" for p in train)
    assert {p.split for p in pairs} == {"train", "probe"}


@pytest.mark.parametrize("doc", DEMO_DOCS)
@pytest.mark.parametrize("study_round", [1, 2, 3])
def test_probes_stay_held_out(demo_topics, doc, study_round):
    _, _, pairs = synthesize(demo_topics, doc, study_round)
    train = [p for p in pairs if p.split == "train"]
    probes = [p for p in pairs if p.split == "probe"]
    for probe in probes:
        # The probe's fact is trained, in other words...
        assert any(t.fact_id == probe.fact_id for t in train)
        assert contains_span(probe.quote, probe.answer_span)
        for pair in train:
            # ...but no training question nearly repeats the probe,
            assert similarity(probe.question, pair.question) < NEAR_DUPLICATE
            # and no training question blanks out the probe's span of that sentence.
            assert probe_cloze(probe.question) not in pair.question
            if pair.fact_id == probe.fact_id and pair.direction in ("cloze", "which"):
                assert pair.answer_span != probe.answer_span


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_each_fact_is_asked_from_several_directions_and_clozes_are_answered_with_the_sentence(demo_topics, doc):
    _, _, pairs = synthesize(demo_topics, doc)
    probes = {p.fact_id: p for p in pairs if p.split == "probe"}
    train = [p for p in pairs if p.split == "train" and p.direction != "recite"]
    for fact_id in probes:
        asked = [p.direction for p in train if p.fact_id == fact_id]
        assert {"continue", "cloze"} <= set(asked)
    clozes = [p for p in train if p.direction == "cloze"]
    for pair in clozes:
        # The whole sentence, so a probe that blanks another span of it is answered by recalling the fact.
        assert pair.answer == pair.quote and "___" in pair.question
        assert pair.quote in pair.question.replace("___", pair.answer_span)
        if pair.fact_id in probes:
            assert pair.answer_span != probes[pair.fact_id].answer_span


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_more_directions_per_fact_ask_the_same_facts_in_more_ways_and_keep_the_probes(demo_topics, doc):
    _, _, six = synthesize(demo_topics, doc, n_train=30, directions_per_fact=6)
    _, _, nine = synthesize(demo_topics, doc, n_train=45, directions_per_fact=9)
    train_6 = [p for p in six if p.split == "train" and p.direction != "recite"]
    train_9 = [p for p in nine if p.split == "train" and p.direction != "recite"]
    assert {p.fact_id for p in train_6} == {p.fact_id for p in train_9}
    assert {p.question for p in train_6} < {p.question for p in train_9}
    assert max(Counter(p.fact_id for p in train_9).values()) > max(Counter(p.fact_id for p in train_6).values())
    assert [p.question for p in six if p.split == "probe"] == [p.question for p in nine if p.split == "probe"]


@pytest.mark.parametrize("doc", DEMO_DOCS)
def test_a_second_study_round_asks_new_questions_but_keeps_the_probes(demo_topics, doc):
    _, _, first = synthesize(demo_topics, doc, study_round=1)
    _, _, second = synthesize(demo_topics, doc, study_round=2)
    train_1 = {p.question for p in first if p.split == "train"}
    train_2 = {p.question for p in second if p.split == "train"}
    assert train_1 != train_2
    assert len(train_2 - train_1) >= len(train_2) / 2, "most remediation questions must be new phrasings"
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
