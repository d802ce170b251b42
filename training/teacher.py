"""The MediaPipe BlazePose GHUM teachers (lite, full, heavy), run through posekit's own PoseModel.

Found in ``../shared/models/mediapipe`` or fetched from the mediapipe 0.10.21 wheel
(``pip download mediapipe==0.10.21 --no-deps``) into the cache on first use. Heavy labels the
training data (the most accurate); lite and full are the baselines every pose table shows.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from posekit.pose.model import PoseModel

from .paths import cache_dir, shared_dir

TEACHERS = ("lite", "full", "heavy")
LANDMARK_MEMBER = "mediapipe/modules/pose_landmark/pose_landmark_{}.tflite"
DETECTOR_MEMBER = "mediapipe/modules/pose_detection/pose_detection.tflite"

TEACHER_ENTRY = {
    "output_layout": "blazepose_ghum_39x5",
    "inputs": [{"shape": [1, 256, 256, 3], "dtype": "float32"}],
    "outputs": [
        {"shape": [1, 195], "dtype": "float32"}, {"shape": [1, 1], "dtype": "float32"},
        {"shape": [1, 256, 256, 1], "dtype": "float32"}, {"shape": [1, 64, 64, 39], "dtype": "float32"},
        {"shape": [1, 117], "dtype": "float32"},
    ],
}


def teacher_path(fetch: bool = True, teacher: str = "full") -> Path:
    """Path of ``pose_landmark_<teacher>.tflite``: shared copy, cached copy, or fetched from PyPI."""
    if teacher not in TEACHERS:
        raise ValueError(f"teacher must be one of {TEACHERS}, got {teacher!r}")
    shared = shared_dir() / "models" / "mediapipe" / f"pose_landmark_{teacher}.tflite"
    if shared.is_file():
        return shared
    cached = cache_dir() / "mediapipe" / f"pose_landmark_{teacher}.tflite"
    if cached.is_file() or not fetch:
        return cached
    dl = cache_dir() / "mediapipe" / "wheel"
    dl.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "mediapipe==0.10.21", "--no-deps",
                    "--only-binary=:all:", "--python-version", "3.11", "-d", str(dl)], check=True)
    wheel = next(dl.glob("mediapipe-0.10.21-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        for member in [LANDMARK_MEMBER.format(t) for t in TEACHERS] + [DETECTOR_MEMBER]:
            (cached.parent / Path(member).name).write_bytes(z.read(member))
    return cached


def load_teacher(num_threads: int = 1, teacher: str = "full") -> PoseModel:
    return PoseModel(teacher_path(teacher=teacher), num_threads=num_threads, entry=TEACHER_ENTRY)
