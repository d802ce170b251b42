"""Frozen, validated options for each posekit component.

Every field is checked in ``__post_init__``; a bad value raises :class:`InvalidInputError` naming
the field, the value and the allowed range.
"""

from __future__ import annotations

import dataclasses
import math
import os

from .errors import InvalidInputError


def _check_range(cls: str, field: str, value: object, lo: float, hi: float = math.inf,
                 lo_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        lo_s = f"> {lo}" if lo_open else f">= {lo}"
        hi_s = "" if hi == math.inf else f" and <= {hi}"
        raise InvalidInputError(f"{cls}.{field} must be a number {lo_s}{hi_s}, got {value!r}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SmoothingOptions:
    """One Euro filtering of landmarks and low-pass filtering of visibility (MediaPipe defaults).

    Tuning, as MediaPipe documents it: start with ``beta = 0`` and lower ``min_cutoff`` until slow
    movements stop jittering; then raise ``beta`` until fast movements stop lagging. Speeds are
    measured in object sizes per second (the landmarks' bounding box), so the same values work
    for near and far people.

    Attributes:
        enabled: False passes landmarks through unchanged.
        min_cutoff: Hz; lower = smoother when still, more lag.
        beta: speed coefficient; higher = less lag on fast motion.
        derivate_cutoff: Hz; cutoff of the speed estimate.
        visibility_alpha: low-pass weight of the new visibility (1 = no smoothing).
    """

    enabled: bool = True
    min_cutoff: float = 0.05
    beta: float = 80.0
    derivate_cutoff: float = 1.0
    visibility_alpha: float = 0.1

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise InvalidInputError(f"SmoothingOptions.enabled must be a bool, got {self.enabled!r}")
        _check_range("SmoothingOptions", "min_cutoff", self.min_cutoff, 0.0, lo_open=True)
        _check_range("SmoothingOptions", "beta", self.beta, 0.0)
        _check_range("SmoothingOptions", "derivate_cutoff", self.derivate_cutoff, 0.0, lo_open=True)
        _check_range("SmoothingOptions", "visibility_alpha", self.visibility_alpha, 0.0, 1.0, lo_open=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PoseOptions:
    """Options of :class:`posekit.PoseTracker` and :func:`posekit.estimate`.

    Attributes:
        model: bundled model name (``posekit info``) or path to a ``.tflite``; None = default.
        num_threads: interpreter threads.
        min_pose_score: below this pose-presence score the person is considered lost and the
            tracker re-acquires (where the picture moves, then from the whole frame). Raise it if the tracker sticks to
            background; lower it if it drops people in hard poses.
        acquire_passes: acquisition without a detection refines its crop this many times (>= 1).
        detector: (re)acquire the person with the BlazePose person detector
            (:class:`~posekit.pose.detector.PersonDetector`), which gives a crop turned to the
            body's axis (a person lying down, on all fours, upside down). Where it finds no one the
            tracker falls back to refining crops, where the picture moves and then of the whole frame.
            While tracking, the detector looks again every ``redetect_ms``: when it finds a
            person away from the track and none on it, and the network confirms that person,
            the track moves to them (a track that settled on a bed or a chair lets go).
        redetect_ms: milliseconds between the detector's checks on a running track (0: never).
        motion_prior: (re)acquire the person where the picture has been moving before trying the
            whole frame (fixed cameras, e.g. fall monitoring, where a small person is otherwise
            easily missed for furniture; a moving camera proposes nothing: :mod:`posekit.pose.motion`).
        cut_detection: a hard cut in the picture (an edited video: a compilation, a change of
            camera) ends the track: the tracker re-acquires on the new shot, ``PoseResult.shot``
            counts up, and the activity layer analyses each shot on its own, so no fall or rep
            spans a cut (:class:`~posekit.pose.motion.ShotCuts`). A light switched on in a dark
            room can read as a cut too: ``posekit run --camera`` and the demo app turn it off for
            cameras.
        smoothing: landmark filtering; ``SmoothingOptions(enabled=False)`` for raw output.
    """

    model: str | os.PathLike[str] | None = None
    num_threads: int = 1
    min_pose_score: float = 0.5
    acquire_passes: int = 3
    detector: bool = True
    redetect_ms: int = 1000
    motion_prior: bool = True
    cut_detection: bool = True
    smoothing: SmoothingOptions = dataclasses.field(default_factory=SmoothingOptions)

    def __post_init__(self) -> None:
        if self.model is not None and not isinstance(self.model, (str, os.PathLike)):
            raise InvalidInputError(
                f"PoseOptions.model must be a bundled model name, a path or None, got {self.model!r}")
        if not isinstance(self.num_threads, int) or isinstance(self.num_threads, bool) or not 1 <= self.num_threads <= 64:
            raise InvalidInputError(f"PoseOptions.num_threads must be an int in [1, 64], got {self.num_threads!r}")
        _check_range("PoseOptions", "min_pose_score", self.min_pose_score, 0.0, 1.0)
        if not isinstance(self.acquire_passes, int) or not 1 <= self.acquire_passes <= 5:
            raise InvalidInputError(
                f"PoseOptions.acquire_passes must be an int in [1, 5], got {self.acquire_passes!r}")
        if not isinstance(self.detector, bool):
            raise InvalidInputError(f"PoseOptions.detector must be a bool, got {self.detector!r}")
        if not isinstance(self.redetect_ms, int) or isinstance(self.redetect_ms, bool) or not 0 <= self.redetect_ms <= 600_000:
            raise InvalidInputError(f"PoseOptions.redetect_ms must be an int in [0, 600000] (0: never), got {self.redetect_ms!r}")
        if not isinstance(self.motion_prior, bool):
            raise InvalidInputError(f"PoseOptions.motion_prior must be a bool, got {self.motion_prior!r}")
        if not isinstance(self.cut_detection, bool):
            raise InvalidInputError(f"PoseOptions.cut_detection must be a bool, got {self.cut_detection!r}")
        if not isinstance(self.smoothing, SmoothingOptions):
            raise InvalidInputError(
                f"PoseOptions.smoothing must be a SmoothingOptions, got {type(self.smoothing).__name__}")
