"""Where the picture has been changing lately: a person proposal for fixed cameras.

posekit has no person detector: acquisition starts from the whole frame and refines its crop on
the network's own landmarks. In a wide room view (fall monitoring) the person fills a small part
of that frame, and the network can settle on furniture with a confident presence score and then
track it. A fixed camera offers a cue a detector would otherwise give: people move, furniture
does not. :class:`MotionMap` keeps a decaying record of which cells of a coarse grid changed
between frames; its box is where acquisition looks first, and where a track that has sat in a
still region while the picture moves elsewhere is moved to (see :class:`~posekit.pose.tracker.PoseTracker`).

Cheap by construction (about 0.04 ms a frame at any resolution): the green channel (the one
closest to luma) of a strided sample of about ``GRID`` x ``GRID * h / w`` pixels, no resize of
the full frame, a few integer operations on that grid. A moving camera changes most
cells at once; above ``MAX_MOVING`` the map proposes nothing, so hand-held video loses nothing.

:class:`ShotCuts` finds hard cuts between shots (edited video: compilations, a change of camera) on
the same kind of grid: the picture's structure is gone from one frame to the next (see
:data:`CUT_NCC`), not merely moved, brightened or panned.
"""

from __future__ import annotations

import math

import numpy as np

from .roi import Roi

#: Cells along the frame's long side.
GRID = 80
#: A cell "changed" when its green level moved by more than this between two frames (0-255) ...
DIFF_LEVELS = 12
#: ... and by more than this many standard deviations of the frame's sensor noise, estimated from
#: the median change over all cells (1.4826 x the median absolute change, for Gaussian noise; most
#: of a fixed camera's picture is still). A dark room's noise
#: (sigma 4 grey levels a frame) otherwise "moves" a fifth of the cells at any time, the box spans
#: the whole frame and the track never looks stale.
NOISE_SIGMAS = 4.0
#: Seconds over which a change is remembered (exponential decay).
MEMORY_S = 0.33
#: A cell is moving while this much of a change is remembered (one change: for about 0.2 s).
MOVING = 0.05
#: The map proposes a box only when this fraction of the cells is moving (noise below, a moving
#: camera or a lighting change above).
MIN_MOVING, MAX_MOVING = 0.005, 0.4
#: The proposal box spans these percentiles of the moving cells' coordinates (stray specks ignored).
BOX_PERCENTILES = (3.0, 97.0)


#: A hard cut: the correlation between consecutive frames' grids (each standardised, so a change of
#: exposure keeps it near 1) falls below this ...
CUT_NCC = 0.45
#: ... while at least this fraction of the cells changes (a dark, still, noisy picture has a low
#: correlation and no change).
CUT_CHANGED = 0.5


def grid_sample(frame: np.ndarray) -> tuple[np.ndarray, int]:
    """The green channel of a strided sample of about ``GRID`` cells along the frame's long side
    (no resize of the full frame), as int16, and the stride."""
    h, w = frame.shape[:2]
    step = max(1, math.ceil(max(h, w) / GRID))
    return frame[::step, ::step, 1].astype(np.int16), step


class ShotCuts:
    """Hard cuts between shots, frame by frame.

    Measured on every video we have (WorkoutTracker, URFD, the sample clip; 10,444 frame pairs):
    the 9 cuts (8 in a dips compilation, one at the start of a squat clip) correlate at -0.29 to
    0.40; every other pair at 0.57 or more (fast pans in that compilation), and a change of
    exposure at 0.97. A jump cut (same person, same place, a moment later: correlation 0.90) is
    not a cut here, and needs none: tracking goes on.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._prev: np.ndarray | None = None
        self._size: tuple[int, ...] = ()

    def update(self, frame: np.ndarray) -> bool:
        """Add one RGB frame; True when it begins a new shot (never the first frame; always a frame
        of another size: another source)."""
        g, _ = grid_sample(frame)
        prev, self._prev = self._prev, g
        size, self._size = self._size, frame.shape[:2]
        if prev is None or size != self._size:
            return prev is not None
        if np.count_nonzero(np.abs(g - prev) > DIFF_LEVELS) < CUT_CHANGED * g.size:
            return False
        a, b = g - g.mean(), prev - prev.mean()
        den = math.sqrt(float(np.dot(a.ravel(), a.ravel())) * float(np.dot(b.ravel(), b.ravel())))
        return den > 0 and float(np.dot(a.ravel(), b.ravel())) / den < CUT_NCC


class MotionMap:
    """A decaying per-cell record of change between consecutive frames of one video."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._prev: np.ndarray | None = None
        self._energy: np.ndarray | None = None
        self._last_ms = 0
        self._size: tuple[int, int] | None = None
        self._step = 1

    def update(self, frame: np.ndarray, timestamp_ms: int) -> None:
        """Add one RGB frame (timestamps increasing; a new frame size starts over)."""
        h, w = frame.shape[:2]
        green, step = grid_sample(frame)
        if self._prev is None or (h, w) != self._size:
            self._prev, self._step, self._size = green, step, (h, w)
            self._energy = np.zeros(green.shape, np.float32)
            self._last_ms = timestamp_ms
            return
        dt = max(timestamp_ms - self._last_ms, 1) / 1000.0
        keep = math.exp(-dt / MEMORY_S)
        diff = np.abs(green - self._prev)
        med = float(np.median(diff))
        # Most cells above the plain threshold is a moving camera or a change of light, not noise:
        # the plain threshold then marks them all moving, and the map proposes nothing.
        thr = DIFF_LEVELS if med > DIFF_LEVELS else max(DIFF_LEVELS, NOISE_SIGMAS * 1.4826 * med)
        changed = diff > thr
        self._energy *= np.float32(keep)
        self._energy += changed * np.float32(1.0 - keep)
        self._prev, self._last_ms = green, timestamp_ms

    def moving(self) -> np.ndarray | None:
        """Boolean grid of moving cells, or None before two frames."""
        return None if self._energy is None else self._energy > MOVING

    def box(self) -> tuple[float, float, float, float] | None:
        """``(x, y, w, h)`` in frame pixels around the moving cells, or None when too few or too
        many cells move to point at one person."""
        mv = self.moving()
        if mv is None:
            return None
        frac = float(mv.mean())
        if not MIN_MOVING <= frac <= MAX_MOVING:
            return None
        ys, xs = np.nonzero(mv)
        (x0, x1), (y0, y1) = np.percentile(xs, BOX_PERCENTILES), np.percentile(ys, BOX_PERCENTILES)
        s = self._step
        return (float(x0 * s), float(y0 * s), float((x1 - x0 + 1) * s), float((y1 - y0 + 1) * s))

    def fraction_in(self, roi: Roi) -> float:
        """Fraction of the cells inside ``roi``'s upright bounding square (clipped to the frame)
        that are moving; 0.0 before two frames or when the square misses the frame."""
        e = self._energy
        if e is None:
            return 0.0
        s, half = self._step, roi.size / 2.0
        x0, x1 = max(int((roi.cx - half) / s), 0), min(int(math.ceil((roi.cx + half) / s)), e.shape[1])
        y0, y1 = max(int((roi.cy - half) / s), 0), min(int(math.ceil((roi.cy + half) / s)), e.shape[0])
        if x1 <= x0 or y1 <= y0:
            return 0.0
        return float(np.count_nonzero(e[y0:y1, x0:x1] > MOVING)) / ((y1 - y0) * (x1 - x0))
