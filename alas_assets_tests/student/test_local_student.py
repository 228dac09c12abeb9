"""The local student's DPO on the tiny model: an adapter is written and its tokens counted."""

from __future__ import annotations

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
    prompts = [_ids(tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=True)) for p, _, _ in PREFERENCES]
    # Each pair: its prompt twice (with the chosen and with the rejected answer) plus both answers.
    assert result.tokens > 2 * sum(len(ids) for ids in prompts) > 20
    assert result.tokens_per_second > 0
