"""Reading other estimators' keypoints: layouts, normalisations, missing joints, timestamps."""

import warnings

import numpy as np
import pytest

import posekit
from posekit.activity import ActivityTracker, analyze_keypoints, to_body13
from posekit.activity.inputs import box_normalised, centred_per_frame, frame_centred, minmax_per_frame
from posekit.errors import InputWarning, InvalidInputError
from posekit.keypoints import BODY13, BODY25, COCO17, OPENPOSE18, Keypoint, indices
from posekit.pose.roi import Roi
from posekit.types import PoseResult
from tests.activity.helpers import REP_TOL, true_reps, variable_rate
from training.synth.dataset import make_sequence


def test_pixels_and_normalised_coordinates_agree():
    """With the image size, normalised coordinates read as the pixels do. Without it the body is
    squeezed sideways (by 0.75 here), which the rep phase model, reading the body's proportions,
    sees: warned, and at most a rep apart (3 and 3 of 5 at db8165a; 4 and 3 before the phase
    signal's jitter check)."""
    m, arr = make_sequence("squat", 101, seconds=15.0)
    px = arr["noisy"]
    norm = px.copy()
    norm[..., 0] /= 480
    norm[..., 1] /= 360
    assert analyze_keypoints(px, 30.0).reps_total == analyze_keypoints(norm, 30.0, image_size=(480, 360)).reps_total
    with pytest.warns(InputWarning, match="normalised by the image size"):
        assert abs(analyze_keypoints(px, 30.0).reps_total - analyze_keypoints(norm, 30.0).reps_total) <= 1


def test_image_normalised_keypoints_without_the_image_size_are_warned_about():
    """Normalised by a 16:9 image and read on one scale, a body is squeezed sideways by 1.78: a
    lying body no longer reads wider than tall. Silent until now (WorkoutTracker's poses so
    normalised read MAE 0.206 against 0.142 with image_size, ad hoc); the warning names the fix, and
    the image size silences it."""
    _, arr = make_sequence("squat", 101, seconds=4.0)
    px = arr["noisy"]
    norm = px.copy()
    norm[..., 0] /= 1280
    norm[..., 1] /= 720
    with pytest.warns(InputWarning, match=r"normalised by the image size .*no image_size was given.*"
                                          r"image_size=\(width, height\) \(posekit analyze --image-size WxH\)"):
        analyze_keypoints(norm, 30.0, classify=False)
    for kps, size in ((norm, (1280, 720)), (px, None)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", InputWarning)
            analyze_keypoints(kps, 30.0, classify=False, image_size=size)
    with warnings.catch_warnings(record=True) as seen:  # min-max per frame: its own warning only
        warnings.simplefilter("always", InputWarning)
        analyze_keypoints(minmax_per_frame(px), 30.0, classify=False)
    assert [str(w.message)[:40] for w in seen] == ["keypoints look min-max normalised per fr"]


def test_mediapipe_style_per_frame_minmax_normalisation():
    m, arr = make_sequence("jumping_jack", 102, seconds=15.0)
    xy = minmax_per_frame(arr["kps2d"])
    assert np.nanmin(xy[..., :2]) == 0.0 and np.nanmax(xy[..., :2]) == 1.0
    with pytest.warns(InputWarning, match=r"min-max normalised per frame \(per axis\).*aspect ratio.*image_size"):
        report = analyze_keypoints(xy, 30.0)
    assert abs(report.reps_total - true_reps(m)) <= REP_TOL  # reps need no position, size or aspect


def test_falls_cut_at_impact_in_min_max_normalised_keypoints():
    """Windows that end as the body lands, min-max normalised per frame (as MD4FD-style exports
    are): the classifier-led check needed the hips' drop, which such input does not keep, and
    found 3 of these 20; the body's shape alone found 9 with the classifier before ten exercises,
    3 with the one that knows them (docs/evidence/exercise.md)."""
    found = 0
    for seed in range(200, 220):
        m, arr = make_sequence("fall", seed, seconds=8.0)
        with pytest.warns(InputWarning, match="min-max normalised"):
            falls = analyze_keypoints(minmax_per_frame(arr["noisy"][:int(m.fall_impact) + 5]), 30.0).falls
        found += len(falls) == 1 and abs(falls[0].onset_s - m.fall_onset / 30.0) <= 1.0
    assert found >= 3


def test_box_normalised_input_is_recognised_and_nothing_else_is():
    _, arr = make_sequence("squat", 103, seconds=6.0)
    px = arr["noisy"].copy()  # pixels, with dropouts (NaN) as a pose model gives them
    px[5] = 0.0  # a missing frame as an all-zero row
    assert box_normalised(px) is None
    by_image = px.copy()
    by_image[..., 0] /= 480
    by_image[..., 1] /= 360
    assert box_normalised(by_image) is None  # normalised by the image size: position and size kept
    assert box_normalised(minmax_per_frame(px)) == "per_axis"
    assert box_normalised(minmax_per_frame(px, per_axis=False)) == "isotropic"
    assert box_normalised(minmax_per_frame(px)[:2]) is None  # too few frames to tell
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)  # pixels and image-normalised input: no warning
        analyze_keypoints(px, 30.0)
        analyze_keypoints(by_image, 30.0, image_size=(480, 360))
    with pytest.warns(InputWarning, match=r"\(isotropic\): .*position, size from"):
        analyze_keypoints(minmax_per_frame(px, per_axis=False), 30.0)


def test_a_joint_at_the_corner_of_a_min_max_box_is_kept():
    _, arr = make_sequence("jumping_jack", 105, seconds=3.0)
    boxed = minmax_per_frame(arr["kps2d"])
    boxed[..., :2] = 0.02 + 0.98 * boxed[..., :2]
    boxed[:, 0, :2] = 0.0  # the nose alone both leftmost and topmost: a real joint at (0, 0)
    assert np.isnan(to_body13(boxed)[:, 0, 0]).all()  # elsewhere (0, 0) marks a missing joint
    assert (to_body13(boxed, zero_joints_missing=False)[:, 0, :2] == 0).all()
    assert box_normalised(boxed) == "per_axis"  # the corner joint is what shows the box
    with pytest.warns(InputWarning):
        analyze_keypoints(boxed, 30.0, classify=False)


def test_keypoints_centred_per_frame_on_a_joint():
    """Root-relative exports: the root joint sits at (0, 0) in every frame and is a joint, not a
    missing one; the input is recognised, warned about, and each frame's lowest joint is put on
    one floor line, so a fall's descent comes back."""
    m, arr = make_sequence("squat", 104, seconds=15.0)
    px = arr["kps2d"]
    on_hip = centred_per_frame(px, joint=int(Keypoint.LEFT_HIP))
    assert frame_centred(to_body13(px)) is None
    assert frame_centred(to_body13(on_hip)) == "left_hip"
    assert not np.isnan(to_body13(on_hip)[:, BODY13.index(Keypoint.LEFT_HIP)]).any()
    with pytest.warns(InputWarning, match="centred per frame on the left hip.*floor line"):
        report = analyze_keypoints(on_hip, 30.0)
    ref = analyze_keypoints(px, 30.0).reps_total
    assert report.reps_total == ref and abs(ref - true_reps(m)) <= REP_TOL
    found = 0
    for seed in range(200, 206):
        fall, arr = make_sequence("fall", seed, seconds=8.0)
        with pytest.warns(InputWarning, match="centred per frame on the mid-hip"):
            falls = analyze_keypoints(centred_per_frame(to_body13(arr["noisy"])), 30.0, layout="body13").falls
        found += len(falls) == 1 and abs(falls[0].onset_s - fall.fall_onset / 30) <= 1.0
    assert found >= 5  # without the floor line: the hips never descend, and no fall is found


def test_a_joint_at_zero_is_missing_unless_the_frame_is_relative_to_it():
    _, arr = make_sequence("squat", 106, seconds=2.0)
    px = arr["kps2d"].copy()
    px[3, Keypoint.LEFT_KNEE, :2] = 0.0  # pixel coordinates: (0, 0) marks a joint not found
    assert np.isnan(to_body13(px)[3, BODY13.index(Keypoint.LEFT_KNEE)]).all()
    rel = px.copy()
    rel[..., :2] -= px[:, Keypoint.LEFT_HIP, None, :2]  # frame 3: left hip at (0, 0), others around it
    assert (to_body13(rel)[:, BODY13.index(Keypoint.LEFT_HIP), :2] == 0).all()


def test_other_layouts_and_missing_frames():
    m, arr = make_sequence("squat", 101, seconds=15.0)
    full = arr["noisy"]
    penn = full[:, indices(BODY13)]
    coco = full[:, indices(COCO17)]
    zeros = full.copy()
    zeros[np.isnan(zeros).all(axis=(1, 2))] = 0.0  # missing frames as all-zero rows
    ref = analyze_keypoints(full, 30.0).reps_total
    assert analyze_keypoints(penn, 30.0, layout="penn13").reps_total == ref
    assert analyze_keypoints(coco, 30.0, layout="coco17").reps_total == ref
    for name, layout in (("body25", BODY25), ("openpose18", OPENPOSE18)):
        # OpenPose writes a joint it did not find as (0, 0, 0); its neck and mid-hip lie between
        # the shoulders and the hips.
        op = np.stack([full[:, k] if k is not None else np.zeros_like(full[:, 0]) for k in layout], axis=1)
        op[:, 1] = (full[:, Keypoint.LEFT_SHOULDER] + full[:, Keypoint.RIGHT_SHOULDER]) / 2
        rep = analyze_keypoints(op, 30.0, layout=name)
        assert rep.reps_total == ref and [e.label for e in rep.exercises] == ["squat"], name
    assert analyze_keypoints(zeros, 30.0).reps_total == ref
    assert analyze_keypoints(full[::2], 15.0).reps_total == pytest.approx(ref, abs=REP_TOL)  # resampled


def test_an_infinite_coordinate_is_a_missing_joint_not_a_lost_frame():
    m, arr = make_sequence("squat", 5, seconds=2.0)
    kps = arr["noisy"].copy()
    kps[10, 11, 0] = np.inf  # the left shoulder
    kps[12, 23, 1] = -np.inf  # the left hip
    body = to_body13(kps)
    assert np.isnan(body[10, 1, :2]).all() and np.isnan(body[12, 7, :2]).all()
    assert np.isfinite(np.delete(body[10], 1, axis=0)[..., :2]).all()
    seq = posekit.activity.normalise(body, 30.0)
    # Each joint's one-frame gap is filled from its neighbours; the frames themselves stay.
    assert seq.mask[10].all() and seq.mask[12].all() and np.isfinite(seq.xy[[10, 12]]).all()


@pytest.mark.parametrize("kps,layout,fps,msg", [
    (np.zeros((10, 33)), "blazepose33", 30, "keypoints must have shape (T, K, 2|3|4|5), got shape (10, 33)"),
    (np.zeros((10, 99)), "blazepose33", 30, "keypoints must have shape (T, K, 2|3|4|5), got shape (10, 99); a row of 99 "
     "numbers per frame is 33 joints x 3: pass keypoints.reshape(10, 33, 3) if the numbers are grouped by joint"),
    (np.zeros((10, 17, 2)), "blazepose33", 30, "keypoints has 17 joints but layout 'blazepose33' has 33; pass the matching layout"),
    (np.zeros((10, 33, 6)), "blazepose33", 30, "keypoints last dimension must be 2 (x, y), 3 (x, y, conf), 4 (x, y, z, conf) "
     "or 5 (x, y, z, visibility, presence), got 6"),
    (np.zeros((10, 33, 2)), "openpose", 30, "layout must be one of ['blazepose33', 'body13', 'body25', 'coco17', 'lsp14', 'openpose18', 'penn13'], got 'openpose'"),
    (np.zeros((10, 33, 2)), "blazepose33", 30, "keypoints has no frame with coordinates (all NaN or zero)"),
    (np.ones((10, 33, 2)), "blazepose33", 0, "fps must be a number in [1, 1000], got 0"),
    (np.zeros((0, 33, 2)), "blazepose33", 30, "keypoints must hold at least one frame, got 0"),
    (np.ones((10, 33, 2), bool), "blazepose33", 30, "keypoints must be real numbers (int or float), got dtype bool"),
    (np.ones((10, 33, 2)) * (1 + 2j), "blazepose33", 30,
     "keypoints must be real numbers (int or float), got dtype complex128"),
    (np.full((10, 33, 2), "3.5"), "blazepose33", 30, "keypoints must be real numbers (int or float), got dtype <U3"),
    (np.full((10, 33, 2), "left", dtype=object), "blazepose33", 30,
     "keypoints must be real numbers (int or float), got object elements that are not"),
])
def test_bad_keypoint_input(kps, layout, fps, msg):
    with pytest.raises(InvalidInputError) as e:
        analyze_keypoints(kps, fps, layout=layout)
    assert str(e.value) == msg


@pytest.mark.parametrize("cuts", [[0], [10], [5, 5], [6, 3], [2.5], "4", [True]])
def test_bad_cuts(cuts):
    kps = make_sequence("squat", 5, seconds=1.0)[1]["noisy"][:10]
    with pytest.raises(InvalidInputError) as e:
        analyze_keypoints(kps, 30.0, cuts=cuts)
    assert str(e.value) == f"cuts must be strictly increasing frame indices in [1, 9] (where a new shot begins), got {cuts!r}"


def test_image_size_restores_the_aspect_of_normalised_coordinates():
    m, arr = make_sequence("fall", 21, seconds=8.0)
    px = arr["kps2d"].copy()
    w, h = 480, 360
    norm = px.copy()
    norm[..., 0] /= w
    norm[..., 1] /= h
    ref = analyze_keypoints(px, 30.0)
    got = analyze_keypoints(norm, 30.0, image_size=(w, h))
    assert len(ref.falls) == 1
    assert [round(f.onset_s, 2) for f in got.falls] == [round(f.onset_s, 2) for f in ref.falls]
    for bad in ((640,), (0, 480), "640x480", (640, True)):
        with pytest.raises(InvalidInputError, match=r"image_size must be \(width, height\) in pixels, each a number in \[1, 100000\]"):
            analyze_keypoints(norm, 30.0, image_size=bad)


def test_collapsed_skeleton_frames_are_dropped():
    # A pose model that loses the person can collapse all landmarks onto a small patch: those
    # frames are failed detections, not a body that shrank (they made spurious giant "reps").
    from posekit.activity.body import normalise

    m, arr = make_sequence("squat", 104, seconds=15.0)
    kps = arr["noisy"].copy()
    centre = np.nanmean(kps[100:115, :, :2], axis=1, keepdims=True)
    kps[100:115, :, :2] = centre + 0.05 * (kps[100:115, :, :2] - centre)
    seq = normalise(to_body13(kps), 30.0)
    assert np.isnan(seq.xy[101:114]).all() and np.isnan(seq.tilt[101:114]).all() and np.isnan(seq.hip[101:114]).all()
    assert np.isfinite(seq.xy[:95]).any(axis=(1, 2)).all()
    assert abs(analyze_keypoints(kps, 30.0).reps_total - true_reps(m)) <= REP_TOL


@pytest.mark.parametrize("fps", [30.0, 29.997, 30.016])
def test_resampling_keeps_the_first_seen_frame_after_a_gap(fps):
    """A stream's millisecond timestamps make 30 fps read as 29.997 or 30.016 from one reading to
    the next: the first frame seen after a new track's skipped frames must not be lost to its
    missing neighbour (it was, at 29.997, and a 1.6 s shot then read differently every third reading)."""
    from posekit.activity.body import normalise

    body = to_body13(make_sequence("squat", 8, seconds=2.0)[1]["noisy"])
    body[:8] = np.nan  # as a new track's first frames
    seq = normalise(body, fps)
    assert not seq.mask[:8].any() and seq.mask[8:].all()


def test_depth_in_the_confidence_channel_is_warned_about():
    """(T, K, 3) is read as (x, y, confidence); 3D exports (x, y, z) are common and would pass z as
    a confidence clipped to [0, 1]."""
    kps = make_sequence("squat", 5, seconds=4.0)[1]["noisy"]
    xyz = kps.copy()
    xyz[..., 2] = np.random.default_rng(0).normal(0.0, 0.5, xyz.shape[:2])  # depth in metres
    with pytest.warns(InputWarning, match=r"keypoints\[\.\.\., 2\] is read as a confidence in \[0, 1\] but holds -?[\d.]+ to [\d.]+"):
        analyze_keypoints(xyz, 30.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        analyze_keypoints(kps, 30.0)  # confidences in [0, 1]: no warning
        analyze_keypoints(kps[..., :2], 30.0)


def test_y_axis_pointing_up_is_warned_about():
    """3D and world coordinates often have y pointing up: every upright body then stands on its
    head, which reads as lying (no exercise named, falls unseen). analyze_keypoints says so, and
    flipping y as the message says brings the analysis back."""
    m, arr = make_sequence("squat", 11, seconds=12.0)
    kps = arr["noisy"].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        as_given = analyze_keypoints(kps, 30.0)  # no warning for image coordinates
    y_up = kps.copy()
    y_up[..., 1] = 360 - y_up[..., 1]
    with pytest.warns(InputWarning, match=r"keypoints look upside down: in (8\d|9\d|100)% of the frames .*"
                                          r"flip it \(keypoints\[\.\.\., 1\] \*= -1\)"):
        flipped = analyze_keypoints(y_up, 30.0)
    assert [s.label for s in as_given.exercises] == ["squat"] and [s.label for s in flipped.exercises] != ["squat"]
    y_up[..., 1] *= -1  # as the message says
    assert [s.label for s in analyze_keypoints(y_up, 30.0).exercises] == ["squat"]


def test_upside_down_never_fires_on_human_labels(shared_data):
    """No Penn Action clip (human joint labels, every view of every action) reads as upside down;
    with y pointing up, a standing sport does."""
    from posekit.activity.inputs import upside_down
    from training.activity_data import penn_index, penn_joints

    flagged, sport = [], None
    for row in penn_index():
        body = penn_joints(row["video_id"])
        body[body[..., 2] == 0] = np.nan  # joints Penn Action marks invisible
        if upside_down(body) is not None:
            flagged.append(row["video_id"])
        if sport is None and row["action"] == "baseball_swing":
            sport = body
    assert flagged == []
    sport[..., 1] *= -1
    assert upside_down(sport) >= 0.8


def test_variable_frame_rate_is_read_on_the_frames_own_times():
    """Frames that came at a variable rate, with their timestamps: reps and falls are timed as in
    the same motion filmed at a constant rate, offline and live; read as evenly spaced (what
    ``fps`` alone says) the second half runs at twice its speed."""
    m, arr = make_sequence("squat", 103, seconds=16.0)
    ref = analyze_keypoints(arr["noisy"], 30.0)
    kps, ts = variable_rate(arr["noisy"])
    got = analyze_keypoints(kps, None, timestamps_ms=ts)
    assert got.reps_total == ref.reps_total >= 4
    assert [r.bottom_s for r in _stream(kps, ts).rep_events] == [r.bottom_s for r in got.rep_events]
    # Full reps: a partial excursion in the first half-second reads differently on the two samplings.
    full = [[r.bottom_s for r in rep.rep_events if r.quality.value == "full"] for rep in (got, ref)]
    np.testing.assert_allclose(*full, atol=0.15)
    assert len(got.frame_labels) == len(kps)
    evenly = analyze_keypoints(kps, (len(ts) - 1) * 1000.0 / (ts[-1] - ts[0]))  # the mean rate, no timestamps
    late = [r.bottom_s for r in ref.rep_events if r.bottom_s > 12.0]
    assert late and min(abs(r.bottom_s - late[-1]) for r in evenly.rep_events) > 0.5  # 0.9 s late

    m, arr = make_sequence("fall", 201, seconds=10.0)
    kps, ts = variable_rate(arr["noisy"], slow_from=m.fall_onset - 30)  # the fall at 15 fps
    falls = analyze_keypoints(kps, None, timestamps_ms=ts).falls
    assert len(falls) == 1 and abs(falls[0].onset_s - m.fall_onset / 30.0) <= 0.5
    live = _stream(kps, ts).falls  # as read live, flushed: the same as offline
    assert [f.onset_s for f in live] == [f.onset_s for f in falls]


def _stream(kps: np.ndarray, ts: np.ndarray) -> dict:
    """The flushed summary of a live ActivityTracker fed these poses at these times (ms)."""
    at = ActivityTracker()
    for row, t in zip(kps, ts):
        pose = None if np.isnan(row).all() else PoseResult(
            xy=row[:, :2].astype(np.float32), conf=row[:, 2].astype(np.float32), score=1.0, roi=Roi(0, 0, 1),
            timestamp_ms=int(t), image_size=(480, 360))
        at.update(pose, int(t))
    at.flush()
    return at.summary()


def test_regular_timestamps_change_nothing():
    """Timestamps of a constant frame rate, rounded to whole ms as streams carry them, read
    exactly as ``fps`` alone."""
    m, arr = make_sequence("push_up", 104, seconds=12.0)
    a = analyze_keypoints(arr["noisy"], 30.0)
    b = analyze_keypoints(arr["noisy"], 30.0, timestamps_ms=np.round(np.arange(len(arr["noisy"])) * 1000.0 / 30.0))
    assert a.to_dict() == b.to_dict() and (a.frame_labels == b.frame_labels).all()


@pytest.mark.parametrize("ts, fps, message", [
    (np.arange(10) * 33.0, None, r"timestamps_ms must be 90 strictly increasing finite times in milliseconds"),
    (np.r_[np.arange(45), np.arange(45)] * 33.0, None, r"timestamps_ms must be 90 strictly increasing"),
    (np.where(np.arange(90) == 7, np.nan, np.arange(90) * 33.0), None, r"timestamps_ms must be 90 strictly increasing"),
    ("soon", None, r"timestamps_ms must be 90 .*, got soon"),
    (np.arange(90) * 33.3, 60.0, r"fps 60.0 contradicts timestamps_ms, whose mean rate is 30.03 fps"),
])
def test_bad_timestamps_get_an_error_naming_them(ts, fps, message):
    m, arr = make_sequence("squat", 103, seconds=3.0)
    with pytest.raises(InvalidInputError, match=message):
        analyze_keypoints(arr["noisy"], fps, timestamps_ms=ts)
