"""BlazePose-style single-person tracking: ROI from the previous frame, full-frame re-acquisition."""

from __future__ import annotations

import dataclasses
import logging
import math
import time

import numpy as np

from ..errors import InvalidInputError
from ..options import PoseOptions
from ..threads import OneThread
from ..types import PoseResult
from ..validation import check_image, check_timestamp
from .detector import PersonDetector
from .model import PoseModel
from .motion import MotionMap, ShotCuts
from .roi import Roi, full_frame_roi, roi_from_box, roi_from_landmarks
from .smoothing import LandmarkSmoother

log = logging.getLogger(__name__)

#: Acquisition turns its final crop by the body axis when that is further than this from upright.
ACQUIRE_TURN_RAD = 0.5
#: A track is stale when fewer than this fraction of its crop's cells move while the motion box
#: lies outside the crop, for ``STALE_MS``; then the tracker tries to acquire where the motion is.
STILL_FRACTION = 0.02
STALE_MS = 1000


def _refine(model: PoseModel, image: np.ndarray, start: Roi, passes: int
            ) -> tuple[np.ndarray, np.ndarray, float, Roi] | None:
    """Re-centre and re-scale the crop on the previous pass's landmarks, keeping ``start``'s
    rotation (a first guess's body axis is not reliable enough to turn the crop by: a crop turned
    the wrong way tracks itself). Returns the best pass."""
    roi = start
    best = None
    for _ in range(passes):
        xy, vis, score = model.predict(image, roi)
        if best is None or score >= best[2] * 0.9:
            best = (xy, vis, score, roi)
        # Refine even when the score is still low: a network often localises a small person
        # before it is confident about them.
        nxt = dataclasses.replace(roi_from_landmarks(xy, vis), rotation=start.rotation)
        if abs(nxt.size / roi.size - 1) < 0.15 and np.hypot(nxt.cx - roi.cx, nxt.cy - roi.cy) < 0.05 * roi.size:
            break  # converged: another pass would see the same crop
        roi = nxt
    return best


def detect(model: PoseModel, detector: PersonDetector, image: np.ndarray, min_score: float
           ) -> tuple[np.ndarray, np.ndarray, float, Roi] | None:
    """The first detected person (most confident first) whose crop the pose network confirms
    (presence >= ``min_score``), as (xy, vis, score, roi); None when there is none."""
    for det in detector.detect(image):
        xy, vis, score = model.predict(image, det.roi)
        if score >= min_score:
            return xy, vis, score, det.roi
    return None


def acquire(model: PoseModel, image: np.ndarray, start: Roi, passes: int, min_score: float
            ) -> tuple[np.ndarray, np.ndarray, float, Roi] | None:
    """Find the person starting from ``start`` (full frame or a user box), refining the crop.

    Each pass re-centres and re-scales the crop on the landmarks of the previous pass, so a small
    person in a large frame ends up filling the crop; the crop stays as upright as ``start``.
    Returns None when the best pass scores below ``min_score``.

    Searching quarter-turned crops too (for people lying or on all fours) was tried and dropped:
    the student's presence score cannot tell a turned crop of a person from one of furniture
    (0.999 on URFD fall-01's chairs vs 0.92 upright on the person).
    """
    best = _refine(model, image, start, passes)
    if best is None or best[2] < min_score:
        return None
    # Once the crop is tight, the body axis is reliable: the final pass turns the crop to it, as
    # BlazePose's detector-given rotation would.
    turned = roi_from_landmarks(best[0], best[1])
    if abs(turned.rotation - best[3].rotation) > ACQUIRE_TURN_RAD:
        xy, vis, score = model.predict(image, turned)
        if score >= min_score:
            best = (xy, vis, score, turned)
    return best


class PoseTracker:
    """Tracks one person's 33 keypoints through a video.

    Frame ``t`` is cropped around the landmarks of frame ``t-1`` (BlazePose tracking). When the
    pose-presence score drops below ``options.min_pose_score`` the tracker re-acquires on the
    same frame: with the person detector (``options.detector``, BlazePose's way), else by refining
    its crop over ``options.acquire_passes`` passes, first from the box where the picture has been
    moving (``options.motion_prior``, :class:`~posekit.pose.motion.MotionMap`), then from the
    whole frame. With the motion prior on, a track whose crop has held no motion for
    ``STALE_MS`` while the picture moves elsewhere (the network locked onto furniture with a
    confident presence score) is replaced by a person found where the motion is. A hard cut
    between shots (``options.cut_detection``) forgets the person: the new shot is acquired afresh
    and ``PoseResult.shot`` counts up.

    Args:
        options: :class:`PoseOptions`; None = defaults (bundled model, 1 thread, smoothing on).

    Example:
        >>> tracker = PoseTracker()
        >>> for i, frame in enumerate(frames):            # doctest: +SKIP
        ...     result = tracker.process(frame, timestamp_ms=i * 33)
    """

    def __init__(self, options: PoseOptions | None = None, *, model: PoseModel | None = None) -> None:
        if options is not None and not isinstance(options, PoseOptions):
            raise InvalidInputError(f"options must be a posekit.PoseOptions or None, got {type(options).__name__} {options!r}")
        if model is not None and not isinstance(model, PoseModel):
            raise InvalidInputError(f"model must be a posekit.PoseModel or None, got {type(model).__name__}; pass a "
                                    "model name or path as PoseOptions(model=...)")
        self.options = options or PoseOptions()
        self.model = model or PoseModel(self.options.model, num_threads=self.options.num_threads)
        self.detector = PersonDetector(num_threads=self.options.num_threads) if self.options.detector else None
        self._smoother = LandmarkSmoother(self.options.smoothing)
        self._motion = MotionMap() if self.options.motion_prior else None
        self._cuts = ShotCuts() if self.options.cut_detection else None
        self.last_timings_ms: dict[str, float] = {}
        self._guard = OneThread("this PoseTracker")
        self.reset()

    def reset(self) -> None:
        """Forget the person: next frame starts with acquisition; timestamps may restart."""
        self._roi: Roi | None = None
        self._age = -1
        self._last_ms: int | None = None
        self._still_since: int | None = None
        self._checked_ms: int | None = None
        self.shot = 0  # the current shot's index (counts up at each cut)
        self._smoother.reset()
        if self._motion is not None:
            self._motion.reset()
        if self._cuts is not None:
            self._cuts.reset()

    @property
    def tracking(self) -> bool:
        """True while a person is being tracked (the next frame reuses the previous ROI)."""
        return self._roi is not None

    def process(self, frame: np.ndarray, timestamp_ms: int) -> PoseResult | None:
        """Track the person in one RGB frame.

        Args:
            frame: (H, W, 3) uint8 RGB.
            timestamp_ms: strictly increasing milliseconds.

        Returns:
            The pose, or None when no person is found.

        Raises:
            InvalidInputError: bad frame or non-increasing timestamp.
            ConcurrentUseError: another thread is inside this tracker.
        """
        with self._guard:
            return self._process(frame, timestamp_ms)

    def _process(self, frame: np.ndarray, timestamp_ms: int) -> PoseResult | None:
        frame = check_image(frame, "frame")
        ts = check_timestamp(timestamp_ms, self._last_ms)
        self._last_ms = ts
        t0 = time.perf_counter()
        h, w = frame.shape[:2]
        if self._cuts is not None and self._cuts.update(frame):
            log.debug("cut to a new shot at %d ms: re-acquiring", ts)
            self.shot += 1
            self._roi = None
            self._smoother.reset()
            if self._motion is not None:
                self._motion.reset()  # every cell changed: the map says nothing until it refills
        if self._motion is not None:
            self._motion.update(frame, ts)
        found = None
        if self._roi is not None:
            xy, vis, score = self.model.predict(frame, self._roi)
            if score >= self.options.min_pose_score:
                found = (xy, vis, score, self._roi)
                other = self._elsewhere(frame, self._roi, ts)
                if other is not None:
                    log.debug("the detector found the person away from the track at %d ms: moved", ts)
                    found = other
                    self._age = -1
                    self._smoother.reset()
                elif self._stale(self._roi, ts):
                    moved = self._acquire_in_motion(frame)
                    if moved is not None and not _contains(self._roi, moved[3]):
                        log.debug("track sat still at %d ms while the picture moved elsewhere: moved", ts)
                        found = moved
                        self._age = -1
                        self._smoother.reset()
            else:
                log.debug("lost person at %d ms (score %.2f); re-acquiring", ts, score)
                self._smoother.reset()
        if found is None:
            self._age = -1
            self._still_since = None
            found = self._detect(frame) or self._acquire_in_motion(frame) or acquire(
                self.model, frame, full_frame_roi(w, h), self.options.acquire_passes, self.options.min_pose_score)
        t1 = time.perf_counter()
        if found is None:
            self._roi = None
            self.last_timings_ms = {"pose": (t1 - t0) * 1e3}
            return None
        xy, vis, score, roi = found
        nxt = roi_from_landmarks(xy, vis)
        # A tracking crop that left the frame or outgrew it is no longer following a person:
        # re-acquire on the next frame instead of chasing it.
        side = max(w, h)
        sane = (-0.25 * w <= nxt.cx <= 1.25 * w and -0.25 * h <= nxt.cy <= 1.25 * h
                and 0.03 * side <= nxt.size <= 3.0 * side)
        # Each frame's crop comes from the previous frame's keypoints: any difference in them
        # (another CPU's kernels, a thousandth of a pixel) moved the next crop, which moved the next
        # keypoints, and grew about 5x a frame, to 30 px within a second. On a grid the crops of two
        # such runs are the same unless a value lies within that difference of a grid line.
        self._roi = snap(nxt) if sane else None
        sxy, svis = self._smoother(xy, vis, ts)
        self._age += 1
        self.last_timings_ms = {"pose": (time.perf_counter() - t0) * 1e3}
        return PoseResult(xy=sxy.astype(np.float32), conf=svis.astype(np.float32), score=score,
                          roi=roi, timestamp_ms=ts, image_size=(w, h), track_age=self._age,
                          shot=self.shot)

    def _detect(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, Roi] | None:
        if self.detector is None:
            return None
        return detect(self.model, self.detector, frame, self.options.min_pose_score)

    def _elsewhere(self, frame: np.ndarray, roi: Roi, ts: int
                   ) -> tuple[np.ndarray, np.ndarray, float, Roi] | None:
        """Every ``redetect_ms`` while tracking: a detected person the network confirms (xy, vis,
        score, roi) when no detection lies on the track; else None."""
        if self.detector is None or self.options.redetect_ms == 0:
            return None
        if self._checked_ms is not None and ts - self._checked_ms < self.options.redetect_ms:
            return None
        self._checked_ms = ts
        dets = self.detector.detect(frame)
        # The track's crop is centred on its mid-hip; a detection within a body radius of it
        # (the detector's crop is 2.5 radii) is the tracked person.
        if not dets or any(math.hypot(d.roi.cx - roi.cx, d.roi.cy - roi.cy) < 0.4 * d.roi.size for d in dets):
            return None
        xy, vis, score = self.model.predict(frame, dets[0].roi)
        if score < self.options.min_pose_score:
            return None
        return xy, vis, score, dets[0].roi

    def _acquire_in_motion(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, Roi] | None:
        box = self._motion.box() if self._motion is not None else None
        if box is None:
            return None
        return acquire(self.model, frame, roi_from_box(box), self.options.acquire_passes, self.options.min_pose_score)

    def _stale(self, roi: Roi, ts: int) -> bool:
        """True once ``roi`` has held no motion for ``STALE_MS`` while the motion box lay outside
        it; the clock then restarts, so a stale track is re-checked at most once per ``STALE_MS``."""
        # Per frame while tracking: the cheap test first (a tracked person moves, so the box,
        # which sorts the moving cells, is rarely needed).
        if self._motion is None or self._motion.fraction_in(roi) >= STILL_FRACTION:
            self._still_since = None
            return False
        box = self._motion.box()
        if box is None or _contains(roi, Roi(box[0] + box[2] / 2, box[1] + box[3] / 2, 1.0)):
            self._still_since = None
            return False
        if self._still_since is None:
            self._still_since = ts
        if ts - self._still_since < STALE_MS:
            return False
        self._still_since = ts
        return True


#: The tracking crop's grid: centre and size in steps of this share of the size (size on a
#: logarithmic scale), rotation in steps of ``SNAP_TURN`` radians.
SNAP = 0.005
SNAP_TURN = math.radians(0.5)


def snap(r: Roi) -> Roi:
    """``r`` on the tracking grid (at most half a step from it: 0.25% of its size, 0.25 degrees)."""
    step = math.log1p(SNAP)
    size = math.exp(round(math.log(r.size) / step) * step)
    q = SNAP * size
    return Roi(round(r.cx / q) * q, round(r.cy / q) * q, size, round(r.rotation / SNAP_TURN) * SNAP_TURN)


def _contains(outer: Roi, inner: Roi) -> bool:
    """Whether ``inner``'s centre lies inside ``outer``'s upright bounding square."""
    half = outer.size / 2.0
    return abs(inner.cx - outer.cx) <= half and abs(inner.cy - outer.cy) <= half


def estimate_with(model: PoseModel, image: np.ndarray, box: tuple[float, float, float, float] | None,
                  passes: int = 3, min_score: float = 0.0, detector: PersonDetector | None = None
                  ) -> PoseResult | None:
    """One-shot pose on a single image (see :func:`posekit.estimate`): from ``box``, else the
    detector's best person (when given), else by refining crops of the whole frame."""
    h, w = image.shape[:2]
    found = None
    if box is None and detector is not None:
        found = detect(model, detector, image, max(min_score, 0.5))
        if found is not None:  # one more pass on the crop the landmarks give, as tracking would
            xy, vis, score = model.predict(image, roi_from_landmarks(found[0], found[1]))
            if score >= found[2] * 0.9:
                found = (xy, vis, score, roi_from_landmarks(found[0], found[1]))
    if found is None:
        start = roi_from_box(box) if box is not None else full_frame_roi(w, h)
        found = acquire(model, image, start, passes, min_score)
    if found is None:
        return None
    xy, vis, score, roi = found
    return PoseResult(xy=xy, conf=vis, score=score, roi=roi, timestamp_ms=0, image_size=(w, h))
