"""The suite's own time limits (tests/timeouts.py): a block that runs too long fails with
its name instead of hanging, and an inner limit hands the outer one back its remaining time
(every test already runs inside the outer one, from tests/conftest.py)."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.timeouts import TEST_LIMIT_S, TestTimeout, within


def test_a_block_past_its_limit_fails_with_its_name():
    lock = threading.Lock()
    lock.acquire()
    started = time.monotonic()
    with pytest.raises(TestTimeout, match=r"waiting for a lock took more than 0.2 s"):
        with within(0.2, "waiting for a lock"):
            lock.acquire()  # held: would wait forever
    assert time.monotonic() - started < 2


def test_every_test_runs_under_the_outer_limit_and_an_inner_one_restores_it():
    left, _ = signal.getitimer(signal.ITIMER_REAL)
    assert 0 < left <= TEST_LIMIT_S  # the conftest hook's limit, running
    with within(5):
        inner, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < inner <= 5
    after, _ = signal.getitimer(signal.ITIMER_REAL)
    assert left - 1 < after <= left
