"""MotionMap, the fixed-camera person proposal, and ShotCuts (synthetic frames: the geometry is known exactly)."""

import numpy as np
import pytest

from posekit.pose.motion import MotionMap, ShotCuts
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


def scene(seed, width=W, dark=False):
    """A smooth picture (a few broad gradients, as in a room or a gym; the grid's cells are 4 px
    here), ``width`` wide for panning across it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:width].astype(np.float32)
    img = np.zeros((H, width), np.float32)
    for _ in range(4):
        k = rng.uniform(2 * np.pi / 200, 2 * np.pi / 60, size=2)
        img += np.sin(k[0] * x + k[1] * y + rng.uniform(0, 2 * np.pi))
    lo, hi = (2, 10) if dark else (40, 220)
    img = lo + (img - img.min()) / (img.max() - img.min()) * (hi - lo)
    return np.repeat(img[..., None], 3, axis=2)


def as_frame(img, seed=0):
    noise = np.random.default_rng(seed).normal(0, 2, size=img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def test_a_cut_to_another_scene_is_found_once():
    cuts, a, b = ShotCuts(), scene(1), scene(2)
    seen = [cuts.update(as_frame(a, i)) for i in range(5)] + [cuts.update(as_frame(b, i)) for i in range(5, 10)]
    assert seen == [False] * 5 + [True] + [False] * 4
    # A frame of another size comes from another source: a new shot.
    cuts.reset()
    assert not cuts.update(as_frame(scene(5)))
    assert cuts.update(np.zeros((120, 160, 3), np.uint8))


def test_pans_exposure_changes_and_dark_noise_are_not_cuts():
    cuts = ShotCuts()
    wide = scene(3, width=W + 200)
    # A pan of 8 px a frame, then the exposure jumps by 40 levels: the structure stays.
    pan = [as_frame(wide[:, 8 * i:8 * i + W], i) for i in range(20)]
    assert not any(cuts.update(f) for f in pan)
    assert not cuts.update(np.clip(pan[-1].astype(np.int16) + 40, 0, 255).astype(np.uint8))
    # A dark, still room: sensor noise is all the picture has (it correlates with nothing).
    cuts.reset()
    dark = scene(4, dark=True)
    assert not any(cuts.update(as_frame(dark, i)) for i in range(20))


def test_sensor_noise_of_a_dark_room_is_not_motion():
    """A dark, noisy picture (Gaussian noise, sigma 4 grey levels on every frame, as in low light)
    changes every cell by a few levels every frame: with the plain 12-level threshold about a fifth
    of the cells "moved" at any time, the box spanned the frame and a still track never looked
    stale. The threshold rises to 4 sigma of the noise, estimated from the frame itself."""
    rng = np.random.default_rng(3)
    base = rng.integers(10, 70, size=(H, W, 3)).astype(np.float32)  # a dim room

    def frame(i, x0=None):
        img = np.clip(base + np.random.default_rng(500 + i).normal(0, 4, base.shape), 0, 255).astype(np.uint8)
        if x0 is not None:
            img[60:180, x0:x0 + 40] = (90, 90, 90)  # a dim figure walking right
        return img

    still = MotionMap()
    for i in range(20):
        still.update(frame(i), i * 33)
    assert still.box() is None and still.moving().mean() < 0.005
    mm = MotionMap()
    for i in range(15):
        mm.update(frame(i, 100 + 4 * i), i * 33)
    x, y, w, h = mm.box()
    assert 92 <= x and x + w <= 100 + 4 * 14 + 40 + 8 and 50 <= y and y + h <= 190
