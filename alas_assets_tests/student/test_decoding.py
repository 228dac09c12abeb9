"""Continuous batching: rows join and leave the running batch, and each gets its own greedy answer."""

from __future__ import annotations

import pytest
import torch

from alas_assets.student import decoding
from alas_assets.student.decoding import greedy_decode
from alas_assets.student.local import LocalStudent

QUESTIONS = [
    "Who maintains Zephyr?",
    "What is the Zephyr codename, and which release introduced it after the long beta?",
    "When?",
    "Which file format does Zephyr write its logs in by default?",
    "Name the team.",
    "What does the changelog of the second release candidate say about memory use on small boards?",
    "Is it fast?",
    "Which licence covers Zephyr's documentation and its examples?",
    "How many maintainers are there?",
]


@pytest.fixture(scope="module")
def model_and_prompts(sharp_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(sharp_model_dir)
    model = AutoModelForCausalLM.from_pretrained(sharp_model_dir, dtype=torch.float32).eval()
    prompts = [
        tokenizer(tokenizer.apply_chat_template([{"role": "user", "content": q}], tokenize=False))["input_ids"]
        for q in QUESTIONS
    ]
    return model, tokenizer, prompts


def alone(model, prompt, stops, max_new_tokens):
    """The prompt's greedy answer decoded by itself with ``generate``: no batch, no padding."""
    with torch.inference_mode():
        output = model.generate(
            input_ids=torch.tensor([prompt]),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=sorted(stops),
            pad_token_id=0,
        )
    return output[0, len(prompt) :].tolist()


def test_each_prompt_gets_the_answer_it_gets_alone_while_rows_join_and_leave(model_and_prompts):
    model, tokenizer, prompts = model_and_prompts
    # Stop tokens taken from different steps of different answers, so that answers end after different lengths.
    free = [alone(model, p, set(), 12) for p in prompts]
    stops = {free[i][(2 * i) % 11] for i in range(0, len(prompts), 2)}
    expected = [alone(model, p, stops, 12) for p in prompts]
    assert len({len(answer) for answer in expected}) >= 3, "the answers must end at different steps"

    finished = []
    with torch.inference_mode():
        decoded = greedy_decode(
            model, prompts, slots=3, max_new_tokens=12, stop_ids=stops, pad_id=0, on_answer=finished.append
        )
    assert decoded.tokens == expected
    assert finished[-1] == len(prompts) and finished == sorted(finished)
    # A slot freed by an early stop is refilled: fewer model calls than fixed batches of three decode.
    fixed = sum(max(len(a) for a in expected[i : i + 3]) for i in range(0, len(expected), 3))
    assert decoded.forward_passes < fixed


def test_a_model_whose_cache_cannot_take_rows_joining_is_answered_with_generate(
    sharp_model_dir, model_and_prompts, monkeypatch
):
    student = LocalStudent(str(sharp_model_dir), eval_batch_size=4, max_new_tokens=10)
    joined = student.answer([], QUESTIONS)
    monkeypatch.setattr(decoding, "supports_joining", lambda cache: False)
    assert student.answer([], QUESTIONS) == joined
    assert student.generated["forward_passes"] > 0 and student.generated["tokens"] >= 2 * len(QUESTIONS)
