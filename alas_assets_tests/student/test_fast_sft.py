"""Our SFT loop: completion-only loss, and anchors that hold the parent's behaviour against forgetting."""

from __future__ import annotations

import random

import pytest
import torch

from alas_assets.student import fast_sft
from alas_assets_tests.student.conftest import peft_model

NEW = [("What is the Zephyr codename?", "The Zephyr codename is Quillfeather."), ("Who maintains Zephyr?", "Ada Brightwater.")]
ANCHORS = [("What is the capital of France?", "Paris is the capital of France."), ("Name a primary colour.", "Red.")]


def _batch(tokenizer, pairs, anchor):
    data = fast_sft.encode_pairs(tokenizer, pairs, anchor=anchor)
    return fast_sft.collate(data, tokenizer.pad_token_id or tokenizer.eos_token_id, "cpu")


def test_only_answer_tokens_are_learned(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    [item] = fast_sft.encode_pairs(tokenizer, NEW[:1])
    learned = tokenizer.decode([t for t, label in zip(item.input_ids, item.labels) if label != fast_sft.IGNORE])
    assert "Quillfeather" in learned and "codename?" not in learned


def test_anchor_loss_is_the_divergence_from_the_parent(tiny_model_dir):
    model, tokenizer = peft_model(tiny_model_dir)
    ids, labels, mask, _ = _batch(tokenizer, ANCHORS, anchor=True)
    as_anchor = fast_sft.completion_loss(model, ids, labels, mask, torch.ones(len(ANCHORS), dtype=torch.bool))
    as_target = fast_sft.completion_loss(model, ids, labels, mask, torch.zeros(len(ANCHORS), dtype=torch.bool))
    # A fresh LoRA adapter is the identity, so the model *is* its parent on the anchors.
    assert as_anchor.item() == pytest.approx(0.0, abs=1e-5)
    assert as_target.item() > 1.0  # a random model does not predict the answer text


def _loss(model, tokenizer, pairs, anchor: bool) -> float:
    """On anchors: the KL of the model from its parent; on other pairs: the cross-entropy of their answers."""
    ids, labels, mask, anchors = _batch(tokenizer, pairs, anchor=anchor)
    with torch.no_grad():
        return fast_sft.completion_loss(model, ids, labels, mask, anchors).item()


def _drift(model, tokenizer) -> float:
    return _loss(model, tokenizer, ANCHORS, anchor=True)


def _new_loss(model, tokenizer) -> float:
    return _loss(model, tokenizer, NEW, anchor=False)


def test_anchors_keep_the_model_close_to_its_parent_while_it_learns(sharp_model_dir):
    def trained(anchors):
        model, tokenizer = peft_model(sharp_model_dir)
        fast_sft.train(model, tokenizer, NEW, epochs=20, learning_rate=1e-2, batch_size=2, seed=0, bf16=False, device="cpu", anchors=anchors)
        return model

    untrained, tokenizer = peft_model(sharp_model_dir)
    free, anchored = trained(()), trained(ANCHORS)
    assert _new_loss(anchored, tokenizer) < 0.5 * _new_loss(untrained, tokenizer)  # it still learns the new pairs
    assert _drift(anchored, tokenizer) < 0.5 * _drift(free, tokenizer)
    assert _drift(free, tokenizer) > 0.1  # without anchors training really moves the model there


def test_length_buckets_cover_every_example_once():
    lengths = [5, 50, 7, 48, 6, 49, 8]
    batches = fast_sft.length_buckets(lengths, 2, random.Random(0))
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert all(max(lengths[i] for i in b) - min(lengths[i] for i in b) <= 2 for b in batches)
