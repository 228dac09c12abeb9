"""Data-quality checks: the rules themselves, and a check that really fails in Dagster on a corrupted partition."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import pandas as pd

from alas_assets.automation.checks import (
    citation_problems,
    degenerate_pairs,
    duplicate_ids,
    evaluated_pairs,
    leaking_probes,
)
from alas_assets.domain import load_domain
from alas_assets.loop import QUIET
from alas_assets.partitions import cell_key
from alas_assets.records import PreferencePair, QAPair, SourceDoc
from alas_assets.storage.warehouse import connect


def _source(source_id="s1", text="Marta Kowalczyk led the Zephyr Toolkit 9.2 release.") -> SourceDoc:
    return SourceDoc(
        iteration="it0001",
        topic="t",
        source_id=source_id,
        url="https://example.org",
        title="T",
        text=text,
        content_hash="h",
        origin="corpus",
        fetched_at=datetime.now(timezone.utc),
    )


def _pair(
    question="Who led the Zephyr Toolkit 9.2 release?",
    split="train",
    source_id="s1",
    quote="Marta Kowalczyk led the Zephyr Toolkit 9.2 release.",
    pair_id="p1",
) -> QAPair:
    return QAPair(
        iteration="it0001",
        topic="t",
        pair_id=pair_id,
        split=split,
        question=question,
        answer="Marta Kowalczyk",
        answer_span="Marta Kowalczyk",
        fact_id="f",
        source_id=source_id,
        source_url="https://example.org",
        quote=quote,
    )


def test_citations_must_point_at_a_fetched_source_and_quote_it():
    sources = [_source()]
    assert citation_problems([_pair()], sources) == []
    problems = citation_problems(
        [_pair(quote=""), _pair(source_id="elsewhere"), _pair(quote="Marta Kowalczyk led nothing at all.")], sources
    )
    assert [p.split(":")[0] for p in problems] == [
        "no citation",
        "cites source elsewhere, which was not fetched",
        "quote not found in source s1",
    ]


def test_a_probe_repeated_by_a_training_question_is_found():
    probe = _pair("Who led the release of Zephyr Toolkit 9.2?", split="probe")
    assert leaking_probes([_pair(), probe]) == []
    assert leaking_probes([probe], earlier_training=["Who led the release of Zephyr Toolkit 9.2?"]) == [probe.question]
    assert leaking_probes([probe, _pair("who led the release of zephyr toolkit 9.2")]) == [probe.question]


def test_a_pair_that_repeats_an_evaluation_question_is_found():
    evaluation = ["Which cache size does Zephyr Toolkit 9.2 use by default?"]
    assert evaluated_pairs([_pair("When was Zephyr Toolkit 9.2 released?")], evaluation) == []
    repeated = _pair("which cache size does Zephyr Toolkit 9.2 use by default", split="probe")
    assert evaluated_pairs([_pair(), repeated], evaluation) == [repeated.question]


def test_degenerate_preferences_and_duplicate_ids_are_found():
    good = PreferencePair(
        iteration="it0001", topic="t", pair_id="p1", prompt="q", chosen="Marta", rejected="Anna", model_id="m"
    )
    empty = good.model_copy(update={"pair_id": "p2", "rejected": "  "})
    same = good.model_copy(update={"pair_id": "p3", "rejected": "marta"})
    assert degenerate_pairs([good]) == []
    assert [p.split(":")[0] for p in degenerate_pairs([good, empty, same])] == ["p2", "p3"]
    assert duplicate_ids(pd.DataFrame({"pair_id": ["a", "b", "a"]})) == ["a x2"]
    assert duplicate_ids(pd.DataFrame({"pair_id": []})) == []


def test_a_corrupted_citation_fails_the_check_in_dagster(tiny_defs, tiny_domain):
    """Checks run with their asset; run again on a tampered partition, the citation check fails with examples."""
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tiny__iteration", ["it0001"])
    assert (
        tiny_defs.resolve_job_def("tiny__plan")
        .execute_in_process(partition_key="it0001", instance=instance, run_config=QUIET)
        .success
    )
    cell = cell_key("it0001", "zephyr-release")
    study = tiny_defs.resolve_job_def("tiny__study").execute_in_process(
        partition_key=cell, instance=instance, run_config=QUIET
    )
    evaluations = [
        e.asset_check_evaluation_data for e in study.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert {e.check_name for e in evaluations} == {
        "citations_point_at_fetched_sources",
        "probes_disjoint_from_training",
        "evaluation_questions_never_trained",
        "no_duplicate_pairs",
    }
    assert all(e.passed for e in evaluations)

    with connect(load_domain(tiny_domain).database) as con:
        con.execute(
            "update lake.qa_pairs set quote = 'A sentence no source says.' "
            "where pair_id = (select min(pair_id) from lake.qa_pairs)"
        )
    # As the UI's "Execute" on a check does: the study job subset to the checks of qa_pairs, no asset.
    qa_checks = {e.asset_check_key for e in evaluations}
    only_checks = tiny_defs.resolve_job_def("tiny__study").get_subset(
        asset_selection=set(), asset_check_selection=qa_checks
    )
    rerun = only_checks.execute_in_process(partition_key=cell, instance=instance, run_config=QUIET)
    [citations] = [
        e.asset_check_evaluation_data
        for e in rerun.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.check_name.startswith("citations")
    ]
    assert not citations.passed
    assert citations.metadata["problems"].value == 1
    assert "quote not found in source" in citations.metadata["examples"].value
