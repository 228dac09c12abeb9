"""Helpers of the crash tests: a real `alas` subprocess with a fault point, and what a crash may leave."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

REPO = Path(__file__).resolve().parent.parent


def small_domain(domain_file: Path, epochs: int = 2) -> Path:
    """The tiny domain with `epochs` SFT epochs and 4 general probes and replay questions (fast to answer)."""
    folder = domain_file.parent
    for name, source in (("probes.jsonl", "general_probes.jsonl"), ("replay.jsonl", "general_replay.jsonl")):
        lines = (REPO / "data" / source).read_text(encoding="utf-8").splitlines()[:4]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = domain_file.read_text(encoding="utf-8")
    text = text.replace("[sources]", 'general_probes = "probes.jsonl"\ngeneral_replay = "replay.jsonl"\n[sources]', 1)
    text = text.replace("sft_epochs = 1", f"sft_epochs = {epochs}")
    domain_file.write_text(text, encoding="utf-8")
    return domain_file


def environment(**extra: str) -> dict[str, str]:
    """This process's environment (ALAS_STATE_DIR and DAGSTER_HOME from the fixtures), importing this clone."""
    return {**os.environ, "PYTHONPATH": str(REPO), "TOKENIZERS_PARALLELISM": "false", **extra}


@dataclass
class AlasProcess:
    """`alas <args>` in a subprocess, stopped at a fault point of alas_assets_tests.crash_driver."""

    process: subprocess.Popen
    marker: Path
    log: Path

    @classmethod
    def start(
        cls, folder: Path, point: str | None, args: list[str], mode: str = "sleep", env: dict | None = None
    ) -> AlasProcess:
        name = (point or "no-fault").replace(":", "-")
        marker, log = folder / f"{name}-{time.monotonic_ns()}.json", folder / f"{name}-{time.monotonic_ns()}.log"
        command = (
            [sys.executable, "-m", "alas_assets_tests.crash_driver", point, str(marker), mode, "--", *args]
            if point
            else [sys.executable, "-m", "alas_assets.cli", *args]
        )
        with open(log, "wb") as out:
            process = subprocess.Popen(
                command, cwd=REPO, env=env or environment(), stdout=out, stderr=subprocess.STDOUT
            )
        return cls(process, marker, log)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def reached(self, timeout: float = 240) -> dict:
        """Wait until the fault point is reached; its marker's details."""
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"alas ended (rc {self.process.returncode}) before {self.marker.stem}:\n{self.output()[-4000:]}"
                )
            if time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"{self.marker.stem} not reached in {timeout}s:\n{self.output()[-4000:]}")
            time.sleep(0.1)
        return json.loads(self.marker.read_text())

    def kill(self, signo: int = signal.SIGKILL, timeout: float = 60) -> tuple[int, float]:
        """Send a signal; (the exit status, seconds until the process was gone)."""
        sent = time.monotonic()
        os.kill(self.pid, signo)
        code = self.process.wait(timeout)
        return code, time.monotonic() - sent

    def wait(self, timeout: float = 600) -> int:
        return self.process.wait(timeout)


def runs_by_status(instance: dg.DagsterInstance) -> dict[str, list[dg.DagsterRun]]:
    found: dict[str, list[dg.DagsterRun]] = {}
    for run in instance.get_runs():
        found.setdefault(run.status.value, []).append(run)
    return found


def run_messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [record.message or "" for record in instance.all_logs(run_id)] + [
        record.dagster_event.message or "" for record in instance.all_logs(run_id) if record.dagster_event
    ]
