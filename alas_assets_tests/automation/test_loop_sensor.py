"""The loop sensor: each stage of the latest iteration requested once, in order; the next iteration opened or not."""

from __future__ import annotations

import dagster as dg

from alas_assets.jobs import STAGES
from alas_assets.partitions import cell_key
from alas_assets_tests.automation.helpers import execute, materialised, queued_run, tick

LOOP = "tiny__loop_sensor"
TOPICS = ["orion-mission", "zephyr-release"]


def key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["tiny", name])


def iterations(instance) -> list[str]:
    return sorted(instance.get_dynamic_partitions("tiny__iteration"))


def open_iteration(defs, instance) -> None:
    assert defs.resolve_job_def("tiny__refresh").execute_in_process(instance=instance).success


def test_no_iteration_yet_is_a_skip(tiny_defs, instance):
    data = tick(tiny_defs, instance, LOOP)
    assert data.run_requests == []
    assert "no iteration yet" in data.skip_message


def test_an_opened_iteration_is_planned_once(tiny_defs, instance):
    open_iteration(tiny_defs, instance)

    [request] = tick(tiny_defs, instance, LOOP).run_requests
    assert (request.job_name, request.partition_key, request.run_key) == ("tiny__plan", "it0001", "plan:it0001")

    queued_run(instance, "tiny__plan", "it0001")  # what the daemon does with the request
    again = tick(tiny_defs, instance, LOOP)
    assert again.run_requests == []
    assert "waiting for stage 'plan'" in again.skip_message


def test_a_planned_iteration_gets_its_first_missing_stage_per_topic(tiny_defs, instance):
    open_iteration(tiny_defs, instance)
    materialised(instance, key("curriculum"), "it0001", topic_keys=dg.MetadataValue.json(TOPICS))
    instance.add_dynamic_partitions("tiny__topic", TOPICS)  # as the curriculum asset does
    for asset in STAGES[1].assets:  # orion's study is done; zephyr's is not
        materialised(instance, key(asset), str(cell_key("it0001", "orion-mission")))

    [request] = tick(tiny_defs, instance, LOOP).run_requests

    assert request.job_name == "tiny__study"
    assert request.partition_key == "it0001|zephyr-release"
    assert request.tags["alas/stage"] == "study" and request.tags["alas/iteration"] == "it0001"


def test_a_failed_stage_is_reported_not_retried(tiny_defs, instance):
    open_iteration(tiny_defs, instance)
    materialised(instance, key("curriculum"), "it0001", topic_keys=dg.MetadataValue.json(["orion-mission"]))
    instance.add_dynamic_partitions("tiny__topic", ["orion-mission"])
    [request] = tick(tiny_defs, instance, LOOP).run_requests
    result = execute(tiny_defs, instance, request)  # fails for real: the curriculum is not in the warehouse
    assert not result.success

    data = tick(tiny_defs, instance, LOOP)

    assert data.run_requests == []
    assert "stage 'study' did not materialise for it0001|orion-mission" in data.skip_message
    assert "FAILURE" in data.skip_message


def test_a_revision_that_goes_on_opens_the_next_iteration(tiny_defs, instance):
    open_iteration(tiny_defs, instance)
    materialised(instance, key("curriculum_revision"), "it0001", continue_loop=True, stop_reason="")

    data = tick(tiny_defs, instance, LOOP)

    [request] = data.run_requests
    assert (request.job_name, request.partition_key) == ("tiny__plan", "it0002")
    assert iterations(instance) == ["it0001", "it0002"]


def test_a_revision_that_stops_opens_nothing(tiny_defs, instance):
    open_iteration(tiny_defs, instance)
    materialised(
        instance, key("curriculum_revision"), "it0001", continue_loop=False, stop_reason="every topic is mastered"
    )

    data = tick(tiny_defs, instance, LOOP)

    assert data.run_requests == []
    assert "loop stopped (every topic is mastered)" in data.skip_message
    assert iterations(instance) == ["it0001"]


def test_a_failed_plan_is_tried_again_after_a_refresh(tiny_defs, instance):
    open_iteration(tiny_defs, instance)
    failed = dg.DagsterRun(
        job_name="tiny__plan",
        run_id="0" * 8 + "-failed",
        status=dg.DagsterRunStatus.FAILURE,
        tags={"dagster/partition": "it0001"},
    )
    instance.add_run(failed)
    assert "did not materialise" in tick(tiny_defs, instance, LOOP).skip_message

    open_iteration(tiny_defs, instance)  # the next refresh reuses the unplanned iteration
    [request] = tick(tiny_defs, instance, LOOP).run_requests

    assert request.partition_key == "it0001" and request.run_key.startswith("plan:it0001:after-")
    assert iterations(instance) == ["it0001"]


def test_a_curriculum_without_topic_keys_is_not_guessed_at(tiny_defs, instance):
    open_iteration(tiny_defs, instance)
    materialised(instance, key("curriculum"), "it0001", topics=2)  # materialised before topic_keys were recorded

    data = tick(tiny_defs, instance, LOOP)

    assert data.run_requests == []
    assert "records no topic_keys" in data.skip_message


def test_the_loop_sensor_drives_a_whole_iteration_through_real_runs(tiny_defs, tiny_domain, instance):
    """Every stage in order, every partition requested exactly once, the checks pass, progress is shown."""
    open_iteration(tiny_defs, instance)
    requested: list[tuple[str, str]] = []
    for _ in range(20):
        data = tick(tiny_defs, instance, LOOP)
        if not data.run_requests:
            break
        for request in data.run_requests:
            requested.append((request.job_name.removeprefix("tiny__"), request.partition_key))
            assert execute(tiny_defs, instance, request).success, request

    cells = [f"it0001|{t}" for t in TOPICS]
    expected = [(s.job, p) for s in STAGES for p in (cells if s.per_topic else ["it0001"])]
    assert sorted(requested, key=expected.index) == expected and len(set(requested)) == len(requested)
    assert "loop stopped" in data.skip_message  # a tiny random model gains nothing: converged after it0001

    checks = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(key("qa_pairs"), "citations_point_at_fetched_sources"), limit=10
    )
    assert len(checks) == 2 and all(c.status.value == "SUCCEEDED" for c in checks)
    revision = instance.get_latest_materialization_event(key("curriculum_revision")).asset_materialization.metadata
    assert revision["accuracy_plot"].value.startswith("![held-out accuracy per iteration](data:image/png;base64,")
    assert "| topic | it0001 |" in revision["accuracy_by_iteration"].value
    from alas_assets.domain import load_domain
    from alas_assets.storage.warehouse import SCHEMA, Warehouse

    stored = Warehouse(load_domain(tiny_domain).database).query(
        f"select accuracy_after from {SCHEMA}.curriculum_revision"
    )
    assert revision["mean_accuracy_after"].value == round(float(stored["accuracy_after"].mean()), 3)
