"""Offline activity analysis of keypoint sequences from any pose estimator."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from .falls import FallEvent, FallOptions, detect_falls
from .features import RATE, BodySequence, normalise, to_body13
from .reps import Cycle, RepOptions, count_reps

#: Label of a segment of repeated movement when no exercise classifier is bundled.
GENERIC_EXERCISE = "exercise"
#: A run of cycles counts as exercise from this many full reps; a lone rep counts only if it
#: spends at most ``LONE_REP_MAX_DWELL_S`` past its bottom threshold (a squat, not sitting down
#: on a chair and standing up again later).
MIN_SEGMENT_REPS = 2
LONE_REP_MAX_DWELL_S = 1.5


@dataclasses.dataclass(frozen=True)
class RepEvent:
    """One repetition. ``quality`` is 'full' or 'partial' (partial reps are reported, not counted)."""

    t_s: float
    exercise: str
    quality: str
    start_s: float
    bottom_s: float
    end_s: float

    @property
    def eccentric_s(self) -> float:
        return self.bottom_s - self.start_s

    @property
    def concentric_s(self) -> float:
        return self.end_s - self.bottom_s

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.update(eccentric_s=round(self.eccentric_s, 3), concentric_s=round(self.concentric_s, 3))
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


@dataclasses.dataclass(frozen=True)
class ExerciseSegment:
    label: str
    start_s: float
    end_s: float
    reps: int

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "reps": self.reps}


@dataclasses.dataclass(frozen=True)
class ActivityReport:
    """Result of :func:`analyze_keypoints`.

    Attributes:
        exercises: segments of repeated movement with their rep counts.
        reps_total: counted (full) repetitions.
        rep_events: every repetition, full and partial, with eccentric/concentric timing.
        form_cues: per-rep form feedback (empty until an exercise classifier is bundled: cues need
            to know the exercise).
        falls: detected falls.
        frame_labels: (T,) per-frame label at the *source* frame rate.
    """

    exercises: list[ExerciseSegment]
    reps_total: int
    rep_events: list[RepEvent]
    form_cues: list[dict[str, Any]]
    falls: list[FallEvent]
    frame_labels: np.ndarray

    def summary(self) -> dict[str, Any]:
        return {"exercises": [e.to_dict() for e in self.exercises], "reps_total": self.reps_total,
                "rep_events": [r.to_dict() for r in self.rep_events], "form_cues": self.form_cues,
                "falls": [f.to_dict() for f in self.falls]}


def _segments(cycles: list[Cycle], gap_s: float = 6.0) -> list[ExerciseSegment]:
    segs: list[ExerciseSegment] = []
    lone_ok: list[bool] = []
    for c in cycles:
        s, _, e = c.times()
        if segs and s - segs[-1].end_s <= gap_s:
            last = segs[-1]
            segs[-1] = ExerciseSegment(last.label, last.start_s, e, last.reps + (not c.partial))
        else:
            segs.append(ExerciseSegment(GENERIC_EXERCISE, s, e, int(not c.partial)))
            lone_ok.append(not c.partial and c.start > 0 and c.dwell <= LONE_REP_MAX_DWELL_S * RATE)
    return [s for s, ok in zip(segs, lone_ok) if s.reps >= MIN_SEGMENT_REPS or (s.reps == 1 and ok)]


def analyse_sequence(seq: BodySequence, n_source: int, fps: float, rep_opts: RepOptions = RepOptions(),
                     fall_opts: FallOptions = FallOptions()) -> ActivityReport:
    falls = detect_falls(seq, fall_opts)
    # Reps are not counted across a fall, and the time on the floor after it must not dominate the
    # movement signal: those frames are blanked for counting.
    rep_seq = seq
    if falls:
        from .falls import horizontal_signal

        horiz = horizontal_signal(seq, fall_opts)
        blank = np.zeros(len(seq.t), bool)
        for f in falls:
            i = int(f.onset_s * RATE)
            while i < len(blank) and (i <= int(f.impact_s * RATE) or horiz[i]):
                blank[i] = True
                i += 1
        xy = seq.xy.copy()
        hip = seq.hip.copy()
        xy[blank] = np.nan
        hip[blank] = np.nan
        rep_seq = dataclasses.replace(seq, xy=xy, hip=hip)
    cycles = count_reps(rep_seq, rep_opts)
    for f in falls:
        cycles = [c for c in cycles if c.times()[2] < f.onset_s or c.times()[0] > f.impact_s + 3.0]
    segs = _segments(cycles)
    in_seg = lambda c: any(s.start_s <= c.times()[0] <= s.end_s for s in segs)
    events = [RepEvent(c.times()[2], GENERIC_EXERCISE, "partial" if c.partial else "full", *c.times())
              for c in cycles if in_seg(c)]
    labels = np.full(n_source, "other", dtype=object)
    t = np.arange(n_source) / fps
    for s in segs:
        labels[(t >= s.start_s) & (t <= s.end_s)] = s.label
    for f in falls:
        labels[(t >= f.onset_s) & (t <= f.impact_s + 1.0)] = "fall"
    return ActivityReport(segs, sum(s.reps for s in segs), events, [], falls, labels)


def analyze_keypoints(keypoints: np.ndarray, fps: float, layout: str = "blazepose33",
                      rep_options: RepOptions | None = None, fall_options: FallOptions | None = None) -> ActivityReport:
    """Exercise segments, repetitions and falls in a keypoint sequence from any pose estimator.

    Args:
        keypoints: (T, K, 2|3|4) in pixels or normalised coordinates; missing frames as NaN or
            all-zero rows. K must match ``layout``.
        fps: frame rate of the sequence.
        layout: 'blazepose33', 'coco17', 'penn13', 'body13' or 'lsp14'.

    Raises:
        InvalidInputError: wrong shape, unknown layout, bad fps, or no usable frame.

    Example:
        >>> report = posekit.analyze_keypoints(kps, fps=30)   # doctest: +SKIP
        >>> report.reps_total, [f.onset_s for f in report.falls]
    """
    body = to_body13(keypoints, layout)
    if np.isnan(body[..., :2]).all():
        raise InvalidInputError("keypoints has no frame with coordinates (all NaN or zero)")
    seq = normalise(body, fps)
    return analyse_sequence(seq, len(body), fps, rep_options or RepOptions(), fall_options or FallOptions())


def load_keypoints(path: str | Path) -> np.ndarray:
    """Read keypoints from .npy, .npz (first array, or 'keypoints'/'kps2d'/'noisy') or .json ([T][K][C])."""
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"keypoints file {str(p)!r} does not exist")
    try:
        if p.suffix == ".npy":
            return np.load(p)
        if p.suffix == ".npz":
            d = np.load(p)
            for k in ("keypoints", "kps2d", "noisy"):
                if k in d:
                    return d[k]
            return d[d.files[0]]
        if p.suffix == ".json":
            data = json.loads(p.read_text())
            if isinstance(data, dict):
                data = data.get("keypoints", data)
            return np.asarray(data, dtype=np.float64)
    except (ValueError, OSError) as e:
        raise InvalidInputError(f"keypoints file {str(p)!r} could not be read: {e}") from None
    raise InvalidInputError(f"keypoints file must be .npy, .npz or .json, got {p.suffix!r}")
