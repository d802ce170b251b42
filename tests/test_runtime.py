"""LiteRT wrapper: loading, signature checks, interpreter fallback, and their error messages."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import posekit
from posekit.errors import InvalidInputError, ModelError
from posekit.pose.model import PoseModel
from posekit.runtime import TFLiteModel, bundled_model_names, interpreter_class, read_manifest

MODELS = Path(posekit.__file__).parent / "models"


def test_manifest_lists_a_default_pose_model_with_metadata():
    m = read_manifest()
    name = m["defaults"]["pose"]
    e = m["models"][name]
    for field in ("sha256", "inputs", "outputs", "keypoint_layout", "quantisation", "training", "metrics"):
        assert field in e, field
    assert e["keypoint_layout"] == "blazepose33"
    assert name in bundled_model_names("pose")
    # Every bundled model stays under a few MB (the project's rule) and its size is the file's. The
    # issue's 1.5 MB for the student int8 is not met by the shipped student (1.6 MB; README).
    for model_name, entry in m["models"].items():
        assert entry["size_bytes"] == (MODELS / entry["file"]).stat().st_size < 3 * 2 ** 20, model_name


def test_bundled_model_loads_and_matches_its_manifest():
    model = PoseModel()
    assert model.input_size == read_manifest()["models"][model.name]["input_size"]
    uv, vis, score = model.predict_crop(np.zeros((model.input_size, model.input_size, 3), np.float32))
    assert uv.shape == (33, 2) and vis.shape == (33,) and 0.0 <= score <= 1.0


def test_missing_model_file(tmp_path):
    path = tmp_path / "nope.tflite"
    with pytest.raises(ModelError) as e:
        TFLiteModel(str(path))
    assert str(e.value).startswith(f"model file '{path}' does not exist; bundled models: [")


def test_truncated_model_file(tmp_path):
    good = PoseModel().net
    from posekit.runtime import _load

    _, data, _ = _load(good.name, None)
    bad = tmp_path / "cut.tflite"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError) as e:
        TFLiteModel(str(bad))
    assert str(e.value).startswith(f"model '{bad}' is not a loadable TFLite model ({len(data) // 3} bytes):")


def test_not_a_model_file(tmp_path):
    bad = tmp_path / "text.tflite"
    bad.write_text("hello")
    with pytest.raises(ModelError, match=r"is not a loadable TFLite model \(5 bytes\)"):
        TFLiteModel(str(bad))


def test_wrong_signature_against_sidecar_manifest(tmp_path, teacher_path):
    # The teacher's tensors disagree with a manifest written for our student layout.
    model = tmp_path / "teacher.tflite"
    model.write_bytes(teacher_path.read_bytes())
    entry = {"output_layout": "posekit_v1", "inputs": [{"shape": [1, 128, 128, 3], "dtype": "float32"}],
             "outputs": [{"shape": [1, 33, 3], "dtype": "float32"}, {"shape": [1, 1], "dtype": "float32"},
                         {"shape": [1, 1], "dtype": "float32"}, {"shape": [1, 1], "dtype": "float32"},
                         {"shape": [1, 1], "dtype": "float32"}]}
    (tmp_path / "teacher.tflite.json").write_text(json.dumps(entry))
    with pytest.raises(ModelError) as e:
        PoseModel(str(model))
    assert str(e.value) == (
        f"model '{model}' inputs signature [((1, 256, 256, 3), 'float32')] has no tensor matching manifest "
        "shape [1, 128, 128, 3] dtype float32")


def test_layout_mismatch_without_manifest(teacher_path):
    # No manifest: the student layout is assumed, the teacher's outputs do not fit it, and the
    # error says which manifest entry makes it load.
    with pytest.raises(ModelError) as e:
        PoseModel(str(teacher_path))
    assert str(e.value).startswith(f"model '{teacher_path}' looks like a MediaPipe BlazePose landmark model")
    assert str(e.value).endswith(f'{teacher_path}.json holding {{"output_layout": "blazepose_ghum_39x5"}}')


def test_unknown_output_layout(teacher_path):
    with pytest.raises(ModelError) as e:
        PoseModel(str(teacher_path), entry={"output_layout": "yolo"})
    assert str(e.value) == f"model '{teacher_path}': output_layout 'yolo' is not one of ('posekit_v1', 'blazepose_ghum_39x5')"


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_bad_thread_count(threads):
    with pytest.raises(InvalidInputError) as e:
        TFLiteModel("pose_student_int8", num_threads=threads)
    assert str(e.value) == f"num_threads must be an int in [1, 64], got {threads!r}"


def test_interpreter_falls_back_to_tf_lite(monkeypatch):
    # Without ai_edge_litert and tflite_runtime (Android ships only the latter), tf.lite is used.
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", None)
    # The runtime-only environment of make arm64-check has no TensorFlow (CI's has it).
    tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed here (a runtime-only environment)")

    assert interpreter_class() is tf.lite.Interpreter
    model = PoseModel()  # and it really runs the bundled model
    uv, _, _ = model.predict_crop(np.zeros((model.input_size, model.input_size, 3), np.float32))
    assert np.isfinite(uv).all()


def test_interpreter_prefers_litert():
    from ai_edge_litert.interpreter import Interpreter

    assert interpreter_class() is Interpreter
