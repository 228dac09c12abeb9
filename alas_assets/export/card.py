"""The model card of an exported version: where it came from, what it was trained on, how it scored."""

from __future__ import annotations

import json

from alas_assets.domain import Domain
from alas_assets.export.versions import Version
from alas_assets.storage.warehouse import Warehouse


def evaluation(warehouse: Warehouse, version: Version) -> dict:
    """The version's figures: the promotion gate's verdict (registry metrics) and its accuracy per topic."""
    try:
        metrics = json.loads(version.model.metrics or "{}")
    except ValueError:
        metrics = {}
    recorded = warehouse.gate_per_topic(version.model.model_id)
    per_topic = json.loads(recorded) if recorded is not None else []
    return {"gate": metrics, "per_topic": per_topic}


def card_info(domain: Domain, warehouse: Warehouse, version: Version) -> dict:
    """What the card and the export manifest say about the version (plain JSON values)."""
    return {
        "domain": domain.name,
        "domain_description": domain.description,
        "model_id": version.model.model_id,
        "iteration": version.model.iteration,
        "stage": version.model.stage,
        "promoted": bool(version.model.promoted),
        "base_model": version.base.base_model,
        "lineage": [
            {
                "model_id": m.model_id,
                "iteration": m.iteration,
                "stage": m.stage,
                "data_hash": m.data_hash,
                "train_examples": m.train_examples,
                "train_tokens": m.train_tokens,
                "hyperparameters": json.loads(m.hyperparameters or "{}"),
            }
            for m in version.lineage
        ],
        "evaluation": evaluation(warehouse, version),
    }


def _number(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else ("n/a" if value is None else str(value))


def model_card(info: dict, usage: str) -> str:
    """A Hugging Face model card (README.md with YAML front matter)."""
    base = info["base_model"]
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-generation",
        "tags: [alas, lora, self-updating]",
        *([f"base_model: {base}"] if "/" in base and not base.startswith("/") else []),
        "---",
        "",
        f"# {info['model_id']}",
        "",
        f"The model of the ALAS domain **{info['domain']}** ({info['domain_description']}) after iteration "
        f"{info['iteration']} ({info['stage']}; {'promoted' if info['promoted'] else 'not promoted'}), "
        f"a fine-tune of `{base}` with LoRA adapters merged in, in this order:",
        "",
        "| model | iteration | stage | examples | tokens | data hash |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for m in info["lineage"]:
        lines.append(
            f"| {m['model_id']} | {m['iteration']} | {m['stage']} | {m['train_examples']} | {m['train_tokens']} "
            f"| `{m['data_hash']}` |"
        )
    gate = info["evaluation"]["gate"]
    lines += ["", "## Evaluation", ""]
    if gate:
        lines += [
            "Held-out probes (never trained on), as graded by the domain's judge:",
            "",
            f"- accuracy before training: {_number(gate.get('accuracy_before'))}, "
            f"after: {_number(gate.get('accuracy_after'))}",
            "- general-knowledge retention (fraction of the base model's accuracy): "
            f"{_number(gate.get('general_retention'))}",
            f"- earlier topics' probes (fraction of the parent's accuracy): {_number(gate.get('earlier_retention'))}",
            f"- promotion gate: {gate.get('reason', 'n/a')}",
        ]
    else:
        lines.append("No evaluation recorded for this version (the base model, or a version the gate has not judged).")
    per_topic = info["evaluation"]["per_topic"]
    if per_topic:
        lines += ["", "| topic | before | after SFT | after DPO |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {t['topic']} | {_number(t['before'])} | {_number(t['after_sft'])} | {_number(t['after_dpo'])} |"
            for t in per_topic
        ]
    lines += [
        "",
        "Training hyperparameters per version are in `alas_export.json` (`lineage`), with every file's sha256.",
        "",
        "## Use",
        "",
        usage.strip(),
        "",
    ]
    return "\n".join(lines)
