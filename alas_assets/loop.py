"""Run the learning loop headless: every stage of every iteration as Dagster runs on a persistent instance.

The same jobs the UI shows are launched here for exact partitions, so `alas run` materialisations
appear in `dagster dev` afterwards.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd

from alas_assets.automation.drivers import cli_tags, take_the_wheel
from alas_assets.automation.state import iteration_state, iterations, unmaterialised
from alas_assets.domain import Domain, load_domain
from alas_assets.jobs import STAGES
from alas_assets.partitions import Build, iteration_key, iteration_number
from alas_assets.storage.driver_lock import DriverLock, driver_lock
from alas_assets.storage.warehouse import Warehouse

log = logging.getLogger(__name__)

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class LoopError(RuntimeError):
    pass


class LoopInterrupted(LoopError):
    """The loop was stopped by a signal (SIGTERM, Ctrl-C); the run it was in is marked canceled."""


WRITTEN_BY_ALAS = "# Written by alas."
RUN_MONITORING = (
    "# Run monitoring (the daemon's): a launched run that has not started within the timeout, or whose\n"
    "# cancel hangs, is marked failed or canceled instead of left in flight. Runs are never resumed: the\n"
    "# DefaultRunLauncher cannot. A STARTED run whose process died is failed by alas's own recovery.\n"
    "run_monitoring:\n  enabled: true\n  start_timeout_seconds: 300\n  cancel_timeout_seconds: 180\n"
    "  max_resume_run_attempts: 0\n"
)


def dagster_home(domain: Domain | None = None) -> Path:
    """The domain's Dagster home (see ``Domain.dagster_home``; without a domain, DAGSTER_HOME or
    data/dagster_home of the current folder), created with its dagster.yaml. The environment is left
    as it is: ``persistent_instance`` opens the instance from this folder.

    A dagster.yaml that alas wrote before run monitoring was part of it gets that section added; one
    written by anyone else is left alone."""
    home = (
        domain.dagster_home
        if domain is not None
        else Path(os.environ.get("DAGSTER_HOME") or Path("data/dagster_home").resolve())
    )
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(
            f"{WRITTEN_BY_ALAS} DuckDB-writing assets share one pool of one slot: DuckDB has one writer per file.\n"
            "concurrency:\n  pools:\n    default_limit: 1\n"
            "telemetry:\n  enabled: false\n" + RUN_MONITORING
        )
    else:
        text = config.read_text()
        if text.startswith(WRITTEN_BY_ALAS) and "run_monitoring:" not in text:
            config.write_text(text.rstrip("\n") + "\n" + RUN_MONITORING)
    return home


def persistent_instance(domain: Domain | None = None) -> dg.DagsterInstance:
    """The persistent Dagster instance of the domain's Dagster home (see ``dagster_home``)."""
    return dg.DagsterInstance.from_config(str(dagster_home(domain)))


@dataclass
class IterationOutcome:
    iteration: str
    promoted: bool
    reason: str
    accuracy_before: float
    accuracy_after: float
    general_retention: float | None
    continue_loop: bool
    stop_reason: str


def next_iteration(instance: dg.DagsterInstance, b: Build) -> int:
    """The iteration to run: an unfinished one (no revision yet) is resumed, else a new one."""
    keys = iterations(instance, b)
    if not keys:
        return 1
    last = iteration_number(keys[-1])
    return last if not iteration_state(instance, b, keys[-1]).revised else last + 1


def run_iteration(
    defs: dg.Definitions,
    domain: Domain,
    instance: dg.DagsterInstance,
    number: int,
    on_step: Callable[[str, str], None] = lambda stage, partition: None,
    on_plan: Callable[[int], None] = lambda steps: None,
    stop: Callable[[], str | None] = lambda: None,
    tags: dict[str, str] | None = None,
) -> IterationOutcome:
    """Run one iteration's stages. ``stop`` says why to stop (a signal's name) or None; it is asked after
    every run, so a signal Dagster noted but did not raise still stops the loop before the next run."""
    b = Build.for_domain(domain.slug)
    key = iteration_key(number)
    instance.add_dynamic_partitions(b.parts.iteration.name, [key])
    warehouse = Warehouse(domain.database)
    topics: list[str] = []
    # An unfinished iteration resumes where it failed: the steps already materialised are kept, up to
    # the first one that is not; from there on everything runs, as its inputs are new.
    resuming = True
    for stage in STAGES:
        job = defs.resolve_job_def(stage.job_name(b.prefix))
        partitions = stage.partitions(key, topics)
        missing = set(unmaterialised(instance, b, stage, partitions)) if resuming else set()
        for partition in partitions:
            on_step(stage.job, str(partition))
            resuming = resuming and str(partition) not in missing
            if resuming:
                continue
            run_id = str(uuid.uuid4())
            tags_of_run = {**(tags or {}), "alas/iteration": key, "alas/stage": stage.job}
            try:
                result = job.execute_in_process(
                    partition_key=partition,
                    instance=instance,
                    run_config=QUIET,
                    raise_on_error=False,
                    run_id=run_id,
                    tags=tags_of_run,
                )
            except KeyboardInterrupt as exc:
                why = stop()  # first: acknowledges the signal
                _cancel(instance, run_id, why or str(exc) or "an interrupt")
                raise LoopInterrupted(
                    f"interrupted during stage '{stage.job}' for partition {partition}; run {run_id} marked canceled"
                ) from None
            why = stop()
            if not result.success and (why or _interrupted(result)):
                _cancel(instance, run_id, why or "an interrupt")
                raise LoopInterrupted(
                    f"{why or 'interrupted'} during stage '{stage.job}' for partition {partition}; "
                    f"run {run_id} marked canceled"
                )
            if why:
                raise LoopInterrupted(
                    f"{why}: stopped after stage '{stage.job}' for partition {partition} (run {run_id} finished)"
                )
            if not result.success:
                failure = next((e for e in result.all_events if e.is_step_failure), None)
                error = failure.step_failure_data.error if failure else None
                if error is not None and error.cls_name == "DagsterExecutionStepExecutionError" and error.cause:
                    error = error.cause  # the asset's own error (naming the bad file), not Dagster's wrapper
                detail = error.message.strip() if error else ""
                raise LoopError(f"stage '{stage.job}' failed for partition {partition} (run {result.run_id}): {detail}")
        if stage.job == "plan":
            topics = warehouse.planned_topics(key)
            on_plan(steps_per_iteration(len(topics)))
    promotion = warehouse.promotion_of(key).iloc[0]
    revision = warehouse.revision_of(key)
    general = promotion["general_retention"]
    return IterationOutcome(
        iteration=key,
        promoted=bool(promotion["promoted"]),
        reason=str(promotion["reason"]),
        accuracy_before=float(promotion["accuracy_before"]),
        accuracy_after=float(promotion["accuracy_after"]),
        general_retention=None if pd.isna(general) else float(general),
        continue_loop=bool(revision["continue_loop"].all()),
        stop_reason=str(revision["stop_reason"].iloc[0]) if len(revision) else "",
    )


def _interrupted(result: dg.ExecuteInProcessResult) -> bool:
    """Whether a failed run failed because it was interrupted (a step's error source, or the run's failure reason)."""
    from dagster._core.errors import DagsterExecutionInterruptedError
    from dagster._core.events import JobFailureData, RunFailureReason
    from dagster._core.execution.plan.objects import ErrorSource

    interrupts = ("KeyboardInterrupt", DagsterExecutionInterruptedError.__name__)
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error_source == ErrorSource.INTERRUPT:
            return True
        if event.is_run_failure and isinstance(event.event_specific_data, JobFailureData):
            data = event.event_specific_data
            if data.failure_reason == RunFailureReason.UNEXPECTED_TERMINATION or (
                data.error and data.error.cls_name in interrupts
            ):
                return True
    return False


def _cancel(instance: dg.DagsterInstance, run_id: str, why: str) -> None:
    """Mark an interrupted run canceled (Dagster recorded it as failed, or not at all if it never started)."""
    from alas_assets.automation.drivers import free_pool_slots

    run = instance.get_run_by_id(run_id)
    if run is not None and run.status != dg.DagsterRunStatus.SUCCESS:
        instance.report_run_canceled(run, message=f"alas run was stopped by {why}; the run is canceled")
        free_pool_slots(instance, run_id)


def steps_per_iteration(topic_count: int) -> int:
    return sum(topic_count if stage.per_topic else 1 for stage in STAGES)


def run_loop(
    domain_file: str | Path,
    iterations: int | None = None,
    instance: dg.DagsterInstance | None = None,
    on_step: Callable[[str, str], None] = lambda stage, partition: None,
    on_plan: Callable[[int], None] = lambda steps: None,
    on_iteration: Callable[[IterationOutcome], None] = lambda outcome: None,
    stop: Callable[[], str | None] = lambda: None,
    lock: DriverLock | None = None,
    state_root: Path | None = None,
) -> list[IterationOutcome]:
    """Run iterations until the revision says stop, or `iterations` of them (default: the domain's budget).
    ``state_root``: the folder that holds the domain's state (None: ALAS_STATE_DIR or the project's).

    Holds the domain's driver lock throughout: raises DomainBusy (naming the holder) if another `alas
    run`, the loop sensor or a refresh drives the domain; the runs of the domain whose process died
    (an `alas run` or a run worker) are marked failed first. ``stop``: see ``run_iteration``."""
    from alas_assets.definitions import build_definitions

    logging.getLogger("dagster").setLevel(logging.WARNING)
    domain = load_domain(domain_file, state_root=state_root)
    defs = build_definitions(domain_file, state_root=state_root)
    instance = instance or persistent_instance(domain)
    b = Build.for_domain(domain.slug)
    budget = iterations or domain.thresholds.max_iterations
    lock = lock or driver_lock(domain)
    dead = take_the_wheel(instance, b, lock, "alas run")
    try:
        if dead:
            log.warning("marked %d run(s) failed whose process died: %s", len(dead), ", ".join(r.run_id for r in dead))
        outcomes: list[IterationOutcome] = []
        for _ in range(budget):
            outcome = run_iteration(
                defs, domain, instance, next_iteration(instance, b), on_step, on_plan, stop=stop, tags=cli_tags(lock)
            )
            outcomes.append(outcome)
            on_iteration(outcome)
            if not outcome.continue_loop:
                break
        return outcomes
    finally:
        lock.release()
