"""The feed entries the feed sensor accepted, each with the topic it belongs to, kept until studied.

One JSON file per entry under ``<state dir>/feeds/``, written atomically: the curriculum plans the
entries no earlier curriculum referenced, and raw_sources reads their text from here (feeds roll
over, so the text is kept as it was seen).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from alas_assets.research.feeds import FEED_REF, FeedEntry, FeedError

if TYPE_CHECKING:
    from alas_assets.domain import Domain


@dataclass(frozen=True)
class StoredEntry:
    entry: FeedEntry
    topic: str
    seen_at: str

    @property
    def ref(self) -> str:
        return FEED_REF + self.entry.key


class FeedStore:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise FeedError(f"feed entry key {key!r} is not a stored entry key")
        return self.folder / f"{key}.json"

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def add(self, entry: FeedEntry, topic: str) -> StoredEntry:
        """Keep an entry (idempotent: an entry already kept keeps its first topic)."""
        path = self._path(entry.key)
        if path.is_file():
            return self.get(entry.key)
        stored = StoredEntry(entry, topic, datetime.now(timezone.utc).isoformat())
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {"entry": asdict(entry), "topic": topic, "seen_at": stored.seen_at}
        staging = path.with_suffix(".json.tmp")
        staging.write_text(json.dumps(record, default=str, ensure_ascii=False), encoding="utf-8")
        staging.replace(path)
        return stored

    def get(self, key: str) -> StoredEntry:
        path = self._path(key)
        if not path.is_file():
            raise FeedError(f"feed entry {key} is not in the feed store {self.folder}")
        record = json.loads(path.read_text(encoding="utf-8"))
        raw = record["entry"]
        raw["published"] = date.fromisoformat(raw["published"]) if raw.get("published") else None
        return StoredEntry(FeedEntry(**raw), record["topic"], record["seen_at"])

    def entries(self) -> list[StoredEntry]:
        """Every kept entry, in the order they were seen."""
        if not self.folder.is_dir():
            return []
        stored = [self.get(p.stem) for p in self.folder.glob("*.json")]
        return sorted(stored, key=lambda s: (s.seen_at, s.entry.key))

    def pending(self, planned_refs: Iterable[str]) -> list[StoredEntry]:
        """Kept entries that no curriculum has referenced yet."""
        planned = set(planned_refs)
        return [s for s in self.entries() if s.ref not in planned]


def feed_store(domain: Domain) -> FeedStore:
    """The domain's store, beside its other generated state."""
    return FeedStore(domain.state_dir / "feeds")
