"""Keypoint sequences from any pose estimator -> the normalised body representation activity uses.

Accepted input: (T, K, 2|3|4|5) arrays in pixels or normalised coordinates: (x, y), (x, y, conf),
(x, y, z, conf) or MediaPipe Tasks' landmarks (x, y, z, visibility, presence), for a known layout
(``posekit.keypoints.LAYOUTS``: blazepose33, coco17, penn13, body13, lsp14, body25, openpose18);
missing frames as NaN rows or all-zero rows. MediaPipe exports often min-max normalise each frame:
per-frame torso scaling absorbs that.
"""

from __future__ import annotations

import dataclasses
import warnings
from numbers import Real

import numpy as np

from ..errors import InvalidInputError
from ..keypoints import BODY13, LAYOUTS, Keypoint

#: Internal rate of every activity computation (frames per second).
RATE = 30.0
#: A frame whose body size is below this fraction of the sequence's median is a failed detection (real
#: falls in MD4FD go down to 0.14; a pose model collapsing onto a small patch reads 0.02-0.09).
MIN_BODY_SIZE = 0.1
_B = {kp: i for i, kp in enumerate(BODY13)}
L_SH, R_SH, L_HIP, R_HIP = (_B[Keypoint.LEFT_SHOULDER], _B[Keypoint.RIGHT_SHOULDER], _B[Keypoint.LEFT_HIP],
                            _B[Keypoint.RIGHT_HIP])
#: BODY13 indices of the joints the rep signals and form rules read (left, right).
HEAD = _B[Keypoint.NOSE]
SH = [L_SH, R_SH]
EL = [_B[Keypoint.LEFT_ELBOW], _B[Keypoint.RIGHT_ELBOW]]
WR = [_B[Keypoint.LEFT_WRIST], _B[Keypoint.RIGHT_WRIST]]
HIP = [L_HIP, R_HIP]
KN = [_B[Keypoint.LEFT_KNEE], _B[Keypoint.RIGHT_KNEE]]
AN = [_B[Keypoint.LEFT_ANKLE], _B[Keypoint.RIGHT_ANKLE]]


def mid(xy: np.ndarray, idx: list[int]) -> np.ndarray:
    """Mean of the joints ``idx`` that are present (NaN when none is), over the joint axis."""
    pts = xy[:, idx] if xy.ndim == 3 else xy[idx]
    axis = 1 if xy.ndim == 3 else 0
    ok = np.isfinite(pts)
    n = ok.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, pts, 0.0).sum(axis=axis) / np.where(n > 0, n, np.nan)


def nanmean(x, axis=None):
    """``np.nanmean`` without the warning for all-NaN slices (missed joints are expected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=axis)


@dataclasses.dataclass(frozen=True)
class BodySequence:
    """A body-13 sequence at :data:`RATE` fps.

    Attributes:
        xy: (T, 13, 2) hip-centred, torso-scaled coordinates (image orientation kept: y down).
        conf: (T, 13) confidence in [0, 1] (0 where missing).
        mask: (T, 13) bool, True where the joint was observed (or interpolated over a short gap).
        hip: (T, 2) mid-hip in torso lengths of the whole sequence (global motion).
        torso: (T,) torso length per frame in source units.
        tilt: (T,) torso angle from image-vertical in degrees (0 upright, 90 horizontal).
        t: (T,) seconds.
        scale: (T,) each frame's normalising length in the units of ``hip``, so that
            ``hip + xy * scale`` places the joints in one frame of reference for the whole sequence.
    """

    xy: np.ndarray
    conf: np.ndarray
    mask: np.ndarray
    hip: np.ndarray
    torso: np.ndarray
    tilt: np.ndarray
    t: np.ndarray
    scale: np.ndarray

    def frames(self, a: int, b: int) -> "BodySequence":
        """Frames [a, b) as a sequence of their own."""
        return BodySequence(*(getattr(self, f.name)[a:b] for f in dataclasses.fields(self)))


def moving_average(x: np.ndarray, k: int) -> np.ndarray:
    """Centred k-frame moving average with edge padding; NaNs are interpolated over first."""
    if k <= 1 or len(x) <= k:
        return x
    ok = np.isfinite(x)
    if not ok.any():
        return x
    if not ok.all():
        x = np.interp(np.arange(len(x)), np.flatnonzero(ok), x[ok])
    return np.convolve(np.pad(x, (k // 2, k - 1 - k // 2), mode="edge"), np.ones(k) / k, mode="valid")


def to_body13(keypoints: np.ndarray, layout: str = "blazepose33", zero_joints_missing: bool = True) -> np.ndarray:
    """(T, K, C) -> (T, 13, 3) (x, y, conf) in BODY13 order; NaN where missing.

    All-zero frames are missing, and so is a single joint at (0, 0) (the usual marker of a joint
    the estimator did not find), unless the frame has negative coordinates (coordinates relative
    to that joint, which pixel and image-normalised exports with that marker do not have: the
    joint is the origin, not missing) or ``zero_joints_missing`` is False (per-frame min-max
    normalised input, where the joint that is both leftmost and topmost sits at (0, 0)).

    Raises:
        InvalidInputError: unknown layout, wrong rank, K not matching the layout, C not in 2..5.

    C = 5 is MediaPipe Tasks' landmark (x, y, z, visibility, presence): a joint's confidence is the
    smaller of its visibility and its presence.
    """
    if layout not in LAYOUTS:
        raise InvalidInputError(f"layout must be one of {sorted(LAYOUTS)}, got {layout!r}")
    raw = np.asarray(keypoints)
    if raw.dtype.kind in "bcUSV":  # True/False, complex parts, text: no coordinate to read
        raise InvalidInputError(f"keypoints must be real numbers (int or float), got dtype {raw.dtype}")
    try:
        k = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(f"keypoints must be real numbers (int or float), got {raw.dtype} elements that are "
                                "not") from None
    src = LAYOUTS[layout]
    if k.ndim != 3:
        hint = ""
        if k.ndim == 2 and k.shape[1] % len(src) == 0 and 2 <= k.shape[1] // len(src) <= 5:
            # One row of K x C numbers per frame, as CSV exports write them.
            hint = (f"; a row of {k.shape[1]} numbers per frame is {len(src)} joints x {k.shape[1] // len(src)}: "
                    f"pass keypoints.reshape({k.shape[0]}, {len(src)}, {k.shape[1] // len(src)}) if the numbers "
                    "are grouped by joint")
        raise InvalidInputError(f"keypoints must have shape (T, K, 2|3|4|5), got shape {k.shape}{hint}")
    if k.shape[1] != len(src):
        raise InvalidInputError(
            f"keypoints has {k.shape[1]} joints but layout {layout!r} has {len(src)}; pass the matching layout")
    if k.shape[2] not in (2, 3, 4, 5):
        raise InvalidInputError("keypoints last dimension must be 2 (x, y), 3 (x, y, conf), 4 (x, y, z, conf) or 5 "
                                f"(x, y, z, visibility, presence), got {k.shape[2]}")
    if len(k) == 0:
        raise InvalidInputError("keypoints must hold at least one frame, got 0")
    xy = np.where(np.isinf(k[..., :2]).any(-1, keepdims=True), np.nan, k[..., :2])  # infinite: that joint is missing
    if k.shape[2] == 5:
        conf = np.fmin(k[..., 3], k[..., 4])  # visibility, presence (NaN only where both are)
    else:
        conf = k[..., -1] if k.shape[2] in (3, 4) else np.ones(k.shape[:2])
    zero_rows = np.all(xy == 0, axis=(1, 2))
    out = np.full((len(k), 13, 3), np.nan)
    for j, kp in enumerate(BODY13):
        if kp in src:
            i = src.index(kp)
            out[:, j, :2] = xy[:, i]
            out[:, j, 2] = conf[:, i]
        elif kp == Keypoint.NOSE and layout == "lsp14":
            out[:, j, :2] = xy[:, 13]  # head top stands in for the head
            out[:, j, 2] = conf[:, 13]
    out[zero_rows] = np.nan
    zero = np.all(out[..., :2] == 0, axis=-1)
    if zero_joints_missing and zero.any():
        relative = (np.fmin.reduce(xy, axis=1) < 0).any(-1)  # (T,): negative coordinates, skipping NaN
        out[zero & ~relative[:, None]] = np.nan
    return out


def fill_gaps(flat: np.ndarray, max_gap: int) -> np.ndarray:
    """Per column of a (T, C) series: linear interpolation over interior NaN runs of at most
    ``max_gap`` frames (whole missing frames and single missing joints alike); leading, trailing
    and longer runs stay NaN. Vectorised over all columns."""
    T = len(flat)
    ok = ~np.isnan(flat)
    if ok.all() or T < 3:
        return flat
    cols = np.flatnonzero(~ok.all(axis=0))
    v = np.ascontiguousarray(flat[:, cols].T)  # (c, T): time contiguous for the scans
    good = ok[:, cols].T
    idx = np.arange(T)
    prev = np.maximum.accumulate(np.where(good, idx, -1), axis=1)  # last valid frame at or before
    nxt = np.minimum.accumulate(np.where(good, idx, T)[:, ::-1], axis=1)[:, ::-1]  # first valid at or after
    fill = ~good & (prev >= 0) & (nxt < T) & (nxt - prev - 1 <= max_gap)
    if not fill.any():
        return flat
    r, c = np.nonzero(fill)
    p, q = prev[r, c], nxt[r, c]
    v[r, c] = v[r, p] + (v[r, q] - v[r, p]) * (c - p) / (q - p)
    out = flat.copy()
    out[:, cols] = v.T
    return out


def _at(flat: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Rows of a (T, C) series at fractional row positions ``pos`` (in [0, T - 1]): linear between
    the two nearest rows; where one of them is missing, the nearer one if it was seen (a stream's
    timestamps make 30 fps read as 29.997: a missing neighbour must not erase the frame that sits
    almost exactly on the sample); NaN where both are missing."""
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, len(flat) - 1)
    w = (pos - i0)[:, None]
    a, b = flat[i0], flat[i1]
    res = a * (1 - w) + b * w
    return np.where(np.isnan(b) & (w < 0.5), a, np.where(np.isnan(a) & (w >= 0.5), b, res))


#: Frame intervals more than this fraction away from their median make a frame rate variable
#: (phones record so in low light; a camera that drops frames leaves such gaps). Timestamps
#: rounded to whole milliseconds stay within 0.06 of it up to 60 fps.
VARIABLE_RATE_TOL = 0.25
#: Two frames further apart than this (seconds) are not interpolated between: a stalled camera is a gap.
MAX_BRIDGE_S = 0.5


def regular_frames(frames: np.ndarray, times_s: np.ndarray) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Frames (T, ...) that came at irregular times, resampled to T frames at their mean rate, for
    the analysis, which reads frames as evenly spaced: (frames, mean fps, the resampled frame
    nearest each source frame's time). None when the times are regular already (every interval
    within :data:`VARIABLE_RATE_TOL` of the median: nothing to do).

    A resampled frame is linear between the two source frames around its time (the nearer one
    where the other is missing), and missing (NaN) inside a gap of more than :data:`MAX_BRIDGE_S`."""
    t = np.asarray(times_s, dtype=np.float64)
    t = t - t[0]
    T = len(t)
    dt = np.diff(t)
    if T < 3 or (np.abs(dt - np.median(dt)) <= VARIABLE_RATE_TOL * np.median(dt)).all():
        return None
    fps = (T - 1) / t[-1]
    pos = np.interp(np.arange(T) / fps, t, np.arange(T))  # each regular frame's fractional source row
    flat = frames.reshape(T, -1).astype(np.float64)
    out = _at(flat, pos)
    i0 = np.floor(pos).astype(int)
    gap = (t[np.minimum(i0 + 1, T - 1)] - t[i0] > MAX_BRIDGE_S) & (pos - i0 > 1e-9)
    out[gap] = np.nan
    nearest = np.clip(np.round(t * fps).astype(int), 0, T - 1)
    return out.reshape(frames.shape), fps, nearest


def check_timestamps(timestamps_ms: object, n: int) -> np.ndarray:
    """``timestamps_ms`` as a float array of ``n`` strictly increasing finite milliseconds.

    Raises:
        InvalidInputError: anything else."""
    try:
        ts = np.asarray(timestamps_ms, dtype=np.float64)
    except (TypeError, ValueError):
        ts = np.zeros(0)
    if ts.shape != (n,) or not np.isfinite(ts).all() or (np.diff(ts) <= 0).any():
        shown = timestamps_ms if not isinstance(timestamps_ms, (list, tuple, np.ndarray)) else \
            f"{len(timestamps_ms)} values starting {list(np.asarray(timestamps_ms).ravel()[:4])}"
        raise InvalidInputError(f"timestamps_ms must be {n} strictly increasing finite times in milliseconds, one per "
                                f"frame, got {shown}")
    if n > 1:
        step = float(np.median(np.diff(ts)))
        if not 1.0 <= step <= 1000.0:
            unit = " (microseconds? divide by 1000)" if 1e3 < step <= 1e6 else \
                " (nanoseconds? divide by 1e6)" if step > 1e6 else " (seconds? multiply by 1000)" if step < 1.0 else ""
            raise InvalidInputError(f"timestamps_ms must be milliseconds, 1 to 1000 apart (1 to 1000 fps), but its "
                                    f"frames are a median {step:.6g} apart{unit}")
    return ts


def check_fps(fps: object) -> float:
    """``fps`` as a float; InvalidInputError unless it is a number in [1, 1000]."""
    ok = isinstance(fps, Real) and not isinstance(fps, bool) and np.isfinite(float(fps)) and 1.0 <= float(fps) <= 1000.0
    if not ok:
        shown = fps if isinstance(fps, (int, float)) else float(fps) if isinstance(fps, Real) else repr(fps)
        raise InvalidInputError(f"fps must be a number in [1, 1000], got {shown}")
    return float(fps)


def normalise(body: np.ndarray, fps: float) -> BodySequence:
    """Resample a (T, 13, 3) body sequence to :data:`RATE` and normalise it (see :class:`BodySequence`)."""
    check_fps(fps)
    T = len(body)
    n = max(1, int(round((T - 1) / fps * RATE)) + 1)
    t = np.arange(n) / RATE
    flat = fill_gaps(body.reshape(T, -1).astype(np.float64), int(0.5 * fps))  # (T, 39) series, short gaps filled
    # Resample to RATE: linear between the two nearest source frames (NaN stays NaN).
    res = np.repeat(flat, n, axis=0) if T == 1 else _at(flat, np.clip(t * fps, 0, T - 1))
    res = res.reshape(n, 13, 3)
    xy, conf = res[..., :2], np.nan_to_num(res[..., 2], nan=0.0)
    mask = ~np.isnan(xy).any(-1)
    hip = (xy[:, L_HIP] + xy[:, R_HIP]) / 2
    sh = (xy[:, L_SH] + xy[:, R_SH]) / 2
    up = sh - hip
    torso = np.hypot(up[:, 0], up[:, 1])
    # Body size: the torso, unless it is foreshortened (a push-up or a fall seen from the front),
    # in which case a quarter of the joints' box diagonal stands in for it.
    # fmax/fmin skip missing joints (an all-missing frame gives NaN, hence span 0), without the
    # cost and warnings of nanmax.
    span = np.nan_to_num(np.fmax.reduce(xy, axis=1) - np.fmin.reduce(xy, axis=1), nan=0.0)
    size = np.fmax(torso, 0.25 * np.hypot(span[:, 0], span[:, 1]))
    # The sequence's body size from the frames where a body was seen: frames with no joint at all
    # (nobody in view yet) would pull the median to 0 and leave every length in source units.
    size[~mask.any(axis=1)] = np.nan
    ref = np.nanmedian(size) if np.isfinite(size).any() else 1.0
    ref = ref if ref > 0 else 1.0
    scale = np.where(np.isfinite(size), np.maximum(size, 0.35 * ref), ref)
    centred = (xy - hip[:, None]) / scale[:, None, None]
    # A frame whose joints sit implausibly far from the hips, or whose body has shrunk to a fraction
    # of its usual size (a pose model collapsing onto a small patch), is a failed detection: dropped.
    outlier = (np.nanmax(np.abs(centred), axis=(1, 2), initial=0.0) > 6.0) | (size < MIN_BODY_SIZE * ref)
    centred[outlier] = np.nan
    mask[outlier] = False
    hip = np.where(outlier[:, None], np.nan, hip)
    tilt = np.where(outlier, np.nan, np.degrees(np.arctan2(np.abs(up[:, 0]), -up[:, 1])))
    return BodySequence(xy=centred, conf=np.clip(conf, 0, 1), mask=mask, hip=hip / ref, torso=torso, tilt=tilt, t=t,
                        scale=scale / ref)
