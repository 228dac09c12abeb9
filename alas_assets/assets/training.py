"""Train the student: LoRA SFT (on the new pairs plus rehearsal, or from the base on every pair), then DPO on its
mistakes."""

import json

import dagster as dg
import pandas as pd

from alas_assets.assets.shapes import MODEL, inputs, per_cell, per_iteration
from alas_assets.curation import preference_pairs, swapped_value_pairs
from alas_assets.metadata import markdown_table, reads_earlier
from alas_assets.partitions import Build
from alas_assets.records import Judgement, ModelVersion, PreferencePair, QAPair, from_frame, to_frame
from alas_assets.resources import DomainResource, StudentResource
from alas_assets.storage.models import adapter_chain, answerer
from alas_assets.training_plan import plan_dpo, plan_sft, sft_start_model


def _model_metadata(version: ModelVersion) -> dict:
    served = json.loads(version.hyperparameters).get("served_model")
    return {
        "model_id": version.model_id,
        **({"served_model": served} if served else {}),
        "parent_id": version.parent_id or "",
        "train_examples": version.train_examples,
        "train_tokens": version.train_tokens,
        "train_loss": version.train_loss if version.train_loss is not None else float("nan"),
        "train_seconds": version.train_seconds,
        "tokens_per_second": version.tokens_per_second,
        "artifact_path": dg.MetadataValue.path(version.artifact_path),
    }


def _resumed(context: dg.AssetExecutionContext, result) -> dict:
    """Metadata (and a log line) when training resumed from a checkpoint of a run that was killed."""
    if not result.resumed_from_epoch:
        return {}
    context.log.info(
        f"training resumed after epoch {result.resumed_from_epoch} (the checkpoint of an earlier, interrupted run)"
    )
    return {"resumed_from_epoch": result.resumed_from_epoch}


def build(b: Build) -> list[dg.AssetsDefinition]:
    @per_iteration(b, "train", kinds=MODEL, ins=inputs(b, by_iteration=["qa_pairs"]))
    def sft_model(
        context: dg.AssetExecutionContext, domain: DomainResource, student: StudentResource, qa_pairs: pd.DataFrame
    ) -> pd.DataFrame:
        """LoRA SFT of the latest promoted model on this iteration's pairs plus a rehearsal sample (or, with
        sft_start = "base", of the base model on every training pair so far)."""
        iteration = context.partition_key
        settings = domain.domain.student
        warehouse = domain.warehouse()
        start = sft_start_model(warehouse, domain.domain, iteration)
        backend = student.backend()
        plan = plan_sft(
            domain.domain,
            iteration,
            from_frame(qa_pairs, QAPair),
            warehouse.pairs_before(iteration, "train"),  # earlier iterations' training pairs: the replay
            start,
            backend.kind,
            answerer(domain.domain, warehouse, backend, start.model_id),
        )
        replay = plan.replay
        context.log.info(
            f"SFT of {start.model_id} on {len(plan.new)} new + {len(replay.pairs)} {replay.kind} pairs, "
            f"anchored to its own answers to {len(plan.anchors)} general questions"
        )
        result = backend.train_sft(
            adapter_chain(warehouse, start.model_id),
            plan.examples,
            plan.recipe.artifact_dir(domain.domain.models_dir),
            epochs=settings.sft_epochs,
            learning_rate=settings.sft_learning_rate,
            on_log=context.log.info,
            anchors=plan.anchors,
        )
        version = plan.recipe.version(result, domain.domain.models_dir, context.run_id)
        warehouse.register(version)
        context.add_output_metadata(
            {
                **_model_metadata(version),
                "new_pairs": len(plan.new),
                f"{replay.kind}_pairs": len(replay.pairs),
                "anchors": len(plan.anchors),
                **reads_earlier(iteration, every=["qa_pairs (training pairs, for the replay)"]),
                **({"examples_trained_per_epoch": list(result.trained_per_epoch)} if result.trained_per_epoch else {}),
                **_resumed(context, result),
            }
        )
        return to_frame([version], ModelVersion)

    @per_cell(b, "train", ins=inputs(b, "judge_scores", "qa_pairs"))
    def dpo_pairs(
        context: dg.AssetExecutionContext, domain: DomainResource, judge_scores: pd.DataFrame, qa_pairs: pd.DataFrame
    ) -> pd.DataFrame:
        """Reference answer (preferred) vs the SFT model's wrong answer, on training questions only; and,
        with ``dpo_swapped_values``, vs the same answer with another date, number or version of its document."""
        judgements = from_frame(judge_scores, Judgement)
        pairs = from_frame(qa_pairs, QAPair)
        preferences, dropped = preference_pairs(judgements, pairs)
        if domain.domain.student.dpo_swapped_values:
            preferences += swapped_value_pairs(pairs, judgements[0].model_id if judgements else "")
        for preference in preferences:
            preference.run_id = context.run_id
        frame = to_frame(preferences, PreferencePair)
        context.add_output_metadata(
            {
                "preference_pairs": len(frame),
                "swapped_value_pairs": int((frame["kind"] == "swapped value").sum()) if len(frame) else 0,
                "degenerate_dropped": dropped,
                "pairs": markdown_table(frame[["prompt", "rejected"]]),
            }
        )
        return frame

    @per_iteration(b, "train", kinds=MODEL, ins=inputs(b, "sft_model", by_iteration=["dpo_pairs"]))
    def dpo_model(
        context: dg.AssetExecutionContext,
        domain: DomainResource,
        student: StudentResource,
        dpo_pairs: pd.DataFrame,
        sft_model: pd.DataFrame,
    ) -> pd.DataFrame:
        """DPO of the SFT model on its preference pairs; the SFT model itself when there are none."""
        settings = domain.domain.student
        warehouse = domain.warehouse()
        sft = from_frame(sft_model, ModelVersion)[0]
        preferences = from_frame(dpo_pairs, PreferencePair)
        if not preferences:
            context.log.info("no preference pairs: DPO skipped, the SFT model is the candidate")
            context.add_output_metadata({**_model_metadata(sft), "dpo": "skipped: no preference pairs"})
            return to_frame([sft], ModelVersion)
        backend = student.backend()
        plan = plan_dpo(domain.domain, context.partition_key, sft, preferences, backend.kind)
        beta = domain.domain.thresholds.dpo_beta
        result = backend.train_dpo(
            adapter_chain(warehouse, sft.model_id),
            plan.triples,
            plan.recipe.artifact_dir(domain.domain.models_dir),
            beta=beta,
            epochs=settings.dpo_epochs,
            learning_rate=settings.dpo_learning_rate,
            on_log=context.log.info,
        )
        version = plan.recipe.version(result, domain.domain.models_dir, context.run_id)
        warehouse.register(version)
        context.add_output_metadata(
            {
                **_model_metadata(version),
                "preference_pairs": len(plan.triples),
                "beta": beta,
                **_resumed(context, result),
            }
        )
        return to_frame([version], ModelVersion)

    return [sft_model, dpo_pairs, dpo_model]
