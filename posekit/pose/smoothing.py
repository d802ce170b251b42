"""One Euro filtering of landmarks, as MediaPipe's LandmarksSmoothingCalculator does it.

Casiez et al., "1 Euro Filter", CHI 2012, with MediaPipe's value scaling: the speed term is divided
by the object scale (mean of the landmarks' bounding-box width and height), so the filter behaves
the same for a person near or far from the camera.
"""

from __future__ import annotations

import math

import numpy as np

from ..options import SmoothingOptions


def _alpha(cutoff: np.ndarray | float, freq: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau * freq)


class OneEuroFilter:
    """Vectorised One Euro filter over an array of values with one timestamp per update.

    Args:
        min_cutoff, beta, derivate_cutoff: see :class:`SmoothingOptions`.
        frequency: assumed rate (Hz) of the first update, before two timestamps exist.
    """

    def __init__(self, min_cutoff: float, beta: float, derivate_cutoff: float, frequency: float = 30.0):
        self.min_cutoff, self.beta, self.derivate_cutoff = min_cutoff, beta, derivate_cutoff
        self._freq0 = frequency
        self.reset()

    def reset(self) -> None:
        self._freq = self._freq0
        self._t: float | None = None
        self._x_raw: np.ndarray | None = None
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    def __call__(self, value: np.ndarray, t_s: float, value_scale: float = 1.0) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        if self._t is not None:
            if t_s <= self._t:
                return value.copy()
            self._freq = 1.0 / (t_s - self._t)
        self._t = t_s
        if self._x_raw is None:
            dvalue = np.zeros_like(value)
        else:
            dvalue = (value - self._x_raw) * value_scale * self._freq
        a_d = _alpha(self.derivate_cutoff, self._freq)
        self._dx = dvalue if self._dx is None else a_d * dvalue + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        a = _alpha(cutoff, self._freq)
        self._x = value.copy() if self._x is None else a * value + (1 - a) * self._x
        self._x_raw = value
        return self._x.copy()


class LandmarkSmoother:
    """Smooths (N, 2) pixel landmarks and (N,) visibilities of one stream; ``reset()`` on a cut.

    Args:
        options: filter parameters; ``enabled=False`` makes :meth:`__call__` the identity.
    """

    def __init__(self, options: SmoothingOptions | None = None) -> None:
        self.options = options or SmoothingOptions()
        o = self.options
        self._xy = OneEuroFilter(o.min_cutoff, o.beta, o.derivate_cutoff)
        self._vis: np.ndarray | None = None

    def reset(self) -> None:
        self._xy.reset()
        self._vis = None

    def __call__(self, xy: np.ndarray, conf: np.ndarray, timestamp_ms: float
                 ) -> tuple[np.ndarray, np.ndarray]:
        if not self.options.enabled:
            return xy, conf
        span = xy.max(axis=0) - xy.min(axis=0)
        scale = float(span.mean())
        if scale < 1e-6:
            return xy, conf
        out = self._xy(xy, timestamp_ms / 1000.0, 1.0 / scale).astype(np.float32)
        a = self.options.visibility_alpha
        self._vis = conf.astype(np.float32) if self._vis is None else (a * conf + (1 - a) * self._vis).astype(np.float32)
        return out, self._vis.copy()
