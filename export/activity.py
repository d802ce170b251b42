"""Export the activity classifiers (MotionBERT-lite and LSTM): TFLite float32 / float16 / int8,
ONNX, parity report, bundle.

    python -m export.activity --run ~/.cache/posekit/runs/activity --report benchmarks/out --install

Calibration (int8): 256 un-augmented training windows (seed 0, half Penn Action train clips, half
synthetic), i.e. the distribution the runtime feeds the model. Parity inputs and accuracy use Penn
Action's official test split, which training never saw.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from posekit.activity.classifier import CHANNELS, MODEL_RATE, STRIDE, TOKENS, VEL_SCALE, WINDOW
from posekit.activity.labels import LABELS

from . import tflite as tfl
from .parity import parity_report, write_report

log = logging.getLogger("posekit.export.activity")
MODELS_DIR = Path(__file__).resolve().parent.parent / "posekit" / "models"
CALIB_N = 256
#: Softmax (attention and output probabilities) stays float in the int8 models: attention weights
#: and class probabilities need finer steps than int8's 1/256 around small values.
FLOAT_OPS = ("SOFTMAX",)
ARCHS = ("motionbert", "lstm")
INPUT_SHAPE = (1, WINDOW, TOKENS, CHANNELS)


def load_models(runs: Path | list[Path], archs: tuple[str, ...] = ARCHS) -> dict[str, Any]:
    """The runs' trained models: MotionBERT-lite from the first run; the LSTM of one run, or of
    several (the same recipe under other seeds) the :func:`~training.seq_models.lstm_ensemble` of
    theirs. ``config`` is the first run's."""
    from training.seq_models import MotionBertConfig, build_lstm, build_motionbert, lstm_ensemble

    runs = [runs] if isinstance(runs, Path) else list(runs)
    cfg = json.loads((runs[0] / "config.json").read_text())
    tiny = cfg.get("tiny", False)
    out: dict[str, Any] = {"config": cfg}
    if "motionbert" in archs:
        _, _, out["motionbert"] = build_motionbert(MotionBertConfig(dim=16, heads=2, depth=1) if tiny else MotionBertConfig())
        out["motionbert"].load_weights(runs[0] / "motionbert.weights.h5")
    if "lstm" in archs:
        members = []
        for run in runs:
            members.append(build_lstm(units=16, embed=16) if tiny else build_lstm())
            members[-1].load_weights(run / "lstm.weights.h5")
        out["lstm"] = members[0] if len(members) == 1 else lstm_ensemble(members)
    return out


def to_onnx(model, path: Path) -> None:
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, WINDOW, TOKENS, CHANNELS), tf.float32, name="window"),)

    @tf.function(input_signature=spec)
    def fn(x):
        return {"probs": model(x, training=False)}

    tf2onnx.convert.from_function(fn, input_signature=spec, opset=17, output_path=str(path))


def rep_count_mae(model_path: Path, n_per_kind: int = 4, seed: int = 910_000) -> float:
    """Rep-count MAE (|pred - true| / true) of the full activity analysis with this classifier, on
    held-out synthetic sequences (noisy 2D) of every counted exercise: the task metric the
    classifier feeds (it names the exercise, which picks the rep signal)."""
    from posekit.activity import analyze_keypoints
    from posekit.activity.labels import EXERCISES
    from training.synth.dataset import make_sequence
    from training.synth.motions import GENERATORS

    errs = []
    # The classifier's counted exercises that synthetic motion has (not front raises, rope pushdowns).
    for k, kind in enumerate(e for e in EXERCISES if e != "plank" and e in GENERATORS):
        for i in range(n_per_kind):
            m, arr = make_sequence(kind, seed + 100 * k + i, seconds=15.0)
            true = sum(not r.partial for r in m.reps)
            pred = analyze_keypoints(arr["noisy"], 30.0, activity_model=str(model_path)).reps_total
            errs.append(abs(pred - true) / max(true, 1))
    return float(np.mean(errs))


def training_data(cfg: dict[str, Any]) -> dict[str, list]:
    """{'penn': clips, 'synth': sequences} of a run's config, from the dataset cache."""
    from training.activity_data import penn_clips, synth_train_sequences

    return {"penn": penn_clips(cfg.get("penn_limit")),
            "synth": synth_train_sequences(cfg["synth_per_kind"], cfg["synth_seconds"])}


def calibration_windows(data: dict[str, list]) -> np.ndarray:
    """The int8 calibration set: un-augmented training windows, seed 0."""
    from training.activity_data import WindowSampler

    train_clips = [p for p in data["penn"] if p["split"] == "train"]
    return WindowSampler(train_clips, data["synth"], seed=0).sample(CALIB_N, augment=False)[0]


def export_lstm(runs: list[Path], path: Path) -> Path:
    """Just the LSTM of ``runs`` (one, or the seeds of an ensemble) in its shipped format (int8,
    same calibration as :func:`export`), with its labels beside it (``PATH.json``, which the
    runtime reads): for evaluating a run, e.g. a cross-dataset fold, through the runtime without a
    full export."""
    models = load_models(runs, ("lstm",))
    model = models["lstm"]
    calib = calibration_windows(training_data(models["config"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tfl.convert(model, INPUT_SHAPE, SHIP["lstm"], lambda: ([c[None]] for c in calib), ("probs",),
                                 float_ops=FLOAT_OPS))
    path.with_suffix(path.suffix + ".json").write_text(json.dumps({"labels": list(LABELS)}))
    return path


def export(runs: Path | list[Path], out: Path, data: dict[str, list] | None = None, install: bool = False,
           report_dir: Path | None = None, with_onnx: bool = True, parity_n: int = 64,
           formats: tuple[str, ...] = ("float32", "float16", "int8"), rep_metric: bool = True,
           archs: tuple[str, ...] = ARCHS) -> dict[str, Any]:
    """Export ``archs`` (default both) of ``runs`` (:func:`load_models`); ``data`` = {'penn': clips,
    'synth': sequences} (loaded from the cache when None). Returns {arch: parity report}."""
    from training.activity_data import WindowSampler, penn_test_clips
    from training.train_activity import penn_clip_eval

    from .pose import onnx_runner

    runs = [runs] if isinstance(runs, Path) else list(runs)
    models = load_models(runs, archs)
    cfg = models["config"]
    data = data or training_data(cfg)
    test_clips = penn_test_clips(data["penn"])
    calib = calibration_windows(data)
    held, _ = WindowSampler(test_clips, [], seed=1, penn_frac=1.0).sample(parity_n, augment=False) if test_clips \
        else (calib[:parity_n], None)
    out.mkdir(parents=True, exist_ok=True)
    reports: dict[str, Any] = {}
    measured: dict[str, dict[str, Any]] = {}
    for arch in archs:
        model = models[arch]
        blobs = {}
        for q in formats:
            blobs[q] = tfl.convert(model, INPUT_SHAPE, q, (lambda: ([c[None]] for c in calib)) if q == "int8" else None,
                                   ("probs",), float_ops=FLOAT_OPS if q == "int8" else ())
            (out / f"activity_{arch}_{q}.tflite").write_bytes(blobs[q])
            log.info("%s %s: %d bytes", arch, q, len(blobs[q]))
        onnx_fn = onnx_size = None
        if with_onnx:
            op = out / f"activity_{arch}.onnx"
            to_onnx(model, op)
            onnx_fn, onnx_size = onnx_runner(op), op.stat().st_size
        keras_fn = lambda x, m=model: [np.asarray(m(x, training=False))]
        evals: dict[Any, dict[str, Any]] = {}  # runner -> its whole Penn Action evaluation

        def metric(run_fn):
            evals[run_fn] = penn_clip_eval(lambda x: run_fn(x)[0], test_clips)
            return {"penn_accuracy": evals[run_fn]["accuracy"]}

        rep = parity_report(f"activity_{arch}", keras_fn, blobs, held, metric=metric if test_clips else None,
                            onnx_fn=onnx_fn, onnx_size=onnx_size)
        rep["params"] = int(model.count_params())
        if arch == "lstm" and len(runs) > 1 and test_clips:
            # The ensemble's own Penn Action figures for the report: the runs' metrics are each seed's.
            measured[arch] = {"params": rep["params"], "penn_test": evals[keras_fn]}
        if rep_metric:
            for q in formats:
                rep["formats"][q].setdefault("metrics", {})["rep_mae_synthetic"] = round(
                    rep_count_mae(out / f"activity_{arch}_{q}.tflite"), 4)
        if report_dir is not None:
            write_report(rep, report_dir)
        reports[arch] = rep
    if report_dir is not None:
        merge_train_metrics(runs, archs, report_dir, measured)
    if install:
        install_bundle(out, reports, cfg, runs)
    return reports


def merge_train_metrics(runs: list[Path], archs: tuple[str, ...], report_dir: Path,
                        measured: dict[str, dict[str, Any]] | None = None) -> None:
    """``report_dir/activity_train_metrics.json`` gets the first run's training metrics of ``archs``
    (the other architectures' entries, from the run they were exported from, stay), for the bench's
    report. An LSTM of several runs gets the ensemble's own figures the export measured
    (``measured``: params, Penn Action), each run's under ``members``, and no held-out synthetic
    accuracy (measured per seed only)."""
    src = runs[0] / "metrics.json"
    if not src.exists():
        return
    path = Path(report_dir) / "activity_train_metrics.json"
    merged = json.loads(path.read_text()) if path.exists() else {}
    metrics = json.loads(src.read_text())
    for arch in archs:
        merged[arch] = {**metrics[arch], "run": runs[0].name}
        if arch == "lstm" and len(runs) > 1:
            merged[arch].update({"synthetic": {"accuracy": float("nan")}, **(measured or {}).get(arch, {}),
                                 "members": _members(runs)})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2))


def _members(runs: list[Path]) -> list[dict[str, Any]]:
    """Each run of an LSTM ensemble: its name, seed and Penn Action test accuracy as trained."""
    out = []
    for run in runs:
        cfg = json.loads((run / "config.json").read_text())
        m = json.loads((run / "metrics.json").read_text()).get("lstm", {}) if (run / "metrics.json").exists() else {}
        out.append({"run": run.name, "seed": cfg.get("seed"),
                    "penn_test_accuracy_keras": round(m.get("penn_test", {}).get("accuracy", float("nan")), 4),
                    "synthetic_window_accuracy_keras": round(m.get("synthetic", {}).get("accuracy", float("nan")), 4)})
    return out


#: What ships per architecture. The LSTM ships int8 (the target format; 0.1 ms per invoke for one seed). The
#: MotionBERT-lite ships float16: its int8 build is both slower on x86 LiteRT (quantize/dequantize
#: around the float softmax and attention matmuls) and less accurate (parity report).
SHIP = {"lstm": "int8", "motionbert": "float16"}


def _init_chain(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """The configs of the runs this run started from (``init_from``, followed back while their
    directories exist): a shipped model's whole training, not only its last stage."""
    chain: list[dict[str, Any]] = []
    src = cfg.get("init_from")
    while src and (Path(src).expanduser() / "config.json").exists() and len(chain) < 10:
        c = json.loads((Path(src).expanduser() / "config.json").read_text())
        chain.append({"run": Path(src).name, **c})
        src = c.get("init_from")
    return chain


#: The default activity model: the LSTM, the fast architecture (0.1 ms per invoke for one seed, 0.3-0.4
#: for the three shipped, against MotionBERT-lite's 2-4 ms, all through the SDK) and the one fine-tuned on real
#: fall windows, whose P(fall) feeds the fall detector. MotionBERT-lite ships beside it, selectable
#: with ``activity_model=``.
DEFAULT_ARCH = "lstm"


def install_bundle(out: Path, reports: dict[str, Any], cfg: dict[str, Any], runs: list[Path]) -> None:
    """Copy the shipped formats of the exported architectures into posekit/models (an architecture
    not exported keeps its bundled file and manifest entry); :data:`DEFAULT_ARCH` is the default
    activity model (or whatever is installed, in a bundle without one)."""
    metrics_path = runs[0] / "metrics.json"
    train_metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    manifest = MODELS_DIR / "manifest.json"
    has_default = manifest.exists() and "activity" in json.loads(manifest.read_text()).get("defaults", {})
    acc = {a: reports[a]["formats"][q].get("metrics", {}).get("penn_accuracy", 0.0) for a, q in SHIP.items() if a in reports}
    for arch, q in SHIP.items():
        if arch not in reports:
            continue
        name = f"activity_{arch}_{q}"
        data = (out / f"{name}.tflite").read_bytes()
        (MODELS_DIR / f"{name}.tflite").write_bytes(data)
        tm = train_metrics.get(arch, {})
        ensemble = arch == "lstm" and len(runs) > 1
        keras_acc = reports[arch]["formats"].get("keras", {}).get("metrics", {}).get(
            "penn_accuracy", tm.get("penn_test", {}).get("accuracy", float("nan")))
        entry = tfl.manifest_entry(
            data, f"{name}.tflite", task="activity", version="0.1.0", architecture=arch, quantisation=q,
            labels=list(LABELS), window=WINDOW, stride=STRIDE, rate_hz=MODEL_RATE, vel_scale=VEL_SCALE,
            keypoint_layout="body13 + root velocity token",
            input_normalisation="posekit.activity.classifier.sequence_tokens: hip-centred torso-scaled joints "
                                "(x, y, observed) + root (vx, vy, observed)",
            calibration=(f"{CALIB_N} un-augmented training windows, seed 0 (Penn Action train + synthetic)"
                         if q == "int8" else None),
            params=reports[arch]["params"],
            training={"data": "Penn Action official train split (human joint labels) + synthetic motion "
                              f"({cfg['synth_per_kind']} sequences per kind x 16 kinds, generators "
                              f"v{cfg.get('synth_version', 1)})"
                              + (" + RepCount-pose training videos rebuilt per frame from their MediaPipe poses "
                                 "(held-back videos never)" if cfg.get("repcount_frac", 0) > 0 else "")
                              + (f" + MD4FD fall/daily-activity windows ({cfg['md4fd']})"
                                 if cfg.get("md4fd") and arch == "lstm" else ""),
                      "config": cfg, "earlier_stages": _init_chain(cfg), "commit": tfl.git_commit(),
                      "command": "make train-activity (see Makefile)",
                      # The mean of the logits of one LSTM per seed, each trained by the same recipe.
                      **({"ensemble_of": _members(runs)} if ensemble else {})},
            metrics={f"penn_test_accuracy_{q}": round(acc[arch], 4),
                     "penn_test_accuracy_keras": round(keras_acc, 4),
                     **({} if ensemble else {"synthetic_window_accuracy_keras":
                                             round(tm.get("synthetic", {}).get("accuracy", float("nan")), 4)}),
                     "eval_split": "Penn Action official test split, 6 exercises + other, clip level"},
        )
        default = arch == DEFAULT_ARCH or not has_default
        tfl.update_manifest(MODELS_DIR, name, entry, default_for="activity" if default else None)
        has_default = True
    log.info("installed %s (Penn test accuracy %s)", {a: q for a, q in SHIP.items() if a in reports}, acc)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True, action="append",
                    help="a training run; several (the same recipe under other seeds): the LSTM exported is "
                         "their ensemble (mean logits), MotionBERT-lite comes from the first")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--report", type=Path, default=None)
    ap.add_argument("--install", action="store_true")
    ap.add_argument("--no-onnx", action="store_true")
    ap.add_argument("--archs", default=",".join(ARCHS),
                    help="architectures to export, e.g. motionbert (the others keep their bundled files)")
    ap.add_argument("--lstm-only", action="store_true",
                    help="only the LSTM in its shipped format, to OUT/activity_lstm_int8.tflite (a fall fold for "
                         "eval_activity --fall-folds); no parity report")
    args = ap.parse_args(argv)
    if args.lstm_only:
        print(export_lstm(args.run, (args.out or args.run[0] / "export") / "activity_lstm_int8.tflite"))
        return
    archs = tuple(a for a in args.archs.split(",") if a)
    if not archs or any(a not in ARCHS for a in archs):
        ap.error(f"--archs must name some of {list(ARCHS)}, got {args.archs!r}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    reps = export(args.run, args.out or args.run[0] / "export", install=args.install, report_dir=args.report,
                  with_onnx=not args.no_onnx, archs=archs)
    from .parity import markdown

    for rep in reps.values():
        print(markdown(rep))


if __name__ == "__main__":
    main()
