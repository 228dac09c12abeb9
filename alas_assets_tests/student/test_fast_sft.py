"""Our SFT loop: completion-only loss, and anchors that hold the parent's behaviour against forgetting."""

from __future__ import annotations

import random

import pytest
import torch

from alas_assets.student import fast_sft
from alas_assets_tests.student.conftest import peft_model

NEW = [
    ("What is the Zephyr codename?", "The Zephyr codename is Quillfeather."),
    ("Who maintains Zephyr?", "Ada Brightwater."),
]
ANCHORS = [("What is the capital of France?", "Paris is the capital of France."), ("Name a primary colour.", "Red.")]


def _batch(model, tokenizer, pairs, anchor):
    """(ids, labels, mask, anchor rows, the parent's logits on the anchor rows or None), as training builds them."""
    data = fast_sft.encode_pairs(tokenizer, pairs, anchor=anchor)
    pad_id = tokenizer.pad_token_id or tokenizer.eos_token_id
    parents = fast_sft.parent_logits(model, data, None, len(data), pad_id, "cpu", False)
    parent = torch.cat([parents[i] for i in range(len(data))]) if anchor else None
    return *fast_sft.batch_of(data, None, list(range(len(data))), pad_id, "cpu"), parent


def test_only_answer_tokens_are_learned(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    [item] = fast_sft.encode_pairs(tokenizer, NEW[:1])
    learned = tokenizer.decode([t for t, label in zip(item.input_ids, item.labels) if label != fast_sft.IGNORE])
    assert "Quillfeather" in learned and "codename?" not in learned


def test_anchor_loss_is_the_divergence_from_the_parent(tiny_model_dir):
    model, tokenizer = peft_model(tiny_model_dir)
    ids, labels, mask, anchors, parent = _batch(model, tokenizer, ANCHORS, anchor=True)
    as_anchor = fast_sft.completion_loss(model, ids, labels, mask, anchors, parent)
    as_target = fast_sft.completion_loss(model, ids, labels, mask, torch.zeros(len(ANCHORS), dtype=torch.bool), None)
    # A fresh LoRA adapter is the identity, so the model *is* its parent on the anchors.
    assert as_anchor.item() == pytest.approx(0.0, abs=1e-5)
    assert as_target.item() > 1.0  # a random model does not predict the answer text


def test_parent_logits_computed_once_give_the_divergence_computed_at_each_step(sharp_model_dir):
    model, tokenizer = peft_model(sharp_model_dir)
    data = fast_sft.encode_pairs(tokenizer, NEW) + fast_sft.encode_pairs(tokenizer, ANCHORS, anchor=True)
    pad_id = tokenizer.pad_token_id or tokenizer.eos_token_id
    torch.manual_seed(1)
    with torch.no_grad():  # the adapter moves away from the identity, as it does in training
        for name, weight in model.named_parameters():
            if "lora_B" in name:
                weight.normal_(0, 0.2)
    parents = fast_sft.parent_logits(model, data, None, 1, pad_id, "cpu", False)
    assert sorted(parents) == [2, 3]  # the anchors only
    batch = [3, 0, 2]  # an ordinary row between two anchors
    ids, labels, mask, anchors = fast_sft.batch_of(data, None, batch, pad_id, "cpu")
    stored = torch.cat([parents[i] for i in batch if data[i].anchor])
    with torch.no_grad():
        with model.disable_adapter():  # the parent's forward pass on this batch's anchor rows, as a step would run it
            _, _, in_step, _ = fast_sft.labelled_logits(model, ids[anchors], labels[anchors], mask[anchors])
        each_step = fast_sft.completion_loss(model, ids, labels, mask, anchors, in_step)
        once = fast_sft.completion_loss(model, ids, labels, mask, anchors, stored)
    assert each_step.item() > 0.01  # the adapter moved, so the anchors do diverge
    assert once.item() == pytest.approx(each_step.item(), rel=1e-5)


def _loss(model, tokenizer, pairs, anchor: bool) -> float:
    """On anchors: the KL of the model from its parent; on other pairs: the cross-entropy of their answers."""
    ids, labels, mask, anchors, parent = _batch(model, tokenizer, pairs, anchor=anchor)
    with torch.no_grad():
        return fast_sft.completion_loss(model, ids, labels, mask, anchors, parent).item()


def _drift(model, tokenizer) -> float:
    return _loss(model, tokenizer, ANCHORS, anchor=True)


def _new_loss(model, tokenizer) -> float:
    return _loss(model, tokenizer, NEW, anchor=False)


def test_anchors_keep_the_model_close_to_its_parent_while_it_learns(sharp_model_dir):
    def trained(anchors):
        model, tokenizer = peft_model(sharp_model_dir)
        fast_sft.train(
            model,
            tokenizer,
            NEW,
            epochs=20,
            learning_rate=1e-2,
            batch_size=2,
            seed=0,
            bf16=False,
            device="cpu",
            anchors=anchors,
        )
        return model

    untrained, tokenizer = peft_model(sharp_model_dir)
    free, anchored = trained(()), trained(ANCHORS)
    assert _new_loss(anchored, tokenizer) < 0.5 * _new_loss(untrained, tokenizer)  # it still learns the new pairs
    assert _drift(anchored, tokenizer) < 0.5 * _drift(free, tokenizer)
    assert _drift(free, tokenizer) > 0.1  # without anchors training really moves the model there


def test_length_buckets_compute_little_padding_where_lengths_vary_a_little():
    lengths = [60 + (i * 7) % 25 for i in range(400)]  # questions and answers of 60-84 tokens
    assert fast_sft.padding_share(lengths, 4) < 0.02  # similar lengths share a batch
    assert fast_sft.padding_share([10, 100], 2) == 1 - 110 / 200  # one batch, padded to its longest


def test_length_buckets_cover_every_example_once():
    lengths = [5, 50, 7, 48, 6, 49, 8]
    batches = fast_sft.length_buckets(lengths, 2, random.Random(0))
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert all(max(lengths[i] for i in b) - min(lengths[i] for i in b) <= 2 for b in batches)


def _top_layer_model(model_dir):
    """The sharp model with LoRA on its top decoder layer only (its bottom layer frozen)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    linears = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    config = LoraConfig(r=8, lora_alpha=16, target_modules=linears, layers_to_transform=[1], task_type="CAUSAL_LM")
    return get_peft_model(model, config), AutoTokenizer.from_pretrained(model_dir)


def _adapter(model) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}


def test_a_frozen_bottom_is_computed_once_and_trains_the_same_adapter(sharp_model_dir, monkeypatch, caplog):
    def trained():
        model, tokenizer = _top_layer_model(sharp_model_dir)
        settings = dict(epochs=3, learning_rate=1e-2, batch_size=2, seed=0, bf16=False, device="cpu", anchors=ANCHORS)
        fast_sft.train(model, tokenizer, NEW + NEW, **settings)
        return model

    cached = trained()
    assert "cannot start part-way" not in caplog.text  # the top layers did resume from the stored outputs
    assert fast_sft.frozen_depth(cached.get_base_model()) == 1
    assert len(fast_sft.decoder(cached.get_base_model()).layers) == 2  # the slice is undone after training
    monkeypatch.setattr(fast_sft, "frozen_depth", lambda causal_lm: 0)  # every step through every layer
    uncached = trained()
    cached_weights, uncached_weights = _adapter(cached), _adapter(uncached)
    assert cached_weights.keys() == uncached_weights.keys() and all(".layers.1." in name for name in cached_weights)
    for name, weight in cached_weights.items():
        assert torch.allclose(weight, uncached_weights[name], atol=1e-5), name
    assert any(w.abs().sum() > 0 for name, w in cached_weights.items() if "lora_B" in name)  # it did train


def test_every_layer_trains_without_a_frozen_bottom(tiny_model_dir):
    model, _ = peft_model(tiny_model_dir)
    assert fast_sft.frozen_depth(model.get_base_model()) == 0


def test_hidden_states_the_top_layers_cannot_resume_from_are_detected(sharp_model_dir):
    model, tokenizer = _top_layer_model(sharp_model_dir)
    causal_lm, pad_id = model.get_base_model(), tokenizer.pad_token_id or tokenizer.eos_token_id
    data = fast_sft.encode_pairs(tokenizer, NEW)
    frozen = fast_sft.frozen_outputs(causal_lm, data, 1, 4, pad_id, "cpu", False)
    assert fast_sft.resumes_exactly(causal_lm, data, frozen, 1, pad_id, "cpu", False)
    # What a decoder that scales its input embeddings (as Gemma's does) would make of them.
    scaled = [hidden * 2 for hidden in frozen]
    assert not fast_sft.resumes_exactly(causal_lm, data, scaled, 1, pad_id, "cpu", False)


def test_the_exact_check_marks_rows_whose_answer_the_model_already_gives(sharp_model_dir):
    model, tokenizer = peft_model(sharp_model_dir)
    data = fast_sft.encode_pairs(tokenizer, NEW)
    pad_id = tokenizer.pad_token_id or tokenizer.eos_token_id
    ids, labels, mask, anchors = fast_sft.batch_of(data, None, [0, 1], pad_id, "cpu")
    exact: list[bool] = []
    fast_sft.completion_loss(model, ids, labels, mask, anchors, None, exact)
    assert exact == [False, False]  # a random model does not give these answers
    # Labels equal to the model's own greedy predictions: learned, by definition.
    with torch.no_grad():
        _, keep, logits, _ = fast_sft.labelled_logits(model, ids, labels, mask)
    own = labels.clone()
    own[:, 1:][keep] = logits.argmax(-1)
    exact = []
    fast_sft.completion_loss(model, ids, own, mask, anchors, None, exact)
    assert exact == [True, True]


def test_a_learned_example_stops_being_trained_and_anchors_stay():
    model = torch.nn.Linear(1, 1)
    seen: list[list[int]] = []

    def batch_loss(batch):
        seen.append(sorted(batch))
        loss = (model.weight.sum() - 1) ** 2
        # Example 0 is learned from the first epoch on; example 3 (say, an anchor) never reports learned.
        return loss, len(batch), [i for i in batch if i == 0]

    trained: list[int] = []
    fast_sft.run_epochs(
        model,
        [5, 5, 5, 5],
        batch_loss,
        epochs=3,
        learning_rate=0.01,
        batch_size=4,
        rng=random.Random(0),
        skip_learned=True,
        trained_per_epoch=trained,
    )
    assert seen == [[0, 1, 2, 3], [1, 2, 3], [1, 2, 3]]
    assert trained == [4, 3, 3]
    seen.clear()
    fast_sft.run_epochs(
        model, [5, 5, 5, 5], batch_loss, epochs=2, learning_rate=0.01, batch_size=4, rng=random.Random(0)
    )
    assert seen == [[0, 1, 2, 3], [0, 1, 2, 3]]  # without skip_learned every epoch trains everything


def test_training_stops_once_only_anchors_are_left_to_train():
    model = torch.nn.Linear(1, 1)
    seen: list[list[int]] = []

    def batch_loss(batch):
        seen.append(sorted(batch))
        return (model.weight.sum() - 1) ** 2, len(batch), [i for i in batch if i != 2]

    trained: list[int] = []
    fast_sft.run_epochs(
        model,
        [5, 5, 5],
        batch_loss,
        epochs=5,
        learning_rate=0.01,
        batch_size=4,
        rng=random.Random(0),
        skip_learned=True,
        trained_per_epoch=trained,
        kept=frozenset({2}),
    )
    assert seen == [[0, 1, 2]] and trained == [3]  # example 2 is an anchor: alone, it is not worth an epoch


def test_train_reports_the_examples_each_epoch_trained(sharp_model_dir, monkeypatch):
    model, tokenizer = peft_model(sharp_model_dir)
    real = fast_sft.completion_loss

    def first_row_learned(model, ids, labels, mask, anchors, parent, exact=None):
        loss = real(model, ids, labels, mask, anchors, parent)
        if exact is not None:
            exact.extend([True] + [False] * (len(ids) - 1))
        return loss

    monkeypatch.setattr(fast_sft, "completion_loss", first_row_learned)
    trained: list[int] = []
    fast_sft.train(
        model,
        tokenizer,
        NEW + ANCHORS[:1],
        epochs=3,
        learning_rate=1e-3,
        batch_size=4,
        seed=0,
        bf16=False,
        device="cpu",
        skip_learned=True,
        trained_per_epoch=trained,
    )
    assert trained[0] == 3 and trained[-1] < 3
