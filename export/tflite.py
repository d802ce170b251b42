"""Keras -> TFLite float32 / float16 / int8 (full-integer with calibration), op listing, manifest entries."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

QUANTISATIONS = ("float32", "float16", "int8")


def convert(model: Any, input_shape: tuple[int, ...], quantisation: str,
            representative: Callable[[], Iterable[list[np.ndarray]]] | None = None,
            output_names: tuple[str, ...] | None = None, float_ops: tuple[str, ...] = ()) -> bytes:
    """Convert a Keras model with one fixed-shape float32 input to a TFLite flatbuffer.

    ``int8`` is full-integer quantisation (int8 ops, float32 input/output tensors) calibrated on
    ``representative()``; it fails rather than silently falling back to float ops, except for the
    builtin op types listed in ``float_ops``, which are kept in float on purpose (selective
    quantisation, e.g. a spatial-softmax head whose probabilities int8 cannot resolve).
    """
    import tensorflow as tf

    if quantisation not in QUANTISATIONS:
        raise ValueError(f"quantisation must be one of {QUANTISATIONS}, got {quantisation!r}")

    import tempfile

    import keras

    def serve(x):
        out = model(x, training=False)
        if isinstance(out, dict):
            return out
        out = out if isinstance(out, (list, tuple)) else [out]
        names = output_names or tuple(f"output_{i}" for i in range(len(out)))
        return dict(zip(names, out))

    # Keras 3's ExportArchive tracks Keras variables so the converter can freeze them (a plain
    # tf.Module or concrete function leaves them as runtime READ_VARIABLE ops and breaks int8).
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serve", fn=serve, input_signature=[tf.TensorSpec(input_shape, tf.float32, name="input")])
    with tempfile.TemporaryDirectory() as d:
        archive.write_out(d, verbose=False)
        conv = tf.lite.TFLiteConverter.from_saved_model(d, signature_keys=["serve"])
        return _finish(conv, quantisation, representative, float_ops)


def _finish(conv, quantisation: str, representative, float_ops: tuple[str, ...] = ()) -> bytes:
    import tensorflow as tf

    if quantisation == "float16":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    elif quantisation == "int8":
        if representative is None:
            raise ValueError("int8 needs a representative dataset")
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = representative
        # One weight scale per dense layer, not per output channel: interpreters before TF 2.13
        # (python-for-android's tflite-runtime 2.8 among them) read only the first of a
        # FULLY_CONNECTED's per-channel scales and compute every other channel wrong.
        conv._experimental_disable_per_channel_quantization_for_dense_layers = True
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if float_ops:
            # Selective quantisation, as tf.lite.experimental.QuantizationDebugger does it (calibrate,
            # then quantise all but the denylisted ops) but keeping the dense-layer option above,
            # which the debugger does not pass on.
            from tensorflow.lite.python import convert as tfl_convert

            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
            conv._experimental_calibrate_only = True
            data = tfl_convert.mlir_quantize(conv.convert(), denylisted_ops=list(float_ops),
                                             disable_per_channel_for_dense_layers=True)
        else:
            data = conv.convert()
        if per_channel_dense_ops(data):
            raise RuntimeError(f"int8 dense layers quantised per channel: {per_channel_dense_ops(data)[:3]}")
        return data
    return conv.convert()


def per_channel_dense_ops(tflite: bytes) -> list[str]:
    """Output tensor names of the FULLY_CONNECTED ops whose int8 weights carry one scale per
    output channel, which interpreters before TF 2.13 read wrongly (:func:`_finish`)."""
    from tensorflow.lite.python import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(tflite, 0))
    fc = [i for i, oc in enumerate(m.operatorCodes)
          if max(oc.builtinCode, oc.deprecatedBuiltinCode) == schema.BuiltinOperator.FULLY_CONNECTED]
    out = []
    for g in m.subgraphs:
        for op in g.operators:
            if op.opcodeIndex not in fc:
                continue
            w = g.tensors[op.inputs[1]]
            if w.quantization is not None and w.quantization.scale is not None and len(w.quantization.scale) > 1:
                out.append(g.tensors[op.outputs[0]].name.decode())
    return out


def op_versions(tflite: bytes) -> list[tuple[str, int]]:
    """(builtin op name, version) pairs used by a model, from the flatbuffer's operator codes."""
    from tensorflow.lite.python import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(tflite, 0))
    names = {v: k for k, v in schema.BuiltinOperator.__dict__.items() if not k.startswith("_")}
    out = set()
    for oc in m.operatorCodes:
        code = max(oc.builtinCode, oc.deprecatedBuiltinCode)
        out.add((names.get(code, str(code)), int(oc.version)))
    return sorted(out)


def tensor_specs(tflite: bytes) -> tuple[list[dict], list[dict]]:
    from posekit.runtime import interpreter_class

    it = interpreter_class()(model_content=tflite)
    it.allocate_tensors()
    f = lambda ds: [{"name": d["name"], "shape": [int(v) for v in d["shape"]], "dtype": np.dtype(d["dtype"]).name} for d in ds]
    return f(it.get_input_details()), f(it.get_output_details())


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def manifest_entry(tflite: bytes, file: str, **fields: Any) -> dict[str, Any]:
    inputs, outputs = tensor_specs(tflite)
    return {"file": file, "sha256": hashlib.sha256(tflite).hexdigest(), "size_bytes": len(tflite),
            "inputs": inputs, "outputs": outputs,
            "ops": [f"{n}/v{v}" for n, v in op_versions(tflite)], **fields}


def update_manifest(models_dir: Path, name: str, entry: dict[str, Any], default_for: str | None = None) -> None:
    path = models_dir / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {"schema": 1, "models": {}, "defaults": {}}
    manifest["models"][name] = entry
    if default_for:
        manifest["defaults"][default_for] = name
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
