"""Who drives a domain, and what is left of a driver that died.

A domain has one driver at a time: an `alas run` (which holds the domain's driver lock,
``alas_assets.storage.driver_lock``), or the daemon (the loop sensor turned on, or the loop's,
feed sensor's or refresh's runs in flight). `alas run` is refused while any of them drives; the
sensors and the schedule skip, naming the holder, while an `alas run` holds the lock.

A run that `alas run` executes is tagged ``alas/trigger = cli``. If that process dies (``kill -9``,
a power cut) its run stays STARTED in the instance for ever, holding its slot of the DuckDB pool;
once nobody holds the lock, such a run cannot be alive, and ``recover_dead_runs`` marks it failed,
naming the driver that died, and gives its pool slot back. It does the same for a run the daemon or
the UI launched whose process is gone (``dagster dev`` killed with its run workers): Dagster's run
monitoring (on in the dagster.yaml that alas writes) fails runs that never started, but with the
DefaultRunLauncher it cannot tell that a STARTED run's worker died.
"""

from __future__ import annotations

import os

import dagster as dg
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType

from alas_assets.automation.state import runs_in_flight
from alas_assets.partitions import Build
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
    """Mark failed, with the reason, the runs of the domain still in flight whose process is gone: those
    of `alas run` while no live `alas run` holds the lock, and STARTING or STARTED ones of the daemon or
    the UI whose recorded process no longer exists. Gives their pool slots back; returns them.

    Call it holding the lock, or from a sensor (it does nothing while another process holds it)."""
    if not lock.held and lock.holder() is not None:
        return []
    dead = []
    for run in runs_in_flight(instance, b, with_refresh=True):
        if run.tags.get(TRIGGER_TAG) == CLI_TRIGGER:
            driver = run.tags.get(DRIVER_TAG, "alas run")
            why = f"the process that executed this run, {driver}, died without ending it"
        elif run.status in (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED) and (
            pid := gone_pid(instance, run)
        ):
            why = f"the process that executed this run (pid {pid}) is gone without ending it"
        else:
            continue
        instance.report_run_failed(run, message=f"{why}; marked failed on recovery")
        free_pool_slots(instance, run.run_id)
        dead.append(run)
    return dead


def run_worker_pid(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The pid of the process that executes a run: the first engine event that records one (the run
    worker, or the process of execute_in_process; later ones name step processes). None before it starts."""
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = record.dagster_event.engine_event_data if record.dagster_event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None and str(pid.value).isdigit():
            return int(pid.value)
    return None


def gone_pid(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The pid of the run's process if that process is known to be gone, else None. Only with the
    DefaultRunLauncher, whose run workers are processes on this machine (its code servers are, as
    workspace.yaml loads them); a pid that exists (or belongs to another user) counts as alive, and so
    does a run that recorded none."""
    if not isinstance(instance.run_launcher, DefaultRunLauncher):
        return None
    pid = run_worker_pid(instance, run)
    if not pid:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return pid
    except PermissionError:
        pass  # another user's process: alive
    return None


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
    running = [
        run for run in runs_in_flight(instance, b, with_refresh=True) if run.tags.get(TRIGGER_TAG) != CLI_TRIGGER
    ]
    if running:
        run = running[0]
        trigger = run.tags.get(TRIGGER_TAG) or (
            "the refresh" if run.tags.get("alas/refresh") else "the UI or the daemon"
        )
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
