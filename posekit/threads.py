"""One thread at a time inside an object that owns an interpreter (LiteRT interpreters, and the
buffers and tracking state around them, are not thread-safe)."""

from __future__ import annotations

import threading

from .errors import ConcurrentUseError


class OneThread:
    """A guard that refuses a second thread instead of corrupting state: ``with guard: ...``
    raises :class:`~posekit.errors.ConcurrentUseError` naming ``what`` when another thread is
    inside. One thread after another is fine; a thread may not re-enter (no call nests so)."""

    __slots__ = ("_lock", "_what")

    def __init__(self, what: str) -> None:
        self._lock = threading.Lock()
        self._what = what

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            raise ConcurrentUseError(
                f"{self._what} is in use on another thread: it serves one thread at a time. Give each thread its "
                "own (posekit.estimate keeps one model per thread by itself)")

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
