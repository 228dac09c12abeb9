"""The offline planner of a domain researched on the web: one topic per standing web query.

No model: each of the domain's `[sources] web_queries` is a topic, searched by that query; weak
topics of the last revision are studied again (with the next study round's questions).
"""

from __future__ import annotations

from collections.abc import Sequence

from alas_assets.domain import slugify
from alas_assets.records import Topic, TopicRevision, content_hash
from alas_assets.research.web import SEARCH_PREFIX


class QueryPlanner:
    name = "offline-query-planner"

    def __init__(self, queries: Sequence[str], max_topics: int):
        self.queries = list(dict.fromkeys(q.strip() for q in queries if q.strip()))
        self.max_topics = max_topics

    def plan(self, iteration: str, previous: Sequence[TopicRevision], covered: set[str]) -> list[Topic]:
        by_slug = {slugify(q) or content_hash(q)[:8]: q for q in self.queries}
        remediate = [r.topic for r in previous if r.status == "remediate" and r.topic in by_slug]
        fresh = [slug for slug in by_slug if slug not in covered]
        topics = []
        for order, slug in enumerate(list(dict.fromkeys(remediate + fresh))[: self.max_topics]):
            query = by_slug[slug]
            topics.append(
                Topic(
                    iteration=iteration,
                    topic=slug,
                    name=query,
                    summary=f"What the web says about: {query}",
                    learning_objectives=[f"Recall the facts reported about {query}"],
                    status="remediate" if slug in remediate else "new",
                    source_refs=[SEARCH_PREFIX + query],
                    order=order,
                    planner=self.name,
                )
            )
        return topics
