"""One benchmark run: the loop on a fresh state, then baselines, final-model answering, the trainer
comparison and the machine's matmul limit (timed at the start and at the end). Every figure is
measured here; nothing is carried over."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from alas_assets import backends
from alas_assets.benchmark.baselines import RETRIEVED_PASSAGES, run_baselines
from alas_assets.benchmark.throughput import (
    FLOP_FORMULA,
    TRAINERS,
    StageClock,
    best_flop_limits,
    compare_trainers,
    flop_limits,
    machine_info,
    parameter_counts,
    time_answering,
    training_flops_per_token,
    training_rows,
    utilisation,
)
from alas_assets.domain import Domain, load_domain
from alas_assets.evaluation import (
    INDEPENDENT,
    Question,
    domain_independent_questions,
    grade,
    independent_overall,
    kept_fraction,
    retention,
    retention_suites,
)
from alas_assets.jobs import STAGES
from alas_assets.records import Judgement, to_frame
from alas_assets.storage.warehouse import Warehouse

Log = Callable[[str], None]


class BenchError(RuntimeError):
    pass


def default_out_dir(domain: Domain) -> Path:
    return Path("bench-results") / domain.slug


def fresh_state(out_dir: Path) -> tuple[Path, Path]:
    """The benchmark's own state root and Dagster home under out_dir, emptied. The benchmark passes both
    on explicitly (to the domain, the loop and its Dagster resources); the environment is left alone."""
    state, home = (out_dir / "state").resolve(), (out_dir / "dagster_home").resolve()
    for folder in (state, home, (out_dir / "work").resolve()):
        shutil.rmtree(folder, ignore_errors=True)
    state.mkdir(parents=True)
    return state, home


def run_benchmark(
    domain_file: str | Path,
    iterations: int | None = None,
    out_dir: str | Path | None = None,
    *,
    log: Log = lambda message: None,
    on_step: Callable[[str, str], None] = lambda stage, partition: None,
    matmul_size: int = 2048,
) -> dict:
    """Run everything and return the figures (JSON-able)."""
    from alas_assets.loop import persistent_instance, run_loop
    from alas_assets.resources import local_student

    domain_file = Path(domain_file).resolve()
    domain = load_domain(domain_file)
    if domain.student.backend != "local":
        raise BenchError(
            f"domain file {domain_file}: alas bench measures the local student; "
            f"[student] backend is '{domain.student.backend}'"
        )
    out = Path(out_dir) if out_dir else default_out_dir(domain)
    state, home = fresh_state(out)
    domain = load_domain(domain_file, state_root=state, dagster_home=home)
    work = (out / "work").resolve()
    started_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    phases: dict[str, float] = {}

    # --- the loop, every stage through Dagster, timed per step ----------------------------------------
    clock = StageClock()

    def step(stage: str, partition: str) -> None:
        clock.step(stage, partition)
        on_step(stage, partition)

    phase = time.perf_counter()
    log("timing bf16 and fp32 matmuls (again at the end)")
    flops_at_start = flop_limits(matmul_size)
    phases["matmul at start"] = time.perf_counter() - phase

    instance = persistent_instance(domain)
    try:
        phase = time.perf_counter()
        outcomes = run_loop(
            domain_file,
            iterations,
            instance=instance,
            on_step=step,
            on_iteration=lambda outcome: clock.end_iteration(),
            state_root=state,
        )
        phases["loop"] = time.perf_counter() - phase
    finally:
        instance.dispose()
    log(f"loop finished: {len(outcomes)} iteration(s) in {phases['loop']:.0f} s")

    warehouse = Warehouse(domain.database)
    student = local_student(str(domain_file))
    judge = backends.judge(domain)
    settings = domain.student
    accuracy_figures = loop_accuracy(warehouse, domain)

    # --- the final model on every probe, timed ---------------------------------------------------------
    phase = time.perf_counter()
    final = warehouse.promoted_model()
    assert final is not None
    from alas_assets.evaluation import general_probes
    from alas_assets.storage.models import adapter_chain

    chain = adapter_chain(warehouse, final.model_id)
    probes = [Question.of(p) for p in warehouse.pairs("probe")]
    general = general_probes(domain.general_probes_file)
    independent = domain_independent_questions(domain)
    questions = probes + general + independent
    log(f"final model {final.model_id}: answering {len(questions)} probes")
    answers, answering = time_answering(student, chain, [q.question for q in questions])
    final_frame = to_frame(
        grade(lambda qs: answers, judge, questions, stage="bench:final", model_id=final.model_id), Judgement
    )
    answering["model_id"] = final.model_id
    phases["final model answering"] = time.perf_counter() - phase
    accuracy_figures["final"] = final_accuracy(final.model_id, final_frame, accuracy_figures)
    accuracy_figures["independent"] = independent_figures(final_frame, accuracy_figures["iterations"], domain)
    accuracy_figures["retention"].append(
        _retention_row(
            f"final: {final.model_id}",
            None,
            final_frame[final_frame["split"] == "general"],
            accuracy_figures["_base_general"],
        )
    )

    # --- baselines on iteration 1's probes ---------------------------------------------------------------
    phase = time.perf_counter()
    first = "it0001"
    first_probes = [q for q in probes if q.iteration == first]
    sources = warehouse.sources_of(first)
    documents = list(zip(sources["title"], sources["text"]))
    # The loop already graded the base model on exactly these probes before training (it0001's baseline_scores).
    closed_book = warehouse.baseline_probes_of(f"{domain.slug}-base", first)
    rows = run_baselines(
        student,
        judge,
        first_probes,
        documents,
        work,
        epochs=settings.sft_epochs,
        learning_rate=settings.sft_learning_rate,
        log=log,
        closed_book=closed_book,
    )
    phases["baselines"] = time.perf_counter() - phase
    first_final = final_frame[(final_frame["iteration"] == first) & (final_frame["split"] == "probe")]
    candidate = warehouse.probe_scores("dpo_judge_scores", first)
    alas_rows = [
        _alas_row(f"ALAS {first} candidate (after DPO)", candidate),
        _alas_row(f"ALAS final model ({final.model_id})", first_final),
    ]
    accuracy_figures["baselines"] = {
        "probe_set": first,
        "probes": len(first_probes),
        "retrieved_passages": RETRIEVED_PASSAGES,
        "documents": len(documents),
        "rows": rows,
        "alas": alas_rows,
    }

    # --- our trainer vs trl on iteration 1's training pairs ----------------------------------------------
    # Throughput needs no full training: two epochs (at most) measure the tokens/s ratio.
    phase = time.perf_counter()
    examples = [(p.question, p.answer) for p in warehouse.pairs("train", first)]
    comparison_epochs = min(2, settings.sft_epochs)
    comparison = compare_trainers(
        student, examples, work, epochs=comparison_epochs, learning_rate=settings.sft_learning_rate, log=log
    )
    phases["trainer comparison"] = time.perf_counter() - phase

    # --- the machine's matmul limit, and utilisation --------------------------------------------------------
    phase = time.perf_counter()
    log("timing bf16 and fp32 matmuls")
    machine = machine_info()
    flops = best_flop_limits({"start": flops_at_start, "end": flop_limits(matmul_size)})
    params = parameter_counts(student.load([])[0], settings.lora_rank, settings.lora_layers)
    peak_dtype = "bf16" if machine["bf16_used"] else "fp32"
    flops.update(
        peak_dtype=peak_dtype,
        peak_gflops=flops[f"{peak_dtype}_gflops"],
        parameters=params,
        flops_per_token=training_flops_per_token(params, settings.sft_epochs),
        formula=FLOP_FORMULA,
    )
    phases["matmul at end"] = time.perf_counter() - phase
    training = training_rows(warehouse.models())
    for row in training:
        if row["stage"] == "sft" and row["tokens_per_second"]:
            row.update(utilisation(row["tokens_per_second"], params, flops["peak_gflops"], settings.sft_epochs))
    for name in TRAINERS:
        comparison[name].update(
            utilisation(comparison[name]["tokens_per_second"], params, flops["peak_gflops"], comparison_epochs)
        )

    accuracy_figures.pop("_base_general")
    return {
        "domain": domain.name,
        "domain_file": str(domain_file),
        "started_at": started_at.isoformat(timespec="seconds"),
        "state_dir": str(state),
        "judge": judge.name,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "phases": {k: round(v, 1) for k, v in phases.items()},
        "machine": machine,
        "settings": settings.model_dump(
            mode="json",
            include={
                "model",
                "lora_rank",
                "lora_layers",
                "sft_start",
                "rehearsal_fraction",
                "sft_epochs",
                "sft_learning_rate",
                "dpo_epochs",
                "dpo_learning_rate",
                "batch_size",
                "max_new_tokens",
            },
        ),
        "loop_stop_reason": outcomes[-1].stop_reason if outcomes else "",
        "accuracy": accuracy_figures,
        "throughput": {
            "training": training,
            "trainer_comparison": comparison,
            "flops": flops,
            "answering": answering,
            "stages": clock.summary([s.job for s in STAGES]),
        },
    }


# --- accuracy read back from the warehouse -----------------------------------------------------------------
def _mean(frame: pd.DataFrame) -> float | None:
    return float(frame["correct"].astype(bool).mean()) if len(frame) else None


def loop_accuracy(warehouse: Warehouse, domain: Domain) -> dict:
    """Per iteration and topic: before, after SFT, after DPO; retention and forgetting from the loop's tables."""
    tables = {"before": "baseline_scores", "after_sft": "judge_scores", "after_dpo": "dpo_judge_scores"}
    scores = {stage: warehouse.probe_scores(table) for stage, table in tables.items()}
    promotion = warehouse.promotions()
    retained = warehouse.retention_scores()
    base_id = f"{domain.slug}-base"
    general = retained[retained["split"] == "general"] if len(retained) else retained
    # The base's general answers: its own rows, or (stored before those existed) its rows as iteration 1's parent.
    base_general = general[general["model_id"] == base_id].drop_duplicates("pair_id") if len(general) else general
    iterations, retention_rows = [], []
    if len(base_general):
        retention_rows.append(_retention_row(f"base: {base_id}", None, base_general, base_general))
    for _, verdict in promotion.iterrows():
        it = verdict["iteration"]
        row: dict = {
            "iteration": it,
            "promoted": bool(verdict["promoted"]),
            "candidate_id": verdict.get("candidate_id"),
            "reason": verdict["reason"],
        }
        before = scores["before"]
        row["probes"] = int((before["iteration"] == it).sum()) if len(before) else 0
        for stage, frame in scores.items():
            row[stage] = _mean(frame[frame["iteration"] == it]) if len(frame) else None
        topics = sorted(set(before.loc[before["iteration"] == it, "topic"])) if len(before) else []
        row["topics"] = [
            {
                "topic": topic,
                "probes": int(((before["iteration"] == it) & (before["topic"] == topic)).sum()),
                **{
                    stage: _mean(frame[(frame["iteration"] == it) & (frame["topic"] == topic)]) if len(frame) else None
                    for stage, frame in scores.items()
                },
            }
            for topic in topics
        ]
        mine = retained[retained["iteration"] == it] if len(retained) else retained
        if len(mine):
            # The gate's suite: earlier probes of the topics this iteration left alone.
            _, _, earlier_parent, earlier_candidate = retention_suites(mine, studied_topics=topics)
            row["earlier_probes"] = len(earlier_candidate)
            row["earlier_parent"] = _mean(earlier_parent)
            row["earlier_candidate"] = _mean(earlier_candidate)
            row["earlier_retention_vs_parent"] = _none(verdict.get("earlier_retention"))
            row["independent"] = independent_overall(mine)
            candidate_general = mine[(mine["split"] == "general") & (mine["stage"] == "retention:candidate")]
            retention_rows.append(_retention_row(f"{it} candidate", it, candidate_general, base_general))
        iterations.append(row)
    return {"iterations": iterations, "retention": retention_rows, "_base_general": base_general}


def _none(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _retention_row(model: str, iteration: str | None, frame: pd.DataFrame, base: pd.DataFrame) -> dict:
    return {
        "model": model,
        "iteration": iteration,
        "probes": len(frame),
        "accuracy": _mean(frame),
        "kept_vs_base": kept_fraction(base, frame) if len(base) else None,
        "retention_vs_base": retention(base, frame) if len(base) else None,
    }


def independent_figures(final_frame: pd.DataFrame, iterations: list[dict], domain: Domain) -> dict:
    """The independent questions (written by a person, never trained on): per iteration the base, the
    parent and the candidate (from the loop's retention scores), and the final model per topic, with
    the questions it missed."""
    rows = final_frame[final_frame["split"] == INDEPENDENT] if len(final_frame) else final_frame
    if not len(rows):
        return {}
    per_topic = [
        {
            "topic": str(topic),
            "questions": len(group),
            "correct": int(group["correct"].astype(bool).sum()),
            "accuracy": _mean(group),
        }
        for topic, group in rows.groupby("topic")
    ]
    missed = [
        {"topic": r.topic, "question": r.question, "accepted": r.reference, "answer": r.answer}
        for r in rows[~rows["correct"].astype(bool)].itertuples()
    ]
    return {
        "file": str(domain.evaluation.questions),
        "questions": len(rows),
        "per_iteration": [{"iteration": r["iteration"], **r.get("independent", {})} for r in iterations],
        "final_model": _mean(rows),
        "per_topic": per_topic,
        "missed": missed,
    }


def final_accuracy(model_id: str, frame: pd.DataFrame, loop: dict) -> dict:
    probes = frame[frame["split"] == "probe"]
    # The model kept after each iteration: its candidate if promoted, else the parent that stayed (its `before`).
    own = {r["iteration"]: r.get("after_dpo") if r.get("promoted") else r.get("before") for r in loop["iterations"]}
    return {
        "model_id": model_id,
        "per_iteration": [
            {
                "iteration": it,
                "probes": int((probes["iteration"] == it).sum()),
                "after_own_iteration": own.get(it),
                "final_model": _mean(probes[probes["iteration"] == it]),
            }
            for it in sorted(set(probes["iteration"]))
        ],
        "general_accuracy": _mean(frame[frame["split"] == "general"]),
    }


def _alas_row(name: str, frame: pd.DataFrame) -> dict:
    return {
        "name": name,
        "accuracy": _mean(frame),
        "correct": int(frame["correct"].astype(bool).sum()) if len(frame) else 0,
        "probes": len(frame),
    }
