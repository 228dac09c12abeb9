"""Which topic a feed entry belongs to, and the curriculum topics that study the entries not yet studied."""

from __future__ import annotations

import re
from collections.abc import Sequence

from alas_assets.domain import slugify
from alas_assets.records import Topic
from alas_assets.research.feed_store import StoredEntry
from alas_assets.research.feeds import FeedEntry

MATCH = 0.6  # share of a topic's slug words that an entry's title must contain to belong to it
MAX_SLUG = 48


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 1}


def assign_topic(entry: FeedEntry, topics: Sequence[str]) -> str:
    """The existing topic (slug) whose words the entry's title mostly contains, else a new slug from the title."""
    title = _words(entry.title)
    best, best_score = None, 0.0
    for topic in topics:
        words = _words(topic.replace("-", " "))
        common = len(words & title)
        score = common / len(words) if words else 0.0
        if common >= min(2, len(words)) and score >= MATCH and score > best_score:
            best, best_score = topic, score
    if best is not None:
        return best
    slug = slugify(entry.title)[:MAX_SLUG].strip("-")
    return slug or f"feed-{entry.key[:8]}"


def assign_topics(entries: Sequence[FeedEntry], topics: Sequence[str]) -> list[str]:
    """Topics for a batch: entries of one batch about the same new thing share one new topic."""
    known = list(topics)
    assigned = []
    for entry in entries:
        topic = assign_topic(entry, known)
        if topic not in known:
            known.append(topic)
        assigned.append(topic)
    return assigned


def with_feed_topics(
    topics: list[Topic], pending: Sequence[StoredEntry], iteration: str, names: dict[str, str], max_topics: int
) -> list[Topic]:
    """The planner's topics plus the pending feed entries, each added to its topic's references.

    A topic the planner did not plan is added (as new material) while there is room under
    ``max_topics``; entries that find no room stay pending for the next iteration.
    """
    by_slug = {t.topic: t for t in topics}
    for stored in pending:
        topic = by_slug.get(stored.topic)
        if topic is None:
            if len(by_slug) >= max_topics:
                continue
            entry = stored.entry
            topic = Topic(
                iteration=iteration,
                topic=stored.topic,
                name=names.get(stored.topic, entry.title),
                summary=entry.title,
                status="new",
                planner="feed-sensor",
            )
            by_slug[stored.topic] = topic
        if stored.ref not in topic.source_refs:
            topic.source_refs.append(stored.ref)
            topic.learning_objectives.append(f"Recall the facts of '{stored.entry.title}' ({stored.entry.link})")
    merged = list(by_slug.values())
    for order, topic in enumerate(merged):
        topic.order = order
    return merged
