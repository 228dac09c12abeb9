"""Row models of every table ALAS writes. Each row carries its lineage (iteration, topic, sources, model, run)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal, TypeVar

import pandas as pd
from pydantic import BaseModel, Field

Category = Literal["factual", "conceptual", "application", "analysis", "synthesis"]
Split = Literal["train", "probe"]


def content_hash(*parts: object) -> str:
    """A short, stable hash of the given parts (used for ids and for de-duplication)."""
    payload = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class Topic(BaseModel):
    iteration: str
    topic: str = Field(description="slug; the topic partition key")
    name: str
    summary: str
    prerequisites: list[str] = Field(default_factory=list)
    learning_objectives: list[str] = Field(default_factory=list)
    difficulty: Literal["introductory", "intermediate", "advanced"] = "intermediate"
    status: Literal["new", "remediate", "advanced"] = "new"
    source_refs: list[str] = Field(default_factory=list, description="documents or queries to research")
    order: int = 0
    planner: str = ""
    run_id: str = ""


class SourceDoc(BaseModel):
    iteration: str
    topic: str
    source_id: str
    url: str
    title: str
    published: date | None = None
    text: str
    content_hash: str
    origin: str = Field(description="corpus, feed or web")
    fetched_at: datetime
    run_id: str = ""


class QAPair(BaseModel):
    iteration: str
    topic: str
    pair_id: str
    split: Split
    question: str
    answer: str
    answer_span: str = Field(description="the key span a correct answer must contain")
    category: Category = "factual"
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    direction: str = Field("", description="how the fact is asked (cloze, recall, statement, ...)")
    fact_id: str = Field(description="hash of the source sentence the pair asks about")
    source_id: str
    source_url: str
    quote: str = Field(description="the quoted span of the source that supports the answer")
    synthesizer: str = ""
    run_id: str = ""


class Judgement(BaseModel):
    iteration: str
    topic: str
    stage: str = Field(description="baseline, sft, dpo, or a retention suite")
    pair_id: str
    split: str
    question: str
    reference: str
    answer: str
    correct: bool
    score: float
    reasoning: str
    model_id: str
    judge: str = ""
    run_id: str = ""


class PreferencePair(BaseModel):
    iteration: str
    topic: str
    pair_id: str
    prompt: str
    chosen: str
    rejected: str
    model_id: str = Field(description="the model whose wrong answer is rejected")
    run_id: str = ""
    kind: Literal["wrong answer", "swapped value"] = Field(
        "wrong answer", description="the model's wrong answer, or the reference with another value of its kind"
    )


class ModelVersion(BaseModel):
    model_id: str
    iteration: str
    stage: Literal["base", "sft", "dpo"]
    parent_id: str | None
    base_model: str
    artifact_path: str
    data_hash: str
    hyperparameters: str = Field(description="JSON")
    train_examples: int = 0
    train_tokens: int = 0
    train_loss: float | None = None
    train_seconds: float = 0.0
    tokens_per_second: float = 0.0
    created_at: datetime
    promoted: bool = False
    metrics: str = Field("{}", description="JSON")
    run_id: str = ""


class Promotion(BaseModel):
    """The gate's decision on an iteration's candidate."""

    iteration: str
    candidate_id: str
    parent_id: str
    promoted: bool
    reason: str
    accuracy_before: float
    accuracy_after: float
    general_retention: float | None = Field(
        description="accuracy on the general probes as a fraction of the base model's"
    )
    earlier_retention: float | None = Field(
        description="accuracy on earlier iterations' probes as a fraction of the parent's; none in iteration 1"
    )
    per_topic: str = Field(description="JSON: accuracy before / after SFT / after DPO per topic")
    run_id: str = ""


Row = TypeVar("Row", bound=BaseModel)


def to_frame(rows: Iterable[BaseModel], model: type[BaseModel]) -> pd.DataFrame:
    """A DataFrame with exactly the model's columns, even when there are no rows."""
    records = [row.model_dump(mode="json") for row in rows]
    frame = pd.DataFrame.from_records(records, columns=list(model.model_fields))
    for name, field in model.model_fields.items():
        if str(field.annotation).startswith("list"):
            frame[name] = frame[name].map(json.dumps)
        # Explicit dtypes, so that a column of only nulls still gets a real DuckDB type.
        frame[name] = frame[name].astype(_DTYPES.get(_base_type(field.annotation), "string"))
    return frame


_DTYPES = {bool: "boolean", int: "Int64", float: "Float64"}


def _base_type(annotation: object) -> object:
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    return (
        args[0]
        if len(args) == 1 and getattr(annotation, "__origin__", None) is None and args[0] in _DTYPES
        else annotation
    )


def from_frame(frame: pd.DataFrame, model: type[Row]) -> list[Row]:
    rows = []
    for record in frame.to_dict(orient="records"):
        for name, field in model.model_fields.items():
            if str(field.annotation).startswith("list") and isinstance(record.get(name), str):
                record[name] = json.loads(record[name])
            value = record.get(name)
            if not isinstance(value, (list, str)) and value is not None and pd.isna(value):
                record[name] = None
        rows.append(model.model_validate(record))
    return rows


class TopicRevision(BaseModel):
    iteration: str
    topic: str
    name: str
    accuracy_before: float
    accuracy_after: float
    probes: int
    status: Literal["mastered", "remediate"]
    next_action: str
    source_refs: list[str] = Field(default_factory=list)
    continue_loop: bool
    stop_reason: str = ""
    run_id: str = ""


class Deployment(BaseModel):
    """The model version an iteration leaves promoted, and its export (what `alas serve` and other tools use)."""

    iteration: str
    model_id: str
    promoted_this_iteration: bool
    format: str = Field(description="hf (merged folder), or remote for a model that lives on a service")
    path: str = Field(description="the export folder; empty for a remote model")
    sha256: str = Field(description="hash of the export's files (alas_export.json); empty for a remote model")
    size_bytes: int = 0
    exported_at: datetime
    run_id: str = ""
