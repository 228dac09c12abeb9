"""The gate: promote the candidate only if it gained on the new topics and kept what it knew."""

from dataclasses import asdict

import dagster as dg
import pandas as pd

from alas_assets.assets.shapes import inputs, per_iteration
from alas_assets.evaluation import (
    accuracy_by_topic,
    independent_accuracy,
    independent_overall,
    promotion_gate,
    retention_suites,
)
from alas_assets.metadata import markdown_table
from alas_assets.partitions import Build
from alas_assets.records import Promotion, to_frame
from alas_assets.resources import DomainResource
from alas_assets.storage.models import parent_model


def _independent_metadata(retention_scores: pd.DataFrame) -> dict:
    """The independent questions' accuracy per model, for the UI: reported, never part of the gate."""
    overall = independent_overall(retention_scores)
    if not overall:
        return {}
    metadata = {f"independent_accuracy_{role}": value for role, value in overall.items()}
    metadata["independent_accuracy"] = markdown_table(independent_accuracy(retention_scores))
    return metadata


def build(b: Build) -> list[dg.AssetsDefinition]:
    @per_iteration(
        b,
        "promote",
        ins=inputs(b, "retention_scores", by_iteration=["baseline_scores", "judge_scores", "dpo_judge_scores"]),
    )
    def promotion(
        context: dg.AssetExecutionContext,
        domain: DomainResource,
        baseline_scores: pd.DataFrame,
        judge_scores: pd.DataFrame,
        dpo_judge_scores: pd.DataFrame,
        retention_scores: pd.DataFrame,
    ) -> pd.DataFrame:
        """Compare candidate and parent on new probes, general knowledge and earlier topics; record the verdict."""
        iteration = context.partition_key
        warehouse = domain.warehouse()
        parent = parent_model(warehouse, domain.domain, iteration)
        candidate_id = str(dpo_judge_scores["model_id"].iloc[0])

        decision = promotion_gate(
            baseline_scores,
            dpo_judge_scores,
            *retention_suites(retention_scores, studied_topics=set(baseline_scores["topic"])),
            domain.domain.thresholds,
        )
        # Set either way: a run killed after promoting and before its row was written leaves the flag
        # behind, and the run that replaces it must be able to take it back.
        warehouse.set_promoted(candidate_id, decision.promoted, decision.to_json())
        before, after_sft, after = (accuracy_by_topic(f) for f in (baseline_scores, judge_scores, dpo_judge_scores))
        per_topic = pd.DataFrame(
            {
                "topic": sorted(before),
                "before": [round(before[t], 3) for t in sorted(before)],
                "after_sft": [round(after_sft.get(t, 0.0), 3) for t in sorted(before)],
                "after_dpo": [round(after.get(t, 0.0), 3) for t in sorted(before)],
            }
        )
        context.add_output_metadata(
            {
                "promoted": decision.promoted,
                "reason": decision.reason,
                "candidate_id": candidate_id,
                "parent_id": parent.model_id,
                "accuracy_before": decision.accuracy_before,
                "accuracy_after": decision.accuracy_after,
                "general_retention": decision.general_retention
                if decision.general_retention is not None
                else float("nan"),
                "earlier_retention": decision.earlier_retention
                if decision.earlier_retention is not None
                else float("nan"),
                "accuracy_per_topic": markdown_table(per_topic),
                **_independent_metadata(retention_scores),
            }
        )
        # A typed row: iteration 1 has no earlier retention, and an all-null column would otherwise
        # create a DuckDB column of type NULL that later iterations' values cannot be inserted into.
        row = Promotion(
            iteration=iteration,
            candidate_id=candidate_id,
            parent_id=parent.model_id,
            **asdict(decision),
            per_topic=per_topic.to_json(orient="records"),
            run_id=context.run_id,
        )
        return to_frame([row], Promotion)

    return [promotion]
