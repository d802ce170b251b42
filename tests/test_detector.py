"""The BlazePose person detector (bundled pose_detection.tflite) decoded in NumPy, and how the
tracker uses it: acquisition, and letting go of a track that settled away from the person."""

import math

import numpy as np
import pytest

from posekit import InvalidInputError, Keypoint, PoseOptions, PoseTracker
from posekit.pose.detector import NUM_BOXES, PersonDetector, anchors, decode
from posekit.pose.roi import Roi, roi_from_landmarks
from posekit.runtime import read_manifest
from tests.test_tracker import frames, mid_hip


@pytest.fixture(scope="module")
def detector():
    return PersonDetector()


@pytest.fixture(scope="module")
def squat(shared_data):
    return frames(shared_data / "workouttracker" / "videos" / "squats" / "squat_11.mp4", 12)


def test_anchors_follow_mediapipes_ssd_grid():
    a = anchors()
    assert a.shape == (NUM_BOXES, 2)
    # stride 8: 28x28 cells, 2 anchors each, row by row; then 14x14 x 2; then 7x7 x 6.
    assert np.allclose(a[0], a[1]) and np.allclose(a[0], [0.5 / 28, 0.5 / 28])
    assert np.allclose(a[2], [1.5 / 28, 0.5 / 28])
    assert np.allclose(a[28 * 28 * 2], [0.5 / 14, 0.5 / 14])
    assert np.allclose(a[-1], [6.5 / 7, 6.5 / 7]) and np.allclose(a[-6], a[-1])


def test_decode_merges_overlapping_boxes_and_drops_low_scores():
    raw = np.zeros((NUM_BOXES, 12), np.float32)
    logits = np.full((NUM_BOXES, 1), -10.0, np.float32)
    a = anchors()
    i, j = 400, 401  # neighbouring anchors: the same box twice
    for k, shift in ((i, 0.0), (j, 2.0)):
        raw[k, :4] = ((0.3 - a[k, 0]) * 224 + shift, (0.4 - a[k, 1]) * 224, 40, 60)
        raw[k, 4:6] = ((0.3 - a[k, 0]) * 224, (0.5 - a[k, 1]) * 224)  # mid-hip
    logits[[i, j], 0] = 3.0, 1.0
    found = decode(raw, logits)
    assert len(found) == 1
    score, box, kps = found[0]
    assert score == pytest.approx(1 / (1 + math.exp(-3.0)))
    assert box[2] - box[0] == pytest.approx(40 / 224, abs=1e-6)
    assert kps[0] == pytest.approx([0.3, 0.5], abs=1e-6)
    logits[[i, j], 0] = -1.0  # below the 0.5 score
    assert decode(raw, logits) == []


def test_detector_finds_the_person_and_turns_the_crop_with_the_body(detector, squat):
    frame = squat[0]
    h, w = frame.shape[:2]
    tracked = PoseTracker(PoseOptions(detector=False)).process(frame, 0)
    dets = detector.detect(frame)
    assert dets and dets[0].score > 0.8
    roi = dets[0].roi
    # Centred near the mid-hip, the whole body inside, turned about as the body's axis is (a
    # squat leans: about -0.4 rad here).
    assert np.hypot(roi.cx - mid_hip(tracked)[0], roi.cy - mid_hip(tracked)[1]) < 0.1 * roi.size
    assert ((roi.to_crop(tracked.xy) > -0.05) & (roi.to_crop(tracked.xy) < 1.05)).mean() > 0.9
    assert abs(roi.rotation - roi_from_landmarks(tracked.xy, tracked.conf).rotation) < 0.3
    # The same frame turned a quarter clockwise: the crop turns with the body.
    turned = np.ascontiguousarray(np.rot90(frame, k=-1))
    d = detector.detect(turned)[0]
    assert abs(d.roi.rotation - (roi.rotation + math.pi / 2)) < 0.15
    assert np.hypot(d.roi.cx - (h - roi.cy), d.roi.cy - roi.cx) < 0.1 * roi.size


def test_no_detection_in_an_empty_or_noisy_frame(detector, rng):
    assert detector.detect(np.zeros((240, 320, 3), np.uint8)) == []
    assert detector.detect(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)) == []


def test_detector_ships_with_a_manifest_entry():
    e = read_manifest()["models"]["pose_detection"]
    assert e["task"] == "detector" and e["input_size"] == 224 and "Apache-2.0" in e["licence"]


def test_a_track_away_from_the_person_moves_to_the_detected_person(squat):
    """A track that settled elsewhere (here placed on the wall by hand, with a presence floor of 0
    so the network's score cannot end it) moves to the detected person at the next check; with
    the checks off it stays where it was."""
    h, w = squat[0].shape[:2]
    results = {}
    for redetect in (1000, 0):
        tr = PoseTracker(PoseOptions(min_pose_score=0.0, redetect_ms=redetect, motion_prior=False))
        first = tr.process(squat[0], 0)
        tr._roi = Roi(w * 0.1, h * 0.15, first.roi.size * 0.5, 0.0)  # a corner of the room
        results[redetect] = [tr.process(f, 1000 + i * 33) for i, f in enumerate(squat[1:6])]
        person = mid_hip(first)
    moved = results[1000][0]
    assert np.hypot(*(mid_hip(moved) - person)) < 0.05 * max(w, h)
    assert moved.track_age == 0  # a new track
    stayed = results[0][0]
    assert np.hypot(*(mid_hip(stayed) - person)) > 0.15 * max(w, h)


def test_detector_options_are_validated():
    with pytest.raises(InvalidInputError, match="PoseOptions.detector must be a bool, got 1"):
        PoseOptions(detector=1)
    with pytest.raises(InvalidInputError, match=r"PoseOptions.redetect_ms must be an int in \[0, 600000\] \(0: never\), got -5"):
        PoseOptions(redetect_ms=-5)
    assert PoseTracker(PoseOptions(detector=False)).detector is None


def test_estimate_without_a_box_uses_the_detector(squat):
    import posekit

    r = posekit.estimate(squat[0])
    tracked = PoseTracker().process(squat[0], 0)
    assert r.score > 0.5
    assert np.hypot(*(r.xy[Keypoint.NOSE] - tracked.xy[Keypoint.NOSE])) < 0.05 * max(squat[0].shape[:2])
