"""The nightly refresh schedule and the refresh job that opens an iteration."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import pytest

from alas_assets.definitions import build_definitions
from alas_assets.domain import DomainError
from alas_assets_tests.automation.helpers import materialised

SCHEDULE = "tiny__nightly_refresh"
NIGHT = datetime(2026, 6, 2, 2, 0, tzinfo=timezone.utc)


def evaluate(defs, instance):
    schedule = defs.get_schedule_def(SCHEDULE)
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=NIGHT) as context:
        return schedule.evaluate_tick(context)


def refresh(defs, instance) -> dg.ExecuteInProcessResult:
    result = defs.resolve_job_def("tiny__refresh").execute_in_process(instance=instance)
    assert result.success
    return result


def iterations(instance) -> list[str]:
    return sorted(instance.get_dynamic_partitions("tiny__iteration"))


def test_the_schedule_runs_nightly_at_the_domain_cron_in_utc(tiny_defs):
    schedule = tiny_defs.get_schedule_def(SCHEDULE)
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "tiny__refresh"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_the_cron_comes_from_the_domain_file(tiny_domain):
    tiny_domain.write_text('schedule = "30 4 * * 1"\n' + tiny_domain.read_text(), encoding="utf-8")
    assert build_definitions(tiny_domain).get_schedule_def(SCHEDULE).cron_schedule == "30 4 * * 1"


def test_an_invalid_cron_is_refused_naming_the_file(tiny_domain):
    tiny_domain.write_text('schedule = "every night"\n' + tiny_domain.read_text(), encoding="utf-8")
    with pytest.raises(DomainError, match=f"domain file {tiny_domain}: schedule 'every night' is not a cron string"):
        build_definitions(tiny_domain)


def test_an_idle_domain_gets_one_refresh_run_per_night(tiny_defs, instance):
    data = evaluate(tiny_defs, instance)
    [request] = data.run_requests
    assert request.run_key == f"refresh:{NIGHT.isoformat()}"
    assert data.skip_message is None


def test_the_refresh_job_opens_an_iteration_and_reuses_an_unplanned_one(tiny_defs, instance):
    refresh(tiny_defs, instance)
    assert iterations(instance) == ["it0001"]
    refresh(tiny_defs, instance)  # it0001 was never planned: it is reused, not skipped over
    assert iterations(instance) == ["it0001"]

    materialised(instance, dg.AssetKey(["tiny", "curriculum"]), "it0001", topic_keys=dg.MetadataValue.json(["t"]))
    materialised(instance, dg.AssetKey(["tiny", "curriculum_revision"]), "it0001", continue_loop=False)
    result = refresh(tiny_defs, instance)
    assert iterations(instance) == ["it0001", "it0002"]
    assert result.output_for_node("tiny__open_iteration") == "it0002"


def test_no_refresh_while_an_iteration_is_in_progress(tiny_defs, instance):
    refresh(tiny_defs, instance)
    materialised(instance, dg.AssetKey(["tiny", "curriculum"]), "it0001", topic_keys=dg.MetadataValue.json(["t"]))

    data = evaluate(tiny_defs, instance)
    assert data.run_requests == []
    assert data.skip_message == "refresh skipped: iteration it0001 is in progress (planned, not yet revised)"

    refresh(tiny_defs, instance)  # launched by hand anyway: it opens nothing
    assert iterations(instance) == ["it0001"]
