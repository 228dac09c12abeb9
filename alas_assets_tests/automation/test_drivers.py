"""One driver per domain: `alas run` refused while the daemon drives; sensors skip while `alas run` does;
the runs of an `alas run` that died are marked failed once nobody holds the lock."""

from __future__ import annotations

import os
import subprocess
import uuid

import dagster as dg
import pytest
from dagster._core.events import EngineEventData
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteInstigatorOrigin, RemoteRepositoryOrigin
from dagster._core.scheduler.instigation import InstigatorState, InstigatorStatus, InstigatorType, SensorInstigatorData

from alas_assets.automation.drivers import recover_dead_runs, take_the_wheel
from alas_assets.domain import load_domain
from alas_assets.loop import dagster_home, persistent_instance, run_loop
from alas_assets.partitions import Build
from alas_assets.storage.driver_lock import DomainBusy, driver_lock
from alas_assets_tests.automation.helpers import queued_run, tick
from alas_assets_tests.crash import run_messages

LOOP = "tiny__loop_sensor"
B = Build.for_domain("tiny")


def started_cli_run(instance, job_name: str, partition: str) -> dg.DagsterRun:
    """What a killed `alas run` leaves: its run STARTED for ever."""
    run = dg.DagsterRun(
        job_name=job_name,
        run_id=str(uuid.uuid4()),
        status=dg.DagsterRunStatus.STARTED,
        tags={"dagster/partition": partition, "alas/trigger": "cli", "alas/driver": "alas run (pid 1 on h, since t)"},
    )
    return instance.add_run(run)


def launched_run(instance, job_name: str, status: dg.DagsterRunStatus, pid: int | None) -> dg.DagsterRun:
    """A run the daemon or the UI launched; its run worker recorded its pid as Dagster's code server does."""
    run = instance.add_run(
        dg.DagsterRun(job_name=job_name, run_id=str(uuid.uuid4()), status=status, tags={"dagster/partition": "it0001"})
    )
    if pid is not None:
        instance.report_engine_event(f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid))
    return run


def test_recovery_fails_the_runs_whose_process_is_gone_with_the_reason_and_leaves_the_others(tiny_domain, instance):
    ended = subprocess.Popen(["true"])
    ended.wait()  # its pid no longer exists
    S = dg.DagsterRunStatus
    cli = started_cli_run(instance, "tiny__plan", "it0001")
    worker_gone = launched_run(instance, "tiny__study", S.STARTED, ended.pid)
    starting_gone = launched_run(instance, "tiny__study", S.STARTING, ended.pid)
    alive = launched_run(instance, "tiny__study", S.STARTED, os.getpid())
    no_pid_yet = launched_run(instance, "tiny__study", S.STARTING, None)  # left to run monitoring's start timeout
    queued = queued_run(instance, "tiny__study", "it0001")
    other_domain = launched_run(instance, "other__study", S.STARTED, ended.pid)
    domain = load_domain(tiny_domain)

    live = driver_lock(domain).acquire("alas run")  # a live alas run drives: nothing is touched
    try:
        assert recover_dead_runs(instance, B, driver_lock(domain)) == []
    finally:
        live.release()
    with driver_lock(domain).acquire("alas run") as lock:
        dead = recover_dead_runs(instance, B, lock)

    assert sorted(r.run_id for r in dead) == sorted(r.run_id for r in (cli, worker_gone, starting_gone))
    status = lambda run: instance.get_run_by_id(run.run_id).status  # noqa: E731
    assert [status(r) for r in (cli, worker_gone, starting_gone)] == [S.FAILURE] * 3
    assert [status(r) for r in (alive, no_pid_yet, queued, other_domain)] == [
        S.STARTED,
        S.STARTING,
        S.NOT_STARTED,
        S.STARTED,
    ]
    assert any(
        "alas run (pid 1 on h, since t), died without ending it; marked failed on recovery" in m
        for m in run_messages(instance, cli.run_id)
    )
    for run in (worker_gone, starting_gone):
        assert any(
            f"(pid {ended.pid}) is gone without ending it; marked failed on recovery" in m
            for m in run_messages(instance, run.run_id)
        )


def test_the_dagster_yaml_alas_writes_turns_on_run_monitoring_and_upgrades_its_older_one(tmp_path, monkeypatch):
    homes = {name: tmp_path / name for name in ("fresh", "older", "users")}
    older = (
        "# Written by alas. DuckDB-writing assets share one pool of one slot: DuckDB has one writer per file.\n"
        "concurrency:\n  pools:\n    default_limit: 1\n"
    )
    for name, text in (("older", older), ("users", "telemetry:\n  enabled: false\n")):
        homes[name].mkdir()
        (homes[name] / "dagster.yaml").write_text(text)
    for name in ("fresh", "older"):
        monkeypatch.setenv("DAGSTER_HOME", str(homes[name]))
        dagster_home()
        with dg.DagsterInstance.get() as instance:
            assert instance.run_monitoring_enabled and instance.run_monitoring_max_resume_run_attempts == 0, name
            assert instance.run_monitoring_start_timeout_seconds == 300
            assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    monkeypatch.setenv("DAGSTER_HOME", str(homes["users"]))
    dagster_home()
    assert (homes["users"] / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"  # not alas's: left alone


def test_the_persistent_instance_opens_the_domains_dagster_home_and_leaves_the_environment_alone(
    tiny_domain, tmp_path, monkeypatch
):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "from-the-environment"))
    domain = load_domain(tiny_domain, dagster_home=tmp_path / "given")
    with persistent_instance(domain) as instance:
        assert instance.root_directory == str(tmp_path / "given")
        assert instance.run_monitoring_enabled  # the dagster.yaml alas wrote there
    assert os.environ["DAGSTER_HOME"] == str(tmp_path / "from-the-environment")
    assert not (tmp_path / "from-the-environment").exists()


def test_alas_run_is_refused_while_a_refresh_run_is_in_flight(tiny_domain, instance):
    refresh = queued_run(instance, "tiny__refresh", "")

    with pytest.raises(DomainBusy, match=f"domain 'tiny' is being driven by run {refresh.run_id} of job tiny__refresh"):
        run_loop(tiny_domain, iterations=1, instance=instance)
    assert driver_lock(load_domain(tiny_domain)).holder() is None  # refused: the lock is not kept


def test_alas_run_is_refused_while_the_loop_sensor_is_turned_on(tiny_domain, instance):
    origin = RemoteInstigatorOrigin(
        RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("alas"), "__repository__"), LOOP
    )
    instance.add_instigator_state(
        InstigatorState(
            origin,
            InstigatorType.SENSOR,
            InstigatorStatus.RUNNING,
            SensorInstigatorData(min_interval=30, sensor_type=None),
        )
    )
    with pytest.raises(DomainBusy, match=f"the loop sensor {LOOP} \\(turned on"):
        take_the_wheel(instance, B, driver_lock(load_domain(tiny_domain)), "alas run")


def test_the_loop_sensor_skips_while_alas_run_drives_and_recovers_its_runs_once_it_died(
    tiny_defs, tiny_domain, instance
):
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
