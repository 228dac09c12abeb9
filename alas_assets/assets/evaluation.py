"""Grade the student with the judge: before training, after SFT, after DPO, and on retention probes."""

import dagster as dg
import pandas as pd

from alas_assets.assets.shapes import inputs, per_cell, per_iteration
from alas_assets.evaluation import (
    INDEPENDENT,
    Question,
    accuracy,
    domain_independent_questions,
    general_probes,
    grade,
    retention_questions,
)
from alas_assets.metadata import markdown_table, reads_earlier, teacher_usage
from alas_assets.partitions import Build, cell
from alas_assets.records import Judgement, ModelVersion, QAPair, from_frame, to_frame
from alas_assets.resources import DomainResource, StudentResource, TeacherResource
from alas_assets.storage.models import answerer, ensure_base_model, parent_model, warm_answers


def _graded(
    domain: DomainResource,
    student: StudentResource,
    judge,
    model_id: str,
    questions: list[Question],
    stage: str,
    run_id: str,
    iteration: str | None = None,
    expected: list[str | None] | None = None,
) -> pd.DataFrame:
    """The model's answers to the questions, graded by the judge. ``expected`` (aligned with the
    questions) lets the backend skip generating an answer it can show greedy decoding would give."""
    answer = answerer(domain.domain, domain.warehouse(), student.backend(), model_id)
    judgements = grade(
        lambda qs: answer(qs, expected),
        judge,
        questions,
        stage=stage,
        model_id=model_id,
        run_id=run_id,
        iteration=iteration,
    )
    return to_frame(judgements, Judgement)


def _scored(context: dg.AssetExecutionContext, judge, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame, with the metadata a user reads in the UI."""
    metadata = {
        "model_id": str(frame["model_id"].iloc[0]) if len(frame) else "",
        "probe_accuracy": accuracy(frame, "probe"),
        "probes": int((frame["split"] == "probe").sum()),
        "judgements": markdown_table(frame[["split", "question", "answer", "correct"]]),
        "judge": judge.name,
        **teacher_usage(judge),
    }
    if (frame["split"] == "train").any():
        metadata["training_fit_accuracy"] = accuracy(frame, "train")
    context.add_output_metadata(metadata)
    return frame


def _score(
    context: dg.AssetExecutionContext,
    domain: DomainResource,
    student: StudentResource,
    teacher: TeacherResource,
    model_id: str,
    questions: list[Question],
    stage: str,
    expected: list[str | None] | None = None,
) -> pd.DataFrame:
    judge = teacher.judge()
    return _scored(
        context, judge, _graded(domain, student, judge, model_id, questions, stage, context.run_id, expected=expected)
    )


def build(b: Build) -> list[dg.AssetsDefinition]:
    @per_cell(b, "evaluate", ins=inputs(b, "qa_pairs"))
    def baseline_scores(
        context: dg.AssetExecutionContext,
        domain: DomainResource,
        student: StudentResource,
        teacher: TeacherResource,
        qa_pairs: pd.DataFrame,
    ) -> pd.DataFrame:
        """The current promoted model on this topic's held-out probes, before any training."""
        iteration, _ = cell(context)
        parent = parent_model(domain.warehouse(), domain.domain, iteration)
        probes = [Question.of(p) for p in from_frame(qa_pairs, QAPair) if p.split == "probe"]
        return _score(context, domain, student, teacher, parent.model_id, probes, "baseline")

    @per_cell(b, "evaluate", ins=inputs(b, "qa_pairs", by_iteration=["sft_model"]))
    def judge_scores(
        context: dg.AssetExecutionContext,
        domain: DomainResource,
        student: StudentResource,
        teacher: TeacherResource,
        qa_pairs: pd.DataFrame,
        sft_model: pd.DataFrame,
    ) -> pd.DataFrame:
        """The SFT model on the held-out probes, and on its training questions (to find what DPO must fix).

        A training question whose reference the model reproduces exactly under teacher forcing is
        not generated again (greedy decoding would give the reference); probes are always generated."""
        model_id = str(sft_model["model_id"].iloc[0])
        questions = [Question.of(p) for p in from_frame(qa_pairs, QAPair)]
        expected = [q.reference if q.split == "train" else None for q in questions]
        return _score(context, domain, student, teacher, model_id, questions, "sft", expected)

    @per_cell(b, "evaluate", ins=inputs(b, "qa_pairs", "judge_scores", by_iteration=["dpo_model"]))
    def dpo_judge_scores(
        context: dg.AssetExecutionContext,
        domain: DomainResource,
        student: StudentResource,
        teacher: TeacherResource,
        qa_pairs: pd.DataFrame,
        judge_scores: pd.DataFrame,
        dpo_model: pd.DataFrame,
    ) -> pd.DataFrame:
        """The candidate model (after DPO) on the held-out probes."""
        model_id = str(dpo_model["model_id"].iloc[0])
        sft_probes = judge_scores[judge_scores["split"] == "probe"]
        if len(sft_probes) and (sft_probes["model_id"] == model_id).all():
            # DPO was skipped: the candidate is the SFT model, whose answers to these probes are graded already.
            frame = sft_probes.assign(stage="dpo", run_id=context.run_id).reset_index(drop=True)
            return _scored(context, teacher.judge(), frame)
        probes = [Question.of(p) for p in from_frame(qa_pairs, QAPair) if p.split == "probe"]
        return _score(context, domain, student, teacher, model_id, probes, "dpo")

    @per_iteration(b, "evaluate", ins=inputs(b, "dpo_model"))
    def retention_scores(
        context: dg.AssetExecutionContext,
        domain: DomainResource,
        student: StudentResource,
        teacher: TeacherResource,
        dpo_model: pd.DataFrame,
    ) -> pd.DataFrame:
        """Parent and candidate on general-knowledge probes and on earlier iterations' probes (forgetting),
        and the base model on the general probes (the gate's reference for general knowledge). Base,
        parent and candidate also answer the domain's independent questions (split 'independent'):
        reported beside everything else, never used to train or to choose."""
        iteration = context.partition_key
        warehouse = domain.warehouse()
        parent = parent_model(warehouse, domain.domain, iteration)
        base = ensure_base_model(warehouse, domain.domain)
        candidate = from_frame(dpo_model, ModelVersion)[0]
        general = general_probes(domain.domain.general_probes_file) + domain_independent_questions(domain.domain)
        # earlier iterations' probes: what the candidate must not forget
        questions = retention_questions(general, warehouse.pairs_before(iteration, "probe"))
        # The candidate answers this iteration's probes in the same batches: dpo_judge_scores, four probes
        # per topic, then finds its answers in the answer registry instead of generating in small batches.
        asked = [q.question for q in questions] + [p.question for p in warehouse.pairs_of(iteration, "probe")]
        warm_answers(domain.domain, warehouse, student.backend(), candidate.model_id, asked)
        judge = teacher.judge()
        graded = {
            role: _graded(
                domain, student, judge, model.model_id, questions, f"retention:{role}", context.run_id, iteration
            )
            for role, model in (("parent", parent), ("candidate", candidate))
        }
        # The general reference is the base. In iteration 1 it is the parent too: its rows, not a second judging.
        if parent.model_id == base.model_id:
            parent_general = graded["parent"][graded["parent"]["split"].isin(["general", INDEPENDENT])]
            graded["base"] = parent_general.assign(stage="retention:base")
        else:  # its answers come from the answer registry after its first iteration
            graded["base"] = _graded(
                domain, student, judge, base.model_id, general, "retention:base", context.run_id, iteration
            )
        frame = pd.concat([graded[role] for role in ("base", "parent", "candidate")], ignore_index=True)
        summary = frame.groupby(["stage", "split"])["correct"].mean().reset_index()
        context.add_output_metadata(
            {
                "base_id": base.model_id,
                "parent_id": parent.model_id,
                "candidate_id": candidate.model_id,
                "general_probes": len([q for q in general if q.split == "general"]),
                "independent_questions": len([q for q in general if q.split == INDEPENDENT]),
                "earlier_probes": len([q for q in questions if q.split == "earlier"]),
                **reads_earlier(iteration, every=["qa_pairs (probes)"]),
                "accuracy": markdown_table(summary),
                **teacher_usage(judge),
            }
        )
        return frame

    return [baseline_scores, judge_scores, dpo_judge_scores, retention_scores]
