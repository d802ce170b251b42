"""PCK@0.2 of pose models on the held-back LSPET split (never trained on), against the human labels.

Teacher and student run the same procedure on the same images: start from the box around the
human-labelled joints, refine the crop from the model's own landmarks (as ``posekit.estimate``
does with a box). PCK uses the torso diameter (left shoulder to right hip, human labels) and the
12 limb joints that lie inside the image (LSPET marks occluded joints but still places them).

    python -m training.eval_pose --model posekit/models/pose_student_int8.tflite --teacher --out eval/
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from posekit.keypoints import LIMBS12, Keypoint, indices
from posekit.pose.model import PoseModel
from posekit.pose.tracker import estimate_with

from .label import LSPET_HOLDOUT, lspet_joints, lspet_start_roi, lspet_to_33
from .paths import data_dir

log = logging.getLogger("posekit.eval_pose")
THRESHOLDS = np.round(np.arange(0.05, 0.51, 0.05), 2)


def holdout(limit: int | None = None) -> list[tuple[int, np.ndarray, np.ndarray, tuple[float, float, float, float]]]:
    """(index, rgb image, human (33, 3) with flag, start box) for the held-back LSPET images."""
    import cv2

    joints = lspet_joints()
    out = []
    for i in list(LSPET_HOLDOUT)[:limit]:
        img = np.ascontiguousarray(cv2.imread(str(data_dir() / "lspet" / "images" / f"im{i + 1:05d}.jpg"))[:, :, ::-1])
        h, w = img.shape[:2]
        human = lspet_to_33(joints[i], w, h)
        lim = indices(LIMBS12)
        if (human[lim, 2] > 0).sum() < 6 or human[Keypoint.LEFT_SHOULDER, 2] == 0 or human[Keypoint.RIGHT_HIP, 2] == 0:
            continue  # no torso reference: PCK undefined
        r = lspet_start_roi(joints[i], w, h)
        side = r.size / 1.25
        out.append((i, img, human, (r.cx - side / 2, r.cy - side / 2, side, side)))
    return out


def pck_table(pred: np.ndarray, human: np.ndarray) -> dict[str, Any]:
    """pred (N, 33, 2), human (N, 33, 3) -> PCK per threshold and per joint at 0.2."""
    lim = indices(LIMBS12)
    torso = np.linalg.norm(human[:, Keypoint.LEFT_SHOULDER, :2] - human[:, Keypoint.RIGHT_HIP, :2], axis=-1)
    d = np.linalg.norm(pred[:, lim] - human[:, lim, :2], axis=-1) / np.maximum(torso, 1e-6)[:, None]
    m = human[:, lim, 2] > 0
    curve = {f"{t:.2f}": float(((d <= t) & m).sum() / m.sum()) for t in THRESHOLDS}
    per_joint = {Keypoint(int(k)).name.lower(): float(((d[:, j] <= 0.2) & m[:, j]).sum() / max(m[:, j].sum(), 1))
                 for j, k in enumerate(lim)}
    return {"pck@0.2": curve["0.20"], "curve": curve, "per_joint": per_joint, "n_images": int(len(pred)),
            "n_joints": int(m.sum())}


def run_model(model: PoseModel, data: list) -> tuple[np.ndarray, np.ndarray, float]:
    preds, scores, t0 = [], [], time.perf_counter()
    for _, img, _, box in data:
        r = estimate_with(model, img, box)
        preds.append(r.xy)
        scores.append(r.score)
    return np.stack(preds), np.array(scores), (time.perf_counter() - t0) / max(len(data), 1) * 1e3


def evaluate(models: dict[str, PoseModel], limit: int | None = None) -> dict[str, Any]:
    data = holdout(limit)
    human = np.stack([d[2] for d in data])
    res: dict[str, Any] = {"split": f"LSPET images {LSPET_HOLDOUT.start + 1}-{LSPET_HOLDOUT.stop} (held back)",
                           "models": {}}
    preds = {}
    for name, m in models.items():
        pred, scores, ms = run_model(m, data)
        preds[name] = pred
        res["models"][name] = {**pck_table(pred, human), "ms_per_image": round(ms, 2),
                               "mean_presence": float(scores.mean())}
        log.info("%s: PCK@0.2 %.4f (%d images)", name, res["models"][name]["pck@0.2"], len(data))
    if "teacher" in preds:
        t = preds["teacher"]
        teach = np.concatenate([t, np.ones((*t.shape[:2], 1))], -1)
        for name, p in preds.items():
            if name != "teacher":
                res["models"][name]["pck@0.2_vs_teacher"] = pck_table(p, teach)["pck@0.2"]
    return res


def markdown(res: dict[str, Any]) -> str:
    names = list(res["models"])
    lines = [f"PCK@0.2 on {res['split']}, human labels, 12 limb joints", "",
             "| joint | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for j in res["models"][names[0]]["per_joint"]:
        lines.append(f"| {j} | " + " | ".join(f"{res['models'][n]['per_joint'][j]:.3f}" for n in names) + " |")
    lines.append("| **all** | " + " | ".join(f"**{res['models'][n]['pck@0.2']:.3f}**" for n in names) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=[], help="NAME=PATH or PATH (repeatable)")
    ap.add_argument("--teacher", action="store_true", help="also evaluate the MediaPipe teacher")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--out", type=Path, default=Path("eval"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    models: dict[str, PoseModel] = {}
    if args.teacher:
        from .teacher import load_teacher

        models["teacher"] = load_teacher()
    for spec in args.model:
        name, _, path = spec.rpartition("=")
        models[name or Path(path).stem] = PoseModel(path)
    res = evaluate(models, args.limit)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pose_eval.json").write_text(json.dumps(res, indent=2))
    (args.out / "pose_eval.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
