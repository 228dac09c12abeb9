"""The Ollama Modelfile beside an exported GGUF file."""

from __future__ import annotations

# Ollama's Go template for ChatML (<|im_start|>role ... <|im_end|>), the format of SmolLM2's chat template.
CHATML_TEMPLATE = """{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
"""


def default_system_prompt(tokenizer) -> str | None:
    """The system message the chat template adds when a conversation has none (SmolLM2 adds one), if any."""
    marker = "\x00question\x00"
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": marker}], tokenize=False, add_generation_prompt=False
    )
    head = rendered.split(marker)[0]
    start = "<|im_start|>system\n"
    if start in head:
        return head.split(start, 1)[1].split("<|im_end|>", 1)[0]
    return None


def modelfile(gguf_name: str, tokenizer, model_id: str) -> str:
    """FROM the GGUF file; for ChatML templates the TEMPLATE, stop token and default system prompt too.

    Temperature 0: greedy answers, as `alas ask` gives and the evaluation graded."""
    template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else ""
    lines = [
        f"# {model_id}, exported by ALAS. Create it with: ollama create {model_id} -f Modelfile",
        f"FROM ./{gguf_name}",
    ]
    if "<|im_start|>" in template:
        lines.append(f'TEMPLATE """{CHATML_TEMPLATE}"""')
        system = default_system_prompt(tokenizer)
        if system:
            lines.append(f'SYSTEM """{system}"""')
        lines.append('PARAMETER stop "<|im_end|>"')
    else:
        lines.append("# The chat template is in the GGUF file (tokenizer.chat_template); Ollama reads it from there.")
    lines.append("PARAMETER temperature 0")
    return "\n".join(lines) + "\n"
