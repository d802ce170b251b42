import math

import numpy as np
import pytest

from posekit.keypoints import Keypoint
from posekit.pose.roi import ROI_SCALE, Roi, crop, full_frame_roi, roi_from_box, roi_from_landmarks

TOL_PX = 1e-3


def upright_body(cx=200.0, hip_y=300.0, torso=100.0):
    xy = np.zeros((33, 2))
    xy[:] = (cx, hip_y - 1.6 * torso)  # face points at the head
    xy[Keypoint.LEFT_SHOULDER] = (cx + 30, hip_y - torso)
    xy[Keypoint.RIGHT_SHOULDER] = (cx - 30, hip_y - torso)
    xy[Keypoint.LEFT_HIP] = (cx + 20, hip_y)
    xy[Keypoint.RIGHT_HIP] = (cx - 20, hip_y)
    for kp, dy in ((Keypoint.LEFT_KNEE, 1.0), (Keypoint.LEFT_ANKLE, 2.0), (Keypoint.LEFT_HEEL, 2.1),
                   (Keypoint.LEFT_FOOT_INDEX, 2.1)):
        xy[kp] = (cx + 20, hip_y + dy * torso)
        xy[kp + 1] = (cx - 20, hip_y + dy * torso)
    for kp in (Keypoint.LEFT_ELBOW, Keypoint.LEFT_WRIST, Keypoint.LEFT_PINKY, Keypoint.LEFT_INDEX, Keypoint.LEFT_THUMB):
        xy[kp] = (cx + 35, hip_y - 0.3 * torso)
        xy[kp + 1] = (cx - 35, hip_y - 0.3 * torso)
    return xy


def test_roi_round_trip():
    roi = Roi(120.0, 80.0, 64.0, 0.7)
    uv = np.random.default_rng(0).random((33, 2))
    assert np.allclose(roi.to_crop(roi.to_image(uv)), uv, atol=1e-5)
    assert np.allclose(roi.to_image([[0.5, 0.5]]), [[120.0, 80.0]], atol=TOL_PX)


def test_rotation_convention_up_vector():
    # rotation r: the crop's up direction (0, -1) maps to (sin r, -cos r) in image pixels.
    roi = Roi(0.0, 0.0, 2.0, math.pi / 2)
    top = roi.to_image([[0.5, 0.0]])[0]
    assert np.allclose(top, [1.0, 0.0], atol=1e-6)


def test_roi_from_landmarks_upright_centres_on_mid_hip():
    xy = upright_body()
    roi = roi_from_landmarks(xy, np.ones(33))
    assert roi.cx == pytest.approx(200.0) and roi.cy == pytest.approx(300.0)
    assert roi.rotation == pytest.approx(0.0, abs=1e-9)
    # Farthest confident keypoint: foot at 2.1 torso (+20 px sideways) -> side = 2.5 x radius.
    radius = math.hypot(20, 210)
    assert roi.size == pytest.approx(radius * ROI_SCALE)
    uv = roi.to_crop(xy)
    assert (uv >= 0).all() and (uv <= 1).all()


@pytest.mark.parametrize("angle", [math.pi / 2, -math.pi / 2, math.pi, 0.3])
def test_roi_from_landmarks_rotated_body_is_upright_in_crop(angle):
    xy = upright_body()
    c, s = math.cos(angle), math.sin(angle)
    hip = np.array([200.0, 300.0])
    rot = (xy - hip) @ np.array([[c, -s], [s, c]]).T + hip
    roi = roi_from_landmarks(rot, np.ones(33))
    assert math.remainder(roi.rotation - angle, 2 * math.pi) == pytest.approx(0.0, abs=1e-6)
    uv = roi.to_crop(rot)
    # In the crop the shoulders are above the hips and the body is centred on the mid-hip.
    assert uv[Keypoint.LEFT_SHOULDER, 1] < uv[Keypoint.LEFT_HIP, 1]
    mid_hip = (uv[Keypoint.LEFT_HIP] + uv[Keypoint.RIGHT_HIP]) / 2
    assert np.allclose(mid_hip, [0.5, 0.5], atol=1e-5)


def test_low_confidence_points_do_not_grow_the_roi():
    xy = upright_body()
    conf = np.ones(33)
    far = xy.copy()
    far[Keypoint.LEFT_WRIST] = (2000, 2000)
    conf[Keypoint.LEFT_WRIST] = 0.05
    assert roi_from_landmarks(far, conf).size == pytest.approx(roi_from_landmarks(xy, conf).size)


def test_folded_body_keeps_minimum_size():
    xy = upright_body()
    xy[:] = xy[Keypoint.LEFT_HIP]
    xy[Keypoint.LEFT_SHOULDER] = xy[Keypoint.RIGHT_SHOULDER] = (200, 200)
    xy[Keypoint.LEFT_HIP] = xy[Keypoint.RIGHT_HIP] = (200, 300)
    roi = roi_from_landmarks(xy, np.ones(33))
    assert roi.size >= 1.6 * 100 * ROI_SCALE - 1e-6


def test_box_and_full_frame_rois():
    assert roi_from_box((10, 20, 100, 200)).as_tuple() == (60.0, 120.0, 250.0, 0.0)
    assert full_frame_roi(640, 480).as_tuple() == (320.0, 240.0, 640.0, 0.0)


def test_crop_samples_the_right_pixels():
    img = np.zeros((100, 200, 3), np.uint8)
    img[40:60, 90:110] = (255, 0, 0)  # red square centred at (100, 50)
    out = crop(img, Roi(100.0, 50.0, 20.0, 0.0), 20)
    assert out.dtype == np.float32 and out.shape == (20, 20, 3)
    assert np.allclose(out[..., 0], 1.0, atol=1e-6) and np.allclose(out[..., 1:], 0.0)
    # A crop hanging off the image edge reads black there.
    edge = crop(img, Roi(0.0, 0.0, 40.0, 0.0), 40)
    assert edge[:15, :15].max() == 0.0


def test_crop_rotation_matches_roi_mapping(rng):
    img = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    roi = Roi(80.0, 60.0, 50.0, 0.9)
    out = crop(img, roi, 50)
    # Pixel (i, j) of the crop samples the image at roi.to_image((j + .5, i + .5) / 50).
    for i, j in [(10, 10), (25, 30), (40, 5)]:
        x, y = roi.to_image([[(j + 0.5) / 50, (i + 0.5) / 50]])[0]
        xi, yi = int(round(x - 0.5)), int(round(y - 0.5))
        near = img[yi - 1:yi + 2, xi - 1:xi + 2].reshape(-1, 3) / 255.0
        assert np.all(out[i, j] >= near.min(0) - 1e-6) and np.all(out[i, j] <= near.max(0) + 1e-6)


@pytest.mark.parametrize("view", ["bgr_to_rgb", "mirror", "bgr_to_rgb_mirror", "sub_window", "every_other_row"])
@pytest.mark.parametrize("roi", [Roi(40.0, 30.0, 50.0, 0.3), Roi(40.0, 30.0, 200.0, 0.3), Roi(5.0, 70.0, 60.0, -1.0)],
                         ids=["bilinear", "nearest", "off_edge"])
def test_crop_reads_strided_views_exactly_as_their_copy(rng, view, roi):
    """Video readers hand out ``bgr[..., ::-1]`` (and mirrored) views; crop gathers from the frame's
    own memory for those and must read the same pixels as from a contiguous copy."""
    img = rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)
    v = {"bgr_to_rgb": img[..., ::-1], "mirror": img[:, ::-1], "bgr_to_rgb_mirror": img[..., ::-1][:, ::-1],
         "sub_window": rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)[10:100, 20:140],
         "every_other_row": rng.integers(0, 255, (180, 120, 3), dtype=np.uint8)[::2]}[view]
    assert not v.flags.c_contiguous
    out = crop(v, roi, 32)
    assert out.flags.c_contiguous  # what the interpreter's input copy reads fastest
    assert np.array_equal(out, crop(np.ascontiguousarray(v), roi, 32))


@pytest.mark.parametrize("cx", [200.0, 20.0])  # fully inside the frame, and hanging off its edge
def test_decimating_crop_takes_nearest_pixels(rng, cx):
    img = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    roi = Roi(cx, 150.0, 200.0, 0.4)  # 200 px -> 32 px: nearest taps
    out = crop(img, roi, 32)
    for i, j in [(0, 0), (5, 17), (31, 31), (16, 16)]:
        x, y = roi.to_image([[(j + 0.5) / 32, (i + 0.5) / 32]])[0]
        xi, yi = int(np.floor(x)), int(np.floor(y))
        want = img[yi, xi] / 255.0 if (0 <= xi < 400 and 0 <= yi < 300) else np.zeros(3)
        assert np.allclose(out[i, j], want, atol=1e-6)


def test_decimating_crop_of_a_frame_over_2_24_pixels_reads_the_right_pixels():
    """Flat pixel indices past 2**24 are not exact in float32; such frames take the integer path."""
    img = np.zeros((4100, 4200, 3), np.uint8)
    img[:, 1::2] = 255  # odd columns white: an index off by one reads the wrong colour
    roi = Roi(4140.0, 4040.0, 80.0, 0.0)  # flat indices ~1.7e7, 5 px per crop px: nearest taps
    out = crop(img, roi, 16)
    g = (np.arange(16) + 0.5) / 16
    xy = roi.to_image(np.stack(np.meshgrid(g, g), -1).reshape(-1, 2))
    want = img[np.floor(xy[:, 1]).astype(int), np.floor(xy[:, 0]).astype(int)].reshape(16, 16, 3) / 255.0
    assert 0 < want.mean() < 1 and np.array_equal(out, want.astype(np.float32))


def test_bilinear_crop_matches_the_bilinear_formula(rng):
    """Inside the frame, each crop pixel is the bilinear interpolation of the four pixels around
    the point its centre maps to (pixel centres at k + 0.5), written out here per pixel."""
    img = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8).astype(np.float64)
    roi = Roi(80.0, 60.0, 70.0, 0.7)  # 70 px -> 48 px: bilinear, inside the frame
    out = crop(img.astype(np.uint8), roi, 48)
    for i, j in [(0, 0), (3, 40), (24, 24), (47, 11), (47, 47)]:
        x, y = roi.to_image([[(j + 0.5) / 48, (i + 0.5) / 48]])[0] - 0.5
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        fx, fy = x - x0, y - y0
        top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
        bottom = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
        assert np.allclose(out[i, j], (top * (1 - fy) + bottom * fy) / 255.0, atol=2e-5)


@pytest.mark.parametrize("roi", [Roi(40.0, 30.0, 50.0, 0.3), Roi(40.0, 30.0, 200.0, 0.3), Roi(5.0, 70.0, 60.0, -1.0)],
                         ids=["bilinear", "nearest", "off_edge"])
def test_crop_into_a_given_buffer(rng, roi):
    """``out=`` (how PoseModel crops straight into its input tensor) gives the same pixels."""
    img = rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)
    tensor = np.full((1, 32, 32, 3), 7.0, np.float32)
    got = crop(img[..., ::-1], roi, 32, out=tensor[0])
    assert np.shares_memory(got, tensor) and np.array_equal(tensor[0], crop(img[..., ::-1], roi, 32))


def test_crops_on_two_threads_do_not_share_scratch(rng):
    """The bilinear sampler reuses per-thread buffers: crops of two sizes on two threads at once
    must each equal the same crop made alone."""
    import threading

    img = rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)
    rois = [Roi(40.0 + k, 30.0, 50.0, 0.1 * k) for k in range(20)]
    want = {s: [crop(img, r, s) for r in rois] for s in (32, 48)}
    bad = []

    def work(size):
        for _ in range(5):
            bad.extend(k for k, r in enumerate(rois) if not np.array_equal(crop(img, r, size), want[size][k]))

    threads = [threading.Thread(target=work, args=(s,)) for s in (32, 48)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []
