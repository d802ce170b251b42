"""Keypoint files: CSV, OpenPose, COCO results, MediaPipe landmarks, timestamps; the analyze CLI."""

import json

import numpy as np
import pytest

from posekit.activity import analyze_keypoints, load_keypoints, to_body13
from posekit.errors import InvalidInputError
from posekit.keypoints import Keypoint
from tests.activity.helpers import variable_rate
from training.synth.dataset import make_sequence


def test_analyze_cli_writes_summary(tmp_path):
    from posekit.cli import main

    m, arr = make_sequence("squat", 101, seconds=15.0)
    for suffix in (".npy", ".json"):
        path = tmp_path / f"kps{suffix}"
        if suffix == ".npy":
            np.save(path, arr["noisy"])
        else:
            path.write_text(json.dumps(np.nan_to_num(arr["noisy"]).tolist()))
        out = tmp_path / f"out{suffix}"
        assert main(["analyze", str(path), "--fps", "30", "--out", str(out)]) == 0
        s = json.loads((out / "summary.json").read_text())
        assert s["reps_total"] == analyze_keypoints(arr["noisy"], 30.0).reps_total
        assert {"exercises", "falls", "rep_events", "form_cues"} <= set(s)
    # A known exercise: segments carry its name, and the CLI flag reaches the analysis.
    out = tmp_path / "squat"
    assert main(["analyze", str(tmp_path / "kps.npy"), "--fps", "30", "--exercise", "squat", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["exercises"] and {e["label"] for e in s["exercises"]} == {"squat"}
    assert all(r["exercise"] == "squat" for r in s["rep_events"])
    with pytest.raises(InvalidInputError, match=r"keypoints file must be .npy, .npz, .json or .csv \(or a folder of OpenPose .json frames\), got '.txt'"):
        bad = tmp_path / "k.txt"
        bad.write_text("x")
        load_keypoints(bad)


def _csv(path, header, rows):
    """Write a CSV file: header rows (lists of cells), then numeric rows (NaN as an empty cell)."""
    cell = lambda v: v if isinstance(v, str) else "" if np.isnan(v) else repr(float(v))
    path.write_text("\n".join(",".join(cell(v) for v in r) for r in [*header, *rows]) + "\n")
    return path


def test_csv_exports_load_by_column_name_and_analyse_as_their_numbers(tmp_path):
    """CSV keypoints, one row per frame: columns found by name (MediaPipe's joint names with x, y,
    z, visibility; x0..x32; COCO names in any order and spelling; DeepLabCut's three header rows),
    columns that are not keypoint values ignored, empty cells missing; the CLI reads them as the
    array they hold."""
    from posekit.cli import main
    from posekit.keypoints import COCO17, Keypoint

    m, arr = make_sequence("squat", 103, seconds=12.0)
    xy = arr["noisy"][..., :2]
    rng = np.random.default_rng(1)
    vis = rng.uniform(0.3, 1.0, xy.shape[:2])
    four = np.concatenate([xy, rng.normal(0, 0.1, xy.shape[:2])[..., None], vis[..., None]], -1)
    four[30:34] = np.nan  # nobody in view: empty cells
    want = np.concatenate([four[..., :2], four[..., 3:]], -1)
    names = [k.name.lower() for k in Keypoint]
    header = [["frame", "label"] + [f"{n}_{c}" for n in names for c in ("x", "y", "z", "visibility")]]
    rows = [[str(t), "squat", *four[t].ravel()] for t in range(len(four))]
    path = _csv(tmp_path / "mediapipe.csv", header, rows)
    np.testing.assert_allclose(load_keypoints(path), want)
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--fps", "30", "--out", str(out)]) == 0
    reps = analyze_keypoints(want, 30.0).reps_total
    assert reps >= 3 and json.loads((out / "summary.json").read_text())["reps_total"] == reps

    for base in (0, 1):  # x0, y0, z0, v0, ... or 1-based
        header = [[f"{c}{i + base}" for i in range(33) for c in ("x", "y", "z", "v")]]
        np.testing.assert_allclose(load_keypoints(_csv(tmp_path / "idx.csv", header, four.reshape(len(four), -1))), want)
    bare = load_keypoints(_csv(tmp_path / "bare.csv", [], four.reshape(len(four), -1)))  # no header: K x C
    np.testing.assert_allclose(bare, four)  # the empty frames kept in place

    coco = rng.uniform(0, 640, (6, 17, 3))
    perm = rng.permutation(17)
    spelled = [COCO17[i].name.title().replace("_", "") for i in perm]  # "LeftShoulder", shuffled
    header = [[f"{n}_{c}" for n in spelled for c in ("x", "y", "score")]]
    path = _csv(tmp_path / "coco.csv", header, coco[:, perm].reshape(6, -1))
    np.testing.assert_allclose(load_keypoints(path, "coco17"), coco)

    dlc = [["scorer"] + ["DLC_resnet50"] * 9, ["bodyparts"] + [b for b in ("nose", "l_hip", "r_hip") for _ in "xyz"],
           ["coords"] + ["x", "y", "likelihood"] * 3]
    got = load_keypoints(_csv(tmp_path / "dlc.csv", dlc, [[0, 1, 2, 0.9, 3, 4, 0.8, 5, 6, 0.7]]))
    np.testing.assert_allclose(got[0, [0, 23, 24]], [[1, 2, 0.9], [3, 4, 0.8], [5, 6, 0.7]])
    assert np.isnan(np.delete(got[0], [0, 23, 24], axis=0)).all()  # joints without columns: missing


@pytest.mark.parametrize("text, layout, message", [
    ("nose_x,nose_z\n1,2\n", "blazepose33", r"joint 'nose' has columns for \['x', 'z'\] but needs both x and y"),
    ("nose_x,nose_y,nose_x,nose_y\n1,2,3,4\n", "blazepose33", r"joint 'nose' has 2 x and 2 y columns \(several people\?\)"),
    ("nose_x,nose_y\n1,abc\n", "blazepose33", r"line 2 column 2 is 'abc', not a number \(empty, nan or null"),
    ("nose_x,nose_y,left_eye_x,left_eye_y\n1,2,3,4\n1,2\n", "blazepose33", r"line 3 has 2 cells; the rows before it have 4"),
    ("frame,label\n0,squat\n", "blazepose33", r"no column of its header names a keypoint coordinate .* \['frame', 'label'\]"),
    ("1,2,3\n4,5,6\n", "blazepose33", r"rows of 3 numbers and no header: layout 'blazepose33' needs 33 joints x 2-5 "
                                       r"values \(66, 99, 132, 165 numbers\)"),
    ("neck_x,neck_y,nose_x,nose_y\n1,2,3,4\n", "coco17", r"names 2 joints, \['neck'\] not among layout 'coco17''s 17"),
    ("\n\n", "blazepose33", r"holds no row"),
    ("nose_x,nose_y\n1,2\n", "penn14", r"layout must be one of .*, got 'penn14'"),
])
def test_csv_that_cannot_be_read_gets_an_error_naming_what_is_wrong(tmp_path, text, layout, message):
    path = tmp_path / "k.csv"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=message):
        load_keypoints(path, layout)


def _in_layout(kps33: np.ndarray, layout: str) -> np.ndarray:
    """A (T, 33, 3) sequence in another layout's joint order; joints it lacks at (0, 0, 0)."""
    from posekit.keypoints import LAYOUTS

    out = np.zeros((len(kps33), len(LAYOUTS[layout]), 3))
    for i, k in enumerate(LAYOUTS[layout]):
        if k is not None:
            out[:, i] = kps33[:, int(k)]
    return out


def test_openpose_and_coco_results_json_load_one_person_per_frame_in_frame_order(tmp_path):
    """OpenPose --write_json folders (one file per frame) and COCO-style results lists (MMPose,
    AlphaPose, YOLO-pose): frames placed by the number in their names, frames without a person
    as NaN rows, and the most confident person where several were found; the CLI reads them as
    the array they hold."""
    from posekit.cli import main

    m, arr = make_sequence("squat", 104, seconds=12.0)
    seq = arr["noisy"].copy()
    seq[..., 2] = np.where(np.isnan(seq[..., 0]), 0.0, 0.9)
    seq = np.nan_to_num(seq)
    body25 = _in_layout(seq, "body25")
    body25[20:23] = np.nan  # nobody found: "people": []
    body25[np.isnan(arr["noisy"][..., 0]).all(1)] = np.nan
    ghost = np.full_like(body25[0], 0.01)  # a second, faint detection
    folder = tmp_path / "openpose"
    folder.mkdir()
    for t, k in enumerate(body25):
        people = [] if np.isnan(k).all() else [{"pose_keypoints_2d": ghost.ravel().tolist()},
                                              {"pose_keypoints_2d": k.ravel().tolist()}]
        (folder / f"clip_{t:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": people}))
    np.testing.assert_allclose(load_keypoints(folder), body25)
    out = tmp_path / "out"
    assert main(["analyze", str(folder), "--fps", "30", "--layout", "body25", "--out", str(out)]) == 0
    reps = analyze_keypoints(body25, 30.0, layout="body25").reps_total
    assert reps >= 3 and json.loads((out / "summary.json").read_text())["reps_total"] == reps
    one = tmp_path / "one.json"
    one.write_text((folder / "clip_000000000005_keypoints.json").read_text())
    np.testing.assert_allclose(load_keypoints(one), body25[5:6])

    coco = _in_layout(seq, "coco17")
    results = [{"image_id": f"frame_{t:06d}.jpg", "category_id": 1, "keypoints": k.ravel().tolist(), "score": 0.9}
               for t, k in enumerate(coco) if not 40 <= t < 45]  # no entry: nobody found
    results.insert(3, {"image_id": "frame_000002.jpg", "keypoints": np.full(51, 0.2).tolist(), "score": 0.3})
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    want = coco.copy()
    want[40:45] = np.nan
    np.testing.assert_allclose(load_keypoints(path), want)


@pytest.mark.parametrize("content, message", [
    ({"people": [{"face_keypoints_2d": [1, 2, 3]}]}, r"person 0 has no pose_keypoints_2d"),
    ({"people": [{"pose_keypoints_2d": [1, 2, 3, 4]}]}, r"person 0: keypoints must be a flat list of x, y, confidence"),
    ({"people": []}, r"no frame holds a person"),
    ([{"image_id": "cam.jpg", "keypoints": [1, 2, 3]}], r"entry 0: image_id 'cam.jpg' carries no frame number"),
    ([{"image_id": 0, "keypoints": [1, 2, 3]}, {"image_id": 1, "keypoints": [1, 2, 3, 4, 5, 6]}],
     r"frames hold different numbers of joints: \[1, 2\]"),
    ([{"image_id": 3, "keypoints": [1, 2, 3]}, {"image_id": 397133, "keypoints": [1, 2, 3]}],
     r"2 frames numbered 3 to 397133: numbers that far apart are not the frames of one video"),
])
def test_openpose_and_coco_json_that_cannot_be_read_gets_an_error_naming_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "k.json"
    path.write_text(json.dumps(content))
    with pytest.raises(InvalidInputError, match=message):
        load_keypoints(path)


def test_a_folder_without_openpose_frames_gets_an_error_naming_it(tmp_path):
    with pytest.raises(InvalidInputError, match=r"keypoints folder .*empty' holds no .json file \(OpenPose"):
        (tmp_path / "empty").mkdir()
        load_keypoints(tmp_path / "empty")
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "f_000001_keypoints.json").write_text('{"version": 1.3}')
    with pytest.raises(InvalidInputError, match=r"f_000001_keypoints.json' is not an OpenPose frame: expected"):
        load_keypoints(tmp_path / "frames")


def test_mediapipe_landmark_exports_load_and_analyse_as_their_numbers(tmp_path):
    """MediaPipe Tasks' landmarks: (T, 33, 5) arrays (x, y, z, visibility, presence) and JSON
    frames of landmark objects, null where no person was found, normalised by image size. Both
    read as the (x, y, conf) numbers they hold (conf = the smaller of visibility and presence)."""
    m, arr = make_sequence("squat", 101, seconds=15.0)
    xy = arr["noisy"][..., :2] / np.array([1280.0, 720.0])
    rng = np.random.default_rng(0)
    vis, pres = rng.uniform(0.5, 1.0, xy.shape[:2]), rng.uniform(0.5, 1.0, xy.shape[:2])
    five = np.concatenate([xy, rng.normal(0, 0.1, xy.shape[:2])[..., None], vis[..., None], pres[..., None]], -1)
    five[40:45] = np.nan  # no person in these frames
    three = np.concatenate([xy, np.minimum(vis, pres)[..., None]], -1)
    three[40:45] = np.nan
    np.testing.assert_array_equal(to_body13(five), to_body13(three))
    want = analyze_keypoints(three, 30.0, image_size=(1280, 720))
    assert want.reps_total >= 3
    assert analyze_keypoints(five, 30.0, image_size=(1280, 720)).reps_total == want.reps_total

    frames = [None if np.isnan(f).all() else
              {"landmarks": [dict(zip(("x", "y", "z", "visibility", "presence"), map(float, lm))) for lm in f]}
              for f in five]
    path = tmp_path / "mediapipe.json"
    path.write_text(json.dumps({"frames": frames}))
    np.testing.assert_allclose(load_keypoints(path), three)
    bare = [[{"x": lm["x"], "y": lm["y"]} for lm in f["landmarks"]] if f else [] for f in frames]
    path.write_text(json.dumps(bare))  # no confidence given: every joint 1.0
    np.testing.assert_allclose(load_keypoints(path)[..., 2][~np.isnan(three[..., 0])], 1.0)

    frames[7]["landmarks"] = frames[7]["landmarks"][:17]
    path.write_text(json.dumps(frames))
    with pytest.raises(InvalidInputError, match=r"mediapipe.json' frame 7 has 17 landmarks; the first frame with landmarks has 33"):
        load_keypoints(path)
    frames[7] = {"landmarks": 3}
    path.write_text(json.dumps(frames))
    with pytest.raises(InvalidInputError, match=r"frame 7 holds 3, not a list of landmarks"):
        load_keypoints(path)
    frames[7] = {"landmarks": [{"x": 0.5}] * 33}
    path.write_text(json.dumps(frames))
    with pytest.raises(InvalidInputError, match=r"frame 7 landmark 0 is \{'x': 0.5\}: expected an object with numbers x, y"):
        load_keypoints(path)
    path.write_text(json.dumps({"fps": 30}))
    with pytest.raises(InvalidInputError, match="mediapipe.json' could not be read"):
        load_keypoints(path)


def test_exports_with_each_frames_time_are_read_on_it(tmp_path):
    """A CSV time column (timestamp_ms, time_s, ...) or timestamp_ms in every JSON frame gives the
    frames' times: `posekit analyze` then needs no --fps, and a variable frame rate reads as
    ``analyze_keypoints(timestamps_ms=)`` reads it."""
    from posekit.cli import main

    m, arr = make_sequence("squat", 103, seconds=16.0)
    kps, ts = variable_rate(arr["noisy"])
    names = [k.name.lower() for k in Keypoint]
    header = [["time_s"] + [f"{n}_{c}" for n in names for c in ("x", "y", "visibility")]]
    path = _csv(tmp_path / "stamped.csv", header, [[t / 1000.0, *k.ravel()] for t, k in zip(ts, kps)])
    got, stamps = load_keypoints(path, return_timestamps=True)
    np.testing.assert_allclose(stamps, ts)
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    want = analyze_keypoints(kps, None, timestamps_ms=ts)
    assert [r["bottom_s"] for r in s["rep_events"]] == [round(r.bottom_s, 3) for r in want.rep_events]
    assert s["reps_total"] == want.reps_total >= 4 and s["fps"] == pytest.approx(len(ts) * 1000 / ts[-1], rel=0.01)

    frames = [{"timestamp_ms": float(t), "landmarks": [{"x": float(x), "y": float(y)} for x, y, _ in k]}
              for t, k in zip(ts, np.nan_to_num(kps))]
    (tmp_path / "stamped.json").write_text(json.dumps(frames))
    np.testing.assert_allclose(load_keypoints(tmp_path / "stamped.json", return_timestamps=True)[1], ts)
    assert load_keypoints(tmp_path / "stamped.json").shape == (len(ts), 33, 3)  # the keypoints alone, as before

    frames[5]["timestamp_ms"] = frames[4]["timestamp_ms"]
    (tmp_path / "stamped.json").write_text(json.dumps(frames))
    with pytest.raises(InvalidInputError, match=r"stamped.json' frame 5 has timestamp_ms 133.33.*: each frame's "
                                                r"time, a number that increases"):
        load_keypoints(tmp_path / "stamped.json")
    (tmp_path / "back.csv").write_text("timestamp_ms,nose_x,nose_y\n0,1,2\n33,1,2\n20,1,2\n")
    with pytest.raises(InvalidInputError, match=r"back.csv' column 'timestamp_ms' holds each frame's time and must "
                                                r"increase from row to row; line 4 reads 20.0"):
        load_keypoints(tmp_path / "back.csv")
