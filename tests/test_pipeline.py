"""posekit.pipeline: the decode-ahead and draw-behind threads of `posekit run` keep order, stay
bounded, stop early on request and hand errors to the main thread."""

import threading
import time

import pytest

from posekit.pipeline import Behind, StageClock, read_ahead


def test_read_ahead_keeps_order_and_times_the_stage():
    clock = StageClock()

    def slow():
        for i in range(50):
            time.sleep(0.001)
            yield i

    assert list(read_ahead(slow(), depth=4, clock=clock)) == list(range(50))
    assert clock.per_frame(50)["decode"] >= 1.0  # ~1 ms per item, measured in the thread


def test_read_ahead_stays_bounded_and_stops_when_closed():
    made = []

    def endless():
        i = 0
        while True:
            made.append(i)
            yield i
            i += 1

    it = read_ahead(endless(), depth=3)
    assert [next(it) for _ in range(5)] == [0, 1, 2, 3, 4]
    time.sleep(0.05)
    assert len(made) <= 5 + 3 + 1  # never more than the queue's depth ahead
    it.close()
    n = len(made)
    time.sleep(0.3)
    assert len(made) <= n + 1  # the producer stopped
    assert not any(t.name == "posekit-read" and t.is_alive() for t in threading.enumerate())


def test_read_ahead_raises_the_producers_error_in_order():
    def broken():
        yield 1
        yield 2
        raise ValueError("bad frame 3")

    got = []
    with pytest.raises(ValueError, match="bad frame 3"):
        for x in read_ahead(broken(), depth=2):
            got.append(x)
    assert got == [1, 2]


def test_behind_calls_in_order_and_raises_its_error_on_close():
    seen = []
    b = Behind(seen.append, depth=2)
    for i in range(20):
        b.put(i)
    b.close()
    assert seen == list(range(20))

    def fail(x):
        if x == 3:
            raise OSError("disk full")
        seen.append(x)

    seen.clear()
    b = Behind(fail, depth=2)
    with pytest.raises(OSError, match="disk full"):
        for i in range(50):
            b.put(i)
        b.close()
    b.abort()  # what the caller does on its way out (posekit run does)
    assert seen == [0, 1, 2]


def test_behind_abort_drops_the_rest():
    seen = []
    b = Behind(lambda x: (time.sleep(0.01), seen.append(x)), depth=10)
    for i in range(10):
        b.put(i)
    b.abort()
    assert len(seen) < 10
    assert not any(t.name == "posekit-write" and t.is_alive() for t in threading.enumerate())
