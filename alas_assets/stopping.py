"""Stop on SIGTERM and SIGINT (Ctrl-C) within seconds, even while Dagster has its own handlers installed.

During a run Dagster replaces the handlers: inside an asset an interrupt is raised as an exception
that fails the step, but one that arrives while Dagster itself works is only noted (and forgotten
when the run ends), and one whose exception is raised inside a garbage-collector callback is
swallowed ("Exception ignored in ..."), so the asset goes on computing. Both were seen here.

So a signal is seen twice over: a wakeup file descriptor, which the interpreter writes every caught
signal to whatever handler is installed, is read by a watchdog thread. The driver asks
``received()`` after every run and stops instead of starting the next; if the main thread has not
acknowledged the stop a moment later, the watchdog interrupts it again (as Ctrl-C, which Dagster
turns into the interruption of the step), every second, and ends the process if it is still
running after ``hard_stop_seconds``.
"""

from __future__ import annotations

import _thread
import os
import signal
import threading
import time

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """While entered (on the main thread): SIGINT and SIGTERM raise KeyboardInterrupt in our own code and
    are remembered; ``received()`` says which arrived (or None) and acknowledges it."""

    def __init__(self, grace_seconds: float = 2.0, hard_stop_seconds: float = 15.0):
        self.signal: int | None = None
        self.grace_seconds = grace_seconds
        self.hard_stop_seconds = hard_stop_seconds
        self._acknowledged = threading.Event()
        self._read = self._write = None
        self._old: dict[int, object] = {}
        self._old_fd = -1
        self._watchdog: threading.Thread | None = None

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._old_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for signo in STOP_SIGNALS:
            self._old[signo] = signal.signal(signo, self._handle)
        self._watchdog = threading.Thread(target=self._watch, name="alas-stop-watchdog", daemon=True)
        self._watchdog.start()
        return self

    def _handle(self, signo, frame) -> None:
        self.signal = self.signal or signo
        raise KeyboardInterrupt(signal.Signals(signo).name)

    def _watch(self) -> None:
        while True:
            try:
                data = os.read(self._read, 64)
            except OSError:
                return
            if not data:
                return
            if self.signal is None and any(b in STOP_SIGNALS for b in data):
                self.signal = next(b for b in data if b in STOP_SIGNALS)
                self._escalate()

    def _escalate(self) -> None:
        """Interrupt the main thread until it acknowledges the stop; end the process if it never does."""
        started = time.monotonic()
        if self._acknowledged.wait(self.grace_seconds):
            return
        while time.monotonic() - started < self.hard_stop_seconds:
            _thread.interrupt_main(signal.SIGINT)
            if self._acknowledged.wait(1.0):
                return
        os._exit(self.exit_code())

    def received(self) -> int | None:
        """The stop signal that arrived, if any; asking acknowledges it (the watchdog stops interrupting)."""
        if self.signal is not None:
            self._acknowledged.set()
        return self.signal

    def name(self) -> str:
        return signal.Signals(self.signal).name if self.signal else "an interrupt"

    def exit_code(self) -> int:
        return 128 + (self.signal or signal.SIGINT)

    def __exit__(self, *exc) -> None:
        self._acknowledged.set()
        if self._read is None:
            return
        for signo, handler in self._old.items():
            signal.signal(signo, handler)
        signal.set_wakeup_fd(self._old_fd)
        os.close(self._write)  # the watchdog's read returns b"": it ends
        if self._watchdog is not None:
            self._watchdog.join(timeout=1)
        os.close(self._read)
        self._read = self._write = None
