"""What a training run is, decided before it runs: the model it starts from, the pairs it replays, the
anchors that hold the model to its general answers, its settings, and the model ID they name; and the
registry record of the version it trains.

Plain functions: the training assets only wire these to the warehouse and the student backend.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from alas_assets.curation import read_questions, rehearsal_sample, replayable, self_replay, sft_examples
from alas_assets.domain import Domain
from alas_assets.domain import Student as StudentSettings
from alas_assets.evaluation import evaluation_questions
from alas_assets.records import ModelVersion, PreferencePair, QAPair, content_hash
from alas_assets.storage.models import ensure_base_model, parent_model
from alas_assets.storage.warehouse import Warehouse
from alas_assets.student.base import TrainResult

Answer = Callable[[Sequence[str]], list[str]]


def model_id(slug: str, iteration: str, stage: str, parent_id: str, data_hash: str, hyperparameters: dict) -> str:
    """Named by what made it: the same parent, data and settings give the same ID (and artifact folder)."""
    return f"{slug}-{iteration}-{stage}-{content_hash(parent_id, data_hash, hyperparameters)[:8]}"


@dataclass(frozen=True)
class Recipe:
    """What names a trained version: its domain, iteration and stage, the parent it starts from, a hash
    of the data it trains on, and its settings (recorded as the version's hyperparameters)."""

    slug: str
    iteration: str
    stage: Literal["sft", "dpo"]
    parent: ModelVersion
    data_hash: str
    hyperparameters: dict

    @property
    def model_id(self) -> str:
        return model_id(
            self.slug, self.iteration, self.stage, self.parent.model_id, self.data_hash, self.hyperparameters
        )

    def artifact_dir(self, models_dir: Path) -> Path:
        """Where the trained version's artifact goes: a folder named by its model ID."""
        return models_dir / self.model_id

    def version(
        self, result: TrainResult, models_dir: Path, run_id: str, created_at: datetime | None = None
    ) -> ModelVersion:
        """The registry record of the version this recipe trained, with what training reported."""
        # A remote backend's own ID for the trained model (e.g. OpenAI's ft:...), recorded for the registry.
        served = {"served_model": result.model_ref} if result.model_ref else {}
        return ModelVersion(
            model_id=self.model_id,
            iteration=self.iteration,
            stage=self.stage,
            parent_id=self.parent.model_id,
            base_model=self.parent.base_model,
            artifact_path=str(self.artifact_dir(models_dir)),
            data_hash=self.data_hash,
            hyperparameters=json.dumps({**self.hyperparameters, **served}),
            train_examples=result.examples,
            train_tokens=result.tokens,
            train_loss=result.loss,
            train_seconds=round(result.seconds, 2),
            tokens_per_second=round(result.tokens_per_second, 1),
            created_at=created_at or datetime.now(timezone.utc),
            run_id=run_id,
        )


# --- SFT ----------------------------------------------------------------------------------------


def sft_start_model(warehouse: Warehouse, domain: Domain, iteration: str) -> ModelVersion:
    """The model SFT starts from: the base model with sft_start = "base", else the latest model promoted
    before this iteration (the base model until one is)."""
    if domain.student.sft_start == "base":
        return ensure_base_model(warehouse, domain)
    return parent_model(warehouse, domain, iteration)


def held_out_questions(pairs: Sequence[QAPair], evaluation: Sequence[str]) -> list[str]:
    """The questions no replayed pair may repeat or nearly repeat: this iteration's probes and the
    evaluation questions (general probes, the domain's independent questions)."""
    return [p.question for p in pairs if p.split == "probe"] + list(evaluation)


@dataclass(frozen=True)
class Replay:
    """Earlier training pairs trained again, and which kind: every one ("earlier", SFT from the base)
    or a rehearsal sample ("rehearsal", SFT on top of the promoted model)."""

    pairs: list[QAPair]
    kind: Literal["earlier", "rehearsal"]


def replay_pairs(
    settings: StudentSettings, earlier: Sequence[QAPair], new: Sequence[QAPair], held_out: Sequence[str]
) -> Replay:
    """The earlier pairs SFT trains on again beside the new ones: all of them when it starts from the base
    (a fresh adapter learns everything so far), else a rehearsal sample against forgetting. Only earlier
    *training* pairs, never one that looks like a held-out question."""
    if settings.sft_start == "base":
        return Replay(replayable(earlier, held_out), "earlier")
    return Replay(rehearsal_sample(earlier, new, settings.rehearsal_fraction, held_out, settings.seed), "rehearsal")


def sft_anchors(domain: Domain, answer: Answer) -> list[tuple[str, str]]:
    """The domain's general replay questions with the start model's own answers (``answer``), leaving out
    any that look like an evaluation question: what SFT holds the model to."""
    return self_replay(read_questions(domain.general_replay_file), evaluation_questions(domain), answer)


def sft_hyperparameters(settings: StudentSettings, kind: str, anchors: int) -> dict:
    """The SFT settings recorded with the version and hashed into its model ID."""
    return {
        "method": f"{kind}-sft",
        "epochs": settings.sft_epochs,
        "learning_rate": settings.sft_learning_rate,
        "lora_rank": settings.lora_rank,
        "batch_size": settings.batch_size,
        # Only when set: model IDs of the default settings stay what they were.
        **({"start": "base"} if settings.sft_start == "base" else {"rehearsal_fraction": settings.rehearsal_fraction}),
        "anchors": anchors,
        **({"lora_layers": settings.lora_layers} if settings.lora_layers else {}),
        **({"skip_learned": True} if settings.skip_learned else {}),
    }


def sft_data_hash(examples: Sequence[tuple[str, str]], anchors: Sequence[tuple[str, str]]) -> str:
    return content_hash([list(examples), sorted(anchors)])


@dataclass(frozen=True)
class SFTPlan:
    """One SFT run: the new pairs, the replayed ones, the anchors, the examples trained, and its recipe."""

    recipe: Recipe
    new: list[QAPair]
    replay: Replay
    anchors: list[tuple[str, str]]
    examples: list[tuple[str, str]]


def plan_sft(
    domain: Domain,
    iteration: str,
    pairs: Sequence[QAPair],
    earlier: Sequence[QAPair],
    start: ModelVersion,
    kind: str,
    answer: Answer,
) -> SFTPlan:
    """The SFT run of an iteration: its training pairs (``pairs``: the iteration's, probes included), the
    replay chosen from ``earlier`` (earlier iterations' training pairs), the anchors answered by the start
    model (``answer``), the backend's ``kind`` ("lora", "openai") and the settings of the domain file."""
    settings = domain.student
    new = [p for p in pairs if p.split == "train"]
    evaluation = evaluation_questions(domain)
    replay = replay_pairs(settings, earlier, new, held_out_questions(pairs, evaluation))
    anchors = sft_anchors(domain, answer)
    examples = sft_examples(new + replay.pairs)
    recipe = Recipe(
        slug=domain.slug,
        iteration=iteration,
        stage="sft",
        parent=start,
        data_hash=sft_data_hash(examples, anchors),
        hyperparameters=sft_hyperparameters(settings, kind, len(anchors)),
    )
    return SFTPlan(recipe=recipe, new=new, replay=replay, anchors=anchors, examples=examples)


# --- DPO ----------------------------------------------------------------------------------------


def dpo_hyperparameters(settings: StudentSettings, kind: str, beta: float) -> dict:
    """The DPO settings recorded with the version and hashed into its model ID."""
    return {
        "method": f"{kind}-dpo",
        "beta": beta,
        "epochs": settings.dpo_epochs,
        "learning_rate": settings.dpo_learning_rate,
        "lora_rank": settings.lora_rank,
        **({"lora_layers": settings.lora_layers} if settings.lora_layers else {}),
    }


@dataclass(frozen=True)
class DPOPlan:
    """One DPO run: (prompt, chosen, rejected) triples in a fixed order, and its recipe."""

    recipe: Recipe
    triples: list[tuple[str, str, str]]


def plan_dpo(
    domain: Domain, iteration: str, sft: ModelVersion, preferences: Sequence[PreferencePair], kind: str
) -> DPOPlan:
    """DPO of the SFT model on its preference pairs, with the domain file's settings."""
    # Sorted: the warehouse returns rows in no fixed order, and the batches must not depend on it.
    triples = sorted((p.prompt, p.chosen, p.rejected) for p in preferences)
    recipe = Recipe(
        slug=domain.slug,
        iteration=iteration,
        stage="dpo",
        parent=sft,
        data_hash=content_hash(triples),
        hyperparameters=dpo_hyperparameters(domain.student, kind, domain.thresholds.dpo_beta),
    )
    return DPOPlan(recipe=recipe, triples=triples)
