"""Evaluate the activity layer on real human data (never used to tune thresholds on the fly).

* Falls, MD4FD keypoint windows (MediaPipe landmarks, 30 fps, 3 s): Le2i and URFD windows,
  recall at the specificity the detector gives. Cross-dataset: with ``--fall-folds``, each set is
  analysed with the classifier fold that was trained on the other set only.
* Falls from pixels: ``urfd/fall-01-cam0.mp4`` (RGB half) through posekit.Session: one event
  within 1 s of the labelled onset (frame 83); with ``--fall-folds``, by the fold that never saw URFD.
* Reps from pixels: WorkoutTracker clips with rep markers through posekit.Session: count MAE
  (|pred - true| / true) and off-by-one accuracy, and how many of these exercise clips raise a fall
  (false alarms); with ``--teacher-pose`` the same on the teacher's keypoints, which separates the
  counter's errors from the pose model's.
* The figures from pixels again with each video seen as if filmed otherwise (``--capture``:
  mirrored, half resolution, 15 fps, low light, JPEG quality 20, greyscale, a portrait frame).

    python -m training.eval_activity --out eval/ --fall-folds ~/.cache/posekit/runs
    python -m training.eval_activity --out eval/ --fall-folds ~/.cache/posekit/runs --capture
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from posekit.activity import FallOptions, analyze_keypoints, normalise, to_body13
from posekit.activity.inputs import centred_per_frame, minmax_per_frame
from posekit.errors import InputWarning, InvalidInputError

from .activity_data import MD4FD_IMAGE_SIZE, md4fd_windows

from .paths import data_dir

log = logging.getLogger("posekit.eval_activity")
URFD_ONSET_FRAME = 83  # data README: falls on frames 83-112
URFD_LYING_FRAME = 113  # urfall-cam0-falls.csv: fall-01 lying (label 1) from frame 113
URFD_FPS = 30.0


#: Cross-dataset fall folds: held-out MD4FD set -> the set its classifier was trained on. Each
#: fold is a run directory ``<runs>/falls_without_<held-out set>`` (``make train-falls``).
FOLDS = {"le2i": "urfd", "urfd": "le2i"}


def fold_models(runs: Path) -> dict[str, Path]:
    """Held-out set -> its fold's LSTM in the shipped format, as ``make train-activity`` exports it
    (``python -m export.activity --run RUN [--run RUN_s1 ...] --lstm-only``: the ensemble of the
    fold's seeds, written under the first).

    Raises:
        SystemExit: a fold's model is missing, or older than the weights of one of its seeds
            (retrained since)."""
    out = {}
    for held in FOLDS:
        run = runs / f"falls_without_{held}"
        path = run / "export" / "activity_lstm_int8.tflite"
        if not (run / "lstm.weights.h5").exists():
            raise SystemExit(f"no fall fold in {run}: train it with make train-activity")
        seeds = [run, *sorted(runs.glob(f"falls_without_{held}_s*"))]
        newest = max(r.joinpath("lstm.weights.h5").stat().st_mtime for r in seeds if (r / "lstm.weights.h5").exists())
        if not path.exists() or path.stat().st_mtime < newest:
            raise SystemExit(f"{path} is missing or older than the weights of the fold's seeds: export it with "
                             f"make fold-models")
        out[held] = path
    return out


#: Exports that normalise each frame on their own, as keypoint files in the wild often are:
#: name -> what they do to a (T, 13, C) BODY13 sequence. ``analyze_keypoints`` warns on both.
PER_FRAME_EXPORTS = {"minmax": minmax_per_frame, "centred": centred_per_frame}


#: MD4FD cut each recording into 90-frame windows at this stride (frames).
MD4FD_STRIDE = 15


def md4fd_runs(items: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Run index per MD4FD window, in file order: a window whose first frames are the previous
    window's last ones (:data:`MD4FD_STRIDE` on) continues the same stretch of one recording, so
    the windows of a run show one person and one event, 0.5 s apart."""
    runs = [0]
    for (a, _), (b, _) in zip(items, items[1:]):
        same = a.shape == b.shape and np.allclose(a[MD4FD_STRIDE:], b[:-MD4FD_STRIDE], equal_nan=True)
        runs.append(runs[-1] + (not same))
    return np.asarray(runs[:len(items)])


def run_counts(pred: np.ndarray, fall: np.ndarray, runs: np.ndarray) -> dict[str, int]:
    """Per-window alarms ``pred`` and labels ``fall`` (bool arrays) counted per run (``runs``, as
    :func:`md4fd_runs` gives): fall runs, those with an alarm in at least one of their fall
    windows, daily-activity runs, and those with an alarm in at least one of theirs."""
    fall_runs, adl_runs = np.unique(runs[fall]), np.unique(runs[~fall])
    return {"fall_runs": int(len(fall_runs)),
            "fall_runs_found": int(sum(pred[(runs == r) & fall].any() for r in fall_runs)),
            "adl_runs": int(len(adl_runs)),
            "adl_runs_alarming": int(sum(pred[(runs == r) & ~fall].any() for r in adl_runs))}


def window_alarms(name: str, items: list[tuple[np.ndarray, int]], model: str | None = None,
                  opts: FallOptions = FallOptions(), classify: bool = True, transform: Any = None) -> np.ndarray:
    """(N,) bool: whether ``analyze_keypoints`` raises a fall in each of MD4FD set ``name``'s windows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)  # expected for the transformed runs
        return np.array([len(analyze_keypoints(transform(b) if transform else b, 30.0, layout="body13",
                                               fall_options=opts, classify=classify, activity_model=model,
                                               image_size=MD4FD_IMAGE_SIZE[name]).falls) > 0 for b, _ in items])


def eval_fall_windows(opts: FallOptions = FallOptions(), classify: bool = True,
                      models: dict[str, Path] | None = None, transform: Any = None) -> dict[str, Any]:
    """MD4FD windows through the same analysis as any keypoint sequence (classifier + motion rules;
    ``classify=False``: rules only). ``models``: the classifier per set (a fold that never saw that
    set); None = the bundled default (in-sample when it was trained on MD4FD). ``transform``:
    applied to each window first (one of :data:`PER_FRAME_EXPORTS`). Besides the window figures
    (what the target asks), per run of windows (:func:`md4fd_runs`): the fall runs found in at
    least one window, and the daily-activity runs with an alarm in at least one."""
    res = {}
    for name, items in md4fd_windows().items():
        model = str(models[name]) if models else None
        pred = window_alarms(name, items, model, opts, classify, transform)
        y = np.array([lab for _, lab in items]) == 1
        res[name] = {"windows": int(len(y)), "falls": int(y.sum()),
                     "recall": float(pred[y].mean()) if y.any() else None,
                     "specificity": float((~pred[~y]).mean()) if (~y).any() else None,
                     "model": (Path(model).parent.parent.name if model else "bundled") if classify else None,
                     **run_counts(pred, y, md4fd_runs(items))}
    return res


#: First seed of the synthetic figures (``make bench`` and ``--synthetic`` without ``--seed``).
SYNTH_SEED = 5000


def eval_synthetic(n: int = 20, seed: int = SYNTH_SEED) -> dict[str, Any]:
    """Synthetic (noisy) sequences: fall recall within 1 s of onset, false-alarm rate per daily
    activity, rep-count MAE per exercise, and reps counted per 10 s of activity that is not
    exercise. Seeds differ from the test suite's. ``falls_missed`` and ``false_alarms`` name the
    seeds that went wrong, with their camera views."""
    from .synth.dataset import make_sequence

    out: dict[str, Any] = {"n_per_kind": n, "seed": seed, "false_alarm_rate": {}, "rep_mae": {},
                           "reps_when_not_exercising": {}}
    # The seeds that went wrong, each with its camera view, to look at them again.
    missed, alarms = [], {}
    for i in range(n):
        m, arr = make_sequence("fall", seed + i, seconds=8.0)
        ev = analyze_keypoints(arr["noisy"], 30.0).falls
        if not (len(ev) >= 1 and abs(ev[0].onset_s - m.fall_onset / 30.0) <= 1.0):
            missed.append({"seed": seed + i, "motion": m.name, "view": json.loads(str(arr["camera"]))["view"]})
    out["fall_recall"] = (n - len(missed)) / n
    for kind in ("lying_down", "sitting_down", "picking_up", "standing", "walking", "running", "squat", "push_up"):
        alarms[kind] = []
        for i in range(n):
            m, arr = make_sequence(kind, seed + 100 + i, seconds=8.0)
            if analyze_keypoints(arr["noisy"], 30.0).falls:
                alarms[kind].append({"seed": seed + 100 + i, "view": json.loads(str(arr["camera"]))["view"]})
        out["false_alarm_rate"][kind] = len(alarms[kind]) / n
    out["falls_missed"], out["false_alarms"] = missed, alarms
    for kind in ("squat", "push_up", "lunge", "sit_up", "jumping_jack", "pull_up", "bench_press"):
        errs = []
        for i in range(n):
            m, arr = make_sequence(kind, seed + 200 + i, seconds=15.0)
            true = sum(not r.partial for r in m.reps)
            errs.append(abs(analyze_keypoints(arr["noisy"], 30.0).reps_total - true) / max(true, 1))
        out["rep_mae"][kind] = float(np.mean(errs))
    for kind in ("standing", "walking", "running", "sitting_down", "lying_down", "picking_up", "other"):
        out["reps_when_not_exercising"][kind] = float(np.mean([analyze_keypoints(
            make_sequence(kind, seed + 300 + i, seconds=10.0)[1]["noisy"], 30.0).reps_total for i in range(n)]))
    return out


#: Synthetic circuits (continuous workouts, one exercise straight after another) and the camera
#: view each is seen from.
CIRCUITS = ((("squat", "jumping_jack"), "front"), (("jumping_jack", "squat"), "front"),
            (("squat", "lunge"), "oblique"), (("lunge", "jumping_jack", "squat"), "front"),
            (("push_up", "sit_up"), "side"), (("sit_up", "push_up"), "side"), (("squat", "push_up"), "oblique"))


def _collapse(names: list[str]) -> list[str]:
    """Consecutive repeats dropped: ["squat", "squat", "lunge"] -> ["squat", "lunge"]."""
    return [x for i, x in enumerate(names) if i == 0 or x != names[i - 1]]


def eval_circuits(seeds: tuple[int, ...] = (6000, 6100, 6200), seconds: float = 20.0) -> dict[str, Any]:
    """Synthetic circuits (:data:`CIRCUITS`, :func:`~training.synth.dataset.make_circuit`; seeds
    apart from the tests'): total rep-count MAE offline and live (``Session``'s tracker, flushed),
    the same parts' MAE each analysed alone, and how many circuits name their exercises in the
    right order (the report's exercise segments with a rep, repeats collapsed)."""
    from .synth.dataset import make_circuit

    per = []
    for kinds, view in CIRCUITS:
        for seed in seeds:
            x, true = make_circuit(kinds, seed, seconds, view)
            rep = analyze_keypoints(x, 30.0)
            alone = [analyze_keypoints(make_circuit((k,), seed + j, seconds, view)[0], 30.0).reps_total
                     for j, k in enumerate(kinds)]
            live = stream_keypoints(x, 30.0)
            per.append({"kinds": list(kinds), "seed": seed, "view": view, "true": true, "pred": rep.reps_total,
                        "alone": alone, "live": live["reps_total"],
                        "named": _collapse([e.label for e in rep.exercises if e.reps > 0])})
    t = np.array([sum(p["true"]) for p in per], float)
    out = {"circuits": len(per), "seconds_per_part": seconds,
           "mae": float(np.mean(np.abs(np.array([p["pred"] for p in per]) - t) / t)),
           "live_mae": float(np.mean(np.abs(np.array([p["live"] for p in per]) - t) / t)),
           "parts_alone_mae": float(np.mean(np.abs(np.array([sum(p["alone"]) for p in per]) - t) / t)),
           "named_in_order": int(sum(p["named"] == _collapse(p["kinds"]) for p in per))}
    return {**out, "per_circuit": per}


#: Injected synthetic fault -> the form cue that should report it.
FAULT_CUES = {
    "squat": {"shallow": "squat_depth", "knees_cave": "squat_knees_cave", "torso_lean": "squat_torso_lean"},
    "push_up": {"shallow": "push_up_depth", "hips_sag": "push_up_hip_sag", "hips_pike": "push_up_hip_pike"},
    "lunge": {"front_knee_shallow": "lunge_depth", "torso_lean": "lunge_torso_lean"},
    "pull_up": {"shallow": "pull_up_height"},
    "plank": {"hips_sag": "plank_hip_sag", "hips_pike": "plank_hip_pike"},
}


def eval_form_cues(n: int = 20, seed: int = 5300, source: str = "noisy") -> dict[str, Any]:
    """Precision / recall per form cue on synthetic sequences with injected faults (exercise given,
    so this measures the rules, not the classifier). Seed ``seed + 50 x exercise + i``: the bench's
    5300 differs from the thresholds' tuning seeds (7000, n=40). A rep's cues are those timed within
    it; plank faults are per sequence."""
    from .synth.dataset import make_sequence

    counts: dict[str, dict[str, int]] = {}
    for kind, fmap in FAULT_CUES.items():
        for cue in fmap.values():
            counts[cue] = {"tp": 0, "fp": 0, "fn": 0}
        for i in range(n):
            m, arr = make_sequence(kind, seed + 50 * list(FAULT_CUES).index(kind) + i, seconds=15.0)
            cues = analyze_keypoints(arr[source], 30.0, exercise=kind).form_cues
            if kind == "plank":
                units = [(0.0, 1e9, set(m.faults))]
            else:
                units = [(r.start / 30.0, r.end / 30.0, set(r.faults)) for r in m.reps if not r.partial]
            used = set()
            for a, b, faults in units:
                got = {c.cue for j, c in enumerate(cues) if a <= c.t_s <= b and not used.add(j)}
                for fault, cue in fmap.items():
                    want = fault in faults
                    counts[cue]["tp"] += want and cue in got
                    counts[cue]["fn"] += want and cue not in got
                    counts[cue]["fp"] += (not want) and cue in got
    out = {}
    for cue, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None
        out[cue] = {**c, "precision": p, "recall": r}
    return out


def run_video(path: Path, right_half: bool = False, max_frames: int | None = None,
              model: Any = None, capture: str | None = None) -> tuple[np.ndarray, float, list[int]]:
    """Pixels -> (T, 33, 3) keypoints through posekit's tracker (smoothing on), fps, and the frames
    where a new shot begins (the tracker's cuts, for ``analyze_keypoints(cuts=)``).
    ``model``: a PoseModel instead of the bundled student (e.g. the teacher, as a diagnostic).
    ``capture``: one of :data:`CAPTURE`, to see the video as if it had been filmed that way."""
    from posekit import PoseTracker
    from posekit.activity.streaming import settled
    from posekit.video import FrameSource

    transform, step = CAPTURE[capture] if capture else (None, 1)
    tr = PoseTracker(model=model)
    rows, cuts = [], []
    with FrameSource(path) as src:
        fps = src.fps / step
        for f in src:
            if f.index % step:
                continue
            img = np.ascontiguousarray(f.rgb[:, f.rgb.shape[1] // 2:]) if right_half else f.rgb
            img = transform(img, f.index) if transform else img
            shot = tr.shot
            r = tr.process(img, f.timestamp_ms)
            if tr.shot != shot and rows:
                cuts.append(len(rows))
            row = np.full((33, 3), np.nan)
            if settled(r):  # as the streaming tracker: a new track's first frames are skipped
                row[:, :2], row[:, 2] = r.xy, r.conf
            rows.append(row)
            if max_frames and len(rows) >= max_frames:
                break
    return np.stack(rows), fps, cuts


def video_keypoints(path: Path, cache: Path | None = None, **kw: Any) -> tuple[np.ndarray, float, list[int]]:
    """:func:`run_video`, kept in ``cache`` (an .npz) when given: a video read once is not read again
    (delete the file after changing the pose model or the tracker)."""
    if cache is not None and cache.exists():
        z = np.load(cache)
        return z["kps"], float(z["fps"]), z["cuts"].tolist()
    kps, fps, cuts = run_video(path, **kw)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, kps=kps, fps=fps, cuts=np.asarray(cuts, dtype=int))
    return kps, fps, cuts


def _mirrored(img: np.ndarray, i: int) -> np.ndarray:
    return np.ascontiguousarray(img[:, ::-1])


def _half_resolution(img: np.ndarray, i: int) -> np.ndarray:
    import cv2

    return cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)


def _low_light(img: np.ndarray, i: int) -> np.ndarray:
    """35% of the light, plus sensor noise (sigma 4 grey levels, new every frame)."""
    noise = np.random.default_rng(i).normal(0.0, 4.0, img.shape).astype(np.float32)
    return np.clip(img.astype(np.float32) * 0.35 + noise, 0, 255).astype(np.uint8)


def _jpeg_q20(img: np.ndarray, i: int) -> np.ndarray:
    import cv2

    _, buf = cv2.imencode(".jpg", np.ascontiguousarray(img[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 20])
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])


def _greyscale(img: np.ndarray, i: int) -> np.ndarray:
    """Luma only (BT.601), as a camera in night mode gives."""
    grey = (img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) + 0.5).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _portrait_letterbox(img: np.ndarray, i: int) -> np.ndarray:
    """The picture in the middle of a 9:16 portrait frame, black above and below."""
    h, w = img.shape[:2]
    out = np.zeros((max(h, int(w * 16 / 9)), w, 3), np.uint8)
    top = (len(out) - h) // 2
    out[top:top + h] = img
    return out


#: Capture conditions a user's video may differ from ours by: name -> (frame transform (RGB, frame
#: index) -> RGB, or None; keep every n-th frame).
CAPTURE: dict[str, tuple[Any, int]] = {
    "as_recorded": (None, 1),
    "mirrored": (_mirrored, 1),  # a front camera's selfie view
    "half_resolution": (_half_resolution, 1),
    "15_fps": (None, 2),
    "low_light": (_low_light, 1),
    "jpeg_q20": (_jpeg_q20, 1),  # heavy compression (blocks, ringing)
    "greyscale": (_greyscale, 1),  # a security camera's night mode
    "portrait_letterbox": (_portrait_letterbox, 1),
}


def eval_urfd_video(model: Path | None = None, pose_model: Any = None) -> dict[str, Any]:
    """``model``: a classifier that never saw URFD (None = the bundled one); ``pose_model``: a
    PoseModel instead of the bundled student."""
    from posekit.activity.classifier import ActivityClassifier, bundled_classifier
    from posekit.activity.labels import LABEL_ID

    kps, fps, cuts = run_video(data_dir() / "urfd" / "fall-01-cam0.mp4", right_half=True, model=pose_model)
    rep = analyze_keypoints(kps, fps, activity_model=str(model) if model else None, cuts=cuts)
    onset = URFD_ONSET_FRAME / fps
    falls = [f.to_dict() for f in rep.falls]
    ok = len(rep.falls) == 1 and abs(rep.falls[0].onset_s - onset) <= 1.0
    seq = normalise(to_body13(kps), fps)
    timeline: dict[str, list[float]] = {"t": [round(float(v), 3) for v in seq.t],
                                        "tilt": [round(float(v), 2) for v in np.nan_to_num(seq.tilt)],
                                        "hip_y": [round(float(v), 3) for v in np.nan_to_num(seq.hip[:, 1])]}
    clf = ActivityClassifier(model) if model else bundled_classifier()
    if clf is not None:
        times, _, probs = clf.classify(seq)
        timeline["win_t"] = [round(float(v), 3) for v in times]
        timeline["fall_prob"] = [round(float(v), 3) for v in probs[:, LABEL_ID["fall"]]]
    return {"labelled_onset_s": round(onset, 3), "events": falls, "one_event_within_1s": bool(ok),
            "classifier": Path(model).parent.parent.name if model else None,
            "frames_with_pose": int((~np.isnan(kps[:, 0, 0])).sum()), "frames": int(len(kps)), "timeline": timeline}


#: WorkoutTracker folders that are one of our exercise classes.
WT_EXERCISE = {"squats": "squat", "push-ups": "push_up", "pull-ups": "pull_up"}


def eval_workouttracker(limit: int | None = None, teacher_pose: bool = False, pose_model: Any = None) -> dict[str, Any]:
    """Rep counts on WorkoutTracker clips with markers, from pixels (the bundled student, or the
    teacher as a diagnostic that separates counting errors from pose errors, or ``pose_model``,
    e.g. a retrained student before it is installed), and how many of these exercise clips raise
    a fall (each one a false alarm)."""
    root = data_dir() / "workouttracker"
    rows = list(csv.DictReader((root / "index.csv").open()))
    rows = [r for r in rows if int(r["rep_markers"]) > 0][:limit]
    model = pose_model
    if teacher_pose:
        from .teacher import load_teacher

        model = load_teacher()
    per = []
    for r in rows:
        kps, fps, cuts = run_video(root / r["video"], model=model)
        true = int(r["rep_markers"])
        try:
            rep = analyze_keypoints(kps, fps, cuts=cuts)
            pred, falls = rep.reps_total, len(rep.falls)
            named = max(rep.exercises, key=lambda s: s.end_s - s.start_s).label if rep.exercises else None
            # As when the user picks the exercise in the app (`exercise=`): no classifier naming.
            given = (analyze_keypoints(kps, fps, exercise=WT_EXERCISE[r["class"]], cuts=cuts).reps_total
                     if r["class"] in WT_EXERCISE else None)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InputWarning)
                # As a per-frame min-max export and root-relative (such exports carry no cuts).
                boxed = analyze_keypoints(minmax_per_frame(kps), fps)
                rel = analyze_keypoints(centred_per_frame(to_body13(kps)), fps, layout="body13")
                # Normalised by the video's size, as MediaPipe's landmarks are, and read without it.
                unsized = analyze_keypoints(kps / np.array([*video_info(root / r["video"])[1], 1.0]), fps, cuts=cuts)
            boxed_pred, boxed_falls = boxed.reps_total, len(boxed.falls)
            rel_pred, rel_falls = rel.reps_total, len(rel.falls)
            unsized_pred, unsized_falls = unsized.reps_total, len(unsized.falls)
        except InvalidInputError:  # the tracker never found the person: nothing to count
            pred, falls, named, boxed_pred, boxed_falls, rel_pred, rel_falls = 0, 0, None, 0, 0, 0, 0
            unsized_pred, unsized_falls = 0, 0
            given = 0 if r["class"] in WT_EXERCISE else None
        live = stream_keypoints(kps, fps, cuts=cuts)
        shaken = [_count_or_zero(kps + _pixel_noise(kps, seed), fps, cuts) for seed in range(1, NOISE_SEEDS + 1)]
        per.append({"video": r["video"], "noise_preds": shaken, "class": r["class"], "true": true, "pred": pred, "falls": falls,
                    "exercise": named, "given_pred": given, "minmax_pred": boxed_pred, "minmax_falls": boxed_falls,
                    "centred_pred": rel_pred, "centred_falls": rel_falls,
                    "unsized_pred": unsized_pred, "unsized_falls": unsized_falls,
                    "live_pred": live["reps_total"], "live_falls": len(live["falls"]),
                    "live_sent": live["sent_reps"], "live_withdrawn": live["withdrawn_reps"],
                    "live_final": len(live["rep_events"]), "live_rep_delays_s": [round(v, 3) for v in live["rep_delays_s"]],
                    "pose_frames": int((~np.isnan(kps[:, 0, 0])).sum()), "frames": int(len(kps)), "cuts": cuts})
        log.info("%s: true %d pred %d live %d", r["video"], true, pred, live["reps_total"])
    out: dict[str, Any] = {"clips": len(per), "pose": "teacher" if teacher_pose else model.name if model else "student"}
    for key, pred, falls in (("", "pred", "falls"), ("live_", "live_pred", "live_falls"),
                             ("minmax_", "minmax_pred", "minmax_falls"), ("centred_", "centred_pred", "centred_falls"),
                             ("unsized_", "unsized_pred", "unsized_falls")):
        out[f"{key}mae"] = float(np.mean([abs(p[pred] - p["true"]) / p["true"] for p in per]))
        out[f"{key}obo"] = float(np.mean([abs(p[pred] - p["true"]) <= 1 for p in per]))
        out[f"{key}clips_with_a_fall"] = int(sum(p[falls] > 0 for p in per))
    # How much the figure moves when every keypoint moves by about a pixel (the same models read
    # it differently on different CPUs: docs/evidence/pose.md): MAE per noise draw.
    noisy = [float(np.mean([abs(p["noise_preds"][k] - p["true"]) / p["true"] for p in per])) for k in range(NOISE_SEEDS)]
    out["noise_px"], out["noise_mae"] = NOISE_PX, noisy
    out["noise_clips_changed"] = int(sum(any(q != p["pred"] for q in p["noise_preds"]) for p in per))
    # Live rep events add up: every rep sent once, and withdrawn once if a later reading drops it.
    out["live_events_add_up"] = int(sum(p["live_sent"] - p["live_withdrawn"] == p["live_final"] for p in per))
    out["live_reps_sent"] = int(sum(p["live_sent"] for p in per))
    out["live_reps_withdrawn"] = int(sum(p["live_withdrawn"] for p in per))
    delays = np.array([d for p in per for d in p["live_rep_delays_s"]])
    if len(delays):  # how long after a rep ends the live stream sends it
        out["live_rep_delay_median_s"] = float(np.median(delays))
        out["live_rep_sent_within_1s"] = float(np.mean(delays <= 1.0))
        out["live_rep_delay_p90_s"] = float(np.percentile(delays, 90))
    # The exercise the report names (its longest segment) against the clip's folder; dips are not
    # one of our classes. A generic "exercise" segment or none at all counts as not named.
    named = [p for p in per if p["class"] in WT_EXERCISE]
    out["exercise_named"] = float(np.mean([p["exercise"] == WT_EXERCISE[p["class"]] for p in named])) if named else float("nan")
    out["exercise_named_by_class"] = {c: f"{sum(p['exercise'] == e for p in named if p['class'] == c)}/"
                                         f"{sum(p['class'] == c for p in named)}" for c, e in WT_EXERCISE.items()}
    if named:  # the same clips counted with their exercise given
        out["given_clips"] = len(named)
        out["given_mae"] = float(np.mean([abs(p["given_pred"] - p["true"]) / p["true"] for p in named]))
        out["given_obo"] = float(np.mean([abs(p["given_pred"] - p["true"]) <= 1 for p in named]))
        out["auto_mae_same_clips"] = float(np.mean([abs(p["pred"] - p["true"]) / p["true"] for p in named]))
    return {**out, "per_clip": per}


def video_info(path: Path) -> tuple[float, tuple[float, float]]:
    """(fps, (width, height)) of a video file, from its header."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        return float(cap.get(cv2.CAP_PROP_FPS)), (float(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                                                 float(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        cap.release()


#: WorkoutTracker's counts again with Gaussian noise of this many pixels on every keypoint, this many draws.
NOISE_PX, NOISE_SEEDS = 1.0, 5


def _pixel_noise(kps: np.ndarray, seed: int) -> np.ndarray:
    """Gaussian noise of :data:`NOISE_PX` on the x and y of (T, K, 3) keypoints (0 on confidence)."""
    noise = np.zeros_like(kps)
    noise[..., :2] = np.random.default_rng(seed).normal(0.0, NOISE_PX, kps[..., :2].shape)
    return noise


def _count_or_zero(kps: np.ndarray, fps: float, cuts: list[int]) -> int:
    """Reps counted in ``kps``; 0 where the tracker never found the person."""
    try:
        return analyze_keypoints(kps, fps, cuts=cuts).reps_total
    except InvalidInputError:
        return 0


def _capture_job(job: tuple[str, str, str | None, str | None]) -> dict[str, Any]:
    """One video under one capture condition: the report's reps, falls and named exercise."""
    video, capture, model, pose = job
    urfd = video.startswith("urfd/")
    pose_model = None
    if pose:
        from posekit.pose.model import PoseModel

        pose_model = PoseModel(pose)
    kps, fps, cuts = run_video(data_dir() / video, right_half=urfd, capture=capture, model=pose_model)
    try:
        rep = analyze_keypoints(kps, fps, cuts=cuts, activity_model=model)
    except InvalidInputError:  # the tracker never found the person
        return {"reps": 0, "falls": [], "exercise": None}
    named = max(rep.exercises, key=lambda s: s.end_s - s.start_s).label if rep.exercises else None
    return {"reps": rep.reps_total, "falls": [round(f.onset_s, 3) for f in rep.falls], "exercise": named}


def eval_capture(conditions: list[str] | None = None, limit: int | None = None, urfd_model: Path | None = None,
                 workers: int | None = None, pose_model: Path | None = None) -> dict[str, Any]:
    """The figures from pixels (WorkoutTracker reps and false falls, URFD fall-01) with each video
    seen as if filmed otherwise (:data:`CAPTURE`): how far they move when the camera, light or
    encoder differ from the clips we measured on. ``urfd_model``: a classifier that never saw URFD
    for fall-01 (None = the bundled one); ``pose_model``: a student .tflite instead of the bundled
    one. Videos run in ``workers`` processes (default: one per core)."""
    from concurrent.futures import ProcessPoolExecutor

    conditions = conditions or list(CAPTURE)
    bad = [c for c in conditions if c not in CAPTURE]
    if bad:
        raise ValueError(f"capture conditions {bad} unknown; known: {list(CAPTURE)}")
    rows = [r for r in csv.DictReader((data_dir() / "workouttracker" / "index.csv").open())
            if int(r["rep_markers"]) > 0][:limit]
    videos = [f"workouttracker/{r['video']}" for r in rows] + ["urfd/fall-01-cam0.mp4"]
    jobs = [(v, c, str(urfd_model) if urfd_model and v.startswith("urfd/") else None,
             str(pose_model) if pose_model else None) for c in conditions for v in videos]
    with ProcessPoolExecutor(workers or os.cpu_count() or 1) as pool:
        got = dict(zip(((v, c) for v, c, _, _ in jobs), pool.map(_capture_job, jobs)))
    true = np.array([int(r["rep_markers"]) for r in rows])
    onset = URFD_ONSET_FRAME / URFD_FPS
    out: dict[str, Any] = {"clips": len(rows), "conditions": {}}
    for c in conditions:
        per = [got[v, c] for v in videos[:-1]]
        pred = np.array([p["reps"] for p in per])
        falls = got["urfd/fall-01-cam0.mp4", c]["falls"]
        out["conditions"][c] = {
            "mae": float(np.mean(np.abs(pred - true) / true)), "obo": float(np.mean(np.abs(pred - true) <= 1)),
            "clips_with_a_fall": int(sum(bool(p["falls"]) for p in per)),
            "exercise_named": float(np.mean([p["exercise"] == WT_EXERCISE.get(r["class"]) for p, r in zip(per, rows)
                                             if r["class"] in WT_EXERCISE])) if any(r["class"] in WT_EXERCISE for r in rows) else None,
            "urfd_fall_onsets_s": falls,
            "urfd_one_event_within_1s": len(falls) == 1 and abs(falls[0] - onset) <= 1.0,
            "per_clip": {r["video"]: {"true": int(t), "pred": p["reps"], "falls": len(p["falls"]), "exercise": p["exercise"]}
                         for r, t, p in zip(rows, true, per)}}
        log.info("capture %s: %s", c, {k: v for k, v in out["conditions"][c].items() if k != "per_clip"})
    out["urfd_classifier"] = Path(urfd_model).parent.parent.name if urfd_model else None
    out["pose_model"] = str(pose_model) if pose_model else None
    return out


def stream_keypoints(kps: np.ndarray, fps: float, tracker: Any = None, cuts: list[int] | tuple[int, ...] = ()
                     ) -> dict[str, Any]:
    """What a live ``Session`` reports for these poses (``run_video``'s (T, 33, 3), NaN rows = no
    pose; ``cuts``: where its shots begin): the streaming ``ActivityTracker`` (default options unless ``tracker`` is given) fed
    frame by frame, flushed at the end (as ``posekit run`` does). Its ``summary()`` plus how many
    ``new_reps`` (``sent_reps``) and ``withdrawn_reps`` events the stream sent, and each sent rep's
    delay (``rep_delays_s``: stream time when it was sent minus the rep's end; at the flush, the
    last frame's time), each fall alert's delay after its impact (``fall_delays_s``, likewise)
    and its stream time (``fall_sent_s``), and the live count after each frame (``live_counts``)."""
    from posekit import ActivityTracker
    from posekit.pose.roi import Roi
    from posekit.types import PoseResult

    tracker = tracker or ActivityTracker()
    withdrawn, delays, counts, fall_delays, fall_sent = 0, [], [], [], []
    shots = np.searchsorted(np.asarray(cuts, dtype=int), np.arange(len(kps)), side="right")
    for i, row in enumerate(kps):
        ts = int(round(i * 1000.0 / fps))
        pose = None if np.isnan(row[:, :2]).all() else PoseResult(
            xy=row[:, :2].astype(np.float32), conf=row[:, 2].astype(np.float32), score=1.0, roi=Roi(0.0, 0.0, 1.0),
            timestamp_ms=ts, image_size=(1, 1), shot=int(shots[i]))
        out = tracker.update(pose, ts, shot=int(shots[i]))
        withdrawn += len(out.withdrawn_reps)
        delays += [ts / 1000.0 - r.end_s for r in out.new_reps]
        fall_delays += [ts / 1000.0 - f.impact_s for f in out.new_falls]
        fall_sent += [ts / 1000.0] * len(out.new_falls)
        counts.append(out.reps)
    out = tracker.flush()
    end = (len(kps) - 1) / fps
    delays += [end - r.end_s for r in out.new_reps]
    fall_delays += [end - f.impact_s for f in out.new_falls]
    fall_sent += [end] * len(out.new_falls)
    return {**tracker.summary().to_dict(), "sent_reps": len(delays), "withdrawn_reps": withdrawn + len(out.withdrawn_reps),
            "rep_delays_s": delays, "live_counts": counts, "fall_delays_s": fall_delays, "fall_sent_s": fall_sent}


def eval_penn_sdk(extra: dict[str, Path] | None = None) -> dict[str, dict[str, float]]:
    """Penn Action official test split through the SDK's ActivityClassifier (the shipped file, clip =
    mean of its window probabilities), with and without mirror averaging; ``extra``: more models
    (name -> .tflite), e.g. the fall folds, to show the mirror's effect is not one model's luck."""
    from posekit.activity.classifier import ActivityClassifier
    from posekit.runtime import bundled_model_names

    from .activity_data import penn_clips, penn_test_clips
    from .train_activity import penn_clip_eval

    clips = penn_test_clips(penn_clips())
    models: dict[str, str | Path] = {n: n for n in bundled_model_names("activity")}
    models.update(extra or {})
    out = {}
    for name, model in models.items():
        clf = ActivityClassifier(model)
        out[name] = {}
        for mirror in (False, True):
            clf.mirror = mirror
            out[name]["mirror" if mirror else "plain"] = penn_clip_eval(clf.predict, clips)["accuracy"]
        log.info("penn via SDK %s: %s", name, out[name])
    return out


def eval_rest_side() -> dict[str, Any]:
    """How often the class-agnostic counter puts the rest position on the right side of its
    whole-body signal, on Penn Action's human-labelled rep-exercise clips (every split, at their
    own speed; nothing here is trained). Right = the side that the exercise's own signal, built to
    be high at rest, calls rest; clips where the two signals disagree in shape (|correlation|
    < 0.5) are left out. ``body``: the counter's rule (:func:`posekit.activity.reps._rest_is_high`,
    or where the body gives no cue, where the signal spends most time); ``time_spent``: that
    fallback alone, the rule before it."""
    from posekit.activity.reps import exercise_signal
    from posekit.activity.reps import _rest_is_high, movement_signal, time_spent_high

    from .activity_data import PENN_MAP, penn_index, penn_joints

    per: dict[str, list[tuple[bool, bool, bool]]] = {}
    for r in penn_index():
        if r["action"] not in PENN_MAP:
            continue
        seq = normalise(to_body13(penn_joints(r["video_id"]), "penn13"), 30.0)
        sig, own = movement_signal(seq), exercise_signal(seq, PENN_MAP[r["action"]])
        ok = np.isfinite(own) if own is not None else np.zeros(len(sig), bool)
        if ok.sum() < 5 or np.std(sig[ok]) == 0 or np.std(own[ok]) == 0:
            continue
        corr = float(np.corrcoef(sig[ok], own[ok])[0, 1])
        if abs(corr) < 0.5:
            continue
        time_spent = time_spent_high(sig)
        body = _rest_is_high(seq, sig)
        per.setdefault(PENN_MAP[r["action"]], []).append(
            ((body if body is not None else time_spent) == (corr > 0), time_spent == (corr > 0), body is None))
    rows = [x for v in per.values() for x in v]
    out: dict[str, Any] = {"clips": len(rows), "body": float(np.mean([x[0] for x in rows])),
                           "time_spent": float(np.mean([x[1] for x in rows])),
                           "no_body_cue": float(np.mean([x[2] for x in rows]))}
    out["by_exercise"] = {k: {"clips": len(v), "body": round(float(np.mean([x[0] for x in v])), 3),
                              "time_spent": round(float(np.mean([x[1] for x in v])), 3)} for k, v in sorted(per.items())}
    log.info("rest side: %s", out)
    return out


def eval_penn_per_frame_exports() -> dict[str, float]:
    """Penn Action official test split through the bundled classifier, each clip's joints as the
    :data:`PER_FRAME_EXPORTS` leave them and read as ``analyze_keypoints`` reads them, against the
    same clips as given."""
    from posekit.activity.classifier import ActivityClassifier

    from .activity_data import load_penn
    from .train_activity import penn_clip_eval

    clf = ActivityClassifier(None)
    out = {}
    for name, transform in (("as_given", None), *PER_FRAME_EXPORTS.items()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InputWarning)  # expected for the transformed runs
            clips = [c for c in load_penn(speeds=(1.0,), transform=transform) if c["split"] == "test"]
        out[name] = penn_clip_eval(clf.predict, clips)["accuracy"]
    log.info("penn, per-frame exports: %s", out)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("eval"))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--skip-videos", action="store_true")
    ap.add_argument("--fall-folds", type=Path, help="runs directory holding falls_without_le2i / falls_without_urfd: "
                                                    "falls are evaluated with the fold that never saw each set")
    ap.add_argument("--teacher-pose", action="store_true",
                    help="also count WorkoutTracker reps on the teacher's keypoints (diagnostic: counter vs pose errors)")
    ap.add_argument("--pose-model", type=Path, help="a student .tflite to measure from pixels instead of the bundled one "
                                                    "(a retrained model before it is installed)")
    ap.add_argument("--videos-only", action="store_true", help="only the figures from pixels (URFD fall-01, WorkoutTracker)")
    ap.add_argument("--synthetic", type=int, metavar="N",
                    help="only the synthetic figures (bundled models), N sequences per kind (the full run uses 20) "
                         "-> synthetic_eval.json")
    ap.add_argument("--seed", type=int, help=f"first seed of --synthetic (default {SYNTH_SEED}, the full run's)")
    ap.add_argument("--capture", nargs="?", const=",".join(CAPTURE), metavar="C1,C2",
                    help="only the figures from pixels under other capture conditions (default: all of "
                         f"{', '.join(CAPTURE)}) -> capture_eval.json")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.videos_only and args.skip_videos:
        ap.error("--videos-only and --skip-videos exclude each other")
    if args.seed is not None and args.synthetic is None:
        ap.error("--seed is the first seed of --synthetic; without it nothing reads it")
    if args.synthetic is not None:
        if args.synthetic < 1:
            ap.error(f"--synthetic takes a number of sequences per kind >= 1, got {args.synthetic}")
        others = [f for f, on in (("--videos-only", args.videos_only), ("--skip-videos", args.skip_videos),
                                  ("--capture", args.capture is not None), ("--fall-folds", args.fall_folds),
                                  ("--teacher-pose", args.teacher_pose), ("--pose-model", args.pose_model),
                                  ("--limit", args.limit is not None)) if on]
        if others:
            ap.error(f"--synthetic runs alone; drop {', '.join(others)}")
        syn = eval_synthetic(args.synthetic, SYNTH_SEED if args.seed is None else args.seed)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "synthetic_eval.json").write_text(json.dumps(syn, indent=2))
        print(json.dumps(syn, indent=2))
        return
    pose_model = None
    if args.pose_model:
        from posekit.pose.model import PoseModel

        pose_model = PoseModel(str(args.pose_model))
    names = [c for c in (args.capture or "").split(",") if c]
    if args.capture is not None and (not names or any(c not in CAPTURE for c in names)):
        ap.error(f"--capture takes names from {', '.join(CAPTURE)}, got {args.capture!r}")
    folds = fold_models(args.fall_folds.expanduser()) if args.fall_folds else None
    if args.capture:
        cap = eval_capture(names, args.limit, folds["urfd"] if folds else None, pose_model=args.pose_model)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "capture_eval.json").write_text(json.dumps(cap, indent=2))
        print(json.dumps({c: {k: v for k, v in r.items() if k != "per_clip"} for c, r in cap["conditions"].items()}, indent=2))
        return
    res: dict[str, Any] = {} if args.videos_only else {"fall_windows": eval_fall_windows(models=folds),
                           "fall_windows_rules_only": eval_fall_windows(classify=False),
                           "fall_windows_sensitivity": {str(s): eval_fall_windows(FallOptions(sensitivity=s), models=folds)
                                                        for s in (0.25, 0.5, 0.75, 1.0)},
                           "penn_sdk": eval_penn_sdk({f"fold falls_without_{k}": v for k, v in (folds or {}).items()}),
                           "per_frame_exports": {"penn": eval_penn_per_frame_exports(),
                                                 **{f"fall_windows_{k}": eval_fall_windows(models=folds, transform=f)
                                                    for k, f in PER_FRAME_EXPORTS.items()}},
                           "synthetic": eval_synthetic(),
                           "circuits": eval_circuits(),
                           "rest_side": eval_rest_side(),
                           "form_cues": eval_form_cues()}
    if not args.videos_only:
        log.info("form cues: %s", {k: (v["precision"], v["recall"]) for k, v in res["form_cues"].items()})
        log.info("synthetic: %s", res["synthetic"])
        log.info("circuits: %s", {k: v for k, v in res["circuits"].items() if k != "per_circuit"})
        log.info("fall windows: %s", res["fall_windows"])
    if args.fall_folds and not args.videos_only:  # the folds' own held-out figures (classifier alone, from training)
        res["fall_folds_classifier_alone"] = {}
        for held in FOLDS:
            m = json.loads((args.fall_folds.expanduser() / f"falls_without_{held}" / "metrics.json").read_text())["lstm"]
            res["fall_folds_classifier_alone"][held] = {**m["md4fd_held_out"][held],
                                                        "penn_test_accuracy": m["penn_test"]["accuracy"]}
    if not args.skip_videos:
        res["urfd_video"] = eval_urfd_video(folds["urfd"] if folds else None, pose_model=pose_model)
        log.info("urfd video: %s", res["urfd_video"])
        res["workouttracker_reps"] = eval_workouttracker(args.limit, pose_model=pose_model)
        log.info("workouttracker: mae %.3f obo %.3f", res["workouttracker_reps"]["mae"], res["workouttracker_reps"]["obo"])
        if args.teacher_pose:
            res["workouttracker_reps_teacher_pose"] = eval_workouttracker(args.limit, teacher_pose=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "activity_eval.json").write_text(json.dumps(res, indent=2))
    print(json.dumps({k: v for k, v in res.items() if not k.startswith("workouttracker_reps")}, indent=2))


if __name__ == "__main__":
    main()
