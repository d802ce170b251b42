"""Parity harness: one report per model and format (Keras vs TFLite vs ONNX), shared by every model.

For each format: max/mean abs difference of every output vs Keras on held-back inputs, the task
metric (pose PCK, classifier accuracy, ...) through a caller-supplied function, size, op list,
and invoke latency at 1 and 2 threads. Written as JSON + Markdown (+ a PNG when matplotlib exists).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .tflite import op_versions


def tflite_runner(model: bytes, threads: int = 1) -> Callable[[np.ndarray], list[np.ndarray]]:
    """A function running one input batch through the TFLite model, outputs sorted by name."""
    from posekit.runtime import interpreter_class

    it = interpreter_class()(model_content=model, num_threads=threads)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    outs = sorted(it.get_output_details(), key=lambda d: d["name"])

    def run(x: np.ndarray) -> list[np.ndarray]:
        res = []
        for row in x:
            it.set_tensor(inp["index"], row[None].astype(np.float32))
            it.invoke()
            res.append([it.get_tensor(d["index"])[0] for d in outs])
        return [np.stack([r[i] for r in res]) for i in range(len(outs))]

    run.interpreter = it  # type: ignore[attr-defined]
    return run


def latency_ms(model: bytes, threads: int, runs: int = 50) -> float:
    """Median invoke time (ms) on a random input after warm-up."""
    from posekit.runtime import interpreter_class

    it = interpreter_class()(model_content=model, num_threads=threads)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], np.random.default_rng(0).random(d["shape"]).astype(d["dtype"]))
    for _ in range(5):
        it.invoke()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        it.invoke()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def compare(ref: list[np.ndarray], got: list[np.ndarray]) -> dict[str, float]:
    diffs = [np.abs(np.asarray(r, np.float64) - np.asarray(g, np.float64)) for r, g in zip(ref, got)]
    return {"max_abs_diff": float(max(d.max() for d in diffs)), "mean_abs_diff": float(np.mean([d.mean() for d in diffs]))}


def parity_report(name: str, keras_fn: Callable[[np.ndarray], list[np.ndarray]], models: dict[str, bytes],
                  inputs: np.ndarray, metric: Callable[[Callable[[np.ndarray], list[np.ndarray]]], dict[str, float]] | None = None,
                  onnx_fn: Callable[[np.ndarray], list[np.ndarray]] | None = None, onnx_size: int | None = None,
                  threads: tuple[int, ...] = (1, 2), latency_runs: int = 50) -> dict[str, Any]:
    """Compare every TFLite format (and ONNX) with Keras on ``inputs``.

    Args:
        keras_fn: batch -> outputs sorted by output name (the reference).
        models: format name -> TFLite bytes.
        metric: runner -> {metric: value}; called for Keras and every format.
    """
    ref = keras_fn(inputs)
    rep: dict[str, Any] = {"model": name, "n_inputs": int(len(inputs)), "formats": {}}
    if metric is not None:
        rep["formats"]["keras"] = {"metrics": metric(keras_fn)}
    for fmt, data in models.items():
        run = tflite_runner(data)
        entry = {**compare(ref, run(inputs)), "size_bytes": len(data),
                 "ops": [f"{n}/v{v}" for n, v in op_versions(data)],
                 "latency_ms": {str(t): round(latency_ms(data, t, latency_runs), 4) for t in threads}}
        if metric is not None:
            entry["metrics"] = metric(run)
        rep["formats"][fmt] = entry
    if onnx_fn is not None:
        entry = {**compare(ref, onnx_fn(inputs)), "size_bytes": onnx_size}
        if metric is not None:
            entry["metrics"] = metric(onnx_fn)
        rep["formats"]["onnx"] = entry
    return rep


def write_report(rep: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"parity_{rep['model']}"
    stem.with_suffix(".json").write_text(json.dumps(rep, indent=2))
    stem.with_suffix(".md").write_text(markdown(rep))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fmts = [f for f in rep["formats"] if "latency_ms" in rep["formats"][f]]
    if not fmts:
        return
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.2))
    for ti, t in enumerate(("1", "2")):
        ax[0].bar(np.arange(len(fmts)) + ti * 0.4, [rep["formats"][f]["latency_ms"].get(t, 0) for f in fmts], 0.4,
                  label=f"{t} thread{'s' if t != '1' else ''}")
    ax[0].set_xticks(np.arange(len(fmts)) + 0.2, fmts); ax[0].set_ylabel("ms / invoke"); ax[0].legend()
    ax[1].bar(fmts, [rep["formats"][f]["size_bytes"] / 1024 for f in fmts]); ax[1].set_ylabel("size (kB)")
    fig.suptitle(f"{rep['model']}: LiteRT latency and size"); fig.tight_layout()
    fig.savefig(stem.with_suffix(".png"), dpi=90); plt.close(fig)


def markdown(rep: dict[str, Any]) -> str:
    metric_names = sorted({m for f in rep["formats"].values() for m in f.get("metrics", {})})
    head = ["format", "max abs diff", "mean abs diff", *metric_names, "size kB", "ms @1 thr", "ms @2 thr"]
    lines = [f"### {rep['model']} ({rep['n_inputs']} held-back inputs)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for fmt, e in rep["formats"].items():
        lat = e.get("latency_ms", {})
        row = [fmt, f"{e['max_abs_diff']:.2e}" if "max_abs_diff" in e else "ref",
               f"{e['mean_abs_diff']:.2e}" if "mean_abs_diff" in e else "ref",
               *[f"{e.get('metrics', {}).get(m, float('nan')):.4f}" for m in metric_names],
               f"{e['size_bytes'] / 1024:.0f}" if e.get("size_bytes") else "",
               f"{lat['1']:.3f}" if "1" in lat else "", f"{lat['2']:.3f}" if "2" in lat else ""]
        lines.append("| " + " | ".join(row) + " |")
    ops = {f: e["ops"] for f, e in rep["formats"].items() if "ops" in e}
    if ops:
        lines += ["", "Ops (builtin/version): " + "; ".join(f"**{f}**: {', '.join(o)}" for f, o in ops.items())]
    return "\n".join(lines) + "\n"
