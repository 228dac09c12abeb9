"""The model version being served, swapped for each newly promoted one while requests keep running.

A watcher thread polls the registry (only when the DuckDB file changed). A new version is loaded beside
the current one and then put in its place by one reference assignment: a batch already generating keeps
the model it started with, the next batch uses the new one, and no request waits for the load.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    model_id: str
    model: Any
    tokenizer: Any
    loaded_at: float


class LiveModel:
    def __init__(self, promoted: Callable[[], str], load: Callable[[str], tuple[Any, Any]], poll_seconds: float = 5.0):
        self._promoted = promoted
        self._load = load
        self.poll_seconds = poll_seconds
        self._current: Served | None = None
        self._refreshing = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> Served:
        served = self._current
        if served is None:
            raise RuntimeError("no model loaded yet: call start()")
        return served

    def refresh(self) -> bool:
        """Load the promoted version if it is not the one served; True if it switched."""
        with self._refreshing:
            model_id = self._promoted()
            if self._current is not None and model_id == self._current.model_id:
                return False
            started = time.perf_counter()
            model, tokenizer = self._load(model_id)
            previous = self._current.model_id if self._current else None
            self._current = Served(model_id, model, tokenizer, time.time())
            log.info("serving %s (was %s; loaded in %.1f s)", model_id, previous, time.perf_counter() - started)
            return True

    def start(self) -> None:
        self.refresh()
        self._thread = threading.Thread(target=self._watch, name="alas-model-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception as exc:  # a locked or half-written registry, a broken adapter: keep serving
                log.warning("could not switch to the promoted model (still serving %s): %s", self.current.model_id, exc)


class PromotedInRegistry:
    """The promoted model ID of a domain's registry, queried again only when the DuckDB file changed."""

    def __init__(self, warehouse):
        self.warehouse = warehouse
        self._stamp: tuple | None = None
        self._model_id: str | None = None

    def _file_stamp(self) -> tuple:
        files = [Path(self.warehouse.database), Path(f"{self.warehouse.database}.wal")]
        return tuple((f.stat().st_mtime_ns, f.stat().st_size) if f.exists() else None for f in files)

    def __call__(self) -> str:
        stamp = self._file_stamp()
        if self._model_id is None or stamp != self._stamp:
            model = self.warehouse.promoted_model()
            if model is None:
                raise RuntimeError(f"no promoted model in {self.warehouse.database}")
            self._model_id, self._stamp = model.model_id, stamp
        return self._model_id
