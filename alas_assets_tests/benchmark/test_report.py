"""The report writer: Markdown tables, the PNG and the JSON from a small fixed figures dict."""

from __future__ import annotations

import json

import pandas as pd

from alas_assets.benchmark.report import render_markdown, write_outputs
from alas_assets.benchmark.runner import final_accuracy
from alas_assets.benchmark.throughput import StageClock

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def figures() -> dict:
    def training(**extra):
        return {
            "tokens": 1200,
            "seconds": 4.0,
            "wall_seconds_with_loading": 5.0,
            "tokens_per_second": 300.0,
            "final_loss": 1.25,
            **extra,
        }

    return {
        "domain": "fixed",
        "started_at": "2026-01-01T00:00:00+00:00",
        "state_dir": "/tmp/state",
        "judge": "offline-reference-judge",
        "wall_seconds": 123.4,
        "phases": {"loop": 100.0, "baselines": 10.0},
        "machine": {"cpu": "Test CPU", "logical_cores": 2, "torch": "2.13.0", "bf16_used": True},
        "accuracy": {
            "iterations": [
                {
                    "iteration": "it0001",
                    "probes": 4,
                    "before": 0.0,
                    "after_sft": 0.5,
                    "after_dpo": 0.75,
                    "promoted": True,
                    "topics": [
                        {"topic": "alpha", "probes": 2, "before": 0.0, "after_sft": 0.5, "after_dpo": 1.0},
                        {"topic": "beta", "probes": 2, "before": 0.0, "after_sft": 0.5, "after_dpo": 0.5},
                    ],
                },
                {
                    "iteration": "it0002",
                    "probes": 2,
                    "before": 0.5,
                    "after_sft": 0.5,
                    "after_dpo": 1.0,
                    "promoted": False,
                    "topics": [{"topic": "beta", "probes": 2, "before": 0.5, "after_sft": 0.5, "after_dpo": 1.0}],
                    "earlier_probes": 4,
                    "earlier_parent": 0.75,
                    "earlier_candidate": 0.5,
                    "earlier_retention_vs_parent": 0.667,
                },
            ],
            "retention": [
                {
                    "model": "base: fixed-base",
                    "iteration": None,
                    "probes": 10,
                    "accuracy": 0.6,
                    "kept_vs_base": 1.0,
                    "retention_vs_base": 1.0,
                },
                {
                    "model": "it0001 candidate",
                    "iteration": "it0001",
                    "probes": 10,
                    "accuracy": 0.6,
                    "kept_vs_base": 1.0,
                    "retention_vs_base": 1.0,
                },
                {
                    "model": "it0002 candidate",
                    "iteration": "it0002",
                    "probes": 10,
                    "accuracy": 0.5,
                    "kept_vs_base": 0.833,
                    "retention_vs_base": 0.833,
                },
            ],
            "final": {
                "model_id": "fixed-it0001-dpo-abc",
                "per_iteration": [
                    {"iteration": "it0001", "probes": 4, "after_own_iteration": 0.75, "final_model": 0.75},
                    {"iteration": "it0002", "probes": 2, "after_own_iteration": 1.0, "final_model": 0.5},
                ],
            },
            "baselines": {
                "probe_set": "it0001",
                "probes": 4,
                "rows": [
                    {"name": "base model, closed book", "accuracy": 0.0, "correct": 0, "probes": 4},
                    {
                        "name": "base model + BM25 top-3 passages",
                        "accuracy": 0.5,
                        "correct": 2,
                        "probes": 4,
                        "passages_indexed": 7,
                    },
                    {
                        "name": "SFT on the raw documents, closed book",
                        "accuracy": 0.25,
                        "correct": 1,
                        "probes": 4,
                        "train_examples": 3,
                        "train_tokens": 300,
                        "train_seconds": 1.5,
                    },
                ],
                "alas": [{"name": "ALAS it0001 candidate (after DPO)", "accuracy": 0.75, "correct": 3, "probes": 4}],
            },
        },
        "throughput": {
            "training": [
                {
                    "model_id": "fixed-it0001-sft-abc",
                    "iteration": "it0001",
                    "stage": "sft",
                    "examples": 8,
                    "tokens": 900,
                    "seconds": 3.0,
                    "tokens_per_second": 300.0,
                    "achieved_gflops": 1.5,
                    "utilisation": 0.015,
                },
                {
                    "model_id": "fixed-it0001-dpo-abc",
                    "iteration": "it0001",
                    "stage": "dpo",
                    "examples": 2,
                    "tokens": 200,
                    "seconds": 2.0,
                    "tokens_per_second": 100.0,
                },
            ],
            "trainer_comparison": {
                "examples": 8,
                "epochs": 1,
                "learning_rate": 0.001,
                "fast": training(tokens_per_second=600.0, achieved_gflops=3.0, utilisation=0.03),
                "trl": training(achieved_gflops=1.5, utilisation=0.015),
                "trl-tuned": training(tokens_per_second=400.0, achieved_gflops=2.0, utilisation=0.02),
                "tokens_per_second_ratio": 2.0,
                "time_ratio": 1.9,
                "tuned": {"tokens_per_second_ratio": 1.5, "time_ratio": 1.4},
            },
            "flops": {
                "matmul_size": 256,
                "fp32_gflops": 80.0,
                "bf16_gflops": 100.0,
                "peak_dtype": "bf16",
                "peak_gflops": 100.0,
                "parameters": {"total": 1000, "linear_body": 800, "lm_head": 200, "lora": 50, "lora_rank": 16},
                "flops_per_token": 3500,
                "formula": "a stated formula",
            },
            "answering": {
                "questions": 16,
                "seconds": 2.0,
                "answers_per_second": 8.0,
                "generated_tokens": 120,
                "generated_tokens_per_second": 60.0,
                "batch_size": 8,
                "max_new_tokens": 8,
            },
            "stages": {
                "stage_order": ["plan", "study"],
                "per_iteration": [{"iteration": "it0001", "stages": {"plan": 1.0, "study": 2.0}, "total": 3.0}],
                "totals": {"plan": 1.0, "study": 2.0},
                "total": 3.0,
            },
        },
    }


def test_markdown_has_a_table_for_every_figure():
    text = render_markdown(figures())

    for heading in (
        "## Machine",
        "### Per iteration",
        "### Per topic",
        "### Retention of general knowledge",
        "### Forgetting",
        "### Baselines on it0001's probes",
        "### Training in the loop",
        "### Our SFT trainer vs trl",
        "### Machine FLOP limit",
        "### Answering",
        "### Wall time per stage",
    ):
        assert heading in text, heading
    assert "| it0001 | 4 | 0.000 | 0.500 | 0.750 | yes |" in text
    assert "| it0001 | beta | 2 | 0.000 | 0.500 | 0.500 |" in text
    assert "| base model + BM25 top-3 passages | 0.500 | 2/4 | 7 passages indexed |" in text
    assert "| ALAS it0001 candidate (after DPO) | 0.750 | 3/4 |" in text
    assert "| it0002 | 2 | 1.000 | 0.500 | -0.500 |" in text  # forgetting
    assert "right after its iteration (model kept)" in text and "est. GFLOP/s (lower bound)" in text
    assert "**2.00x**" in text and "**1.90x**" in text
    assert "| trl SFTTrainer, tuned | 1200 |" in text and "tokens/s **1.50x**, time **1.40x**" in text
    assert "| ours (fast) | 1200 | 4.00 | 5.00 | 600.0 | 1.25 | 3.00 | 3.0% |" in text
    assert "| fixed-it0001-dpo-abc | dpo | 2 | 200 | 2.00 | 100.0 | n/a | n/a |" in text
    assert "| all | 1.0 | 2.0 | 3.0 |" in text
    assert "| cpu | Test CPU |" in text and "| bf16 used | yes |" in text


def test_a_flop_limit_timed_more_than_once_shows_every_sample():
    data = figures()
    data["throughput"]["flops"]["timed_at"] = {
        "start": {"matmul_size": 256, "fp32_gflops": 80.0, "bf16_gflops": 60.0},
        "end": {"matmul_size": 256, "fp32_gflops": 70.0, "bf16_gflops": 100.0},
    }

    text = render_markdown(data)

    assert "| bf16 matmul 256x256 | 100.0 GFLOP/s (best of the run's start 60.0, end 100.0) |" in text
    assert "| fp32 matmul 256x256 | 80.0 GFLOP/s (best of the run's start 80.0, end 70.0) |" in text
    assert "| bf16 matmul 256x256 | 100.0 GFLOP/s |" in render_markdown(figures())  # one timing: no samples listed


def test_outputs_are_written(tmp_path):
    paths = write_outputs(figures(), tmp_path / "out")

    assert paths["png"].read_bytes()[:8] == PNG_MAGIC and paths["png"].stat().st_size > 10_000
    assert json.loads(paths["json"].read_text())["throughput"]["trainer_comparison"]["tokens_per_second_ratio"] == 2.0
    assert paths["md"].read_text().startswith("# ALAS benchmark: fixed")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["bench.json", "bench.md", "bench.png"]


def test_stage_clock_sums_steps_per_stage_and_iteration():
    ticks = iter([0.0, 1.0, 4.0, 6.0, 10.0, 11.0, 13.0])
    clock = StageClock(clock=lambda: next(ticks))
    clock.step("plan", "it0001")  # 0
    clock.step("study", "it0001|a")  # 1: plan took 1
    clock.step("study", "it0001|b")  # 4: 3
    clock.end_iteration()  # 6: 2
    clock.step("plan", "it0002")  # 10
    clock.step("study", "it0002|a")  # 11: 1
    clock.end_iteration()  # 13: 2

    summary = clock.summary(["plan", "study"])
    assert summary["per_iteration"] == [
        {"iteration": "it0001", "stages": {"plan": 1.0, "study": 5.0}, "total": 6.0},
        {"iteration": "it0002", "stages": {"plan": 1.0, "study": 2.0}, "total": 3.0},
    ]
    assert summary["totals"] == {"plan": 2.0, "study": 7.0} and summary["total"] == 9.0


def test_forgetting_compares_with_the_model_kept_after_each_iteration():
    # it0002's candidate was not promoted: the final model descends from the parent that stayed (its "before").
    loop = {
        "iterations": [
            {"iteration": "it0001", "promoted": True, "before": 0.0, "after_dpo": 0.75},
            {"iteration": "it0002", "promoted": False, "before": 0.5, "after_dpo": 1.0},
        ]
    }
    frame = pd.DataFrame({"iteration": ["it0001", "it0002"], "split": ["probe", "probe"], "correct": [True, False]})

    rows = final_accuracy("final", frame, loop)["per_iteration"]
    assert [r["after_own_iteration"] for r in rows] == [0.75, 0.5]


def test_the_independent_questions_come_first_with_the_misses_listed():
    from alas_assets.benchmark.runner import independent_figures
    from alas_assets.domain import Domain

    frame = pd.DataFrame(
        {
            "split": ["independent", "independent", "independent", "probe"],
            "topic": ["alpha", "alpha", "beta", "alpha"],
            "question": ["When did alpha ship?", "Who led alpha?", "Which module does beta add?", "probe?"],
            "reference": ["4 March 2026", "Marta", "`beta.flow`", "x"],
            "answer": ["On 4 March 2026.", "Nobody.", "The `beta.flow` module.", "x"],
            "correct": [True, False, True, True],
        }
    )
    domain = Domain.model_validate(
        {"name": "d", "description": "x", "sources": {"corpus": "."}, "evaluation": {"questions": "q.jsonl"}}
    )
    iterations = [{"iteration": "it0001", "independent": {"base": 0.0, "parent": 0.0, "candidate": 0.667}}]
    independent = independent_figures(frame, iterations, domain)
    assert independent["final_model"] == 2 / 3 and independent["questions"] == 3
    assert [m["question"] for m in independent["missed"]] == ["Who led alpha?"]
    data = figures()
    data["accuracy"]["independent"] = independent
    text = render_markdown(data)
    assert text.index("## 0. Independent questions") < text.index("## 1. Accuracy on held-out probes")
    assert "| it0001 | 0.000 | 0.000 | 0.667 |" in text and "| alpha | 2 | 1 | 0.500 |" in text
    assert "| alpha | Who led alpha? | Marta | Nobody. |" in text
