"""The OpenAI student against a loopback server emulating /v1/files, /v1/fine_tuning/jobs and their /events."""

from __future__ import annotations

import json
import logging

import pytest

from alas_assets.openai_api import make_client
from alas_assets.student.openai_student import MANIFEST, OpenAIStudent, OpenAIStudentError
from alas_assets_tests.loopback import LoopbackServer

BASE = "gpt-4.1-mini-2025-04-14"
EXAMPLES = [
    ("Who led the Zephyr Toolkit 9.2 release?", "Marta Kowalczyk led it."),
    ("When was Zephyr Toolkit 9.2 released?", "On 4 March 2026."),
]


@pytest.fixture
def server():
    with LoopbackServer() as s:
        yield s


def student(server, sleeps=None) -> OpenAIStudent:
    return OpenAIStudent(
        make_client(server.openai_url, "sk-test", 10),
        BASE,
        max_new_tokens=16,
        seed=3,
        poll_seconds=0.5,
        backoff_seconds=0.0,
        sleep=(sleeps if sleeps is not None else []).append,
    )


def uploads(server) -> list[dict]:
    return [r for r in server.requests if r["path"] == "/v1/files"]


def test_sft_uploads_the_data_runs_a_supervised_job_and_returns_the_fine_tuned_model(server, tmp_path, caplog):
    logged: list[str] = []
    sleeps: list[float] = []
    out = tmp_path / "models" / "tiny-it0001-sft-1a2b3c4d"
    with caplog.at_level(logging.WARNING):
        result = student(server, sleeps).train_sft(
            [], EXAMPLES, out, epochs=3, learning_rate=1e-3, on_log=logged.append
        )

    assert "2027-01-06" in caplog.text  # the shutdown of OpenAI fine-tuning is warned about
    [file_id] = server.files
    lines = [json.loads(line) for line in server.files[file_id].decode().splitlines()]
    assert lines[0] == {
        "messages": [{"role": "user", "content": EXAMPLES[0][0]}, {"role": "assistant", "content": EXAMPLES[0][1]}]
    }
    assert "multipart/form-data" in uploads(server)[0]["headers"]["content-type"]
    [job] = server.jobs.values()
    created = next(r["json"] for r in server.requests if r["path"] == "/v1/fine_tuning/jobs" and r["method"] == "POST")
    assert created["model"] == BASE and created["training_file"] == file_id and created["seed"] == 3
    assert created["method"] == {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}}
    assert created["suffix"] == "tiny-it0001-sft-1a2b3c4d"

    assert result.model_ref == job["fine_tuned_model"] and result.model_ref.startswith(f"ft:{BASE}:")
    assert result.examples == 2 and result.tokens == job["trained_tokens"] > 0 and result.loss == pytest.approx(0.42)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["fine_tuned_model"] == result.model_ref and manifest["job_id"] == job["id"]
    assert (out / "training.jsonl").read_bytes() == server.files[file_id]
    assert not list(out.parent.glob(".*"))  # no pending job file or staging folder left behind
    # The job's events are forwarded in the order they happened, each once.
    events = [line for line in logged if line.startswith(job["id"])]
    assert events[0].endswith("Created fine-tuning job: " + job["id"])
    assert "training loss=0.42" in events[2] and events[-1].endswith("The job has successfully completed")
    assert len(events) == len(set(events)) == 5
    assert sleeps and set(sleeps) == {0.5}


def test_probes_are_answered_by_the_fine_tuned_model(server, tmp_path):
    backend = student(server)
    out = tmp_path / "sft"
    result = backend.train_sft([], EXAMPLES, out, epochs=1, learning_rate=1e-3)
    answers = backend.answer([str(out)], ["Name who was in charge of the Zephyr Toolkit 9.2 release"])
    assert answers == ["Marta Kowalczyk led it."]
    asked = server.chat_requests()[-1]
    assert asked["model"] == result.model_ref and asked["temperature"] == 0 and asked["max_tokens"] == 16
    assert backend.answer([], ["Who led it?"]) == ["I do not know."]
    assert server.chat_requests()[-1]["model"] == BASE


def test_dpo_runs_a_dpo_job_with_beta_from_the_parent_fine_tuned_model(server, tmp_path):
    backend = student(server)
    sft = tmp_path / "sft"
    parent = backend.train_sft([], EXAMPLES, sft, epochs=1, learning_rate=1e-3).model_ref
    result = backend.train_dpo(
        [str(sft)],
        [("Who led it?", "Marta Kowalczyk.", "Amara Okafor.")],
        tmp_path / "dpo",
        beta=0.2,
        epochs=2,
        learning_rate=2e-4,
    )

    created = [r["json"] for r in server.requests if r["path"] == "/v1/fine_tuning/jobs" and r["method"] == "POST"][-1]
    assert created["model"] == parent
    assert created["method"] == {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2, "n_epochs": 2}}}
    line = json.loads(list(server.files.values())[-1].decode())
    assert line == {
        "input": {"messages": [{"role": "user", "content": "Who led it?"}]},
        "preferred_output": [{"role": "assistant", "content": "Marta Kowalczyk."}],
        "non_preferred_output": [{"role": "assistant", "content": "Amara Okafor."}],
    }
    assert backend.model_for([str(sft), str(tmp_path / "dpo")]) == result.model_ref != parent


def test_a_failed_job_fails_clearly_and_leaves_no_artifact(server, tmp_path):
    server.job_outcome = "failed"
    out = tmp_path / "sft"
    with pytest.raises(OpenAIStudentError, match=r"ftjob-\d+ ended 'failed': The training file has too few examples"):
        student(server).train_sft([], EXAMPLES, out, epochs=1, learning_rate=1e-3)
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_an_interrupted_job_is_resumed_not_paid_for_again(server, tmp_path):
    backend = student(server)
    out = tmp_path / "sft"
    first = backend.train_sft([], EXAMPLES, out, epochs=1, learning_rate=1e-3)
    # Pretend the run died after the job was created: the pending file names it, the artifact is gone.
    pending = json.loads((out / MANIFEST).read_text())
    (tmp_path / ".sft.job.json").write_text(
        json.dumps(
            {"job_id": pending["job_id"], "file_id": pending["training_file"], "data_hash": pending["data_hash"]}
        )
    )
    (out / MANIFEST).unlink()
    again = backend.train_sft([], EXAMPLES, out, epochs=1, learning_rate=1e-3)
    assert again.model_ref == first.model_ref
    assert len(uploads(server)) == 1 and len(server.jobs) == 1


def test_a_version_without_a_manifest_is_refused_with_its_path(server, tmp_path):
    with pytest.raises(OpenAIStudentError, match="does not name a fine-tuned model"):
        student(server).answer([str(tmp_path / "missing")], ["q"])
