"""Fault injection: a real `alas run` killed at each named point, then run again, on the tiny model.

One iteration of the tiny domain is driven by six `alas run` processes in turn: the first five are
stopped at a fault point (kill -9 inside the DuckDB write of qa_pairs, kill -9 mid-SFT, SIGTERM
mid-SFT, kill -9 while the SFT adapter is written, kill -9 during promotion), the sixth finishes the
iteration. After every stop the state is checked: nothing half-written is registered or loadable,
no partition has duplicate or missing rows, the promoted model is the old one or the new one, the
run of a dead process is marked failed by the next `alas run` and the one stopped by SIGTERM is
canceled. While the first process holds the domain, a second `alas run` and the loop sensor are
refused, naming it.
"""

from __future__ import annotations

import signal
from pathlib import Path

import dagster as dg
import pandas as pd

from alas_assets.automation.state import IN_FLIGHT, busy, runs_in_flight
from alas_assets.cli import main
from alas_assets.definitions import build_definitions
from alas_assets.domain import load_domain
from alas_assets.partitions import Build
from alas_assets.storage.driver_lock import driver_lock
from alas_assets.storage.models import adapter_chain
from alas_assets.storage.warehouse import REGISTRY, SCHEMA, Warehouse
from alas_assets_tests.automation.helpers import tick
from alas_assets_tests.crash import AlasProcess, run_messages, runs_by_status, small_domain

B = Build.for_domain("tiny")


def partition_rows(domain) -> list[tuple[str, str, int, int]]:
    """(table, partition folder, rows in Parquet, rows in DuckDB) of every Parquet partition of the lake."""
    found = []
    for part in sorted(domain.lake_dir.rglob("*.parquet")):
        table = part.relative_to(domain.lake_dir).parts[0]
        keys = dict(p.split("=", 1) for p in part.relative_to(domain.lake_dir).parts[1:-1])
        where = " and ".join(f"{k} = ?" for k in keys) or "true"
        stored = Warehouse(domain.database).query(
            f"select count(*) as n from {SCHEMA}.{table} where {where}", list(keys.values())
        )
        found.append(
            (table, "/".join(f"{k}={v}" for k, v in keys.items()), len(pd.read_parquet(part)), int(stored["n"].iloc[0]))
        )
    return found


def assert_consistent(domain, where: str) -> None:
    """What must hold after any crash: whole partitions in DuckDB and Parquet alike, no duplicate keys,
    every registered model complete on disk, the promoted model a registered, loadable one."""
    warehouse = Warehouse(domain.database)
    for table, partition, in_parquet, in_duckdb in partition_rows(domain):
        assert in_parquet == in_duckdb, (
            f"after {where}: {table} {partition} has {in_duckdb} rows in DuckDB, {in_parquet} in Parquet"
        )
    pairs = warehouse.query(f"select pair_id from {SCHEMA}.qa_pairs", tables=(f"{SCHEMA}.qa_pairs",))
    assert not pairs.empty and pairs["pair_id"].is_unique, f"after {where}: duplicate qa_pairs rows"
    models = warehouse.models()
    assert len({m.model_id for m in models}) == len(models), f"after {where}: a model registered twice"
    for model in models:
        if model.stage != "base":
            folder = Path(model.artifact_path)
            assert (folder / "adapter_config.json").is_file() and (folder / "adapter_model.safetensors").is_file(), (
                f"after {where}: {model.model_id} is registered but its adapter is incomplete"
            )
    promoted = warehouse.promoted_model()
    assert promoted is not None and all(
        Path(p, "adapter_config.json").is_file() for p in adapter_chain(warehouse, promoted.model_id)
    )


def dead(process: AlasProcess, signo: int = signal.SIGKILL) -> tuple[int, float]:
    code, seconds = process.kill(signo)
    assert code == -signo if signo == signal.SIGKILL else code == 128 + signo, process.output()[-3000:]
    return code, seconds


def test_alas_run_survives_kills_at_every_named_point(tiny_domain, tmp_path, monkeypatch, capsys):
    small_domain(tiny_domain, epochs=2)
    domain = load_domain(tiny_domain)
    args = ["run", "--domain", str(tiny_domain), "--iterations", "1"]
    work = tmp_path / "faults"
    work.mkdir()
    faults, killed_runs = [], []

    # 1. kill -9 inside the DuckDB transaction of the second qa_pairs partition.
    first = AlasProcess.start(work, "qa_pairs_write:2", args)
    writing = first.reached()
    instance = dg.DagsterInstance.get()  # the subprocess's persistent instance (DAGSTER_HOME)
    # One driver per domain: a second `alas run`, the loop sensor and the schedule's check are refused,
    # naming the holder.
    monkeypatch.setenv("ALAS_DOMAIN", str(tiny_domain))
    assert main(args) == 3
    refusal = capsys.readouterr().err
    assert f"domain 'tiny' is being driven by alas run (pid {first.pid} " in refusal, refusal
    skip = tick(build_definitions(tiny_domain), instance, "tiny__loop_sensor").skip_message
    assert f"driven by alas run (pid {first.pid} " in skip, skip
    assert f"alas run (pid {first.pid} " in busy(instance, B, driver_lock(domain))
    dead(first)
    faults.append("kill -9 during the DuckDB write of qa_pairs")
    stored = Warehouse(domain.database).query(f"select distinct topic from {SCHEMA}.qa_pairs")
    assert (
        writing["partition"].split("|")[1] not in set(stored["topic"]) and len(stored) == 1
    )  # the first partition, whole
    assert_consistent(domain, faults[-1])
    [study] = [r for r in runs_in_flight(instance, B) if r.job_name == "tiny__study"]  # dead, still STARTED
    killed_runs.append(study.run_id)

    # 2. kill -9 mid-SFT, after the first epoch's checkpoint.
    second = AlasProcess.start(work, "mid_sft", args)
    assert second.reached() == {"point": "mid_sft", "pid": second.pid, "after_epoch": 1, "resumed_from": 0}
    assert instance.get_run_by_id(study.run_id).status == dg.DagsterRunStatus.FAILURE  # recovered by the new driver
    assert any("died without ending it" in m for m in run_messages(instance, study.run_id))
    dead(second)
    faults.append("kill -9 mid-SFT")
    [checkpoint] = list(domain.models_dir.glob(".*.checkpoint"))
    assert (checkpoint / "state.pt").is_file()
    assert not Warehouse(domain.database).query(f"select * from {REGISTRY} where stage = 'sft'").shape[0]
    assert_consistent(domain, faults[-1])
    killed_runs += [r.run_id for r in runs_in_flight(instance, B)]

    # 3. SIGTERM mid-SFT, while computing: resumed from epoch 1; stops within seconds; its run canceled.
    third = AlasProcess.start(work, "mid_sft", args, mode="compute")
    assert third.reached()["resumed_from"] == 1
    [fine_tune] = [r for r in runs_in_flight(instance, B) if r.job_name == "tiny__fine_tune"]
    _, stop_seconds = dead(third, signal.SIGTERM)
    faults.append("SIGTERM mid-SFT")
    assert stop_seconds < 15, f"SIGTERM took {stop_seconds:.1f}s to stop alas run"
    assert "stopped by SIGTERM" in third.output()
    assert instance.get_run_by_id(fine_tune.run_id).status == dg.DagsterRunStatus.CANCELED
    assert_consistent(domain, faults[-1])

    # 4. kill -9 while the SFT adapter is being written (its files in staging, not yet renamed into place).
    fourth = AlasProcess.start(work, "adapter_write", args)
    adapter = fourth.reached()
    dead(fourth)
    faults.append("kill -9 while an adapter is written")
    assert (
        not Path(adapter["out_dir"]).exists() and Path(adapter["staging"]).is_dir()
    )  # half an adapter, never in place
    assert str(adapter["out_dir"]) not in set(m.artifact_path for m in Warehouse(domain.database).models())
    assert_consistent(domain, faults[-1])
    killed_runs += [r.run_id for r in runs_in_flight(instance, B)]

    # 5. kill -9 during promotion: the registry's flag is set, the promotion row is not written.
    fifth = AlasProcess.start(work, "promotion", args)
    promoting = fifth.reached()
    dead(fifth)
    faults.append("kill -9 during promotion")
    warehouse = Warehouse(domain.database)
    assert warehouse.promoted_model().model_id in {"tiny-base", promoting["model_id"]}  # the old one or the new one
    assert not warehouse.table_exists(f"{SCHEMA}.promotion")
    assert_consistent(domain, faults[-1])
    killed_runs += [r.run_id for r in runs_in_flight(instance, B)]

    # 6. The iteration finishes.
    last = AlasProcess.start(work, None, args)
    assert last.wait() == 0, last.output()[-4000:]
    assert "marked 1 run(s) failed whose process died" in last.output()
    assert_consistent(domain, "the run that finished")
    instance = dg.DagsterInstance.get()
    assert instance.run_monitoring_enabled  # the dagster.yaml alas wrote: the daemon fails runs that never start
    assert not instance.get_runs(dg.RunsFilter(statuses=list(IN_FLIGHT)))  # no run of the instance left STARTED
    statuses = runs_by_status(instance)
    assert sorted(r.run_id for r in statuses["FAILURE"]) == sorted(killed_runs) and len(killed_runs) == 4
    for run_id in killed_runs:  # each failed with the reason: its process died
        assert any("died without ending it; marked failed on recovery" in m for m in run_messages(instance, run_id)), (
            run_id
        )
    assert [r.job_name for r in statuses["CANCELED"]] == ["tiny__fine_tune"]
    promotion = warehouse.query(f"select candidate_id, promoted from {SCHEMA}.promotion").iloc[0]
    assert promotion["candidate_id"] == promoting["model_id"]
    assert warehouse.model(promotion["candidate_id"]).promoted == bool(
        promotion["promoted"]
    )  # the flag agrees with the verdict
    assert warehouse.table_exists(f"{SCHEMA}.curriculum_revision")
    sft = instance.get_latest_materialization_event(B.key("sft_model")).asset_materialization.metadata
    assert sft["resumed_from_epoch"].value == 2  # the adapter written after the kill came from the last checkpoint
    assert not list(domain.models_dir.glob(".*"))  # no checkpoint or staging folder left behind
    print(
        f"\nfaults injected and survived: {len(faults)} ({'; '.join(faults)}); "
        f"SIGTERM stopped alas run in {stop_seconds:.1f}s"
    )


def test_ctrl_c_stops_alas_run_within_seconds_and_cancels_its_run(tiny_domain, tmp_path):
    small_domain(tiny_domain, epochs=1)
    args = ["run", "--domain", str(tiny_domain), "--iterations", "1"]
    running = AlasProcess.start(tmp_path, "plan", args, mode="compute")
    running.reached()
    code, seconds = running.kill(signal.SIGINT)

    assert code == 130, running.output()[-3000:]
    assert seconds < 15, f"Ctrl-C took {seconds:.1f}s to stop alas run"
    instance = dg.DagsterInstance.get()
    [run] = instance.get_runs()
    assert run.job_name == "tiny__plan" and run.status == dg.DagsterRunStatus.CANCELED
    assert "stopped by SIGINT" in running.output()
    lock = driver_lock(load_domain(tiny_domain))
    assert lock.holder() is None  # released: the next alas run may start at once
    print(f"\nCtrl-C stopped alas run in {seconds:.1f}s")
