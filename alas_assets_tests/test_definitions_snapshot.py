"""The demo domain's Definitions against a committed snapshot: what the Dagster UI and the loop see.

The snapshot lists every asset (partitions, group, kinds, pool, io manager, inputs and their partition
mappings, resources, description, metadata), every job, schedule, sensor and asset check. An asset,
job, schedule, sensor or check that disappears or changes fails this test; a change meant to alter
them rewrites the snapshot with

    PYTHONPATH=$PWD .venv/bin/python -m alas_assets_tests.test_definitions_snapshot

and the diff of snapshots/definitions_demo.json shows what changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from alas_assets.definitions import build_definitions

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "domains" / "demo.toml"
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "definitions_demo.json"
KIND_TAG = "dagster/kind/"


def _key(key: dg.AssetKey) -> str:
    return key.to_user_string()


def _partitions(definition) -> object:
    """A partitions definition by kind and name; a multi-partition one by its dimensions."""
    if definition is None:
        return None
    if isinstance(definition, dg.MultiPartitionsDefinition):
        return {"multi": {dim.name: _partitions(dim.partitions_def) for dim in definition.partitions_defs}}
    if isinstance(definition, dg.DynamicPartitionsDefinition):
        return {"dynamic": definition.name}
    return {type(definition).__name__: str(definition)}


def _mapping(mapping) -> str | None:
    if mapping is None:
        return None
    dimension = getattr(mapping, "partition_dimension_name", None)
    return f"{type(mapping).__name__}({dimension or ''})"


def _value(value) -> object:
    """Metadata as JSON: plain values as they are, Dagster metadata values by their type and text."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {k: _value(v) for k, v in sorted(value.items())}
    return f"{type(value).__name__}:{value}"


def _asset(assets_def: dg.AssetsDefinition, spec: dg.AssetSpec) -> dict:
    inputs = {name: _key(key) for name, key in assets_def.keys_by_input_name.items()}
    return {
        "partitions": _partitions(spec.partitions_def),
        "group": spec.group_name,
        "kinds": sorted(tag.removeprefix(KIND_TAG) for tag in spec.tags if tag.startswith(KIND_TAG)),
        "tags": {k: v for k, v in sorted(spec.tags.items()) if not k.startswith(KIND_TAG)},
        "pool": assets_def.op.pool,
        "io_manager_key": assets_def.get_io_manager_key_for_asset_key(spec.key),
        "ins": dict(sorted(inputs.items())),
        "deps": {
            _key(dep.asset_key): _mapping(dep.partition_mapping)
            for dep in sorted(spec.deps, key=lambda d: _key(d.asset_key))
        },
        "resources": sorted(assets_def.required_resource_keys),
        "description": spec.description,
        "metadata": _value(dict(spec.metadata)),
        "owners": list(spec.owners),
        "code_version": spec.code_version,
        "automation_condition": str(spec.automation_condition) if spec.automation_condition else None,
    }


def _job(defs: dg.Definitions, name: str) -> dict:
    job = defs.resolve_job_def(name)
    return {
        "description": job.description,
        "assets": sorted(_key(k) for k in job.asset_layer.selected_asset_keys),
        "ops": sorted(node.name for node in job.nodes),
        "tags": dict(sorted(job.tags.items())),
        "partitions": _partitions(job.partitions_def),
    }


def snapshot(defs: dg.Definitions) -> dict:
    assets = {}
    for assets_def in defs.assets or []:
        for spec in assets_def.specs:
            assets[_key(spec.key)] = _asset(assets_def, spec)
    checks = {}
    for checks_def in defs.asset_checks or []:
        for spec in checks_def.check_specs:
            checks[f"{_key(spec.asset_key)}:{spec.name}"] = {
                "description": spec.description,
                "blocking": spec.blocking,
                "additional_deps": sorted(_key(dep.asset_key) for dep in spec.additional_deps),
                "partitions": _partitions(spec.partitions_def),
                "resources": sorted(checks_def.required_resource_keys),
            }
    schedules = {
        s.name: {
            "cron": s.cron_schedule,
            "timezone": s.execution_timezone,
            "job": s.job_name,
            "default_status": s.default_status.value,
            "description": s.description,
        }
        for s in defs.schedules or []
    }
    sensors = {
        s.name: {
            "type": s.sensor_type.value,
            "jobs": sorted(t.job_name for t in s.targets),
            "minimum_interval_seconds": s.minimum_interval_seconds,
            "default_status": s.default_status.value,
            "description": s.description,
        }
        for s in defs.sensors or []
    }
    return {
        "assets": dict(sorted(assets.items())),
        "asset_checks": dict(sorted(checks.items())),
        "jobs": {name: _job(defs, name) for name in sorted(job.name for job in defs.jobs or [])},
        "schedules": dict(sorted(schedules.items())),
        "sensors": dict(sorted(sensors.items())),
        "resources": sorted((defs.resources or {}).keys()),
    }


def demo_snapshot() -> dict:
    return snapshot(build_definitions(DEMO))


def test_the_demo_definitions_match_the_committed_snapshot(state_dir):
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    actual = demo_snapshot()
    for section in expected:
        assert sorted(actual[section]) == sorted(expected[section]), f"{section}: names differ"
        for name in expected[section] if isinstance(expected[section], dict) else []:
            assert actual[section][name] == expected[section][name], f"{section} {name} differs from the snapshot"
    assert actual == expected


def test_the_snapshot_sees_what_is_missing_and_a_changed_group(state_dir):
    defs = build_definitions(DEMO)
    full = snapshot(defs)
    assets, checks, jobs = list(defs.assets or []), list(defs.asset_checks or []), list(defs.jobs or [])
    fewer = snapshot(
        dg.Definitions(assets=assets[:-1], asset_checks=checks[1:], jobs=jobs[1:-2], resources=defs.resources)
    )
    for section in ("assets", "asset_checks", "jobs", "schedules", "sensors"):
        assert set(fewer[section]) < set(full[section])
    regrouped_assets = dg.map_asset_specs(lambda spec: spec.replace_attributes(group_name="other"), assets)
    regrouped = snapshot(dg.Definitions(assets=regrouped_assets, resources=defs.resources))
    assert {a["group"] for a in regrouped["assets"].values()} == {"other"}


if __name__ == "__main__":
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text(json.dumps(demo_snapshot(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
