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


def build_definitions(domain_file: str | Path) -> dg.Definitions:
    domain_file = str(Path(domain_file).resolve())
    domain = load_domain(domain_file)
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
            "domain": DomainResource(domain_file=domain_file),
            "teacher": TeacherResource(domain_file=domain_file),
            "research": ResearchResource(domain_file=domain_file),
            "student": StudentResource(domain_file=domain_file),
            WAREHOUSE_IO: AlasIOManager(database=str(domain.database), schema=SCHEMA, lake_dir=str(domain.lake_dir)),
        },
    )


defs = build_definitions(os.environ.get("ALAS_DOMAIN", str(DEFAULT_DOMAIN_FILE)))
