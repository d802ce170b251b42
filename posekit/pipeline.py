"""Stages of ``posekit run`` that overlap: decoding ahead, drawing and encoding behind.

Decoding a frame (OpenCV), drawing it and encoding it (OpenCV) release the GIL, and so does the
pose network's invoke (LiteRT): run in threads, they overlap with the pipeline instead of adding to
it. Each stage hands frames on through a bounded queue (memory stays flat, order is kept: one
producer, one consumer), and an error in a stage is raised where the main thread next waits on it.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable, Iterable, Iterator

_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class StageClock:
    """Busy milliseconds per stage, summed over frames (stages in threads add up across them)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, stage: str, ms: float) -> None:
        with self._lock:
            self.totals[stage] = self.totals.get(stage, 0.0) + ms

    def since(self, stage: str, t0: float) -> float:
        """Adds the time since ``t0`` (``time.perf_counter()``) to ``stage``; returns now."""
        now = time.perf_counter()
        self.add(stage, (now - t0) * 1e3)
        return now

    def per_frame(self, n: int) -> dict[str, float]:
        with self._lock:
            return {k: round(v / max(n, 1), 3) for k, v in self.totals.items()}


def read_ahead(items: Iterable[Any], depth: int, clock: StageClock | None = None, stage: str = "decode"
               ) -> Iterator[Any]:
    """Iterates ``items`` as produced by a thread that stays up to ``depth`` items ahead.

    Stop early by closing the generator (a ``for`` loop's ``break`` does): the producer then stops
    at its next item."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        it = iter(items)
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                item = next(it, _END)
                if clock is not None and item is not _END:
                    clock.since(stage, t0)
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if item is _END:
                    return
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, raised there
            q.put(_Failed(e))

    worker = threading.Thread(target=produce, name="posekit-read", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


class Behind:
    """Calls ``fn(item)`` for each item put, in order, in a thread up to ``depth`` items behind.

    ``close()`` waits for the items put so far and raises the first error ``fn`` raised (an
    error also shows at the next ``put``).
    """

    def __init__(self, fn: Callable[[Any], None], depth: int, name: str = "posekit-write") -> None:
        self._fn = fn
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._q.get()
            if item is _END:
                return
            if self._error is None:
                try:
                    self._fn(item)
                except BaseException as e:  # noqa: BLE001 - raised in the caller's thread
                    self._error = e

    def put(self, item: Any) -> None:
        if self._error is not None:
            raise self._error
        self._q.put(item)

    def close(self) -> None:
        self._q.put(_END)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stops after the item in hand, dropping the rest (the caller is failing anyway)."""
        self._error = self._error or _Aborted()
        try:
            while True:
                self._q.get_nowait()
        except queue.Empty:
            pass
        self._q.put(_END)
        self._thread.join(timeout=5)


class _Aborted(Exception):
    pass
