"""The stages of one iteration as jobs, in the order the loop runs them.

Each job holds the assets of one partitioning; the loop (CLI or sensor) launches them for exact
partitions: per-iteration jobs with the iteration key, per-topic jobs with each (iteration, topic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg

from alas_assets.partitions import Build, cell_key


@dataclass(frozen=True)
class Stage:
    job: str
    assets: tuple[str, ...]
    per_topic: bool
    description: str

    def partitions(self, iteration: str, topics: Sequence[str]) -> list[str]:
        """The exact partitions this stage runs for in one iteration: the iteration, or each of its cells."""
        return [cell_key(iteration, t) for t in topics] if self.per_topic else [iteration]

    def job_name(self, prefix: str) -> str:
        return f"{prefix}__{self.job}"


STAGES: tuple[Stage, ...] = (
    Stage("plan", ("curriculum",), False, "plan the curriculum and register its topics"),
    Stage("study", ("raw_sources", "qa_pairs", "baseline_scores"), True, "research, distil, score before training"),
    Stage("fine_tune", ("sft_model",), False, "LoRA SFT on the new pairs and earlier ones"),
    Stage("grade", ("judge_scores", "dpo_pairs"), True, "grade the SFT model, collect its mistakes"),
    Stage("correct", ("dpo_model", "retention_scores"), False, "DPO on the mistakes; retention probes"),
    Stage("regrade", ("dpo_judge_scores",), True, "grade the candidate on held-out probes"),
    Stage(
        "promote",
        ("promotion", "curriculum_revision", "deployment"),
        False,
        "the promotion gate, the revision, the export of the promoted model",
    ),
)


def build_jobs(b: Build) -> list[dg.UnresolvedAssetJobDefinition]:
    return [
        dg.define_asset_job(
            stage.job_name(b.prefix),
            selection=[b.key(name) for name in stage.assets],
            partitions_def=b.parts.iteration_topic if stage.per_topic else b.parts.iteration,
            description=stage.description,
        )
        for stage in STAGES
    ]
