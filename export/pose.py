"""Export the student pose network: TFLite float32 / float16 / int8, ONNX, parity report, bundle.

    python -m export.pose --run ~/.cache/posekit/runs/pose128 --report benchmarks/reports --install

Calibration (int8): 256 tracking-ROI crops drawn with seed 0 from the teacher-labelled training
cache (LSPET training images + video frames), i.e. what the runtime feeds the model. Parity inputs
and PCK use the held-back LSPET split, which training never saw.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from training.train_pose import first_init, lineage_runs

from . import tflite as tfl
from .parity import parity_report, write_report

log = logging.getLogger("posekit.export.pose")
MODELS_DIR = Path(__file__).resolve().parent.parent / "posekit" / "models"
CALIB_N = 256
#: Kept in float inside the int8 model: the integral-regression head (spatial softmax over 32x32
#: cells, then the expectation as a matmul) needs probabilities finer than int8's 1/256 steps, and
#: the visibility/presence sigmoids must resolve confident "no person" logits that calibration on
#: person crops never sees (int8 clamps them to 0.5).
FLOAT_OPS = ("SOFTMAX", "FULLY_CONNECTED", "BATCH_MATMUL", "LOGISTIC")


def load_run(run: Path, weights: str = "best"):
    from training.student import build_student, inference_model, student_config

    cfg = json.loads((run / "config.json").read_text())
    model = build_student(student_config(cfg))
    w = run / f"{weights}.weights.h5"
    if not w.exists():
        w = run / "last.weights.h5"
    model.load_weights(w)
    return inference_model(model), cfg


def _training_cache(cfg: dict[str, Any]) -> dict:
    from training.pose_data import load_cache

    return load_cache(tuple(cfg.get("sources") or ("lspet",)))


def calibration_crops(size: int, n: int = CALIB_N, data: dict | None = None) -> np.ndarray:
    from training.pose_data import load_cache
    from training.train_pose import centre_crops

    data = data or load_cache()
    idx = np.random.default_rng(0).choice(len(data["image"]), min(n, len(data["image"])), replace=False)
    x, _ = centre_crops(data["image"][idx], data["uv"][idx], size)
    return x


def holdout_crops(size: int, limit: int) -> np.ndarray:
    from posekit.pose.roi import crop, roi_from_box
    from training.eval_pose import holdout

    return np.stack([crop(img, roi_from_box(box), size) for _, img, _, box in holdout(limit)])


def to_onnx(model, size: int, path: Path) -> None:
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, size, size, 3), tf.float32, name="image"),)

    @tf.function(input_signature=spec)
    def fn(x):
        lm, pr = model(x, training=False)
        return {"landmarks": lm, "presence": pr}

    tf2onnx.convert.from_function(fn, input_signature=spec, opset=17, output_path=str(path))


def onnx_runner(path: Path):
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(onnx.load(str(path)))
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = sorted(o.name for o in sess.get_outputs())

    def run(x):
        outs = sess.run(names, {sess.get_inputs()[0].name: x.astype(np.float32)})
        return outs
    return run


def export(run: Path, out: Path, formats: tuple[str, ...] = ("float32", "float16", "int8"), pck_limit: int | None = None,
           install: bool = False, report_dir: Path | None = None, with_onnx: bool = True,
           data: dict | None = None, parity_n: int = 64) -> dict[str, Any]:
    from training.eval_pose import evaluate

    model, cfg = load_run(run)
    s = cfg["input_size"]
    out.mkdir(parents=True, exist_ok=True)
    calib = calibration_crops(s, data=data or _training_cache(cfg))
    rep_fn = lambda: ([c[None]] for c in calib)
    blobs: dict[str, bytes] = {}
    for q in formats:
        blobs[q] = tfl.convert(model, (1, s, s, 3), q, rep_fn if q == "int8" else None, ("landmarks", "presence"),
                               float_ops=FLOAT_OPS if q == "int8" else ())
        (out / f"pose_student_{q}.tflite").write_bytes(blobs[q])
        log.info("%s: %d bytes", q, len(blobs[q]))

    def keras_batched(x):
        outs = [model(x[i:i + 32], training=False) for i in range(0, len(x), 32)]
        return [np.concatenate([np.asarray(o[0]) for o in outs]), np.concatenate([np.asarray(o[1]) for o in outs])]

    inputs = holdout_crops(s, parity_n) if data is None else calib[:parity_n]
    onnx_fn = onnx_size = None
    if with_onnx:
        op = out / "pose_student.onnx"
        to_onnx(model, s, op)
        onnx_fn, onnx_size = onnx_runner(op), op.stat().st_size
    rep = parity_report("pose_student", keras_batched, blobs, inputs, onnx_fn=onnx_fn, onnx_size=onnx_size)
    if data is None:
        from posekit.pose.model import PoseModel

        # PCK through the runtime's own estimate() procedure, for every TFLite format.
        entry = {"output_layout": "posekit_v1"}
        pm = {q: PoseModel(out / f"pose_student_{q}.tflite", entry=entry) for q in formats}
        ev = evaluate(pm, pck_limit)
        for q in formats:
            rep["formats"][q]["metrics"] = {"pck@0.2": ev["models"][q]["pck@0.2"]}
        rep["pck_eval"] = ev
    if report_dir is not None:
        write_report(rep, report_dir)
        from training.train_pose import plot_curves

        plot_curves([r / "log.csv" for r in lineage_runs(run) if (r / "log.csv").exists()],
                    report_dir / "train_pose_curves.png")
    if install:
        install_bundle(out, rep, cfg, run)
    return rep


def install_bundle(out: Path, rep: dict[str, Any], cfg: dict[str, Any], run: Path) -> None:
    """Copy the int8 and float16 (default) students into posekit/models with manifest entries.

    float16 is the default: it is the more accurate build on held-back LSPET (int8 loses ~3 points).
    Which build is faster depends on the CPU (int8 on one with VNNI; README)."""
    s = cfg["input_size"]
    training = training_record(run, cfg)  # read before the manifest entries it may start from are replaced
    for q, default in (("int8", False), ("float16", True)):
        name = f"pose_student_{q}"
        data = (out / f"{name}.tflite").read_bytes()
        (MODELS_DIR / f"{name}.tflite").write_bytes(data)
        metrics = {k: round(v, 4) for k, v in rep["formats"][q].get("metrics", {}).items()}
        entry = tfl.manifest_entry(
            data, f"{name}.tflite", task="pose", version="0.1.0", output_layout="posekit_v1",
            input_normalisation="RGB float32 in [0, 1], upright BlazePose ROI crop (mid-hip centred)",
            input_size=s, keypoint_layout="blazepose33", quantisation=q,
            calibration=(f"{CALIB_N} tracking-ROI crops, seed 0, from the teacher-labelled training cache"
                         if q == "int8" else None),
            training=training,
            metrics={**metrics, "eval_split": "LSPET 5001-6000 (held back), human labels, 12 limb joints"},
        )
        tfl.update_manifest(MODELS_DIR, name, entry, default_for="pose" if default else None)


def training_record(run: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    """The manifest's ``training`` for a run: data, config, epochs, commit, lineage, command. A run
    fine-tuned from a bundled student names that student's data and stages (and the commit it was
    shipped at) before its own."""
    start = bundled_start(run)
    data = training_data(cfg)
    if start is not None:
        data += (f"; fine-tuned from the student shipped at {start['training'].get('commit')}, "
                 f"itself trained on: {start['training'].get('data')}")
    return {"data": data, "config": cfg, "epochs_logged": _epochs_trained(run / "log.csv"), "commit": tfl.git_commit(),
            "lineage": lineage(run), "command": f"make {'finetune-pose' if start is not None else 'train-pose'} (see Makefile)"}


#: What each teacher-labelled source is (``training.label``; docs/training.md says where each comes from).
SOURCES = {
    "lspet": "LSPET images 1-5000 (human limb labels over the teacher's)",
    "har": "Human Action Recognition web photos, 15 everyday actions (umareddy123/Human_activity_recognition)",
    "fallaction": "Fall Action Dataset frames: falling, lying, sitting, standing (laifiilhem/fall-detection-yolov5-tensorrt-jetson)",
    "ccp": "Clothing Co-Parsing full-body street photos (bearpaw/clothing-co-parsing)",
    "yoga": "yoga photos, 5 poses (siddharth4572/Yoga-pose-detection)",
    "sports": "sports photos (HoldenLauer/Sports_Image_Classification)",
    "workouttracker": "WorkoutTracker exercise video frames, every 5th",
}


def training_data(cfg: dict[str, Any]) -> str:
    """The manifest's ``training.data``: each source and who labelled it."""
    sources = cfg.get("sources") or ["lspet", "videos"]
    teacher = "MediaPipe BlazePose GHUM heavy" if sources != ["lspet", "videos"] else "MediaPipe BlazePose GHUM full"
    weights = cfg.get("source_weights") or {}
    text = f"teacher labels ({teacher}, 1 file in 20 held back per source) of: " + "; ".join(
        SOURCES.get(s, s) + (f", drawn {weights[s]:g}x as often" if s in weights else "") for s in sources)
    if cfg.get("backbone") == "teacher":
        text += ("; starts from the teacher's own encoder-decoder weights (pose_landmark_full.tflite, Apache-2.0), "
                 f"expansions >= {cfg.get('thin_from', 864)} channels thinned to {cfg.get('keep_wide')}")
    return text


def per_set_metrics(eval_json: Path, prefix: str) -> None:
    """Each installed build's PCK@0.2 / @0.5 per set and invoke latency from an eval_pose run."""
    ev = json.loads(eval_json.read_text())
    manifest_path = MODELS_DIR / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for q in ("float16", "int8"):
        name = f"{prefix}_{q}"
        per_set = {s: {"pck@0.2": round(v["models"][name]["curve"]["0.20"], 4),
                       "pck@0.5": round(v["models"][name]["curve"]["0.50"], 4), "reference": v["reference"],
                       "images": v["n_images"]}
                   for s, v in ev.get("sets", {}).items() if name in v["models"]}
        if per_set:
            entry = manifest["models"][f"pose_student_{q}"]
            entry["metrics"]["per_set"] = per_set
            entry["metrics"]["invoke_ms_vs_mediapipe_full"] = round(
                ev["invoke_ms"][name] / ev["invoke_ms"]["mediapipe_full"], 3) if "mediapipe_full" in ev["invoke_ms"] else None
            entry["metrics"]["per_set_command"] = "python -m training.eval_pose --teacher --model ... (same run)"
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _epochs_trained(log_csv: Path) -> int | None:
    """Epochs with training steps in a run's log (a stage with ``--epochs 0`` logs one row, no steps)."""
    import csv

    if not log_csv.exists():
        return None
    with log_csv.open() as f:
        return sum(int(r["step"]) > 0 for r in csv.DictReader(f))


def bundled_start(run: Path) -> dict[str, Any] | None:
    """The manifest entry of the bundled model the run's first stage started from (``--init
    posekit/models/NAME.tflite``); None when it started elsewhere."""
    init = first_init(run)
    manifest = MODELS_DIR / "manifest.json"
    if not (init and init.endswith(".tflite") and manifest.exists()):
        return None
    return next((e for e in json.loads(manifest.read_text())["models"].values() if e.get("file") == Path(init).name), None)


def lineage(run: Path) -> list[dict[str, Any]]:
    """The training stages behind a run, oldest first: each stage's directory name, epochs
    logged / planned, peak learning rate, quarter-turn fraction, heat prior, which weights it
    trained and what it started from (``--init``)."""
    stages = []
    start = bundled_start(run)
    if start is not None:  # started from a bundled model: its own stages first
        commit = start.get("training", {}).get("commit")
        stages += [{**st, "shipped_at": commit} for st in start.get("training", {}).get("lineage", [])]
    for r in lineage_runs(run):
        cfg = json.loads((r / "config.json").read_text())
        logged = _epochs_trained(r / "log.csv")
        stages.append({"run": r.name, "epochs_logged": logged, "epochs_planned": cfg["epochs"], "lr": cfg["lr"],
                       "backbone": cfg.get("backbone", "own"),
                       "quarter_turns": cfg.get("quarter_turns", 0.0),  # stages before the option had none
                       "frame_edges": cfg.get("frame_edges", 0.0),
                       "heat_prior": cfg.get("heat_prior", 0.0), "train_only": cfg.get("train_only", "all"),
                       "sources": cfg.get("sources"), "source_weights": cfg.get("source_weights") or {},
                       "init": Path(cfg["init"]).parent.name + "/" + Path(cfg["init"]).name if cfg.get("init") else None})
    return stages


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--report", type=Path, default=None)
    ap.add_argument("--pck-limit", type=int, default=None)
    ap.add_argument("--install", action="store_true")
    ap.add_argument("--no-onnx", action="store_true")
    ap.add_argument("--eval", type=Path, metavar="POSE_EVAL_JSON",
                    help="with --install: put each build's PCK per set from this `training.eval_pose` run into its "
                         "manifest entry (the builds named NAME_float16 / NAME_int8 there, see --eval-name)")
    ap.add_argument("--eval-name", default="new", help="the prefix the builds have in --eval (default: new)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out = args.out or args.run / "export"
    rep = export(args.run, out, pck_limit=args.pck_limit, install=args.install, report_dir=args.report,
                 with_onnx=not args.no_onnx)
    if args.install and args.eval:
        per_set_metrics(args.eval, args.eval_name)
    from .parity import markdown

    print(markdown(rep))


if __name__ == "__main__":
    main()
