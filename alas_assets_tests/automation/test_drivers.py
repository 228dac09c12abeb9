"""One driver per domain: `alas run` refused while the daemon drives; sensors skip while `alas run` does;
the runs of an `alas run` that died are marked failed once nobody holds the lock."""

from __future__ import annotations

import uuid

import dagster as dg
import pytest
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteInstigatorOrigin, RemoteRepositoryOrigin
from dagster._core.scheduler.instigation import InstigatorState, InstigatorStatus, InstigatorType, SensorInstigatorData

from alas_assets.assets._shared import Build
from alas_assets.automation.drivers import take_the_wheel
from alas_assets.domain import load_domain
from alas_assets.loop import run_loop
from alas_assets.storage.driver_lock import DomainBusy, driver_lock
from alas_assets_tests.automation.helpers import queued_run, tick


LOOP = "tiny__loop_sensor"
B = Build.for_domain("tiny")


def started_cli_run(instance, job_name: str, partition: str) -> dg.DagsterRun:
    """What a killed `alas run` leaves: its run STARTED for ever."""
    run = dg.DagsterRun(job_name=job_name, run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED,
                        tags={"dagster/partition": partition, "alas/trigger": "cli", "alas/driver": "alas run (pid 1 on h, since t)"})
    return instance.add_run(run)


def test_alas_run_is_refused_while_a_refresh_run_is_in_flight(tiny_domain, instance):
    refresh = queued_run(instance, "tiny__refresh", "")

    with pytest.raises(DomainBusy, match=f"domain 'tiny' is being driven by run {refresh.run_id} of job tiny__refresh"):
        run_loop(tiny_domain, iterations=1, instance=instance)
    assert driver_lock(load_domain(tiny_domain)).holder() is None  # refused: the lock is not kept


def test_alas_run_is_refused_while_the_loop_sensor_is_turned_on(tiny_domain, instance):
    origin = RemoteInstigatorOrigin(RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("alas"), "__repository__"), LOOP)
    instance.add_instigator_state(
        InstigatorState(origin, InstigatorType.SENSOR, InstigatorStatus.RUNNING, SensorInstigatorData(min_interval=30, sensor_type=None))
    )
    with pytest.raises(DomainBusy, match=f"the loop sensor {LOOP} \\(turned on"):
        take_the_wheel(instance, B, driver_lock(load_domain(tiny_domain)), "alas run")


def test_the_loop_sensor_skips_while_alas_run_drives_and_recovers_its_runs_once_it_died(tiny_defs, tiny_domain, instance):
    instance.add_dynamic_partitions("tiny__iteration", ["it0001"])
    stuck = started_cli_run(instance, "tiny__plan", "it0001")
    lock = driver_lock(load_domain(tiny_domain)).acquire("alas run")  # a live alas run
    try:
        skip = tick(tiny_defs, instance, LOOP).skip_message
        assert "the domain is driven by alas run (pid" in skip and "one driver per domain" in skip
        assert instance.get_run_by_id(stuck.run_id).status == dg.DagsterRunStatus.STARTED  # alive: left alone
    finally:
        lock.release()  # as when the holder dies

    data = tick(tiny_defs, instance, LOOP)

    assert instance.get_run_by_id(stuck.run_id).status == dg.DagsterRunStatus.FAILURE
    assert "did not materialise for it0001" in data.skip_message  # reported as failed, not waited on for ever
