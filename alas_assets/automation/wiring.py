"""Everything automation adds to a domain's Definitions: the refresh job, the schedule, the sensors, the checks."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from dagster._utils.schedules import is_valid_cron_string

from alas_assets.automation.checks import build_checks
from alas_assets.automation.loop_sensor import build_loop_sensor
from alas_assets.automation.schedules import build_nightly_schedule, build_refresh_job
from alas_assets.automation.sensors import build_feed_sensor
from alas_assets.domain import Domain, DomainError
from alas_assets.partitions import Build
from alas_assets.storage.driver_lock import driver_lock


@dataclass(frozen=True)
class Automation:
    jobs: list[dg.JobDefinition]
    schedules: list[dg.ScheduleDefinition]
    sensors: list[dg.SensorDefinition]
    asset_checks: list[dg.AssetChecksDefinition]


def build_automation(b: Build, domain: Domain, stage_jobs: list) -> Automation:
    if not is_valid_cron_string(domain.schedule):
        raise DomainError(
            f"domain file {domain.path}: schedule {domain.schedule!r} is not a cron string like '0 2 * * *'"
        )
    # Resolved when evaluated (the state folder may come from the environment): the domain's driver lock.
    lock = lambda: driver_lock(domain)  # noqa: E731
    refresh = build_refresh_job(b, lock)
    return Automation(
        jobs=[refresh],
        schedules=[build_nightly_schedule(b, domain.schedule, refresh, lock)],
        sensors=[build_loop_sensor(b, stage_jobs, lock), build_feed_sensor(b, domain)],
        asset_checks=build_checks(b),
    )
