"""The model registry as the stages use it: the base version, the parent of an iteration, a version's
adapters, and a version's answers kept so that no model is asked the same question twice."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from alas_assets.domain import Domain
from alas_assets.records import ModelVersion, content_hash
from alas_assets.storage.warehouse import Warehouse


class UnknownVersion(LookupError):
    """A model version ID the registry does not hold; the message names the ones it does."""


def chosen_version(warehouse: Warehouse, domain: Domain, model_id: str | None) -> ModelVersion:
    """The version named by ``model_id``, or the latest promoted one when it is None."""
    model = warehouse.promoted_model() if model_id is None else warehouse.model(model_id)
    if model is None:
        known = ", ".join(m.model_id for m in warehouse.models()) or "none"
        raise UnknownVersion(f"domain {domain.name} has no model version '{model_id}' (known: {known})")
    return model


def ensure_base_model(warehouse: Warehouse, domain: Domain, cache_dir: Path | None = None) -> ModelVersion:
    """Register the base model as the first promoted version, once; ``cache_dir``: where a shipped base
    model is dequantised (None: the default cache)."""
    from alas_assets.student.local import resolve_base_model  # here: torch loads only when a model is needed

    model_id = f"{domain.slug}-base"
    existing = warehouse.model(model_id)
    if existing is not None:
        return existing
    base = ModelVersion(
        model_id=model_id,
        iteration="it0000",
        stage="base",
        parent_id=None,
        base_model=domain.student.model,
        artifact_path=resolve_base_model(domain.student.model, cache_dir),
        data_hash=content_hash(domain.student.model),
        hyperparameters=json.dumps({}),
        created_at=datetime.now(timezone.utc),
        promoted=True,
    )
    warehouse.register(base)
    return base


def parent_model(warehouse: Warehouse, domain: Domain, iteration: str) -> ModelVersion:
    """The model this iteration starts from: the latest promoted one of an earlier iteration."""
    ensure_base_model(warehouse, domain)
    parent = warehouse.promoted_model(before_iteration=iteration)
    assert parent is not None
    return parent


def adapter_chain(warehouse: Warehouse, model_id: str) -> list[str]:
    """Adapters to merge, in order, on top of the base model to get this model version."""
    return [m.artifact_path for m in warehouse.lineage(model_id) if m.stage != "base"]


def answering_settings(domain: Domain) -> str:
    """What the kept answers of a version are valid for: the backend, the base model, the answer length."""
    return f"{domain.student.backend}:{domain.student.model}:max_new_tokens={domain.student.max_new_tokens}"


def answerer(domain: Domain, warehouse: Warehouse, backend, model_id: str) -> Callable[..., list[str]]:
    """The model version's greedy answers, each question answered once per answering settings and kept
    in the registry: a parent that stays from one iteration to the next is not asked the same again.
    The returned function takes (questions, expected=None), as Student.answer does after the chain."""
    settings = answering_settings(domain)
    chain = adapter_chain(warehouse, model_id)

    def answer(questions: Sequence[str], expected: Sequence[str | None] | None = None) -> list[str]:
        known = warehouse.answers(model_id, settings)
        todo: dict[str, int] = {}  # each new question once, with its first place
        for i, q in enumerate(questions):
            if q not in known:
                todo.setdefault(q, i)
        if todo:
            fresh = backend.answer(
                chain, list(todo), expected=[expected[i] for i in todo.values()] if expected else None
            )
            given = dict(zip(todo, fresh))
            warehouse.remember_answers(model_id, settings, given)
            known.update(given)
        return [known[q] for q in questions]

    return answer


def warm_answers(domain: Domain, warehouse: Warehouse, backend, model_id: str, questions: Sequence[str]) -> int:
    """Answer the questions the model version has not answered yet, all in one call to the backend, and
    keep the answers: a later grading of the version finds them in the registry instead of generating
    them in its own, smaller batches. Returns how many questions it generated answers to."""
    known = warehouse.answers(model_id, answering_settings(domain))
    new = {q for q in questions if q not in known}
    if new:
        answerer(domain, warehouse, backend, model_id)(questions)
    return len(new)
