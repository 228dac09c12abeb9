"""Evaluation: grading, the promotion gate, and the curriculum revision with its stop reasons."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from alas_assets.domain import Thresholds
from alas_assets.evaluation import (
    EvaluationSetError,
    Question,
    accuracy,
    accuracy_by_topic,
    grade,
    independent_accuracy,
    independent_overall,
    independent_questions,
    kept_fraction,
    loss_p_value,
    promotion_gate,
    retention,
    retention_questions,
    retention_suites,
    revise,
)
from alas_assets.records import QAPair, Topic
from alas_assets.teacher.offline import ReferenceJudge

THRESHOLDS = Thresholds()  # mastery 0.90, delta 0.01, 3 iterations, floors 0.95 / 0.90


def scores(correct: list[bool], split: str = "probe", prefix: str = "p", topic: str = "t") -> pd.DataFrame:
    return pd.DataFrame(
        {"split": split, "correct": correct, "pair_id": [f"{prefix}{i}" for i in range(len(correct))], "topic": topic}
    )


NONE = pd.DataFrame(columns=["split", "correct", "pair_id", "topic"])
BEFORE = scores([True, False, False, False])  # 0.25
AFTER = scores([True, True, True, False])  # 0.75
KNOWS_20 = scores([True] * 20, split="general", prefix="g")


def gate(before=BEFORE, after=AFTER, general=(NONE, NONE), earlier=(NONE, NONE), thresholds=THRESHOLDS):
    return promotion_gate(before, after, general[0], general[1], earlier[0], earlier[1], thresholds)


def test_a_gain_that_keeps_everything_is_promoted():
    decision = gate(general=(KNOWS_20, KNOWS_20))
    assert decision.promoted
    assert decision.accuracy_before == 0.25 and decision.accuracy_after == 0.75
    assert decision.general_retention == 1.0
    assert decision.earlier_retention is None  # no earlier topics yet: nothing to forget
    assert json.loads(decision.to_json())["promoted"] is True


@pytest.mark.parametrize("after", [BEFORE, scores([False] * 4)], ids=["equal", "worse"])
def test_no_gain_is_not_promoted(after):
    decision = gate(after=after)
    assert not decision.promoted
    assert "no gain" in decision.reason


def test_training_answers_do_not_count_as_a_gain():
    after = pd.concat([BEFORE, scores([True] * 10, split="train", prefix="x")], ignore_index=True)
    assert not gate(after=after).promoted


def test_forgetting_general_knowledge_blocks_promotion():
    forgot_five = scores([True] * 15 + [False] * 5, split="general", prefix="g")  # keeps 0.75 < 0.95
    decision = gate(general=(KNOWS_20, forgot_five))
    assert not decision.promoted
    assert decision.general_retention == pytest.approx(0.75)
    assert "general knowledge retained 0.75 < 0.95 of the base model's accuracy (lost 5, gained 0: p = 0.03)" in (
        decision.reason
    )
    assert "kept 15 of 20 the base model answered" in decision.reason


def test_a_shortfall_that_churn_explains_is_promoted_and_said():
    """Losing 2 known answers and gaining none happens by chance a quarter of the time: no evidence of forgetting."""
    forgot_two = scores([True] * 18 + [False] * 2, split="general", prefix="g")  # 0.90 < 0.95
    decision = gate(general=(KNOWS_20, forgot_two))
    assert decision.promoted and decision.general_retention == pytest.approx(0.90)
    assert "general knowledge retained 0.90 < 0.95 of the base model's accuracy, within chance" in decision.reason
    assert "(lost 2, gained 0: p = 0.25)" in decision.reason
    # Significance 1: the floor alone decides.
    strict = Thresholds(forgetting_significance=1.0)
    assert not gate(general=(KNOWS_20, forgot_two), thresholds=strict).promoted


def test_the_loss_p_value_is_the_exact_one_sided_sign_test():
    assert loss_p_value(0, 0) == 1.0
    assert loss_p_value(0, 3) == 1.0
    assert loss_p_value(5, 0) == pytest.approx(1 / 32)
    assert loss_p_value(1, 1) == pytest.approx(0.75)
    # The demo's refused candidate: 11 of its 17 flipped general answers went wrong.
    assert loss_p_value(11, 6) == pytest.approx(21778 / 2**17)


def test_answers_that_flip_both_ways_count_net():
    """Greedy near-ties flip both ways after fine-tuning: losing 2 of 10 known answers while gaining 3 is no loss."""
    parent = scores([True] * 10 + [False] * 10, split="general", prefix="g")
    candidate = scores([True] * 8 + [False] * 2 + [True] * 3 + [False] * 7, split="general", prefix="g")
    decision = gate(general=(parent, candidate))
    assert decision.promoted
    assert decision.general_retention == pytest.approx(1.1)
    assert "general knowledge: kept 8 of 10 the base model answered" in decision.reason


def test_earlier_topics_are_measured_against_the_parent():
    parent = scores([True] * 10, split="earlier", prefix="e")
    candidate = scores([True] * 9 + [False], split="earlier", prefix="e")  # keeps 0.90: at the floor
    decision = gate(general=(KNOWS_20, KNOWS_20), earlier=(parent, candidate))
    assert decision.promoted
    assert decision.earlier_retention == pytest.approx(0.9)
    assert "earlier topics: kept 9 of 10 the parent answered" in decision.reason


def stage(frame: pd.DataFrame, role: str) -> pd.DataFrame:
    return frame.assign(stage=f"retention:{role}")


def test_the_gate_holds_general_knowledge_to_the_base_not_the_parent():
    """A parent that answered more general questions than the base does not raise the bar for its child."""
    base = scores([True] * 10 + [False] * 10, split="general", prefix="g")  # 10 right
    parent = scores([True] * 14 + [False] * 6, split="general", prefix="g")  # 14 right
    candidate = scores([True] * 10 + [False] * 10, split="general", prefix="g")  # the base's 10: 0.71 of the parent's
    earlier = scores([True] * 4, split="earlier", prefix="e")
    stored = pd.concat(
        [
            stage(base, "base"),
            stage(pd.concat([parent, earlier]), "parent"),
            stage(pd.concat([candidate, earlier]), "candidate"),
        ],
        ignore_index=True,
    )
    reference, general_candidate, earlier_parent, earlier_candidate = retention_suites(stored, studied_topics=())
    assert sorted(reference["pair_id"][reference["correct"]]) == sorted(base["pair_id"][base["correct"]])
    assert len(general_candidate) == 20 and len(earlier_parent) == 4 and len(earlier_candidate) == 4
    decision = promotion_gate(BEFORE, AFTER, *retention_suites(stored, studied_topics=()), THRESHOLDS)
    assert decision.promoted and decision.general_retention == 1.0
    # Stored before the base was graded on its own: the parent's rows stand in for it.
    legacy = stored[stored["stage"] != "retention:base"]
    assert retention_suites(legacy, studied_topics=())[0]["correct"].sum() == 14
    legacy_decision = promotion_gate(BEFORE, AFTER, *retention_suites(legacy, studied_topics=()), THRESHOLDS)
    assert legacy_decision.general_retention == pytest.approx(10 / 14)


def test_earlier_topics_are_those_the_iteration_left_alone():
    """A gain on a topic studied again does not hide what the topics left alone forgot."""

    def earlier(topic: str, correct: list[bool]) -> pd.DataFrame:
        return scores(correct, split="earlier", prefix=topic, topic=topic)

    parent = pd.concat([earlier("left-alone", [True] * 20), earlier("restudied", [False] * 8)])
    candidate = pd.concat([earlier("left-alone", [True] * 15 + [False] * 5), earlier("restudied", [True] * 8)])
    stored = pd.concat(
        [
            stage(KNOWS_20, "base"),
            stage(pd.concat([KNOWS_20, parent]), "parent"),
            stage(pd.concat([KNOWS_20, candidate]), "candidate"),
        ],
        ignore_index=True,
    )
    assert promotion_gate(
        BEFORE, AFTER, *retention_suites(stored, studied_topics=()), THRESHOLDS
    ).promoted  # 23 right vs 20, counted together

    suites = retention_suites(stored, studied_topics={"restudied"})
    assert set(suites[2]["topic"]) == set(suites[3]["topic"]) == {"left-alone"}
    decision = promotion_gate(BEFORE, AFTER, *suites, THRESHOLDS)
    assert not decision.promoted and decision.earlier_retention == pytest.approx(0.75)
    assert "earlier topics retained 0.75 < 0.90 of the parent's accuracy (lost 5, gained 0: p = 0.03)" in (
        decision.reason
    )


def test_retention_exactly_at_the_floor_is_enough():
    forgot_one = scores([True] * 19 + [False], split="general", prefix="g")  # keeps 0.95
    assert gate(general=(KNOWS_20, forgot_one)).promoted


def test_forgetting_earlier_topics_blocks_promotion_and_every_reason_is_given():
    parent = scores([True] * 20, split="earlier", prefix="e")
    candidate = scores([True] * 15 + [False] * 5, split="earlier", prefix="e")  # keeps 0.75 < 0.90
    forgot = scores([False] * 20, split="general", prefix="g")
    decision = gate(after=BEFORE, general=(KNOWS_20, forgot), earlier=(parent, candidate))
    assert not decision.promoted
    assert decision.earlier_retention == pytest.approx(0.75)
    for fragment in ("no gain", "general knowledge retained 0.00", "earlier topics retained 0.75 < 0.90"):
        assert fragment in decision.reason


def test_retention_only_counts_what_the_parent_knew():
    parent = scores([True, False, False], split="general", prefix="g")
    candidate = scores([True, True, True], split="general", prefix="g")
    assert kept_fraction(parent, candidate) == 1.0
    assert kept_fraction(scores([False, False], "general"), candidate) is None  # parent knew nothing
    assert kept_fraction(NONE, candidate) is None
    assert kept_fraction(parent, NONE) == 0.0


def test_retention_is_net_accuracy_against_the_parent():
    parent = scores([True, True, False, False], split="general", prefix="g")
    assert retention(parent, scores([False, True, True, True], split="general", prefix="g")) == 1.5
    assert retention(parent, scores([False, True, False, False], split="general", prefix="g")) == 0.5
    assert retention(scores([False, False], "general"), parent) is None  # parent knew nothing: nothing to lose
    assert retention(parent, NONE) == 0.0


def test_accuracy_counts_one_split():
    frame = pd.concat(
        [
            scores([True, False], topic="a"),
            scores([True, True], topic="b", prefix="q"),
            scores([False] * 4, "train", "x"),
        ],
        ignore_index=True,
    )
    assert accuracy(frame) == 0.75
    assert accuracy(frame, "train") == 0.0
    assert accuracy(NONE) == 0.0
    assert accuracy_by_topic(frame) == {"a": 0.5, "b": 1.0}
    assert accuracy_by_topic(NONE) == {}


# --- grading -------------------------------------------------------------------------------


def test_grade_asks_every_question_and_judges_each_answer():
    questions = [
        Question(
            "it0001", "py", "p1", "probe", "When was Python 3.14.0 released?", "7 October 2025.", "7 October 2025"
        ),
        Question("it0001", "py", "p2", "probe", "Who managed it?", "Hugo van Kemenade.", "Hugo van Kemenade"),
    ]
    asked: list[list[str]] = []

    def model(qs):
        asked.append(list(qs))
        return ["On October 7, 2025.", "Guido van Rossum."]

    judgements = grade(
        model, ReferenceJudge(), questions, stage="baseline", model_id="m0", run_id="r", iteration="it0002"
    )
    assert asked == [[q.question for q in questions]]
    assert [j.correct for j in judgements] == [True, False]
    assert [j.pair_id for j in judgements] == ["p1", "p2"]
    assert all(j.iteration == "it0002" and j.model_id == "m0" and j.stage == "baseline" for j in judgements)
    assert judgements[0].judge == ReferenceJudge.name


def test_grade_refuses_a_model_that_skips_answers():
    questions = [Question("it0001", "py", f"p{i}", "probe", f"q{i}", "r", "r") for i in range(2)]
    with pytest.raises(ValueError):
        grade(lambda qs: ["only one"], ReferenceJudge(), questions, stage="sft", model_id="m")


def test_grade_of_nothing_does_not_call_the_model():
    def model(qs):
        raise AssertionError("the model must not be loaded for no questions")

    assert grade(model, ReferenceJudge(), [], stage="sft", model_id="m") == []


def test_retention_grades_the_general_questions_and_earlier_probes_as_earlier():
    general = [Question("", "general", "general-1", "general", "What is 2+2?", "4", "4")]
    probe = QAPair(
        iteration="it0001",
        topic="py",
        pair_id="p1",
        split="probe",
        question="Who managed Python 3.14?",
        answer="Hugo van Kemenade.",
        answer_span="Hugo van Kemenade",
        fact_id="f1",
        source_id="s1",
        source_url="https://example.org",
        quote="Hugo van Kemenade",
    )

    questions = retention_questions(general, [probe])

    assert questions[0] == general[0]
    assert questions[1] == Question(
        "it0001", "py", "p1", "earlier", "Who managed Python 3.14?", "Hugo van Kemenade.", "Hugo van Kemenade"
    )


# --- revision ------------------------------------------------------------------------------


def topics(*slugs: str) -> list[Topic]:
    return [Topic(iteration="it0001", topic=s, name=s.title(), summary="", source_refs=[f"{s}.md"]) for s in slugs]


def test_revision_marks_mastered_and_remediated_topics_and_goes_on():
    revisions = revise(
        topics("a", "b"), {"a": 0.0, "b": 0.0}, {"a": 0.90, "b": 0.5}, {"a": 4, "b": 4}, THRESHOLDS, 1, promoted=True
    )
    by_topic = {r.topic: r for r in revisions}
    assert by_topic["a"].status == "mastered"  # exactly at tau
    assert by_topic["b"].status == "remediate"
    assert by_topic["b"].next_action == "study again with new phrasings"
    assert by_topic["b"].source_refs == ["b.md"] and by_topic["b"].probes == 4
    assert by_topic["b"].accuracy_before == 0.0 and by_topic["b"].accuracy_after == 0.5
    assert all(r.continue_loop and r.stop_reason == "" for r in revisions)


def test_revision_stops_when_every_topic_is_mastered():
    revisions = revise(topics("a", "b"), {}, {"a": 1.0, "b": 0.95}, {}, THRESHOLDS, 1, promoted=True)
    assert all(r.status == "mastered" for r in revisions)
    assert all(not r.continue_loop and r.stop_reason == "every topic is mastered" for r in revisions)


def test_revision_stops_when_the_iteration_budget_is_used():
    revisions = revise(topics("a"), {"a": 0.0}, {"a": 0.5}, {}, THRESHOLDS, THRESHOLDS.max_iterations, promoted=True)
    assert revisions[0].status == "remediate"
    assert not revisions[0].continue_loop
    assert revisions[0].stop_reason == "iteration budget of 3 used"


@pytest.mark.parametrize(("before", "after"), [(0.5, 0.505), (0.5, 0.5), (0.6, 0.5)])
def test_revision_stops_when_the_gain_is_under_delta(before, after):
    revisions = revise(topics("a"), {"a": before}, {"a": after}, {}, THRESHOLDS, 1, promoted=True)
    assert not revisions[0].continue_loop
    assert revisions[0].stop_reason.startswith("converged")


def test_a_refused_candidate_that_learned_is_studied_again_not_converged():
    # Refused for forgetting: the kept model's accuracy is the parent's, but the candidate did learn.
    refused = revise(topics("a"), {"a": 0.0}, {"a": 0.7}, {}, THRESHOLDS, 1, promoted=False)
    assert refused[0].continue_loop and refused[0].status == "remediate"
    assert refused[0].accuracy_after == 0.0
    learned_nothing = revise(topics("a"), {"a": 0.0}, {"a": 0.0}, {}, THRESHOLDS, 1, promoted=False)
    assert learned_nothing[0].stop_reason.startswith("converged")


def test_a_topic_without_scores_needs_remediation():
    revisions = revise(topics("a", "b"), {"a": 0.0}, {"a": 0.8}, {}, THRESHOLDS, 1, promoted=True)
    assert {r.topic: r.status for r in revisions} == {"a": "remediate", "b": "remediate"}
    assert revisions[1].accuracy_after == 0.0
    assert revisions[0].continue_loop  # mean gain 0.4 > delta


def _questions_file(tmp_path, lines: list[str]):
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_independent_questions_are_read_with_their_accepted_answers(tmp_path):
    path = _questions_file(
        tmp_path,
        [
            '{"question": "When did Zephyr 9.2 come out?", "accept": ["4 March 2026"], "topic": "zephyr-release"}',
            "",
            '{"question": "Who led Zephyr 9.2?", "accept": ["Marta Kowalczyk", "Kowalczyk"]}',
        ],
    )
    questions = independent_questions(path)
    assert [q.question for q in questions] == ["When did Zephyr 9.2 come out?", "Who led Zephyr 9.2?"]
    assert questions[0].topic == "zephyr-release" and questions[1].topic == "independent"
    assert questions[1].accept == ("Marta Kowalczyk", "Kowalczyk") and {q.split for q in questions} == {"independent"}


@pytest.mark.parametrize(
    "line, problem",
    [
        ("not json", "not valid JSON"),
        ('["a list"]', "must be a JSON object"),
        ('{"accept": ["x"]}', "'question' must be a non-empty string"),
        ('{"question": "Q?", "accept": []}', "'accept' must be a non-empty list"),
        ('{"question": "Q?", "accept": "x"}', "'accept' must be a non-empty list"),
        ('{"question": "Q?", "accept": ["x"], "topic": 3}', "'topic' must be a string"),
        ('{"question": "When did Zephyr 9.2 come out?", "accept": ["x"]}', "repeats the question of line 1"),
    ],
)
def test_a_malformed_independent_question_is_refused_with_file_and_line(tmp_path, line, problem):
    path = _questions_file(
        tmp_path, ['{"question": "When did Zephyr 9.2 come out?", "accept": ["4 March 2026"]}', line]
    )
    with pytest.raises(EvaluationSetError, match=problem) as error:
        independent_questions(path)
    assert f"{path}:2" in str(error.value)


def test_an_independent_question_is_right_when_the_answer_gives_any_accepted_answer():
    question = Question(
        "",
        "t",
        "i1",
        "independent",
        "Who led Zephyr 9.2?",
        "Marta Kowalczyk",
        "Marta Kowalczyk",
        ("Marta Kowalczyk", "Kowalczyk"),
    )
    judged = grade(
        lambda qs: ["It was led by Kowalczyk.", "Nobody"][: len(qs)],
        ReferenceJudge(),
        [question],
        stage="s",
        model_id="m",
    )
    assert judged[0].correct
    wrong = grade(lambda qs: ["Nobody knows."], ReferenceJudge(), [question], stage="s", model_id="m")
    assert not wrong[0].correct


def test_independent_accuracy_is_reported_per_model_and_topic():
    rows = pd.DataFrame(
        {
            "stage": [
                "retention:base",
                "retention:base",
                "retention:candidate",
                "retention:candidate",
                "retention:candidate",
            ],
            "split": ["independent", "independent", "independent", "independent", "general"],
            "topic": ["a", "b", "a", "b", "general"],
            "correct": [False, False, True, False, True],
        }
    )
    assert independent_overall(rows) == {"base": 0.0, "candidate": 0.5}
    table = independent_accuracy(rows)
    assert table[(table["model"] == "candidate") & (table["topic"] == "a")]["accuracy"].iloc[0] == 1.0
