"""Tracking from pixels: does the tracker find the person, keep them, and find them again?

Each clip is run as filmed and in two edits made from it: **enters late** (its first 1.5 s show the
empty room, the clip's per-pixel median over time) and **leaves and comes back** (1.5 s of the
empty room in the middle). The median is an empty room only where the person moved about: one who
stays in place (an exercise on the spot) stays in it, blurred. So the edits are made only where the
reference finds nobody in the median picture; the other clips are run as filmed alone (listed
under ``no_empty_room``). Every pose model runs through the same :class:`posekit.PoseTracker`,
with and without the person detector; the reference is MediaPipe BlazePose GHUM heavy in the same
tracker with the detector. Per clip and edit, against the reference:

* ``found``: share of the reference's frames where the model reports a person too;
* ``pck``: PCK@0.2 (torso-normalised, 12 limb joints) on those frames, and ``pck_lying`` on the
  frames where the reference's torso lies more than 45 degrees from upright;
* ``ghost``: frames with a person reported while the empty room is shown (should be 0);
* ``back_in``: frames after the person's return until the model's pose agrees with the
  reference's again (PCK@0.2 >= 0.5 on that frame).

    python -m training.eval_tracking --out eval/ [--limit-frames 300]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from posekit.keypoints import LIMBS12, Keypoint, indices
from posekit.options import PoseOptions, SmoothingOptions
from posekit.pose.model import PoseModel
from posekit.pose.tracker import PoseTracker

from .paths import data_dir
from .teacher import TEACHER_ENTRY, teacher_path

log = logging.getLogger("posekit.eval_tracking")
GAP_S = 1.5


def clips() -> list[tuple[str, Path, bool]]:
    """(name, path, RGB in the right half) of every real video we have with one person in it."""
    d = data_dir()
    out = [("sample", Path(__file__).resolve().parent.parent / "posekit" / "data" / "sample.mp4", False),
           ("urfd-fall-01", d / "urfd" / "fall-01-cam0.mp4", True)]
    for folder in sorted((d / "workouttracker" / "videos").glob("*")):
        vids = sorted(folder.glob("*.mp4"))
        if vids:
            out.append((f"workouttracker-{folder.name}", vids[0], False))
    return out


def read_frames(path: Path, right_half: bool, limit: int) -> tuple[list[np.ndarray], float]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while len(frames) < limit:
        ok, f = cap.read()
        if not ok:
            break
        f = f[:, f.shape[1] // 2:] if right_half else f
        frames.append(np.ascontiguousarray(f[:, :, ::-1]))
    cap.release()
    return frames, float(fps)


def edits(frames: list[np.ndarray], fps: float, is_empty: Callable[[np.ndarray], bool] | None = None
          ) -> dict[str, tuple[list[np.ndarray], np.ndarray]]:
    """Edit name -> (frames, mask of frames showing the empty room). ``is_empty``: whether the
    clip's median picture shows nobody (None: taken as empty); when not, the clip is only "as
    filmed"."""
    gap = int(round(GAP_S * fps))
    empty = np.median(np.stack(frames[:: max(1, len(frames) // 40)]), axis=0).astype(np.uint8)
    n = len(frames)
    out = {"as filmed": (frames, np.zeros(n, bool))}
    if n > 3 * gap and (is_empty is None or is_empty(empty)):
        late = np.zeros(n, bool)
        late[:gap] = True
        out["enters late"] = ([empty if m else f for f, m in zip(frames, late)], late)
        away = np.zeros(n, bool)
        away[n // 2 - gap // 2:n // 2 - gap // 2 + gap] = True
        out["leaves, comes back"] = ([empty if m else f for f, m in zip(frames, away)], away)
    return out


def track(model: PoseModel, frames: list[np.ndarray], fps: float, detector: bool
          ) -> tuple[np.ndarray, np.ndarray, float]:
    """(xy (N, 33, 2) NaN where nobody, found (N,), ms per frame) through a fresh tracker."""
    opts = PoseOptions(detector=detector, cut_detection=False, smoothing=SmoothingOptions(enabled=False))
    tracker = PoseTracker(opts, model=model)
    xy = np.full((len(frames), 33, 2), np.nan, np.float32)
    t0 = time.perf_counter()
    for i, f in enumerate(frames):
        r = tracker.process(f, int(round(i * 1000 / fps)))
        if r is not None:
            xy[i] = r.xy
    ms = (time.perf_counter() - t0) / max(len(frames), 1) * 1e3
    return xy, ~np.isnan(xy[:, 0, 0]), ms


def agreement(xy: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per frame: share of the 12 limb joints within 0.2 torso of the reference (NaN where either
    has no pose)."""
    lim = indices(LIMBS12)
    torso = np.linalg.norm(ref[:, Keypoint.LEFT_SHOULDER] - ref[:, Keypoint.RIGHT_HIP], axis=-1)
    d = np.linalg.norm(xy[:, lim] - ref[:, lim], axis=-1) / np.maximum(torso, 1e-6)[:, None]
    ok = (d <= 0.2).mean(1)
    ok[np.isnan(d).any(1)] = np.nan
    return ok


def lying(ref: np.ndarray) -> np.ndarray:
    """Frames where the reference torso (mid-hip -> mid-shoulder) is over 45 degrees from upright."""
    hip = (ref[:, Keypoint.LEFT_HIP] + ref[:, Keypoint.RIGHT_HIP]) / 2
    sh = (ref[:, Keypoint.LEFT_SHOULDER] + ref[:, Keypoint.RIGHT_SHOULDER]) / 2
    up = sh - hip
    with np.errstate(invalid="ignore"):
        return np.abs(up[:, 0]) > np.abs(up[:, 1])


def score(xy: np.ndarray, found: np.ndarray, ref: np.ndarray, ref_found: np.ndarray, empty: np.ndarray
          ) -> dict[str, Any]:
    a = agreement(xy, ref)
    both = found & ref_found
    lie = lying(ref) & both
    out: dict[str, Any] = {
        "found": float(both.sum() / max(ref_found.sum(), 1)),
        "pck": float(np.nanmean(a[both])) if both.any() else None,
        "pck_lying": float(np.nanmean(a[lie])) if lie.any() else None,
        "lying_frames": int(lie.sum()),
        "ghost": int((found & empty).sum()),
    }
    if empty.any() and not empty[-1]:
        back = int(np.flatnonzero(empty)[-1]) + 1
        good = np.flatnonzero(np.nan_to_num(a[back:], nan=0.0) >= 0.5)
        out["back_in"] = int(good[0]) if len(good) else None
    return out


def evaluate(limit_frames: int = 300, clip_names: list[str] | None = None, only: list[str] | None = None,
             extra: dict[str, str] | None = None) -> dict[str, Any]:
    models = {name: (PoseModel(name), True) for name in ("pose_student_float16", "pose_student_int8")}
    for name, path in (extra or {}).items():
        models[name] = (PoseModel(path), True)
    models["pose_student_float16 (no detector)"] = (PoseModel("pose_student_float16"), False)
    for t in ("lite", "full"):
        models[f"mediapipe_{t}"] = (PoseModel(teacher_path(teacher=t), entry=TEACHER_ENTRY), True)
    if only:
        models = {k: v for k, v in models.items() if k in only}
    heavy = PoseModel(teacher_path(teacher="heavy"), entry=TEACHER_ENTRY)
    res: dict[str, Any] = {"reference": "mediapipe_heavy (same tracker, detector on)", "clips": {}, "ms_per_frame": {},
                           "no_empty_room": []}
    times: dict[str, list[float]] = {m: [] for m in models}
    for name, path, right in clips():
        if clip_names and name not in clip_names:
            continue
        frames, fps = read_frames(path, right, limit_frames)

        def is_empty(picture: np.ndarray) -> bool:
            # The reference on a second of the median picture: a person it finds there is in it.
            if track(heavy, [picture] * int(round(fps)), fps, True)[1].any():
                res["no_empty_room"].append(name)
                log.info("%s: the reference finds a person in the median picture; run as filmed only", name)
                return False
            return True

        made = edits(frames, fps, is_empty)
        for edit, (fr, empty) in made.items():
            ref, ref_found, _ = track(heavy, fr, fps, True)
            ref_found &= ~empty
            row = {}
            for mname, (model, det) in models.items():
                xy, found, ms = track(model, fr, fps, det)
                times[mname].append(ms)
                row[mname] = score(xy, found, ref, ref_found, empty)
            res["clips"][f"{name} / {edit}"] = row
            log.info("%s / %s: %s", name, edit, {m: (round(r["found"], 2), r["pck"] and round(r["pck"], 2))
                                                 for m, r in row.items()})
    res["ms_per_frame"] = {m: round(float(np.mean(t)), 2) for m, t in times.items() if t}
    return res


def markdown(res: dict[str, Any]) -> str:
    names = list(res["ms_per_frame"])
    lines = [f"Tracking against {res['reference']}: found / PCK@0.2 (lying frames) / ghost frames / frames to "
             "agree again after the person returns", "",
             "| clip / edit | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    for clip, row in res["clips"].items():
        cells = []
        for n in names:
            r = row[n]
            c = f"{r['found']:.2f} / {fmt(r['pck'])}"
            if r["lying_frames"]:
                c += f" ({fmt(r['pck_lying'])})"
            if "back_in" in r:
                c += f" / {r['ghost']} / {'never' if r['back_in'] is None else r['back_in']}"
            cells.append(c)
        lines.append(f"| {clip} | " + " | ".join(cells) + " |")
    lines.append("| ms per frame | " + " | ".join(f"{res['ms_per_frame'][n]:.1f}" for n in names) + " |")
    if res.get("no_empty_room"):
        lines += ["", "Run as filmed only (the reference finds the person in the clip's median picture, so it "
                  "shows no empty room): " + ", ".join(res["no_empty_room"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit-frames", type=int, default=300)
    ap.add_argument("--clip", action="append", help="only these clips (names as in the table)")
    ap.add_argument("--model", action="append", default=[], help="NAME=PATH: another pose model to compare (repeatable)")
    ap.add_argument("--only", action="append", help="only these models (names as in the table)")
    ap.add_argument("--out", type=Path, default=Path("eval"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    extra = dict(spec.split("=", 1) for spec in args.model)
    res = evaluate(args.limit_frames, args.clip, args.only, extra)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tracking_eval.json").write_text(json.dumps(res, indent=2))
    (args.out / "tracking_eval.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
