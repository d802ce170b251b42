"""PoseTracker, estimate() and Session on real frames (bundled model, real videos from ../shared/data)."""

import numpy as np
import pytest

import posekit
from posekit import InvalidInputError, Keypoint, PoseModel, PoseOptions, PoseTracker, Session, SmoothingOptions
from posekit.video import FrameSource

#: Mid-hip agreement with a fresh tracker after a cut, as a fraction of the frame's longer side.
REACQUIRE_TOL = 0.08
#: Minimum PCK@0.5 of posekit.estimate() on 40 held-back LSPET images (see the test).
PCK05_FLOOR = 0.45


def frames(path, n, step=1, right_half=False):
    out = []
    with FrameSource(path) as src:
        for i, f in enumerate(src):
            if i % step:
                continue
            img = f.rgb[:, f.rgb.shape[1] // 2:] if right_half else f.rgb
            out.append(np.ascontiguousarray(img))
            if len(out) == n:
                break
    return out


def mid_hip(r):
    return (r.xy[Keypoint.LEFT_HIP] + r.xy[Keypoint.RIGHT_HIP]) / 2


@pytest.fixture(scope="module")
def squat_frames(shared_data):
    return frames(shared_data / "workouttracker" / "videos" / "squats" / "squat_11.mp4", 40)


@pytest.fixture(scope="module")
def fall_frames(shared_data):
    return frames(shared_data / "urfd" / "fall-01-cam0.mp4", 70, right_half=True)


def test_tracker_keeps_the_person_across_frames(squat_frames):
    tr = PoseTracker()
    results = [tr.process(f, i * 33) for i, f in enumerate(squat_frames)]
    found = [r for r in results if r is not None]
    assert len(found) >= 0.9 * len(results)
    hips = np.array([mid_hip(r) for r in found])
    h, w = squat_frames[0].shape[:2]
    # The person does not teleport: mid-hip moves less than 5% of the frame per frame.
    assert np.max(np.linalg.norm(np.diff(hips, axis=0), axis=1)) < 0.05 * max(h, w)
    r = found[-1]
    assert r.xy.shape == (33, 2) and r.xy.dtype == np.float32
    assert r.conf.shape == (33,) and (0 <= r.conf).all() and (r.conf <= 1).all()
    assert np.allclose(r.xyn, r.xy / np.array([w, h]), atol=1e-6)
    assert r.image_size == (w, h) and r.timestamp_ms == (len(results) - 1) * 33
    # The tracking ROI contains the person's torso.
    uv = r.roi.to_crop(r.xy[[Keypoint.LEFT_SHOULDER, Keypoint.RIGHT_SHOULDER, Keypoint.LEFT_HIP, Keypoint.RIGHT_HIP]])
    assert (uv > 0).all() and (uv < 1).all()


def test_acquisition_refines_with_the_crops_own_rotation(fall_frames):
    """Refinement passes keep the starting crop's rotation instead of turning by each guess's body
    axis (a wrong first guess on URFD fall-01's small person once turned the crop sideways and the
    tracker followed furniture); this pins the mechanism."""
    import dataclasses

    from posekit.pose.roi import full_frame_roi
    from posekit.pose.tracker import _refine

    model = PoseTracker().model
    seen = []
    predict = model.predict
    model.predict = lambda image, roi: seen.append(roi) or predict(image, roi)
    h, w = fall_frames[0].shape[:2]
    for rot in (0.0, 0.7):
        seen.clear()
        xy, vis, score, roi = _refine(model, fall_frames[0], dataclasses.replace(full_frame_roi(w, h), rotation=rot), 3)
        assert len(seen) >= 2 and len({(r.cx, r.cy, r.size) for r in seen}) == len(seen)  # it did refine
        assert all(r.rotation == rot for r in seen) and roi in seen and xy.shape == (33, 2)


def test_track_age_counts_frames_since_acquisition(squat_frames):
    from posekit.activity.streaming import SETTLE_FRAMES, settled

    tr = PoseTracker()
    ages = [tr.process(f, i * 33).track_age for i, f in enumerate(squat_frames[:12])]
    assert ages == list(range(12))
    tr.reset()
    first = tr.process(squat_frames[0], 0)
    assert first.track_age == 0 and not settled(first) and not settled(None)
    assert settled(posekit.estimate(squat_frames[0]))  # single images carry no track age
    assert [settled(r) for r in (tr.process(f, (i + 1) * 33) for i, f in enumerate(squat_frames[1:12]))] == \
        [i + 1 >= SETTLE_FRAMES for i in range(11)]


def test_tracker_reacquires_after_a_cut(squat_frames, fall_frames):
    """After a cut to another scene the tracker ends up where a fresh tracker does (both find
    URFD fall-01's person once it has moved for a while: compared over frames 50-69)."""
    tr = PoseTracker(PoseOptions(smoothing=SmoothingOptions(enabled=False)))
    t = 0
    for f in squat_frames[:10]:
        tr.process(f, t)
        t += 33
    after = []
    for f in fall_frames:
        after.append(tr.process(f, t))
        t += 33
    fresh = PoseTracker(PoseOptions(smoothing=SmoothingOptions(enabled=False)))
    ref = [fresh.process(f, i * 33) for i, f in enumerate(fall_frames)]
    h, w = fall_frames[0].shape[:2]
    pairs = [(a, b) for a, b in zip(after[50:], ref[50:]) if a is not None and b is not None]
    assert len(pairs) >= 5
    for a, b in pairs:
        assert np.linalg.norm(mid_hip(a) - mid_hip(b)) < REACQUIRE_TOL * max(h, w)
    # The cut itself is seen: the first frame of the new shot is acquired afresh, in shot 1.
    assert tr.shot == 1 and fresh.shot == 0
    assert all(r.shot == 1 for r in after if r is not None)
    assert after[0] is None or after[0].track_age == 0


def test_cut_detection_can_be_turned_off(squat_frames, fall_frames):
    tr = PoseTracker(PoseOptions(cut_detection=False))
    rs = [tr.process(f, i * 33) for i, f in enumerate(squat_frames[:5] + fall_frames[:5])]
    assert tr.shot == 0 and all(r.shot == 0 for r in rs if r is not None)
    with pytest.raises(InvalidInputError, match="PoseOptions.cut_detection must be a bool, got 1"):
        PoseOptions(cut_detection=1)


def test_reset_allows_timestamps_to_restart(squat_frames):
    tr = PoseTracker()
    tr.process(squat_frames[0], 100)
    with pytest.raises(InvalidInputError, match="timestamp_ms must increase from frame to frame, got 100 after 100"):
        tr.process(squat_frames[1], 100)
    tr.reset()
    assert not tr.tracking
    tr.process(squat_frames[1], 0)


def test_tracker_rejects_bad_frames():
    tr = PoseTracker()
    with pytest.raises(InvalidInputError) as e:
        tr.process(np.zeros((64, 64, 4), np.uint8), 0)
    assert str(e.value).startswith("frame must have shape (H, W, 3) RGB, got shape (64, 64, 4): RGBA")


def test_empty_frame_gives_no_person():
    tr = PoseTracker()
    assert tr.process(np.zeros((240, 320, 3), np.uint8), 0) is None
    assert not tr.tracking


def test_estimate_single_image(shared_data):
    import cv2
    import scipy.io

    from posekit.keypoints import LSP14

    joints = scipy.io.loadmat(str(shared_data / "lspet" / "joints.mat"))["joints"]
    hits = total = 0
    for i in range(5000, 5040):  # held-back images
        img = cv2.imread(str(shared_data / "lspet" / "images" / f"im{i + 1:05d}.jpg"))[:, :, ::-1]
        h, w = img.shape[:2]
        j = joints[:, :, i]
        inside = [(x, y, kp) for (x, y, _), kp in zip(j, LSP14) if kp is not None and 0 <= x < w and 0 <= y < h]
        xs = [p[0] for p in inside]
        ys = [p[1] for p in inside]
        box = (min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)
        r = posekit.estimate(img, box=box)
        torso = np.hypot(*(j[9, :2] - j[2, :2]))
        for x, y, kp in inside:
            total += 1
            hits += np.hypot(*(r.xy[kp] - (x, y))) <= 0.5 * torso
    # PCK@0.5 from a box: a regression floor under the measured figure (0.48 on the whole held-back
    # split, benchmarks/RESULTS.md; 0.56 on these 40 images); a broken model scores ~0.05.
    assert hits / total > PCK05_FLOOR


def test_estimate_accepts_views_and_validates_box():
    img = np.zeros((120, 160, 3), np.uint8)
    r = posekit.estimate(img[:, ::-1])
    assert r.xy.shape == (33, 2)
    with pytest.raises(InvalidInputError, match=r"box width and height must be > 0, got w=-5.0, h=10.0"):
        posekit.estimate(img, box=(0, 0, -5, 10))


def test_session_process_returns_frame_result(squat_frames):
    with Session() as s:
        r = s.process(squat_frames[0], 0)
        assert r.pose is not None and "pose" in r.timings_ms
        d = r.to_dict()
        assert d["timestamp_ms"] == 0 and len(d["keypoints"]) == 33


def test_session_marks_the_shot_of_every_frame(squat_frames, fall_frames):
    """A cut from the squat clip to URFD's room: every frame after it is in shot 1, including
    frames without a person, and the activity stage is told (its next analysis splits there)."""
    from posekit import ActivityTracker

    at = ActivityTracker(activity_model=False)
    with Session(activity=at) as s:
        shots = [s.process(f, i * 33).shot for i, f in enumerate(squat_frames[:10] + fall_frames[:10])]
    assert shots == [0] * 10 + [1] * 10
    assert at._shots == shots


def test_fall_01_from_pixels_streams_one_fall_at_the_labelled_onset(shared_data):
    """Issue #6's from-pixels target, live: URFD fall-01 (RGB half) through Session with the
    bundled models gives one fall event within 1 s of the labelled onset (frame 83), and the track
    is the person's, found where the picture moves. (The earlier, from-scratch student held the
    furniture from the first frame and needed the stale-track rule here; the rule has its own
    test below.)"""
    from posekit.activity.streaming import ActivityTracker
    from training.eval_activity import URFD_LYING_FRAME, URFD_ONSET_FRAME

    session = Session(activity=ActivityTracker())
    tr = session.tracker
    calls = {"found_in_motion": []}
    in_motion = tr._acquire_in_motion

    def spy_in_motion(frame):
        got = in_motion(frame)
        if got is not None:
            calls["found_in_motion"].append(got[3])
        return got

    tr._acquire_in_motion = spy_in_motion
    events, hips, sent_s = [], [], []
    with FrameSource(shared_data / "urfd" / "fall-01-cam0.mp4") as src:
        for f in src:
            r = session.process(np.ascontiguousarray(f.rgb[:, f.rgb.shape[1] // 2:]), f.timestamp_ms)
            events += r.activity.new_falls
            sent_s += [f.timestamp_ms / 1000.0] * len(r.activity.new_falls)
            hips.append(mid_hip(r.pose) if r.pose is not None else (np.nan, np.nan))
    # The clip ends 1.9 s after the labelled lying begins. The alert is sent live, before it ends:
    # within the detector's confirmation time plus one reading (every 20 frames) of the impact.
    # A fall it is sure of waits 1.0 s from the first impact read (3.4 s; read later at 4.07 s
    # with more of the clip), which sent this one 0.63 s after the labelled lying; the classifier
    # retrained on MD4FD read in its own joint order is less sure of it (P(fall) 0.65 against
    # 0.96), so it waits confirm_s: 1.53 s after the lying (docs/evidence/falls.md).
    events += session.flush().new_falls
    onset = URFD_ONSET_FRAME / src.fps
    assert len(events) == 1 and abs(events[0].onset_s - onset) <= 1.0, events
    wait = session.activity.fall_options.confirm_s + 20 / src.fps
    assert len(sent_s) == 1 and URFD_LYING_FRAME / src.fps < sent_s[0] <= events[0].impact_s + wait, sent_s
    assert calls["found_in_motion"], calls
    # Standing, the person's hips are right of the doorway (x > 150 of 320); the desk is left of it.
    assert np.nanmedian(np.array(hips)[40:70, 0]) > 150


def test_a_still_track_while_the_picture_moves_elsewhere_goes_stale_after_a_second():
    """The stale-track rule on real motion maps: a square moves in the right half of the picture
    while the track's crop covers the still left half; after ``STALE_MS`` the track is stale
    (and the clock restarts), never while the crop holds the motion or nothing moves."""
    from posekit.pose.roi import Roi
    from posekit.pose.tracker import STALE_MS

    def stale_times(roi):
        tr, out = PoseTracker(), []
        for i in range(60):
            ts = i * 33
            frame = np.full((240, 320, 3), 90, np.uint8)
            if i >= 10:  # still for the first frames, then a square sweeps up and down on the right
                y = 40 + (i * 7) % 140
                frame[y:y + 40, 220:260] = 230
            tr._motion.update(frame, ts)
            if tr._stale(roi, ts):
                out.append(ts)
        return out

    stale = {"left": stale_times(Roi(80, 120, 140)), "right": stale_times(Roi(240, 120, 140))}
    assert stale["right"] == []
    assert stale["left"] and STALE_MS <= stale["left"][0] - 10 * 33 <= STALE_MS + 200
    assert all(b - a >= STALE_MS for a, b in zip(stale["left"], stale["left"][1:]))  # re-checked once per STALE_MS


def test_motion_prior_option_is_validated():
    with pytest.raises(InvalidInputError, match="PoseOptions.motion_prior must be a bool, got 'yes'"):
        PoseOptions(motion_prior="yes")
    assert PoseTracker(PoseOptions(motion_prior=False))._motion is None


class _Nudged(PoseModel):
    """The real model, its landmarks moved by ``eps`` pixels at its ``at``-th call (as another
    CPU's kernels, or one frame's noise, might move them)."""

    def __init__(self, at: int, eps: float, **kw) -> None:
        super().__init__(**kw)
        self.calls, self.at, self.eps = 0, at, eps

    def predict(self, image, roi):
        xy, vis, score = super().predict(image, roi)
        self.calls += 1
        return (xy + self.eps if self.calls == self.at else xy), vis, score


def _track(model: PoseModel, frames) -> np.ndarray:
    tracker = PoseTracker(PoseOptions(), model=model)
    out = []
    for rgb, ts in frames:
        r = tracker.process(rgb, ts)
        out.append(r.xy if r is not None else np.full((33, 2), np.nan))
    return np.array(out)


def test_a_tiny_difference_does_not_grow_along_the_tracking_loop():
    """Each crop comes from the previous frame's keypoints. A thousandth of a pixel in one frame
    grew about 5x a frame, to 29 px within a second on the sample clip; XNNPACK and LiteRT's
    built-in kernels, 3e-4 px apart on one crop, gave skeletons 32 px apart. Both stay within a
    pixel now, over the whole clip."""
    from posekit.cli import sample_clip

    with FrameSource(sample_clip()) as src:
        frames = [(f.rgb.copy(), f.timestamp_ms) for f, _ in zip(src, range(240))]
    base = _track(PoseModel(), frames)
    nudged = _track(_Nudged(10, 1e-3), frames)
    builtin = _track(PoseModel(xnnpack=False), frames)
    assert np.isfinite(base).mean() > 0.9
    assert np.nanmax(np.abs(nudged - base)) < 1.0
    assert np.nanmax(np.abs(builtin - base)) < 1.0
    assert (np.isnan(builtin) == np.isnan(base)).all()
