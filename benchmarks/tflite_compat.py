"""Do the shipped models run, with the same numbers, in another TFLite runtime?

Android builds of the demo app get their interpreter from python-for-android's tflite-runtime
recipe (tflite-runtime 2.8.0), not LiteRT. ``run`` loads every model in ``posekit/models``
through whichever interpreter the Python running it has (``tflite_runtime`` first, else
``ai_edge_litert``) on real inputs and saves the outputs; it needs only NumPy and that
interpreter, and runs on Python 3.9 (the tflite-runtime 2.8.0 wheels' newest). The inputs come
from ``prepare`` (posekit itself, on the bundled sample clip): the tracking crops of 4 frames for
the pose networks, the letterboxed frames for the detector, the activity models' token
windows of the clip's keypoints, and the rep phase model's frames of them. ``compare`` sets two runs side by side: per model, whether it
loaded and the largest output difference.

    make tflite28-check     # a Python 3.9 venv with tflite-runtime 2.8.0, then the steps below
    python benchmarks/tflite_compat.py prepare --out inputs.npz
    python benchmarks/tflite_compat.py run --inputs inputs.npz --out a.npz  # under each runtime
    python benchmarks/tflite_compat.py compare a.npz b.npz --out report.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np

MODELS = Path(__file__).resolve().parent.parent / "posekit" / "models"
#: Tasks whose first output is class probabilities.
CLASSIFIERS = ("activity", "rep_phase")
#: Largest output difference accepted per quantisation (int8 may round one step apart).
TOLERANCE = {"float32": 1e-4, "float16": 1e-3, "int8": 2e-2}


def interpreter():
    """(Interpreter class, runtime name and version)."""
    try:
        import tflite_runtime
        from tflite_runtime.interpreter import Interpreter

        return Interpreter, f"tflite_runtime {tflite_runtime.__version__} ({platform.machine()})"
    except ImportError:
        import ai_edge_litert
        from ai_edge_litert.interpreter import Interpreter

        version = getattr(ai_edge_litert, "__version__", None)
        if version is None:
            from importlib.metadata import version as dist_version

            version = dist_version("ai-edge-litert")
        return Interpreter, f"ai_edge_litert {version} ({platform.machine()})"


def prepare(out: Path, frames: int = 4) -> None:
    """Real inputs per model from the bundled sample clip (needs posekit: Python >= 3.10)."""
    from posekit import PoseOptions, PoseTracker
    from posekit.activity import analysis  # noqa: F401 - the package's own import order
    from posekit.activity.body import normalise
    from posekit.activity.classifier import WINDOW, sequence_tokens, windows
    from posekit.activity.inputs import input_body13
    from posekit.activity.phase import BATCH, frame_features
    from posekit.pose.detector import INPUT_SIZE
    from posekit.pose.roi import crop, full_frame_roi
    from posekit.video import FrameSource

    tracker = PoseTracker(PoseOptions())
    crops = {}
    dets, kps = [], []
    sample = Path(__file__).resolve().parent.parent / "posekit" / "data" / "sample.mp4"
    with FrameSource(sample) as src:
        fps = src.fps
        for i, f in enumerate(src):
            r = tracker.process(f.rgb, f.timestamp_ms)
            kps.append(np.concatenate([r.xy, r.conf[:, None]], 1) if r is not None else np.full((33, 3), np.nan))
            if r is not None and i % 20 == 0 and len(dets) < frames:
                for size in (160, 128, 256):
                    crops.setdefault(size, []).append(crop(f.rgb, r.roi, size))
                h, w = f.rgb.shape[:2]
                dets.append(crop(f.rgb, full_frame_roi(w, h), INPUT_SIZE) * 2.0 - 1.0)
    seq = normalise(input_body13(np.stack(kps).astype(np.float32)), fps)
    win, _ = windows(sequence_tokens(seq))
    arrays = {f"pose{s}": np.stack(c).astype(np.float32) for s, c in crops.items()}
    arrays["detector"] = np.stack(dets).astype(np.float32)
    # The classifiers: every window and every frame of the clip (they are cheap), so that how
    # often the top class agrees between runtimes is read over the whole clip.
    arrays["activity"] = win.astype(np.float32)
    assert arrays["activity"].shape[1] == WINDOW
    feats = frame_features(seq.xy, seq.mask)
    n = len(feats) // BATCH
    arrays["phase"] = feats[:n * BATCH].reshape(n, BATCH, -1)
    np.savez(out, **arrays)


def model_input(name: str, shape: list[int], inputs) -> np.ndarray:
    """The prepared inputs (N, ...) a model of ``shape`` takes, one of them per invoke."""
    if name.startswith("pose_detection"):
        return inputs["detector"]
    if name.startswith("pose"):
        return inputs[f"pose{shape[1]}"]
    if name.startswith("rep_phase"):
        return inputs["phase"]
    return inputs["activity"]


def run(out: Path, inputs_path: Path) -> dict:
    cls, runtime = interpreter()
    manifest = json.loads((MODELS / "manifest.json").read_text())
    inputs = np.load(inputs_path)
    arrays, report = {}, {"runtime": runtime, "python": sys.version.split()[0], "models": {}}
    for name, entry in sorted(manifest["models"].items()):
        try:
            it = cls(model_path=str(MODELS / entry["file"]), num_threads=1)
            it.allocate_tensors()
            d = it.get_input_details()[0]
            xs = model_input(name, list(d["shape"]), inputs)
            outs: dict[int, list] = {}
            for x in xs:
                it.set_tensor(d["index"], x.reshape(d["shape"]).astype(d["dtype"]))
                it.invoke()
                for k, o in enumerate(it.get_output_details()):
                    outs.setdefault(k, []).append(it.get_tensor(o["index"]))
            for k, v in outs.items():
                arrays[f"{name}/{k}"] = np.stack(v)
            report["models"][name] = {"loaded": True, "inputs": len(xs)}
        except Exception as e:  # noqa: BLE001 - any runtime failure is the finding
            report["models"][name] = {"loaded": False, "error": str(e).strip().splitlines()[0][:300]}
    np.savez(out, **arrays)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    return report


def compare(a: Path, b: Path) -> dict:
    """Per model: loaded under each runtime, largest output difference, within tolerance."""
    ra, rb = (json.loads(p.with_suffix(".json").read_text()) for p in (a, b))
    xa, xb = np.load(a), np.load(b)
    manifest = json.loads((MODELS / "manifest.json").read_text())["models"]
    res = {"a": ra["runtime"], "b": rb["runtime"], "models": {}}
    for name in sorted(set(ra["models"]) | set(rb["models"])):
        row = {"loaded_a": ra["models"].get(name, {}).get("loaded", False),
               "loaded_b": rb["models"].get(name, {}).get("loaded", False)}
        for side, r in (("a", ra), ("b", rb)):
            if r["models"].get(name, {}).get("error"):
                row[f"error_{side}"] = r["models"][name]["error"]
        if row["loaded_a"] and row["loaded_b"]:
            keys = sorted(k for k in xa.files if k.startswith(name + "/"))
            diff = max(float(np.max(np.abs(xa[k].astype(np.float64) - xb[k].astype(np.float64)))) for k in keys)
            # Relative to each output's own scale where it exceeds 1 (the detector's box offsets
            # are in pixels of its 224 px input).
            rel = max(float(np.max(np.abs(xa[k].astype(np.float64) - xb[k].astype(np.float64)))
                            / max(1.0, float(np.max(np.abs(xa[k]))))) for k in keys)
            tol = TOLERANCE.get(manifest.get(name, {}).get("quantisation", "float32").split()[0], 1e-4)
            row.update(max_abs_diff=diff, max_rel_diff=rel, tolerance=tol, match=rel <= tol)
            if manifest.get(name, {}).get("task") in CLASSIFIERS:
                row["top_class_agrees"] = float(np.mean(xa[keys[0]].argmax(-1) == xb[keys[0]].argmax(-1)))
        res["models"][name] = row
    return res


def markdown(res: dict) -> str:
    lines = [f"| model | {res['a']} | {res['b']} | largest output difference | top class the same |",
             "|---|---|---|---|---|"]
    for name, r in res["models"].items():
        load = lambda side: "runs" if r[f"loaded_{side}"] else f"does not load: {r.get(f'error_{side}', '?')}"
        diff = (f"{r['max_abs_diff']:.2e}, relative {r['max_rel_diff']:.1e} ({'within' if r['match'] else 'OVER'} "
                f"{r['tolerance']:g})") if "max_abs_diff" in r else "-"
        agree = f"{r['top_class_agrees']:.1%}" if "top_class_agrees" in r else "-"
        lines.append(f"| {name} | {load('a')} | {load('b')} | {diff} | {agree} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("run")
    r.add_argument("--inputs", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.cmd == "prepare":
        prepare(args.out)
        return 0
    if args.cmd == "run":
        rep = run(args.out, args.inputs)
        print(json.dumps(rep, indent=2))
        return 0
    res = compare(args.a, args.b)
    args.out.write_text(json.dumps(res, indent=2))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
