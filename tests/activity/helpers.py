"""Helpers shared by the activity tests."""

import numpy as np

#: Reps may be off by this many on a synthetic set (a first or last rep half in view).
REP_TOL = 1


def true_reps(m):
    return sum(not r.partial for r in m.reps)


def variable_rate(kps: np.ndarray, slow_from: int | None = None, fps: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """A sequence as a phone records it when the light drops: every frame up to ``slow_from``
    (default: half way), every second frame after it (``fps`` then ``fps / 2``), and the frames'
    times in ms."""
    half = len(kps) // 2 if slow_from is None else slow_from
    keep = np.r_[np.arange(half), np.arange(half, len(kps), 2)]
    return kps[keep], keep * 1000.0 / fps
