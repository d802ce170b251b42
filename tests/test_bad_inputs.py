"""Bad input at every public boundary: a typed posekit error naming the field, the value and what
is allowed, or a correct result; never an untyped exception, never a silently wrong result.
Organised by boundary: frames, timestamps, boxes, models, videos, keypoints, files, options,
threads, the command line."""

import json
import threading
import warnings

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import posekit
from posekit.activity import load_frames, load_keypoints
from posekit.cli import main as cli
from posekit.cli import sample_clip
from posekit.errors import ConcurrentUseError, InputWarning, InvalidInputError, ModelError, PosekitError
from posekit.pose.roi import Roi
from posekit.video import FrameSource

FRAME = np.zeros((64, 64, 3), np.uint8)


def _pose(ts: int, xy: np.ndarray | None = None) -> posekit.PoseResult:
    xy = np.random.default_rng(ts).random((33, 2)).astype(np.float32) * 100 if xy is None else xy
    return posekit.PoseResult(xy, np.ones(33, np.float32), 1.0, Roi(0, 0, 1), ts, (100, 100))


# --------------------------------------------------------------------------- frames and boxes

@pytest.mark.parametrize("box, message", [
    ("1234", "box must be (x, y, w, h)"),
    ((0, 0, 1e300, 1e300), "out of scale"),
    ((0, 0, float("nan"), 5), "finite"),
    ((0, 0, -1, 5), "width and height must be > 0"),
    ((100, 100, 5, 5), "outside"),
    (5, "box must be (x, y, w, h)"),
])
def test_bad_boxes(box, message):
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        posekit.estimate(FRAME, box=box)


# --------------------------------------------------------------------------- timestamps

def test_a_stream_that_starts_at_2_62_ms_keeps_its_millisecond_steps():
    """float64 cannot tell 2**62 from 2**62 + 33: the engine keeps times relative to its first frame."""
    from training.synth.dataset import make_sequence

    _, arr = make_sequence("squat", 103, seconds=8.0)
    rows = arr["noisy"].astype(np.float32)
    reports = []
    for base in (0, 2**62):
        t = posekit.ActivityTracker()
        for i, row in enumerate(rows):
            ts = base + i * 33
            pose = None if np.isnan(row[:, :2]).all() else posekit.PoseResult(
                row[:, :2], row[:, 2], 1.0, Roi(0, 0, 1), ts, (480, 360))
            t.update(pose, ts)
        t.flush()
        reports.append(t.summary().to_dict())
    assert reports[0] == reports[1] and reports[0]["reps_total"] >= 2


@pytest.mark.parametrize("ts, message", [
    (np.arange(60) * 33333, "microseconds"),
    (np.arange(60) * 33333333, "nanoseconds"),
    (np.arange(60) * 0.033, "seconds"),
])
def test_timestamps_in_another_unit_are_named(ts, message):
    with pytest.raises(InvalidInputError, match=f"timestamps_ms.*{message}"):
        posekit.analyze_keypoints(np.random.default_rng(0).random((60, 33, 3)) * 100, None, timestamps_ms=ts)


@pytest.mark.parametrize("ts", [float("nan"), "12", None, True])
def test_bad_tracker_timestamps(ts):
    with pytest.raises(InvalidInputError, match="timestamp_ms"):
        posekit.ActivityTracker(activity_model=False).update(None, ts)


def test_tracker_timestamps_must_increase():
    t = posekit.ActivityTracker(activity_model=False)
    t.update(None, 100)
    with pytest.raises(InvalidInputError, match="timestamp_ms must increase"):
        t.update(None, 100)


def test_numpy_frame_rates_are_numbers():
    kps = np.random.default_rng(1).random((60, 33, 3)) * 100
    kps[..., 2] = 1.0
    assert posekit.analyze_keypoints(kps, np.float32(30)).to_dict() == posekit.analyze_keypoints(kps, 30).to_dict()


# --------------------------------------------------------------------------- models

def test_bad_models(tmp_path):
    with pytest.raises(InvalidInputError, match="model must be"):
        posekit.estimate(FRAME, model=123)
    with pytest.raises(ModelError, match="is a folder"):
        posekit.PoseModel(tmp_path)
    with pytest.raises(InvalidInputError, match=r"num_threads must be an int in \[1, 64\]"):
        posekit.PoseOptions(num_threads=1000)
    with pytest.raises(InvalidInputError, match="options must be a posekit.PoseOptions"):
        posekit.PoseTracker({"model": "x"})


def test_a_mediapipe_landmark_model_is_named_with_what_loads_it(teacher_path, tmp_path):
    with pytest.raises(ModelError, match='"output_layout": "blazepose_ghum_39x5"'):
        posekit.PoseModel(teacher_path)
    model = tmp_path / "mp.tflite"
    model.write_bytes(teacher_path.read_bytes())
    (tmp_path / "mp.tflite.json").write_text("{not json")
    with pytest.raises(ModelError, match="not readable JSON"):
        posekit.PoseModel(model)
    (tmp_path / "mp.tflite.json").write_text(json.dumps({"output_layout": "blazepose_ghum_39x5"}))
    assert posekit.PoseModel(model).layout == "blazepose_ghum_39x5"


def test_a_closed_session_says_so():
    s = posekit.Session()
    s.close()
    with pytest.raises(InvalidInputError, match="closed"):
        s.process(FRAME, 0)
    with pytest.raises(InvalidInputError, match="pose_options must be"):
        posekit.Session("fast")


# --------------------------------------------------------------------------- videos

def _video(path, n, fourcc="mp4v"):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 30, (64, 48))
    for i in range(n):
        w.write(np.full((48, 64, 3), (i * 7) % 255, np.uint8))
    w.release()
    return path


def test_every_frame_of_a_video_is_read_once_in_order(tmp_path):
    with FrameSource(_video(tmp_path / "one.mp4", 1)) as src:
        assert len(list(src)) == 1  # was 0: the probe's frame was lost seeking back
    with FrameSource(_video(tmp_path / "ten.mp4", 10)) as src:
        frames = list(src)
    assert [f.index for f in frames] == list(range(10))
    assert [int(f.rgb[0, 0, 0]) for f in frames] == pytest.approx([(i * 7) % 255 for i in range(10)], abs=3)
    assert all(b.timestamp_ms > a.timestamp_ms for a, b in zip(frames, frames[1:]))


def test_a_truncated_video_warns(tmp_path):
    path = _video(tmp_path / "t.avi", 100, "MJPG")
    data = path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[:int(len(data) * 0.3)])
    with pytest.warns(InputWarning, match="ended after .* of the 100 frames"):
        with FrameSource(cut) as src:
            n = len(list(src))
    assert 0 < n < 100


# --------------------------------------------------------------------------- keypoints (property-based)

LAYOUTS = {"blazepose33": 33, "coco17": 17, "body13": 13, "body25": 25}


@st.composite
def keypoint_sequences(draw):
    layout = draw(st.sampled_from(sorted(LAYOUTS)))
    n = draw(st.integers(1, 120))
    c = draw(st.sampled_from([2, 3, 4, 5]))
    base = draw(hnp.arrays(np.float64, (n, LAYOUTS[layout], c),
                           elements=st.one_of(st.floats(-2000, 2000), st.sampled_from([np.nan, np.inf, 0.0]))))
    gaps = draw(hnp.arrays(bool, (n,)))
    base[gaps] = np.nan
    return layout, base


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keypoint_sequences(), st.floats(1, 240), st.booleans())
def test_analyze_keypoints_never_crashes(seq, fps, with_cuts):
    layout, kps = seq
    cuts = [len(kps) // 2] if with_cuts and len(kps) > 2 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            report = posekit.analyze_keypoints(kps, fps, layout=layout, cuts=cuts)
        except InvalidInputError:
            return  # e.g. no frame with coordinates: said, with the field
    assert len(report.frame_labels) == len(kps) and report.reps_total >= 0
    assert all(f.onset_s <= f.impact_s for f in report.falls)
    json.dumps(report.to_dict())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), st.floats(-1e4, 1e4)), min_size=1, max_size=90),
       st.lists(st.integers(1, 3000), min_size=90, max_size=90))
def test_the_streaming_tracker_never_crashes(rows, steps):
    t = posekit.ActivityTracker(every=7)
    ts = 0
    for i, v in enumerate(rows):
        ts += steps[i]
        pose = None if v is None else _pose(ts, np.full((33, 2), v, np.float32)
                                             + np.arange(33, dtype=np.float32)[:, None])
        frame = t.update(pose, ts)
        assert frame.reps >= 0
    t.flush()
    summary = t.summary()
    assert all(f.onset_s <= f.impact_s for f in summary.falls)
    json.dumps(summary.to_dict())


# --------------------------------------------------------------------------- files

@pytest.mark.parametrize("name, content, message", [
    ("e.npy", b"", "is empty"),
    ("deep.json", b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    ("h.csv", b"x999999999,y999999999\n1,2\n", "names joint 999999999 by index"),
    ("u16.json", json.dumps([[[1, 2]] * 33]).encode("utf-16"), "not UTF-8"),
])
def test_unreadable_keypoint_files(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InvalidInputError, match=message):
        load_keypoints(tmp_path / name)


def test_an_npz_without_arrays(tmp_path):
    np.savez(tmp_path / "e.npz")
    with pytest.raises(InvalidInputError, match="holds no array"):
        load_keypoints(tmp_path / "e.npz")


def test_bad_frames_files(tmp_path):
    rec = {"timestamp_ms": 0, "keypoints": [[1.0, 2.0, 1.0]] * 33, "track_age": 9}
    (tmp_path / "inf.jsonl").write_text(json.dumps(rec).replace("9}", "Infinity}") + "\n")
    with pytest.raises(InvalidInputError, match="line 1 is not a posekit frame record"):
        load_frames(tmp_path / "inf.jsonl")
    (tmp_path / "u16.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-16")
    with pytest.raises(InvalidInputError, match="not UTF-8"):
        load_frames(tmp_path / "u16.jsonl")
    with pytest.raises(InvalidInputError, match="path must be"):
        load_keypoints(None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000), st.sampled_from([".json", ".csv", ".npy", ".npz", ".jsonl"]))
def test_any_bytes_in_a_keypoint_file_give_keypoints_or_a_typed_error(tmp_path, data, suffix):
    path = tmp_path / f"k{suffix}"
    path.write_bytes(data)
    try:
        (load_frames if suffix == ".jsonl" else load_keypoints)(path)
    except InvalidInputError:
        pass


# --------------------------------------------------------------------------- options

@pytest.mark.parametrize("make, message", [
    (lambda: posekit.FallOptions(confirm_s=-1), r"FallOptions.confirm_s must be in \(0, 10\]"),
    (lambda: posekit.FallOptions(confirm_s=float("nan")), "FallOptions.confirm_s"),
    (lambda: posekit.FallOptions(sure_confirm_s=0), r"FallOptions.sure_confirm_s must be in \(0, 10\]"),
    (lambda: posekit.FallOptions(sure_confidence=1.5), "FallOptions.sure_confidence"),
    (lambda: posekit.FallOptions(max_fall_s=-1), "FallOptions.max_fall_s"),
    (lambda: posekit.FallOptions(lying_tilt="x"), "FallOptions.lying_tilt must be in"),
    (lambda: posekit.FallOptions(upright_tilt=-5), "FallOptions.upright_tilt"),
    (lambda: posekit.FallOptions(upright_tilt=70), "upright_tilt .* must be below lying_tilt"),
    (lambda: posekit.FallOptions(0.5), "positional"),
    (lambda: posekit.ActivityTracker(window_s=0), r"window_s must be a number of seconds in \[2, 600\]"),
    (lambda: posekit.ActivityTracker(window_s=float("nan")), "window_s"),
    (lambda: posekit.ActivityTracker(every=0), r"every must be an int in \[1, 1000\]"),
    (lambda: posekit.ActivityTracker(fall_options={}), "fall_options must be a posekit.activity.FallOptions"),
    (lambda: posekit.analyze_keypoints(np.ones((30, 33, 3)), 30, rep_options={}), "rep_options must be"),
    (lambda: posekit.analyze_keypoints(np.ones((30, 33, 3)), 30, image_size=(float("inf"), 300)), "image_size"),
])
def test_bad_options(make, message):
    with pytest.raises((InvalidInputError, TypeError), match=message) as e:
        make()
    assert e.type is InvalidInputError or "positional" in message  # keyword-only: Python's own TypeError


# --------------------------------------------------------------------------- threads

def _frames(n=24):
    with FrameSource(sample_clip()) as src:
        return [f.rgb.copy() for f, _ in zip(src, range(n))]


def test_estimate_from_two_threads():
    frames, errors, done = _frames(), [], []

    def work():
        for f in frames:
            try:
                done.append(posekit.estimate(f).score)
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and len(done) == 2 * len(frames)


def test_a_tracker_shared_by_two_threads_refuses_the_second():
    frames, errors = _frames(), []
    tracker = posekit.PoseTracker()
    start = threading.Barrier(2)

    def work(k):
        start.wait()
        for i, f in enumerate(frames):
            try:
                tracker.process(f, 1000 * i + k)
            except PosekitError as e:
                errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all(isinstance(e, (ConcurrentUseError, InvalidInputError)) for e in errors)
    assert any(isinstance(e, ConcurrentUseError) and "one thread at a time" in str(e) for e in errors)


# --------------------------------------------------------------------------- the command line

@pytest.mark.parametrize("out", ["file", "file/sub", "/dev/null"])
def test_bad_output_folders(tmp_path, capsys, out):
    (tmp_path / "file").write_text("x")
    target = out if out.startswith("/") else str(tmp_path / out)
    assert cli(["run", "--out", target, "--quiet", "--max-frames", "2"]) == 2
    assert cli(["analyze", "nothing.npy", "--out", target]) == 2
    err = capsys.readouterr().err
    assert err.count("posekit: error: --out") == 2 and "Traceback" not in err


def test_a_live_clock_in_microseconds_is_said_once():
    t = posekit.ActivityTracker(activity_model=False)
    with pytest.warns(InputWarning, match=r"timestamp_ms steps a median 33333 ms.*microseconds") as caught:
        for i in range(60):
            t.update(_pose(i), i * 33333)
    assert sum(issubclass(w.category, InputWarning) for w in caught) == 1
