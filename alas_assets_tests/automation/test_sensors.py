"""The feed sensor, against feeds served on loopback: one run per new batch, none twice, broken feeds reported."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from alas_assets.automation.sensors import MAX_SEEN, FeedCursor
from alas_assets.definitions import build_definitions
from alas_assets.domain import load_domain
from alas_assets.storage.warehouse import SCHEMA, Warehouse
from alas_assets_tests.automation.helpers import execute, materialised, tick, with_feeds
from alas_assets_tests.feed_server import FeedServer, Item, rss

FEED = "tiny__feed_sensor"
KESTREL = Item(
    "kestrel-2",
    "Kestrel Database 2.0 launched",
    "https://example.org/kestrel-2",
    "<p>Kestrel Database 2.0 was launched on 3 June 2026 by Ines Duarte.</p>"
    "<p>Kestrel Database 2.0 stores 64 terabytes per node.</p>",
)
ZEPHYR = Item(
    "zephyr-9-3",
    "Zephyr Toolkit 9.3 release",
    "https://example.org/zephyr-9-3",
    "<p>Zephyr Toolkit 9.3 was released on 9 June 2026.</p><p>Zephyr Toolkit 9.3 added the zephyr.grid module.</p>",
)


@pytest.fixture
def server():
    with FeedServer() as server:
        yield server


@pytest.fixture
def feed_defs(tiny_domain, server, tmp_path):
    server.documents["/news.xml"] = rss([KESTREL])
    (tmp_path / "broken.xml").write_text("<html>this is not a feed</html>", encoding="utf-8")
    with_feeds(tiny_domain, [server.url("/news.xml"), "broken.xml"])
    return build_definitions(tiny_domain)


def test_a_new_entry_gets_exactly_one_run_and_the_next_tick_none(feed_defs, instance, server):
    first = tick(feed_defs, instance, FEED)

    [request] = first.run_requests
    assert request.partition_key == "it0001"
    assert request.run_key.startswith("feed:")
    assert request.tags["alas/feed_entries"] == "1"
    assert instance.get_dynamic_partitions("tiny__iteration") == ["it0001"]
    assert server.hits["/news.xml"] == 1

    second = tick(feed_defs, instance, FEED, cursor=first.cursor)
    assert second.run_requests == []
    assert second.skip_message.startswith("no new entries in 1 feed(s)")

    server.documents["/news.xml"] = rss([KESTREL, ZEPHYR])  # one more entry: one more run
    third = tick(feed_defs, instance, FEED, cursor=second.cursor)
    [again] = third.run_requests
    assert again.run_key != request.run_key
    assert again.tags["alas/feed_entries"] == "1"
    assert tick(feed_defs, instance, FEED, cursor=third.cursor).run_requests == []


def test_a_broken_feed_is_reported_and_the_good_one_still_counts(feed_defs, instance, tmp_path):
    first = tick(feed_defs, instance, FEED)
    assert len(first.run_requests) == 1

    second = tick(feed_defs, instance, FEED, cursor=first.cursor)
    assert f"broken feeds: feed {tmp_path / 'broken.xml'} is not an RSS or Atom feed" in second.skip_message


def test_a_lost_cursor_does_not_run_the_same_entries_again(feed_defs, instance):
    assert len(tick(feed_defs, instance, FEED).run_requests) == 1
    assert tick(feed_defs, instance, FEED, cursor="not json").run_requests == []  # the feed store remembers


def test_entries_that_arrive_during_an_iteration_wait_for_its_end(feed_defs, instance, server):
    first = tick(feed_defs, instance, FEED)
    materialised(instance, dg.AssetKey(["tiny", "curriculum"]), "it0001", topic_keys=dg.MetadataValue.json(["kestrel"]))
    server.documents["/news.xml"] = rss([KESTREL, ZEPHYR])

    waiting = tick(feed_defs, instance, FEED, cursor=first.cursor)
    assert waiting.run_requests == []
    assert waiting.skip_message.startswith("1 new entries wait: iteration it0001 is in progress")
    assert len(json.loads(waiting.cursor)["pending"]) == 1

    materialised(instance, dg.AssetKey(["tiny", "curriculum_revision"]), "it0001", continue_loop=False)
    [request] = tick(feed_defs, instance, FEED, cursor=waiting.cursor).run_requests
    assert request.partition_key == "it0002"
    assert instance.get_dynamic_partitions("tiny__iteration") == ["it0001", "it0002"]


def test_a_domain_without_feeds_is_skipped(tiny_defs, instance):
    assert "lists no [sources] feeds" in tick(tiny_defs, instance, FEED).skip_message


def test_the_cursor_keeps_a_bounded_list_of_seen_entries():
    cursor = FeedCursor([str(i) for i in range(MAX_SEEN + 10)], [])
    kept = json.loads(cursor.dump())["seen"]
    assert len(kept) == MAX_SEEN and kept[-1] == str(MAX_SEEN + 9)


def test_feed_entries_are_planned_into_their_topics_and_researched_from_the_store(
    feed_defs, tiny_domain, instance, server
):
    """The run the sensor requests plans the new entry's topic; its sources are the entry as it was seen."""
    [plan] = tick(feed_defs, instance, FEED).run_requests
    assert execute(feed_defs, instance, plan, job_name="tiny__plan").success
    warehouse = Warehouse(load_domain(tiny_domain).database)
    curriculum = warehouse.query(
        f"select topic, status, source_refs from {SCHEMA}.curriculum where iteration = 'it0001'"
    )
    assert set(curriculum["topic"]) == {"orion-mission", "zephyr-release", "kestrel-database-2-0-launched"}

    study = dg.RunRequest(job_name="tiny__study", partition_key="it0001|kestrel-database-2-0-launched")
    assert execute(feed_defs, instance, study).success
    sources = warehouse.query(
        f"select origin, url, text from {SCHEMA}.raw_sources where topic = 'kestrel-database-2-0-launched'"
    )
    assert list(sources["origin"]) == ["feed"] and list(sources["url"]) == [KESTREL.link]
    assert "stores 64 terabytes per node" in sources["text"].iloc[0]

    # A later entry about a known topic joins it in the next iteration's plan.
    materialised(instance, dg.AssetKey(["tiny", "curriculum_revision"]), "it0001", continue_loop=False)
    server.documents["/news.xml"] = rss([KESTREL, ZEPHYR])
    [following] = tick(feed_defs, instance, FEED, cursor=json.dumps({"seen": [], "pending": []})).run_requests
    assert following.partition_key == "it0002"
    assert execute(feed_defs, instance, following, job_name="tiny__plan").success
    plan2 = warehouse.query(f"select topic, source_refs from {SCHEMA}.curriculum where iteration = 'it0002'")
    zephyr = plan2[plan2["topic"] == "zephyr-release"]
    assert len(zephyr) == 1 and "feed:" in zephyr["source_refs"].iloc[0]
    assert "kestrel-database-2-0-launched" not in set(plan2["topic"])  # already studied in it0001
