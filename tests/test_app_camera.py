"""The demo app's camera layer (app/camera.py): Android preview frames (NV21) decoded in NumPy as
OpenCV decodes them, and the desktop path's errors. The Android provider itself needs a phone."""

import numpy as np
import pytest

from app.camera import nv21_to_rgb, on_android, open_camera


def to_nv21(rgb):
    import cv2

    h, w = rgb.shape[:2]
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).reshape(-1)
    y, u, v = i420[:h * w], i420[h * w:h * w * 5 // 4], i420[h * w * 5 // 4:]
    return np.concatenate([y, np.stack([v, u], 1).reshape(-1)])


def test_nv21_decodes_like_opencv(shared_data):
    import cv2

    from tests.test_tracker import frames

    rgb = frames(shared_data / "workouttracker" / "videos" / "squats" / "squat_11.mp4", 1)[0][:480, :640]
    nv21 = to_nv21(np.ascontiguousarray(rgb))
    ours = nv21_to_rgb(nv21.tobytes(), 640, 480)
    ref = cv2.cvtColor(nv21.reshape(720, 640), cv2.COLOR_YUV2RGB_NV21)
    assert ours.shape == (480, 640, 3) and ours.dtype == np.uint8
    assert np.abs(ours.astype(int) - ref).max() <= 2
    assert np.abs(ours.astype(int) - rgb).mean() < 4  # chroma subsampling loses a little


def test_nv21_rejects_a_short_or_odd_frame():
    with pytest.raises(ValueError, match="an NV21 frame of 640x480 needs 460800 bytes and even sides, got 100 bytes"):
        nv21_to_rgb(b"\0" * 100, 640, 480)
    with pytest.raises(ValueError, match="even sides"):
        nv21_to_rgb(b"\0" * 10_000, 63, 48)


def test_desktop_camera_that_is_not_there_says_so():
    assert not on_android()
    with pytest.raises(RuntimeError, match="camera 97 could not be opened"):
        open_camera(97)
