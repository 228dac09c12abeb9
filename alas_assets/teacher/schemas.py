"""The JSON replies the teacher roles ask a chat model for, as pydantic models.

Every object forbids extra keys and every field is required (nullable where optional), so the
schemas are valid for OpenAI's strict structured outputs and for constrained decoding elsewhere.
Text rules are checked here, after parsing; the score's range is also in the schema (minimum and
maximum are allowed in strict schemas and let a grammar-constrained server enforce it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alas_assets.records import Category


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


class PlannedTopic(_Reply):
    name: str
    summary: str
    prerequisites: list[str]
    learning_objectives: list[str]
    difficulty: Literal["introductory", "intermediate", "advanced"]
    status: Literal["new", "remediate", "advanced"]
    remediates: str | None
    documents: list[str]
    search_queries: list[str]

    _name = field_validator("name", "summary")(_not_blank)


class Curriculum(_Reply):
    topics: list[PlannedTopic]


class AskedQuestion(_Reply):
    question: str
    answer: str
    answer_span: str
    category: Category
    difficulty: Literal["easy", "medium", "hard"]

    _text = field_validator("question", "answer", "answer_span")(_not_blank)


class StudiedFact(_Reply):
    source: str
    quote: str
    training: list[AskedQuestion]
    probe: AskedQuestion | None

    _text = field_validator("source", "quote")(_not_blank)


class StudyMaterial(_Reply):
    facts: list[StudiedFact]


class Grade(_Reply):
    reasoning: str
    factually_correct: bool
    complete: bool
    clear: bool
    verdict: Literal["correct", "incorrect"]
    score: float = Field(ge=0.0, le=1.0)  # minimum/maximum: allowed in strict schemas, enforced by grammars
