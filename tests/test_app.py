"""The Kivy demo app in a real (offscreen SDL) window, driven through its automation flags."""

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posekit.cli import sample_clip
from posekit.draw import _LEFT, _RIGHT
from posekit.keypoints import Keypoint

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
#: Colour distance (RGB, 0-255) allowed between a drawn joint and its expected shade.
COLOUR_TOL = 40


def run_app(tmp_path, source, *extra, size="1000x600", timeout=240):
    shot, state = tmp_path / "shot.png", tmp_path / "state.json"
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen", KIVY_NO_ARGS="1")
    proc = subprocess.run([sys.executable, "-m", "app", "--source", str(source), "--autostart", "--exit-when-done",
                           "--screenshot", str(shot), "--state", str(state), "--size", size, *extra],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(state.read_text()), shot


def expected_colour(kp, conf):
    base = _LEFT if "LEFT" in kp.name else _RIGHT if "RIGHT" in kp.name else (240, 240, 240)
    return np.array([int(v * (0.35 + 0.65 * conf)) for v in base])


def test_sample_clip_counts_reps_raises_fall_banner_and_draws_skeleton(tmp_path):
    truth = json.loads(sample_clip().with_suffix(".json").read_text())
    state, shot = run_app(tmp_path, "sample", "--no-realtime")
    assert state["message"] == ""
    assert abs(state["reps"] - truth["squat_reps"]) <= 1
    # One set of squats, then the fall: the big number is that set's count, the list names it.
    assert state["reps_label"] == str(state["reps"]) == str(state["set_reps"])
    assert state["set_lines"] == [f"1. Squat  {state['reps']} reps"]
    assert state["set_caption"] == f"reps, last set  ·  total {state['reps']}"
    assert state["captions"] == ["Video source", "Exercise", "Pose model", "Options"]
    assert state["fall_banner_visible"] and state["falls"] == 1
    assert state["worker_frames"] == truth["frames"]
    # The screenshot is a real rendering, not a blank window.
    import cv2

    img = cv2.imread(state["screenshot"])[:, :, ::-1]
    assert img.shape[:2] == (600, 1000) and img.std() > 20
    # Skeleton pixels sit exactly where the keypoints are, shaded by confidence.
    overlay = np.load(Path(str(shot)).with_suffix(".overlay.npy"))
    xy, conf = np.array(state["last_keypoints"]), np.array(state["last_conf"])
    checked = 0
    limbs = [Keypoint[f"{side}_{part}"] for part in ("HIP", "KNEE", "ANKLE", "SHOULDER", "ELBOW", "WRIST")
             for side in ("LEFT", "RIGHT")]
    # draw_pose paints every joint with conf >= 0.3 as a filled circle, in keypoint order (the
    # later on top), radius 2 + round(short side / 200), anti-aliased over about a pixel. Where
    # joints overlap (a person lying side-on has left and right joints within a few pixels), the
    # pixel at a joint's centre carries the colour of the last circle that covers it fully; a
    # pixel on a later circle's anti-aliased rim is a blend, and is not checked.
    radius = 2 + max(1, round(min(overlay.shape[:2]) / 200))
    drawn = [k for k in Keypoint if conf[k] >= 0.3]
    for kp in limbs:
        if conf[kp] < 0.5:
            continue
        x, y = np.round(xy[kp]).astype(int)
        d = {k: np.hypot(*(np.round(xy[k]) - (x, y))) for k in drawn}
        top = max(k for k in drawn if d[k] <= radius - 1)
        if any(k > top and d[k] <= radius + 1 for k in drawn):
            continue
        if 0 <= x < overlay.shape[1] and 0 <= y < overlay.shape[0]:
            dist = np.abs(overlay[y, x].astype(int) - expected_colour(top, conf[top])).max()
            assert dist <= COLOUR_TOL, (kp, top)
            checked += 1
    assert checked >= 2
    # The same overlay colours are visible in the window itself.
    near_left = (np.abs(img.astype(int) - np.array(_LEFT) * 0.9).max(-1) < 60).sum()
    assert near_left > 10


def test_real_exercise_clip_increments_the_rep_counter(tmp_path, shared_data):
    video = shared_data / "workouttracker" / "videos" / "pull-ups" / "pull-up_11.mp4"  # 3 marked reps
    state, _ = run_app(tmp_path, video, "--no-realtime")
    assert state["reps"] >= 1 and state["frames"] > 10


def test_missing_camera_shows_a_message(tmp_path):
    state, _ = run_app(tmp_path, "camera:7")
    assert "camera 7 could not be opened" in state["message"]
    assert state["source_shown"] == "Camera 7"


def test_unreadable_file_shows_a_message(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    state, _ = run_app(tmp_path, bad)
    assert f"video '{bad}' could not be read" in state["message"]
    assert state["source_shown"] == "broken.mp4"  # the picker names the file, not "Sample clip"


def test_portrait_layout(tmp_path):
    state, shot = run_app(tmp_path, "sample", "--exit-after", "2", size="480x800")
    assert state["orientation"] == "vertical" and state["window_size"] == [480, 800]


def test_buildozer_spec_can_package_the_models():
    spec = configparser.ConfigParser()
    spec.read(REPO / "app" / "buildozer.spec")
    app = spec["app"]
    exts = set(app["source.include_exts"].split(","))
    assert {"tflite", "json", "kv", "py"} <= exts
    reqs = app["requirements"].split(",")
    assert "tflite-runtime" in reqs and "numpy" in reqs and any(r.startswith("kivy") for r in reqs)
    assert {"pyjnius", "android"} <= set(reqs)  # the camera provider and the permission request
    assert app["android.permissions"].strip() == "CAMERA"


def test_android_stage_holds_what_the_phone_runs(tmp_path):
    """The staged folder (what buildozer packages) has main.py at its root, the app and posekit as
    packages with every model the manifest names, and its main.py imports the staged copies."""
    import json
    import subprocess
    import sys

    from app.stage import stage

    out = stage(tmp_path / "android")
    assert (out / "main.py").is_file() and (out / "buildozer.spec").is_file()
    manifest = json.loads((out / "posekit" / "models" / "manifest.json").read_text())
    for entry in manifest["models"].values():
        assert (out / "posekit" / "models" / entry["file"]).is_file()
    assert (out / "posekit" / "data" / "sample.mp4").is_file() and not list(out.rglob("__pycache__"))
    code = ("import runpy, sys; sys.argv = ['main.py']; import app.main, posekit; "
            "print(app.main.__file__); print(posekit.__file__)")
    res = subprocess.run([sys.executable, "-c", code], cwd=out, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert all(line.startswith(str(out)) for line in res.stdout.split())


def test_chosen_exercise_counts_and_shows_a_form_cue(tmp_path):
    """Exercise picker set to squat on a rendered side-view squat set whose last three reps are
    shallow: the counter counts the deep ones, the exercise label follows the choice and a form cue
    in words reaches the screen (from pixels, through the real pose model)."""
    from training.synth.dataset import form_clip

    clip = tmp_path / "form.mp4"
    truth = form_clip(clip)
    state, _ = run_app(tmp_path, clip, "--no-realtime", "--exercise", "squat")
    assert state["message"] == ""
    assert state["exercise_label"] == "Squat"
    # The deep reps count; the three shallow ones (0.11 of standing hip height lost, measured
    # through the app's default model, against the depth cue's 0.33) are partial reps, reported and
    # not counted, as the counter's rules say (the earlier student read every squat at about the
    # same, too-shallow depth and counted all five).
    assert state["reps"] == len(truth["deep_bottoms"])
    assert "squat_depth" in state.get("cues", [])
    # The cue in words, without the raw measurement.
    assert state["cue_label"].startswith("Squat deeper") and not any(c.isdigit() for c in state["cue_label"])
