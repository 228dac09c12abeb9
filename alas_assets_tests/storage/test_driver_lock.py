"""The driver lock: one holder at a time, named to whoever is refused; a holder killed with -9 keeps nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from alas_assets.storage.driver_lock import DomainBusy, DriverLock

HOLD = """
import sys, time
sys.path.insert(0, sys.argv[2])
from alas_assets.storage.driver_lock import DriverLock
lock = DriverLock(sys.argv[1], "tiny").acquire("alas run")
print("held", flush=True)
time.sleep(600)
"""


def test_a_second_driver_is_refused_naming_the_holder_until_it_releases(tmp_path):
    first = DriverLock(tmp_path, "tiny").acquire("alas run")
    second = DriverLock(tmp_path, "tiny")

    with pytest.raises(
        DomainBusy, match=rf"domain 'tiny' is being driven by alas run \(pid {os.getpid()} on .*, since 20"
    ):
        second.acquire("alas run", wait_seconds=0.1)
    assert second.holder().pid == os.getpid() and not second.held

    first.release()
    assert second.holder() is None
    second.acquire("alas run").release()


def test_a_holder_killed_with_sigkill_holds_nothing(tmp_path):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), repo], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DomainBusy, match=f"pid {holder.pid} "):
            DriverLock(tmp_path, "tiny").acquire("alas run", wait_seconds=0.1)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()

    lock = DriverLock(tmp_path, "tiny")
    assert lock.holder() is None  # the kernel dropped the dead holder's lock
    started = time.monotonic()
    lock.acquire("alas run")
    assert time.monotonic() - started < 1
    assert lock.previous is not None and lock.previous.pid == holder.pid  # who died holding it, for the record
    lock.release()
