"""Synthetic motion: determinism, rep boundaries, falls, camera framing, exact keypoints in renders."""

import json

import numpy as np
import pytest

from posekit.activity.labels import LABEL_ID
from posekit.keypoints import Keypoint as K
from training.synth.body import BodyShape, forward_kinematics, standing_hip_height
from training.synth.camera import sample_camera, visibility
from training.synth.dataset import camera_from_json, make_sequence, write_dataset
from training.synth.motions import GENERATORS, generate
from training.synth.render import Look, background, render_frame


def knee_angle(k):
    a = k[:, K.LEFT_HIP] - k[:, K.LEFT_KNEE]
    b = k[:, K.LEFT_ANKLE] - k[:, K.LEFT_KNEE]
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def test_standing_body_has_plausible_proportions():
    shape = BodyShape()
    k = forward_kinematics(shape, {}, np.array([0, standing_hip_height(shape), 0]), np.eye(3))
    assert k[K.NOSE, 1] == pytest.approx(1.6, abs=0.1)
    assert k[K.LEFT_SHOULDER, 0] > 0 > k[K.RIGHT_SHOULDER, 0]  # x = the person's left
    assert k[K.NOSE, 2] > k[K.LEFT_EAR, 2]  # the face looks forward (+z)
    assert k[K.LEFT_ANKLE, 1] == pytest.approx(0.08, abs=1e-6)


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_every_motion_is_deterministic_and_well_formed(kind):
    a, arr_a = make_sequence(kind, 123, seconds=4.0)
    b, arr_b = make_sequence(kind, 123, seconds=4.0)
    assert np.array_equal(arr_a["kps2d"], arr_b["kps2d"])
    assert np.array_equal(arr_a["noisy"], arr_b["noisy"], equal_nan=True)
    assert a.kps3d.shape == (120, 33, 3) and np.isfinite(a.kps3d).all()
    assert a.labels.shape == (120,)
    assert a.kps3d[..., 1].min() > -0.15  # nothing sinks through the floor


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_no_motion_teleports_the_body(kind):
    # Hip centre speed between frames (m/s): a fall hits the floor at 3-4 m/s, running stays near
    # 3. A jump between two phases of a motion (a seated body lifted by a chair's height at a
    # fall's onset, a crouch placed straight onto the floor) reads as 6-14 m/s and fakes a fall.
    for seed in range(6):
        m, _ = make_sequence(kind, 200 + seed, seconds=8.0)
        hip = m.kps3d[:, [K.LEFT_HIP, K.RIGHT_HIP]].mean(1)
        assert np.linalg.norm(np.diff(hip, axis=0), axis=-1).max() * m.fps < 5.0, (m.name, seed)


@pytest.mark.parametrize("kind", ["squat", "push_up", "sit_up", "jumping_jack", "bench_press"])
def test_rep_boundaries_match_joint_angle_extrema(kind):
    m = generate(kind, np.random.default_rng(5), seconds=12.0)
    assert len(m.reps) >= 3
    k = m.kps3d
    if kind in ("squat",):
        signal = knee_angle(k)  # minimum at the bottom
    elif kind == "push_up":
        signal = k[:, K.LEFT_SHOULDER, 1]  # chest lowest at the bottom
    elif kind == "sit_up":
        signal = -k[:, K.LEFT_SHOULDER, 1]  # shoulders highest at the top of the curl
    elif kind == "jumping_jack":
        signal = -k[:, K.LEFT_WRIST, 1]
    else:
        signal = k[:, K.LEFT_WRIST, 1]  # bar lowest at the chest
    for r in m.reps:
        seg = signal[r.start:r.end + 1]
        extreme = r.start + int(np.argmin(seg))
        assert abs(extreme - r.bottom) <= max(3, 0.1 * (r.end - r.start)), (r, extreme)
        assert signal[r.bottom] < min(signal[r.start], signal[r.end])


def test_partial_reps_are_shallower_than_full_reps():
    found = False
    for seed in range(20):
        m = generate("squat", np.random.default_rng(seed), seconds=20.0)
        full = [knee_angle(m.kps3d[r.bottom:r.bottom + 1])[0] for r in m.reps if not r.partial and not r.faults]
        part = [knee_angle(m.kps3d[r.bottom:r.bottom + 1])[0] for r in m.reps if r.partial]
        if full and part:
            assert min(part) > max(full) + 20  # partial reps bend the knee much less
            found = True
            break
    assert found


@pytest.mark.parametrize("direction", ["forward", "backward", "left", "right"])
@pytest.mark.parametrize("from_sitting", [False, True])
def test_falls_end_lying_on_the_floor(direction, from_sitting):
    from training.synth.motions import fall

    m = fall(np.random.default_rng(1), BodyShape(), 30.0, 6.0, direction=direction, from_sitting=from_sitting)
    assert 0 < m.fall_onset < m.fall_impact < len(m.kps3d)
    assert m.fall_impact - m.fall_onset < 45  # falling takes well under 1.5 s
    end = m.kps3d[-1]
    torso = end[K.LEFT_SHOULDER] + end[K.RIGHT_SHOULDER] - end[K.LEFT_HIP] - end[K.RIGHT_HIP]
    assert abs(torso[1]) / np.linalg.norm(torso) < 0.3  # torso horizontal
    assert end[:, 1].max() < 0.7  # everything near the floor
    assert m.labels[m.fall_onset] == LABEL_ID["fall"]
    assert m.labels[-1] == LABEL_ID["sitting_lying"]


def test_camera_keeps_motion_inside_frame():
    for seed in range(10):
        m, arr = make_sequence(["squat", "walking", "fall", "push_up"][seed % 4], seed, seconds=5.0)
        xy = arr["kps2d"][..., :2]
        w, h = arr["image_size"]
        assert (xy[..., 0] >= 0).all() and (xy[..., 0] < w).all()
        assert (xy[..., 1] >= 0).all() and (xy[..., 1] < h).all()


def test_visibility_hides_far_side_in_side_view():
    rng = np.random.default_rng(0)
    m = generate("standing", rng, seconds=1.0)
    cam = sample_camera(rng, m.kps3d, view="side")
    vis = visibility(m.kps3d, cam)
    left, right = vis[:, K.LEFT_ELBOW].mean(), vis[:, K.RIGHT_ELBOW].mean()
    assert min(left, right) < 0.5 < max(left, right)


def test_render_has_body_exactly_at_reported_keypoints():
    m, arr = make_sequence("squat", 3, seconds=3.0)
    cam = camera_from_json(str(arr["camera"]))
    look = Look.sample(np.random.default_rng(0))
    bg = background(cam, look)
    t = m.reps[0].bottom if m.reps else 45
    frame = render_frame(m.kps3d[t], cam, m.shape, look, bg, None).astype(int)
    bgi = np.clip(bg, 0, 255).astype(np.uint8).astype(int)
    xy = arr["kps2d"][t]
    body = [K.LEFT_SHOULDER, K.RIGHT_SHOULDER, K.LEFT_HIP, K.RIGHT_HIP, K.LEFT_KNEE, K.RIGHT_KNEE, K.NOSE]
    for kp in body:
        x, y = int(xy[kp, 0]), int(xy[kp, 1])
        assert np.abs(frame[y, x] - bgi[y, x]).sum() > 30, kp  # the body covers its own keypoint
    # A point well away from the body shows the background.
    x0 = int(xy[:, 0].min() - 40)
    if x0 > 0:
        y0 = int(xy[:, 1].mean())
        assert np.abs(frame[y0, x0] - bgi[y0, x0]).sum() < 20


def test_noise_marks_missed_frames_as_nan():
    _, arr = make_sequence("walking", 11, seconds=10.0)
    noisy = arr["noisy"]
    missing = np.isnan(noisy).all(axis=(1, 2))
    assert 0 < missing.sum() < 0.1 * len(noisy)
    ok = ~missing
    err = np.linalg.norm(noisy[ok, :, :2] - arr["kps2d"][ok, :, :2], axis=-1)
    assert 0 < np.median(err) < 10  # pixels: jitter, not garbage


def test_dataset_writer_is_resumable(tmp_path):
    n = write_dataset(tmp_path, 1, 2.0, 30.0, ["squat", "fall"], mp4=True)
    assert n == 2
    assert write_dataset(tmp_path, 1, 2.0, 30.0, ["squat", "fall"], mp4=False) == 0
    d = np.load(tmp_path / "fall_0000.npz")
    assert d["kps2d"].shape == (60, 33, 3) and int(d["fall"][0]) > 0
    assert (tmp_path / "squat_0000.mp4").stat().st_size > 1000
    assert json.loads(str(d["camera"]))["width"] == 480
