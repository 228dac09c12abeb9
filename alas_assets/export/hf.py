"""A merged Hugging Face folder: the adapter chain merged into the base with peft, saved as safetensors."""

from __future__ import annotations

import copy
from pathlib import Path

import torch

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def save_merged(model, tokenizer, folder: Path, dtype: str = "float32") -> None:
    """Save a merged model (safetensors), its tokenizer and chat template, and its generation settings.

    float32 keeps the weights the local student answers with, so the folder answers exactly as `alas ask`."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    target = model if DTYPES[dtype] == model.dtype else copy.deepcopy(model).to(DTYPES[dtype])
    target.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
