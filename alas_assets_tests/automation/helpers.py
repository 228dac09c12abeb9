"""Tick sensors and run what they request against a real (temporary, persistent) Dagster instance."""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg

from alas_assets.loop import QUIET


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, name: str, cursor: str | None = None):
    """One sensor tick as the daemon runs it: evaluated, then its partition requests applied."""
    sensor = defs.get_sensor_def(name)
    with dg.build_sensor_context(
        instance_ref=instance.get_ref(), definitions=defs, cursor=cursor, sensor_name=name
    ) as context:
        data = sensor.evaluate_tick(context)
    for request in data.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return data


def execute(defs: dg.Definitions, instance: dg.DagsterInstance, request: dg.RunRequest, job_name: str | None = None):
    """Run what a sensor or schedule requested, in process, with the tags the daemon would give it."""
    job = defs.resolve_job_def(request.job_name or job_name)
    tags = {**request.tags, **({"dagster/run_key": request.run_key} if request.run_key else {})}
    return job.execute_in_process(
        partition_key=request.partition_key, instance=instance, tags=tags, run_config=QUIET, raise_on_error=False
    )


def materialised(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str, **metadata) -> None:
    """Record a materialisation without running anything (to put the loop in a given state quickly)."""
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, partition=partition, metadata=metadata))


def queued_run(instance: dg.DagsterInstance, job_name: str, partition: str) -> dg.DagsterRun:
    run = dg.DagsterRun(
        job_name=job_name,
        run_id=str(uuid.uuid4()),
        status=dg.DagsterRunStatus.NOT_STARTED,
        tags={"dagster/partition": partition},
    )
    return instance.add_run(run)


def with_feeds(domain_file: Path, feeds: list[str]) -> Path:
    """The tiny domain, with these feeds among its sources."""
    text = domain_file.read_text(encoding="utf-8")
    listed = ", ".join(f'"{f}"' for f in feeds)
    domain_file.write_text(
        text.replace('corpus = "corpus"', f'corpus = "corpus"\nfeeds = [{listed}]'), encoding="utf-8"
    )
    return domain_file
