"""``Session``: frame -> pose -> activity -> events, behind one ``process()`` call."""

from __future__ import annotations

import time
from typing import Any, Protocol

import numpy as np

from .options import PoseOptions
from .pose.tracker import PoseTracker
from .types import FrameResult, PoseResult


class ActivityStage(Protocol):
    """What the session needs from an activity layer (see :mod:`posekit.activity`)."""

    def update(self, pose: PoseResult | None, timestamp_ms: int, shot: int = 0) -> dict[str, Any]: ...

    def summary(self) -> dict[str, Any]: ...

    def flush(self) -> dict[str, Any]: ...

    def reset(self) -> None: ...


class Session:
    """Pose tracking plus (optionally) activity analysis for one video stream.

    Args:
        pose_options: options of the pose tracker.
        activity: an activity stage; None runs pose only.

    Example:
        >>> with Session() as s:                            # doctest: +SKIP
        ...     r = s.process(frame, timestamp_ms=0)
        ...     r.pose.xy                                   # (33, 2) pixels
    """

    def __init__(self, pose_options: PoseOptions | None = None, activity: ActivityStage | None = None,
                 *, tracker: PoseTracker | None = None) -> None:
        self.tracker = tracker or PoseTracker(pose_options)
        self.activity = activity

    def process(self, frame: np.ndarray, timestamp_ms: int) -> FrameResult:
        """Run one RGB frame ((H, W, 3) uint8) with a strictly increasing ``timestamp_ms``."""
        pose = self.tracker.process(frame, timestamp_ms)
        timings = dict(self.tracker.last_timings_ms)
        act = None
        if self.activity is not None:
            t0 = time.perf_counter()
            act = self.activity.update(pose, int(timestamp_ms), shot=self.tracker.shot)
            timings["activity"] = (time.perf_counter() - t0) * 1e3
        return FrameResult(timestamp_ms=int(timestamp_ms), pose=pose, timings_ms=timings, activity=act,
                           shot=self.tracker.shot)

    def flush(self) -> dict[str, Any] | None:
        """End of stream: let the activity stage analyse its last frames (a rep or fall in the
        final moments), returning its events as :meth:`process` would; None without one. Call
        it when the video ends, before :meth:`summary`."""
        return self.activity.flush() if self.activity is not None else None

    def summary(self) -> dict[str, Any]:
        """Activity summary so far (exercises, reps, falls); empty without an activity stage."""
        return self.activity.summary() if self.activity is not None else {}

    def reset(self) -> None:
        self.tracker.reset()
        if self.activity is not None:
            self.activity.reset()

    def close(self) -> None:
        """Release the interpreter (the object is unusable afterwards)."""
        self.tracker = None  # type: ignore[assignment]

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
