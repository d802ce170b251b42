"""PCK of pose models per set, every model on the same crops in one run.

Sets: held-back LSPET (human labels, never trained on), the COCO-17-labelled photo set of SOURCES.md
(human labels), and the held-back files of each teacher-labelled source (``training.label``:
agreement with MediaPipe heavy's keypoints), with people lying down as a row of their own.
Every model runs the same procedure: start from the box around the human-labelled joints (as
``posekit.estimate`` does with a box), or on teacher-labelled sets from the crop tracking would give
around heavy's keypoints (turned to the body axis), and refine the crop from its own landmarks. PCK uses the torso
diameter (left shoulder to right hip of the reference) and the 12 limb joints the reference
marks. With ``--teacher`` MediaPipe lite and full are rows too (heavy as well on human labels),
and each model's invoke latency is measured on one thread.

    python -m training.eval_pose --teacher --model pose_student_float16 --model pose_student_int8 --out eval/
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
from posekit.pose.roi import Roi, roi_from_landmarks
from posekit.pose.tracker import acquire, estimate_with

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
    """Each model from the same start: a box (x, y, w, h: ``posekit.estimate``'s procedure), or a
    rotated ROI (refined with its rotation kept, as tracking would)."""
    preds, scores, t0 = [], [], time.perf_counter()
    for _, img, _, start in data:
        if isinstance(start, Roi):
            xy, _, score, _ = acquire(model, img, start, passes=3, min_score=0.0)
        else:
            r = estimate_with(model, img, start)
            xy, score = r.xy, r.score
        preds.append(xy)
        scores.append(score)
    return np.stack(preds), np.array(scores), (time.perf_counter() - t0) / max(len(data), 1) * 1e3


def evaluate(models: dict[str, PoseModel], limit: int | None = None) -> dict[str, Any]:
    """Every model on held-back LSPET against the human labels (see :func:`evaluate_sets` for all sets)."""
    data = holdout(limit)
    res = score_set(models, data)
    res["split"] = f"LSPET images {LSPET_HOLDOUT.start + 1}-{LSPET_HOLDOUT.stop} (held back)"
    return res


def score_set(models: dict[str, PoseModel], data: list, reference: str = "human") -> dict[str, Any]:
    """PCK tables of each model on one set of (id, image, reference (33, 3), box)."""
    ref = np.stack([d[2] for d in data])
    res: dict[str, Any] = {"reference": reference, "n_images": len(data), "models": {}}
    preds = {}
    for name, m in models.items():
        pred, scores, ms = run_model(m, data)
        preds[name] = pred
        res["models"][name] = {**pck_table(pred, ref), "ms_per_image": round(ms, 2),
                               "mean_presence": float(scores.mean())}
        log.info("%s: PCK@0.2 %.4f (%d images)", name, res["models"][name]["pck@0.2"], len(data))
    if "teacher" in preds:
        t = preds["teacher"]
        teach = np.concatenate([t, np.ones((*t.shape[:2], 1))], -1)
        for name, p in preds.items():
            if name != "teacher":
                res["models"][name]["pck@0.2_vs_teacher"] = pck_table(p, teach)["pck@0.2"]
    return res


#: COCO-17 keypoint order -> BlazePose keypoints (the 12 limb joints and the face points).
COCO17 = [Keypoint.NOSE, Keypoint.LEFT_EYE, Keypoint.RIGHT_EYE, Keypoint.LEFT_EAR, Keypoint.RIGHT_EAR,
          Keypoint.LEFT_SHOULDER, Keypoint.RIGHT_SHOULDER, Keypoint.LEFT_ELBOW, Keypoint.RIGHT_ELBOW,
          Keypoint.LEFT_WRIST, Keypoint.RIGHT_WRIST, Keypoint.LEFT_HIP, Keypoint.RIGHT_HIP,
          Keypoint.LEFT_KNEE, Keypoint.RIGHT_KNEE, Keypoint.LEFT_ANKLE, Keypoint.RIGHT_ANKLE]


def coco_dir() -> Path:
    """The COCO-17-labelled photo set of SOURCES.md (``$POSEKIT_COCO`` or the data cache)."""
    import os

    from .paths import cache_dir

    return Path(os.environ.get("POSEKIT_COCO", cache_dir() / "data" / "coco" / "data" / "coco"))


def coco_set(limit: int | None = None) -> list:
    """(id, rgb image, human (33, 3), box) for the 1,500 COCO-17-labelled photos (one person each)."""
    import cv2

    root = coco_dir()
    out = []
    for ann_file, img_dirs in (("person_keypoints_val2017.json", ("val2017", "test")),
                               ("person_keypoints_val2017_new.json", ("images",))):
        path = root / "annotations" / ann_file
        if not path.is_file():
            continue
        d = json.loads(path.read_text())
        files = {im["id"]: im["file_name"] for im in d["images"]}
        for a in d["annotations"]:
            f = next((root / sub / files[a["image_id"]] for sub in img_dirs
                      if (root / sub / files[a["image_id"]]).is_file()), None)
            if f is None:
                continue
            img = cv2.imread(str(f), cv2.IMREAD_COLOR)
            if img is None:
                continue
            human = np.zeros((33, 3))
            k = np.asarray(a["keypoints"], float).reshape(17, 3)
            for j, kp in enumerate(COCO17):
                if k[j, 2] > 0:
                    human[kp] = (k[j, 0], k[j, 1], 1.0)
            x, y, w, h = a["bbox"]
            out.append((a["id"], np.ascontiguousarray(img[:, :, ::-1]), human, (x, y, w, h)))
            if limit and len(out) >= limit:
                return out
    return out


def teacher_holdout(source: str, limit: int | None = None, lying_only: bool = False) -> list:
    """(id, rgb image, heavy's keypoints (33, 3) flagged by visibility, start ROI) for the
    held-back files of a teacher-labelled source (``python -m training.label --folder``), read
    again from the folder its ``source.json`` names; image files only. The start is the crop
    tracking would give from heavy's keypoints (turned to the body axis)."""
    import cv2

    from posekit.pose.roi import Roi

    from .label import IMAGE_EXT
    from .paths import cache_dir

    d = cache_dir() / "teacher" / source
    root = Path(json.loads((d / "source.json").read_text())["root"])
    out = []
    for f in sorted(d.glob("shard_*.npz")):
        z = np.load(f)
        if "holdout" not in z or z["image"].ndim != 4:
            continue
        for i in np.flatnonzero(z["holdout"]):
            rel = str(z["path"][i])
            if Path(rel).suffix.lower() not in IMAGE_EXT:
                continue
            r = Roi(*(float(v) for v in z["roi"][i]))
            if lying_only and abs(np.sin(r.rotation)) < np.sin(np.pi / 4):
                continue
            t = z["teacher"][i]
            ref = np.zeros((33, 3))
            ref[:, :2] = r.to_image(t[:, :2])
            ref[:, 2] = (t[:, 2] > 0.5) & (t[:, 3] > 0.5)
            if ref[Keypoint.LEFT_SHOULDER, 2] == 0 or ref[Keypoint.RIGHT_HIP, 2] == 0 or ref[indices(LIMBS12), 2].sum() < 6:
                continue
            img = cv2.imread(str(root / rel), cv2.IMREAD_COLOR)
            if img is None:
                continue
            out.append((int(z["sample_id"][i]), np.ascontiguousarray(img[:, :, ::-1]), ref,
                        roi_from_landmarks(ref[:, :2], t[:, 2])))
            if limit and len(out) >= limit:
                return out
    return out


def teacher_sources() -> list[str]:
    from .paths import cache_dir

    return sorted(p.parent.name for p in (cache_dir() / "teacher").glob("*/source.json"))


def invoke_ms(model: PoseModel, n: int = 50) -> float:
    """Median invoke latency of a model, one thread, on a fixed input."""
    model.net.run(model._input)
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        model.net.invoke_only()
        t.append(time.perf_counter() - t0)
    return float(np.median(t) * 1e3)


def evaluate_sets(models: dict[str, PoseModel], heavy: PoseModel | None, limit: int | None = None
                  ) -> dict[str, Any]:
    """Every set, every model, one run: human-labelled sets (held-back LSPET, COCO-17 photos) with
    MediaPipe heavy as a row too, and agreement with heavy on each teacher-labelled source's
    held-back images, with a row of its own for people lying down (torso over 45 degrees from
    upright)."""
    res: dict[str, Any] = {"sets": {}, "invoke_ms": {n: round(invoke_ms(m), 2) for n, m in models.items()}}
    human_models = dict(models, **({"mediapipe_heavy": heavy} if heavy is not None else {}))
    if heavy is not None:
        res["invoke_ms"]["mediapipe_heavy"] = round(invoke_ms(heavy), 2)
    res["sets"]["LSPET held back (human)"] = score_set(human_models, holdout(limit))
    coco = coco_set(limit)
    if coco:
        res["sets"]["COCO-17 photos (human)"] = score_set(human_models, coco)
    else:
        log.warning("COCO-17 photo set not found under %s (SOURCES.md says how to fetch it)", coco_dir())
    for src in teacher_sources():
        for lying in (False, True):
            data = teacher_holdout(src, limit, lying_only=lying)
            if len(data) >= 5:
                name = f"{src} held back{' lying' if lying else ''} (vs heavy)"
                res["sets"][name] = score_set(models, data, reference="mediapipe_heavy")
    return res


def markdown(res: dict[str, Any]) -> str:
    if "sets" in res:
        return sets_markdown(res)
    names = list(res["models"])
    lines = [f"PCK@0.2 on {res['split']}, human labels, 12 limb joints", "",
             "| joint | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for j in res["models"][names[0]]["per_joint"]:
        lines.append(f"| {j} | " + " | ".join(f"{res['models'][n]['per_joint'][j]:.3f}" for n in names) + " |")
    lines.append("| **all** | " + " | ".join(f"**{res['models'][n]['pck@0.2']:.3f}**" for n in names) + " |")
    return "\n".join(lines) + "\n"


def sets_markdown(res: dict[str, Any]) -> str:
    names = list(res["invoke_ms"])
    lines = ["PCK@0.2 / PCK@0.5 (12 limb joints, torso-normalised) per set. Human-labelled sets: every model "
             "starts from the box around the labelled joints; teacher-labelled sets: from the crop tracking "
             "would give around MediaPipe heavy's keypoints (the reference there)", "",
             "| set | images | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for set_name, s in res["sets"].items():
        cells = []
        for n in names:
            m = s["models"].get(n)
            cells.append("-" if m is None else f"{m['curve']['0.20']:.3f} / {m['curve']['0.50']:.3f}")
        lines.append(f"| {set_name} | {s['n_images']} | " + " | ".join(cells) + " |")
    lines.append("| invoke ms (1 thread) | | " + " | ".join(f"{res['invoke_ms'][n]:.1f}" for n in names) + " |")
    return "\n".join(lines) + "\n"


def curves_plot(res: dict[str, Any], png: Path) -> None:
    """PCK-vs-threshold curves, one panel per set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = list(res["sets"].items())
    cols = min(4, len(sets))
    rows = -(-len(sets) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False)
    for ax, (name, s) in zip(axes.ravel(), sets):
        for m, t in s["models"].items():
            ax.plot([float(k) for k in t["curve"]], list(t["curve"].values()), label=m)
        ax.set_title(name, fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_xlabel("threshold (torso)", fontsize=7)
    for ax in axes.ravel()[len(sets):]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=[], help="NAME=PATH or PATH or a bundled name (repeatable)")
    ap.add_argument("--teacher", action="store_true", help="also evaluate MediaPipe lite and full (and heavy on human labels)")
    ap.add_argument("--lspet-only", action="store_true", help="only held-back LSPET (the earlier table)")
    ap.add_argument("--limit", type=int, help="at most N images per set")
    ap.add_argument("--out", type=Path, default=Path("eval"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from .teacher import TEACHER_ENTRY, teacher_path

    models: dict[str, PoseModel] = {}
    for spec in args.model:
        name, _, path = spec.rpartition("=")
        models[name or Path(path).stem] = PoseModel(path)
    heavy = None
    if args.teacher:
        for t in ("lite", "full"):
            models[f"mediapipe_{t}"] = PoseModel(teacher_path(teacher=t), entry=TEACHER_ENTRY)
        heavy = PoseModel(teacher_path(teacher="heavy"), entry=TEACHER_ENTRY)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.lspet_only:
        res = evaluate(models, args.limit)
    else:
        res = evaluate_sets(models, heavy, args.limit)
        curves_plot(res, args.out / "pck_curves.png")
    (args.out / "pose_eval.json").write_text(json.dumps(res, indent=2))
    (args.out / "pose_eval.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
