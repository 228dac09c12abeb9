"""What a training run is decided to be: its start model, replay, anchors, settings and model ID."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from alas_assets.domain import load_domain
from alas_assets.partitions import Build
from alas_assets.records import ModelVersion, PreferencePair, QAPair, from_frame, to_frame
from alas_assets.resources import DomainResource, StudentResource
from alas_assets.storage.models import ensure_base_model
from alas_assets.storage.warehouse import SCHEMA, Warehouse, connect
from alas_assets.student.base import TrainResult
from alas_assets.training_plan import (
    Recipe,
    held_out_questions,
    model_id,
    plan_dpo,
    plan_sft,
    replay_pairs,
    sft_anchors,
    sft_hyperparameters,
    sft_start_model,
)

GENERAL_PROBES = [("What is the capital of France?", "Paris"), ("How many legs has a spider?", "Eight")]
# The second repeats a general probe: never an anchor.
REPLAY_QUESTIONS = ["Name a primary colour.", "What is the capital of France?", "What is water made of?"]
PROMOTED_ID = "pin-it0001-sft-00000000"


def pair(iteration: str, topic: str, n: int, split: str = "train", fact: str | None = None, **extra) -> QAPair:
    fields = dict(
        iteration=iteration,
        topic=topic,
        pair_id=f"{iteration}-{topic}-{n}",
        split=split,
        question=f"Question {n} about {topic} in {iteration}?",
        answer=f"Answer {n} of {topic}.",
        answer_span=f"Answer {n}",
        fact_id=fact or f"{topic}-fact{n}",
        source_id="doc",
        source_url="https://example.org/doc",
        quote=f"Answer {n} of {topic}.",
    )
    return QAPair(**{**fields, **extra})


# Iteration 1 studied three facts of "alpha" (two pairs each) and held out one probe; iteration 2 studies "beta".
EARLIER = [pair("it0001", "alpha", n, fact=f"fact{n % 3}") for n in range(6)] + [
    pair("it0001", "alpha", 9, "probe", "fact0")
]
NEW = [pair("it0002", "beta", n) for n in range(4)] + [pair("it0002", "beta", 8, "probe", "beta-fact0")]


def answer_each(questions):
    return [f"The answer to {q}" for q in questions]


def write_domain(folder: Path, student: str = "") -> Path:
    """A domain with its own general probes and replay questions, so that nothing outside the test
    decides its model IDs."""
    (folder / "corpus").mkdir(parents=True, exist_ok=True)
    (folder / "probes.jsonl").write_text(
        "".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in GENERAL_PROBES), encoding="utf-8"
    )
    (folder / "replay.jsonl").write_text(
        "".join(json.dumps({"question": q}) + "\n" for q in REPLAY_QUESTIONS), encoding="utf-8"
    )
    path = folder / "pin.toml"
    path.write_text(
        textwrap.dedent(
            """
            name = "pin"
            description = "Fixed inputs whose model IDs are pinned."
            general_probes = "probes.jsonl"
            general_replay = "replay.jsonl"
            [sources]
            corpus = "corpus"
            [student]
            model = "example/tiny-model"
            """
        )
        + student,
        encoding="utf-8",
    )
    return path


def with_history(domain_file: Path) -> Warehouse:
    """The warehouse after iteration 1: its pairs, the base model and a promoted SFT model of it."""
    domain = load_domain(domain_file)
    warehouse = Warehouse(domain.database)
    base = ensure_base_model(warehouse, domain)
    with connect(domain.database) as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.register("incoming", to_frame(EARLIER, QAPair))
        con.execute(f"create table {SCHEMA}.qa_pairs as select * from incoming")
    warehouse.register(
        ModelVersion(
            model_id=PROMOTED_ID,
            iteration="it0001",
            stage="sft",
            parent_id=base.model_id,
            base_model=base.base_model,
            artifact_path=str(domain_file.parent / "adapter"),
            data_hash="h",
            hyperparameters="{}",
            created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            promoted=True,
        )
    )
    return warehouse


class RecordingStudent:
    """Answers every question the same way and trains nothing; records what it was asked to train."""

    kind = "lora"

    def __init__(self):
        self.sft: list[dict] = []

    def answer(self, chain, questions, progress=None, expected=None):
        return answer_each(questions)

    def train_sft(self, chain, examples, out_dir, **kwargs):
        self.sft.append({"chain": list(chain), "examples": list(examples), "out_dir": out_dir, **kwargs})
        return TrainResult(examples=len(examples), tokens=100, loss=1.0, seconds=2.0)

    def train_dpo(self, chain, preferences, out_dir, **kwargs):
        return TrainResult(examples=len(preferences), tokens=50, loss=0.5, seconds=1.0)


RECORDING = RecordingStudent()


class RecordingStudentResource(StudentResource):
    def backend(self):
        return RECORDING


# Model IDs the training assets gave these inputs before model-version building moved out of them
# (computed with that code): the same parent, data and settings must keep naming the same model.
# That code did not skip learned examples by default, so the first two say so.
PINNED = {
    "skip_learned = false\n": ("pin-it0002-sft-490e7cf1", "pin-it0002-dpo-9f8c58a9"),
    'sft_start = "base"\nskip_learned = false\n': ("pin-it0002-sft-925b4578", "pin-it0002-dpo-d229dd6a"),
    "lora_layers = 2\nskip_learned = true\nrehearsal_fraction = 1.0\n": (
        "pin-it0002-sft-21f40acb",
        "pin-it0002-dpo-a4606d95",
    ),
}


@pytest.mark.parametrize("student", list(PINNED), ids=["promoted-start", "from-base", "other-settings"])
def test_the_training_assets_name_the_same_inputs_with_the_same_model_ids(tmp_path, state_dir, student):
    from alas_assets.assets import training as training_assets

    domain_file = write_domain(tmp_path, student)
    with_history(domain_file)
    b = Build.for_domain("pin")
    assets = {a.key.path[-1]: a for a in training_assets.build(b)}
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(b.parts.iteration.name, ["it0002"])
    resources = {
        "domain": DomainResource(domain_file=str(domain_file)),
        "student": RecordingStudentResource(domain_file=str(domain_file)),
    }

    def context():
        return dg.build_asset_context(partition_key="it0002", resources=resources, instance=instance)

    sft = assets["sft_model"](context(), qa_pairs=to_frame(NEW, QAPair))
    sft_id = str(sft["model_id"].iloc[0])
    preferences = [
        PreferencePair(
            iteration="it0002",
            topic="beta",
            pair_id=p.pair_id,
            prompt=p.question,
            chosen=p.answer,
            rejected="I do not know.",
            model_id=sft_id,
        )
        for p in NEW[:2]
    ]
    dpo = assets["dpo_model"](context(), dpo_pairs=to_frame(preferences, PreferencePair), sft_model=sft)

    assert (sft_id, str(dpo["model_id"].iloc[0])) == PINNED[student]
    # What was trained is what the ID names: the artifact folder is named by it, the registry holds it.
    assert RECORDING.sft[-1]["out_dir"] == load_domain(domain_file).models_dir / sft_id
    registered = Warehouse(load_domain(domain_file).database).model(sft_id)
    assert registered == from_frame(sft, ModelVersion)[0]


@pytest.mark.parametrize("student", list(PINNED), ids=["promoted-start", "from-base", "other-settings"])
def test_the_plans_name_the_pinned_model_ids(tmp_path, state_dir, student):
    domain_file = write_domain(tmp_path, student)
    warehouse = with_history(domain_file)
    domain = load_domain(domain_file)
    start = sft_start_model(warehouse, domain, "it0002")

    earlier = warehouse.pairs_before("it0002", "train")
    sft = plan_sft(domain, "it0002", NEW, earlier, start, "lora", answer_each)
    sft_version = sft.recipe.version(TrainResult(4, 100, 1.0, 2.0), domain.models_dir, "run")
    dpo = plan_dpo(domain, "it0002", sft_version, [], "lora")

    assert sft.recipe.model_id == PINNED[student][0]
    assert dpo.recipe.parent.model_id == sft.recipe.model_id


def test_sft_continues_from_the_promoted_model_or_starts_again_from_the_base(tmp_path, state_dir):
    promoted = load_domain(write_domain(tmp_path))
    from_base = promoted.model_copy(update={"student": promoted.student.model_copy(update={"sft_start": "base"})})

    # Before anything is promoted, either way starts from the base model.
    fresh = Warehouse(promoted.database)
    assert sft_start_model(fresh, promoted, "it0001").model_id == "pin-base"
    assert sft_start_model(fresh, from_base, "it0001").model_id == "pin-base"

    warehouse = with_history(promoted.path)
    assert sft_start_model(warehouse, promoted, "it0002").model_id == PROMOTED_ID
    assert sft_start_model(warehouse, from_base, "it0002").model_id == "pin-base"
    # The iteration that promoted a model does not start from it: only an earlier iteration's counts.
    assert sft_start_model(warehouse, promoted, "it0001").model_id == "pin-base"


def test_replay_is_earlier_training_pairs_never_a_probe_or_an_evaluation_question(tmp_path, state_dir):
    domain = load_domain(write_domain(tmp_path))
    looks_like_general = pair("it0001", "alpha", 7, question="What is the capital of France?")
    earlier = EARLIER + [looks_like_general]
    held_out = held_out_questions(NEW, [q for q, _ in GENERAL_PROBES])

    assert held_out == ["Question 8 about beta in it0002?", *[q for q, _ in GENERAL_PROBES]]
    everything = replay_pairs(domain.student.model_copy(update={"sft_start": "base"}), earlier, NEW, held_out)
    assert everything.kind == "earlier"
    assert everything.pairs == [p for p in EARLIER if p.split == "train"]  # every one, in a fixed order
    sample = replay_pairs(domain.student, earlier, NEW[:4], held_out)
    assert sample.kind == "rehearsal"
    assert len(sample.pairs) == 2  # half a pair per new pair, by default
    assert len({p.fact_id for p in sample.pairs}) == 2  # spread over the facts
    assert all(p.split == "train" and p in EARLIER for p in sample.pairs)


def test_an_sft_plan_trains_the_new_pairs_and_the_replay_anchored_to_the_start_models_answers(tmp_path, state_dir):
    domain = load_domain(write_domain(tmp_path, 'sft_start = "base"\n'))
    start = ensure_base_model(Warehouse(domain.database), domain)
    asked: list[str] = []

    def answer(questions):
        asked.extend(questions)
        return ["" if q == "What is water made of?" else f"said: {q}" for q in questions]

    plan = plan_sft(domain, "it0002", NEW, EARLIER[:-1], start, "lora", answer)

    assert plan.new == NEW[:4]  # the probe is held out
    assert "Question 8 about beta in it0002?" not in {q for q, _ in plan.examples}
    assert set(plan.examples) == {(p.question, p.answer) for p in NEW[:4] + EARLIER[:-1]}
    assert plan.examples == sorted(plan.examples)
    # A replay question that repeats a general probe is not asked; an empty answer is no anchor.
    assert asked == ["Name a primary colour.", "What is water made of?"]
    assert plan.anchors == [("Name a primary colour.", "said: Name a primary colour.")]
    assert plan.recipe.parent == start and plan.recipe.stage == "sft"
    assert plan.recipe.hyperparameters == sft_hyperparameters(domain.student, "lora", 1)
    assert sft_anchors(domain, answer) == plan.anchors


def test_sft_settings_record_only_what_is_set():
    from alas_assets.domain import Student

    defaults = sft_hyperparameters(Student(), "lora", 3)
    assert defaults == {
        "method": "lora-sft",
        "epochs": 4,
        "learning_rate": 2e-3,
        "lora_rank": 16,
        "batch_size": 4,
        "rehearsal_fraction": 0.5,
        "anchors": 3,
        "skip_learned": True,
    }
    assert "skip_learned" not in sft_hyperparameters(Student(skip_learned=False), "lora", 3)
    from_base = sft_hyperparameters(Student(sft_start="base", lora_layers=2, skip_learned=True), "openai", 0)
    assert (
        from_base["method"] == "openai-sft" and from_base["start"] == "base" and "rehearsal_fraction" not in from_base
    )
    assert from_base["lora_layers"] == 2 and from_base["skip_learned"] is True


def test_a_model_id_is_named_by_parent_data_and_settings():
    assert model_id("d", "it0001", "sft", "d-base", "abc", {"epochs": 1}) == model_id(
        "d", "it0001", "sft", "d-base", "abc", {"epochs": 1}
    )
    named = {
        model_id("d", "it0001", "sft", "d-base", "abc", {"epochs": 1}),
        model_id("d", "it0001", "sft", "other", "abc", {"epochs": 1}),
        model_id("d", "it0001", "sft", "d-base", "abd", {"epochs": 1}),
        model_id("d", "it0001", "sft", "d-base", "abc", {"epochs": 2}),
    }
    assert len(named) == 4
    assert model_id("d", "it0001", "dpo", "d-base", "abc", {}).startswith("d-it0001-dpo-")


def test_a_recipe_records_the_trained_version(tmp_path):
    parent = ModelVersion(
        model_id="d-base",
        iteration="it0000",
        stage="base",
        parent_id=None,
        base_model="example/base",
        artifact_path="example/base",
        data_hash="b",
        hyperparameters="{}",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        promoted=True,
    )
    recipe = Recipe("d", "it0001", "sft", parent, "data", {"epochs": 1})
    result = TrainResult(examples=3, tokens=30, loss=0.25, seconds=1.234, model_ref="ft:remote")

    version = recipe.version(result, tmp_path, "run-1")

    assert version.model_id == recipe.model_id and version.artifact_path == str(tmp_path / recipe.model_id)
    assert (version.parent_id, version.base_model, version.stage, version.iteration) == (
        "d-base",
        "example/base",
        "sft",
        "it0001",
    )
    assert json.loads(version.hyperparameters) == {"epochs": 1, "served_model": "ft:remote"}
    assert (version.train_examples, version.train_tokens, version.train_loss, version.train_seconds) == (
        3,
        30,
        0.25,
        1.23,
    )
    assert version.tokens_per_second == round(30 / 1.234, 1) and version.run_id == "run-1" and not version.promoted


def test_a_dpo_plan_does_not_depend_on_the_order_of_its_pairs(tmp_path, state_dir):
    domain = load_domain(write_domain(tmp_path))
    sft = ensure_base_model(Warehouse(domain.database), domain)
    preferences = [
        PreferencePair(
            iteration="it0001", topic="t", pair_id=f"p{n}", prompt=f"Q{n}?", chosen="A.", rejected="B.", model_id="m"
        )
        for n in range(3)
    ]

    forward = plan_dpo(domain, "it0001", sft, preferences, "lora")
    backward = plan_dpo(domain, "it0001", sft, preferences[::-1], "lora")

    assert forward == backward and forward.triples == [(f"Q{n}?", "A.", "B.") for n in range(3)]
    assert forward.recipe.hyperparameters["beta"] == domain.thresholds.dpo_beta
