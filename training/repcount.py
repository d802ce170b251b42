"""RepCount-pose's training split (``../shared/data/repcount_pose``): salient poses and repetition
boundaries of 388 training videos, a held-back share of the videos, and per-frame sequences
rebuilt from each video's own poses and timing.

The split holds one pose (MediaPipe BlazePose, pixels) per *salient* frame: ``salient1`` = a
repetition's start/end, ``salient2`` = its middle; and each video's repetition boundaries. It has
no per-frame sequences. :func:`rebuilt_sequence` makes one for a video from what it does have: its
reps at their labelled frames, each going from one of the video's own start poses through one of
its own middle poses and back (cosine easing), held between reps, with keypoint jitter and a slow
sway. The count to find is the number of labelled reps. The poses and timing are the video's; the
way between two poses is not, so these figures measure counting over real people, views and tempi,
not over real trajectories.
"""

from __future__ import annotations

import csv
import zlib
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .paths import data_dir

#: RepCount's class names -> posekit's exercise names.
CLASSES = {"bench_pressing": "bench_press", "front_raise": "front_raise", "lunge": "lunge", "pull_ups": "pull_up",
           "push_up": "push_up", "rope_pushdown": "rope_pushdown", "sit_up": "sit_up", "squat": "squat"}
#: One video in this many is held back (by a hash of its name): never trained on.
HOLDOUT_EVERY = 5
#: Frame rate the boundaries are read at (RepCount's videos are mostly 30 fps).
FPS = 30.0


@dataclass
class Video:
    name: str
    exercise: str  # posekit's name
    starts: np.ndarray  # (n, 33, 3) salient1 poses: start/end of a rep
    middles: np.ndarray  # (m, 33, 3) salient2 poses: middle of a rep
    reps: list[tuple[int, int]]  # (start, end) frames of each labelled rep
    start_rep: np.ndarray  # (n,) the rep each start pose was taken from
    middle_rep: np.ndarray  # (m,) the rep each middle pose was taken from

    def start_of(self, rep: int) -> np.ndarray:
        """The start pose taken nearest to rep ``rep``."""
        return self.starts[int(np.argmin(np.abs(self.start_rep - rep)))]

    def middle_of(self, rep: int) -> np.ndarray:
        return self.middles[int(np.argmin(np.abs(self.middle_rep - rep)))]

    @property
    def held_back(self) -> bool:
        return is_held_back(self.name)


def fold(name: str) -> int:
    """A video's fold, 0 to HOLDOUT_EVERY - 1, from a hash of its name: fold 0 is held back."""
    return zlib.crc32(name.encode()) % HOLDOUT_EVERY


def is_held_back(name: str) -> bool:
    return fold(name) == 0


def _pose(values: list[str]) -> np.ndarray:
    """33 x (x, y, z) pixels -> (33, 3) (x, y, confidence 1)."""
    xyz = np.asarray(values, dtype=np.float64).reshape(33, 3)
    return np.concatenate([xyz[:, :2], np.ones((33, 1))], axis=1)


def load_videos() -> list[Video]:
    """Every training video that has both salient poses of each kind and labelled reps."""
    root = data_dir() / "repcount_pose"
    # A video's salient frames are numbered in rep order: its n start poses 0..n-1, then its
    # middle poses n..2n-1 (n = its labelled reps), some missing.
    poses: dict[tuple[str, str], tuple[list, list]] = defaultdict(lambda: ([], []))
    with (root / "salient_train.csv").open() as f:
        for row in csv.reader(f):
            _, cls, kind, video, frame = row[0].split("/")
            poses[(cls, video)][kind == "salient2"].append((int(frame.split(".")[0]), _pose(row[2:])))
    out = []
    with (root / "cycles_train.csv").open() as f:
        for row in csv.DictReader(f):
            key = (row["type"], row["name"])
            marks = [int(float(v)) for k, v in row.items() if k and k.startswith("L") and v]
            reps = sorted((a, b) for a, b in zip(marks[::2], marks[1::2]) if b > a)
            starts, middles = poses.get(key, ([], []))
            if starts and middles and reps:
                n = len(reps)
                out.append(Video(row["name"], CLASSES[row["type"]], np.stack([p for _, p in starts]),
                                 np.stack([p for _, p in middles]), reps, np.array([k for k, _ in starts]),
                                 np.array([k - n if k >= n else k for k, _ in middles])))
    return out


def salient_frames(videos: list[Video]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(N, 33, 3) poses, (N,) exercise names as class indices into sorted(CLASSES.values()),
    (N,) phase (0 start/end, 1 middle) and the video of each."""
    names = sorted(CLASSES.values())
    kps, cls, phase, vid = [], [], [], []
    for v in videos:
        for p, arr in ((0, v.starts), (1, v.middles)):
            kps.append(arr)
            cls += [names.index(v.exercise)] * len(arr)
            phase += [p] * len(arr)
            vid += [v.name] * len(arr)
    return np.concatenate(kps), np.asarray(cls), np.asarray(phase), vid


def rebuilt_sequence(v: Video, seed: int = 0, jitter: float = 0.03, sway: float = 0.05) -> np.ndarray:
    """(T, 33, 3) per-frame poses of video ``v`` at :data:`FPS` (see the module's docstring).
    ``jitter``: per-frame noise, ``sway``: slow drift, both in torso lengths."""
    rng = np.random.default_rng(seed)
    T = v.reps[-1][1] + int(FPS)
    # Keyframes: (frame, pose). Rep k: the start pose nearest k at its start, the middle pose
    # nearest k half-way, the start pose nearest k + 1 at its end; between reps the body rests in
    # the end pose until the next start.
    keys: list[tuple[int, np.ndarray]] = [(0, v.start_of(0))]
    for k, (a, b) in enumerate(v.reps):
        a = max(a, keys[-1][0] + 1)
        if b <= a + 1:
            continue
        keys.append((a, keys[-1][1]))
        keys.append(((a + b) // 2, v.middle_of(k)))
        keys.append((b, v.start_of(k + 1)))
    keys.append((max(T - 1, keys[-1][0] + 1), keys[-1][1]))
    frames = np.array([k for k, _ in keys])
    poses = np.stack([p for _, p in keys])
    T = int(frames[-1]) + 1
    t = np.arange(T)
    j = np.clip(np.searchsorted(frames, t, side="right") - 1, 0, len(frames) - 2)
    u = (t - frames[j]) / np.maximum(frames[j + 1] - frames[j], 1)
    w = (0.5 - 0.5 * np.cos(np.pi * u))[:, None, None]
    seq = (1 - w) * poses[j] + w * poses[j + 1]
    sh, hip = seq[:, [11, 12], :2].mean(1), seq[:, [23, 24], :2].mean(1)
    torso = float(np.median(np.hypot(*(sh - hip).T)))
    noise = rng.normal(0, jitter * torso, (T, 33, 2))
    drift = np.cumsum(rng.normal(0, 1, (T, 1, 2)), axis=0)
    drift = drift - np.linspace(0, 1, T)[:, None, None] * drift[-1]  # a bridge: starts and ends at 0
    drift *= sway * torso / max(float(np.abs(drift).max()), 1e-9)
    seq[..., :2] += noise + drift
    return seq
