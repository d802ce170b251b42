"""Typed results of the activity engine: what :class:`~posekit.Session`, the streaming
:class:`~posekit.ActivityTracker` and :func:`~posekit.analyze_keypoints` return.

Every result is a frozen dataclass with a ``to_dict()`` for JSON; labels and qualities are
string enums (``Activity.SQUAT == "squat"``), so they compare equal to, and serialise as, their
names. Times are seconds from the start of the stream or sequence.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import numpy as np


class Activity(str, enum.Enum):
    """What the person is doing: the classifier's classes, plus :attr:`EXERCISE` for repeated
    movement that no class names (it is counted all the same, with no form cues)."""

    SQUAT = "squat"
    PUSH_UP = "push_up"
    LUNGE = "lunge"
    SIT_UP = "sit_up"
    JUMPING_JACK = "jumping_jack"
    PULL_UP = "pull_up"
    BENCH_PRESS = "bench_press"
    PLANK = "plank"
    FRONT_RAISE = "front_raise"
    ROPE_PUSHDOWN = "rope_pushdown"
    STANDING = "standing"
    WALKING = "walking"
    RUNNING = "running"
    SITTING_LYING = "sitting_lying"
    FALL = "fall"
    OTHER = "other"
    EXERCISE = "exercise"

    @property
    def title(self) -> str:
        """The name for people: ``Activity.PUSH_UP.title == "Push-up"``."""
        return _TITLES.get(self.value, self.value.replace("_", " ").capitalize())

    def __str__(self) -> str:
        return self.value


_TITLES = {"push_up": "Push-up", "sit_up": "Sit-up", "pull_up": "Pull-up", "jumping_jack": "Jumping jack",
           "sitting_lying": "Sitting or lying", "exercise": "Exercise (not recognised)", "other": "Other"}


class RepQuality(str, enum.Enum):
    """A full repetition is counted; a partial one (much smaller than the set's typical rep) is
    reported with its cues but not counted."""

    FULL = "full"
    PARTIAL = "partial"

    def __str__(self) -> str:
        return self.value


def _r(x: float) -> float:
    return round(float(x), 3)


def _plain(obj: object, floats: tuple[str, ...], ints: tuple[str, ...] = ()) -> None:
    """Store ``obj``'s number fields as Python ``float`` / ``int`` (not NumPy scalars, which the
    readings are computed in: ``np.bool_`` from comparing them is not JSON)."""
    for name in floats:
        object.__setattr__(obj, name, float(getattr(obj, name)))
    for name in ints:
        object.__setattr__(obj, name, int(getattr(obj, name)))


@dataclasses.dataclass(frozen=True)
class RepEvent:
    """One repetition: it starts at rest, reaches its ``bottom`` (the far end of the movement:
    the bottom of a squat, the top of a pull-up) and ends back at rest (``t_s`` = ``end_s``)."""

    t_s: float
    exercise: Activity
    quality: RepQuality
    start_s: float
    bottom_s: float
    end_s: float

    def __post_init__(self) -> None:
        _plain(self, ("t_s", "start_s", "bottom_s", "end_s"))

    @property
    def eccentric_s(self) -> float:
        """Seconds on the way down (start to bottom)."""
        return self.bottom_s - self.start_s

    @property
    def concentric_s(self) -> float:
        """Seconds on the way back up (bottom to end)."""
        return self.end_s - self.bottom_s

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": _r(self.t_s), "exercise": self.exercise.value, "quality": self.quality.value,
                "start_s": _r(self.start_s), "bottom_s": _r(self.bottom_s), "end_s": _r(self.end_s),
                "eccentric_s": _r(self.eccentric_s), "concentric_s": _r(self.concentric_s)}


@dataclasses.dataclass(frozen=True)
class FormCue:
    """Feedback on one rep (at its bottom) or on a stretch of a plank.

    ``value`` is what was measured and ``threshold`` the limit it crossed (``comparison`` says on
    which side: 'above' or 'below'); ``message`` is the cue in words for the person."""

    t_s: float
    exercise: Activity
    cue: str
    message: str
    value: float
    threshold: float
    comparison: str

    def __post_init__(self) -> None:
        _plain(self, ("t_s", "value", "threshold"))

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": _r(self.t_s), "exercise": self.exercise.value, "cue": self.cue, "message": self.message,
                "value": _r(self.value), "threshold": float(self.threshold), "comparison": self.comparison}


@dataclasses.dataclass(frozen=True)
class FallEvent:
    """A fall: the body left upright at ``onset_s`` and reached the floor at ``impact_s``;
    ``confidence`` in [0, 1]."""

    onset_s: float
    impact_s: float
    confidence: float

    def __post_init__(self) -> None:
        _plain(self, ("onset_s", "impact_s", "confidence"))

    @property
    def t_s(self) -> float:
        return self.onset_s

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": _r(self.onset_s), "onset_s": _r(self.onset_s), "impact_s": _r(self.impact_s),
                "confidence": _r(self.confidence)}


@dataclasses.dataclass(frozen=True)
class StillDownEvent:
    """A fall's follow-up: at ``t_s`` the person had not got up since the fall's impact
    (``impact_s``), ``down_s`` seconds (``FallOptions.still_down_s``)."""

    t_s: float
    onset_s: float
    impact_s: float
    down_s: float

    def __post_init__(self) -> None:
        _plain(self, ("t_s", "onset_s", "impact_s", "down_s"))

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": _r(self.t_s), "onset_s": _r(self.onset_s), "impact_s": _r(self.impact_s),
                "down_s": _r(self.down_s)}


@dataclasses.dataclass(frozen=True)
class ExerciseSegment:
    """A set: a run of one exercise's reps (or a plank held), with its counted reps."""

    label: Activity
    start_s: float
    end_s: float
    reps: int

    def __post_init__(self) -> None:
        _plain(self, ("start_s", "end_s"), ("reps",))

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label.value, "start_s": _r(self.start_s), "end_s": _r(self.end_s), "reps": int(self.reps)}


@dataclasses.dataclass(frozen=True)
class ActivityFrame:
    """The activity at one frame, as :meth:`posekit.Session.process` (``FrameResult.activity``)
    and :meth:`posekit.ActivityTracker.update` return it.

    Attributes:
        timestamp_ms: the frame's time.
        label: what the person is doing now (between two reps of a set: the set's exercise; for
            10 s after a fall: :attr:`Activity.FALL`).
        confidence: the classifier's smoothed probability of ``label`` (1.0 where the label comes
            from counted reps or a fall, 0.0 without a classifier).
        reps: counted reps so far (all exercises): the sum of :attr:`new_reps` sent minus
            :attr:`withdrawn_reps`, counting full reps only.
        new_reps: reps found at this frame.
        withdrawn_reps: reps sent earlier that more context shows were not reps (getting into
            position); they are no longer counted.
        new_cues: form cues found at this frame.
        last_cue: the latest cue so far (what a HUD keeps on screen), or None.
        new_falls: falls confirmed at this frame.
        fall: a fall within the last 10 s.
        new_still_down: a fallen person reported still down at this frame
            (``FallOptions.still_down_s`` after the impact, not up again since).
    """

    timestamp_ms: float
    label: Activity
    confidence: float
    reps: int
    new_reps: tuple[RepEvent, ...] = ()
    withdrawn_reps: tuple[RepEvent, ...] = ()
    new_cues: tuple[FormCue, ...] = ()
    last_cue: FormCue | None = None
    new_falls: tuple[FallEvent, ...] = ()
    fall: bool = False
    new_still_down: tuple[StillDownEvent, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label.value, "confidence": _r(self.confidence), "reps": int(self.reps),
                "new_reps": [r.to_dict() for r in self.new_reps],
                "withdrawn_reps": [r.to_dict() for r in self.withdrawn_reps],
                "new_cues": [c.to_dict() for c in self.new_cues],
                "last_cue": self.last_cue.to_dict() if self.last_cue is not None else None,
                "new_falls": [f.to_dict() for f in self.new_falls], "fall": bool(self.fall),
                "new_still_down": [d.to_dict() for d in self.new_still_down]}


@dataclasses.dataclass(frozen=True)
class ActivityReport:
    """Everything the engine found in a stream or sequence: :meth:`posekit.Session.summary`,
    :meth:`posekit.ActivityTracker.summary` and :func:`posekit.analyze_keypoints` return it, and
    for the same poses they return the same report.

    Attributes:
        exercises: the sets, in time order.
        reps_total: counted (full) reps over all sets.
        rep_events: every rep, full and partial, with its timing.
        form_cues: every form cue.
        falls: every fall.
        still_down: every fall after which the person stayed down ``FallOptions.still_down_s``.
        frame_labels: (T,) :class:`Activity` per input frame (what ``ActivityFrame.label`` said
            at that frame); empty for a live stream's summary (a camera has no end to keep them to).
    """

    exercises: tuple[ExerciseSegment, ...] = ()
    reps_total: int = 0
    rep_events: tuple[RepEvent, ...] = ()
    form_cues: tuple[FormCue, ...] = ()
    falls: tuple[FallEvent, ...] = ()
    still_down: tuple[StillDownEvent, ...] = ()
    frame_labels: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=object), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without ``frame_labels``)."""
        return {"exercises": [e.to_dict() for e in self.exercises], "reps_total": int(self.reps_total),
                "rep_events": [r.to_dict() for r in self.rep_events],
                "form_cues": [c.to_dict() for c in self.form_cues], "falls": [f.to_dict() for f in self.falls],
                "still_down": [d.to_dict() for d in self.still_down]}
