"""The feed sensor: poll the domain's RSS/Atom feeds and start an iteration that studies what is new.

Each tick reads every feed (a broken one is logged and skipped, the others still count), keeps the
entries it has not seen (cursor: a bounded list of entry keys) in the feed store with the topic each
belongs to (an existing topic partition, or a new one), and, when no iteration is running, opens one
and requests its plan run, with one ``run_key`` per batch so that nothing runs twice. Entries that
arrive while an iteration runs wait in the cursor's ``pending`` list for the next tick.
"""

import json
from dataclasses import dataclass, field

import dagster as dg

from alas_assets.automation.state import busy, iteration_to_open
from alas_assets.domain import Domain
from alas_assets.jobs import STAGES
from alas_assets.partitions import Build
from alas_assets.records import content_hash
from alas_assets.research.feed_store import feed_store
from alas_assets.research.feed_topics import assign_topics
from alas_assets.research.feeds import FeedEntry, FeedError, read_feed
from alas_assets.storage.driver_lock import driver_lock

MAX_SEEN = 5000  # entry keys remembered; older ones are still recognised through the feed store
MAX_NEW_PER_TICK = 50  # a feed's first poll can hold hundreds: take them in batches
FEED_TIMEOUT_SECONDS = 10.0


@dataclass
class FeedCursor:
    seen: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str | None) -> "FeedCursor":
        try:
            raw = json.loads(text) if text else {}
            return cls([str(k) for k in raw.get("seen", [])], [str(k) for k in raw.get("pending", [])])
        except (ValueError, AttributeError, TypeError):
            return cls()  # an unreadable cursor starts over; the feed store still knows every kept entry

    def dump(self) -> str:
        return json.dumps({"seen": self.seen[-MAX_SEEN:], "pending": self.pending})


def poll(feeds: list[str], log) -> tuple[list[FeedEntry], list[str]]:
    """Every entry of the readable feeds, and one message per broken feed."""
    entries: list[FeedEntry] = []
    broken: list[str] = []
    for feed in feeds:
        try:
            entries += read_feed(feed, timeout=FEED_TIMEOUT_SECONDS)
        except FeedError as exc:
            log.warning(f"skipped a broken feed: {exc}")
            broken.append(str(exc))
    return entries, broken


def build_feed_sensor(b: Build, defined: Domain) -> dg.SensorDefinition:
    plan_job = STAGES[0].job_name(b.prefix)

    @dg.sensor(
        name=f"{b.prefix}__feed_sensor",
        job_name=plan_job,
        minimum_interval_seconds=900,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Poll the domain's RSS/Atom feeds; open an iteration that studies the new entries.",
    )
    def feed_sensor(context: dg.SensorEvaluationContext):
        domain = defined.reloaded()  # the file read again each tick: edits to its feeds are seen
        if not domain.sources.feeds:
            return dg.SkipReason(f"domain {domain.name} lists no [sources] feeds")
        cursor = FeedCursor.parse(context.cursor)
        store = feed_store(domain)
        entries, broken = poll(domain.sources.feeds, context.log)
        seen = set(cursor.seen)
        fresh: dict[str, FeedEntry] = {}
        for entry in entries:
            if entry.key not in seen and entry.key not in fresh and not store.has(entry.key):
                fresh[entry.key] = entry
        batch = list(fresh.values())[:MAX_NEW_PER_TICK]
        topics = assign_topics(batch, context.instance.get_dynamic_partitions(b.parts.topic.name))
        for entry, topic in zip(batch, topics):
            store.add(entry, topic)
            context.log.info(f"new feed entry '{entry.title}' ({entry.link}) -> topic {topic}")
        cursor.seen += [e.key for e in batch]
        cursor.pending += [e.key for e in batch]
        note = f"; broken feeds: {' | '.join(broken)}" if broken else ""
        if not cursor.pending:
            return dg.SensorResult(
                skip_reason=f"no new entries in {len(domain.sources.feeds) - len(broken)} feed(s){note}",
                cursor=cursor.dump(),
            )
        reason = busy(context.instance, b, driver_lock(domain))
        if reason:
            return dg.SensorResult(
                skip_reason=f"{len(cursor.pending)} new entries wait: {reason}{note}", cursor=cursor.dump()
            )
        key, new = iteration_to_open(context.instance, b)
        request = dg.RunRequest(
            run_key=f"feed:{content_hash(sorted(cursor.pending))}",
            partition_key=key,
            tags={"alas/trigger": "feed", "alas/feed_entries": str(len(cursor.pending))},
        )
        context.log.info(f"{len(cursor.pending)} new feed entries: planning iteration {key}{note}")
        cursor.pending = []
        return dg.SensorResult(
            run_requests=[request],
            dynamic_partitions_requests=[b.parts.iteration.build_add_request([key])] if new else [],
            cursor=cursor.dump(),
        )

    return feed_sensor
