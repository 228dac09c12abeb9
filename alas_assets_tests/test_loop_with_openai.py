"""`alas run` of the tiny domain with the teacher (and, second, the student too) on a loopback OpenAI-compatible
server."""

from __future__ import annotations

import json
import textwrap

import dagster as dg
import pytest

from alas_assets.definitions import build_definitions
from alas_assets.domain import load_domain
from alas_assets.loop import QUIET, run_loop
from alas_assets.partitions import DomainPartitions
from alas_assets.storage.warehouse import SCHEMA, Warehouse, connect
from alas_assets.teacher.response_cache import TABLE
from alas_assets_tests.conftest import write_corpus
from alas_assets_tests.loopback import LoopbackServer, Reply
from alas_assets_tests.scripted_teacher import schema_name, teacher_and_student

KEY_ENV = "ALAS_LOOPBACK_KEY"


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-loopback-0123456789")
    with LoopbackServer() as s:
        s.responder = lambda body: teacher_and_student(body, s._student)
        yield s


def openai_student(server, extra: str = "") -> str:
    """The [student] table of a domain fine-tuned and answered by the loopback server."""
    return f"""
        [student]
        backend = "openai"
        base_url = "{server.openai_url}"
        api_key_env = "{KEY_ENV}"
        model = "gpt-4.1-mini-2025-04-14"
        poll_seconds = 0.01
        {extra}
        """


def domain_file(tmp_path, server, student: str) -> str:
    write_corpus(tmp_path / "corpus")
    path = tmp_path / "tiny-llm.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "tiny-llm"
            description = "A tiny invented domain for tests: a software release and a space survey."
            goals = ["Know who did what, and when"]
            [sources]
            corpus = "corpus"
            [teacher]
            backend = "openai"
            base_url = "{server.openai_url}"
            api_key_env = "{KEY_ENV}"
            model = "loopback-teacher"
            judge_model = "loopback-judge"
            [thresholds]
            qa_pairs_per_topic = 4
            probes_per_topic = 2
            max_iterations = 1
            """
        )
        + textwrap.dedent(student),
        encoding="utf-8",
    )
    return str(path)


def metadata(instance: dg.DagsterInstance, name: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(["tiny_llm", name]))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_an_iteration_with_the_teacher_on_an_openai_compatible_server(tmp_path, server, tiny_model_dir, state_dir):
    path = domain_file(
        tmp_path,
        server,
        f"""
        [student]
        model = "{tiny_model_dir}"
        sft_epochs = 1
        dpo_epochs = 1
        max_new_tokens = 8
        batch_size = 8
        """,
    )
    instance = dg.DagsterInstance.ephemeral()
    [outcome] = run_loop(path, iterations=1, instance=instance)

    warehouse = Warehouse(load_domain(path).database)
    curriculum = warehouse.query(f"select * from {SCHEMA}.curriculum")
    assert sorted(curriculum["topic"]) == ["the-orion-deep-survey", "zephyr-toolkit-9-2-release"]
    assert set(curriculum["planner"]) == {"llm-planner:loopback-teacher"}
    pairs = warehouse.query(f"select * from {SCHEMA}.qa_pairs")
    assert set(pairs["synthesizer"]) == {"llm-synthesizer:loopback-teacher"}
    assert (pairs.groupby("topic")["split"].apply(lambda s: (s == "probe").sum()) == 2).all()
    assert pairs["fact_id"].str.len().gt(0).all() and pairs["answer_span"].str.len().gt(0).all()
    scores = warehouse.query(f"select * from {SCHEMA}.judge_scores")
    assert set(scores["judge"]) == {"llm-judge:loopback-judge"}
    # The tiny random model mostly answers nothing (wrong without asking the judge); what it says is graded.
    assert scores["reasoning"].str.contains(r"^empty answer$|\(factual: (yes|no), complete").all()
    assert outcome.iteration == "it0001" and outcome.accuracy_before == 0.0

    # Usage is reported in the assets' metadata; every validated reply is cached in DuckDB.
    assert metadata(instance, "curriculum")["teacher_requests"] == 1
    assert metadata(instance, "qa_pairs")["teacher_requests"] == 1
    assert "teacher_prompt_tokens" in metadata(instance, "retention_scores")
    cached = warehouse.query(f"select label, count(*) as n from {TABLE} group by label")
    assert {"planner", "synthesizer"} <= set(cached["label"])
    # Re-materialising the plan pays nothing: the reply comes from the cache.
    before = len(server.chat_requests())
    plan = build_definitions(path).resolve_job_def("tiny_llm__plan")
    result = plan.execute_in_process(partition_key="it0001", instance=instance, run_config=QUIET)
    assert result.success and len(server.chat_requests()) == before
    assert metadata(instance, "curriculum")["teacher_cached_replies"] == 1
    # The key went in the Authorization header only, never into the warehouse.
    assert "sk-loopback-0123456789" not in json.dumps(
        warehouse.query(f"select * from {TABLE}").astype(str).values.tolist()
    )
    print(f"\nteacher on loopback: {outcome}; {len(server.chat_requests())} chat requests; {len(pairs)} pairs")


def test_an_iteration_with_teacher_and_student_on_an_openai_compatible_server(tmp_path, server, state_dir):
    path = domain_file(tmp_path, server, openai_student(server, "sft_epochs = 2"))
    instance = dg.DagsterInstance.ephemeral()
    [outcome] = run_loop(path, iterations=1, instance=instance)

    warehouse = Warehouse(load_domain(path).database)
    sft = warehouse.model(str(warehouse.query(f"select model_id from {SCHEMA}.sft_model")["model_id"].iloc[0]))
    hyper = json.loads(sft.hyperparameters)
    assert hyper["method"] == "openai-sft" and hyper["served_model"].startswith("ft:gpt-4.1-mini-2025-04-14:loopback:")
    assert metadata(instance, "sft_model")["served_model"] == hyper["served_model"]
    assert len(server.jobs) in (1, 2)  # SFT, and DPO when the SFT model got training questions wrong
    answered_by = {r["model"] for r in server.chat_requests() if not r.get("response_format")}
    assert hyper["served_model"] in answered_by
    assert outcome.accuracy_after > outcome.accuracy_before
    print(f"\nteacher and student on loopback: {outcome}; {len(server.jobs)} fine-tuning jobs")


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    failure = next(e for e in result.all_events if e.is_step_failure)
    error = failure.step_failure_data.error
    return "\n".join(e.message for e in (error, error.cause) if e is not None)


def test_rate_limits_are_waited_out_and_a_failing_teacher_loses_nothing_stored(tmp_path, server, state_dir):
    path = domain_file(tmp_path, server, openai_student(server))
    defs, instance = build_definitions(path), dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DomainPartitions.for_domain("tiny-llm").iteration.name, ["it0001"])

    def run(job: str, partition: str) -> dg.ExecuteInProcessResult:
        return defs.resolve_job_def(f"tiny_llm__{job}").execute_in_process(
            partition_key=partition, instance=instance, run_config=QUIET, raise_on_error=False
        )

    server.replies.append(Reply(status=429, headers={"Retry-After": "0"}, error="Rate limit reached for requests"))
    assert run("plan", "it0001").success
    assert metadata(instance, "curriculum")["teacher_retries"] == 1
    topics = ["the-orion-deep-survey", "zephyr-toolkit-9-2-release"]
    for topic in topics:
        assert run("study", f"it0001|{topic}").success
    warehouse = Warehouse(load_domain(path).database)
    before = warehouse.query(f"select * from {SCHEMA}.qa_pairs order by pair_id")

    # The synthesizer's replies are no longer cached and the model now answers garbage.
    with connect(load_domain(path).database) as con:
        con.execute(f"delete from {TABLE} where label = 'synthesizer'")
    server.responder = lambda body: (
        Reply('{"facts": [oops') if schema_name(body) == "StudyMaterial" else teacher_and_student(body, server._student)
    )
    result = run("study", f"it0001|{topics[0]}")

    assert not result.success
    assert "synthesizer model 'loopback-teacher'" in failure_message(result)
    assert "no valid StudyMaterial after 3 attempts" in failure_message(result)
    after = warehouse.query(f"select * from {SCHEMA}.qa_pairs order by pair_id")
    assert after.equals(before)
