"""``Session``: frame -> pose -> activity -> events, behind one ``process()`` call."""

from __future__ import annotations

import time

import numpy as np

from .activity.results import ActivityFrame, ActivityReport
from .activity.streaming import ActivityTracker
from .errors import InvalidInputError
from .options import PoseOptions
from .pose.tracker import PoseTracker
from .types import FrameResult


class Session:
    """Pose tracking plus (optionally) activity analysis for one video stream.

    One session serves one stream on one thread at a time (it owns its interpreters): give each
    thread its own.

    Args:
        pose_options: options of the pose tracker.
        activity: the activity engine (``ActivityTracker()``); None runs pose only.
        tracker: a pose tracker to use instead of one made from ``pose_options``.

    Example:
        >>> with Session(activity=ActivityTracker()) as s:  # doctest: +SKIP
        ...     r = s.process(frame, timestamp_ms=0)
        ...     r.pose.xy, r.activity.reps                  # (33, 2) pixels; reps so far
    """

    def __init__(self, pose_options: PoseOptions | None = None, activity: ActivityTracker | None = None,
                 *, tracker: PoseTracker | None = None) -> None:
        if pose_options is not None and not isinstance(pose_options, PoseOptions):
            raise InvalidInputError(f"pose_options must be a posekit.PoseOptions or None, got {pose_options!r}")
        if activity is not None and not isinstance(activity, ActivityTracker):
            raise InvalidInputError(f"activity must be a posekit.ActivityTracker or None, got {activity!r}")
        if tracker is not None and not isinstance(tracker, PoseTracker):
            raise InvalidInputError(f"tracker must be a posekit.PoseTracker or None, got {tracker!r}")
        self.tracker: PoseTracker | None = tracker or PoseTracker(pose_options)
        self.activity = activity

    def _open_tracker(self) -> PoseTracker:
        if self.tracker is None:
            raise InvalidInputError("this Session is closed: make a new one")
        return self.tracker

    def process(self, frame: np.ndarray, timestamp_ms: int) -> FrameResult:
        """Run one RGB frame ((H, W, 3) uint8) with a strictly increasing int ``timestamp_ms``."""
        tracker = self._open_tracker()
        pose = tracker.process(frame, timestamp_ms)
        timings = dict(tracker.last_timings_ms)
        act = None
        if self.activity is not None:
            t0 = time.perf_counter()
            act = self.activity.update(pose, int(timestamp_ms), shot=tracker.shot)
            timings["activity"] = (time.perf_counter() - t0) * 1e3
        return FrameResult(timestamp_ms=int(timestamp_ms), pose=pose, timings_ms=timings, activity=act,
                           shot=tracker.shot)

    def flush(self) -> ActivityFrame | None:
        """End of stream: let the activity engine read its last frames (a rep or fall in the
        final moments), returning the activity at the last frame as :meth:`process` would; None
        without an engine. Call it when the video ends, before :meth:`summary`."""
        return self.activity.flush() if self.activity is not None else None

    def summary(self) -> ActivityReport:
        """What the activity engine found so far (sets, reps, cues, falls); an empty report
        without one."""
        return self.activity.summary() if self.activity is not None else ActivityReport()

    def reset(self) -> None:
        """Start a new stream (pose track and activity forgotten)."""
        self._open_tracker().reset()
        if self.activity is not None:
            self.activity.reset()

    def close(self) -> None:
        """Release the interpreter (the object is unusable afterwards)."""
        self.tracker = None  # type: ignore[assignment]

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
