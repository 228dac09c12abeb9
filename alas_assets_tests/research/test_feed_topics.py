"""Mapping feed entries to topics, and merging them into a curriculum."""

from __future__ import annotations

from alas_assets.records import Topic
from alas_assets.research.feed_store import FeedStore
from alas_assets.research.feed_topics import assign_topic, assign_topics, with_feed_topics
from alas_assets.research.feeds import FeedEntry


def _entry(title: str, id_: str = "") -> FeedEntry:
    return FeedEntry("feed.xml", id_ or title, title, f"https://example.org/{id_ or 'x'}", None, f"{title}.")


def test_an_entry_joins_the_existing_topic_its_title_names():
    topics = ["zephyr-release", "orion-mission"]
    assert assign_topic(_entry("Zephyr 9.3 release notes"), topics) == "zephyr-release"
    assert assign_topic(_entry("Orion mission delayed to July"), topics) == "orion-mission"


def test_an_entry_about_something_else_gets_a_new_topic_slug():
    assert assign_topic(_entry("Debian 13.2 point release!"), ["zephyr-release"]) == "debian-13-2-point-release"
    assert assign_topic(_entry("???"), []).startswith("feed-")


def test_entries_of_one_batch_about_one_new_thing_share_a_topic():
    entries = [_entry("Kestrel Database 2.0 launched", "a"), _entry("Kestrel Database 2.0 launched: a follow-up", "b")]
    assert assign_topics(entries, []) == ["kestrel-database-2-0-launched"] * 2


def test_feed_topics_extend_the_plan_and_respect_the_topic_cap(tmp_path):
    store = FeedStore(tmp_path)
    known = store.add(_entry("Zephyr 9.3 release", "z"), "zephyr-release")
    fresh = store.add(_entry("Kestrel Database 2.0", "k"), "kestrel-database-2-0")
    late = store.add(_entry("Another thing", "l"), "another-thing")
    planned = [Topic(iteration="it0002", topic="orion-mission", name="Orion", summary="s", source_refs=["orion.md"])]

    topics = with_feed_topics(planned, store.pending([]), "it0002", {"zephyr-release": "Zephyr release"}, max_topics=3)

    assert [t.topic for t in topics] == ["orion-mission", "zephyr-release", "kestrel-database-2-0"]
    assert [t.order for t in topics] == [0, 1, 2]
    assert topics[1].name == "Zephyr release" and topics[1].source_refs == [known.ref]
    assert topics[2].name == "Kestrel Database 2.0" and topics[2].planner == "feed-sensor"
    assert topics[2].source_refs == [fresh.ref]
    assert late.ref not in {r for t in topics for r in t.source_refs}  # no room: stays pending


def test_an_entry_for_a_planned_topic_is_added_to_its_references(tmp_path):
    store = FeedStore(tmp_path)
    stored = store.add(_entry("Orion news", "o"), "orion-mission")
    planned = [Topic(iteration="it0002", topic="orion-mission", name="Orion", summary="s", source_refs=["orion.md"])]
    [topic] = with_feed_topics(planned, store.pending([]), "it0002", {}, max_topics=1)
    assert topic.source_refs == ["orion.md", stored.ref]
