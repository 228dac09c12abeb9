"""RSS/Atom feeds: read one from a file or an http(s) URL, defensively, and research topics from its entries.

Feed entries are untrusted input: the download is size-capped and time-limited, the markup is reduced
to plain text, and the text is kept as data (never followed, never obeyed).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import feedparser

from alas_assets.records import content_hash
from alas_assets.research.pages import plain_text

if TYPE_CHECKING:
    from alas_assets.records import SourceDoc, Topic
    from alas_assets.research.feed_store import FeedStore

MAX_FEED_BYTES = 5_000_000
MAX_ENTRY_CHARS = 20_000
TIMEOUT_SECONDS = 20.0
FEED_REF = "feed:"  # a topic's source reference to a stored feed entry: "feed:<entry key>"


class FeedError(RuntimeError):
    """A feed that cannot be read or parsed; the message names the feed."""


@dataclass(frozen=True)
class FeedEntry:
    feed: str
    id: str
    title: str
    link: str
    published: date | None
    text: str

    @property
    def key(self) -> str:
        """Stable across polls: the feed and the entry's own id."""
        return content_hash(self.feed, self.id)


def fetch_feed_bytes(location: str, max_bytes: int = MAX_FEED_BYTES, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The raw feed: a local file, or an http(s) URL read with a timeout and a size cap."""
    if location.startswith(("http://", "https://")):
        request = urllib.request.Request(location, headers={"User-Agent": "alas-feed-reader/0.1"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
                data = response.read(max_bytes + 1)
        except urllib.error.HTTPError as exc:
            raise FeedError(f"feed {location}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FeedError(f"feed {location} could not be fetched: {reason}") from exc
    else:
        if "://" in location and not location.startswith("file://"):
            raise FeedError(f"feed {location}: only http(s) URLs and local files are supported")
        path = Path(location.removeprefix("file://"))
        if not path.is_file():
            raise FeedError(f"feed {location}: no such file")
        if path.stat().st_size > max_bytes:
            raise FeedError(f"feed {location} is larger than {max_bytes} bytes")
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise FeedError(f"feed {location} is larger than {max_bytes} bytes")
    return data


def read_feed(location: str, max_bytes: int = MAX_FEED_BYTES, timeout: float = TIMEOUT_SECONDS) -> list[FeedEntry]:
    """The entries of one RSS or Atom feed, newest information as plain text."""
    parsed = feedparser.parse(fetch_feed_bytes(location, max_bytes, timeout))
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception") or "no RSS or Atom elements"
        raise FeedError(f"feed {location} is not an RSS or Atom feed: {problem}")
    entries = []
    for item in parsed.entries:
        title = plain_text(item.get("title", "")).strip()
        link = str(item.get("link", "")).strip()
        text = _entry_text(item)
        if not (title or text):
            continue
        entry_id = str(item.get("id") or link or content_hash(title, text))
        entries.append(
            FeedEntry(location, entry_id, title or link or entry_id, link or location, _published(item), text)
        )
    return entries


def _entry_text(item) -> str:
    parts = [c.get("value", "") for c in item.get("content", []) if c.get("value")]
    if not parts and item.get("summary"):
        parts = [item["summary"]]
    return plain_text("\n".join(parts))[:MAX_ENTRY_CHARS]


def _published(item) -> date | None:
    stamp = item.get("published_parsed") or item.get("updated_parsed")
    if not stamp:
        return None
    try:
        return datetime(*stamp[:6], tzinfo=timezone.utc).date()
    except (TypeError, ValueError):
        return None


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


class FeedResearcher:
    """Research a topic from feed entries: those its references name (kept when the sensor saw them),
    else the live feeds' entries that share most of the topic's words."""

    name = "rss-feeds"

    def __init__(self, feeds: Sequence[str], store: FeedStore | None = None, min_overlap: float = 0.5):
        self.feeds = list(feeds)
        self.store = store
        self.min_overlap = min_overlap

    def research(self, topic: Topic) -> list[SourceDoc]:
        refs = [r.removeprefix(FEED_REF) for r in topic.source_refs if r.startswith(FEED_REF)]
        if refs:
            if self.store is None:
                raise FeedError(f"topic {topic.topic} names feed entries but no feed store is configured")
            return [self._source(topic, self.store.get(key).entry) for key in refs]
        wanted = _words(topic.name)
        entries, errors = [], []
        for feed in self.feeds:
            try:
                entries += read_feed(feed)
            except FeedError as exc:
                errors.append(str(exc))
        if errors and len(errors) == len(self.feeds):
            raise FeedError("; ".join(errors))
        matching = [
            e
            for e in entries
            if wanted and len(wanted & _words(f"{e.title} {e.text}")) / len(wanted) >= self.min_overlap
        ]
        return [self._source(topic, e) for e in matching]

    @staticmethod
    def _source(topic: Topic, entry: FeedEntry) -> SourceDoc:
        from alas_assets.records import SourceDoc

        text = f"{entry.title}.\n{entry.text}" if entry.text else entry.title
        return SourceDoc(
            iteration=topic.iteration,
            topic=topic.topic,
            source_id=content_hash(entry.link, text),
            url=entry.link,
            title=entry.title,
            published=entry.published,
            text=text,
            content_hash=content_hash(text),
            origin="feed",
            fetched_at=datetime.now(timezone.utc),
        )
