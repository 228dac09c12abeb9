"""A complete iteration materialised through Dagster on a tiny corpus and a tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from alas_assets.curation import near_duplicates
from alas_assets.definitions import build_definitions
from alas_assets.domain import load_domain
from alas_assets.loop import run_iteration, run_loop
from alas_assets.partitions import DomainPartitions
from alas_assets.reporting import accuracy_report, independent_report, iteration_report
from alas_assets.resources import StudentResource, TeacherResource
from alas_assets.storage.warehouse import SCHEMA, Warehouse
from alas_assets.teacher.base import Verdict
from alas_assets_tests.conftest import INDEPENDENT_QUESTIONS


def test_one_full_iteration_materialises_every_stage(tiny_domain, monkeypatch):
    from alas_assets.assets import promotion as promotion_assets
    from alas_assets.assets import training as training_assets
    from alas_assets.records import PreferencePair
    from alas_assets.student.local import LocalStudent

    def two_lessons(judgements, pairs):  # the tiny model's answers are too degenerate to be DPO lessons
        train = [p for p in pairs if p.split == "train"][:2]
        return [
            PreferencePair(
                iteration=p.iteration,
                topic=p.topic,
                pair_id=p.pair_id,
                prompt=p.question,
                chosen=p.answer,
                rejected="I do not know.",
                model_id="sft",
            )
            for p in train
        ], 0

    monkeypatch.setattr(training_assets, "preference_pairs", two_lessons)
    studied = []  # the topics the gate was told this iteration studied (left out of "earlier topics")
    real_suites = promotion_assets.retention_suites

    def suites(scores, *, studied_topics):
        studied.append(set(studied_topics))
        return real_suites(scores, studied_topics=studied_topics)

    monkeypatch.setattr(promotion_assets, "retention_suites", suites)
    stage, generated = [""], []  # (stage, question) of every answer the student generated
    real_answer = LocalStudent.answer

    def answer(self, chain, questions, progress=None, expected=None):
        generated.extend((stage[0], q) for q in questions)
        return real_answer(self, chain, questions, progress, expected)

    monkeypatch.setattr(LocalStudent, "answer", answer)
    instance = dg.DagsterInstance.ephemeral()
    outcomes = run_loop(
        tiny_domain, iterations=1, instance=instance, on_step=lambda job, partition: stage.__setitem__(0, job)
    )

    assert [o.iteration for o in outcomes] == ["it0001"]
    domain = load_domain(tiny_domain)
    warehouse = Warehouse(domain.database)
    parts = DomainPartitions.for_domain(domain.slug)
    assert sorted(instance.get_dynamic_partitions(parts.topic.name)) == ["orion-mission", "zephyr-release"]
    assert studied == [{"orion-mission", "zephyr-release"}]
    for table in (
        "curriculum",
        "raw_sources",
        "qa_pairs",
        "baseline_scores",
        "sft_model",
        "judge_scores",
        "dpo_pairs",
        "dpo_model",
        "dpo_judge_scores",
        "retention_scores",
        "promotion",
        "curriculum_revision",
    ):
        assert warehouse.table_exists(f"{SCHEMA}.{table}"), table
    probes = warehouse.query(f"select * from {SCHEMA}.qa_pairs where split = 'probe'")
    assert len(probes) == 4
    report = accuracy_report(warehouse)
    assert set(report["topic"]) == {"orion-mission", "zephyr-release"}
    assert len(iteration_report(warehouse)) == 1
    assert (domain.lake_dir / "qa_pairs" / "iteration=it0001" / "topic=orion-mission" / "part.parquet").is_file()
    # General knowledge is graded for the base model too: the gate's reference, however far the parent drifted.
    retention = warehouse.query(f"select stage, split, model_id from {SCHEMA}.retention_scores")
    assert set(retention["stage"]) == {"retention:base", "retention:parent", "retention:candidate"}
    base_rows = retention[retention["stage"] == "retention:base"]
    assert set(base_rows["split"]) == {"general", "independent"} and set(base_rows["model_id"]) == {
        f"{domain.slug}-base"
    }
    # The independent questions are graded for base, parent and candidate, reported, and never trained on.
    independent = warehouse.query(f"select stage, question from {SCHEMA}.retention_scores where split = 'independent'")
    assert len(independent) == 3 * len(INDEPENDENT_QUESTIONS)
    report = independent_report(warehouse)
    assert list(report["iteration"]) == ["it0001"] and int(report["questions"].iloc[0]) == len(INDEPENDENT_QUESTIONS)
    asked = [q["question"] for q in INDEPENDENT_QUESTIONS]
    trained = warehouse.query(f"select question from {SCHEMA}.qa_pairs")["question"].tolist()
    corrected = warehouse.query(f"select prompt from {SCHEMA}.dpo_pairs")["prompt"].tolist()
    assert near_duplicates(asked, trained + corrected) == set()
    # The candidate answered its probes with the retention probes, in large batches: regrading found them kept.
    candidate = warehouse.query(f"select distinct model_id from {SCHEMA}.dpo_judge_scores")["model_id"]
    assert list(candidate) == list(
        warehouse.query(f"select model_id from {SCHEMA}.dpo_model where stage = 'dpo'")["model_id"]
    )
    assert not [q for s, q in generated if s == "regrade"]
    assert len([q for s, q in generated if s == "correct"]) >= 4
    # What is deployed: the model the iteration left promoted, exported as a merged folder with its hash.
    deployed = warehouse.query(f"select * from {SCHEMA}.deployment")
    promoted = warehouse.promoted_model()
    assert list(deployed["model_id"]) == [promoted.model_id] and deployed["format"].iloc[0] == "hf"
    assert (
        json.loads((Path(deployed["path"].iloc[0]) / "alas_export.json").read_text())["sha256"]
        == deployed["sha256"].iloc[0]
    )


def test_a_failed_iteration_resumes_at_the_step_that_failed(tiny_domain, monkeypatch):
    import pytest

    from alas_assets.assets import promotion as promotion_module
    from alas_assets.loop import LoopError

    instance = dg.DagsterInstance.ephemeral()
    real_gate = promotion_module.promotion_gate

    def broken_gate(*args, **kwargs):
        raise RuntimeError("the gate broke")

    monkeypatch.setattr(promotion_module, "promotion_gate", broken_gate)
    with pytest.raises(LoopError, match="promote"):
        run_loop(tiny_domain, iterations=1, instance=instance)
    warehouse = Warehouse(load_domain(tiny_domain).database)
    trained = set(warehouse.query(f"select run_id from {SCHEMA}.sft_model")["run_id"])

    monkeypatch.setattr(promotion_module, "promotion_gate", real_gate)
    steps: list[str] = []
    outcomes = run_loop(
        tiny_domain, iterations=1, instance=instance, on_step=lambda stage, partition: steps.append(stage)
    )

    assert [o.iteration for o in outcomes] == ["it0001"]  # the same iteration, finished
    assert set(warehouse.query(f"select run_id from {SCHEMA}.sft_model")["run_id"]) == trained  # not trained again
    assert warehouse.table_exists(f"{SCHEMA}.curriculum_revision")
    runs = instance.get_runs()
    assert sum("fine_tune" in run.job_name for run in runs) == 1
    assert "promote" in steps


class RecordingStudent:
    """The domain's student, recording each question it is asked, in which stage, and whether it was
    given a reference to check instead of generating."""

    def __init__(self, student, stage: list[str], answered: list[tuple[str, str, bool]]):
        self._student, self._stage, self._answered = student, stage, answered

    def answer(self, chain, questions, progress=None, expected=None):
        checked = expected or [None] * len(questions)
        self._answered.extend((self._stage[0], q, e is not None) for q, e in zip(questions, checked, strict=True))
        return self._student.answer(chain, questions, progress, expected)

    def __getattr__(self, name):  # training, loading for export: the domain's student's own
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._student, name)

    def train_dpo(self, *args, **kwargs):
        raise AssertionError("DPO trained with no wrong answers")


class AllRightJudge:
    """Rules every answer right (so the SFT model has no mistakes for DPO), recording what it graded."""

    name = "all-right-judge"

    def __init__(self, stage: list[str], judged: list[tuple[str, str]]):
        self._stage, self._judged = stage, judged

    def grade(self, question, reference, answer_span, answer):
        self._judged.append((self._stage[0], question))
        return Verdict(True, 1.0, "every answer is right")


def test_when_dpo_is_skipped_the_candidate_is_not_graded_twice(tiny_domain):
    stage: list[str] = [""]  # the loop's stage now
    judged: list[tuple[str, str]] = []  # (stage, question) of every answer the judge graded
    answered: list[tuple[str, str, bool]] = []  # (stage, question, checked against its reference)

    class Teacher(TeacherResource):
        def judge(self):
            return AllRightJudge(stage, judged)

    class Student(StudentResource):
        def backend(self):
            return RecordingStudent(super().backend(), stage, answered)

    defs = build_definitions(tiny_domain)
    domain_file = str(tiny_domain.resolve())
    defs = dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        resources={
            **defs.resources,
            "teacher": Teacher(domain_file=domain_file),
            "student": Student(domain_file=domain_file),
        },
    )
    domain = load_domain(tiny_domain)
    run_iteration(
        defs,
        domain,
        dg.DagsterInstance.ephemeral(),
        1,
        on_step=lambda job, partition: stage.__setitem__(0, job),
    )

    warehouse = Warehouse(domain.database)
    models = warehouse.query(f"select model_id from {SCHEMA}.dpo_model")["model_id"]
    assert list(models) == list(warehouse.query(f"select model_id from {SCHEMA}.sft_model")["model_id"])
    sft = warehouse.query(
        f"select pair_id, answer, correct, model_id from {SCHEMA}.judge_scores where split = 'probe' order by pair_id"
    )
    dpo = warehouse.query(
        f"select pair_id, answer, correct, model_id, stage from {SCHEMA}.dpo_judge_scores order by pair_id"
    )
    # The SFT model was graded (in 'grade'); the candidate, the same model, is not graded or asked again.
    assert {s for s, _ in judged} >= {"grade"} and not [q for s, q in judged if s == "regrade"]
    assert not [q for s, q, _ in answered if s == "regrade"]
    assert set(dpo["stage"]) == {"dpo"}
    assert len(dpo) == 4 and dpo[["pair_id", "answer", "correct", "model_id"]].equals(sft)
    # Only training answers may be checked by teacher forcing instead of generated; probes always are.
    splits = dict(warehouse.query(f"select question, split from {SCHEMA}.qa_pairs").itertuples(index=False))
    checked = {splits.get(q, "other") for _, q, by_reference in answered if by_reference}
    assert checked == {"train"}
    assert any(splits.get(q) == "probe" for _, q, _ in answered)


@pytest.mark.parametrize("sft_start", ["promoted", "base"])
def test_iteration_two_trains_on_the_promoted_model_or_retrains_the_base_on_every_pair(
    tiny_domain, monkeypatch, sft_start
):
    from dataclasses import replace

    from alas_assets.assets import promotion as promotion_module
    from alas_assets.storage.models import adapter_chain
    from alas_assets.student.local import LocalStudent

    tiny_domain.write_text(tiny_domain.read_text().replace("[student]", f'[student]\nsft_start = "{sft_start}"'))
    real_gate = promotion_module.promotion_gate
    # The tiny model learns too little to pass the gate: promote iteration 1 so that the promoted model is not the base.
    monkeypatch.setattr(promotion_module, "promotion_gate", lambda *args: replace(real_gate(*args), promoted=True))
    trained: list[tuple[list[str], list[tuple[str, str]]]] = []  # (adapter chain trained on, examples) of each SFT
    real_train = LocalStudent.train_sft

    def train_sft(self, chain, examples, out_dir, **kwargs):
        trained.append((list(chain), list(examples)))
        return real_train(self, chain, examples, out_dir, **kwargs)

    monkeypatch.setattr(LocalStudent, "train_sft", train_sft)
    instance = dg.DagsterInstance.ephemeral()
    for _ in range(2):  # one at a time: the tiny model's revision may call the loop converged after one
        run_loop(tiny_domain, iterations=1, instance=instance)

    warehouse = Warehouse(load_domain(tiny_domain).database)
    promotions = warehouse.query(
        f"select iteration, candidate_id, parent_id from {SCHEMA}.promotion order by iteration"
    )
    assert list(promotions["iteration"]) == ["it0001", "it0002"]
    first, second = promotions["candidate_id"]
    assert promotions["parent_id"].iloc[1] == first  # the gate compares with the promoted model either way
    sft = warehouse.query(f"select parent_id from {SCHEMA}.sft_model where iteration = 'it0002'")
    earlier = {(p.question, p.answer) for p in warehouse.pairs_of("it0001", "train")}
    (chain, examples) = trained[-1]
    if sft_start == "promoted":
        assert (
            chain == adapter_chain(warehouse, first) and len(chain) == 2
        )  # on top of iteration 1's SFT and DPO adapters
        assert list(sft["parent_id"]) == [first]
        assert len(adapter_chain(warehouse, second)) == 4
    else:
        assert chain == []  # a fresh adapter on the base model
        assert earlier <= set(examples)  # every earlier training pair, not a rehearsal sample
        assert list(sft["parent_id"]) == ["tiny-base"]
        assert not set(adapter_chain(warehouse, first)) & set(adapter_chain(warehouse, second))
    # What iteration 2 read of iteration 1 straight from the warehouse is its recorded lineage.
    from alas_assets.partitions import Build

    for asset, read in (("sft_model", "qa_pairs (training pairs"), ("retention_scores", "qa_pairs (probes)")):
        event = instance.get_latest_materialization_event(Build.for_domain("tiny").key(asset))
        assert f"iteration 1 of {read}" in event.asset_materialization.metadata["reads_earlier"].value
