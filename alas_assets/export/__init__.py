"""Exports of a model version for use elsewhere: a merged Hugging Face folder, the PEFT adapter chain, a GGUF file."""
