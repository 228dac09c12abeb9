"""What every teacher backend provides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from alas_assets.records import QAPair, SourceDoc, Topic, TopicRevision


class Planner(Protocol):
    name: str

    def plan(self, iteration: str, previous: Sequence[TopicRevision], covered: set[str]) -> list[Topic]:
        """Topics for this iteration, given the last revision and every topic covered so far."""


class Synthesizer(Protocol):
    name: str

    def synthesize(
        self, topic: Topic, sources: Sequence[SourceDoc], n_train: int, n_probes: int, study_round: int
    ) -> list[QAPair]:
        """Training pairs and held-out probes for one topic, each citing a quote of a source."""


@dataclass(frozen=True)
class Verdict:
    correct: bool
    score: float
    reasoning: str


class Judge(Protocol):
    name: str

    def grade(self, question: str, reference: str, answer_span: str, answer: str) -> Verdict:
        """Factual correctness first, then completeness, then clarity."""
