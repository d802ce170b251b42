"""Region-of-interest geometry for BlazePose-style tracking, and the crop sampler.

Pure functions of NumPy arrays: no model, no state. Conventions:

* Image pixels: x right, y down, origin at the top-left corner of the top-left pixel.
* A :class:`Roi` is a rotated square: centre ``(cx, cy)`` and side ``size`` in pixels, and
  ``rotation`` in radians (positive turns the crop clockwise on screen). Crop coordinates
  ``(u, v)`` in [0, 1]^2 map to image pixels by ``centre + R(rotation) @ ((u, v) - 0.5) * size``.
* The pose network sees the person upright with the mid-hip at the crop centre, as BlazePose does.
"""

from __future__ import annotations

import dataclasses
import math
import threading

import numpy as np

from ..keypoints import Keypoint

#: Side of the square ROI relative to the body's radius around the mid-hip (BlazePose: 1.25 x diameter).
ROI_SCALE = 1.25 * 2.0
#: Minimum body radius as a multiple of torso length, so a folded body still gets a sensible crop.
MIN_RADIUS_TORSO = 1.6


@dataclasses.dataclass(frozen=True)
class Roi:
    """A rotated square crop of an image.

    Attributes:
        cx: Centre x in image pixels.
        cy: Centre y in image pixels.
        size: Side length in image pixels (> 0).
        rotation: Radians; the crop's up direction is ``(sin r, -cos r)`` in image pixels.
    """

    cx: float
    cy: float
    size: float
    rotation: float = 0.0

    def matrix(self, crop_size: int = 1) -> np.ndarray:
        """Affine (2, 3) mapping crop pixels of a ``crop_size`` square to image pixels."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        k = self.size / crop_size
        a = np.array([[c * k, -s * k], [s * k, c * k]], dtype=np.float64)
        t = np.array([self.cx, self.cy]) - a @ np.array([crop_size / 2.0, crop_size / 2.0])
        return np.concatenate([a, t[:, None]], axis=1)

    def to_image(self, uv: np.ndarray) -> np.ndarray:
        """Map crop-normalised points (..., 2) in [0, 1] to image pixels (..., 2) float32."""
        m = self.matrix(1)
        uv = np.asarray(uv, dtype=np.float64)
        return (uv @ m[:, :2].T + m[:, 2]).astype(np.float32)

    def to_crop(self, xy: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_image`: image pixels (..., 2) -> crop-normalised (..., 2)."""
        m = self.matrix(1)
        inv = np.linalg.inv(m[:, :2])
        xy = np.asarray(xy, dtype=np.float64)
        return ((xy - m[:, 2]) @ inv.T).astype(np.float32)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (float(self.cx), float(self.cy), float(self.size), float(self.rotation))


def full_frame_roi(width: int, height: int) -> Roi:
    """The upright square that covers the whole frame (used to (re)acquire a person)."""
    return Roi(width / 2.0, height / 2.0, float(max(width, height)), 0.0)


def roi_from_box(box: tuple[float, float, float, float]) -> Roi:
    """Upright square around a person box ``(x, y, w, h)`` in pixels, with BlazePose's margin."""
    x, y, w, h = (float(v) for v in box)
    return Roi(x + w / 2.0, y + h / 2.0, max(w, h) * 1.25, 0.0)


def roi_from_landmarks(xy: np.ndarray, conf: np.ndarray, min_conf: float = 0.3) -> Roi:
    """BlazePose tracking ROI from the previous frame's landmarks.

    Centre on the mid-hip, rotate so mid-hip -> mid-shoulder points up, and size the square so it
    holds every confident keypoint with BlazePose's 1.25 margin (at least ``MIN_RADIUS_TORSO``
    torso lengths, so a crouched or cut-off body keeps a usable crop).

    Args:
        xy: (33, 2) keypoints in image pixels.
        conf: (33,) visibility in [0, 1].
        min_conf: keypoints below this confidence do not grow the crop.
    """
    xy = np.asarray(xy, dtype=np.float64)
    hip = (xy[Keypoint.LEFT_HIP] + xy[Keypoint.RIGHT_HIP]) / 2.0
    shoulder = (xy[Keypoint.LEFT_SHOULDER] + xy[Keypoint.RIGHT_SHOULDER]) / 2.0
    up = shoulder - hip
    torso = float(np.hypot(*up))
    rotation = math.atan2(up[0], -up[1]) if torso > 1e-6 else 0.0
    use = np.asarray(conf) >= min_conf
    if not use.any():
        use = np.ones(len(xy), dtype=bool)
    radius = float(np.max(np.hypot(*(xy[use] - hip).T)))
    radius = max(radius, MIN_RADIUS_TORSO * torso, 1.0)
    return Roi(float(hip[0]), float(hip[1]), radius * ROI_SCALE, rotation)


#: Above this source-pixels-per-crop-pixel ratio the sampler uses nearest taps: at 2x or more
#: decimation bilinear taps blur nothing useful (neither anti-aliases) and cost 4x the gathers.
NEAREST_ABOVE = 2.0


class _Pixels:
    """Gathers pixels of an (H, W, C) frame by integer (y, x), from the frame's own memory where
    it is a C-contiguous array seen through flips: ``bgr[..., ::-1]`` (what video readers hand
    out) and its mirror image ``[:, ::-1]`` gather from ``bgr`` and flip the few gathered pixels
    instead of copying the frame. Other strided views use fancy indexing, also without a copy."""

    def __init__(self, image: np.ndarray) -> None:
        self.image = image
        self.w = image.shape[1]
        self.rev_c = image.strides[2] < 0
        self.rev_x = image.strides[1] < 0
        base = image[..., ::-1] if self.rev_c else image
        base = base[:, ::-1] if self.rev_x else base
        self.flat = base.reshape(-1, base.shape[2]) if base.flags.c_contiguous else None

    def take(self, y: np.ndarray, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Pixels at (y, x): integer-valued arrays of one shape (float32 or intp), in the frame.
        Float32 ``y`` is used as scratch space (overwritten). ``out``: a uint8 (..., C) buffer to
        gather into (the result may be a channel-reversed view of it)."""
        if self.flat is None:
            px = self.image[y.astype(np.intp), x.astype(np.intp)]
            if out is None:
                return px
            out[...] = px
            return out
        if self.rev_x:
            x = (self.w - 1) - x
        if y.dtype == np.float32 and self.flat.shape[0] < 1 << 24:  # y * w + x is exact in float32
            y *= np.float32(self.w)
            y += x
            idx = y.astype(np.intp)
        else:
            idx = y.astype(np.intp) * self.w + x.astype(np.intp)
        px = np.take(self.flat, idx, axis=0, out=out)
        return px[..., ::-1] if self.rev_c else px

    def take_into(self, y: np.ndarray, x: np.ndarray, idx: np.ndarray, out: np.ndarray) -> np.ndarray:
        """:meth:`take` for intp ``y``, ``x`` in the frame, with the flat index built in the intp
        buffer ``idx`` and the pixels gathered into the uint8 buffer ``out``: no temporaries."""
        if self.flat is None:
            return self.take(y, x, out)
        np.multiply(y, self.w, out=idx)
        if self.rev_x:
            idx += self.w - 1
            idx -= x
        else:
            idx += x
        px = np.take(self.flat, idx, axis=0, out=out)
        return px[..., ::-1] if self.rev_c else px


#: Per-thread scratch of the bilinear sampler, for one (crop size, channels) at a time.
_SCRATCH = threading.local()


@dataclasses.dataclass
class _Scratch:
    """Buffers of the bilinear sampler, reused across calls on one thread. Fresh arrays of this
    size (64-200 kB each) go back to the OS when freed and are page-faulted in again on the next
    call, which cost more than the sampling arithmetic itself."""

    key: tuple[int, int]
    taps: np.ndarray  # (4, S, S, C) uint8: the four gathered neighbours
    rows: np.ndarray  # (5, S, S, C) float32: three taps as float and the two weights
    idx: np.ndarray  # (S, S) intp: flat pixel index
    grid_x: np.ndarray  # (S, S, C) float32: crop column + 0.5, repeated over channels
    grid_y: np.ndarray  # (S, S, C) float32: crop row + 0.5

    @classmethod
    def get(cls, size: int, channels: int) -> "_Scratch":
        held = getattr(_SCRATCH, "held", None)
        if held is None or held.key != (size, channels):
            g = np.arange(size, dtype=np.float32) + np.float32(0.5)
            held = cls((size, channels), np.empty((4, size, size, channels), np.uint8),
                       np.empty((5, size, size, channels), np.float32), np.empty((size, size), np.intp),
                       np.ascontiguousarray(np.broadcast_to(g[None, :, None], (size, size, channels))),
                       np.ascontiguousarray(np.broadcast_to(g[:, None, None], (size, size, channels))))
            _SCRATCH.held = held
        return held


def crop(image: np.ndarray, roi: Roi, crop_size: int, out: np.ndarray | None = None) -> np.ndarray:
    """Sample ``roi`` from ``image`` into a (crop_size, crop_size, 3) float32 array in [0, 1].

    NumPy only (the runtime has no OpenCV): bilinear taps when the crop is at most 2x smaller
    than the ROI, nearest taps beyond (``NEAREST_ABOVE``). Pixels outside the image are black.
    ``out``: a C-contiguous float32 (crop_size, crop_size, C) array to write into (e.g. the
    model's input tensor) instead of a new one.
    """
    h, w = image.shape[:2]
    channels = image.shape[2]
    pixels = _Pixels(image)
    m = roi.matrix(crop_size)
    g = np.arange(crop_size, dtype=np.float32) + np.float32(0.5)
    # Crop pixel centre (j + .5, i + .5) -> image coordinates (pixel centres at k + .5).
    gx = (np.float32(m[0, 0]) * g[None, :] + np.float32(m[0, 1]) * g[:, None] + np.float32(m[0, 2]))
    gy = (np.float32(m[1, 0]) * g[None, :] + np.float32(m[1, 1]) * g[:, None] + np.float32(m[1, 2]))
    # The common case (the crop lies inside the frame; the map is affine, so its corners bound
    # it) needs no clipping and no border mask.
    xs = (gx[0, 0], gx[0, -1], gx[-1, 0], gx[-1, -1])
    ys = (gy[0, 0], gy[0, -1], gy[-1, 0], gy[-1, -1])
    within = bool(min(xs) >= 1 and max(xs) < w - 2 and min(ys) >= 1 and max(ys) < h - 2)
    scale = np.float32(1.0 / 255.0)
    if out is None:
        out = np.empty((crop_size, crop_size, channels), np.float32)
    if roi.size / crop_size > NEAREST_ABOVE:
        inside = None
        if not within:
            inside = (gx >= 0) & (gx < w) & (gy >= 0) & (gy < h)
            np.clip(gx, 0, w - 1, out=gx)
            np.clip(gy, 0, h - 1, out=gy)
        np.multiply(pixels.take(np.floor(gy, out=gy), np.floor(gx, out=gx)), scale, out=out, dtype=np.float32)
        if inside is not None:
            out *= np.repeat(inside[..., None], channels, axis=2)
        return out
    gx -= np.float32(0.5)
    gy -= np.float32(0.5)
    inside = None if within else (gx > -1) & (gx < w) & (gy > -1) & (gy < h)
    x0 = np.floor(gx).astype(np.intp)
    y0 = np.floor(gy).astype(np.intp)
    if within:
        x1, y1 = x0 + 1, y0 + 1
    else:
        # Clamp taps to the image; a tap outside reads the edge pixel and the border ramps to
        # black through ``inside`` (exactly black beyond one pixel out).
        x1 = np.clip(x0 + 1, 0, w - 1)
        y1 = np.clip(y0 + 1, 0, h - 1)
        np.clip(x0, 0, w - 1, out=x0)
        np.clip(y0, 0, h - 1, out=y0)
    # In place, in reused buffers, with the weights laid out like the pixels: a (S, S, 1) weight
    # broadcast over (S, S, 3) runs NumPy's inner loop 3 elements at a time. The weights redo
    # the coordinate arithmetic above per channel, in the same float32 order (bit-identical).
    sc = _Scratch.get(crop_size, channels)
    b, c, d, wx, wy = sc.rows
    for r, wt in ((0, wx), (1, wy)):
        np.multiply(sc.grid_x, np.float32(m[r, 0]), out=wt)
        np.multiply(sc.grid_y, np.float32(m[r, 1]), out=b)
        wt += b
        wt += np.float32(m[r, 2])
        wt -= np.float32(0.5)
        np.floor(wt, out=b)
        wt -= b  # the fractional part: the far tap's weight
    a = out
    for dst, yy, xx, tap in ((a, y0, x0, sc.taps[0]), (b, y0, x1, sc.taps[1]), (c, y1, x0, sc.taps[2]),
                             (d, y1, x1, sc.taps[3])):
        np.copyto(dst, pixels.take_into(yy, xx, sc.idx, tap), casting="unsafe")
    b -= a
    b *= wx
    a += b  # top row
    d -= c
    d *= wx
    c += d  # bottom row
    c -= a
    c *= wy
    a += c
    if inside is None:
        a *= scale
    else:
        np.copyto(wx, (inside * scale)[..., None])
        a *= wx
    return a
