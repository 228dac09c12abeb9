"""The FLOP count behind the benchmark's utilisation figure."""

from __future__ import annotations

import pytest

from alas_assets.benchmark.throughput import best_flop_limits, parameter_counts, training_flops_per_token


def test_an_adapter_on_the_top_layers_counts_the_layers_below_once_per_example(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    every = parameter_counts(model, lora_rank=8)
    top = parameter_counts(model, lora_rank=8, lora_layers=1)  # the tiny model has 2 identical layers
    assert every["linear_below"] == 0 and every["lora_layers"] == 2
    assert top["linear_below"] == every["linear_body"] / 2 and top["lora"] == every["lora"] / 2
    assert training_flops_per_token(every, epochs=4) == 4 * every["linear_body"] + 6 * every["lora"]
    # The bottom layer: a forward pass per example, shared by the 4 epochs, and no gradients.
    below = top["linear_below"]
    assert training_flops_per_token(top, epochs=4) == pytest.approx(4 * below + 6 * top["lora"] + 2 * below / 4)


def test_the_flop_limit_is_the_fastest_timing_of_each_dtype_with_every_sample_kept():
    start = {"matmul_size": 256, "fp32_gflops": 140.0, "bf16_gflops": 205.0}
    end = {"matmul_size": 256, "fp32_gflops": 98.0, "bf16_gflops": 380.0}

    limits = best_flop_limits({"start": start, "end": end})

    assert (limits["fp32_gflops"], limits["bf16_gflops"]) == (140.0, 380.0)
    assert limits["timed_at"] == {"start": start, "end": end} and limits["matmul_size"] == 256
