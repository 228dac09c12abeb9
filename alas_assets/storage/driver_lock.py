"""One driver per domain: an exclusive lock on a file in the domain's state folder, which a dead holder cannot keep.

`alas run` holds the lock for as long as it drives the domain. It is an advisory ``flock`` on
``<state dir>/driver.lock``: the kernel releases it when the holding process ends, however it ends
(``kill -9`` included), so a crashed driver never blocks the next one. The file also says who holds
it (command, pid, host, since when) so that a refusal can name the holder; after a crash that text
stays behind, naming the driver that died, until the next holder overwrites it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

LOCK_FILE = "driver.lock"


class DomainBusy(RuntimeError):
    """The domain is being driven by someone else; the message names who."""


@dataclass(frozen=True)
class Holder:
    command: str
    pid: int
    host: str
    since: str

    def describe(self) -> str:
        if not self.pid:
            return self.command
        return f"{self.command} (pid {self.pid} on {self.host}, since {self.since})"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            raw = json.loads(text)
            return cls(str(raw["command"]), int(raw["pid"]), str(raw["host"]), str(raw["since"]))
        except (ValueError, KeyError, TypeError):
            return None


class DriverLock:
    """The domain's driver lock. ``acquire`` or raise DomainBusy; ``holder`` tells a sensor who drives."""

    def __init__(self, state_dir: Path, domain_name: str):
        self.path = Path(state_dir) / LOCK_FILE
        self.domain_name = domain_name
        self._file = None
        self.previous: Holder | None = None  # who held it before us (a driver that died, if it never released)

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self, command: str, wait_seconds: float = 1.0) -> DriverLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self._read(handle)
                # No holder written: a sensor probing the lock, or a driver starting; wait a moment for it.
                if holder is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                handle.close()
                who = holder.describe() if holder else "another process (it has not said who it is yet)"
                raise DomainBusy(
                    f"domain '{self.domain_name}' is being driven by {who}; lock file {self.path}"
                ) from None
        self.previous = self._read(handle)
        handle.seek(0)
        handle.truncate()
        holder = Holder(
            command, os.getpid(), socket.gethostname(), datetime.now(timezone.utc).isoformat(timespec="seconds")
        )
        handle.write(json.dumps(asdict(holder)))
        handle.flush()
        os.fsync(handle.fileno())
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is None:
            return
        self._file.seek(0)
        self._file.truncate()  # a clean release leaves no holder named
        self._file.flush()
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()
        self._file = None

    def __enter__(self) -> DriverLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def holder(self) -> Holder | None:
        """Who holds the lock now (None if nobody: a holder that died holds nothing). Never blocks."""
        if self._file is not None:
            return self._read(self._file)
        if not self.path.exists():
            return None
        with open(self.path, encoding="utf-8") as handle:
            try:
                # Shared: probes do not exclude each other, only a driver excludes them.
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return self._read(handle) or Holder("a driver that is starting", 0, "", "")
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None

    @staticmethod
    def _read(handle) -> Holder | None:
        handle.seek(0)
        return Holder.parse(handle.read())


def driver_lock(domain) -> DriverLock:
    """The lock of a domain (alas_assets.domain.Domain), beside its other state."""
    return DriverLock(domain.state_dir, domain.name)
