"""Bad input through Dagster: a broken corpus fails the next materialisation with a clear error
naming the file, and what the warehouse already holds stays as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from alas_assets.definitions import build_definitions
from alas_assets.domain import Domain, load_domain
from alas_assets.loop import LoopError, run_iteration
from alas_assets.partitions import DomainPartitions, cell_key
from alas_assets.storage.warehouse import SCHEMA, Warehouse

ITERATION = "it0001"
TOPICS = ("orion-mission", "zephyr-release")
TABLES = {
    "curriculum": "iteration, topic",
    "raw_sources": "iteration, topic, source_id",
    "qa_pairs": "iteration, topic, pair_id",
    "baseline_scores": "iteration, topic, pair_id",
}


class Studied:
    """A tiny domain after one good `plan` and `study` of it0001."""

    def __init__(self, domain_file: Path):
        self.domain: Domain = load_domain(domain_file)
        self.corpus: Path = self.domain.sources.corpus
        self.defs = build_definitions(domain_file)
        self.instance = dg.DagsterInstance.ephemeral()
        parts = DomainPartitions.for_domain(self.domain.slug)
        self.instance.add_dynamic_partitions(parts.iteration.name, [ITERATION])
        assert self.plan().success
        for topic in TOPICS:
            assert self.study(topic).success
        self.before = self.snapshot()

    def run(self, job: str, partition) -> dg.ExecuteInProcessResult:
        return self.defs.resolve_job_def(f"tiny__{job}").execute_in_process(
            partition_key=partition, instance=self.instance, raise_on_error=False
        )

    def plan(self) -> dg.ExecuteInProcessResult:
        return self.run("plan", ITERATION)

    def study(self, topic: str) -> dg.ExecuteInProcessResult:
        return self.run("study", cell_key(ITERATION, topic))

    def snapshot(self) -> dict[str, pd.DataFrame]:
        warehouse = Warehouse(self.domain.database)
        return {
            name: warehouse.query(f"select * from {SCHEMA}.{name} where iteration = ? order by {order}", [ITERATION])
            for name, order in TABLES.items()
        }

    def assert_unchanged(self) -> None:
        after = self.snapshot()
        for name, frame in self.before.items():
            assert not frame.empty, name
            pd.testing.assert_frame_equal(after[name], frame, obj=name)


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures, "the run failed without a step failure"
    error = failures[0].step_failure_data.error
    return "\n".join(filter(None, [error.message, error.cause.message if error.cause else ""]))


def loop_error(studied: Studied) -> str:
    """What `alas run` reports when its next iteration reads the broken corpus (a resumed it0001 would
    keep its plan and studies, already materialised, and not read the corpus again)."""
    with pytest.raises(LoopError) as caught:
        run_iteration(studied.defs, studied.domain, studied.instance, 2)
    return str(caught.value)


@pytest.fixture
def studied(tiny_domain) -> Studied:
    return Studied(tiny_domain)


def test_the_good_run_stored_every_topic(studied):
    for name in TABLES:
        assert set(studied.before[name]["topic"]) == set(TOPICS), name
    pairs = studied.before["qa_pairs"]
    assert (pairs["split"] == "probe").sum() > 0 and (pairs["split"] == "train").sum() > 0


def test_a_document_without_front_matter_fails_planning_and_names_the_file(studied):
    draft = studied.corpus / "draft-notes.md"
    draft.write_text("Notes for a future document, without any front matter.\n", encoding="utf-8")

    message = failure_message(studied.plan())

    assert str(draft) in message
    assert "front matter" in message
    # The loop, and so `alas run`, passes the same message on rather than Dagster's wrapper of it.
    message = loop_error(studied)
    assert "stage 'plan' failed" in message and str(draft) in message and "front matter" in message
    studied.assert_unchanged()


def test_an_emptied_corpus_fails_planning_and_study_and_names_what_is_missing(studied):
    for document in studied.corpus.iterdir():
        document.unlink()

    message = failure_message(studied.plan())
    assert str(studied.corpus) in message and "no documents" in message

    message = failure_message(studied.study("zephyr-release"))
    assert "zephyr-release.md" in message

    studied.assert_unchanged()


def test_a_deleted_corpus_folder_fails_planning_and_names_it(studied):
    shutil.rmtree(studied.corpus)
    message = failure_message(studied.plan())
    assert str(studied.corpus) in message and "does not exist" in message
    studied.assert_unchanged()


def test_a_document_that_lost_its_url_fails_its_topic_only(studied):
    document = studied.corpus / "orion-mission.md"
    document.write_text(
        document.read_text(encoding="utf-8").replace("url: https://example.org/orion-deep-survey\n", ""),
        encoding="utf-8",
    )

    message = failure_message(studied.study("orion-mission"))
    assert str(document) in message and "'url'" in message
    message = loop_error(studied)
    assert str(document) in message and "'url'" in message
    studied.assert_unchanged()

    # The other topic's document is fine: re-studying it works, and replaces its rows rather than adding to them.
    assert studied.study("zephyr-release").success
    after = studied.snapshot()
    for name in ("raw_sources", "qa_pairs", "baseline_scores"):
        before = studied.before[name]
        assert len(after[name]) == len(before), name
        zephyr = after[name][after[name]["topic"] == "zephyr-release"]
        assert zephyr["run_id"].nunique() == 1 and zephyr["run_id"].iloc[0] not in set(before["run_id"]), name
        orion = lambda frame: frame[frame["topic"] == "orion-mission"].reset_index(drop=True)  # noqa: E731
        pd.testing.assert_frame_equal(orion(after[name]), orion(before), obj=name)
    pd.testing.assert_frame_equal(
        after["qa_pairs"].drop(columns="run_id"), studied.before["qa_pairs"].drop(columns="run_id"), obj="qa_pairs"
    )
