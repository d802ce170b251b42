"""Class-agnostic repetition counting from the periodic structure of joint trajectories.

The movement signal is the first principal component of the hip-centred, torso-scaled joints plus
the global hip height, smoothed; repetitions are cycles between hysteresis thresholds placed at
fractions of the signal's robust range, so pauses (flat), tempo changes (no fixed period), short
dropouts (interpolated) and jitter (smoothing + hysteresis; a signal that does not stand out from
its own jitter is no movement) do not create or lose reps. Cycles whose
amplitude is below ``partial_ratio`` of the typical cycle are reported as partial and not counted.

Each known exercise also has a signal of its own (:func:`exercise_signal`), built from the body
parts that define it (squat: hips to ankles; push-up: shoulders to wrists; ...), on which the same
state machine counts that exercise's reps.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import numpy as np

from .body import AN, HEAD, KN, RATE, SH, WR, BodySequence, mid, moving_average
from .options import RepOptions


@dataclasses.dataclass(frozen=True)
class Cycle:
    start: int
    bottom: int  # extreme of the first half-cycle (the eccentric end)
    end: int
    amplitude: float
    partial: bool
    dwell: int = 0  # frames spent past the bottom threshold (a rep is brief; sitting is not)
    #: The signal was seen above the bottom threshold before this cycle's bottom: at rest, or on
    #: its way down when the sequence began. False: the sequence began at the bottom (seated,
    #: lying), so the cycle is only a way up.
    seen_descending: bool = True
    #: Where the signal was highest before the way down: the rest posture that form rules compare
    #: the bottom with (``start`` is where the signal left the rest band, already part way down).
    top: int = -1

    def times(self) -> tuple[float, float, float]:
        return self.start / RATE, self.bottom / RATE, self.end / RATE

    def shifted(self, frames: int) -> "Cycle":
        """The same cycle with every frame index moved by ``frames`` (a sub-sequence's cycle in
        its parent's frames)."""
        return dataclasses.replace(self, start=self.start + frames, bottom=self.bottom + frames, end=self.end + frames,
                                   top=self.top + frames if self.top >= 0 else -1)


#: The hips must move with a signal at least this much (|correlation|) for them to tell its rest side.
HIP_MIN_CORR = 0.2
#: Hands this much stiller than the hips (vertical spread in the sequence's frame) hold on to something.
HANDS_STILL = 0.7

#: How far back before a cycle's start its top (the rest posture) is looked for, seconds.
TOP_SEARCH_S = 2.0

#: Body parts after left/right averaging, the units :func:`movement_signal` can be restricted to.
PARTS = ("head", "shoulders", "elbows", "wrists", "hips", "knees", "ankles")


def movement_signal(seq: BodySequence, smooth_s: float = 0.2, parts: tuple[str, ...] | None = None,
                    min_snr: float = RepOptions.min_snr) -> np.ndarray:
    """(T,) first principal component of the body's joint trajectories (optionally only ``parts``
    and the global hip height), smoothed, NaN-free; flat (zeros) where it does not stand out from
    the keypoints' jitter by ``min_snr`` (see :class:`RepOptions`)."""
    # Left/right averages: an alternating movement (lunges, one arm at a time) still cycles once
    # per rep instead of splitting into two opposite half-signals.
    pairs = (seq.xy[:, 1::2] + seq.xy[:, 2::2]) / 2  # BODY13: head, then (left, right) pairs
    xy = np.concatenate([seq.xy[:, :1], pairs], axis=1)
    if parts is not None:
        xy = xy[:, [PARTS.index(p) for p in parts]]
    xy = xy.reshape(len(seq.xy), -1)
    # Global hip height helps squats and pull-ups; clipped around its median so a failed
    # detection or the person walking off does not dominate the principal axis.
    hip_y = seq.hip[:, 1:2]
    if np.isfinite(hip_y).any():
        hip_y = np.clip(hip_y - np.nanmedian(hip_y), -1.5, 1.5)
    feats = np.concatenate([xy, hip_y], axis=1)
    feats = np.where(np.isfinite(feats), feats, np.nan)
    # A part is used where it was seen in most frames in which the body was: frames in which nobody
    # was there (before someone walks into view) say nothing against any part.
    seen = observed(seq)
    col_ok = np.isfinite(feats[seen]).sum(0) > 0.5 * seen.sum()
    feats = feats[:, col_ok]
    if feats.shape[1] == 0 or seen.sum() < 3:
        return np.zeros(len(seq.xy))
    # Missing frames follow their observed neighbours (linear between them, held at the ends).
    # A constant fill (the mean) would put unobserved frames mid-range: at the start of a clip
    # that reads as a rest the person never took, and inside it as a fake half-cycle.
    t = np.arange(len(feats))
    for j in np.flatnonzero(~np.isfinite(feats).all(0)):
        ok = np.isfinite(feats[:, j])
        feats[:, j] = np.interp(t, t[ok], feats[ok, j])
    x = feats - feats.mean(0)
    # First principal axis from the small (F, F) covariance: much cheaper than an SVD of (T, F).
    _, vecs = np.linalg.eigh(x.T @ x)
    raw = x @ vecs[:, -1]
    # The principal axis has no sign: which side is rest is decided by the caller (count_cycles).
    s = moving_average(raw, max(1, int(smooth_s * RATE)))
    if min_snr > 0 and s is not raw:
        lo, hi = quantiles(s[seen], (5, 95))
        if hi - lo < min_snr * jitter((raw - s)[seen]):
            return np.zeros(len(s))
    return s


def observed(seq: BodySequence) -> np.ndarray:
    """(T,) bool: frames where some joint was seen (or interpolated over a short gap). The others
    carry their observed neighbours' values in a movement signal: a clip whose first frames are
    missing (a tracker settling) begins with a flat stretch nobody held, and such filled frames
    must not set the signal's range, its thresholds or its noise level."""
    return seq.mask.any(axis=1)


def jitter(residual: np.ndarray) -> float:
    """Robust standard deviation (1.4826 x the median absolute deviation) of a signal's
    frame-to-frame noise, ``residual`` being what smoothing removed from it. Robust, so that the
    quick turns of real reps, which smoothing also rounds off, do not count as noise."""
    med, = quantiles(residual, (50,))
    mad, = quantiles(np.abs(residual - med), (50,))
    return 1.4826 * mad


def correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson correlation of two (T,) signals over the frames where both are finite; None with
    fewer than 3 such frames or where either is constant there."""
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return None
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def quantiles(x: np.ndarray, q: tuple[float, ...]) -> list[float]:
    """``np.percentile(x, q)`` (linear interpolation) of a NaN-free 1-D array, by partial sorting:
    about 6x faster on the streaming tracker's 600-frame signals, which it re-reads many times a
    second."""
    pos = [p / 100 * (len(x) - 1) for p in q]
    lo = [int(v) for v in pos]  # floor: pos >= 0
    hi = [min(i + 1, len(x) - 1) for i in lo]
    part = np.partition(x, sorted(set(lo + hi)))
    return [float(part[i] + (v - i) * (part[j] - part[i])) for v, i, j in zip(pos, lo, hi)]


def find_cycles(signal: np.ndarray, opts: RepOptions = RepOptions(), rest_high: bool | None = None,
                local: bool = False) -> list[Cycle]:
    """Cycles rest -> extreme -> rest in a 1-D signal with hysteresis.

    ``rest_high``: the rest position is the signal's high side (True), low side (False), or where
    the signal spends most time (None: unknown). ``local``: thresholds from the signal's level
    near each frame rather than over the whole (:func:`_local_levels`)."""
    oriented = _rest_high(signal, opts, rest_high)
    return _cycles(*oriented, opts, local) if oriented is not None else []


#: An exercise's own body signal (``exercise_signal``; not the phase model's) is read against its
#: own level near each frame: the 5th to 95th percentile over this long a window around it (2-3
#: reps at a usual tempo) ...
LOCAL_WINDOW_S = 4.0
#: ... but the window's range is taken as at least this share of the whole signal's, so that a
#: still stretch's jitter is not read as reps. Setting up (un-racking a bar, kneeling down before
#: push-ups) or a pose that drifts between reps otherwise sets the range, and the set's reps never
#: cross its thresholds. Chosen on RepCount-pose training folds 1-4 with the exercise given and
#: phase models that left each fold out (windows 3-6 s, shares 0.4-0.8; docs/evidence/reps.md),
#: never on its held-back videos, while the phase model's signal read local levels too; not
#: swept again since it went back to the whole signal's.
LOCAL_MIN_SHARE = 0.6


def _local_levels(s: np.ndarray, lo: float, hi: float, local: bool) -> tuple[np.ndarray, np.ndarray]:
    """(T,) the rest level (95th percentile) and the range that ``s``'s thresholds are read
    against at each frame: the whole signal's ``hi`` and ``hi - lo``, or with ``local`` those of a
    :data:`LOCAL_WINDOW_S` window around each frame (the range no less than
    :data:`LOCAL_MIN_SHARE` of the whole's), read every eighth of a window and interpolated."""
    n, w = len(s), int(LOCAL_WINDOW_S * RATE)
    if not local or n <= w:
        return np.full(n, hi), np.full(n, hi - lo)
    centres = np.arange(0, n, max(1, w // 8))
    starts = np.clip(centres - w // 2, 0, n - w)
    windows = np.lib.stride_tricks.sliding_window_view(s, w)[starts]
    if np.isfinite(s).all():
        p5, p95 = np.percentile(windows, (5, 95), axis=1)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN window reads NaN: the whole's levels
            p5, p95 = np.nanpercentile(windows, (5, 95), axis=1)
    p5, p95 = np.where(np.isfinite(p5), p5, lo), np.where(np.isfinite(p95), p95, hi)
    frames = np.arange(n)
    top, bottom = np.interp(frames, centres, p95), np.interp(frames, centres, p5)
    return top, np.maximum(top - bottom, LOCAL_MIN_SHARE * (hi - lo))


def _cycles(s: np.ndarray, lo: float, hi: float, opts: RepOptions, local: bool = False) -> list[Cycle]:
    """:func:`find_cycles` on a signal already oriented rest-high, with its 5th/95th percentiles;
    ``local``: thresholds from the signal's level near each frame (:func:`_local_levels`)."""
    top, span = _local_levels(s, lo, hi, local)
    up_thr = top - opts.hysteresis * span
    down_thr = top - (1 - opts.hysteresis) * span
    min_len = int(opts.min_cycle_s * RATE)
    # Hysteresis state machine, event by event: +1 where the signal is at rest (above up_thr), -1
    # past the bottom threshold. A cycle runs from the last rest frame before going down, through
    # the lowest point, to the first rest frame after it.
    ev = np.where(s >= up_thr, 1, np.where(s <= down_thr, -1, 0))
    at = np.flatnonzero(ev)
    kind = ev[at]
    change = np.concatenate([[True], kind[1:] != kind[:-1]]) if len(at) else np.zeros(0, bool)
    at, kind = at[change].tolist(), kind[change].tolist()
    cycles: list[Cycle] = []
    for k in range(1, len(at)):
        if kind[k] != 1 or kind[k - 1] != -1:
            continue
        d, i = at[k - 1], at[k]
        # The last rest frame before going down: the event before the fall (the start, if none).
        start = 0 if k < 2 else int(np.flatnonzero(ev[:d] == 1)[-1])
        if min_len <= i - start <= 2 * opts.max_cycle_s * RATE:
            bottom = d + int(np.argmin(s[d:i]))
            seg = s[start:i + 1]
            rest_from = max(at[k - 2] if k >= 2 else 0, start - int(TOP_SEARCH_S * RATE))
            cycles.append(Cycle(start, bottom, i, float(seg.max() - s[bottom]), False,
                                int((seg <= down_thr[start:i + 1]).sum()),
                                seen_descending=k >= 2 or bool(s[0] > down_thr[0]),
                                top=rest_from + int(np.argmax(s[rest_from:start + 1]))))
    # Small excursions that never crossed the bottom threshold are partial reps.
    partials = _partial_excursions(s, top, span, cycles, min_len)
    if cycles:
        # Read against local levels a set's shallow reps cross the thresholds too and may be the
        # most of its cycles: a deep one (the 75th percentile) is then the measure, as for the
        # phase model's reps (``analysis.phase_cycles``).
        typical = float(np.percentile([c.amplitude for c in cycles], 75 if local else 50))
        cycles = [dataclasses.replace(c, partial=c.amplitude < opts.partial_ratio * typical) for c in cycles]
        partials = [p for p in partials if p.amplitude >= 0.1 * typical]
    return sorted(cycles + partials, key=lambda c: c.start)


def _rest_high(signal: np.ndarray, opts: RepOptions, rest_high: bool | None,
               seen: np.ndarray | None = None) -> tuple[np.ndarray, float, float] | None:
    """(signal oriented so that its rest position is high, its 5th and 95th percentiles); None when
    it barely moves. ``seen``: the frames that were observed (:func:`observed`); the percentiles
    and the time spent on each side are read on those alone."""
    ref = signal if seen is None else signal[seen]
    if len(ref) < 3:
        return None
    lo, hi = quantiles(ref, (5, 95))
    if hi - lo <= opts.min_range:
        return None
    if rest_high is None:
        rest_high = time_spent_high(ref)
    return (signal, lo, hi) if rest_high else (-signal, -hi, -lo)


def time_spent_high(signal: np.ndarray) -> bool:
    """Whether ``signal`` spends most of its time on its high side (its median nearer its 95th
    than its 5th percentile): the rest side when nothing else tells."""
    lo, med, hi = quantiles(signal, (5, 50, 95))
    return (hi - med) < (med - lo)


def _partial_excursions(s, rest, rng, cycles, min_len) -> list[Cycle]:
    """Dips of more than 10% of the range away from the rest level outside full cycles (``rest``
    and ``rng``: (T,) each, as :func:`_local_levels` gives them)."""
    depth_thr = rest - 0.1 * rng
    in_cycle = np.zeros(len(s), bool)
    for c in cycles:
        in_cycle[c.start:c.end + 1] = True
    dip = (s < depth_thr) & ~in_cycle
    edges = np.diff(np.concatenate([[0], dip.astype(np.int8), [0]]))
    out = []
    for i, j in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()):
        b = i + int(np.argmin(s[i:j]))
        bounded = i > 0 and j < len(s) and not in_cycle[i - 1] and not in_cycle[j]
        if j - i >= min_len // 2 and bounded and i < b < j - 1:
            before = np.flatnonzero(in_cycle[:i])
            rest_from = max(int(before[-1]) + 1 if len(before) else 0, i - int(TOP_SEARCH_S * RATE))
            out.append(Cycle(i, b, j, float(rest[b] - s[b]), True, top=rest_from + int(np.argmax(s[rest_from:i + 1]))))
    return out


def _rest_is_high(seq: BodySequence, signal: np.ndarray) -> bool | None:
    """Whether the rest position is the high side of ``signal``, read from the body: at rest the
    hips are up (standing in a squat or a lunge, arms straight in a push-up or a dip), unless the
    body hangs from its hands (pull-ups: hands above the shoulders in most frames, and still while
    the hips move), where at rest they are down. None where the hips do not move with the signal
    (bench press, sit-ups): the body does not say.

    On Penn Action's human labels this picks the side that the exercise's own signal calls rest
    on 0.80 of the rep-exercise clips; where the signal spends most of its time, the rule it
    replaced, on 0.43 (``training.eval_activity.eval_rest_side``)."""
    r = correlation(signal, -seq.hip[:, 1])  # y points down
    if r is None or abs(r) < HIP_MIN_CORR:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames without wrists stay NaN
        # Only wrists seen (confidence > 0): some labelled sets freeze an unseen joint in place.
        wrist_y = np.nanmean(np.where(seq.conf[:, WR] > 0, seq.xy[:, WR, 1], np.nan), axis=1)
        shoulder_y = np.nanmean(seq.xy[:, SH, 1], axis=1)
        seen = np.isfinite(wrist_y) & np.isfinite(shoulder_y)
        # Seen in most frames: a few stray detections say nothing about where the hands are.
        overhead = seen.mean() > 0.5 and float(np.mean(wrist_y[seen] < shoulder_y[seen])) > 0.5
        # In the sequence's frame of reference: hands on a bar stay put while the hips move.
        wrist_world = seq.hip[:, 1] + wrist_y * seq.scale
        hanging = overhead and bool(np.nanstd(wrist_world) < HANDS_STILL * np.nanstd(seq.hip[:, 1]))
    return (r > 0) != hanging


#: A stretch this long on one side of the signal's mid-level gets a second look of its own.
ZOOM_MIN_S = 4.0


def count_cycles(seq: BodySequence, signal_fn: Callable[[BodySequence], np.ndarray | None],
                 opts: RepOptions = RepOptions(), rest_high: bool | None = None, depth: int = 2,
                 local: bool = False) -> list[Cycle]:
    """:func:`find_cycles` on ``signal_fn(seq)``, plus a second look inside long stretches of one posture.

    Between sets people rest in another posture (kneeling, a pike, standing up from push-ups). That
    posture then dominates the signal's principal axis and range, the set's reps are small ripples
    under the thresholds, and each whole set reads as one "rep" (or, when the sequence starts in the
    set, none). So every stretch of at least :data:`ZOOM_MIN_S` on one side of the signal's
    mid-level is analysed again on its own (signal recomputed on those frames, thresholds from their
    own range, ``depth`` levels deep); when that finds at least two full cycles, each at least
    ``opts.min_range`` deep, they replace the cycles bottoming there. A long hold (standing, a
    paused squat, a plank) has no such cycles inside it and is left as it was.

    ``rest_high`` None (an unknown movement): the body says which side is rest
    (:func:`_rest_is_high`), else the side where the signal spends most of its time."""
    if len(seq.t) < 2:  # an empty or one-frame stretch has no movement
        return []
    sig = signal_fn(seq)
    if sig is None:
        return []
    oriented = _rest_high(sig, opts, rest_high if rest_high is not None else _rest_is_high(seq, sig), observed(seq))
    if oriented is None:
        return []
    cycles = _cycles(*oriented, opts, local)
    if depth == 0:
        return cycles
    s, lo, hi = oriented
    side = (s < (lo + hi) / 2).astype(np.int8)
    edges = np.flatnonzero(np.diff(side)) + 1
    bounds = np.concatenate([[0], edges, [len(s)]]).tolist()
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a < ZOOM_MIN_S * RATE or b - a == len(s):
            continue
        sub = count_cycles(seq.frames(a, b), signal_fn, opts, rest_high, depth - 1, local)
        # At least two full cycles, each as large as a whole signal must be to count at all: the
        # stretch's own (smaller) range must not promote a partial rep or a sway into reps.
        full = [c for c in sub if not c.partial]
        if len(full) >= 2 and min(c.amplitude for c in full) >= opts.min_range:
            cycles = [c for c in cycles if not a <= c.bottom < b]
            cycles += [c.shifted(a) for c in sub]
    return sorted(cycles, key=lambda c: c.start)


def count_reps(seq: BodySequence, opts: RepOptions = RepOptions()) -> list[Cycle]:
    """Repetitions (full and partial) of the dominant cyclic movement in a body sequence."""
    return count_cycles(seq, lambda q: movement_signal(q, opts.smooth_s, min_snr=opts.min_snr), opts)


# ----------------------------------------------------------------------------- exercise signals
# Each gives (T,) with NaN where the joints are missing; larger = nearer the rest position. They
# only orient the movement signal, so they favour robust cues over precise ones.

def _sig_squat(seq: BodySequence) -> np.ndarray:  # hips high at rest (global height: y down)
    return -seq.hip[:, 1]


def _sig_push(seq: BodySequence) -> np.ndarray:  # shoulders far above the wrists at the top
    return np.abs(mid(seq.xy, WR)[:, 1] - mid(seq.xy, SH)[:, 1])


def _sig_bench(seq: BodySequence) -> np.ndarray:  # arms extended: wrists far from shoulders
    d = mid(seq.xy, WR) - mid(seq.xy, SH)
    return np.hypot(d[:, 0], d[:, 1])


def _sig_pull(seq: BodySequence) -> np.ndarray:  # hanging: head far below the wrists
    return mid(seq.xy, [HEAD])[:, 1] - mid(seq.xy, WR)[:, 1]


def _sig_situp(seq: BodySequence) -> np.ndarray:  # lying: shoulders far from knees
    d = mid(seq.xy, SH) - mid(seq.xy, KN)
    return np.hypot(d[:, 0], d[:, 1])


def _sig_jack(seq: BodySequence) -> np.ndarray:  # arms down and feet together at rest
    arms = mid(seq.xy, WR)[:, 1] - mid(seq.xy, [HEAD])[:, 1]
    feet = np.abs(seq.xy[:, AN[0], 0] - seq.xy[:, AN[1], 0])
    return arms - feet


def _sig_raise(seq: BodySequence) -> np.ndarray:  # arms hang at rest: wrists far below the shoulders
    return mid(seq.xy, WR)[:, 1] - mid(seq.xy, SH)[:, 1]


def _sig_pushdown(seq: BodySequence) -> np.ndarray:  # hands held up at the chest at rest
    return mid(seq.xy, SH)[:, 1] - mid(seq.xy, WR)[:, 1]


REP_SIGNALS: dict[str, Callable[[BodySequence], np.ndarray]] = {
    "squat": _sig_squat, "lunge": _sig_squat, "push_up": _sig_push, "bench_press": _sig_bench,
    "pull_up": _sig_pull, "sit_up": _sig_situp, "jumping_jack": _sig_jack, "front_raise": _sig_raise,
    "rope_pushdown": _sig_pushdown,
}
#: Body parts whose trajectories define each exercise (the movement signal's principal component
#: is taken over these and the global hip height only, so swinging arms do not count squats).
REP_PARTS: dict[str, tuple[str, ...]] = {
    "squat": ("head", "shoulders", "hips", "knees", "ankles"), "lunge": ("head", "shoulders", "hips", "knees", "ankles"),
    "push_up": ("head", "shoulders", "elbows", "wrists", "hips"), "bench_press": ("shoulders", "elbows", "wrists"),
    "pull_up": ("head", "shoulders", "elbows", "wrists", "hips"), "sit_up": ("head", "shoulders", "elbows", "hips", "knees"),
    "jumping_jack": ("elbows", "wrists", "knees", "ankles"), "front_raise": ("shoulders", "elbows", "wrists"),
    "rope_pushdown": ("shoulders", "elbows", "wrists"),
}


def exercise_signal(seq: BodySequence, exercise: str, smooth_s: float = 0.2,
                    min_snr: float | None = None) -> np.ndarray | None:
    """(T,) smoothed rep signal for ``exercise``, oriented so that its rest position is high; None
    when the exercise has none or its joints are mostly missing.

    The principal component of the exercise's body parts carries the movement (averaging many
    joints beats any single noisy distance); the exercise's defining distance (``REP_SIGNALS``,
    larger at rest) only fixes its sign, so the state machine knows which way is down.
    ``min_snr``: as :class:`~posekit.activity.reps.RepOptions` (its default when None)."""
    fn = REP_SIGNALS.get(exercise)
    if fn is None or len(seq.t) < 2:  # an empty or one-frame stretch has no movement
        return None
    ref = fn(seq)
    ok = np.isfinite(ref)
    if ok.mean() < 0.5:
        return None
    s = movement_signal(seq, smooth_s, REP_PARTS[exercise], RepOptions.min_snr if min_snr is None else min_snr)
    c = correlation(s, ref)
    return s if c is None or c >= 0 else -s
