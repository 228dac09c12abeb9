"""`alas bench` end to end on the tiny domain: one iteration, every output written, every figure measured."""

from __future__ import annotations

import json
import os

import pytest

from alas_assets.cli import main


@pytest.fixture(autouse=True)
def _restore_alas_domain(monkeypatch):
    # main() sets ALAS_DOMAIN: restore it afterwards.
    monkeypatch.setenv("ALAS_DOMAIN", "placeholder")
    monkeypatch.delenv("ALAS_DOMAIN")


GENERAL = [
    '{"question": "What is the capital of France?", "answer": "Paris"}',
    '{"question": "What planet do we live on?", "answer": "Earth"}',
]


def test_bench_on_the_tiny_domain_writes_markdown_plot_and_json(tiny_domain, tmp_path, capsys):
    environment = {name: os.environ.get(name) for name in ("ALAS_STATE_DIR", "DAGSTER_HOME")}
    # Two general-knowledge probes instead of the shipped forty: the same code path, in less time.
    (tmp_path / "general.jsonl").write_text("\n".join(GENERAL) + "\n", encoding="utf-8")
    tiny_domain.write_text(
        tiny_domain.read_text().replace("[sources]", 'general_probes = "general.jsonl"\n[sources]', 1)
    )
    out = tmp_path / "bench"

    assert main(["bench", "--domain", str(tiny_domain), "--iterations", "1", "--out", str(out)]) == 0

    printed = capsys.readouterr().out
    assert printed == (out / "bench.md").read_text(encoding="utf-8")
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    figures = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert (out / "state" / "tiny" / "alas.duckdb").is_file()  # its own fresh state under the out dir
    assert (out / "dagster_home").is_dir()
    # Given to the loop explicitly: the environment's folders (the fixture's) are neither changed nor used.
    assert {name: os.environ.get(name) for name in environment} == environment
    assert not (tmp_path / "state").exists() and not (tmp_path / "dagster_home").exists()

    accuracy = figures["accuracy"]
    assert [r["iteration"] for r in accuracy["iterations"]] == ["it0001"]
    first = accuracy["iterations"][0]
    assert first["probes"] == 4 and {t["topic"] for t in first["topics"]} == {"orion-mission", "zephyr-release"}
    assert all(0.0 <= first[k] <= 1.0 for k in ("before", "after_sft", "after_dpo"))
    baselines = accuracy["baselines"]
    assert baselines["probe_set"] == "it0001" and baselines["probes"] == 4
    assert [r["name"] for r in baselines["rows"]] == [
        "base model, closed book",
        "base model + BM25 top-3 passages",
        "SFT on the raw documents, closed book",
    ]
    assert all(r["probes"] == 4 and len(r["answers"]) == 4 for r in baselines["rows"])
    assert baselines["rows"][2]["train_tokens"] > 0
    general = [r for r in accuracy["retention"] if r["model"].startswith("base")][0]
    assert general["probes"] == 2
    assert accuracy["final"]["per_iteration"][0]["probes"] == 4

    throughput = figures["throughput"]
    assert {r["stage"] for r in throughput["training"]} >= {"sft"}
    assert all(r["tokens"] > 0 and r["seconds"] > 0 for r in throughput["training"])
    comparison = throughput["trainer_comparison"]
    assert (
        comparison["fast"]["tokens"] > 0
        and comparison["trl"]["tokens"] > 0
        and comparison["trl-tuned"]["tokens"] > 0
        and comparison["tokens_per_second_ratio"] > 0
        and comparison["tuned"]["tokens_per_second_ratio"] > 0
    )
    flops = throughput["flops"]
    assert set(flops["timed_at"]) == {"start", "end"}  # timed before the loop and after everything else
    assert flops["bf16_gflops"] == max(sample["bf16_gflops"] for sample in flops["timed_at"].values()) > 0
    assert flops["fp32_gflops"] == max(sample["fp32_gflops"] for sample in flops["timed_at"].values()) > 0
    # a tiny model's share of the matmul peak rounds to 0 on a busy machine: measured, not necessarily > 0
    assert comparison["fast"]["achieved_gflops"] >= 0 and 0 <= comparison["fast"]["utilisation"] < 1
    answering = throughput["answering"]
    assert answering["questions"] == 4 + 2 + 3 and answering["answers_per_second"] > 0  # probes, general, independent
    independent = figures["accuracy"]["independent"]
    assert independent["questions"] == 3 and [r["iteration"] for r in independent["per_iteration"]] == ["it0001"]
    assert set(independent["per_iteration"][0]) >= {"base", "parent", "candidate"}
    assert answering["questions"] <= answering["generated_tokens"] <= answering["questions"] * 8  # max_new_tokens = 8
    stages = throughput["stages"]
    assert [r["iteration"] for r in stages["per_iteration"]] == ["it0001"]
    assert set(stages["totals"]) == {"plan", "study", "fine_tune", "grade", "correct", "regrade", "promote"}
    assert all(v > 0 for v in stages["totals"].values())
    assert figures["machine"]["torch"] and figures["machine"]["cpu"]

    for heading in (
        "## 0. Independent questions",
        "## 1. Accuracy",
        "### Baselines",
        "## 2. Throughput",
        "### Our SFT trainer vs trl",
    ):
        assert heading in printed
