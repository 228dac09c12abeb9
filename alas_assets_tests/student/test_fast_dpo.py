"""Our DPO loop: the answer log-probabilities it compares, the loss at the start, and that it shifts preference."""

from __future__ import annotations

import math

import pytest
import torch

from alas_assets.student import fast_dpo, fast_sft
from alas_assets_tests.student.conftest import peft_model

PREFERENCES = [
    ("Who maintains Zephyr?", "Ada Brightwater maintains Zephyr.", "Nobody maintains it."),
    ("What is the Zephyr codename?", "Quillfeather.", "Zephyr has no codename at all."),
    ("When was Zephyr released?", "In March 2031.", "Zephyr was never released."),
]


def _logps(model, tokenizer, pairs) -> torch.Tensor:
    data = fast_sft.encode_pairs(tokenizer, pairs)
    ids, labels, mask, _ = fast_sft.collate(data, fast_sft.pad_token_id(tokenizer), "cpu")
    with torch.no_grad():
        return fast_dpo.answer_logps(model, ids, labels, mask)


def test_answer_logps_sum_the_answer_tokens_of_each_row_whatever_the_padding(tiny_model_dir):
    model, tokenizer = peft_model(tiny_model_dir)
    pairs = [(p, c) for p, c, _ in PREFERENCES]
    together = _logps(model, tokenizer, pairs)  # padded to the longest row
    for row, pair in enumerate(pairs):
        [item] = fast_sft.encode_pairs(tokenizer, [pair])
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([item.input_ids])).logits[0, :-1].float()
        answer = [(pos, label) for pos, label in enumerate(item.labels[1:]) if label != fast_sft.IGNORE]
        expected = sum(torch.log_softmax(logits[pos], -1)[label].item() for pos, label in answer)
        assert together[row].item() == pytest.approx(expected, abs=1e-3)


def test_the_loss_starts_at_log_2_because_a_fresh_adapter_is_its_own_reference(tiny_model_dir):
    model, tokenizer = peft_model(tiny_model_dir)
    chosen = _logps(model, tokenizer, [(p, c) for p, c, _ in PREFERENCES])
    rejected = _logps(model, tokenizer, [(p, r) for p, _, r in PREFERENCES])
    assert fast_dpo.dpo_loss(chosen, rejected, chosen, rejected, beta=0.1).item() == pytest.approx(math.log(2))
    # Preferring the chosen answer more than the reference does lowers it.
    assert fast_dpo.dpo_loss(chosen + 1.0, rejected, chosen, rejected, beta=0.1).item() < math.log(2)


def test_training_raises_the_chosen_answer_over_the_rejected_one(sharp_model_dir):
    model, tokenizer = peft_model(sharp_model_dir)

    def margin() -> float:
        chosen = _logps(model, tokenizer, [(p, c) for p, c, _ in PREFERENCES])
        rejected = _logps(model, tokenizer, [(p, r) for p, _, r in PREFERENCES])
        return float((chosen - rejected).mean())

    before = margin()
    loss, tokens, seconds = fast_dpo.train(
        model,
        tokenizer,
        PREFERENCES,
        beta=0.1,
        epochs=10,
        learning_rate=1e-2,
        batch_size=2,
        seed=0,
        bf16=False,
        device="cpu",
    )
    assert margin() > before + 5.0
    assert loss < math.log(2)
    assert tokens > 0 and seconds > 0
