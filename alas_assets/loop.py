"""Run the learning loop headless: every stage of every iteration as Dagster runs on a persistent instance.

The same jobs the UI shows are launched here for exact partitions, so `alas run` materialisations
appear in `dagster dev` afterwards.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import dagster as dg
import pandas as pd

from alas_assets.assets._shared import Build
from alas_assets.automation.state import iteration_state, iterations, unmaterialised
from alas_assets.domain import Domain, load_domain
from alas_assets.jobs import STAGES
from alas_assets.partitions import iteration_key, iteration_number
from alas_assets.storage.warehouse import SCHEMA, Warehouse

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class LoopError(RuntimeError):
    pass


def dagster_home() -> Path:
    """DAGSTER_HOME, or the project's own instance under data/, created with its dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path("data/dagster_home").resolve())
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(
            "# Written by alas. DuckDB-writing assets share one pool of one slot: DuckDB has one writer per file.\n"
            "concurrency:\n  pools:\n    default_limit: 1\n"
            "telemetry:\n  enabled: false\n"
        )
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def persistent_instance() -> dg.DagsterInstance:
    dagster_home()
    return dg.DagsterInstance.get()


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
) -> IterationOutcome:
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
            result = job.execute_in_process(partition_key=partition, instance=instance, run_config=QUIET, raise_on_error=False)
            if not result.success:
                failure = next((e for e in result.all_events if e.is_step_failure), None)
                error = failure.step_failure_data.error if failure else None
                if error is not None and error.cls_name == "DagsterExecutionStepExecutionError" and error.cause:
                    error = error.cause  # the asset's own error (naming the bad file), not Dagster's wrapper
                detail = error.message.strip() if error else ""
                raise LoopError(f"stage '{stage.job}' failed for partition {partition} (run {result.run_id}): {detail}")
        if stage.job == "plan":
            plan = warehouse.query(f"select topic from {SCHEMA}.curriculum where iteration = ? order by \"order\"", [key], tables=(f"{SCHEMA}.curriculum",))
            topics = list(plan["topic"])
            on_plan(steps_per_iteration(len(topics)))
    promotion = warehouse.query(f"select * from {SCHEMA}.promotion where iteration = ?", [key], tables=(f"{SCHEMA}.promotion",)).iloc[0]
    revision = warehouse.query(f"select * from {SCHEMA}.curriculum_revision where iteration = ?", [key], tables=(f"{SCHEMA}.curriculum_revision",))
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


def steps_per_iteration(topic_count: int) -> int:
    return sum(topic_count if stage.per_topic else 1 for stage in STAGES)


def run_loop(
    domain_file: str | Path,
    iterations: int | None = None,
    instance: dg.DagsterInstance | None = None,
    on_step: Callable[[str, str], None] = lambda stage, partition: None,
    on_plan: Callable[[int], None] = lambda steps: None,
    on_iteration: Callable[[IterationOutcome], None] = lambda outcome: None,
) -> list[IterationOutcome]:
    """Run iterations until the revision says stop, or `iterations` of them (default: the domain's budget)."""
    from alas_assets.definitions import build_definitions

    logging.getLogger("dagster").setLevel(logging.WARNING)
    domain = load_domain(domain_file)
    defs = build_definitions(domain_file)
    instance = instance or persistent_instance()
    b = Build.for_domain(domain.slug)
    budget = iterations or domain.thresholds.max_iterations
    outcomes: list[IterationOutcome] = []
    for _ in range(budget):
        outcome = run_iteration(defs, domain, instance, next_iteration(instance, b), on_step, on_plan)
        outcomes.append(outcome)
        on_iteration(outcome)
        if not outcome.continue_loop:
            break
    return outcomes
