"""A GGUF file for llama.cpp and Ollama, written with the `gguf` package (llama.cpp's own gguf-py).

llama.cpp's converter (convert_hf_to_gguf.py) is not on the package index as a module: the
`convert-hf-to-gguf` distribution there is a third party's repackaging that also installs its own
`gguf` package over the official one, so it is not used. This module does what that converter does for
Llama-architecture models (SmolLM2, Llama): the same metadata keys, tensor names (gguf's TensorNameMap),
rotary permutation of the query and key weights, and BPE vocabulary (gguf's SpecialVocab for merges,
special tokens and the chat template). Other architectures get a clear error.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from alas_assets.export.versions import ExportError

# name: (GGML tensor type of matrices, llama.cpp file type); vectors (norms) stay F32 as llama.cpp keeps them.
TYPES = {
    "f32": ("F32", "ALL_F32"),
    "f16": ("F16", "MOSTLY_F16"),
    "bf16": ("BF16", "MOSTLY_BF16"),
    "q8_0": ("Q8_0", "MOSTLY_Q8_0"),
}

# llama.cpp identifies a BPE pre-tokenizer by the hash of the token IDs of this text (convert_hf_to_gguf.py,
# get_vocab_base_pre; MIT). Only the hashes of the families this project ships or names are listed.
_CHECK_TEXT = (
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) "
    "✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 "
    "កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на "
    "Български ''''''```````\"\"\"\"......!!!!!!?????? "
    "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL"
)
_PRE_TOKENIZERS = {
    "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm",  # SmolLM, SmolLM2
    "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",  # Llama 3
    "3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454": "gpt-2",  # GPT-2
}


def pre_tokenizer(tokenizer) -> str:
    """llama.cpp's name for the tokenizer's pre-tokenizer; 'default' (with a warning in llama.cpp) if unknown."""
    digest = hashlib.sha256(str(tokenizer.encode(_CHECK_TEXT)).encode()).hexdigest()
    return _PRE_TOKENIZERS.get(digest, "default")


def permute(weights: torch.Tensor, heads: int) -> torch.Tensor:
    """The rotary layout llama.cpp expects for q/k projections (the inverse of what HF's conversion did)."""
    return (
        weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _vocab(tokenizer, vocab_size: int):
    """Tokens and token types as llama.cpp's converter writes them for a BPE ("gpt2") tokenizer."""
    import gguf

    reverse = {i: t for t, i in tokenizer.get_vocab().items()}
    added = tokenizer.added_tokens_decoder
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        elif i in added:
            tokens.append(reverse[i])
            types.append(gguf.TokenType.CONTROL if added[i].special else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(reverse[i])
            types.append(gguf.TokenType.NORMAL)
    return tokens, types


def _check_architecture(config) -> None:
    if config.model_type != "llama":
        raise ExportError(
            f"GGUF export supports Llama-architecture models (SmolLM2, Llama), not '{config.model_type}': export "
            "--format hf and convert that folder with llama.cpp's convert_hf_to_gguf.py"
        )
    rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    if rope.get("rope_type", rope.get("type", "default")) not in ("default", None):
        raise ExportError(
            f"GGUF export does not write rope scaling '{rope.get('rope_type')}': "
            "export --format hf and use llama.cpp's converter"
        )


def _check_tokenizer(tokenizer_dir: Path) -> bool:
    """Refuse what is not a byte-level BPE tokenizer; return whether it adds a space before the text."""
    spec = json.loads((tokenizer_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = spec.get("model", {})
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        raise ExportError(
            "GGUF export writes byte-level BPE tokenizers (SmolLM2, Llama 3); "
            "this one is not: use llama.cpp's converter"
        )
    config = json.loads((tokenizer_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    if "add_prefix_space" in config:
        return bool(config["add_prefix_space"])
    pre = spec.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    return any(step.get("type") == "ByteLevel" and step.get("add_prefix_space") for step in steps)


def write_gguf(model, tokenizer, path: Path, *, kind: str = "f16", name: str = "") -> None:
    """Write a merged Llama-architecture model and its tokenizer as one GGUF file."""
    import gguf

    if kind not in TYPES:
        raise ExportError(f"GGUF type must be one of {', '.join(TYPES)}, not {kind!r}")
    config = model.config
    _check_architecture(config)
    tensor_type, file_type = (
        getattr(gguf.GGMLQuantizationType, TYPES[kind][0]),
        getattr(gguf.LlamaFileType, TYPES[kind][1]),
    )
    with tempfile.TemporaryDirectory() as scratch:
        tokenizer.save_pretrained(scratch)
        space_prefix = _check_tokenizer(Path(scratch))
        special = gguf.SpecialVocab(scratch, load_merges=True, n_vocab=config.vocab_size)

    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    rope = getattr(config, "rope_parameters", None) or {}
    writer = gguf.GGUFWriter(str(path), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(name or "alas-model")
    writer.add_block_count(config.num_hidden_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_freq_base(float(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0))))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_file_type(file_type)
    writer.add_vocab_size(config.vocab_size)
    writer.add_rope_dimension_count(head_dim)
    if head_dim != config.hidden_size // heads:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)

    tokens, types = _vocab(tokenizer, config.vocab_size)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre_tokenizer(tokenizer))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    special.add_to_gguf(writer, quiet=True)
    writer.add_add_space_prefix(space_prefix)
    probe = tokenizer("a")["input_ids"]
    writer.add_add_bos_token(tokenizer.bos_token_id is not None and probe[:1] == [tokenizer.bos_token_id])

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    tied = bool(getattr(config, "tie_word_embeddings", False))
    for hf_name, tensor in model.state_dict().items():
        if tied and hf_name == "lm_head.weight":
            continue  # llama.cpp reads the output projection from token_embd when there is no output.weight
        gguf_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:
            raise ExportError(f"GGUF export: no llama.cpp name for tensor {hf_name}")
        data = tensor.detach().to("cpu", torch.float32)
        if hf_name.endswith("q_proj.weight"):
            data = permute(data, heads)
        elif hf_name.endswith("k_proj.weight"):
            data = permute(data, kv_heads)
        array = data.numpy()
        if array.ndim == 1 or tensor_type == gguf.GGMLQuantizationType.F32:
            writer.add_tensor(gguf_name, array.astype(np.float32))
        elif tensor_type == gguf.GGMLQuantizationType.F16:
            writer.add_tensor(gguf_name, array.astype(np.float16))
        else:
            writer.add_tensor(gguf_name, gguf.quants.quantize(array, tensor_type), raw_dtype=tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
