"""Sequence data for the activity classifiers: Penn Action (human joint labels, official split) and
synthetic motion (every class, with pose-model-like noise), as token sequences at the model rate.

All inputs go through the runtime's own preprocessing (``to_body13`` -> ``normalise`` ->
``sequence_tokens``), so training, export and the SDK see identical features.

Penn Action classes -> posekit labels: squat, pushup -> push_up, pullup -> pull_up, bench_press,
jumping_jacks -> jumping_jack, situp -> sit_up; every other Penn class (baseball, bowling, golf,
guitar, tennis, clean_and_jerk, jump_rope) -> other.
"""

from __future__ import annotations

import csv
import json
import logging
import zipfile

import numpy as np

from posekit.activity.classifier import MODEL_RATE, TOKENS, WINDOW, sequence_tokens
from posekit.activity.body import normalise, to_body13
from posekit.activity.labels import LABEL_ID, LABELS
from posekit.activity.inputs import input_body13

from .paths import cache_dir, data_dir

log = logging.getLogger("posekit.activity_data")

PENN_MAP = {"squat": "squat", "pushup": "push_up", "pullup": "pull_up", "bench_press": "bench_press",
            "jumping_jacks": "jumping_jack", "situp": "sit_up"}
#: Speed factors used as augmentation (a clip replayed slower / faster).
SPEEDS = (0.8, 1.0, 1.25)
SYNTH_KINDS = ("squat", "push_up", "lunge", "sit_up", "jumping_jack", "pull_up", "bench_press", "plank", "standing",
               "walking", "running", "sitting_down", "lying_down", "picking_up", "other", "fall")
# L/R token pairs in BODY13 order (head, then left/right pairs): flip swaps them.
FLIP = np.array([0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 13])


def penn_label(action: str) -> int:
    return LABEL_ID[PENN_MAP.get(action, "other")]


def penn_index() -> list[dict[str, str]]:
    """Penn Action's index rows: video_id, action, split, ..."""
    return list(csv.DictReader((data_dir() / "penn_action" / "index.csv").open()))


def penn_joints(video_id: str) -> np.ndarray:
    """One Penn Action clip's human joint labels: (T, 13, 3) x, y, visibility in its penn13 layout."""
    from scipy.io import loadmat

    m = loadmat(data_dir() / "penn_action" / "labels" / f"{video_id}.mat")
    return np.stack([m["x"], m["y"], m["visibility"]], -1).astype(np.float64)


def load_penn(speeds: tuple[float, ...] = SPEEDS, limit: int | None = None, transform=None) -> list[dict]:
    """Penn Action clips as token sequences: [{'tokens', 'label', 'split', 'video', 'action', 'speed'}].
    ``transform``: applied to each clip's (T, 13, 3) joints first, which are then read as
    ``analyze_keypoints`` reads any input (robustness checks, e.g. per-frame min-max)."""
    rows = penn_index()[:limit]
    out = []
    for r in rows:
        kps = penn_joints(r["video_id"])
        body = input_body13(transform(kps), "penn13") if transform else to_body13(kps, "penn13")
        for sp in speeds:
            tok = sequence_tokens(normalise(body, 30.0 * sp))
            out.append({"tokens": tok, "label": penn_label(r["action"]), "split": r["split"], "video": r["video_id"],
                        "action": r["action"], "speed": sp})
    return out


def synth_sequences(n_per_kind: int, seed: int = 0, seconds: float = 10.0, kinds: tuple[str, ...] = SYNTH_KINDS,
                    speeds: tuple[float, ...] = (1.0,)) -> list[dict]:
    """Synthetic sequences (noisy 2D, as a pose model would see them) with per-token labels."""
    from .synth.dataset import make_sequence

    out = []
    for kind in kinds:
        for i in range(n_per_kind):
            m, arr = make_sequence(kind, seed + 1000 * SYNTH_KINDS.index(kind) + i, seconds=seconds)
            src = arr["noisy"] if i % 4 else arr["kps2d"]
            body = to_body13(src, "blazepose33")
            for sp in speeds:
                seq = normalise(body, float(arr["fps"]) * sp)
                tok = sequence_tokens(seq)
                # Per-token label: the source frame each token was resampled from.
                src_idx = np.clip(np.round(np.arange(len(tok)) / MODEL_RATE * float(arr["fps"]) * sp).astype(int),
                                  0, len(m.labels) - 1)
                out.append({"tokens": tok, "labels": m.labels[src_idx].astype(np.int64), "kind": kind, "speed": sp})
    return out


#: Video sizes of the MD4FD sources (their landmarks are normalised by image size): URFD 640x480,
#: Le2i 320x240 (dataset documentation).
MD4FD_IMAGE_SIZE = {"le2i": (320, 240), "urfd": (640, 480)}
#: Training label of an MD4FD daily-activity window: "not a fall", class otherwise unknown.
NOT_FALL = -1


#: MD4FD's 11 joints, in its order (MD4FD's landmark_extractor.py: face, left and right shoulder,
#: hip and knee, then right ankle before left, then the wrists from the hand model), as BODY13
#: slots (head, LS, RS, LE, RE, LW, RW, LH, RH, LK, RK, LA, RA); it has no elbows.
MD4FD_SLOTS = [0, 1, 2, 7, 8, 9, 10, 12, 11, 5, 6]


def md4fd_windows() -> dict[str, list[tuple[np.ndarray, int]]]:
    """Dataset -> [(body13 (90, 13, 3) normalised by image size, label 1 fall / 0 daily activity)].

    URFD comes from ``URFD_normalized.zip`` only: ``ur_fall_FALL.json`` holds the same 35 fall
    windows (identical coordinates), so reading both would count every URFD fall twice."""
    d = data_dir() / "md4fd"
    raw: dict[str, list] = {"le2i": []}
    for f in ("le2i_home_01.json", "le2i_home_02.json"):
        raw["le2i"] += json.loads((d / f).read_text())
    with zipfile.ZipFile(d / "URFD_normalized.zip") as z:
        raw["urfd"] = json.loads(z.read("URFD_normalized.json"))
    out: dict[str, list[tuple[np.ndarray, int]]] = {}
    for name, windows in raw.items():
        items = []
        for w in windows:
            frames = np.asarray(w[:-1], dtype=np.float64)[:, :22].reshape(-1, 11, 2)
            body = np.full((len(frames), 13, 3), np.nan)
            body[:, MD4FD_SLOTS, :2] = frames
            body[:, MD4FD_SLOTS, 2] = 1.0
            # A wrist the hand model did not find was written as its hip plus 0.001-0.01 in x
            # and y (MD4FD's fix_wrist_landmarks): not seen.
            for wrist, hip in ((5, 7), (6, 8)):
                d = body[:, wrist, :2] - body[:, hip, :2]
                made_up = ((d >= 0.001 - 1e-9) & (d <= 0.01 + 1e-9)).all(axis=1)
                body[made_up, wrist] = np.nan
            items.append((body, int(w[-1])))
        out[name] = items
    return out


def md4fd_sequences(sets: tuple[str, ...]) -> list[dict]:
    """MD4FD windows of the given sets as token sequences, labelled fall or :data:`NOT_FALL`."""
    out = []
    for name, items in md4fd_windows().items():
        if name not in sets:
            continue
        size = np.array(MD4FD_IMAGE_SIZE[name], dtype=np.float64)
        for body, lab in items:
            px = body.copy()
            px[..., :2] *= size
            out.append({"tokens": sequence_tokens(normalise(px, 30.0)), "set": name,
                        "label": LABEL_ID["fall"] if lab == 1 else NOT_FALL})
    return out


def repcount_sequences(dev_fold: int = 0, seeds: int = 3, speeds: tuple[float, ...] = SPEEDS) -> list[dict]:
    """RepCount-pose's training videos (:mod:`training.repcount`) as token sequences labelled with
    their exercise, with the window ends (``ends``) whose windows show reps: each video rebuilt per
    frame from its own poses and rep timing, ``seeds`` times (other jitter, sway and choice of
    poses), at each speed. Held-back videos never; ``dev_fold`` (1-4) leaves that fold out too, for
    design choices on it."""
    from .repcount import FPS, fold, load_videos, rebuilt_sequence

    out = []
    for v in load_videos():
        if v.held_back or fold(v.name) == dev_fold:
            continue
        for seed in range(seeds):
            seq = rebuilt_sequence(v, seed=1000 + seed)
            body = to_body13(seq, "blazepose33")
            in_rep = np.zeros(len(seq), bool)
            for a, b in v.reps:
                in_rep[a:b + 1] = True
            for sp in speeds:
                tok = sequence_tokens(normalise(body, FPS * sp))
                # A token's source frame (playback at ``sp`` keeps the frames, not their times).
                src = np.clip(np.round(np.arange(len(tok)) / MODEL_RATE * FPS * sp).astype(int), 0, len(seq) - 1)
                # Window ends whose last half is at least half inside labelled reps: the body held
                # still before the first rep or between reps shows no exercise.
                cover = np.concatenate([[0], np.cumsum(in_rep[src])])
                ends = np.arange(WINDOW // 2, len(tok) + 1)
                ends = ends[cover[ends] - cover[ends - WINDOW // 2] >= WINDOW // 4]
                if len(ends):
                    out.append({"tokens": tok, "label": LABEL_ID[v.exercise], "ends": ends, "video": v.name,
                                "speed": sp})
    return out


def window_label(labels: np.ndarray) -> int:
    """Label of a window from its per-token labels: the majority of its last half, except that a
    fall anywhere in the last three quarters makes it a fall window."""
    tail = labels[len(labels) // 4:]
    if (tail == LABEL_ID["fall"]).sum() >= 3:
        return LABEL_ID["fall"]
    half = labels[len(labels) // 2:]
    return int(np.bincount(half, minlength=len(LABELS)).argmax())


def cut(tokens: np.ndarray, end: int) -> np.ndarray:
    """The window ending at token ``end`` (exclusive), zero-padded before the start."""
    start = end - WINDOW
    w = tokens[max(0, start):end]
    if start < 0:
        w = np.concatenate([np.zeros((-start, TOKENS, 3), np.float32), w])
    return w


class WindowSampler:
    """Random training windows: Penn clips and RepCount-pose videos (clip label), synthetic
    sequences (window label) and MD4FD windows, with class-balanced sampling and feature-space
    augmentation."""

    def __init__(self, penn: list[dict], synth: list[dict], seed: int = 0, penn_frac: float = 0.5,
                 md4fd: list[dict] | None = None, md4fd_frac: float = 0.0, repcount: list[dict] | None = None,
                 repcount_frac: float = 0.0, estimator_bias: float = 0.0, estimator_drift: float = 0.5) -> None:
        self.rng = np.random.default_rng(seed)
        self.estimator_bias, self.estimator_drift = estimator_bias, estimator_drift
        self.penn, self.synth, self.penn_frac = penn, synth, penn_frac
        # Real people's exercise videos (clip label), drawn class-balanced like Penn Action's.
        self.repcount_frac = repcount_frac if repcount else 0.0
        self.repcount_by_label: dict[int, list[dict]] = {}
        for r in repcount or []:
            self.repcount_by_label.setdefault(r["label"], []).append(r)
        # Real fall / daily-activity windows (label fall or NOT_FALL), half of each per draw.
        self.md4fd = {lab: [m for m in (md4fd or []) if m["label"] == lab] for lab in (LABEL_ID["fall"], NOT_FALL)}
        self.md4fd_frac = md4fd_frac if all(self.md4fd.values()) else 0.0
        # Pre-index synthetic windows by label so rare classes (fall) are sampled often enough.
        self.synth_index: dict[int, list[tuple[int, int]]] = {}
        for si, s in enumerate(synth):
            T = len(s["tokens"])
            for end in range(WINDOW // 2, T + 1, 4):
                lab = window_label(s["labels"][max(0, end - WINDOW):end])
                self.synth_index.setdefault(lab, []).append((si, end))
        self.penn_by_label: dict[int, list[int]] = {}
        for pi, p in enumerate(penn):
            self.penn_by_label.setdefault(p["label"], []).append(pi)

    def sample(self, batch: int, augment: bool = True) -> tuple[np.ndarray, np.ndarray]:
        x = np.zeros((batch, WINDOW, TOKENS, 3), np.float32)
        y = np.zeros(batch, np.int64)
        n_penn = int(round(batch * self.penn_frac)) if self.penn else 0
        n_md = int(round(batch * self.md4fd_frac))
        n_rc = int(round(batch * self.repcount_frac))
        for b in range(batch):
            if b >= batch - n_md:
                lab = (LABEL_ID["fall"], NOT_FALL)[b % 2]
                m = self.md4fd[lab][self.rng.integers(len(self.md4fd[lab]))]
                T = len(m["tokens"])
                x[b], y[b] = cut(m["tokens"], int(self.rng.integers(min(T, WINDOW), T + 1))), lab
            elif b < n_penn:
                lab = list(self.penn_by_label)[self.rng.integers(len(self.penn_by_label))]
                p = self.penn[self.penn_by_label[lab][self.rng.integers(len(self.penn_by_label[lab]))]]
                T = len(p["tokens"])
                end = int(self.rng.integers(min(T, WINDOW // 2), T + 1)) if T > WINDOW // 2 else T
                x[b], y[b] = cut(p["tokens"], end), p["label"]
            elif b < n_penn + n_rc:
                labs = list(self.repcount_by_label)
                group = self.repcount_by_label[labs[self.rng.integers(len(labs))]]
                r = group[self.rng.integers(len(group))]
                x[b], y[b] = cut(r["tokens"], int(r["ends"][self.rng.integers(len(r["ends"]))])), r["label"]
            else:
                labs = list(self.synth_index)
                lab = labs[self.rng.integers(len(labs))]
                si, end = self.synth_index[lab][self.rng.integers(len(self.synth_index[lab]))]
                x[b], y[b] = cut(self.synth[si]["tokens"], end), lab
        if augment:
            x = augment_windows(x, self.rng, self.estimator_bias, self.estimator_drift)
        return x, y


#: Joint groups a source may lack for a whole sequence (MD4FD has no elbows, some exports no
#: head or feet): BODY13 slots.
MISSING_GROUPS = ((3, 4), (5, 6), (0,), (11, 12))


#: How much less the hips move under :func:`estimator_offsets` than the other joints: the tokens
#: are centred on the hips' midpoint, so only their spread can differ between estimators.
HIP_BIAS_SHARE = 0.3


def estimator_offsets(shape: tuple[int, int], rng: np.random.Generator, scale: float,
                      drift: float = 0.5) -> np.ndarray:
    """(B, WINDOW, 13, 2) offsets (torso lengths) that one pose estimator's keypoints carry against
    another's on the same video: per window and joint a constant bias (where each places an elbow,
    an ankle, a hip; N(0, s) with s ~ U(0, ``scale``)), and a slow drift of ``drift`` times that
    size (a smooth random curve over the window). Measured between the bundled student and MediaPipe full on
    WorkoutTracker's videos: a mean |bias| of 0.03 (hips) to 0.14 (wrists) torso lengths per clip
    (docs/evidence/exercise.md)."""
    B, T = shape
    s = rng.uniform(0, scale, B)[:, None, None, None]
    bias = rng.normal(0, 1, (B, 1, 13, 2))
    walk = np.cumsum(rng.normal(0, 1, (B, T, 13, 2)), axis=1)
    walk -= walk.mean(axis=1, keepdims=True)
    walk /= walk.std(axis=(1, 2, 3), keepdims=True) + 1e-6
    off = s * (bias + drift * walk)
    off[:, :, 7:9] *= HIP_BIAS_SHARE
    return off.astype(np.float32)


def augment_windows(x: np.ndarray, rng: np.random.Generator, estimator_bias: float = 0.0,
                    estimator_drift: float = 0.5) -> np.ndarray:
    """Flip (L/R swap), small rotation, anisotropic scale (coordinates normalised by a non-square
    image), jitter, another estimator's offsets (:func:`estimator_offsets`, when
    ``estimator_bias`` > 0), joint and frame dropout, and whole joint groups missing for the window."""
    x = x.copy()
    B = len(x)
    flip = rng.random(B) < 0.5
    x[flip] = x[flip][:, :, FLIP]
    x[flip, :, :, 0] *= -1
    ang = np.radians(rng.uniform(-12, 12, B))
    c, s = np.cos(ang)[:, None, None], np.sin(ang)[:, None, None]
    sx = rng.uniform(0.85, 1.15, B)[:, None, None]
    sy = sx * rng.uniform(0.75, 1.33, B)[:, None, None]
    j = x[:, :, :13]
    xx, yy = j[..., 0].copy(), j[..., 1].copy()
    j[..., 0] = (c * xx - s * yy) * sx
    j[..., 1] = (s * xx + c * yy) * sy
    j[..., :2] += rng.normal(0, 1, j[..., :2].shape) * rng.uniform(0.0, 0.05, B)[:, None, None, None]
    if estimator_bias > 0:
        j[..., :2] += estimator_offsets(j.shape[:2], rng, estimator_bias, estimator_drift)
    drop = rng.random(j.shape[:3]) < rng.uniform(0, 0.08, B)[:, None, None]
    fdrop = rng.random(j.shape[:2]) < rng.uniform(0, 0.05, B)[:, None]
    drop |= fdrop[..., None]
    for b in np.flatnonzero(rng.random(B) < 0.2):
        drop[b, :, list(MISSING_GROUPS[rng.integers(len(MISSING_GROUPS))])] = True
    j[drop] = 0.0
    j[..., :2] *= j[..., 2:3]  # unobserved joints stay exactly zero
    x[:, :, :13] = j
    x[fdrop, 13] = 0.0
    return x


def penn_eval_windows(clips: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All stride windows of the given clips: (windows, clip index per window, clip labels)."""
    from posekit.activity.classifier import windows

    xs, owner = [], []
    for ci, c in enumerate(clips):
        w, _ = windows(c["tokens"])
        xs.append(w)
        owner += [ci] * len(w)
    return np.concatenate(xs), np.asarray(owner), np.asarray([c["label"] for c in clips])


def cached(name: str, build, refresh: bool = False):
    """Pickle-cache a built dataset under the posekit cache (outside git). Its labels are ids into
    :data:`LABELS`, so the key holds a digest of that list: a dataset built for another label
    set is built again, never read with its ids shifted."""
    import hashlib
    import pickle

    labels = hashlib.sha256(",".join(LABELS).encode()).hexdigest()[:8]
    path = cache_dir() / "activity" / f"{name}_labels{labels}.pkl"
    if path.exists() and not refresh:
        return pickle.loads(path.read_bytes())
    data = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(data))
    return data


def penn_clips(limit: int | None = None) -> list[dict]:
    """Penn Action token sequences (every split and playback speed), from the dataset cache."""
    return cached(f"penn_{limit}", lambda: load_penn(limit=limit))


def penn_test_clips(clips: list[dict]) -> list[dict]:
    """The official test split at its own speed: what every Penn Action accuracy is measured on."""
    return [p for p in clips if p["split"] == "test" and p["speed"] == 1.0]


def synth_train_sequences(per_kind: int, seconds: float) -> list[dict]:
    """The synthetic training sequences of an activity run (three playback speeds), from the
    dataset cache. One builder for the one cache key: training and export calibration alike."""
    from .synth.motions import VERSION

    return cached(f"synth_{per_kind}_{seconds}_v{VERSION}",
                  lambda: synth_sequences(per_kind, seed=0, seconds=seconds, speeds=(0.8, 1.0, 1.25)))


def synth_test_sequences() -> list[dict]:
    """Held-out synthetic sequences (6 per kind, seeds far from training's), from the dataset cache."""
    from .synth.motions import VERSION

    return cached(f"synth_test_6_v{VERSION}", lambda: synth_sequences(6, seed=900_000, seconds=10.0))
