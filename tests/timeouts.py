"""Time limits that fail a test instead of hanging the suite.

CI has 90 minutes for everything; a test that waits forever (a browser promise that never
settles, a lock never released) used to eat all of it and leave no trace. ``within`` raises
in the main thread when its block runs too long; blocks nest (the inner limit runs, then the
outer one's remaining time is restored). ``tests/conftest.py`` puts every test inside one.
"""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import sys
import time

#: Per test (setup, call and teardown): generous, the slowest test takes well under a minute.
TEST_LIMIT_S = 300
#: A browser test waits for pages, a service worker, a live server: still never this long.
BROWSER_LIMIT_S = 180


class TestTimeout(TimeoutError):
    __test__ = False  # not a test class


@contextlib.contextmanager
def within(seconds: float, what: str = "the block", dump: bool = False):
    """Raise ``TestTimeout`` when the block runs longer than ``seconds`` (main thread only).
    With ``dump``, every thread's stack goes to stderr first: where a hang waits."""
    def expired(*_args):
        if dump:
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        raise TestTimeout(f"{what} took more than {seconds} s")

    outer_left, _interval = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds if not outer_left else min(seconds, outer_left))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left:  # the outer limit goes on with what it had left (at least a tick)
            signal.setitimer(signal.ITIMER_REAL,
                             max(outer_left - (time.monotonic() - started), 0.001))
