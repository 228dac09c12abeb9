"""The OpenAI student: SFT and DPO as fine-tuning jobs of the OpenAI API, answers from the fine-tuned model.

WARNING: OpenAI accepts no new fine-tuning jobs after 2027-01-06 (notice of 2026-05-07; organisations
that never used fine-tuning were cut off at once). This backend works only while that lasts; the
local student (open weights, LoRA) is the default and has no such limit.

A model version's artifact folder holds `model.json`, naming the fine-tuned model ID, its job and
training file, and `training.jsonl`, the exact data uploaded. The chain of a version is the list
of such folders; its last one names the model to answer with (the base model when empty). A job in
flight is remembered beside its target folder, so a re-run polls it instead of paying for another.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from alas_assets.openai_api import APIError, with_retries
from alas_assets.records import content_hash
from alas_assets.student.base import TrainResult, write_folder_atomically

log = logging.getLogger(__name__)

FINE_TUNING_SHUTDOWN = date(2027, 1, 6)
SHUTDOWN_WARNING = (
    "OpenAI accepts no new fine-tuning jobs after 2027-01-06 (organisations that never used fine-tuning "
    'are already refused); use the local student (student.backend = "local") to keep training after that.'
)
MANIFEST = "model.json"
TERMINAL = {"succeeded", "failed", "cancelled"}


class OpenAIStudentError(RuntimeError):
    """A fine-tuning job or an answer that failed; the message names the job or model."""


def _suffix(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[-40:] or "alas"


class OpenAIStudent:
    kind = "openai"

    def __init__(
        self,
        client,
        base_model: str,
        *,
        max_new_tokens: int = 40,
        seed: int = 0,
        poll_seconds: float = 30.0,
        max_wait_seconds: float = 24 * 3600,
        max_retries: int = 5,
        backoff_seconds: float = 1.0,
        secrets: tuple[str, ...] = (),
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.base_model = base_model
        self.max_new_tokens = max_new_tokens
        self.seed = seed
        self.poll_seconds = poll_seconds
        self.max_wait_seconds = max_wait_seconds
        self.retry = dict(max_retries=max_retries, backoff_seconds=backoff_seconds, secrets=secrets, sleep=sleep)
        self.sleep = sleep

    def _call(self, what: str, call: Callable):
        try:
            return with_retries(call, what, **self.retry)
        except APIError as exc:
            raise OpenAIStudentError(str(exc)) from None

    # --- answering ------------------------------------------------------------------------------
    def model_for(self, chain: Sequence[str]) -> str:
        """The model ID of a version: the fine-tuned model named in its last artifact, else the base model."""
        if not chain:
            return self.base_model
        manifest = Path(chain[-1]) / MANIFEST
        try:
            return str(json.loads(manifest.read_text(encoding="utf-8"))["fine_tuned_model"])
        except (OSError, ValueError, KeyError) as exc:
            raise OpenAIStudentError(f"{manifest} does not name a fine-tuned model: {exc}") from None

    def answer(
        self,
        chain: Sequence[str],
        questions: Sequence[str],
        progress: Callable[[int], None] | None = None,
        expected: Sequence[str | None] | None = None,  # a remote model cannot be teacher-forced: always generate
    ) -> list[str]:
        model = self.model_for(chain)
        answers = []
        for question in questions:
            response = self._call(
                f"answering with {model}",
                lambda question=question: self.client.chat.completions.create(
                    model=model,
                    messages=[{"role": "user", "content": question}],
                    temperature=0,
                    max_tokens=self.max_new_tokens,
                    seed=self.seed,
                ),
            )
            answers.append((response.choices[0].message.content or "").strip() if response.choices else "")
            if progress:
                progress(len(answers))
        return answers

    # --- training -------------------------------------------------------------------------------
    def train_sft(
        self,
        chain: Sequence[str],
        examples: Sequence[tuple[str, str]],
        out_dir: Path,
        *,
        epochs: int,
        learning_rate: float,
        on_log: Callable[[str], None] | None = None,
        anchors: Sequence[tuple[str, str]] = (),
    ) -> TrainResult:
        """A supervised fine-tuning job. `learning_rate` is not passed: OpenAI takes a multiplier, left on auto.

        The service has no divergence loss, so anchors (the parent's own answers) are ordinary examples."""
        if not examples:
            raise OpenAIStudentError("SFT needs at least one training example")
        examples = [*examples, *anchors]
        lines = [
            {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]} for q, a in examples
        ]
        method = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": epochs}}}
        return self._fine_tune(chain, lines, method, Path(out_dir), len(examples), on_log)

    def train_dpo(
        self,
        chain: Sequence[str],
        preferences: Sequence[tuple[str, str, str]],
        out_dir: Path,
        *,
        beta: float,
        epochs: int,
        learning_rate: float,
        on_log: Callable[[str], None] | None = None,
    ) -> TrainResult:
        if not preferences:
            raise OpenAIStudentError("DPO needs at least one preference pair")
        lines = [
            {
                "input": {"messages": [{"role": "user", "content": p}]},
                "preferred_output": [{"role": "assistant", "content": c}],
                "non_preferred_output": [{"role": "assistant", "content": r}],
            }
            for p, c, r in preferences
        ]
        method = {"type": "dpo", "dpo": {"hyperparameters": {"beta": beta, "n_epochs": epochs}}}
        return self._fine_tune(chain, lines, method, Path(out_dir), len(preferences), on_log)

    def _fine_tune(
        self, chain: Sequence[str], lines: list[dict], method: dict, out_dir: Path, count: int, on_log
    ) -> TrainResult:
        say = on_log or (lambda message: log.info("%s", message))
        parent = self.model_for(chain)
        data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
        data_hash = content_hash(parent, method, data.decode())
        pending = out_dir.parent / f".{out_dir.name}.job.json"
        started = time.monotonic()
        job_id, file_id = self._resume(pending, data_hash)
        if job_id is None:
            if date.today() > FINE_TUNING_SHUTDOWN:
                log.error(
                    "fine-tuning after %s: OpenAI is expected to refuse the job. %s",
                    FINE_TUNING_SHUTDOWN,
                    SHUTDOWN_WARNING,
                )
            else:
                log.warning(SHUTDOWN_WARNING)
            uploaded = self._call(
                "uploading the training file",
                lambda: self.client.files.create(
                    file=(f"{out_dir.name}.jsonl", data, "application/jsonl"), purpose="fine-tune"
                ),
            )
            file_id = uploaded.id
            say(f"uploaded {count} {method['type']} examples as {file_id}")
            job = self._call(
                f"creating a {method['type']} fine-tuning job of {parent}",
                lambda: self.client.fine_tuning.jobs.create(
                    model=parent, training_file=file_id, method=method, suffix=_suffix(out_dir.name), seed=self.seed
                ),
            )
            job_id = job.id
            pending.parent.mkdir(parents=True, exist_ok=True)
            pending.write_text(
                json.dumps({"job_id": job_id, "file_id": file_id, "data_hash": data_hash}), encoding="utf-8"
            )
            say(f"fine-tuning job {job_id} created ({method['type']}, from {parent})")
        job, loss = self._wait(job_id, say)
        pending.unlink(missing_ok=True)
        if job.status != "succeeded" or not job.fine_tuned_model:
            error = getattr(job, "error", None)
            detail = getattr(error, "message", None) or str(error or "no reason given")
            raise OpenAIStudentError(f"fine-tuning job {job_id} ended '{job.status}': {detail}")
        manifest = {
            "backend": "openai",
            "fine_tuned_model": job.fine_tuned_model,
            "parent_model": parent,
            "job_id": job_id,
            "training_file": file_id,
            "method": method,
            "trained_tokens": job.trained_tokens,
            "data_hash": data_hash,
        }
        _write_artifact(out_dir, manifest, data)
        say(f"fine-tuned model {job.fine_tuned_model} ready")
        return TrainResult(
            count, int(job.trained_tokens or 0), loss, time.monotonic() - started, model_ref=job.fine_tuned_model
        )

    def _resume(self, pending: Path, data_hash: str) -> tuple[str | None, str | None]:
        """A job this same training data already started (the run was interrupted), unless it failed."""
        try:
            state = json.loads(pending.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None, None
        if state.get("data_hash") != data_hash:
            return None, None
        job = self._call(
            f"reading fine-tuning job {state['job_id']}", lambda: self.client.fine_tuning.jobs.retrieve(state["job_id"])
        )
        if job.status in ("failed", "cancelled"):
            return None, None
        log.info("resuming fine-tuning job %s (status %s)", job.id, job.status)
        return job.id, state.get("file_id")

    def _wait(self, job_id: str, say: Callable[[str], None]):
        """Poll the job until it ends, forwarding its new events in order; the last reported training loss."""
        seen: set[str] = set()
        loss: float | None = None
        deadline = time.monotonic() + self.max_wait_seconds
        while True:
            job = self._call(f"reading fine-tuning job {job_id}", lambda: self.client.fine_tuning.jobs.retrieve(job_id))
            events = self._call(
                f"reading the events of {job_id}", lambda: self.client.fine_tuning.jobs.list_events(job_id, limit=100)
            )
            for event in sorted(events.data, key=lambda e: (e.created_at, e.id)):
                if event.id in seen:
                    continue
                seen.add(event.id)
                data = event.data if isinstance(event.data, dict) else {}
                if event.type == "metrics" and isinstance(data.get("train_loss"), (int, float)):
                    loss = float(data["train_loss"])
                say(f"{job_id} [{event.level}] {event.message}")
            if job.status in TERMINAL:
                return job, loss
            if time.monotonic() > deadline:
                raise OpenAIStudentError(
                    f"fine-tuning job {job_id} still '{job.status}' after {self.max_wait_seconds:.0f}s; "
                    "re-run the asset later to resume polling it"
                )
            self.sleep(self.poll_seconds)


def _write_artifact(out_dir: Path, manifest: dict, data: bytes) -> None:
    """The manifest and the training data, renamed into place: readers never see half an artifact."""

    def write(folder: Path) -> None:
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        (folder / "training.jsonl").write_bytes(data)

    write_folder_atomically(out_dir, write)
