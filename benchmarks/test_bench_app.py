"""Demo app frame loop throughput, offscreen on this machine with the bundled int8 pose model and the
int8 activity classifier (target >= 30 FPS).

Also saves the README screenshots (exercise with reps; fall alert) from the same runs.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(tmp_path, *args, source="sample"):
    state = tmp_path / "state.json"
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen", KIVY_NO_ARGS="1")
    subprocess.run([sys.executable, "-m", "app", "--source", source, "--autostart", "--state", str(state),
                    "--size", "1000x600", *args], cwd=REPO, env=env, check=True, capture_output=True, timeout=300)
    return json.loads(state.read_text())


def test_app_frame_loop_fps(benchmark, tmp_path):
    # No real-time pacing: the loop runs as fast as decode + pose + activity + overlay allow.
    result = {}

    def run():
        result.update(_run(tmp_path, "--no-realtime", "--exit-when-done", "--screenshot", str(tmp_path / "fall.png"),
                           "--model", "pose_student_int8"))

    benchmark.pedantic(run, rounds=1, iterations=1)
    fps = statistics.median(result["fps"])
    benchmark.extra_info["app_loop_fps_median"] = round(fps, 1)
    benchmark.extra_info["frames"] = result["worker_frames"]
    benchmark.extra_info["model"] = "pose_student_int8"
    assert result["fall_banner_visible"]
    if os.environ.get("POSEKIT_SAVE_SCREENSHOTS"):
        shutil.copy(result["screenshot"], REPO / "benchmarks" / "app_fall.png")
        # Exercise screenshot: the rendered side-view squat set whose last reps are too shallow
        # (exercise recognised automatically; the form cue comes from the pose model's keypoints).
        from training.synth.dataset import form_clip

        clip = tmp_path / "form.mp4"
        form_clip(clip)
        ex = _run(tmp_path, "--no-realtime", "--exit-when-done", "--screenshot", str(tmp_path / "exercise.png"),
                  source=str(clip))
        shutil.copy(ex["screenshot"], REPO / "benchmarks" / "app_exercise.png")
