"""MotionMap: the fixed-camera person proposal (synthetic frames: the geometry is known exactly)."""

import numpy as np
import pytest

from posekit.pose.motion import MotionMap
from posekit.pose.roi import Roi

H, W = 240, 320


def room(seed=0):
    """A textured still background (noise of a few grey levels on every frame, like a camera)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(60, 200, size=(H, W, 3)).astype(np.int16)

    def frame(i):
        noise = np.random.default_rng(1000 + i).integers(-3, 4, size=(H, W, 3))
        return np.clip(base + noise, 0, 255).astype(np.uint8)

    return frame


def with_walker(img, x0, y0=60, w=40, h=120):
    out = img.copy()
    out[y0:y0 + h, x0:x0 + w] = (240, 30, 30)
    return out


def test_box_surrounds_a_moving_figure():
    frame, mm = room(), MotionMap()
    assert mm.box() is None and mm.moving() is None and mm.fraction_in(Roi(160, 120, 100)) == 0.0
    for i in range(15):  # walks right 4 px a frame at 30 fps
        mm.update(with_walker(frame(i), 100 + 4 * i), i * 33)
    x, y, w, h = mm.box()
    last_x = 100 + 4 * 14
    # The box covers the figure's latest position and the recent trail, nothing far from it.
    assert x <= last_x + 4 and x + w >= last_x + 40 - 4 and x >= 100 - 8
    assert 50 <= y <= 64 and 170 <= y + h <= 190
    on = Roi(last_x + 20, 120, 130)
    off = Roi(40, 60, 60)
    assert mm.fraction_in(on) > 0.05 and mm.fraction_in(off) == 0.0


def test_still_scene_proposes_nothing():
    frame, mm = room(), MotionMap()
    for i in range(20):
        mm.update(frame(i), i * 33)  # sensor noise only
    assert mm.box() is None and not mm.moving().any()


def test_a_moving_camera_proposes_nothing():
    """Every cell changes when the camera pans (or the light switches): no box to chase."""
    mm = MotionMap()
    rng = np.random.default_rng(0)
    wide = rng.integers(0, 255, size=(H, W + 200, 3)).astype(np.uint8)
    for i in range(10):
        mm.update(np.ascontiguousarray(wide[:, 8 * i:8 * i + W]), i * 33)
    assert mm.moving().mean() > 0.4 and mm.box() is None


def test_motion_fades_within_its_memory():
    frame, mm = room(), MotionMap()
    for i in range(10):
        mm.update(with_walker(frame(i), 100 + 4 * i), i * 33)
    assert mm.box() is not None
    t = 9 * 33
    for i in range(10, 40):  # the figure stops: 1 s later nothing moves
        t += 33
        mm.update(with_walker(frame(i), 136), t)
    assert mm.box() is None


def test_new_frame_size_starts_over():
    frame, mm = room(), MotionMap()
    for i in range(10):
        mm.update(with_walker(frame(i), 100 + 4 * i), i * 33)
    mm.update(np.zeros((120, 160, 3), np.uint8), 400)
    assert mm.box() is None and mm.moving().shape == (60, 80) and not mm.moving().any()


@pytest.mark.parametrize("size", [(48, 64), (720, 1280), (1080, 1920)])
def test_grid_stays_small_for_any_frame(size):
    mm = MotionMap()
    mm.update(np.zeros((*size, 3), np.uint8), 0)
    mm.update(np.zeros((*size, 3), np.uint8), 33)
    assert max(mm.moving().shape) <= 80
