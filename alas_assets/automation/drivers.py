"""Who drives a domain, and what is left of a driver that died.

A domain has one driver at a time: an `alas run` (which holds the domain's driver lock,
``alas_assets.storage.driver_lock``), or the daemon (the loop sensor turned on, or the loop's,
feed sensor's or refresh's runs in flight). `alas run` is refused while any of them drives; the
sensors and the schedule skip, naming the holder, while an `alas run` holds the lock.

A run that `alas run` executes is tagged ``alas/trigger = cli``. If that process dies (``kill -9``,
a power cut) its run stays STARTED in the instance for ever, holding its slot of the DuckDB pool;
once nobody holds the lock, such a run cannot be alive, and ``recover_dead_runs`` marks it failed,
naming the driver that died, and gives its pool slot back.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType

from alas_assets.assets._shared import Build
from alas_assets.automation.state import runs_in_flight
from alas_assets.storage.driver_lock import DomainBusy, DriverLock

CLI_TRIGGER = "cli"
TRIGGER_TAG = "alas/trigger"
DRIVER_TAG = "alas/driver"


def loop_sensor_name(b: Build) -> str:
    return f"{b.prefix}__loop_sensor"


def cli_tags(lock: DriverLock) -> dict[str, str]:
    """The tags of a run that `alas run` executes while holding the lock."""
    holder = lock.holder()
    return {TRIGGER_TAG: CLI_TRIGGER, DRIVER_TAG: holder.describe() if holder else "alas run"}


def recover_dead_runs(instance: dg.DagsterInstance, b: Build, lock: DriverLock) -> list[dg.DagsterRun]:
    """Mark failed the runs of `alas run` still in flight while no live `alas run` holds the lock.

    Call it holding the lock, or from a sensor (it does nothing while another process holds it)."""
    if not lock.held and lock.holder() is not None:
        return []
    dead = [run for run in runs_in_flight(instance, b, with_refresh=True) if run.tags.get(TRIGGER_TAG) == CLI_TRIGGER]
    for run in dead:
        driver = run.tags.get(DRIVER_TAG, "alas run")
        instance.report_run_failed(
            run, message=f"the process that executed this run, {driver}, died without ending it; marked failed on recovery"
        )
        free_pool_slots(instance, run.run_id)
    return dead


def free_pool_slots(instance: dg.DagsterInstance, run_id: str) -> None:
    """Give back the concurrency-pool slots a run holds (the DuckDB pool has one): a run that died keeps
    its slot, and every later run of the pool would wait for it for ever. The daemon frees the slots of
    finished runs after a while; `alas run` has no daemon."""
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        storage.free_concurrency_slots_for_run(run_id)


def daemon_driver(instance: dg.DagsterInstance, b: Build) -> str | None:
    """What drives the domain from the daemon: the loop sensor turned on, or runs it (or the feed sensor,
    the schedule, a person in the UI) started that are still in flight. None when nothing does."""
    name = loop_sensor_name(b)
    states = instance.all_instigator_state(instigator_type=InstigatorType.SENSOR) if instance.schedule_storage else []
    for state in states:  # an ephemeral instance has no schedule storage (and no sensor running)
        if state.instigator_name == name and state.status == InstigatorStatus.RUNNING:
            return f"the loop sensor {name} (turned on: turn it off under Automation in the UI, or let it drive)"
    running = [run for run in runs_in_flight(instance, b, with_refresh=True) if run.tags.get(TRIGGER_TAG) != CLI_TRIGGER]
    if running:
        run = running[0]
        trigger = run.tags.get(TRIGGER_TAG) or ("the refresh" if run.tags.get("alas/refresh") else "the UI or the daemon")
        return f"run {run.run_id} of job {run.job_name} ({run.status.value}, started by {trigger})"
    return None


def take_the_wheel(instance: dg.DagsterInstance, b: Build, lock: DriverLock, command: str) -> list[dg.DagsterRun]:
    """Acquire the lock for `command`, refuse if the daemon drives the domain, and recover the runs of a
    driver that died. Returns those runs. Raises DomainBusy naming the holder (the lock is then not held)."""
    lock.acquire(command)
    try:
        dead = recover_dead_runs(instance, b, lock)
        other = daemon_driver(instance, b)
        if other:
            raise DomainBusy(f"domain '{lock.domain_name}' is being driven by {other}")
    except BaseException:
        lock.release()
        raise
    return dead


def cli_driver(lock: DriverLock | None) -> str | None:
    """The `alas run` that holds the lock (as a phrase naming it), or None."""
    if lock is None or lock.held:
        return None
    holder = lock.holder()
    return holder.describe() if holder else None
