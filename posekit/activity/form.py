"""Form rules: the body at each rep's bottom, or over a plank, against the documented, configurable
thresholds in :class:`~posekit.activity.options.FormOptions`; each cue carries the measured value and
the threshold, and a message in words.

2D only sees what the camera sees, so each rule states the views it needs and is skipped (not
guessed) elsewhere: e.g. the push-up hip line needs a side view, knee tracking a front view. All
coordinates are hip-centred, torso-scaled, image orientation (y down).
"""

from __future__ import annotations

import numpy as np

from .body import AN, HEAD, HIP, KN, RATE, SH, WR, BodySequence, mid, nanmean
from .options import FormOptions
from .results import Activity, FormCue

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


def _lean_deg(xy_b: np.ndarray, xy_r: np.ndarray) -> float:
    """Torso lean from vertical at the bottom frame: the visible tilt (side view) or, when the torso
    is foreshortened (front view), the angle its shortening implies; the larger of the two."""
    up_b = mid(xy_b, SH) - mid(xy_b, HIP)
    up_r = mid(xy_r, SH) - mid(xy_r, HIP)
    tilt = np.degrees(np.arctan2(abs(up_b[0]), -up_b[1]))
    ratio = np.hypot(*up_b) / max(np.hypot(*up_r), 1e-6)
    short = np.degrees(np.arccos(np.clip(ratio, 0.0, 1.0)))
    return float(np.nanmax([tilt, short]))


def _hip_height_loss(seq: BodySequence, rest: int, bottom: int) -> float:
    """Fraction of the standing hip height above the ankles lost at the bottom, in the sequence's
    common frame of reference (view-independent for a level camera; ~0.5 at parallel)."""
    def height(a: int, b: int) -> float:  # mean over frames [a, b)
        ankles = mid(seq.xy[a:b], AN)[:, 1] * seq.scale[a:b]  # ankle height below the hips
        return float(nanmean(ankles))

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
    s, h, a, k = mid(xy, SH), mid(xy, HIP), mid(xy, AN), mid(xy, KN)
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
    xb = nanmean(seq.xy[max(0, bottom - 2):min(T, bottom + 3)], axis=0)
    xr = nanmean(seq.xy[max(0, rest - 2):min(T, rest + 3)], axis=0)
    if not (np.isfinite(xb).any() and np.isfinite(xr).any()):
        return []
    t = bottom / RATE
    out: list[FormCue] = []

    def cue(name: str, value: float, thr: float, above: bool) -> None:
        if np.isfinite(value) and ((value > thr) if above else (value < thr)):
            out.append(FormCue(t, Activity(exercise), name, MESSAGES[name], float(value), thr, "above" if above else "below"))

    if exercise == "squat":
        cue("squat_depth", _hip_height_loss(seq, rest, bottom), opts.squat_depth, False)
        cue("squat_torso_lean", _lean_deg(xb, xr), opts.squat_torso_lean, True)
        hip_w = abs(xr[HIP[0], 0] - xr[HIP[1], 0])
        if hip_w > 0.3:  # front-ish view: left/right separate horizontally
            ratio = abs(xb[KN[0], 0] - xb[KN[1], 0]) / max(abs(xb[AN[0], 0] - xb[AN[1], 0]), 1e-6)
            cue("squat_knees_cave", ratio, opts.squat_knee_ratio, False)
    elif exercise == "push_up":
        top = abs(mid(xr, WR)[1] - mid(xr, SH)[1])
        bot = abs(mid(xb, WR)[1] - mid(xb, SH)[1])
        cue("push_up_depth", bot / max(top, 1e-6), opts.push_up_depth, True)
        off, extent = _line_offset(xb)
        if extent > 1.5:  # side-ish view
            cue("push_up_hip_sag", off, opts.push_up_hip_sag, True)
            cue("push_up_hip_pike", -off, opts.push_up_hip_pike, True)
    elif exercise == "lunge":
        leg = nanmean([np.hypot(*(xr[h] - xr[a])) for h, a in zip(HIP, AN)])
        drop = (mid(xr, AN)[1] - mid(xr, HIP)[1] - (mid(xb, AN)[1] - mid(xb, HIP)[1])) / max(leg, 1e-6)
        cue("lunge_depth", drop, opts.lunge_depth, False)
        cue("lunge_torso_lean", _lean_deg(xb, xr), opts.lunge_torso_lean, True)
    elif exercise == "pull_up":
        cue("pull_up_height", mid(xb, [HEAD])[1] - mid(xb, WR)[1], opts.pull_up_height, True)
    return out


def plank_cues(seq: BodySequence, start: int, end: int, opts: FormOptions) -> list[FormCue]:
    """Hip-line cues for a plank hold, one check per ``plank_check_s`` (side view only)."""
    out: list[FormCue] = []
    step = max(1, int(opts.plank_check_s * RATE))
    for a in range(start, end - step + 1, step):
        xm = nanmean(seq.xy[a:a + step], axis=0)
        off, extent = _line_offset(xm)
        if extent <= 1.5 or not np.isfinite(off):
            continue
        t = (a + step) / RATE
        for name, value, thr in (("plank_hip_sag", off, opts.plank_hip_sag), ("plank_hip_pike", -off, opts.plank_hip_pike)):
            if value > thr:
                out.append(FormCue(t, Activity.PLANK, name, MESSAGES[name], float(value), thr, "above"))
    return out
