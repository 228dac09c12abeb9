"""Where a domain's loop stands, read from the Dagster instance alone (runs, partitions, materialisations).

Schedules, sensors and the refresh job decide from this, never from DuckDB: the warehouse may be
locked by a writing run, and the instance is what the UI shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg

from alas_assets.jobs import STAGES, Stage
from alas_assets.partitions import Build, iteration_key, iteration_number

IN_FLIGHT = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


@dataclass(frozen=True)
class IterationState:
    key: str
    planned: bool  # the curriculum is materialised
    topics: list[str] | None  # the planned topics; None if unplanned, or planned before topic_keys were recorded
    revised: bool
    continue_loop: bool
    stop_reason: str


def iterations(instance: dg.DagsterInstance, b: Build) -> list[str]:
    return sorted(instance.get_dynamic_partitions(b.parts.iteration.name), key=iteration_number)


def latest_metadata(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str) -> dict | None:
    """The metadata of the latest materialisation of one partition, as plain values; None if never."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    return {name: value.value for name, value in records[0].asset_materialization.metadata.items()}


def iteration_state(instance: dg.DagsterInstance, b: Build, key: str) -> IterationState:
    plan = latest_metadata(instance, b.key("curriculum"), key)
    revision = latest_metadata(instance, b.key("curriculum_revision"), key)
    topics = None if plan is None or "topic_keys" not in plan else list(plan["topic_keys"])
    return IterationState(
        key=key,
        planned=plan is not None,
        topics=topics,
        revised=revision is not None,
        continue_loop=bool(revision and revision.get("continue_loop")),
        stop_reason=str((revision or {}).get("stop_reason", "")),
    )


def unmaterialised(instance: dg.DagsterInstance, b: Build, stage: Stage, partitions: Sequence) -> list[str]:
    """The partitions of a stage that some asset of the stage has not materialised."""
    done = [instance.get_materialized_partitions(b.key(asset)) for asset in stage.assets]
    return [str(p) for p in partitions if not all(str(p) in d for d in done)]


def runs_in_flight(instance: dg.DagsterInstance, b: Build, with_refresh: bool = False) -> list[dg.DagsterRun]:
    """The runs of the loop's stages (and of the refresh job, if asked) that are queued or running."""
    jobs = [stage.job_name(b.prefix) for stage in STAGES] + ([f"{b.prefix}__refresh"] if with_refresh else [])
    runs: list[dg.DagsterRun] = []
    for job in jobs:
        runs += instance.get_runs(dg.RunsFilter(job_name=job, statuses=list(IN_FLIGHT)))
    return runs


def busy(instance: dg.DagsterInstance, b: Build, lock=None) -> str | None:
    """Why no new iteration may start now (an `alas run` holds the domain's driver lock, or an iteration
    is running), or None when one may. With the lock, runs whose process died are marked failed."""
    if lock is not None:
        from alas_assets.automation.drivers import cli_driver, recover_dead_runs

        driver = cli_driver(lock)
        if driver:
            return f"the domain is driven by {driver}"
        recover_dead_runs(instance, b, lock)
    running = runs_in_flight(instance, b)
    if running:
        return (
            f"{len(running)} run(s) of the loop are queued or running ({running[0].job_name}, {running[0].run_id[:8]})"
        )
    keys = iterations(instance, b)
    if keys:
        state = iteration_state(instance, b, keys[-1])
        if state.planned and not state.revised:
            return f"iteration {state.key} is in progress (planned, not yet revised)"
    return None


def iteration_to_open(instance: dg.DagsterInstance, b: Build) -> tuple[str, bool]:
    """The iteration a refresh plans: the latest one if it was never planned (reused), else a new one.

    Returns the key and whether its partition must be added.
    """
    keys = iterations(instance, b)
    if keys and not iteration_state(instance, b, keys[-1]).planned:
        return keys[-1], False
    return iteration_key(iteration_number(keys[-1]) + 1 if keys else 1), True


def latest_run(instance: dg.DagsterInstance, job_name: str, partition: str) -> dg.DagsterRun | None:
    runs = instance.get_runs(dg.RunsFilter(job_name=job_name, tags={"dagster/partition": str(partition)}), limit=1)
    return runs[0] if runs else None
