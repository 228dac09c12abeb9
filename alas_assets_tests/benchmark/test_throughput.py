"""The FLOP count behind the benchmark's utilisation figure."""

from __future__ import annotations

import pytest

from alas_assets.benchmark.throughput import parameter_counts, training_flops_per_token


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
