"""Train the student: LoRA SFT (on the new pairs plus rehearsal, or from the base on every pair), then DPO on its
mistakes."""

import json
from datetime import datetime, timezone

import dagster as dg
import pandas as pd

from alas_assets.assets.shapes import MODEL, inputs, per_cell, per_iteration
from alas_assets.curation import (
    preference_pairs,
    read_questions,
    rehearsal_sample,
    replayable,
    self_replay,
    sft_examples,
)
from alas_assets.evaluation import evaluation_questions
from alas_assets.metadata import markdown_table
from alas_assets.partitions import Build
from alas_assets.records import Judgement, ModelVersion, PreferencePair, QAPair, content_hash, from_frame, to_frame
from alas_assets.resources import DomainResource, StudentResource
from alas_assets.storage.models import adapter_chain, answerer, ensure_base_model, parent_model


def _version(
    context: dg.AssetExecutionContext,
    stage: str,
    parent: ModelVersion,
    domain,
    model_id: str,
    data_hash: str,
    hyper: dict,
    result,
) -> ModelVersion:
    return ModelVersion(
        model_id=model_id,
        iteration=context.partition_key,
        stage=stage,
        parent_id=parent.model_id,
        base_model=parent.base_model,
        artifact_path=str(domain.models_dir / model_id),
        data_hash=data_hash,
        # A remote backend's own ID for the trained model (e.g. OpenAI's ft:...), recorded for the registry.
        hyperparameters=json.dumps({**hyper, **({"served_model": result.model_ref} if result.model_ref else {})}),
        train_examples=result.examples,
        train_tokens=result.tokens,
        train_loss=result.loss,
        train_seconds=round(result.seconds, 2),
        tokens_per_second=round(result.tokens_per_second, 1),
        created_at=datetime.now(timezone.utc),
        run_id=context.run_id,
    )


def _model_id(domain, iteration: str, stage: str, parent: ModelVersion, data_hash: str, hyper: dict) -> str:
    """Named by what made it: the same parent, data and settings give the same ID (and artifact folder)."""
    return f"{domain.slug}-{iteration}-{stage}-{content_hash(parent.model_id, data_hash, hyper)[:8]}"


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
        pairs = from_frame(qa_pairs, QAPair)
        new = [p for p in pairs if p.split == "train"]
        # Never replayed: anything that looks like a probe or an evaluation question.
        probes = [p.question for p in pairs if p.split == "probe"] + evaluation_questions(domain.domain)
        earlier = warehouse.pairs_before(iteration, "train")
        from_base = settings.sft_start == "base"
        if from_base:  # a fresh adapter on the base, trained on everything so far
            start = ensure_base_model(warehouse, domain.domain)
            replayed, replay_kind = replayable(earlier, probes), "earlier"
        else:
            start = parent_model(warehouse, domain.domain, iteration)
            replayed, replay_kind = (
                rehearsal_sample(earlier, new, settings.rehearsal_fraction, probes, settings.seed),
                "rehearsal",
            )
        backend = student.backend()
        anchors = self_replay(
            read_questions(domain.domain.general_replay_file),
            evaluation_questions(domain.domain),
            answerer(domain.domain, warehouse, backend, start.model_id),
        )
        examples = sft_examples(new + replayed)
        hyper = {
            "method": f"{backend.kind}-sft",
            "epochs": settings.sft_epochs,
            "learning_rate": settings.sft_learning_rate,
            "lora_rank": settings.lora_rank,
            "batch_size": settings.batch_size,
            # Only when set: model IDs of the default settings stay what they were.
            **({"start": "base"} if from_base else {"rehearsal_fraction": settings.rehearsal_fraction}),
            "anchors": len(anchors),
            **({"lora_layers": settings.lora_layers} if settings.lora_layers else {}),
            **({"skip_learned": True} if settings.skip_learned else {}),
        }
        data_hash = content_hash([examples, sorted(anchors)])
        context.log.info(
            f"SFT of {start.model_id} on {len(new)} new + {len(replayed)} {replay_kind} pairs, "
            f"anchored to its own answers to {len(anchors)} general questions"
        )
        model_id = _model_id(domain.domain, iteration, "sft", start, data_hash, hyper)
        result = backend.train_sft(
            adapter_chain(warehouse, start.model_id),
            examples,
            domain.domain.models_dir / model_id,
            epochs=settings.sft_epochs,
            learning_rate=settings.sft_learning_rate,
            on_log=context.log.info,
            anchors=anchors,
        )
        version = _version(context, "sft", start, domain.domain, model_id, data_hash, hyper, result)
        warehouse.register(version)
        context.add_output_metadata(
            {
                **_model_metadata(version),
                "new_pairs": len(new),
                f"{replay_kind}_pairs": len(replayed),
                "anchors": len(anchors),
                **({"examples_trained_per_epoch": list(result.trained_per_epoch)} if result.trained_per_epoch else {}),
                **_resumed(context, result),
            }
        )
        return to_frame([version], ModelVersion)

    @per_cell(b, "train", ins=inputs(b, "judge_scores", "qa_pairs"))
    def dpo_pairs(
        context: dg.AssetExecutionContext, judge_scores: pd.DataFrame, qa_pairs: pd.DataFrame
    ) -> pd.DataFrame:
        """Reference answer (preferred) vs the SFT model's wrong answer, on training questions only."""
        preferences, dropped = preference_pairs(from_frame(judge_scores, Judgement), from_frame(qa_pairs, QAPair))
        for preference in preferences:
            preference.run_id = context.run_id
        frame = to_frame(preferences, PreferencePair)
        context.add_output_metadata(
            {
                "preference_pairs": len(frame),
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
        """DPO of the SFT model on its wrong answers; the SFT model itself when it got none wrong."""
        settings = domain.domain.student
        warehouse = domain.warehouse()
        sft = from_frame(sft_model, ModelVersion)[0]
        preferences = from_frame(dpo_pairs, PreferencePair)
        if not preferences:
            context.log.info("no wrong training answers: DPO skipped, the SFT model is the candidate")
            context.add_output_metadata({**_model_metadata(sft), "dpo": "skipped: no wrong answers"})
            return to_frame([sft], ModelVersion)
        beta = domain.domain.thresholds.dpo_beta
        backend = student.backend()
        hyper = {
            "method": f"{backend.kind}-dpo",
            "beta": beta,
            "epochs": settings.dpo_epochs,
            "learning_rate": settings.dpo_learning_rate,
            "lora_rank": settings.lora_rank,
            **({"lora_layers": settings.lora_layers} if settings.lora_layers else {}),
        }
        # Sorted: the warehouse returns rows in no fixed order, and the batches must not depend on it.
        triples = sorted((p.prompt, p.chosen, p.rejected) for p in preferences)
        data_hash = content_hash(triples)
        model_id = _model_id(domain.domain, context.partition_key, "dpo", sft, data_hash, hyper)
        result = backend.train_dpo(
            adapter_chain(warehouse, sft.model_id),
            triples,
            domain.domain.models_dir / model_id,
            beta=beta,
            epochs=settings.dpo_epochs,
            learning_rate=settings.dpo_learning_rate,
            on_log=context.log.info,
        )
        version = _version(context, "dpo", sft, domain.domain, model_id, data_hash, hyper, result)
        warehouse.register(version)
        context.add_output_metadata(
            {**_model_metadata(version), "preference_pairs": len(triples), "beta": beta, **_resumed(context, result)}
        )
        return to_frame([version], ModelVersion)

    return [sft_model, dpo_pairs, dpo_model]
