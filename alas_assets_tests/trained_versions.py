"""A domain whose registry holds real, trained model versions of the sharp tiny model (seconds to train).

Version 1 memorised LEARNED; version 2 (trained on top of it) answers the first question differently,
so a test can tell which version answered."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timezone
from pathlib import Path

from alas_assets.records import ModelVersion

QUESTION = "What is the Zephyr codename?"
LEARNED = [(QUESTION, "Quillfeather."), ("Who maintains Zephyr?", "Ada Brightwater.")]
RELEARNED = [(QUESTION, "Nightingale."), ("Who maintains Zephyr?", "Ada Brightwater.")]
METRICS = {
    "promoted": True,
    "reason": "gained 0.50 on new probes",
    "accuracy_before": 0.0,
    "accuracy_after": 0.5,
    "general_retention": 1.0,
    "earlier_retention": None,
}


def train_adapters(model_dir: Path, folder: Path) -> tuple[Path, Path]:
    from alas_assets.student.local import LocalStudent

    student = LocalStudent(str(model_dir), batch_size=2, max_new_tokens=16, seed=0)
    first, second = folder / "v1", folder / "v2"
    student.train_sft([], LEARNED, first, epochs=30, learning_rate=1e-2)
    student.train_sft([str(first)], RELEARNED, second, epochs=30, learning_rate=1e-2)
    return first, second


def write_domain(folder: Path, model_dir: Path) -> Path:
    (folder / "corpus").mkdir(parents=True, exist_ok=True)
    path = folder / "trained.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "trained"
            description = "A tiny domain with trained versions."
            [sources]
            corpus = "corpus"
            [student]
            model = "{model_dir}"
            max_new_tokens = 16
            """
        ),
        encoding="utf-8",
    )
    return path


def register(warehouse, model_id: str, iteration: str, parent: str, adapter: Path, promoted: bool) -> ModelVersion:
    version = ModelVersion(
        model_id=model_id,
        iteration=iteration,
        stage="sft",
        parent_id=parent,
        base_model="sharp",
        artifact_path=str(adapter),
        data_hash=f"hash-{model_id}",
        hyperparameters=json.dumps({"epochs": 30}),
        train_examples=2,
        train_tokens=100,
        created_at=datetime.now(timezone.utc),
        promoted=promoted,
        metrics=json.dumps(METRICS) if promoted else "{}",
    )
    warehouse.register(version)
    return version
