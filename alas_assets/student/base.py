"""What every student backend provides: answers from a model version, and SFT / DPO training of one.

A model version is named by its *chain*: the artifact folders of its ancestors since the base model,
in order (the registry's `artifact_path`s, base excluded). The local backend merges LoRA adapters
found there; the OpenAI backend reads the fine-tuned model ID written into the last one.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class TrainResult:
    examples: int
    tokens: int
    loss: float | None
    seconds: float
    model_ref: str | None = None  # the ID a remote service serves the trained model under, if any
    trained_per_epoch: tuple[int, ...] = ()  # examples each epoch trained (fewer when learned ones are skipped)
    resumed_from_epoch: int = 0  # training resumed from the checkpoint of this epoch (0: from scratch)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


class Student(Protocol):
    kind: str  # prefix of the training method recorded in the registry: "lora", "openai"

    def answer(
        self,
        chain: Sequence[str],
        questions: Sequence[str],
        progress: Callable[[int], None] | None = None,
        expected: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Greedy answers of the model version `chain` to `questions`, in order.

        `expected` (optional, per question) is an answer the backend may check instead of generating:
        where it can show greedy decoding gives exactly that answer it may return it. Backends that
        cannot check it generate every answer."""

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
        """Supervised fine-tuning of `chain` on (question, answer) pairs; the new version's artifact goes to `out_dir`.

        `anchors` are (question, the parent's own answer): what the new version should keep saying."""

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
        """DPO of `chain` on (prompt, chosen, rejected); the new version's artifact goes to `out_dir`."""


def write_folder_atomically(out_dir: Path, write: Callable[[Path], None], *, keep_existing: bool = False) -> None:
    """`write` fills a temporary folder beside `out_dir`, which is then renamed into place: readers never
    see half a folder. An existing `out_dir` is replaced, or kept (the new one dropped) with `keep_existing`."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-"))
    try:
        write(staging)
        if out_dir.exists():
            if keep_existing:
                return
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
