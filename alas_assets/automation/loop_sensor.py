"""The loop sensor: drive the latest iteration stage by stage, then open the next one until the revision says stop.

Each tick looks at the latest iteration only (so two iterations of a domain never overlap):
- not planned: request its plan run (once; a failed plan is tried again after a later refresh run);
- planned: find the first stage of ``jobs.STAGES`` whose partitions are not all materialised and
  request exactly the missing partitions, each once (a failed run is reported, not retried: fix it
  and re-execute it from the UI, and the loop goes on);
- revised: open the next iteration (add its partition and request its plan) if ``continue_loop``,
  else stop until a refresh or new feed entries open one.
"""

from collections.abc import Callable

import dagster as dg

from alas_assets.automation.drivers import cli_driver, recover_dead_runs
from alas_assets.automation.schedules import refresh_job_name
from alas_assets.automation.state import (
    IN_FLIGHT,
    IterationState,
    iteration_state,
    iterations,
    latest_run,
    runs_in_flight,
    unmaterialised,
)
from alas_assets.jobs import STAGES, Stage
from alas_assets.partitions import Build, iteration_key, iteration_number
from alas_assets.storage.driver_lock import DriverLock


def _request(b: Build, stage: Stage, partition: str, run_key: str) -> dg.RunRequest:
    iteration = partition.split("|")[0]
    return dg.RunRequest(
        run_key=run_key,
        job_name=stage.job_name(b.prefix),
        partition_key=str(partition),
        tags={"alas/iteration": iteration, "alas/stage": stage.job, "alas/trigger": "loop"},
    )


def _refresh_after(instance: dg.DagsterInstance, b: Build, run: dg.DagsterRun) -> str | None:
    """The id of a successful refresh run created after the given run, if any."""
    refreshes = instance.get_runs(
        dg.RunsFilter(job_name=refresh_job_name(b), statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1
    )
    if not refreshes:
        return None
    refresh = refreshes[0].run_id
    created = {
        r.dagster_run.run_id: r.create_timestamp
        for r in instance.get_run_records(dg.RunsFilter(run_ids=[refresh, run.run_id]))
    }
    if refresh not in created or run.run_id not in created:
        return None
    return refresh if created[refresh] > created[run.run_id] else None


def next_stage(instance: dg.DagsterInstance, b: Build, state: IterationState) -> tuple[Stage, list[str]] | None:
    """The first stage of the iteration with partitions not yet materialised, and those partitions."""
    for stage in STAGES:
        missing = unmaterialised(instance, b, stage, stage.partitions(state.key, state.topics or []))
        if missing:
            return stage, missing
    return None


def advance(instance: dg.DagsterInstance, b: Build, lock: DriverLock | None = None) -> dg.SensorResult | dg.SkipReason:
    if lock is not None:
        driver = cli_driver(lock)
        if driver:
            return dg.SkipReason(
                f"the domain is driven by {driver}: the loop sensor waits until it ends (one driver per domain)"
            )
        # Runs whose process died (a dead `alas run`'s) are marked failed: the loop must not wait for them for ever.
        recover_dead_runs(instance, b, lock)
    keys = iterations(instance, b)
    if not keys:
        return dg.SkipReason("no iteration yet: run the refresh job, or turn on the nightly refresh or the feed sensor")
    state = iteration_state(instance, b, keys[-1])
    if state.revised:
        if not state.continue_loop:
            return dg.SkipReason(
                f"{state.key} is revised and the loop stopped ({state.stop_reason}); "
                "a refresh or new feed entries open the next iteration"
            )
        if runs_in_flight(instance, b):
            return dg.SkipReason(
                f"{state.key} is revised; waiting for the loop's runs to finish before opening the next iteration"
            )
        following = iteration_key(iteration_number(state.key) + 1)
        return dg.SensorResult(
            run_requests=[_request(b, STAGES[0], following, f"{STAGES[0].job}:{following}")],
            dynamic_partitions_requests=[b.parts.iteration.build_add_request([following])],
        )
    if state.planned and state.topics is None:
        return dg.SkipReason(
            f"{state.key}: its curriculum records no topic_keys (an older materialisation); "
            f"materialise curriculum for {state.key} again"
        )
    found = next_stage(instance, b, state)
    if found is None:
        return dg.SkipReason(f"{state.key}: every stage is materialised; waiting for its revision")
    stage, missing = found
    requests, waiting, failed = [], [], []
    for partition in missing:
        run = latest_run(instance, stage.job_name(b.prefix), partition)
        if run is None:
            requests.append(_request(b, stage, partition, f"{stage.job}:{partition}"))
        elif run.status in IN_FLIGHT:
            waiting.append(partition)
        elif stage is STAGES[0] and (refresh := _refresh_after(instance, b, run)):
            requests.append(_request(b, stage, partition, f"{stage.job}:{partition}:after-{refresh}"))
        else:
            failed.append(f"{partition} (run {run.run_id[:8]}: {run.status.value})")
    if requests:
        return dg.SensorResult(run_requests=requests)
    if failed:
        return dg.SkipReason(
            f"{state.key}: stage '{stage.job}' did not materialise for {', '.join(failed)}; "
            "re-execute it from the UI to go on"
        )
    return dg.SkipReason(f"{state.key}: waiting for stage '{stage.job}' ({len(waiting)} run(s) in flight)")


def build_loop_sensor(b: Build, jobs: list, lock: Callable[[], DriverLock] | None = None) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{b.prefix}__loop_sensor",
        jobs=jobs,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            "Drive the latest iteration stage by stage; open the next one until mastery, convergence or budget."
        ),
    )
    def loop_sensor(context: dg.SensorEvaluationContext):
        return advance(context.instance, b, lock() if lock else None)

    return loop_sensor
