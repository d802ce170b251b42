"""Options of the activity engine: repetitions, falls, form cues and the exercise classifier.

Every option is keyword-only and validated in full when the object is made: a value of the wrong
type, not finite or out of its range raises :class:`~posekit.errors.InvalidInputError` naming the
option, the value and the allowed range. Numbers of any real type (``int``, ``float``, NumPy
scalars) are accepted and stored as ``float``.
"""

from __future__ import annotations

import dataclasses
import math
from numbers import Real

from ..errors import InvalidInputError


def _range(lo: float, hi: float = math.inf, *, lo_open: bool = False, hi_open: bool = False) -> dict:
    return {"range": (lo, hi, lo_open, hi_open)}


def _describe(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    if hi == math.inf:
        return f"a number {'>' if lo_open else '>='} {lo:g}"
    return f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def _validate(obj: object) -> None:
    """Check each field against its ``range`` metadata and store it as ``float``."""
    cls = type(obj).__name__
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        lo, hi, lo_open, hi_open = f.metadata["range"]
        v = getattr(obj, f.name)
        ok = isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(float(v))
        if ok:
            x = float(v)
            ok = (x > lo if lo_open else x >= lo) and (x < hi if hi_open else x <= hi)
        if not ok:
            raise InvalidInputError(f"{cls}.{f.name} must be {_describe(lo, hi, lo_open, hi_open)}, got {v!r}")
        object.__setattr__(obj, f.name, float(v))


@dataclasses.dataclass(frozen=True, kw_only=True)
class RepOptions:
    """Repetition counting options.

    Attributes:
        smooth_s: moving-average window (s). Raise for jittery input; lower for fast reps.
        hysteresis: thresholds at this fraction from the robust range's ends (0.2-0.45).
        partial_ratio: a cycle smaller than this fraction of the median cycle is partial (reps
            found by the rep phase model: a proportional share of a deep rep, 0.4 at 0.55).
        min_cycle_s: cycles shorter than this are ignored (jitter, not reps). 0.4 s: RepCount-pose
            labels many bench presses and push-ups under 0.5 s (docs/evidence/reps.md).
        max_cycle_s: a half cycle longer than this ends a set.
        min_range: the movement's robust range must exceed this many torso lengths; below it
            the person is holding still (sway and jitter are not reps).
        min_snr: the movement's robust range must also exceed this many times the keypoints' own
            jitter along it (the robust spread of what smoothing removes). Jittery keypoints of
            someone standing still reach ``min_range``; a movement that stands out from its own
            noise by less than this is no movement. 0 turns the check off.
    """

    smooth_s: float = dataclasses.field(default=0.2, metadata=_range(0.0, 5.0))
    hysteresis: float = dataclasses.field(default=0.3, metadata=_range(0.0, 0.5, lo_open=True, hi_open=True))
    partial_ratio: float = dataclasses.field(default=0.55, metadata=_range(0.0, 1.0))
    min_cycle_s: float = dataclasses.field(default=0.4, metadata=_range(0.0, 60.0, lo_open=True))
    max_cycle_s: float = dataclasses.field(default=8.0, metadata=_range(0.0, 600.0, lo_open=True))
    min_range: float = dataclasses.field(default=0.55, metadata=_range(0.0))
    min_snr: float = dataclasses.field(default=5.0, metadata=_range(0.0))

    def __post_init__(self) -> None:
        _validate(self)
        if not self.min_cycle_s < self.max_cycle_s:
            raise InvalidInputError(f"RepOptions.min_cycle_s ({self.min_cycle_s!r}) must be below "
                                    f"max_cycle_s ({self.max_cycle_s!r})")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FallOptions:
    """Fall detector options.

    Attributes:
        sensitivity: 0-1; higher lowers the speed thresholds and the classifier's P(fall) that
            confirms a fall on its own (``0.8 - 0.6 * sensitivity``) or rules one out (below
            ``0.6 * (1 - sensitivity)``): more alarms, fewer misses.
        upright_tilt: degrees from vertical; the body counts as upright below this.
        lying_tilt: degrees from vertical; the body counts as horizontal above this (above
            ``upright_tilt``).
        max_fall_s: upright -> horizontal must take at most this long.
        min_tilt_speed: deg/s peak angular speed at sensitivity 0.5.
        min_descent: torso lengths the hips must drop.
        confirm_s: seconds of lying after impact before an event is reported.
        sure_confirm_s: live, a fall the detector is sure of (confidence at least
            ``sure_confidence``) is sent after this much lying instead, if shorter than
            ``confirm_s``: the alert sooner where a false one is least likely.
        sure_confidence: 0-1; see ``sure_confirm_s`` (which, set to ``confirm_s``, makes every
            fall wait the same).
        overrule_confidence: 0-1; how sure (mean smoothed probability over ``confirm_s`` after
            the impact) the exercise classifier must be of a floor exercise or of lying down on
            purpose to overrule a fall; higher overrules less.
        still_down_s: seconds after a fall's impact at which a person not yet back up is
            reported still down (:class:`~posekit.StillDownEvent`, what a carer needs to know);
            0 turns the follow-up off. Back up means upright (torso within ``upright_tilt``)
            for ``UP_AGAIN_S``.
    """

    sensitivity: float = dataclasses.field(default=0.5, metadata=_range(0.0, 1.0))
    upright_tilt: float = dataclasses.field(default=35.0, metadata=_range(0.0, 90.0, lo_open=True, hi_open=True))
    lying_tilt: float = dataclasses.field(default=60.0, metadata=_range(0.0, 90.0, lo_open=True))
    max_fall_s: float = dataclasses.field(default=1.6, metadata=_range(0.0, 10.0, lo_open=True))
    min_tilt_speed: float = dataclasses.field(default=110.0, metadata=_range(0.0, lo_open=True))
    min_descent: float = dataclasses.field(default=0.45, metadata=_range(0.0))
    confirm_s: float = dataclasses.field(default=1.5, metadata=_range(0.0, 10.0, lo_open=True))
    sure_confirm_s: float = dataclasses.field(default=1.0, metadata=_range(0.0, 10.0, lo_open=True))
    sure_confidence: float = dataclasses.field(default=0.9, metadata=_range(0.0, 1.0))
    overrule_confidence: float = dataclasses.field(default=0.8, metadata=_range(0.0, 1.0))
    still_down_s: float = dataclasses.field(default=10.0, metadata=_range(0.0, 3600.0))

    def __post_init__(self) -> None:
        _validate(self)
        if not self.upright_tilt < self.lying_tilt:
            raise InvalidInputError(f"FallOptions.upright_tilt ({self.upright_tilt!r}) must be below "
                                    f"lying_tilt ({self.lying_tilt!r})")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FormOptions:
    """Form-cue thresholds (documented defaults; every one is configurable, each a positive number).

    Lengths are in torso lengths or as fractions of the person's own segment lengths measured at
    rest (the top of the rep, before the way down); angles in degrees.

    Attributes:
        squat_depth: fraction of the standing hip height (above the ankles) lost at the bottom;
            below it: "go lower" (about 0.5 at thighs parallel).
        squat_torso_lean: torso lean from vertical at the bottom (side view; foreshortening in a front view).
        squat_knee_ratio: front view: knee spacing / ankle spacing at the bottom below this = knees caving.
        push_up_depth: shoulder-over-wrist height at the bottom as a fraction of the top's; above: "lower".
        push_up_hip_sag: side view: hips below the line from the shoulders to the ankles (the knees
            in a knee push-up), in fractions of its length.
        push_up_hip_pike: side view: hips above the line.
        lunge_depth: hip drop at the bottom in leg lengths (hip to ankle at rest); below: "lower".
        lunge_torso_lean: torso lean from vertical at the bottom.
        pull_up_height: head below the wrists at the top of the pull, in torso lengths; above: "higher".
        plank_hip_sag / plank_hip_pike: as for push-ups, checked over each ``plank_check_s`` of holding.

    Defaults sit between the clean and the faulty reps' distributions on synthetic tuning seeds
    (``eval_form_cues(n=40, seed=7000)``: 7000 + 50 x exercise + 0-39); `training/eval_activity.py`
    validates them on other seeds (5300-5519), precision/recall per cue.
    """

    squat_depth: float = dataclasses.field(default=0.33, metadata=_range(0.0, lo_open=True))
    squat_torso_lean: float = dataclasses.field(default=48.0, metadata=_range(0.0, lo_open=True))
    squat_knee_ratio: float = dataclasses.field(default=0.7, metadata=_range(0.0, lo_open=True))
    push_up_depth: float = dataclasses.field(default=0.70, metadata=_range(0.0, lo_open=True))
    push_up_hip_sag: float = dataclasses.field(default=0.05, metadata=_range(0.0, lo_open=True))
    push_up_hip_pike: float = dataclasses.field(default=0.06, metadata=_range(0.0, lo_open=True))
    lunge_depth: float = dataclasses.field(default=0.45, metadata=_range(0.0, lo_open=True))
    lunge_torso_lean: float = dataclasses.field(default=20.0, metadata=_range(0.0, lo_open=True))
    pull_up_height: float = dataclasses.field(default=0.05, metadata=_range(0.0, lo_open=True))
    plank_hip_sag: float = dataclasses.field(default=0.05, metadata=_range(0.0, lo_open=True))
    plank_hip_pike: float = dataclasses.field(default=0.06, metadata=_range(0.0, lo_open=True))
    plank_check_s: float = dataclasses.field(default=5.0, metadata=_range(0.0, lo_open=True))

    def __post_init__(self) -> None:
        _validate(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClassifierOptions:
    """Decision smoothing of the exercise classifier's window probabilities.

    Attributes:
        ema: weight of the newest window in the probability moving average, in (0, 1].
        switch_margin: a new label must beat the current one by this much probability.
        min_confidence: below this the label is 'other'.
    """

    ema: float = dataclasses.field(default=0.5, metadata=_range(0.0, 1.0, lo_open=True))
    switch_margin: float = dataclasses.field(default=0.1, metadata=_range(0.0, 1.0))
    min_confidence: float = dataclasses.field(default=0.4, metadata=_range(0.0, 1.0))

    def __post_init__(self) -> None:
        _validate(self)
