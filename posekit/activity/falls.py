"""Fall detection from motion cues: a fast tip from upright to horizontal with the hips dropping,
followed by lying with little motion.

Cues (all from :class:`BodySequence`, view-independent as far as 2D allows):

* torso tilt from vertical (0 upright, 90 horizontal) and its angular speed;
* hip-centre descent (torso lengths) and its speed;
* "horizontal" = tilt above ``lying_tilt`` or the body's box wider than tall (falls toward the
  camera foreshorten the torso, so the box is the fallback);
* after impact: horizontal for most of ``confirm_s`` with low motion;
* before it: a body seen upright, on legs under the hips, for a fifth of a second
  (:func:`upright_signal`): a push-up filmed head-on, or a pose network's glitch, reads upright
  by its torso alone.

Lying down on purpose (slow), sitting down hard (stays upright) and bending to pick something up
(hips stay up, the legs straight under them, returns upright) fail one cue each and do not alarm.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np

from .body import AN, HIP, KN, RATE, BodySequence, moving_average, nanmean
from .classifier import MODEL_RATE, WINDOW
from .labels import FLOOR_EXERCISES, LABEL_ID
from .options import FallOptions
from .results import FallEvent


#: Standing or sitting, the feet are under the hips: in an upright frame the ankles are at least
#: this many body lengths (torso lengths, :class:`BodySequence`) below the hips, or, with no ankle
#: seen, the knees at least half as far. A push-up filmed head-on reads upright by its torso alone.
LEGS_BELOW = 0.5
#: Legs straight down under the hips: the ankles this far below them (a body kneeling on all
#: fours has them about 0.7 below, standing about 1.4: the Fall Action Dataset's standing people).
LEGS_STRAIGHT_DOWN = 1.0
#: A way down starts from a body upright for at least this long (not necessarily at a stretch):
#: a pose network's glitch of a frame or two reads upright too.
UPRIGHT_HOLD_S = 0.2


def horizontal_signal(seq: BodySequence, opts: FallOptions = FallOptions()) -> np.ndarray:
    """(T,) bool: the body lies (tilt above ``lying_tilt`` or its box is clearly wider than tall),
    unless it stands on straight legs (ankles :data:`LEGS_STRAIGHT_DOWN` below the hips): bending
    over to pick something up lays the torso flat too."""
    tilt = moving_average(seq.tilt, 5)
    pts = np.where(seq.mask[..., None], seq.xy, np.nan)
    pts = np.where(np.isfinite(pts), pts, 0.0)  # missing frames collapse to a point: not wide
    w = pts[..., 0].max(1) - pts[..., 0].min(1)
    h = pts[..., 1].max(1) - pts[..., 1].min(1)
    wide = np.nan_to_num(w / np.maximum(h, 1e-6), nan=0.0) > 1.3
    standing = np.nan_to_num(_below_hips(seq.xy, AN), nan=0.0) >= LEGS_STRAIGHT_DOWN
    return ((np.nan_to_num(tilt, nan=0.0) > opts.lying_tilt) | wide) & ~standing


def on_legs(seq: BodySequence, a: int, b: int) -> bool:
    """Whether the legs stand straight down under the hips (:data:`LEGS_STRAIGHT_DOWN`) in most of
    frames ``a:b`` where the ankles are seen: crouching or sitting down, not lying."""
    below = _below_hips(seq.xy[a:b], AN)
    below = below[np.isfinite(below)]
    return len(below) > 0 and float(np.mean(below >= LEGS_STRAIGHT_DOWN)) >= 0.5


def _below_hips(xy: np.ndarray, joints: list[int]) -> np.ndarray:
    """(T,) how far ``joints`` (their mean, where seen) are below the hips in :class:`BodySequence`
    joints ``xy`` (T, 13, 2), in body lengths."""
    return nanmean(xy[:, joints, 1], axis=1) - nanmean(xy[:, HIP, 1], axis=1)


def upright_signal(seq: BodySequence, tilt: np.ndarray, horiz: np.ndarray, opts: FallOptions = FallOptions()
                   ) -> np.ndarray:
    """(T,) bool: the body is seen and upright: the torso within ``upright_tilt`` of vertical
    (``tilt``, smoothed), not horizontal (``horiz``), and the legs, where seen, under the hips
    (:data:`LEGS_BELOW`). Of single poses labelled by people whose torso reads upright
    (``python -m training.eval_falls``, ``upright_test``): 98% of the Fall Action Dataset's
    standing people and 95% of its sitting ones pass; 75% of RepCount-pose's push-ups at the top
    (filmed head-on) and 13% of its sit-ups halfway up do. Unseen frames are not upright."""
    ankles, knees = _below_hips(seq.xy, AN), _below_hips(seq.xy, KN)
    legs = np.where(np.isfinite(ankles), ankles >= LEGS_BELOW,
                    np.where(np.isfinite(knees), knees >= 0.5 * LEGS_BELOW, True))
    return np.isfinite(seq.tilt) & (tilt < opts.upright_tilt) & ~horiz & legs


def stood(upright: np.ndarray) -> bool:
    """Whether ``upright`` (a stretch of :func:`upright_signal`) holds :data:`UPRIGHT_HOLD_S` of frames."""
    return int(np.count_nonzero(upright)) >= max(1, int(round(UPRIGHT_HOLD_S * RATE)))


def detect_falls(seq: BodySequence, opts: FallOptions = FallOptions(),
                 fall_prob: tuple[np.ndarray, np.ndarray] | None = None, positions: bool = True) -> list[FallEvent]:
    """Falls in a body sequence (offline; the streaming tracker calls this on a sliding buffer).

    ``fall_prob``: the sequence classifier's P(fall) per window, as (window end times s, probs).
    With it, a transition to lying that the motion rules find too slow or too shallow still counts
    when the classifier is confident around it (threshold ``0.8 - 0.6 * sensitivity``) and the
    person was upright before, dropped at least half the rules' descent, and stays down. And a
    fall the rules find is dropped when the classifier rules it out (:func:`ruled_out`).

    ``positions`` False: the keypoints do not keep the body's place and size from frame to frame
    (min-max normalised per frame), so the hips' descent, which these checks read, is not in
    them: a window the classifier is confident about needs a way down in the body's shape alone
    instead, upright in it, then tilted past ``upright_tilt`` at its end (:func:`_shape_falls`).
    """
    n = len(seq.t)
    if n < int(RATE):
        return []
    tilt = moving_average(seq.tilt, 5)
    hip_y = moving_average(seq.hip[:, 1], 5)
    horiz = horizontal_signal(seq, opts)
    if not np.isfinite(tilt).any():
        return []
    tilt = np.nan_to_num(tilt, nan=0.0)
    upright = upright_signal(seq, tilt, horiz, opts)
    dtilt = np.gradient(tilt) * RATE
    dhip = np.gradient(np.nan_to_num(hip_y, nan=0.0)) * RATE
    scale = 1.5 - opts.sensitivity  # 1.0 at the default sensitivity
    events: list[FallEvent] = []
    confirm = int(opts.confirm_s * RATE)
    look = int(opts.max_fall_s * RATE)
    h = np.nan_to_num(hip_y, nan=float(np.nanmedian(hip_y)) if np.isfinite(hip_y).any() else 0.0)
    i = 1
    while i < n:
        if not (horiz[i] and not horiz[i - 1]):
            i += 1
            continue
        impact = i
        pre = slice(max(0, impact - look), impact + 1)
        # The fall starts where the hips were highest in the preceding max_fall_s, and the body
        # must have been upright in that window.
        top = pre.start + int(np.argmin(h[pre]))
        was_upright = stood(upright[pre])
        post = slice(impact, min(impact + confirm, n))
        descent = float(np.max(h[post]) - h[top])
        seg = slice(top, min(impact + int(0.3 * RATE), n))
        tilt_speed = float(np.max(np.abs(dtilt[seg])))
        drop_speed = float(np.max(dhip[seg]))
        after = horiz[post]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # no joint seen after impact: NaN, then 0.5
            motion = float(np.nanmean(np.abs(np.diff(seq.xy[post], axis=0)))) if len(after) > 2 else 0.5
        motion = motion if np.isfinite(motion) else 0.5
        # At the end of the data (offline windows) a shorter lying tail is accepted if unbroken.
        confirmed = (len(after) >= confirm and after.mean() >= 0.8) or (
            impact + confirm > n and len(after) >= int(0.2 * RATE) and after.mean() >= 0.9)
        # The hips must still be dropping just before the body goes horizontal: lying down on
        # purpose sits first and tips back later with the hips already on the floor.
        near = slice(max(top, impact - int(0.7 * RATE)), min(impact + int(0.3 * RATE), n))
        near_drop = float(np.max(dhip[near])) if near.stop > near.start else 0.0
        fast = near_drop >= 0.8 * scale and (tilt_speed >= opts.min_tilt_speed * scale or drop_speed >= 1.5 * scale)
        p_fall = 0.0
        if fall_prob is not None and len(fall_prob[0]):
            near_w = (fall_prob[0] >= (top - 0.3 * RATE) / RATE) & (fall_prob[0] <= (impact + 1.5 * RATE) / RATE)
            p_fall = float(fall_prob[1][near_w].max()) if near_w.any() else 0.0
        by_rules = fast and descent >= opts.min_descent * scale
        by_model = (p_fall >= 0.8 - 0.6 * opts.sensitivity and descent >= 0.5 * opts.min_descent * scale
                    and near_drop >= 0.8 * scale)
        if was_upright and (by_rules or by_model) and confirmed:
            conf = float(np.clip(0.4 + 0.2 * min(tilt_speed / (opts.min_tilt_speed * scale), 2.0)
                                 + 0.15 * min(descent / opts.min_descent, 2.0) - 0.5 * min(motion, 0.5), 0.0, 1.0))
            if fall_prob is not None:
                conf = 0.5 * conf + 0.5 * p_fall
            moving = np.flatnonzero(dhip[top:impact + 1] > 0.3 * max(drop_speed, 1e-6))
            start = top + int(moving[0]) if len(moving) else top
            events.append(FallEvent(start / RATE, impact / RATE, conf))
            i = impact + confirm
            continue
        i += 1
    if not events:
        events = _drop_falls(seq, hip_y, dhip, horiz, opts, scale)
    if fall_prob is not None:
        # Without positions the hips' drop that _model_falls checks is not in the keypoints.
        found = (_model_falls(seq, fall_prob, events, horiz, h, dhip, tilt, upright, opts, scale) if positions
                 else _shape_falls(tilt, fall_prob, events, opts))
        # The classifier rules out only what it read with positions: without them its P(fall) is
        # weaker (docs/evidence/falls.md: it lost a fall cut at impact there).
        events = sorted([e for e in events if not (positions and ruled_out(e, fall_prob, opts))] + found,
                        key=lambda e: e.onset_s)
    return events


def ruled_out(event: FallEvent, fall_prob: tuple[np.ndarray, np.ndarray], opts: FallOptions = FallOptions()) -> bool:
    """Whether the classifier rules a fall out: it read windows ending from 0.3 s before the
    onset to 1.5 s after the impact (the span :func:`detect_falls` reads), and gave none of them
    P(fall) of ``0.6 * (1 - sensitivity)`` (0.3 at the default) or more. The motion rules read a
    pose network's glitch as a way down at times (a hanging body's legs guessed along its arms, a
    skeleton that flips in a push-up filmed head-on); at 0.3 the gate drops none of the falls
    found in either MD4FD cross-dataset fold, whose classifiers never saw the held-out set's
    falls (docs/evidence/falls.md). No window there (a short clip): not ruled out; sensitivity
    1: never."""
    times, probs = fall_prob
    near = (times >= event.onset_s - 0.3) & (times <= event.impact_s + 1.5)
    return bool(near.any()) and float(probs[near].max()) < 0.6 * (1.0 - opts.sensitivity)


#: Length of a classifier window in seconds.
MODEL_WINDOW_S = WINDOW / MODEL_RATE


def _confident_windows(fall_prob: tuple[np.ndarray, np.ndarray], n: int, opts: FallOptions
                       ) -> Iterator[tuple[int, int, slice, float]]:
    """The classifier windows with P(fall) >= ``0.8 - 0.6 * sensitivity`` that hold at least 0.5 s
    of the ``n`` frames (at :data:`RATE`): (first frame, end frame, their last 0.3 s, P(fall))."""
    times, probs = fall_prob
    thr = 0.8 - 0.6 * opts.sensitivity
    for t_end, p in zip(times, probs):
        e = min(n, int(round(t_end * RATE)))
        s = max(0, e - int(MODEL_WINDOW_S * RATE))
        if p >= thr and e - s >= int(0.5 * RATE):
            yield s, e, slice(max(s, e - int(0.3 * RATE)), e), float(p)


def _shape_falls(tilt: np.ndarray, fall_prob: tuple[np.ndarray, np.ndarray], found: list[FallEvent],
                 opts: FallOptions) -> list[FallEvent]:
    """Falls the classifier is confident about (as :func:`_model_falls`) in keypoints that keep only
    the body's shape: the window shows the torso upright (below ``upright_tilt``, seen) and ends
    tilted past it (the mean over its last 0.3 s), and stays tilted (most of ``confirm_s``, as far
    as the data goes). Onset = the first frame past ``upright_tilt`` after the last upright one,
    impact = the first past ``lying_tilt`` (the onset if none). Lying that merely continues has no
    upright frame; sitting down leans forward, then sits up. ``tilt``: :func:`detect_falls`'s
    smoothed torso tilt, without gaps."""
    out: list[FallEvent] = []
    taken = [(e.onset_s - opts.confirm_s, e.impact_s + opts.confirm_s) for e in found]
    for s, e, tail, p in _confident_windows(fall_prob, len(tilt), opts):
        if float(np.mean(tilt[tail])) < opts.upright_tilt:
            continue
        upright = np.flatnonzero(tilt[s:tail.start] < opts.upright_tilt)
        if not len(upright):
            continue
        onset = s + int(upright[-1]) + 1
        lying = np.flatnonzero(tilt[onset:e] > opts.lying_tilt)
        impact = onset + int(lying[0]) if len(lying) else onset
        if float(np.mean(tilt[impact:impact + int(opts.confirm_s * RATE)] >= opts.upright_tilt)) < 0.8:
            continue
        if any(a <= onset / RATE <= b for a, b in taken):
            continue  # the same fall, seen by a later window (or by the other checks)
        out.append(FallEvent(onset / RATE, impact / RATE, float(p)))
        taken.append((onset / RATE - opts.confirm_s, impact / RATE + opts.confirm_s))
    return out


def _model_falls(seq: BodySequence, fall_prob: tuple[np.ndarray, np.ndarray], found: list[FallEvent],
                 horiz: np.ndarray, h: np.ndarray, dhip: np.ndarray, tilt: np.ndarray, upright: np.ndarray,
                 opts: FallOptions, scale: float) -> list[FallEvent]:
    """Falls the classifier is confident about (P(fall) >= ``0.8 - 0.6 * sensitivity``) where the
    motion rules saw no clean transition (the fall is cut by the buffer's edge, or seen end-on), as
    long as the window holds a way down from a body that stood (:func:`upright_signal`,
    :func:`stood`): the hips at least half the rules' descent below their highest point up to
    where it last stood, and the window ending horizontal after not being so, or tilted (>=
    ``upright_tilt``), or with the hips a torso length lower whatever the tilt. Lying that merely
    continues is not a new fall; hips lower under an upright torso is sitting down; hips that rise
    as the body tips over are no way down. The body must then lie (:func:`horizontal_signal`)
    within ``confirm_s`` of the hips' fastest drop, as far as the data goes, unless they dropped
    0.8 torso lengths or more and the legs do not stand straight down under them
    (:func:`on_legs`): bending over or crouching tips the torso and lowers the hips without lying,
    while a fall seen end-on (which foreshortens the torso instead) or one from a seat to the floor
    brings the hips further down. Onset = where the hips start their fastest drop."""
    n = len(h)
    confirm = int(opts.confirm_s * RATE)
    out: list[FallEvent] = []
    taken = [(e.onset_s - opts.confirm_s, e.impact_s + opts.confirm_s) for e in found]
    for s, e, tail, p in _confident_windows(fall_prob, n, opts):
        # The way down starts from an upright body (a push-up or a plank is horizontal
        # throughout) and runs from the hips' highest position up to where it last stood: hips
        # that rise once the body is down (a dip's swing off the bars) are no way down.
        if not stood(upright[s:e]):
            continue
        last_up = s + int(np.flatnonzero(upright[s:e])[-1])
        top = s + int(np.argmin(h[s:last_up + 1]))
        dropped = float(np.mean(h[tail]) - h[top])
        went_down = horiz[tail].mean() >= 0.5 and not horiz[s:tail.start].all()
        # Hips lower but the torso still upright is sitting down, unless the drop is a fall's
        # (falls toward the camera foreshorten the torso instead of tilting it).
        tipped = float(np.mean(tilt[tail])) >= opts.upright_tilt
        if dropped < 0.5 * opts.min_descent * scale or not (went_down or tipped or dropped >= 1.0 * scale):
            continue
        j = top + int(np.argmax(dhip[top:e]))
        if dhip[j] <= 0:
            continue  # the hips never go down after their highest point (e.g. it is the window's end)
        if not stood(upright[s:j + 1]):
            continue
        moving = np.flatnonzero(dhip[top:j + 1] < 0.3 * max(float(dhip[j]), 1e-6))
        onset = top + int(moving[-1]) + 1 if len(moving) else top
        if not horiz[j:j + confirm].any() and (dropped < 0.8 * scale or on_legs(seq, j, j + confirm)):
            continue  # bending or crouching
        lying = np.flatnonzero(horiz[j:e])
        impact = j + int(lying[0]) if len(lying) else j
        near = slice(max(top, impact - int(0.7 * RATE)), min(impact + int(0.3 * RATE), n))
        if len(lying) and float(np.max(dhip[near])) < 0.8 * scale:
            continue  # as in the rules: lying down on purpose sits first, then tips back with the hips down
        if any(a <= onset / RATE <= b for a, b in taken):
            continue  # the same fall, seen by a later window (or by the rules)
        out.append(FallEvent(onset / RATE, impact / RATE, float(p)))
        taken.append((onset / RATE - opts.confirm_s, impact / RATE + opts.confirm_s))
    return out


def _drop_falls(seq: BodySequence, hip_y: np.ndarray, dhip: np.ndarray, horiz: np.ndarray, opts: FallOptions,
                scale: float) -> list[FallEvent]:
    """Falls toward or away from the camera: the torso foreshortens instead of tilting, but the
    hips drop far and fast (>= 1.3 torso lengths at >= 2 torso lengths/s) and stay down, with the
    torso foreshortened or the body horizontal after it (not landing on the feet)."""
    n = len(hip_y)
    win = int(opts.max_fall_s * RATE)
    confirm = int(opts.confirm_s * RATE)
    h = np.nan_to_num(hip_y, nan=float(np.nanmedian(hip_y)) if np.isfinite(hip_y).any() else 0.0)
    if n < 4:
        return []
    w = min(win, n)
    from numpy.lib.stride_tricks import sliding_window_view

    hw = sliding_window_view(np.pad(h, (0, w - 1), mode="edge"), w)[:n]  # (n, w): h[i:i+w]
    jrel = np.argmax(hw, axis=1)
    drop = hw[np.arange(n), jrel] - h
    cand = np.flatnonzero((drop >= 1.3 * scale) & (jrel <= RATE) & (jrel >= 2))
    for i in cand:
        j = i + int(jrel[i])
        if float(np.max(dhip[i:j + 1])) < 3.0 * scale:
            continue
        tail = h[j:min(j + confirm, n)]
        # Landing on the feet (a jump or a pull-up dismount) drops the hips as fast, but leaves the
        # torso standing at its full length; a fall toward the camera foreshortens it.
        before, after = seq.torso[max(0, i - int(0.5 * RATE)):i + 1], seq.torso[j:min(j + confirm, n)]
        before, after = before[np.isfinite(before)], after[np.isfinite(after)]
        standing = (len(before) > 0 and len(after) > 0 and float(np.median(after)) >= 0.8 * float(np.median(before))
                    and not horiz[j:min(j + confirm, n)].any())
        if len(tail) >= int(0.2 * RATE) and np.min(tail) >= h[i] + 0.8 * drop[i] and not standing:
            moving = np.flatnonzero(dhip[i:j + 1] > 0.3 * float(np.max(dhip[i:j + 1])))
            start = i + int(moving[0]) if len(moving) else i
            conf = float(np.clip(0.3 + 0.25 * min(drop[i] / 1.3, 2.0), 0.0, 0.9))
            return [FallEvent(start / RATE, j / RATE, conf)]
    return []


# ----------------------------------------------------------------------------- what overrules a fall

#: A fall is dropped when most of the frames in this many seconds before its onset are labelled
#: with a floor exercise, or when the classifier is sure (mean P >= ``FallOptions.
#: overrule_confidence``) of something done on purpose on the floor (:data:`ON_PURPOSE_AFTER`)
#: over the fall detector's confirmation time after its impact.
FLOOR_CONTEXT_S = 2.0
#: What overrules a fall after its impact: a floor exercise, or sitting or lying down (lying down
#: on purpose is trained as "sitting_lying", the windows over a fall's impact as "fall").
ON_PURPOSE_AFTER: tuple[str, ...] = (*FLOOR_EXERCISES, "sitting_lying")


def during_floor_exercise(labels: np.ndarray, onset_s: float, impact_s: float | None = None,
                           on_purpose_p: np.ndarray | None = None, opts: FallOptions = FallOptions(),
                           floor_p: np.ndarray | None = None) -> bool:
    """Whether per-frame ``labels`` put a floor exercise in most of the :data:`FLOOR_CONTEXT_S`
    before ``onset_s``, or the classifier is sure of something done on purpose on the floor
    (per-frame P(:data:`ON_PURPOSE_AFTER`) ``on_purpose_p``, mean >= ``opts.overrule_confidence``)
    over the ``opts.confirm_s`` after ``impact_s``: a clip that begins with getting down into a
    push-up has no frames before it, a fall is not followed by push-ups, and lying down on purpose
    is fast enough for the motion rules at times. After the impact a label is not enough: a person
    lying still on the floor reads as a bench press or the bottom of a push-up to a classifier
    that is unsure between them (two Le2i falls, docs/evidence/falls.md). Each side needs at least 0.5 s of
    context to count. ``confirm_s`` is what the fall detector waits anyway before it reports, so
    the streaming tracker has those frames in time. ``on_purpose_p`` None: the side after the
    impact is not judged. ``floor_p``: per-frame P(:data:`FLOOR_EXERCISES`); given, the side
    before needs it at 0.5 or more on average too, not only the labels: the frames before a
    clip's first full window take that window's label, and a person walking in, half in view,
    read as a bench press at 0.58 vetoed a fall (URFD fall-01 mirrored)."""
    floor = [LABEL_ID[e] for e in FLOOR_EXERCISES]
    i = int(round(onset_s * RATE))
    ctx = slice(max(0, i - int(FLOOR_CONTEXT_S * RATE)), i)
    before = labels[ctx]
    if len(before) >= int(0.5 * RATE) and float(np.isin(before, floor).mean()) >= 0.5 and (
            floor_p is None or float(np.mean(floor_p[ctx])) >= 0.5):
        return True
    if impact_s is None or on_purpose_p is None:
        return False
    j = int(round(impact_s * RATE))
    after = on_purpose_p[j:j + int(opts.confirm_s * RATE)]
    return len(after) >= int(0.5 * RATE) and float(np.mean(after)) >= opts.overrule_confidence
