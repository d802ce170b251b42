"""`posekit run` end to end on real 720p video, against `Session` on the same frames, one run.

The targets are wall-clock frame rates on this 2-core machine: `Session` >= 250 FPS (1 thread),
`posekit run` >= 100 FPS with the annotated video and >= 150 with `--no-video`. A shared machine's
speed varies, so each is recorded (``meets_target``) rather than asserted; what is asserted is a
ratio in one run: the whole command with decoding, writing and (overlapped) drawing and encoding
keeps at least a third of the pipeline's own rate.
"""

import json
import time

import numpy as np
import pytest

from posekit import Session
from posekit.cli import main as cli

TARGETS = {"session": 250.0, "run_no_video": 150.0, "run_with_video": 100.0}
FRAMES = 900  # 30 s: the first frame's acquisition and the interpreters' warm-up amortised


@pytest.fixture(scope="module")
def clip(shared, tmp_path_factory):
    """WorkoutTracker's 1280x720 clips one after another (cuts between them, as in a compilation),
    the first 900 frames, written once as an mp4."""
    import cv2

    out = tmp_path_factory.mktemp("run") / "720p.mp4"
    writer, n = None, 0
    for path in sorted((shared / "data" / "workouttracker" / "videos").glob("*/*.mp4")):
        cap = cv2.VideoCapture(str(path))
        if (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) != (1280, 720):
            continue
        writer = writer or cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (1280, 720))
        while n < FRAMES:
            ok, frame = cap.read()
            if not ok:
                break
            writer.write(frame)
            n += 1
        cap.release()
    writer.release()
    assert n >= 300
    return out


def session_fps(clip) -> float:
    from posekit.video import FrameSource

    with FrameSource(clip) as src:
        # Each frame kept as the decoder hands it out: the RGB view of a BGR array.
        frames = [(np.ascontiguousarray(f.rgb[:, :, ::-1])[:, :, ::-1], f.timestamp_ms) for f in src]
    with Session() as s:
        t0 = time.perf_counter()
        for rgb, ts in frames:
            s.process(rgb, ts)
        s.flush()
        return len(frames) / (time.perf_counter() - t0)


def run_fps(clip, out, *extra) -> tuple[float, dict]:
    assert cli(["run", str(clip), "--out", str(out), "--quiet", *extra]) == 0
    summary = json.loads((out / "summary.json").read_text())
    return summary["processing_fps"], summary["timing_ms_per_frame"]


def test_run_against_session_on_720p(benchmark, clip, tmp_path):
    got = {}

    def measure():
        got["session"] = session_fps(clip)
        got["run_no_video"], got["stages_no_video"] = run_fps(clip, tmp_path / "a", "--no-video")
        got["run_with_video"], got["stages_with_video"] = run_fps(clip, tmp_path / "b")

    benchmark.pedantic(measure, rounds=1, iterations=1)
    for k, target in TARGETS.items():
        benchmark.extra_info[f"{k}_fps"] = round(got[k], 1)
        benchmark.extra_info[f"{k}_meets_target"] = got[k] >= target
    benchmark.extra_info["stages_ms_with_video"] = got["stages_with_video"]
    assert got["run_no_video"] >= got["session"] / 3
    assert got["run_with_video"] >= got["session"] / 6
