"""Per-exercise repetition signals and form rules.

Each repeated exercise has a 1-D movement signal built from the joints that define it (squat: hips
to ankles; push-up: shoulders to wrists; ...). The shared phase state machine
(:func:`posekit.activity.reps.find_cycles`: rest -> eccentric -> bottom -> concentric -> rest, with
hysteresis) runs on it, which times each rep and reports partial reps without counting them.

Form rules measure the body at each counted rep's bottom (mean of the frames around it) against the
documented, configurable thresholds in :class:`FormOptions`; each cue carries the measured value and
the threshold. 2D only sees what the camera sees, so each rule states the views it needs and is
skipped (not guessed) elsewhere: e.g. the push-up hip line needs a side view, knee tracking a front
view. All coordinates are hip-centred, torso-scaled, image orientation (y down).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Callable

import numpy as np

from ..errors import InvalidInputError
from ..keypoints import BODY13, Keypoint
from .features import RATE, BodySequence

_B = {kp: i for i, kp in enumerate(BODY13)}
HEAD = _B[Keypoint.NOSE]
SH = [_B[Keypoint.LEFT_SHOULDER], _B[Keypoint.RIGHT_SHOULDER]]
EL = [_B[Keypoint.LEFT_ELBOW], _B[Keypoint.RIGHT_ELBOW]]
WR = [_B[Keypoint.LEFT_WRIST], _B[Keypoint.RIGHT_WRIST]]
HIP = [_B[Keypoint.LEFT_HIP], _B[Keypoint.RIGHT_HIP]]
KN = [_B[Keypoint.LEFT_KNEE], _B[Keypoint.RIGHT_KNEE]]
AN = [_B[Keypoint.LEFT_ANKLE], _B[Keypoint.RIGHT_ANKLE]]


def _mid(xy: np.ndarray, idx: list[int]) -> np.ndarray:
    """Mean of the joints ``idx`` that are present (NaN when none is), over the joint axis."""
    pts = xy[:, idx] if xy.ndim == 3 else xy[idx]
    axis = 1 if xy.ndim == 3 else 0
    ok = np.isfinite(pts)
    n = ok.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, pts, 0.0).sum(axis=axis) / np.where(n > 0, n, np.nan)


def _nanmean(x, axis=None):
    with warnings.catch_warnings():  # all-NaN slices (missed joints) are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=axis)


# ----------------------------------------------------------------------------- rep signals
# Each gives (T,) with NaN where the joints are missing; larger = nearer the rest position. They
# only orient the movement signal, so they favour robust cues over precise ones.

def _sig_squat(seq: BodySequence) -> np.ndarray:  # hips high at rest (global height: y down)
    return -seq.hip[:, 1]


def _sig_push(seq: BodySequence) -> np.ndarray:  # shoulders far above the wrists at the top
    return np.abs(_mid(seq.xy, WR)[:, 1] - _mid(seq.xy, SH)[:, 1])


def _sig_bench(seq: BodySequence) -> np.ndarray:  # arms extended: wrists far from shoulders
    d = _mid(seq.xy, WR) - _mid(seq.xy, SH)
    return np.hypot(d[:, 0], d[:, 1])


def _sig_pull(seq: BodySequence) -> np.ndarray:  # hanging: head far below the wrists
    return _mid(seq.xy, [HEAD])[:, 1] - _mid(seq.xy, WR)[:, 1]


def _sig_situp(seq: BodySequence) -> np.ndarray:  # lying: shoulders far from knees
    d = _mid(seq.xy, SH) - _mid(seq.xy, KN)
    return np.hypot(d[:, 0], d[:, 1])


def _sig_jack(seq: BodySequence) -> np.ndarray:  # arms down and feet together at rest
    arms = _mid(seq.xy, WR)[:, 1] - _mid(seq.xy, [HEAD])[:, 1]
    feet = np.abs(seq.xy[:, AN[0], 0] - seq.xy[:, AN[1], 0])
    return arms - feet


REP_SIGNALS: dict[str, Callable[[BodySequence], np.ndarray]] = {
    "squat": _sig_squat, "lunge": _sig_squat, "push_up": _sig_push, "bench_press": _sig_bench,
    "pull_up": _sig_pull, "sit_up": _sig_situp, "jumping_jack": _sig_jack,
}
#: Body parts whose trajectories define each exercise (the movement signal's principal component
#: is taken over these and the global hip height only, so swinging arms do not count squats).
REP_PARTS: dict[str, tuple[str, ...]] = {
    "squat": ("head", "shoulders", "hips", "knees", "ankles"), "lunge": ("head", "shoulders", "hips", "knees", "ankles"),
    "push_up": ("head", "shoulders", "elbows", "wrists", "hips"), "bench_press": ("shoulders", "elbows", "wrists"),
    "pull_up": ("head", "shoulders", "elbows", "wrists", "hips"), "sit_up": ("head", "shoulders", "elbows", "hips", "knees"),
    "jumping_jack": ("elbows", "wrists", "knees", "ankles"),
}


def exercise_signal(seq: BodySequence, exercise: str, smooth_s: float = 0.2,
                    min_snr: float | None = None) -> np.ndarray | None:
    """(T,) smoothed rep signal for ``exercise``, oriented so that its rest position is high; None
    when the exercise has none or its joints are mostly missing.

    The principal component of the exercise's body parts carries the movement (averaging many
    joints beats any single noisy distance); the exercise's defining distance (``REP_SIGNALS``,
    larger at rest) only fixes its sign, so the state machine knows which way is down.
    ``min_snr``: as :class:`~posekit.activity.reps.RepOptions` (its default when None)."""
    from .reps import RepOptions, movement_signal

    fn = REP_SIGNALS.get(exercise)
    if fn is None:
        return None
    ref = fn(seq)
    ok = np.isfinite(ref)
    if ok.mean() < 0.5:
        return None
    s = movement_signal(seq, smooth_s, REP_PARTS[exercise], RepOptions.min_snr if min_snr is None else min_snr)
    c = np.corrcoef(s[ok], ref[ok])[0, 1] if ok.sum() > 2 and np.std(s[ok]) > 0 and np.std(ref[ok]) > 0 else 0.0
    return s if c >= 0 else -s


# ----------------------------------------------------------------------------- form rules

@dataclasses.dataclass(frozen=True)
class FormOptions:
    """Form-cue thresholds (documented defaults; every one is configurable).

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
    (``eval_form_cues(n=40, seed=7000)``: 7000 + 50 x exercise + 0-39; lunge_depth and push_up_depth
    re-chosen there when the rest posture moved to the rep's top); `training/eval_activity.py`
    validates them on other seeds (5300-5519), precision/recall per cue.
    """

    squat_depth: float = 0.33
    squat_torso_lean: float = 48.0
    squat_knee_ratio: float = 0.7
    push_up_depth: float = 0.70
    push_up_hip_sag: float = 0.05
    push_up_hip_pike: float = 0.06
    lunge_depth: float = 0.45
    lunge_torso_lean: float = 20.0
    pull_up_height: float = 0.05
    plank_hip_sag: float = 0.05
    plank_hip_pike: float = 0.06
    plank_check_s: float = 5.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v > 0):
                raise InvalidInputError(f"FormOptions.{f.name} must be a positive number, got {v!r}")


MESSAGES = {
    "squat_depth": "Squat deeper: hips down to knee level",
    "squat_torso_lean": "Keep your chest up",
    "squat_knees_cave": "Push your knees out over your toes",
    "push_up_depth": "Lower your chest further",
    "push_up_hip_sag": "Keep your hips up: straight line from shoulders to ankles",
    "push_up_hip_pike": "Lower your hips: straight line from shoulders to ankles",
    "lunge_depth": "Lunge deeper: back knee towards the floor",
    "lunge_torso_lean": "Keep your torso upright",
    "pull_up_height": "Pull higher: chin over the bar",
    "plank_hip_sag": "Lift your hips: straight line from shoulders to ankles",
    "plank_hip_pike": "Lower your hips: straight line from shoulders to ankles",
}


@dataclasses.dataclass(frozen=True)
class FormCue:
    t_s: float
    exercise: str
    cue: str
    message: str
    value: float
    threshold: float
    comparison: str  # 'above' or 'below': the value is on this side of the threshold

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": round(self.t_s, 3), "exercise": self.exercise, "cue": self.cue, "message": self.message,
                "value": round(self.value, 3), "threshold": self.threshold, "comparison": self.comparison}


def _lean_deg(xy_b: np.ndarray, xy_r: np.ndarray) -> float:
    """Torso lean from vertical at the bottom frame: the visible tilt (side view) or, when the torso
    is foreshortened (front view), the angle its shortening implies; the larger of the two."""
    up_b = _mid(xy_b, SH) - _mid(xy_b, HIP)
    up_r = _mid(xy_r, SH) - _mid(xy_r, HIP)
    tilt = np.degrees(np.arctan2(abs(up_b[0]), -up_b[1]))
    ratio = np.hypot(*up_b) / max(np.hypot(*up_r), 1e-6)
    short = np.degrees(np.arccos(np.clip(ratio, 0.0, 1.0)))
    return float(np.nanmax([tilt, short]))


def _hip_height_loss(seq: BodySequence, rest: int, bottom: int) -> float:
    """Fraction of the standing hip height above the ankles lost at the bottom, in the sequence's
    common frame of reference (view-independent for a level camera; ~0.5 at parallel)."""
    def height(a: int, b: int) -> float:  # mean over frames [a, b)
        ankles = _mid(seq.xy[a:b], AN)[:, 1] * seq.scale[a:b]  # ankle height below the hips
        return float(_nanmean(ankles))

    T = len(seq.xy)
    standing = height(max(0, rest - 2), min(T, rest + 3))
    low = height(max(0, bottom - 2), min(T, bottom + 3))
    return float(1.0 - low / standing) if np.isfinite(standing) and standing > 1e-6 else float("nan")


#: Knees bent below this angle (degrees, hip-knee-ankle) in a prone body carry it: a knee push-up
#: or plank, whose body line ends at the knees. On the toes the legs are straight whether the hips
#: sag or pike.
KNEES_BENT = 135.0


def _line_offset(xy: np.ndarray) -> tuple[float, float]:
    """Side-view body line: signed hip offset from the line from the shoulders to the support
    (+ = below, i.e. sagging) as a fraction of the line's length, and the line's horizontal extent
    (torso lengths). The support is the ankles, or the knees when the legs are bent (:data:`KNEES_BENT`)."""
    s, h, a, k = _mid(xy, SH), _mid(xy, HIP), _mid(xy, AN), _mid(xy, KN)
    thigh, shin = h - k, a - k
    cos = float(np.dot(thigh, shin)) / max(float(np.hypot(*thigh) * np.hypot(*shin)), 1e-9)
    if np.isfinite(cos) and np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))) < KNEES_BENT:
        a = k
    v = a - s
    length = float(np.hypot(*v))
    if not np.isfinite(length) or length < 1e-6:
        return float("nan"), 0.0
    cross = (v[0] * (h - s)[1] - v[1] * (h - s)[0]) / length  # distance, sign by side
    sign = 1.0 if v[0] >= 0 else -1.0  # image y down: + cross = hip below the line when facing right
    return float(sign * cross / length), float(abs(v[0]))


def rep_cues(seq: BodySequence, exercise: str, rest: int, bottom: int, opts: FormOptions) -> list[FormCue]:
    """Form cues for one rep: the body around frame ``bottom`` against the body around frame
    ``rest``, the rep's top (:attr:`Cycle.top`; frame indices at :data:`RATE`)."""
    T = len(seq.xy)
    xb = _nanmean(seq.xy[max(0, bottom - 2):min(T, bottom + 3)], axis=0)
    xr = _nanmean(seq.xy[max(0, rest - 2):min(T, rest + 3)], axis=0)
    if not (np.isfinite(xb).any() and np.isfinite(xr).any()):
        return []
    t = bottom / RATE
    out: list[FormCue] = []

    def cue(name: str, value: float, thr: float, above: bool) -> None:
        if np.isfinite(value) and ((value > thr) if above else (value < thr)):
            out.append(FormCue(t, exercise, name, MESSAGES[name], float(value), thr, "above" if above else "below"))

    if exercise == "squat":
        cue("squat_depth", _hip_height_loss(seq, rest, bottom), opts.squat_depth, False)
        cue("squat_torso_lean", _lean_deg(xb, xr), opts.squat_torso_lean, True)
        hip_w = abs(xr[HIP[0], 0] - xr[HIP[1], 0])
        if hip_w > 0.3:  # front-ish view: left/right separate horizontally
            ratio = abs(xb[KN[0], 0] - xb[KN[1], 0]) / max(abs(xb[AN[0], 0] - xb[AN[1], 0]), 1e-6)
            cue("squat_knees_cave", ratio, opts.squat_knee_ratio, False)
    elif exercise == "push_up":
        top = abs(_mid(xr, WR)[1] - _mid(xr, SH)[1])
        bot = abs(_mid(xb, WR)[1] - _mid(xb, SH)[1])
        cue("push_up_depth", bot / max(top, 1e-6), opts.push_up_depth, True)
        off, extent = _line_offset(xb)
        if extent > 1.5:  # side-ish view
            cue("push_up_hip_sag", off, opts.push_up_hip_sag, True)
            cue("push_up_hip_pike", -off, opts.push_up_hip_pike, True)
    elif exercise == "lunge":
        leg = _nanmean([np.hypot(*(xr[h] - xr[a])) for h, a in zip(HIP, AN)])
        drop = (_mid(xr, AN)[1] - _mid(xr, HIP)[1] - (_mid(xb, AN)[1] - _mid(xb, HIP)[1])) / max(leg, 1e-6)
        cue("lunge_depth", drop, opts.lunge_depth, False)
        cue("lunge_torso_lean", _lean_deg(xb, xr), opts.lunge_torso_lean, True)
    elif exercise == "pull_up":
        cue("pull_up_height", _mid(xb, [HEAD])[1] - _mid(xb, WR)[1], opts.pull_up_height, True)
    return out


def plank_cues(seq: BodySequence, start: int, end: int, opts: FormOptions) -> list[FormCue]:
    """Hip-line cues for a plank hold, one check per ``plank_check_s`` (side view only)."""
    out: list[FormCue] = []
    step = max(1, int(opts.plank_check_s * RATE))
    for a in range(start, end - step + 1, step):
        xm = _nanmean(seq.xy[a:a + step], axis=0)
        off, extent = _line_offset(xm)
        if extent <= 1.5 or not np.isfinite(off):
            continue
        t = (a + step) / RATE
        for name, value, thr in (("plank_hip_sag", off, opts.plank_hip_sag), ("plank_hip_pike", -off, opts.plank_hip_pike)):
            if value > thr:
                out.append(FormCue(t, "plank", name, MESSAGES[name], float(value), thr, "above"))
    return out
