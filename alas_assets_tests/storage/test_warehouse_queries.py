"""The warehouse's named queries over the loop's tables: what the loop, the reports, the benchmark and the
model card read back, each an empty frame before its table is written."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from alas_assets.records import QAPair, to_frame
from alas_assets.storage.warehouse import SCHEMA, SCORE_TABLES, Warehouse, connect


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "state" / "alas.duckdb")


def write(warehouse: Warehouse, table: str, rows: list[dict] | pd.DataFrame) -> None:
    """Write a lake table as the IO manager would, from plain rows."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    with connect(warehouse.database) as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.register("incoming", frame)
        con.execute(f"create or replace table {SCHEMA}.{table} as select * from incoming")


def pair(iteration: str, topic: str, pair_id: str, split: str = "train") -> QAPair:
    return QAPair(
        iteration=iteration,
        topic=topic,
        pair_id=pair_id,
        split=split,
        question=f"q {pair_id}?",
        answer=f"a {pair_id}",
        answer_span=f"a {pair_id}",
        fact_id="f",
        source_id="s",
        source_url="https://example.org",
        quote="a",
    )


def score(iteration: str, topic: str, pair_id: str, correct: bool, split: str = "probe", **extra) -> dict:
    return {
        "iteration": iteration,
        "topic": topic,
        "pair_id": pair_id,
        "split": split,
        "correct": correct,
        "model_id": "m",
        **extra,
    }


def promotion_row(iteration: str, candidate: str, promoted: bool, per_topic: list[dict]) -> dict:
    return {
        "iteration": iteration,
        "candidate_id": candidate,
        "promoted": promoted,
        "accuracy_before": 0.12345,
        "accuracy_after": 0.56789,
        "general_retention": 0.98765,
        "earlier_retention": None,
        "reason": "gain",
        "per_topic": json.dumps(per_topic),
    }


def test_every_named_query_is_empty_before_the_loop_wrote_its_table(warehouse):
    frames = [
        warehouse.curricula_before("it0002"),
        warehouse.revision_of("it0001"),
        warehouse.revisions_before("it0002", ["iteration", "topic"]),
        warehouse.sources_of("it0001"),
        warehouse.promotion_of("it0001"),
        warehouse.promotions(),
        warehouse.verdicts(),
        warehouse.probe_outcomes(),
        *(warehouse.probe_scores(table) for table in SCORE_TABLES),
        warehouse.baseline_probes_of("m", "it0001"),
        warehouse.retention_scores(),
        warehouse.independent_accuracy(),
        warehouse.independent_verdicts("it0001"),
    ]
    assert all(frame.empty for frame in frames)
    assert warehouse.planned_topics("it0001") == []
    assert warehouse.pairs("train") == []
    assert warehouse.gate_per_topic("m") is None
    assert not warehouse.database.exists()  # asking does not create the file


def test_the_loop_reads_an_iterations_topics_in_the_order_it_planned_them(warehouse):
    write(
        warehouse,
        "curriculum",
        [
            {"iteration": "it0001", "topic": "b", "name": "B", "source_refs": "[]", "order": 1},
            {"iteration": "it0001", "topic": "a", "name": "A", "source_refs": "[]", "order": 0},
            {"iteration": "it0002", "topic": "c", "name": "C", "source_refs": '["feed:x"]', "order": 0},
        ],
    )
    assert warehouse.planned_topics("it0001") == ["a", "b"]
    assert warehouse.planned_topics("it0003") == []


def test_planning_sees_only_the_curricula_of_earlier_iterations(warehouse):
    write(
        warehouse,
        "curriculum",
        [
            {"iteration": "it0001", "topic": "a", "name": "A", "source_refs": '["doc:a"]', "order": 0},
            {"iteration": "it0002", "topic": "b", "name": "B", "source_refs": '["feed:x"]', "order": 0},
        ],
    )
    earlier = warehouse.curricula_before("it0002")
    assert list(earlier.columns) == ["topic", "name", "source_refs"]
    assert earlier.to_dict(orient="records") == [{"topic": "a", "name": "A", "source_refs": '["doc:a"]'}]
    assert sorted(warehouse.curricula_before("it0003")["topic"]) == ["a", "b"]


def test_revisions_are_read_for_one_iteration_or_for_every_earlier_one(warehouse):
    rows = [
        {"iteration": it, "topic": t, "accuracy_before": 0.1, "accuracy_after": 0.9, "continue_loop": it == "it0001"}
        for it, t in (("it0001", "a"), ("it0001", "b"), ("it0002", "a"))
    ]
    write(warehouse, "curriculum_revision", rows)
    assert sorted(warehouse.revision_of("it0001")["topic"]) == ["a", "b"]
    assert list(warehouse.revision_of("it0002")["continue_loop"]) == [False]
    earlier = warehouse.revisions_before("it0002", ["iteration", "topic", "accuracy_after"])
    assert list(earlier.columns) == ["iteration", "topic", "accuracy_after"]
    assert set(earlier["iteration"]) == {"it0001"} and len(earlier) == 2


def test_the_benchmark_reads_an_iterations_distinct_documents_by_title(warehouse):
    write(
        warehouse,
        "raw_sources",
        [
            {"iteration": "it0001", "topic": "z", "title": "Zephyr", "text": "z text"},
            {"iteration": "it0001", "topic": "z", "title": "Zephyr", "text": "z text"},
            {"iteration": "it0001", "topic": "o", "title": "Orion", "text": "o text"},
            {"iteration": "it0002", "topic": "n", "title": "New", "text": "n text"},
        ],
    )
    sources = warehouse.sources_of("it0001")
    assert list(zip(sources["title"], sources["text"])) == [("Orion", "o text"), ("Zephyr", "z text")]


def test_promotions_are_read_per_iteration_in_order_and_rounded_for_the_report(warehouse):
    write(
        warehouse,
        "promotion",
        [promotion_row("it0002", "c2", False, []), promotion_row("it0001", "c1", True, [{"topic": "a"}])],
    )
    assert list(warehouse.promotions()["iteration"]) == ["it0001", "it0002"]
    assert warehouse.promotion_of("it0002").iloc[0]["candidate_id"] == "c2"
    verdicts = warehouse.verdicts()
    assert list(verdicts.columns) == [
        "iteration",
        "candidate_id",
        "promoted",
        "accuracy_before",
        "accuracy_after",
        "general_retention",
        "earlier_retention",
        "reason",
    ]
    first = verdicts.iloc[0]
    assert (first["iteration"], first["accuracy_before"], first["accuracy_after"]) == ("it0001", 0.123, 0.568)


def test_the_model_card_gets_the_per_topic_figures_of_the_candidates_latest_judgement(warehouse):
    write(
        warehouse,
        "promotion",
        [
            promotion_row("it0001", "c1", False, [{"topic": "old"}]),
            promotion_row("it0002", "c1", True, [{"topic": "new"}]),
        ],
    )
    assert json.loads(warehouse.gate_per_topic("c1")) == [{"topic": "new"}]
    assert warehouse.gate_per_topic("never-judged") is None


def test_probe_outcomes_need_all_three_gradings_and_name_the_stage(warehouse):
    write(warehouse, "baseline_scores", [score("it0001", "a", "p1", False), score("it0001", "a", "t1", True, "train")])
    write(warehouse, "judge_scores", [score("it0001", "a", "p1", True)])
    assert warehouse.probe_outcomes().empty  # DPO's grading not written yet
    write(warehouse, "dpo_judge_scores", [score("it0001", "a", "p1", True)])
    outcomes = warehouse.probe_outcomes()
    assert list(outcomes.columns) == ["iteration", "topic", "stage", "correct"]
    assert sorted(zip(outcomes["stage"], outcomes["correct"])) == [
        ("after_dpo", True),
        ("after_sft", True),
        ("before", False),
    ]


def test_probe_scores_come_from_one_named_score_table_only(warehouse):
    write(
        warehouse,
        "dpo_judge_scores",
        [score("it0001", "a", "p1", True), score("it0002", "a", "p2", False), score("it0001", "a", "t", True, "train")],
    )
    scores = warehouse.probe_scores("dpo_judge_scores")
    assert list(scores.columns) == ["iteration", "topic", "pair_id", "correct"]
    assert sorted(scores["pair_id"]) == ["p1", "p2"]
    assert list(warehouse.probe_scores("dpo_judge_scores", "it0002")["pair_id"]) == ["p2"]
    with pytest.raises(ValueError, match="not a score table"):
        warehouse.probe_scores("promotion")


def test_the_closed_book_baseline_is_one_models_probes_by_topic_and_pair(warehouse):
    write(
        warehouse,
        "baseline_scores",
        [
            score("it0001", "b", "p1", True, model_id="base"),
            score("it0001", "a", "p2", False, model_id="base"),
            score("it0001", "a", "p1", True, model_id="base"),
            score("it0001", "a", "p3", True, model_id="other"),
            score("it0002", "a", "p4", True, model_id="base"),
        ],
    )
    rows = warehouse.baseline_probes_of("base", "it0001")
    assert list(zip(rows["topic"], rows["pair_id"])) == [("a", "p1"), ("a", "p2"), ("b", "p1")]
    assert "model_id" in rows.columns  # every column


def test_independent_questions_are_scored_per_model_without_the_retention_prefix(warehouse):
    write(
        warehouse,
        "retention_scores",
        [
            score("it0001", "a", "i1", True, "independent", stage="retention:candidate"),
            score("it0001", "a", "i2", False, "independent", stage="retention:candidate"),
            score("it0001", "a", "i1", False, "independent", stage="retention:base"),
            score("it0001", "a", "g1", True, "general", stage="retention:candidate"),
        ],
    )
    assert len(warehouse.retention_scores()) == 4
    accuracy = warehouse.independent_accuracy().set_index("model")
    assert accuracy.loc["candidate", "accuracy"] == 0.5 and accuracy.loc["candidate", "questions"] == 2
    assert accuracy.loc["base", "accuracy"] == 0.0
    verdicts = warehouse.independent_verdicts("it0001")
    assert list(verdicts.columns) == ["topic", "model", "correct"]
    assert sorted(zip(verdicts["model"], verdicts["correct"])) == [("base", 0), ("candidate", 0), ("candidate", 1)]
    assert warehouse.independent_verdicts("it0002").empty


def test_pairs_of_a_split_come_in_iteration_topic_and_pair_order(warehouse):
    pairs = [pair("it0002", "a", "p1"), pair("it0001", "b", "p1"), pair("it0001", "a", "p2"), pair("it0001", "a", "p1")]
    write(warehouse, "qa_pairs", to_frame([*pairs, pair("it0001", "a", "x", "probe")], QAPair))
    ordered = [(p.iteration, p.topic, p.pair_id) for p in warehouse.pairs("train")]
    assert ordered == [("it0001", "a", "p1"), ("it0001", "a", "p2"), ("it0001", "b", "p1"), ("it0002", "a", "p1")]
    assert [p.pair_id for p in warehouse.pairs("probe", "it0001")] == ["x"]
    assert warehouse.pairs("train", "it0003") == []
