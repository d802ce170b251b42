"""Repetition counting, exercise naming and push-up form on other people's data, per source.

* RepCount-pose, held-back training videos (``--repcount``; 1 in 5 by a hash of the name, never
  trained on: :mod:`training.repcount`): each video rebuilt per frame from its own MediaPipe poses
  and labelled rep timing, counted by ``analyze_keypoints`` with the exercise classified and with
  it given, with and without the rep phase model; count MAE (|pred - true| / true) and off-by-one
  accuracy per exercise, and the exercise named.
* Long sets (``--long``): synthetic sets of 20 to 60 reps (tempo drifting through the set, pauses,
  partial reps that must not count) of each exercise and of two exercises no model has a class
  for (curls, lateral raises); the names given to those two.
* Push-up form: riyer8/cs231n-pushfit's 261 push-up clips labelled correct or wrong form (fetched
  into ``<cache>/data/pushfit``; docs/training.md). Each clip read from pixels by posekit's tracker
  and, separately, from the MediaPipe landmarks the set ships: per cue, how many clips raise it and
  its precision and recall against the "wrong form" label; the exercise named; falls raised (every
  one a false alarm).
* Estimators (``--estimators``): WorkoutTracker's clips with rep markers from pixels, read by
  posekit's student (or ``--pose-model``) and by MediaPipe BlazePose full in the same tracker:
  counts with the exercise classified and given, the exercise named, clips with a fall.

    python -m training.eval_reps --out eval/ --repcount --long --pushfit --estimators
    python -m training.eval_reps --out eval/fold1 --repcount --dev-fold 1 --phase-model RUN/rep_phase_float16.tflite
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from posekit.activity import analyze_keypoints
from posekit.activity.labels import LABEL_ID
from posekit.errors import InputWarning, InvalidInputError

from .paths import cache_dir
from .repcount import FPS, fold, load_videos, rebuilt_sequence

log = logging.getLogger("posekit.eval_reps")


def count_errors(rows: list[tuple[int, int]]) -> dict[str, float]:
    """MAE (|pred - true| / true) and off-by-one accuracy of (true, pred) counts."""
    return {"n": len(rows), "mae": float(np.mean([abs(p - t) / t for t, p in rows])) if rows else float("nan"),
            "obo": float(np.mean([abs(p - t) <= 1 for t, p in rows])) if rows else float("nan")}


def _summary(per: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Overall and per-exercise count errors of ``per``'s ``key`` predictions."""
    rows = [p for p in per if p.get(key) is not None]
    out = count_errors([(p["true"], p[key]) for p in rows])
    out["per_exercise"] = {e: count_errors([(p["true"], p[key]) for p in rows if p["exercise"] == e])
                           for e in sorted({p["exercise"] for p in rows})}
    out["worst_exercise_mae"] = max(v["mae"] for v in out["per_exercise"].values()) if rows else float("nan")
    return out


def _named(report) -> str | None:
    """The exercise a report names: that of its longest set."""
    return max(report.exercises, key=lambda s: s.end_s - s.start_s).label.value if report.exercises else None


def eval_repcount(limit: int | None = None, seed: int = 0, dev_fold: int | None = None,
                  phase_model: str | Path | None = None, activity_model: str | Path | None = None) -> dict[str, Any]:
    """Counts on RepCount-pose's held-back training videos (see the module docstring), or with
    ``dev_fold`` (1-4) on that fold of the training videos instead, for design choices; with
    ``phase_model`` and ``activity_model`` (.tflite paths, e.g. runs of ``training.train_phase
    --dev-fold`` and ``training.train_activity --repcount-dev-fold`` that left that fold out) in
    place of the bundled ones."""
    per = []
    phase = {} if phase_model is None else {"phase_model": phase_model}
    if activity_model is not None:
        phase["activity_model"] = activity_model
    chosen = [v for v in load_videos() if (v.held_back if dev_fold is None else fold(v.name) == dev_fold)]
    for v in chosen[:limit]:
        seq = rebuilt_sequence(v, seed)
        row: dict[str, Any] = {"video": v.name, "exercise": v.exercise, "true": len(v.reps)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InputWarning)
            for key, kw in (("auto", phase), ("auto_no_phase", {"phase_model": False}),
                            ("given", {"exercise": v.exercise, **phase})):
                rep = analyze_keypoints(seq, FPS, **kw)
                row[key], row[f"{key}_named"] = rep.reps_total, _named(rep)
            # Without the phase model, as before it: only the classifier's exercises can be given.
            row["given_no_phase"] = (analyze_keypoints(seq, FPS, exercise=v.exercise, phase_model=False,
                                                       activity_model=activity_model).reps_total
                                     if v.exercise in LABEL_ID else None)
        per.append(row)
        log.info("repcount %s: true %d auto %d (%s) given %d", v.name, row["true"], row["auto"], row["auto_named"],
                 row["given"])
    out: dict[str, Any] = {"videos": len(per), "seed": seed,
                           "measured_on": "held-back videos" if dev_fold is None else f"training fold {dev_fold}",
                           "counts": {k: _summary(per, k) for k in ("auto", "auto_no_phase", "given", "given_no_phase")}}
    for key in ("auto", "auto_no_phase"):
        out[f"{key}_named"] = {
            "right": float(np.mean([p[f"{key}_named"] == p["exercise"] for p in per])),
            "wrong": float(np.mean([p[f"{key}_named"] not in (p["exercise"], "exercise", None) for p in per])),
            "per_exercise": {e: dict(Counter(str(p[f"{key}_named"]) for p in per if p["exercise"] == e).most_common())
                             for e in sorted({p["exercise"] for p in per})}}
    return {**out, "per_video": per}


#: Long sets: these exercises (the last two have no class in any model) ...
LONG_KINDS = ("squat", "push_up", "lunge", "sit_up", "jumping_jack", "pull_up", "bench_press", "bicep_curl",
              "lateral_raise")
#: ... this many seeds each, from this seed, this long (20 to 60 reps at their tempi).
LONG_SEEDS, LONG_SEED, LONG_S = 3, 7100, 100.0


def eval_long_sets(seeds: int = LONG_SEEDS, seconds: float = LONG_S,
                   phase_model: str | Path | None = None) -> dict[str, Any]:
    """Synthetic long sets (noisy keypoints, as a pose model gives them) through ``analyze_keypoints``
    (with ``phase_model`` in place of the bundled phase model)."""
    from .synth.dataset import make_sequence

    per = []
    for kind in LONG_KINDS:
        for i in range(seeds):
            m, arr = make_sequence(kind, LONG_SEED + 10 * LONG_KINDS.index(kind) + i, seconds=seconds)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InputWarning)
                rep = analyze_keypoints(arr["noisy"], float(arr["fps"]),
                                        **({} if phase_model is None else {"phase_model": phase_model}))
            per.append({"exercise": kind, "seed": LONG_SEED + 10 * LONG_KINDS.index(kind) + i,
                        "true": sum(not r.partial for r in m.reps), "pred": rep.reps_total,
                        "pauses": int(sum(b.start - a.end > 0.4 * m.fps for a, b in zip(m.reps, m.reps[1:]))),
                        "named": sorted({s.label.value for s in rep.exercises if s.reps})})
            log.info("long %s: true %d pred %d named %s", kind, per[-1]["true"], per[-1]["pred"], per[-1]["named"])
    out = _summary(per, "pred")
    out["true_range"] = [min(p["true"] for p in per), max(p["true"] for p in per)]
    out["unknown_exercises_named"] = {k: [p["named"] for p in per if p["exercise"] == k]
                                      for k in ("bicep_curl", "lateral_raise")}
    return {**out, "per_set": per}


# ----------------------------------------------------------------------------- estimators

def workouttracker_keypoints(source: str, video: str, pose_model: Path | None = None
                             ) -> tuple[np.ndarray, float, list[int]]:
    """One WorkoutTracker clip's keypoints, fps and cuts from pixels, read by ``source``: 'posekit'
    (the bundled student, or ``pose_model``, a student .tflite, cached under ``<cache>/keypoints/<its
    sha256>``) or 'mediapipe_full' (in the same tracker), with :mod:`training.eval_falls`' caches."""
    from .eval_falls import _pose_keypoints
    from .paths import data_dir

    root, name = data_dir() / "workouttracker", video.replace("/", "__") + ".npz"
    if pose_model is None:
        return _pose_keypoints(root / video, cache_dir() / "keypoints" / "workouttracker" / name, source)
    return student_keypoints(root / video, cache_dir() / "keypoints", f"workouttracker/{name}", pose_model)


def student_keypoints(video: Path, cache_root: Path, name: str, pose_model: Path
                      ) -> tuple[np.ndarray, float, list[int]]:
    """``video`` read from pixels with the student file ``pose_model`` in posekit's tracker, kept as
    ``cache_root/<the file's sha256>/name``: a retrained network never reads another's cache."""
    from posekit.pose.model import PoseModel

    from .eval_activity import video_keypoints

    digest = hashlib.sha256(Path(pose_model).read_bytes()).hexdigest()[:16]
    return video_keypoints(video, cache_root / digest / name, model=PoseModel(str(pose_model)))


def eval_estimators(limit: int | None = None, pose_model: Path | None = None,
                    activity_model: str | Path | None = None) -> dict[str, Any]:
    """WorkoutTracker's clips with rep markers from pixels, read by each pose estimator in the same
    tracker (posekit's student, or ``pose_model`` in its place, and MediaPipe BlazePose full),
    counted by ``analyze_keypoints`` (``activity_model`` in place of the bundled classifier) with
    the exercise classified and given: count MAE and off-by-one accuracy, the exercise named, and
    clips with a fall. The counter must not rest on one estimator's noise or biases."""
    import csv

    from .eval_activity import WT_EXERCISE
    from .paths import data_dir

    rows = [r for r in csv.DictReader((data_dir() / "workouttracker" / "index.csv").open())
            if int(r["rep_markers"]) > 0][:limit]
    kw = {} if activity_model is None else {"activity_model": activity_model}
    res: dict[str, Any] = {}
    for source in ("posekit", "mediapipe_full"):
        per = []
        for r in rows:
            kps, fps, cuts = workouttracker_keypoints(source, r["video"], pose_model if source == "posekit" else None)
            given = WT_EXERCISE.get(r["class"])
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", InputWarning)
                    rep = analyze_keypoints(kps, fps, cuts=cuts, **kw)
                    row = {"auto": rep.reps_total, "named": _named(rep), "falls": len(rep.falls),
                           "given": analyze_keypoints(kps, fps, cuts=cuts, exercise=given, **kw).reps_total
                           if given else None}
            except InvalidInputError:  # nobody found in the clip
                row = {"auto": 0, "named": None, "falls": 0, "given": 0 if given else None}
            per.append({"video": r["video"], "exercise": given or r["class"], "true": int(r["rep_markers"]), **row})
            log.info("%s %s: true %d auto %d (%s) given %s", source, r["video"], per[-1]["true"], row["auto"],
                     row["named"], row["given"])
        known = [p for p in per if p["exercise"] in WT_EXERCISE.values()]
        res[source] = {"pose_model": str(pose_model) if source == "posekit" and pose_model else None,
                       "counts": {k: _summary(per, k) for k in ("auto", "given")},
                       "named": sum(p["named"] == p["exercise"] for p in known), "of": len(known),
                       "clips_with_a_fall": sum(p["falls"] > 0 for p in per), "per_clip": per}
    return res


# ----------------------------------------------------------------------------- push-up form

def pushfit_root() -> Path:
    return cache_dir() / "data" / "pushfit" / "datasets"


def pushfit_clips() -> list[tuple[str, bool, Path]]:
    """(name, wrong form, video path) of every clip in the snapshot, by name."""
    root = pushfit_root() / "videos"
    if not root.is_dir():
        raise FileNotFoundError(f"{root} not found: fetch riyer8/cs231n-pushfit first (docs/training.md)")
    return [(p.stem, label == "wrong", p) for label in ("correct", "wrong")
            for p in sorted((root / label).glob("*.mp4"), key=lambda p: p.stem)]


def pushfit_keypoints(source: str, name: str, wrong: bool, video: Path, pose_model: Path | None = None
                      ) -> tuple[np.ndarray, float, list[int]]:
    """One clip's (T, 33, 3) keypoints, fps and cuts: ``source`` 'posekit' (pixels through the
    tracker with the bundled student, or ``pose_model``, a student .tflite; cached under
    ``<cache>/pushfit/posekit`` or ``<cache>/pushfit/<the file's sha256>``) or 'mediapipe' (the
    landmarks the set ships, normalised by the image, made pixels here)."""
    if source == "mediapipe":
        from .eval_activity import video_info

        fps, (w, h) = video_info(video)
        frames = json.loads((pushfit_root() / "json" / "mediapipe" / ("wrong" if wrong else "correct")
                             / f"{name}.json").read_text())
        kps = np.full((len(frames), 33, 3), np.nan)
        for i, f in enumerate(frames):
            pts = f.get("keypoints") or []
            if len(pts) == 33:
                kps[i] = [[p["x"] * w, p["y"] * h, p.get("visibility", 1.0)] for p in pts]
        return kps, fps, []
    from .eval_activity import video_keypoints

    if pose_model is None:
        return video_keypoints(video, cache_dir() / "pushfit" / "posekit" / f"{name}.npz")
    return student_keypoints(video, cache_dir() / "pushfit", f"{name}.npz", pose_model)


def eval_pushfit(source: str = "posekit", limit: int | None = None, pose_model: Path | None = None) -> dict[str, Any]:
    """Form cues, names and falls on the push-up clips read by ``source`` (see
    :func:`pushfit_keypoints`). A clip "raises" a cue when any of its reps gets it."""
    per = []
    for name, wrong, video in pushfit_clips()[:limit]:
        kps, fps, cuts = pushfit_keypoints(source, name, wrong, video, pose_model)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InputWarning)
                rep = analyze_keypoints(kps, fps, cuts=cuts)
            cues = sorted({c.cue for c in rep.form_cues})
            named = max(rep.exercises, key=lambda s: s.end_s - s.start_s).label.value if rep.exercises else None
            reps, falls = rep.reps_total, len(rep.falls)
        except InvalidInputError:  # nobody found in the clip
            cues, named, reps, falls = [], None, 0, 0
        per.append({"clip": name, "wrong": wrong, "cues": cues, "exercise": named, "reps": reps, "falls": falls,
                    "pose_frames": int(np.isfinite(kps[:, 0, 0]).sum()), "frames": int(len(kps))})
        log.info("%s %s: %s cues %s falls %d", source, name, named, cues, falls)
    n_wrong = sum(p["wrong"] for p in per)
    out: dict[str, Any] = {"source": source, "clips": len(per), "wrong": n_wrong, "correct": len(per) - n_wrong}
    cue_names = sorted({c for p in per for c in p["cues"]} | {"push_up_depth", "push_up_hip_sag", "push_up_hip_pike"})
    out["cues"] = {}
    for cue in cue_names + ["any push-up cue"]:
        hit = [p for p in per if (cue in p["cues"] if cue != "any push-up cue"
                                  else any(c.startswith("push_up") for c in p["cues"]))]
        tp = sum(p["wrong"] for p in hit)
        out["cues"][cue] = {"clips": len(hit), "on_wrong": tp, "on_correct": len(hit) - tp,
                            "precision": tp / len(hit) if hit else float("nan"),
                            "recall": tp / n_wrong if n_wrong else float("nan")}
    out["named"] = dict(Counter(str(p["exercise"]) for p in per).most_common())
    out["named_push_up"] = float(np.mean([p["exercise"] == "push_up" for p in per])) if per else float("nan")
    out["clips_with_a_fall"] = int(sum(p["falls"] > 0 for p in per))
    out["clips_with_reps"] = int(sum(p["reps"] > 0 for p in per))
    out["person_found"] = int(sum(p["pose_frames"] > 0 for p in per))
    return {**out, "per_clip": per}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("eval"))
    ap.add_argument("--limit", type=int, help="first N clips of each set (a quick look)")
    ap.add_argument("--repcount", action="store_true", help="counts on RepCount-pose's held-back training videos")
    ap.add_argument("--dev-fold", type=int, choices=(1, 2, 3, 4),
                    help="--repcount on this fold of the training videos instead of the held-back ones (design choices)")
    ap.add_argument("--phase-model", type=Path,
                    help="a phase model .tflite in place of the bundled one (e.g. trained with --dev-fold)")
    ap.add_argument("--activity-model", type=Path,
                    help="an activity classifier .tflite in place of the bundled one (e.g. trained with "
                         "--repcount-dev-fold)")
    ap.add_argument("--long", action="store_true", help="counts on synthetic sets of 20 to 60 reps")
    ap.add_argument("--pushfit", action="store_true", help="push-up form, names and falls on cs231n-pushfit")
    ap.add_argument("--estimators", action="store_true",
                    help="WorkoutTracker from pixels read by posekit's student and by MediaPipe full, side by side")
    ap.add_argument("--pose-model", type=Path, help="--pushfit, --estimators: a student .tflite to read the clips' "
                                                        "pixels with instead of the bundled one")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not (args.repcount or args.long or args.pushfit or args.estimators):
        ap.error("choose at least one of --repcount, --long, --pushfit, --estimators")
    if args.pose_model is not None and not ((args.pushfit or args.estimators) and args.pose_model.is_file()):
        ap.error(f"--pose-model {args.pose_model} must be a .tflite file, and reads the pixels of --pushfit or "
                 "--estimators only")
    res: dict[str, Any] = {}
    if args.repcount:
        res["repcount"] = eval_repcount(args.limit, dev_fold=args.dev_fold, phase_model=args.phase_model,
                                        activity_model=args.activity_model)
    if args.long:
        res["long_sets"] = eval_long_sets(phase_model=args.phase_model)
    if args.estimators:
        res["estimators"] = eval_estimators(args.limit, args.pose_model, args.activity_model)
    if args.pushfit:
        res["pushfit"] = {s: eval_pushfit(s, args.limit, args.pose_model if s == "posekit" else None)
                          for s in ("posekit", "mediapipe")}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "reps_eval.json").write_text(json.dumps(res, indent=2))
    short = {k: v for k, v in res.items() if k not in ("pushfit", "estimators")}
    short = {k: {a: b for a, b in v.items() if not a.startswith("per_")} for k, v in short.items()}
    for key in ("pushfit", "estimators"):
        if key in res:
            short[key] = {s: {a: b for a, b in r.items() if a != "per_clip"} for s, r in res[key].items()}
    print(json.dumps(short, indent=2))


if __name__ == "__main__":
    main()
