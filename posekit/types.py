"""Result types: frozen dataclasses of NumPy arrays with documented shapes and frames."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from .keypoints import Keypoint
from .pose.roi import Roi

if TYPE_CHECKING:
    from .activity.results import ActivityFrame


def _f32(values: np.ndarray) -> list:
    """Nested lists of the shortest decimals that read back as the same float32 values."""
    return [[float(str(v)) for v in row] for row in np.asarray(values, dtype=np.float32)]


@dataclasses.dataclass(frozen=True)
class PoseResult:
    """One person's 33 BlazePose keypoints in one image.

    Attributes:
        xy: (33, 2) float32, image pixels (x right, y down).
        conf: (33,) float32 visibility in [0, 1].
        score: pose-presence score in [0, 1] of the crop the keypoints came from.
        roi: the crop the network saw.
        timestamp_ms: the frame's timestamp (0 for single images).
        image_size: (width, height) in pixels.
        track_age: frames since the tracker (re)acquired this person (0 on the acquisition frame);
            None outside tracking (single images, poses built by hand).
        shot: index of the video shot the frame belongs to: it counts up at each hard cut in the
            picture (``PoseOptions.cut_detection``); 0 outside tracking.
    """

    xy: np.ndarray
    conf: np.ndarray
    score: float
    roi: Roi
    timestamp_ms: int
    image_size: tuple[int, int]
    track_age: int | None = None
    shot: int = 0

    @property
    def xyn(self) -> np.ndarray:
        """(33, 2) float32 keypoints normalised by image width and height."""
        return (self.xy / np.asarray(self.image_size, dtype=np.float32)).astype(np.float32)

    def __getitem__(self, kp: Keypoint | int) -> np.ndarray:
        """``result[Keypoint.LEFT_WRIST]`` -> (x, y, conf)."""
        return np.array([*self.xy[kp], self.conf[kp]], dtype=np.float32)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: keypoints as [[x, y, conf], ...] in pixels, each number the float32
        the network gave (so that ``posekit analyze`` of a run's frames.jsonl reads what the run
        read)."""
        kps = np.concatenate([self.xy, self.conf[:, None]], axis=1)
        return {
            "timestamp_ms": int(self.timestamp_ms),
            "score": round(float(self.score), 4),
            "image_size": list(self.image_size),
            "roi": [round(v, 2) for v in self.roi.as_tuple()],
            "keypoints": _f32(kps),
            "track_age": self.track_age,
            "shot": int(self.shot),
        }


@dataclasses.dataclass(frozen=True)
class FrameResult:
    """What :meth:`posekit.Session.process` returns for one frame.

    Attributes:
        timestamp_ms: the frame's timestamp.
        pose: the tracked pose, or None when no person was found.
        timings_ms: per-stage wall time in milliseconds ('pose', 'activity', ...).
        activity: the activity at this frame (label, reps, events), or None when the session
            runs without an activity layer.
        shot: the video shot of this frame (see ``PoseResult.shot``), also when no person was found.
    """

    timestamp_ms: int
    pose: PoseResult | None
    timings_ms: dict[str, float]
    activity: ActivityFrame | None = None
    shot: int = 0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"timestamp_ms": int(self.timestamp_ms)}
        d.update(self.pose.to_dict() if self.pose is not None else {"score": 0.0, "keypoints": None})
        d["timestamp_ms"] = int(self.timestamp_ms)
        d["shot"] = int(self.shot)
        if self.activity is not None:
            d["activity"] = self.activity.to_dict()
        return d
