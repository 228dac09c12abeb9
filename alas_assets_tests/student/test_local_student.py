"""The local student on the tiny model: adapters written, tokens counted, answers checked, runs reproducible."""

from __future__ import annotations

import pytest
import torch

from alas_assets.student.fast_sft import _ids
from alas_assets.student.local import LocalStudent

PREFERENCES = [
    ("Who maintains Zephyr?", "Ada Brightwater.", "Nobody knows."),
    ("What is the Zephyr codename?", "Quillfeather.", "Zephyr has no codename."),
]


def test_dpo_writes_an_adapter_and_counts_the_tokens_it_trained_on(tiny_model_dir, tmp_path):
    student = LocalStudent(str(tiny_model_dir), batch_size=2, seed=0)
    result = student.train_dpo([], PREFERENCES, tmp_path / "dpo", beta=0.1, epochs=1, learning_rate=1e-3)

    assert (tmp_path / "dpo" / "adapter_config.json").is_file()
    assert result.examples == 2 and result.loss is not None
    _, tokenizer = student.load([])
    prompts = [
        _ids(tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=True)) for p, _, _ in PREFERENCES
    ]
    # Each pair: its prompt twice (with the chosen and with the rejected answer) plus both answers.
    assert result.tokens > 2 * sum(len(ids) for ids in prompts) > 20
    assert result.tokens_per_second > 0


def test_an_answer_checked_by_teacher_forcing_is_what_greedy_decoding_gives(sharp_model_dir, tmp_path):
    learned = [("What is the Zephyr codename?", "Quillfeather."), ("Who maintains Zephyr?", "Ada Brightwater.")]
    student = LocalStudent(str(sharp_model_dir), batch_size=2, max_new_tokens=16, seed=0)
    student.train_sft([], learned, tmp_path / "sft", epochs=30, learning_rate=1e-2)
    chain = [str(tmp_path / "sft")]
    questions = [q for q, _ in learned]
    generated = student.answer(chain, questions)
    assert generated == [a for _, a in learned], "the model memorised its two answers"

    model, tokenizer = student.load(chain)
    reproduced = student._greedy_reproductions(model, tokenizer, [*learned, (questions[0], "Brightwater.")])
    assert reproduced == ["Quillfeather.", "Ada Brightwater.", None]
    # An expected answer the model does not give is generated instead, so the answers are the same either way.
    assert student.answer(chain, questions, expected=["Quillfeather.", "Someone else."]) == generated
    assert student.answer(chain, questions, expected=[None, "Ada Brightwater."]) == generated
    # Greedy decoding stops at max_new_tokens: an answer longer than that is not what it would give.
    student.max_new_tokens = 3
    assert student._greedy_reproductions(model, tokenizer, learned[1:]) == [None]


def test_lora_layers_puts_the_adapter_on_the_top_layers_only(tiny_model_dir, tmp_path):
    import json

    from safetensors.torch import load_file

    student = LocalStudent(str(tiny_model_dir), lora_layers=1, batch_size=2, seed=0)
    student.train_sft([], [(p, chosen) for p, chosen, _ in PREFERENCES], tmp_path / "sft", epochs=1, learning_rate=1e-3)

    assert json.loads((tmp_path / "sft" / "adapter_config.json").read_text())["layers_to_transform"] == [1]
    weights = load_file(tmp_path / "sft" / "adapter_model.safetensors")
    assert weights and all(".layers.1." in name for name in weights)
    assert len([name for name in weights if "lora_A" in name]) == 7  # every linear layer of the top decoder layer
    student.answer([str(tmp_path / "sft")], ["Who maintains Zephyr?"])  # the chain loads like any other


def test_the_same_training_run_gives_the_same_adapter(tiny_model_dir, tmp_path):
    import torch
    from safetensors.torch import load_file

    student = LocalStudent(str(tiny_model_dir), batch_size=2, seed=0)
    pairs = [(p, chosen) for p, chosen, _ in PREFERENCES]
    for run in ("first", "second"):
        torch.rand(1000)  # whatever else the process did before draws from the same random generator
        student.train_sft([], pairs, tmp_path / run, epochs=1, learning_rate=1e-3)
    first, second = (load_file(tmp_path / run / "adapter_model.safetensors") for run in ("first", "second"))
    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first)


def test_training_on_a_bf16_cpu_uses_eager_attention_and_answering_keeps_sdpa(tiny_model_dir, tmp_path, monkeypatch):
    from alas_assets.student import fast_sft, local

    seen = []
    train = fast_sft.train

    def spy(model, *args, **kwargs):
        seen.append(model.config._attn_implementation)
        return train(model, *args, **kwargs)

    monkeypatch.setattr(fast_sft, "train", spy)
    monkeypatch.setattr(local, "use_bf16", lambda: True)
    student = LocalStudent(str(tiny_model_dir), batch_size=2, seed=0)
    student.train_sft([], [(p, chosen) for p, chosen, _ in PREFERENCES], tmp_path / "sft", epochs=1, learning_rate=1e-3)

    assert seen == (["eager"] if student.device == "cpu" else ["sdpa"])
    model, _ = student.load([str(tmp_path / "sft")])
    assert model.config._attn_implementation == "sdpa"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_with_cuda_the_student_trains_and_answers_on_the_gpu_in_bf16(tiny_model_dir, tmp_path, monkeypatch):
    from alas_assets.student import fast_sft

    seen = []
    train = fast_sft.train

    def spy(model, *args, **kwargs):
        frozen = next(p for p in model.parameters() if not p.requires_grad)
        seen.append((frozen.device.type, frozen.dtype, kwargs["device"], kwargs["bf16"]))
        return train(model, *args, **kwargs)

    monkeypatch.setattr(fast_sft, "train", spy)
    student = LocalStudent(str(tiny_model_dir), batch_size=2, max_new_tokens=4, seed=0)
    student.train_sft([], [(p, chosen) for p, chosen, _ in PREFERENCES], tmp_path / "sft", epochs=1, learning_rate=1e-3)

    assert seen == [("cuda", torch.bfloat16, "cuda", True)]
    model, _ = student.load([str(tmp_path / "sft")])
    assert next(model.parameters()).device.type == "cuda"
    assert len(student.answer([str(tmp_path / "sft")], [p for p, _, _ in PREFERENCES])) == 2


def test_answering_weights_cast_once_to_bf16_give_what_autocast_gives(sharp_model_dir, monkeypatch):
    import copy

    from alas_assets.student import local

    student = LocalStudent(str(sharp_model_dir), batch_size=2, seed=0)
    model, tokenizer = student._fresh(())
    cast = copy.deepcopy(model)
    local.bf16_matmul_weights(cast)
    assert cast.get_output_embeddings().weight.dtype == torch.bfloat16
    assert cast.get_input_embeddings().weight.dtype == torch.float32  # the residual stream stays fp32
    ids = tokenizer(["Who maintains Zephyr?", "What is the Zephyr codename?"], return_tensors="pt", padding=True)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.equal(model(**ids).logits, cast(**ids).logits)

    monkeypatch.setattr(local, "use_bf16", lambda: True)
    answering, _ = student.answering_model([])
    assert answering.get_output_embeddings().weight.dtype == torch.bfloat16
    # Export and serving read load()'s model: its weights are the merged fp32 ones, untouched by answering.
    exported, _ = student.load([])
    assert all(p.dtype == torch.float32 for p in exported.parameters())
    assert exported.get_output_embeddings().weight is exported.get_input_embeddings().weight
