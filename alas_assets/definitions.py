"""The one Definitions object: the assets, checks, resources, jobs, schedule and sensors of the domain named by
ALAS_DOMAIN."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from alas_assets.assets import build_assets
from alas_assets.assets.shapes import WAREHOUSE_IO
from alas_assets.automation.wiring import build_automation
from alas_assets.domain import DEFAULT_DOMAIN_FILE, load_domain
from alas_assets.jobs import build_jobs
from alas_assets.partitions import Build
from alas_assets.resources import DomainResource, ResearchResource, StudentResource, TeacherResource
from alas_assets.storage.io_manager import AlasIOManager
from alas_assets.storage.warehouse import SCHEMA


def build_definitions(domain_file: str | Path, state_root: str | Path | None = None) -> dg.Definitions:
    """The domain's Definitions. ``state_root``: the folder that holds the domain's state, given to every
    resource, the IO manager and the sensors (None: ``ALAS_STATE_DIR`` or the project's data folder)."""
    domain_file = str(Path(domain_file).resolve())
    root = str(Path(state_root).resolve()) if state_root else None
    domain = load_domain(domain_file, state_root=root)
    build = Build.for_domain(domain.slug)
    stage_jobs = build_jobs(build)
    automation = build_automation(build, domain, stage_jobs)
    return dg.Definitions(
        assets=build_assets(build),
        asset_checks=automation.asset_checks,
        jobs=[*stage_jobs, *automation.jobs],
        schedules=automation.schedules,
        sensors=automation.sensors,
        resources={
            "domain": DomainResource(domain_file=domain_file, state_root=root),
            "teacher": TeacherResource(domain_file=domain_file, state_root=root),
            "research": ResearchResource(domain_file=domain_file, state_root=root),
            "student": StudentResource(domain_file=domain_file, state_root=root),
            WAREHOUSE_IO: AlasIOManager(database=str(domain.database), schema=SCHEMA, lake_dir=str(domain.lake_dir)),
        },
    )


defs = build_definitions(os.environ.get("ALAS_DOMAIN", str(DEFAULT_DOMAIN_FILE)))
