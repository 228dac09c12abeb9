"""The nightly refresh: a cron schedule that opens the next iteration when none is running.

A schedule cannot add dynamic partitions, so it launches the small unpartitioned job
``<prefix>__refresh``, whose one op adds the iteration partition (an op may, through the instance).
The loop sensor then plans that iteration and drives it stage by stage; with the loop sensor off,
the refresh only opens the iteration.
"""

from collections.abc import Callable
from datetime import datetime, timezone

import dagster as dg

from alas_assets.automation.state import busy, iteration_to_open
from alas_assets.partitions import Build
from alas_assets.storage.driver_lock import DriverLock

REFRESH_JOB = "refresh"


def refresh_job_name(b: Build) -> str:
    return f"{b.prefix}__{REFRESH_JOB}"


def build_refresh_job(b: Build, lock: Callable[[], DriverLock] | None = None) -> dg.JobDefinition:
    @dg.op(name=f"{b.prefix}__open_iteration", out=dg.Out(str, is_required=False))
    def open_iteration(context: dg.OpExecutionContext):
        """Add the next iteration's partition (or reuse an unplanned one), unless an iteration is running."""
        reason = busy(context.instance, b, lock() if lock else None)
        if reason:
            context.log.info(f"no new iteration opened: {reason}")
            return
        key, new = iteration_to_open(context.instance, b)
        if new:
            context.instance.add_dynamic_partitions(b.parts.iteration.name, [key])
        context.log.info(f"{'opened' if new else 'reopened unplanned'} iteration {key}; the loop sensor plans it")
        yield dg.Output(key, metadata={"iteration": key, "new_partition": new})

    @dg.job(
        name=refresh_job_name(b),
        description="open the next iteration (the nightly refresh)",
        tags={"alas/refresh": "true"},
    )
    def refresh():
        open_iteration()

    return refresh


def build_nightly_schedule(
    b: Build, cron: str, job: dg.JobDefinition, lock: Callable[[], DriverLock] | None = None
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{b.prefix}__nightly_refresh",
        cron_schedule=cron,
        execution_timezone="UTC",
        job=job,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"At '{cron}' (UTC): open the next iteration unless one is running.",
    )
    def nightly_refresh(context: dg.ScheduleEvaluationContext):
        reason = busy(context.instance, b, lock() if lock else None)
        if reason:
            return dg.SkipReason(f"refresh skipped: {reason}")
        when = context.scheduled_execution_time or datetime.now(timezone.utc)
        return dg.RunRequest(run_key=f"refresh:{when.isoformat()}")

    return nightly_refresh
