"""benchmarks/tflite_compat.py: the check behind `make tflite28-check` (the other runtime, tflite-runtime
2.8.0 on Python 3.9, is what the make target adds; here both sides are LiteRT)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import tflite_compat  # noqa: E402


def test_compare_finds_each_models_difference_and_load_failure(tmp_path):
    inputs = tmp_path / "in.npz"
    tflite_compat.prepare(inputs)
    x = np.load(inputs)
    assert x["pose160"].shape[1:] == (160, 160, 3) and x["detector"].shape[1:] == (224, 224, 3)
    assert x["activity"].ndim == 4 and len(x["activity"]) > 4 and np.isfinite(x["activity"]).all()
    rep = tflite_compat.run(tmp_path / "a.npz", inputs)
    assert rep["runtime"].startswith("ai_edge_litert") and all(m["loaded"] for m in rep["models"].values())
    same = tflite_compat.compare(tmp_path / "a.npz", tmp_path / "a.npz")
    assert all(m["match"] and m["max_abs_diff"] == 0 for m in same["models"].values())
    # Another run whose LSTM differs and whose detector failed to load.
    b = dict(np.load(tmp_path / "a.npz"))
    b["activity_lstm_int8/0"] = b["activity_lstm_int8/0"] + 0.5
    b["rep_phase_float16/0"] = b["rep_phase_float16/0"][..., ::-1]  # every frame's classes the other way round
    np.savez(tmp_path / "b.npz", **b)
    rb = dict(rep, runtime="other 1.0", models=dict(rep["models"], pose_detection={"loaded": False, "error": "op X"}))
    (tmp_path / "b.json").write_text(json.dumps(rb))
    res = tflite_compat.compare(tmp_path / "a.npz", tmp_path / "b.npz")
    assert res["models"]["activity_lstm_int8"]["match"] is False
    assert abs(res["models"]["activity_lstm_int8"]["max_abs_diff"] - 0.5) < 1e-6
    assert "max_abs_diff" not in res["models"]["pose_detection"]
    # Shifted alike, the LSTM's classes keep their order; the phase model's reversed ones do not.
    assert res["models"]["activity_lstm_int8"]["top_class_agrees"] == 1.0
    assert res["models"]["rep_phase_float16"]["top_class_agrees"] < 0.2
    assert "top_class_agrees" not in res["models"]["pose_student_int8"]
    md = tflite_compat.markdown(res)
    assert "does not load: op X" in md and "relative 5.0e-01 (OVER 0.02)" in md


def _int8_models() -> list[str]:
    manifest = json.loads((tflite_compat.MODELS / "manifest.json").read_text())["models"]
    return sorted(e["file"] for e in manifest.values() if e["quantisation"] == "int8")


@pytest.mark.parametrize("file", _int8_models())
def test_shipped_int8_models_keep_one_weight_scale_per_dense_layer(file):
    """tflite-runtime before 2.13 (python-for-android's recipe builds 2.8) applies only the first of
    a FULLY_CONNECTED's per-channel weight scales, so a dense layer quantised per channel computes
    every other channel wrong there: the int8 LSTM's output went to a constant, the rep phase
    model's up to 0.74 from LiteRT's (make tflite28-check)."""
    from export.tflite import per_channel_dense_ops

    assert per_channel_dense_ops((tflite_compat.MODELS / file).read_bytes()) == []


@pytest.mark.parametrize("float_ops", [(), ("SOFTMAX",)])
def test_int8_export_quantises_dense_layers_per_tensor(float_ops):
    """Both int8 routes of export.tflite.convert (full-integer, and selective with ops kept float)
    give dense layers one weight scale, whose output the interpreter still computes right."""
    import keras

    from export.tflite import convert, per_channel_dense_ops
    from posekit.runtime import interpreter_class

    keras.utils.set_random_seed(0)
    # Output channels of very different ranges: one shared scale must still hold them all.
    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(4), keras.layers.Softmax()])
    w, b = model.layers[1].get_weights()
    model.layers[1].set_weights([w * np.array([1.0, 0.05, 3.0, 0.2], np.float32), b])
    x = np.random.default_rng(0).normal(size=(64, 12)).astype(np.float32)
    data = convert(model, (1, 12), "int8", lambda: ([r[None]] for r in x), float_ops=float_ops)
    assert per_channel_dense_ops(data) == []
    it = interpreter_class()(model_content=data)
    it.allocate_tensors()
    i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    got = []
    for r in x[:16]:
        it.set_tensor(i, r[None])
        it.invoke()
        got.append(it.get_tensor(o)[0])
    assert np.abs(np.stack(got) - model.predict(x[:16], verbose=0)).max() < 0.05
