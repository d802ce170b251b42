"""Falls per source, in one run: falls found, false alarms per hour of daily activity and of
exercise video, and how long after the impact the live alert comes.

* URFD fall-01 (pixels, its RGB half): found within 1 s of the labelled onset; live alert delay
  after the detector's impact and after the labels' first frame of lying.
* MD4FD windows (MediaPipe landmarks, 3 s at 30 fps), each set read with the classifier fold that
  never saw it (``--fall-folds``; else the bundled classifier, which saw both): fall runs found
  (a run: one recording's overlapping windows), and daily-activity runs with an alarm per hour of
  their length.
* Synthetic (``--synthetic N``: N falls, N x 8 s of each daily activity): falls found within 1 s
  of onset, alarms per hour, live alert delay.
* Exercise video, every clip a negative: WorkoutTracker's clips with rep markers (pixels) and
  cs231n-pushfit's 261 push-up clips (pixels, and the MediaPipe landmarks the set ships; fetched
  into ``<cache>/data/pushfit``): clips with a fall, alarms per hour.
* The upright test a way down starts from (:func:`~posekit.activity.falls.upright_signal`) on
  single poses labelled by people: RepCount-pose's salient frames (MediaPipe's landmarks; per
  exercise and phase) and, where ``<cache>/teacher/fallaction`` holds them, the Fall Action
  Dataset's people in boxes labelled stand, sit and fall (MediaPipe heavy's landmarks): of the
  poses whose torso reads upright, the share that passes.
* URFD fall-01 and WorkoutTracker again with MediaPipe BlazePose full as the pose network in the
  same tracker (``*_mediapipe_full``; ``--posekit-only`` leaves them out): the fall detector must
  not rest on one estimator's errors.

Pixels are read once by each pose network and kept under ``<cache>/keypoints`` (posekit's) and
``<cache>/keypoints/mediapipe_full``: delete them after changing the pose model or the tracker.

    python -m training.eval_falls --out eval/ --fall-folds ~/.cache/posekit/runs
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from posekit.activity import ActivityTracker, FallOptions, analyze_keypoints
from posekit.errors import InputWarning, InvalidInputError

from .activity_data import md4fd_windows
from .eval_activity import (MD4FD_STRIDE, URFD_LYING_FRAME, URFD_ONSET_FRAME, fold_models, md4fd_runs, stream_keypoints,
                            video_keypoints, window_alarms)
from .paths import cache_dir, data_dir

log = logging.getLogger("posekit.eval_falls")
#: A daily activity of the synthetic set, and its seconds per sequence.
DAILY = ("standing", "walking", "running", "sitting_down", "lying_down", "picking_up", "other")
SYNTH_S = 8.0


def _per_hour(alarms: int, seconds: float) -> float:
    return alarms / (seconds / 3600.0) if seconds > 0 else float("nan")


def _delays(delays: list[float]) -> dict[str, float | None]:
    return {"alert_delay_median_s": float(np.median(delays)) if delays else None,
            "alert_delay_max_s": float(np.max(delays)) if delays else None}


def _live(opts: FallOptions) -> ActivityTracker:
    return ActivityTracker(fall_options=opts)


#: The estimators that read pixels: posekit's bundled student, or MediaPipe BlazePose full (the
#: teacher) in the same tracker, so that the fall figures do not rest on one estimator's errors.
POSE_SOURCES = ("posekit", "mediapipe_full")


def _pose_keypoints(video: Path, cache: Path, pose: str, **kw: Any) -> tuple[np.ndarray, float, list[int]]:
    """``video`` read by ``pose`` (one of :data:`POSE_SOURCES`), kept in ``cache`` (the teacher's
    under ``<cache>/keypoints/mediapipe_full``)."""
    if pose not in POSE_SOURCES:
        raise ValueError(f"pose must be one of {POSE_SOURCES}, got {pose!r}")
    if pose == "posekit":
        return video_keypoints(video, cache, **kw)
    theirs = cache_dir() / "keypoints" / pose / cache.relative_to(cache_dir() / "keypoints")
    return video_keypoints(video, theirs, model=None if theirs.exists() else _teacher(), **kw)


@functools.cache
def _teacher() -> Any:
    from .teacher import load_teacher

    return load_teacher()


def eval_urfd(opts: FallOptions = FallOptions(), pose: str = "posekit") -> dict[str, Any]:
    kps, fps, cuts = _pose_keypoints(data_dir() / "urfd" / "fall-01-cam0.mp4",
                                     cache_dir() / "keypoints" / "urfd" / "fall-01-cam0-rgb.npz", pose, right_half=True)
    live = stream_keypoints(kps, fps, _live(opts), cuts=cuts)
    onset = URFD_ONSET_FRAME / fps
    found = any(abs(f["onset_s"] - onset) <= 1.0 for f in live["falls"])
    # Against the detector's own impact, and against the labels' first frame of lying.
    return {"falls": 1, "found": int(found), "extra_alarms": max(0, len(live["falls"]) - int(found)),
            **_delays(live["fall_delays_s"]),
            "alert_after_labelled_lying_s": (live["fall_sent_s"][0] - URFD_LYING_FRAME / fps
                                             if live["fall_sent_s"] else None)}


def _upright_shares(poses: list[np.ndarray]) -> dict[str, Any]:
    """Of single (33, 3) poses (pixels), how many read upright by the torso alone (within
    ``upright_tilt`` of vertical, not horizontal) and the share of those that pass the whole
    upright test (the legs under the hips too)."""
    from posekit.activity.body import normalise, to_body13
    from posekit.activity.falls import horizontal_signal, upright_signal

    opts = FallOptions()
    by_torso = passed = 0
    for k in poses:
        seq = normalise(to_body13(k[None]), 30.0)
        tilt = np.nan_to_num(seq.tilt, nan=0.0)
        horiz = horizontal_signal(seq, opts)
        torso = bool(np.isfinite(seq.tilt[0]) and tilt[0] < opts.upright_tilt and not horiz[0])
        by_torso += torso
        passed += torso and bool(upright_signal(seq, tilt, horiz, opts)[0])
    return {"poses": len(poses), "torso_upright": by_torso,
            "share_passing": round(passed / by_torso, 3) if by_torso else None}


#: The Fall Action Dataset's box classes (its data.yaml order).
FALLACTION_CLASSES = ("fall", "sit", "stand")


def fallaction_poses() -> dict[str, list[np.ndarray]]:
    """MediaPipe heavy's poses of the Fall Action Dataset's people (``<cache>/teacher/fallaction``,
    ``make label``) by the class of the labelled box their hips fall in; {} without the cache."""
    import cv2

    from posekit.pose.roi import Roi

    from .label import yolo_labels

    root = cache_dir() / "teacher" / "fallaction"
    if not (root / "source.json").is_file():
        return {}
    images = Path(json.loads((root / "source.json").read_text())["root"])
    out: dict[str, list[np.ndarray]] = {c: [] for c in FALLACTION_CLASSES}
    for shard in sorted(root.glob("shard_*.npz")):
        z = np.load(shard)
        for t, roi, rel, score in zip(z["teacher"], z["roi"], z["path"], z["score"]):
            path = images / str(rel)
            boxes = yolo_labels(path) if score >= 0.5 else []
            img = cv2.imread(str(path)) if boxes else None  # the labels are normalised by its size
            if img is None:
                continue
            h, w = img.shape[:2]
            xy = Roi(*roi).to_image(t[:, :2])
            hx, hy = xy[[23, 24]].mean(0) / (w, h)
            inside = [c for c, cx, cy, bw, bh in boxes if abs(hx - cx) <= bw / 2 and abs(hy - cy) <= bh / 2]
            if len(inside) == 1 and inside[0] < len(FALLACTION_CLASSES):
                out[FALLACTION_CLASSES[inside[0]]].append(np.concatenate([xy, t[:, 2:3]], axis=1))
    return out


def eval_upright() -> dict[str, Any]:
    """:func:`_upright_shares` per RepCount-pose exercise and phase (start: 0, middle: 1), and per
    Fall Action Dataset class where its teacher labels are cached."""
    from .repcount import load_videos

    rc: dict[str, list[np.ndarray]] = {}
    for v in load_videos():
        rc.setdefault(f"{v.exercise}/start", []).extend(v.starts)
        rc.setdefault(f"{v.exercise}/middle", []).extend(v.middles)
    out = {"repcount": {k: _upright_shares(v) for k, v in sorted(rc.items())}}
    fa = fallaction_poses()
    if fa:
        out["fallaction"] = {k: _upright_shares(v) for k, v in fa.items()}
    return out


def eval_md4fd(folds: dict[str, Path] | None, opts: FallOptions = FallOptions()) -> dict[str, Any]:
    out = {}
    for name, items in md4fd_windows().items():
        model = str(folds[name]) if folds else None
        pred = window_alarms(name, items, model, opts)
        fall = np.array([lab == 1 for _, lab in items])
        runs = md4fd_runs(items)
        fall_runs, adl_runs = np.unique(runs[fall]), np.unique(runs[~fall])
        seconds = sum((np.sum((runs == r) & ~fall) - 1) * MD4FD_STRIDE / 30.0 + 3.0 for r in adl_runs)
        alarming = int(sum(pred[(runs == r) & ~fall].any() for r in adl_runs))
        out[name] = {"classifier": Path(model).parent.parent.name if model else "bundled (saw this set)",
                     "falls": int(len(fall_runs)), "found": int(sum(pred[(runs == r) & fall].any() for r in fall_runs)),
                     "daily_runs": int(len(adl_runs)), "daily_runs_alarming": alarming,
                     "daily_hours": round(seconds / 3600.0, 3), "alarms_per_hour": _per_hour(alarming, seconds),
                     "window_recall": float(pred[fall].mean()), "window_specificity": float((~pred[~fall]).mean())}
    return out


def eval_synthetic(n: int, seed: int = 8100, opts: FallOptions = FallOptions()) -> dict[str, Any]:
    from .synth.dataset import make_sequence

    found, delays = 0, []
    for i in range(n):
        m, arr = make_sequence("fall", seed + i, seconds=SYNTH_S)
        live = stream_keypoints(arr["noisy"], 30.0, _live(opts))
        ok = [f for f in live["falls"] if abs(f["onset_s"] - m.fall_onset / 30.0) <= 1.0]
        found += bool(ok)
        delays += live["fall_delays_s"][:1] if ok else []
    alarms = 0
    for k, kind in enumerate(DAILY):
        for i in range(n):
            _, arr = make_sequence(kind, seed + 1000 * (k + 1) + i, seconds=SYNTH_S)
            alarms += len(stream_keypoints(arr["noisy"], 30.0, _live(opts))["falls"])
    seconds = n * len(DAILY) * SYNTH_S
    return {"falls": n, "found": found, "daily_hours": round(seconds / 3600.0, 3), "alarms": alarms,
            "alarms_per_hour": _per_hour(alarms, seconds), **_delays(delays)}


def _exercise_clips(clips: list[tuple[str, np.ndarray, float, list[int]]], opts: FallOptions = FallOptions()
                    ) -> dict[str, Any]:
    """Clips of exercise (every fall a false alarm): (name, keypoints, fps, cuts) each, through
    ``analyze_keypoints``, which is the live engine fed frame by frame: an alert it sends early
    (``FallOptions.sure_confirm_s``) counts even where later frames would not hold the fall."""
    alarms, with_fall, seconds = 0, [], 0.0
    for name, kps, fps, cuts in clips:
        seconds += len(kps) / fps
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InputWarning)
                n = len(analyze_keypoints(kps, fps, cuts=cuts, fall_options=opts).falls)
        except InvalidInputError:  # nobody found in the clip
            n = 0
        alarms += n
        if n:
            with_fall.append(name)
    return {"clips": len(clips), "hours": round(seconds / 3600.0, 3), "alarms": alarms,
            "alarms_per_hour": _per_hour(alarms, seconds), "clips_with_a_fall": with_fall}


def eval_workouttracker(limit: int | None = None, opts: FallOptions = FallOptions(), pose: str = "posekit"
                        ) -> dict[str, Any]:
    root = data_dir() / "workouttracker"
    rows = [r for r in csv.DictReader((root / "index.csv").open()) if int(r["rep_markers"]) > 0][:limit]
    clips = []
    for r in rows:
        cache = cache_dir() / "keypoints" / "workouttracker" / (r["video"].replace("/", "__") + ".npz")
        clips.append((r["video"], *_pose_keypoints(root / r["video"], cache, pose)))
    return _exercise_clips(clips, opts)


def eval_pushfit(source: str, limit: int | None = None, opts: FallOptions = FallOptions()) -> dict[str, Any]:
    from .eval_reps import pushfit_clips, pushfit_keypoints

    return _exercise_clips([(name, *pushfit_keypoints(source, name, wrong, video))
                            for name, wrong, video in pushfit_clips()[:limit]], opts)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("eval"))
    ap.add_argument("--fall-folds", type=Path, help="runs directory holding falls_without_le2i / falls_without_urfd")
    ap.add_argument("--synthetic", type=int, default=20, metavar="N", help="synthetic falls, and sequences per daily activity")
    ap.add_argument("--limit", type=int, help="first N clips of each exercise set (a quick look)")
    ap.add_argument("--confirm-s", type=float, default=FallOptions().confirm_s,
                    help="FallOptions.confirm_s: seconds of lying after the impact before a fall is reported "
                         "(the alert's delay against false alarms)")
    ap.add_argument("--sure-confirm-s", type=float, default=FallOptions().sure_confirm_s,
                    help="FallOptions.sure_confirm_s: the lying after which a fall the detector is sure of is sent")
    ap.add_argument("--sure-confidence", type=float, default=FallOptions().sure_confidence,
                    help="FallOptions.sure_confidence: the confidence from which a fall waits sure_confirm_s only")
    ap.add_argument("--posekit-only", action="store_true",
                    help="read pixels with posekit's pose network only (not MediaPipe full's too, which takes minutes "
                         "the first time)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.synthetic < 1:
        ap.error(f"--synthetic takes a number of sequences >= 1, got {args.synthetic}")
    try:
        opts = FallOptions(confirm_s=args.confirm_s, sure_confirm_s=args.sure_confirm_s,
                           sure_confidence=args.sure_confidence)
    except InvalidInputError as e:
        ap.error(str(e))
    folds = fold_models(args.fall_folds.expanduser()) if args.fall_folds else None
    res: dict[str, Any] = {"confirm_s": opts.confirm_s, "sure_confirm_s": opts.sure_confirm_s,
                           "sure_confidence": opts.sure_confidence, "urfd_fall_01_pixels": eval_urfd(opts),
                           "md4fd": eval_md4fd(folds, opts), "synthetic": eval_synthetic(args.synthetic, opts=opts),
                           "workouttracker_pixels": eval_workouttracker(args.limit, opts),
                           "upright_test": eval_upright()}
    if not args.posekit_only:
        res["urfd_fall_01_mediapipe_full"] = eval_urfd(opts, "mediapipe_full")
        res["workouttracker_mediapipe_full"] = eval_workouttracker(args.limit, opts, "mediapipe_full")
    pushfit = cache_dir() / "data" / "pushfit"
    if pushfit.is_dir():
        res["pushfit_pixels"] = eval_pushfit("posekit", args.limit, opts)
        res["pushfit_mediapipe"] = eval_pushfit("mediapipe", args.limit, opts)
    else:
        log.warning("%s not found: the push-up clips are left out (docs/training.md says how to fetch them)", pushfit)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "falls_eval.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
