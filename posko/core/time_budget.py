"""A time budget for work done inside one web request (imports), so that it stops with a
message and a rollback before the server's worker time-out kills the request.

``check()`` raises between steps of Python work; ``guard(connection)`` also stops a
database statement that is still running at the deadline: on SQLite through a progress
handler, on PostgreSQL by cancelling the statement from a watchdog thread (psycopg's
``cancel_safe``, which is meant for that). The caller runs ``guard`` inside its
``transaction.atomic()`` block, so the cancelled statement's error rolls everything back.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

_SQLITE_STEPS = 20_000  # SQLite VM instructions between two looks at the clock
_CANCEL_EVERY = 0.25  # seconds between cancel requests once the deadline has passed


class TimeBudget:
    """``seconds`` from creation; ``error()`` builds the exception ``check()`` raises."""

    def __init__(self, seconds: float, error: Callable[[], Exception]):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._error = error

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    def check(self) -> None:
        if self.expired():
            raise self._error()

    @contextlib.contextmanager
    def guard(self, connection) -> Iterator[None]:
        """Interrupt the database statement running when the deadline passes."""
        connection.ensure_connection()
        raw = connection.connection
        if connection.vendor == "sqlite":
            deadline = self.deadline
            raw.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_STEPS)
            try:
                yield
            finally:
                raw.set_progress_handler(None, 0)
            return
        cancel = getattr(raw, "cancel_safe", None) or getattr(raw, "cancel", None)
        if connection.vendor != "postgresql" or cancel is None:
            yield
            return
        stop = threading.Event()
        sent = threading.Event()

        def watch():
            if stop.wait(max(0.0, self.deadline - time.monotonic())):
                return
            while not stop.is_set():
                with contextlib.suppress(Exception):
                    cancel()
                    sent.set()
                stop.wait(_CANCEL_EVERY)

        watcher = threading.Thread(target=watch, name="import-deadline", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
            if sent.is_set():
                time.sleep(0.05)  # let the server drop a cancel that found nothing running
