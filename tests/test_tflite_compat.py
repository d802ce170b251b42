"""benchmarks/tflite_compat.py: the check behind `make tflite28-check` (the other runtime, tflite-runtime
2.8.0 on Python 3.9, is what the make target adds; here both sides are LiteRT)."""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import tflite_compat  # noqa: E402


def test_compare_finds_each_models_difference_and_load_failure(tmp_path):
    inputs = tmp_path / "in.npz"
    tflite_compat.prepare(inputs)
    x = np.load(inputs)
    assert x["pose160"].shape[1:] == (160, 160, 3) and x["detector"].shape[1:] == (224, 224, 3)
    assert x["activity"].ndim == 4 and np.isfinite(x["activity"]).all()
    rep = tflite_compat.run(tmp_path / "a.npz", inputs)
    assert rep["runtime"].startswith("ai_edge_litert") and all(m["loaded"] for m in rep["models"].values())
    same = tflite_compat.compare(tmp_path / "a.npz", tmp_path / "a.npz")
    assert all(m["match"] and m["max_abs_diff"] == 0 for m in same["models"].values())
    # Another run whose LSTM differs and whose detector failed to load.
    b = dict(np.load(tmp_path / "a.npz"))
    b["activity_lstm_int8/0"] = b["activity_lstm_int8/0"] + 0.5
    np.savez(tmp_path / "b.npz", **b)
    rb = dict(rep, runtime="other 1.0", models=dict(rep["models"], pose_detection={"loaded": False, "error": "op X"}))
    (tmp_path / "b.json").write_text(json.dumps(rb))
    res = tflite_compat.compare(tmp_path / "a.npz", tmp_path / "b.npz")
    assert res["models"]["activity_lstm_int8"]["match"] is False
    assert abs(res["models"]["activity_lstm_int8"]["max_abs_diff"] - 0.5) < 1e-6
    assert "max_abs_diff" not in res["models"]["pose_detection"]
    md = tflite_compat.markdown(res)
    assert "does not load: op X" in md and "relative 5.0e-01 (OVER 0.02)" in md
