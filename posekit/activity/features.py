"""Keypoint sequences from any pose estimator -> the normalised body representation activity uses.

Accepted input: (T, K, 2|3|4) arrays in pixels or normalised coordinates (x, y[, conf or z][, conf]),
for a known layout (``posekit.keypoints.LAYOUTS``: blazepose33, coco17, penn13, body13, lsp14);
missing frames as NaN rows or all-zero rows. MediaPipe exports often min-max normalise each frame:
per-frame torso scaling absorbs that.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from ..errors import InvalidInputError
from ..keypoints import BODY13, LAYOUTS, Keypoint

#: Internal rate of every activity computation (frames per second).
RATE = 30.0
_B = {kp: i for i, kp in enumerate(BODY13)}
L_SH, R_SH, L_HIP, R_HIP = (_B[Keypoint.LEFT_SHOULDER], _B[Keypoint.RIGHT_SHOULDER], _B[Keypoint.LEFT_HIP],
                            _B[Keypoint.RIGHT_HIP])


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


def to_body13(keypoints: np.ndarray, layout: str = "blazepose33") -> np.ndarray:
    """(T, K, C) -> (T, 13, 3) (x, y, conf) in BODY13 order; NaN where missing.

    Raises:
        InvalidInputError: unknown layout, wrong rank, K not matching the layout, C not in 2..4.
    """
    if layout not in LAYOUTS:
        raise InvalidInputError(f"layout must be one of {sorted(LAYOUTS)}, got {layout!r}")
    k = np.asarray(keypoints, dtype=np.float64)
    if k.ndim != 3:
        raise InvalidInputError(f"keypoints must have shape (T, K, 2|3|4), got shape {k.shape}")
    src = LAYOUTS[layout]
    if k.shape[1] != len(src):
        raise InvalidInputError(
            f"keypoints has {k.shape[1]} joints but layout {layout!r} has {len(src)}; pass the matching layout")
    if k.shape[2] not in (2, 3, 4):
        raise InvalidInputError(f"keypoints last dimension must be 2 (x, y), 3 (x, y, conf) or 4 (x, y, z, conf), got {k.shape[2]}")
    if len(k) == 0:
        raise InvalidInputError("keypoints must hold at least one frame, got 0")
    xy = k[..., :2]
    conf = k[..., -1] if k.shape[2] in (3, 4) else np.ones(k.shape[:2])
    zero_rows = np.all(k[..., :2] == 0, axis=(1, 2))
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
    bad = np.all(out[..., :2] == 0, axis=-1)
    out[bad] = np.nan
    return out


def _interp_gaps(v: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation over interior NaN runs of at most ``max_gap`` frames (vectorised)."""
    ok = ~np.isnan(v)
    if ok.all() or ok.sum() < 2:
        return v, ok
    idx = np.arange(len(v))
    filled = np.interp(idx, idx[ok], v[ok])
    # Length of the NaN run each frame belongs to, from run boundaries.
    edges = np.diff(np.concatenate([[0], (~ok).astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = (ends - starts <= max_gap) & (starts > 0) & (ends < len(v))
    out = v.copy()
    for s0, e0 in zip(starts[keep], ends[keep]):
        out[s0:e0] = filled[s0:e0]
    return out, ~np.isnan(out)


def normalise(body: np.ndarray, fps: float) -> BodySequence:
    """Resample a (T, 13, 3) body sequence to :data:`RATE` and normalise it (see :class:`BodySequence`)."""
    if not (isinstance(fps, (int, float)) and np.isfinite(fps) and 1.0 <= fps <= 1000.0):
        raise InvalidInputError(f"fps must be a number in [1, 1000], got {fps!r}")
    T = len(body)
    n = max(1, int(round((T - 1) / fps * RATE)) + 1)
    t = np.arange(n) / RATE
    flat = body.reshape(T, -1).copy()  # (T, 39) series
    max_gap = int(0.5 * fps)
    # Short gaps: whole missing frames (the common case) in one vectorised pass, then any series
    # with its own missing joints one at a time.
    frame_missing = np.isnan(flat).all(axis=1)
    if frame_missing.any() and (~frame_missing).sum() >= 2:
        filled_idx, _ = _interp_gaps(np.where(frame_missing, np.nan, np.arange(T, dtype=np.float64)), max_gap)
        fill = frame_missing & ~np.isnan(filled_idx)
        if fill.any():
            pos = filled_idx[fill]
            i0 = np.floor(pos).astype(int)
            i0 = np.clip(i0, 0, T - 1)
            # Interpolate between the nearest observed frames on either side.
            obs = np.flatnonzero(~frame_missing)
            k = np.searchsorted(obs, np.flatnonzero(fill))
            lo, hi = obs[np.clip(k - 1, 0, len(obs) - 1)], obs[np.clip(k, 0, len(obs) - 1)]
            w = np.where(hi > lo, (np.flatnonzero(fill) - lo) / np.maximum(hi - lo, 1), 0.0)[:, None]
            flat[fill] = flat[lo] * (1 - w) + flat[hi] * w
    partial = np.isnan(flat).any(axis=0) & ~np.isnan(flat).all(axis=0)
    for c in np.flatnonzero(partial):
        flat[:, c], _ = _interp_gaps(flat[:, c], max_gap)
    # Resample to RATE: linear between the two nearest source frames (NaN stays NaN).
    if T == 1:
        res = np.repeat(flat, n, axis=0)
    else:
        pos = np.clip(t * fps, 0, T - 1)
        i0 = np.floor(pos).astype(int)
        i1 = np.minimum(i0 + 1, T - 1)
        w = (pos - i0)[:, None]
        a, b = flat[i0], flat[i1]
        res = np.where(w < 1e-9, a, a * (1 - w) + b * w)
    res = res.reshape(n, 13, 3)
    xy, conf = res[..., :2], np.nan_to_num(res[..., 2], nan=0.0)
    mask = ~np.isnan(xy).any(-1)
    hip = (xy[:, L_HIP] + xy[:, R_HIP]) / 2
    sh = (xy[:, L_SH] + xy[:, R_SH]) / 2
    up = sh - hip
    torso = np.hypot(up[:, 0], up[:, 1])
    # Body size: the torso, unless it is foreshortened (a push-up or a fall seen from the front),
    # in which case a quarter of the joints' box diagonal stands in for it.
    with warnings.catch_warnings():  # all-NaN frames are expected (missed detections)
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmean(xy, axis=1, keepdims=True)
    filled = np.where(np.isfinite(xy), xy, centre)
    span = np.nan_to_num(filled.max(axis=1) - filled.min(axis=1), nan=0.0)
    size = np.fmax(torso, 0.25 * np.hypot(span[:, 0], span[:, 1]))
    ref = np.nanmedian(size) if np.isfinite(size).any() else 1.0
    ref = ref if ref > 0 else 1.0
    scale = np.where(np.isfinite(size), np.maximum(size, 0.35 * ref), ref)
    centred = (xy - hip[:, None]) / scale[:, None, None]
    # A frame whose joints sit implausibly far from the hips (a failed detection) is dropped.
    outlier = np.nanmax(np.abs(centred), axis=(1, 2), initial=0.0) > 6.0
    centred[outlier] = np.nan
    hip = np.where(outlier[:, None], np.nan, hip)
    tilt = np.degrees(np.arctan2(np.abs(up[:, 0]), -up[:, 1]))
    return BodySequence(xy=centred, conf=np.clip(conf, 0, 1), mask=mask, hip=hip / ref, torso=torso, tilt=tilt, t=t,
                        scale=scale / ref)
