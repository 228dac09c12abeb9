"""A document as a research step stores it, and the offline synthesizer's pairs for it."""

from __future__ import annotations

from datetime import datetime, timezone

from alas_assets.records import QAPair, SourceDoc, Topic
from alas_assets.teacher.offline import ExtractiveSynthesizer


def synthesized(title: str, body: str, slug: str, questions_per_fact: int = 6, probes: int = 2) -> list[QAPair]:
    """Every pair the offline synthesizer writes for one document (a topic of its own)."""
    source = SourceDoc(
        iteration="it0001",
        topic=slug,
        source_id="s1",
        url=f"https://example.org/{slug}",
        title=title,
        text=body,
        content_hash="h",
        origin="corpus",
        fetched_at=datetime.now(timezone.utc),
    )
    topic = Topic(
        iteration="it0001",
        topic=slug,
        name=title,
        summary="",
        learning_objectives=[],
        difficulty="intermediate",
        status="new",
        source_refs=[],
        planner="test",
    )
    return ExtractiveSynthesizer(questions_per_fact=questions_per_fact).synthesize(topic, [source], 600, probes, 1)
