"""Every bad-input path raises a typed error whose message names field, value and what is allowed."""

import numpy as np
import pytest

from posekit.errors import InvalidInputError
from posekit.options import PoseOptions
from posekit.validation import check_box, check_image, check_timestamp


@pytest.mark.parametrize("image,msg", [
    (np.zeros((64, 64, 3), np.float32),
     "image dtype must be uint8 (RGB 0-255), got float32; convert float images with (img * 255).clip(0, 255).astype(np.uint8)"),
    (np.zeros((64, 64), np.uint8),
     "image must have shape (H, W, 3) RGB, got shape (64, 64): grayscale (H, W); stack to RGB with np.stack([g] * 3, axis=-1)"),
    (np.zeros((64, 64, 4), np.uint8),
     "image must have shape (H, W, 3) RGB, got shape (64, 64, 4): RGBA (4 channels); drop alpha with image[..., :3]"),
    (np.zeros((64, 64, 1), np.uint8), "image must have shape (H, W, 3) RGB, got shape (64, 64, 1): 1 channels"),
    (np.zeros((2, 64, 64, 3), np.uint8), "image must have shape (H, W, 3) RGB, got shape (2, 64, 64, 3): 4 dims"),
    (np.zeros((0, 0, 3), np.uint8), "image must be at least 16x16 pixels, got 0x0 (width x height)"),
    (np.zeros((8, 300, 3), np.uint8), "image must be at least 16x16 pixels, got 300x8 (width x height)"),
    ([[1, 2, 3]], "image must be a numpy.ndarray (H, W, 3) uint8 RGB, got list"),
])
def test_bad_images(image, msg):
    with pytest.raises(InvalidInputError) as e:
        check_image(image)
    assert str(e.value) == msg


def test_non_contiguous_images_are_accepted():
    img = np.zeros((32, 48, 3), np.uint8)[:, ::-1, ::-1]
    assert check_image(img) is img


@pytest.mark.parametrize("ts,last,msg", [
    (10, 10, "timestamp_ms must increase from frame to frame, got 10 after 10; call reset() when starting a new stream"),
    (5, 10, "timestamp_ms must increase from frame to frame, got 5 after 10; call reset() when starting a new stream"),
    (1.5, None, "timestamp_ms must be an int (milliseconds), got 1.5"),
    (True, None, "timestamp_ms must be an int (milliseconds), got True"),
    (-1, None, "timestamp_ms must be >= 0, got -1"),
])
def test_bad_timestamps(ts, last, msg):
    with pytest.raises(InvalidInputError) as e:
        check_timestamp(ts, last)
    assert str(e.value) == msg


def test_numpy_int_timestamps_are_fine():
    assert check_timestamp(np.int64(7), 3) == 7


@pytest.mark.parametrize("box,msg", [
    ((0, 0, 0, 10), "box width and height must be > 0, got w=0.0, h=10.0"),
    ((1, 2, 3), "box must be 4 finite numbers (x, y, w, h) in pixels, got (1, 2, 3)"),
    ("abcd", "box must be (x, y, w, h) numbers in pixels, got 'abcd'"),
    ((500, 0, 10, 10), "box (500, 0, 10, 10) lies outside the 100x80 image"),
    ((0, 0, float("inf"), 10), "box must be 4 finite numbers (x, y, w, h) in pixels, got (0, 0, inf, 10)"),
])
def test_bad_boxes(box, msg):
    with pytest.raises(InvalidInputError) as e:
        check_box(box, 100, 80)
    assert str(e.value) == msg


@pytest.mark.parametrize("kwargs,msg", [
    ({"num_threads": 0}, "PoseOptions.num_threads must be an int in [1, 64], got 0"),
    ({"min_pose_score": 2.0}, "PoseOptions.min_pose_score must be a number >= 0.0 and <= 1.0, got 2.0"),
    ({"acquire_passes": 9}, "PoseOptions.acquire_passes must be an int in [1, 5], got 9"),
    ({"model": 3}, "PoseOptions.model must be a bundled model name, a path or None, got 3"),
    ({"smoothing": {}}, "PoseOptions.smoothing must be a SmoothingOptions, got dict"),
])
def test_bad_pose_options(kwargs, msg):
    with pytest.raises(InvalidInputError) as e:
        PoseOptions(**kwargs)
    assert str(e.value) == msg
