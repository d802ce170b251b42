"""Teacher labelling -> tiny student training -> TFLite/ONNX export -> runtime, end to end on a handful
of real images (the full runs are separate commands; see README)."""

import json

import numpy as np
import pytest

from posekit.pose.model import PoseModel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory, shared_data, teacher_path):
    import os

    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get("POSEKIT_CACHE")
    os.environ["POSEKIT_CACHE"] = str(cache)
    from training import label

    label.main(["--sources", "lspet", "--limit", "12"])
    yield cache
    if old is None:
        os.environ.pop("POSEKIT_CACHE", None)
    else:
        os.environ["POSEKIT_CACHE"] = old


def test_labelling_caches_teacher_landmarks_and_human_labels(tiny_cache):
    shards = list((tiny_cache / "teacher" / "lspet").glob("shard_*.npz"))
    assert len(shards) == 1
    d = np.load(shards[0])
    n = len(d["image"])
    assert 8 <= n <= 12  # the teacher misses a few hard LSPET poses
    assert d["image"].shape[1:] == (256, 256, 3) and d["teacher"].shape == (n, 33, 4)
    # Teacher landmarks lie in the base crop; human labels agree with them on most limbs.
    uv = d["teacher"][..., :2]
    assert ((uv > -0.2) & (uv < 1.2)).mean() > 0.95
    human = d["human"]
    lab = human[..., 2] >= 1
    err = np.linalg.norm(human[..., :2] - uv, axis=-1)[lab]
    assert np.median(err) < 0.05  # of the base crop side
    # Resumable: a second run writes nothing new.
    from training import label

    before = shards[0].stat().st_mtime
    label.main(["--sources", "lspet", "--limit", "12"])
    assert shards[0].stat().st_mtime == before


def test_tiny_training_reduces_loss_and_exports_runnable_models(tiny_cache, tmp_path):
    from export.parity import markdown
    from export.pose import export
    from training.pose_data import load_cache
    from training.train_pose import TrainConfig, train

    data = load_cache(("lspet",))
    cfg = TrainConfig(input_size=64, epochs=3, steps_per_epoch=12, batch=8, tiny=True, neg_frac=0.0, val_frac=0.1)
    run = tmp_path / "run"
    res = train(cfg, run, data=data)
    losses = [float(h["loss"]) for h in res["history"]]
    assert losses[-1] < losses[0]
    assert (run / "log.csv").exists() and (run / "best.weights.h5").exists() and (run / "curves.png").exists()
    rep = export(run, tmp_path / "export", formats=("float32", "int8"), data=data, parity_n=8)
    f32 = rep["formats"]["float32"]
    assert f32["max_abs_diff"] < 1e-4  # TFLite float32 == Keras
    assert rep["formats"]["onnx"]["max_abs_diff"] < 1e-4  # ONNX == Keras (tf2onnx, opset 17)
    assert rep["formats"]["int8"]["max_abs_diff"] < 0.2
    assert "QUANTIZE/v1" in rep["formats"]["int8"]["ops"]
    assert "| int8 |" in markdown(rep)
    # The exported int8 model runs in the runtime through the same PoseModel as the bundled one.
    m = PoseModel(str(tmp_path / "export" / "pose_student_int8.tflite"), entry={"output_layout": "posekit_v1"})
    assert m.input_size == 64
    uv, vis, score = m.predict_crop(np.random.default_rng(0).random((64, 64, 3)).astype(np.float32))
    assert uv.shape == (33, 2) and np.isfinite(uv).all() and 0 <= score <= 1
    # A second stage starts from the first one's weights (warm-up, lower rate) and records it.
    import dataclasses

    from export.pose import lineage

    stage2 = train(dataclasses.replace(cfg, epochs=1, lr=5e-4, init=str(run / "last.weights.h5")), tmp_path / "run2", data=data)
    assert float(stage2["history"][0]["loss"]) < losses[0]
    assert [st["run"] for st in lineage(tmp_path / "run2")] == ["run", "run2"]
    # A stage at another input size starts from the same weights (the network is fully
    # convolutional); only the coordinate grid is the new size's own.
    big = train(dataclasses.replace(cfg, input_size=96, epochs=0, init=str(run / "last.weights.h5")), tmp_path / "run96",
                data=data)["model"]
    small = res["model"]
    assert np.array_equal(big.get_layer("stem").get_weights()[0], small.get_layer("stem").get_weights()[0])
    assert big.get_layer("uv").get_weights()[0].shape == (24 * 24, 2)
    # A third stage adds the heat prior and trains only the regression branch: everything else
    # keeps stage 1's weights, and the new network exports with the same parity.
    from training.student import build_student, student_config
    from training.train_pose import REGRESSION_LAYERS

    stage3 = train(dataclasses.replace(cfg, epochs=1, init=str(run / "last.weights.h5"), heat_prior=8.0,
                                       train_only="regression"), tmp_path / "run3", data=data)
    before = build_student(student_config(dataclasses.asdict(cfg)))
    before.load_weights(run / "last.weights.h5")
    after = stage3["model"]
    frozen = [layer for layer in before.layers if layer.weights and not layer.name.startswith(REGRESSION_LAYERS)]
    assert len(frozen) > 20
    for layer in frozen:
        assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), after.get_layer(layer.name).get_weights()))
    assert np.abs(after.get_layer("reg_maps").get_weights()[0]).max() > 0  # started at zero, trained
    rep3 = export(tmp_path / "run3", tmp_path / "export3", formats=("float32",), data=data, parity_n=8)
    assert rep3["formats"]["float32"]["max_abs_diff"] < 1e-4 and rep3["formats"]["onnx"]["max_abs_diff"] < 1e-4
    assert [(st["heat_prior"], st["train_only"]) for st in lineage(tmp_path / "run3")] == [(0.0, "all"), (8.0, "regression")]


def test_heat_prior_starts_as_the_sharpened_heatmap_soft_argmax():
    """With ``heat_prior`` the regression maps are zero-initialised corrections on top of the
    heatmap logits times the temperature: an untrained branch outputs exactly the spatial
    softmax expectation of ``T * heatmap``."""
    from training.student import StudentConfig, build_student

    t = 8.0
    m = build_student(StudentConfig(input_size=64, widths=(8, 8, 16, 16, 32), blocks=(1, 1, 1, 1, 1),
                                    decoder_width=16, head_width=32, heat_prior=t))
    x = np.random.default_rng(0).random((2, 64, 64, 3)).astype(np.float32)
    o = m(x, training=False)
    heat = np.asarray(o["heatmap"], np.float64)  # (2, 16, 16, 33)
    b, hs = heat.shape[0], heat.shape[1]
    z = t * heat.reshape(b, hs * hs, 33)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    g = (np.arange(hs) + 0.5) / hs
    gx, gy = np.meshgrid(g, g)
    uv = np.stack([(p * gx.ravel()[None, :, None]).sum(1), (p * gy.ravel()[None, :, None]).sum(1)], -1)
    assert np.abs(np.asarray(o["landmarks"])[..., :2] - uv).max() < 1e-5


def test_manifest_entry_records_provenance():
    from posekit.runtime import read_manifest

    e = read_manifest()["models"]["pose_student_int8"]
    assert e["training"]["commit"] and "LSPET" in e["training"]["data"]
    assert e["calibration"].startswith("256 tracking-ROI crops")
    assert "pck@0.2" in e["metrics"]
    assert json.dumps(e)  # serialisable


@pytest.mark.parametrize("quarter_turns", [0.0, 1.0])
def test_augmented_keypoints_follow_the_image(quarter_turns):
    """Rotation (incl. quarter turns), scale, shift and flip move targets with the pixels: a bright
    square drawn at the nose ends up where the augmented nose target says."""
    import tensorflow as tf

    from training.label import BASE_SIZE
    from training.pose_data import make_augmenter

    n, s = 16, 64
    nose, rest = np.array([0.56, 0.40], np.float32), np.array([0.5, 0.62], np.float32)  # nose above the rest
    base = np.zeros((n, BASE_SIZE, BASE_SIZE, 3), np.uint8)
    cx, cy = (nose * BASE_SIZE).astype(int)
    base[:, cy - 4:cy + 5, cx - 4:cx + 5] = 255
    uv = np.broadcast_to(rest, (n, 33, 2)).copy()
    uv[:, 0] = nose  # the flip permutation keeps the nose the nose
    ones = np.ones((n, 33), np.float32)
    tf.random.set_seed(3)
    aug = make_augmenter(s, strong=False, quarter_turns=quarter_turns)
    x, t = aug(base, uv, ones, ones, np.zeros((n, s, s, 3), np.uint8), np.zeros(n, np.float32))
    grey = tf.nn.avg_pool2d(tf.reduce_mean(x, -1, keepdims=True), 3, 1, "SAME").numpy()[..., 0]
    found = np.array([np.unravel_index(g.argmax(), g.shape)[::-1] for g in grey]) + 0.5
    target = t["uv"].numpy() * s
    inside = ((target[:, 0] > 3) & (target[:, 0] < s - 3)).all(-1)
    assert inside.sum() >= n // 2
    assert np.abs(found - target[:, 0])[inside].max() < 2.0
    # Without quarter turns "up" stays within 0.5 rad of vertical (or upside down); with them it
    # lies sideways.
    up = target[:, 0] - target[:, 1]
    sideways = np.abs(up[:, 0]) > np.abs(up[:, 1])
    assert sideways.all() if quarter_turns else not sideways.any()


def test_frame_edges_black_out_beyond_a_line_and_hide_the_joints_there():
    """``frame_edges``: a cut sample is black beyond a straight edge across the body, as the
    tracker's crop is beyond the image; the joints beyond keep their place as targets but are
    not visible, the rest are; a person cut at the waist is still present."""
    import tensorflow as tf

    from training.label import BASE_SIZE
    from training.pose_data import make_augmenter

    n, s = 32, 64
    rng = np.random.default_rng(0)
    base = rng.integers(40, 255, (n, BASE_SIZE, BASE_SIZE, 3), dtype=np.uint8)  # no black pixel anywhere
    uv = np.stack([np.full(33, 0.5), np.linspace(0.3, 0.7, 33)], -1).astype(np.float32)  # a vertical body
    uv = np.broadcast_to(uv, (n, 33, 2)).copy()
    uv[:, 11], uv[:, 12], uv[:, 23], uv[:, 24] = [0.45, 0.4], [0.55, 0.4], [0.45, 0.55], [0.55, 0.55]
    ones = np.ones((n, 33), np.float32)
    tf.random.set_seed(5)
    aug = make_augmenter(s, strong=False, frame_edges=1.0)
    x, t = aug(base, uv, ones, ones, np.zeros((n, s, s, 3), np.uint8), np.zeros(n, np.float32))
    x, kuv, vis, w = x.numpy(), t["uv"].numpy(), t["vis"].numpy(), t["w"].numpy()
    black = (x == 0).all(-1)
    # The edge: whole rows or columns of black from one border of the crop (the rotated base
    # crop's own corners are black too, but never a whole row of a crop this far inside it).
    band = np.zeros_like(black)
    for i in range(n):
        for axis, line in ((0, black[i].all(1)), (1, black[i].all(0))):  # whole black rows, columns
            for from_end in (False, True):
                run = line[::-1] if from_end else line
                k = s if run.all() else int(np.argmin(run))  # black lines from that border inwards
                idx = np.arange(s - k, s) if from_end else np.arange(k)
                if axis == 0:
                    band[i, idx, :] = True
                else:
                    band[i, :, idx] = True
    cut = band.any((1, 2))
    assert cut.mean() > 0.9  # every sample is cut (unless the line misses the crop)
    for i in np.flatnonzero(cut):
        px = np.clip((kuv[i] * s).astype(int), 0, s - 1)
        inside = ((kuv[i] > 0) & (kuv[i] < 1)).all(-1)
        around = [band[i][max(y - 1, 0):y + 2, max(x - 1, 0):x + 2] for x, y in px]  # a pixel either side
        hidden = np.array([a.all() for a in around]) & inside
        near = np.array([a.any() for a in around])
        assert hidden.any() and (vis[i][hidden] == 0).all()
        assert (vis[i][inside & ~near] > 0).all()  # joints in the picture stay visible
        assert (w[i] == 1).all()  # the targets stay: the legs are still below the frame
    # Present while two of the four torso joints are in view (a person cut at the waist).
    torso_seen = (vis[:, [11, 12, 23, 24]] > 0).sum(1)
    assert ((t["presence"].numpy()[:, 0] == 1) == (torso_seen >= 2))[cut].all()
    assert (torso_seen[cut] == 2).any() and (torso_seen[cut] < 2).any()  # both sides of that line were drawn


def test_student_on_the_teachers_backbone_trains_and_exports(tiny_cache, tmp_path):
    """``backbone="teacher"``: the teacher's encoder-decoder (thinned) under the student's heads
    trains, exports (TFLite = Keras = ONNX), rebuilds from its run for export without samples,
    and runs in the runtime."""
    from export.pose import export
    from training.pose_data import load_cache
    from training.train_pose import TrainConfig, train

    data = load_cache(("lspet",))
    cfg = TrainConfig(input_size=64, epochs=3, steps_per_epoch=6, batch=8, neg_frac=0.0, val_frac=0.1,
                      backbone="teacher", keep_wide=0.5, thin_from=528, heat_prior=4.0, lr=3e-4)
    res = train(cfg, tmp_path / "run", data=data)
    losses = [float(h["loss"]) for h in res["history"]]
    assert losses[-1] < losses[0]
    backbone = res["model"].get_layer("teacher_backbone")
    assert backbone.output[2].shape[-1] == 432  # half of the 864-channel expansions kept
    widths = {lay.filters for lay in backbone.layers if hasattr(lay, "filters")}
    assert {432, 264, 384} <= widths and not widths & {864, 528}  # 528 thinned too; 384 (< thin_from) kept
    rep = export(tmp_path / "run", tmp_path / "export", formats=("float32", "int8"), data=data, parity_n=8)
    assert rep["formats"]["float32"]["max_abs_diff"] < 1e-4 and rep["formats"]["onnx"]["max_abs_diff"] < 1e-4
    m = PoseModel(str(tmp_path / "export" / "pose_student_int8.tflite"), entry={"output_layout": "posekit_v1"})
    uv, vis, score = m.predict_crop(np.random.default_rng(0).random((64, 64, 3)).astype(np.float32))
    assert uv.shape == (33, 2) and np.isfinite(uv).all() and 0 <= score <= 1


@pytest.mark.parametrize("field, value", [("quarter_turns", 15.0), ("quarter_turns", -0.1), ("neg_frac", 2), ("frame_edges", 1.5)])
def test_training_config_rejects_fractions_outside_0_1(tmp_path, field, value):
    from posekit.errors import InvalidInputError
    from training.train_pose import TrainConfig, train

    cfg = TrainConfig(tiny=True, **{field: value})
    with pytest.raises(InvalidInputError, match=rf"TrainConfig\.{field} must be a fraction in \[0, 1\], got {value!r}"):
        train(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()  # rejected before anything is written


@pytest.mark.parametrize("field, value, allowed", [("train_only", "encoder", r"one of \['all', 'regression'\]"),
                                                  ("backbone", "resnet", r"'own' or 'teacher'"),
                                                  ("keep_wide", 1.5, r"a fraction in \(0, 1\]"),
                                                  ("thin_from", 0, r"a channel count >= 8"),
                                                  ("heat_prior", -1.0, r"0 \(off\) or a temperature in \(0, 100\]")])
def test_training_config_rejects_unknown_branch_and_bad_temperature(tmp_path, field, value, allowed):
    from posekit.errors import InvalidInputError
    from training.train_pose import TrainConfig, train

    with pytest.raises(InvalidInputError, match=rf"TrainConfig\.{field} must be {allowed}, got {value!r}"):
        train(TrainConfig(tiny=True, **{field: value}), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_labelling_any_folder_with_the_detector_boxes_holdout_and_negatives(tmp_path, shared_data, teacher_path,
                                                                             monkeypatch):
    """A user's folder of images (one with YOLO boxes beside it) and a video, labelled as one source:
    people found by the detector or the boxes, an empty picture kept as a presence negative, one
    file held back by its path's hash, and the held-back file read back for evaluation."""
    import cv2

    from tests.test_tracker import frames
    from training import label
    from training.eval_pose import teacher_holdout, teacher_sources

    monkeypatch.setenv("POSEKIT_CACHE", str(tmp_path / "cache"))
    squat = frames(shared_data / "workouttracker" / "videos" / "squats" / "squat_11.mp4", 2)
    root = tmp_path / "mine"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    held = next(f"person{k}.jpg" for k in range(1000) if label.is_holdout(f"images/person{k}.jpg"))
    kept = next(f"person{k}.jpg" for k in range(1000) if not label.is_holdout(f"images/person{k}.jpg"))
    cv2.imwrite(str(root / "images" / held), squat[0][:, :, ::-1])
    cv2.imwrite(str(root / "images" / kept), squat[1][:, :, ::-1])
    # A box (YOLO: class cx cy w h, normalised) that holds the person on the left half.
    (root / "labels" / (kept[:-4] + ".txt")).write_text("0 0.5 0.5 0.6 0.95\n")
    cv2.imwrite(str(root / "empty.png"), np.full((200, 300, 3), 90, np.uint8))
    clip = next(f"clip{k}.mp4" for k in range(1000) if not label.is_holdout(f"clip{k}.mp4"))
    (root / clip).write_bytes((shared_data / "workouttracker" / "videos" / "squats" / "squat_11.mp4").read_bytes())
    label.main(["--folder", f"mine={root}", "--teacher", "full", "--every", "200"])
    shards = sorted((tmp_path / "cache" / "teacher" / "mine").glob("shard_*.npz"))
    assert len(shards) == 1
    d = np.load(shards[0])
    paths = [str(p) for p in d["path"]]
    assert f"images/{held}" in paths and f"images/{kept}" in paths and clip in paths
    assert "empty.png" not in paths and len(d["negatives"]) >= 1
    assert [bool(h) for h in d["holdout"]] == [p == f"images/{held}" for p in paths]
    assert (d["score"] >= 0.5).all() and d["image"].shape[1:] == (256, 256, 3)
    # Held-back files never train; they come back, with heavy's (here full's) keypoints, to evaluate on.
    from training.pose_data import load_cache

    assert len(load_cache(("mine",))["image"]) == len(paths) - 1
    assert teacher_sources() == ["mine"]
    back = teacher_holdout("mine")
    assert len(back) == 1 and back[0][1].shape == squat[0].shape
    # Resumable: a second run labels nothing.
    before = shards[0].stat().st_mtime
    label.main(["--folder", f"mine={root}", "--teacher", "full"])
    assert shards[0].stat().st_mtime == before
    with pytest.raises(SystemExit):
        label.main(["--folder", "mine"])  # no PATH


def test_training_starts_from_a_shipped_float16_model(shared_data, teacher_path, tmp_path):
    """``--init posekit/models/pose_student_float16.tflite``: the weights read back by layer name
    (the regression branch's folded batch norms as frozen shifts) give the file's own outputs on
    real photos; an int8 file and another network are refused with a typed error."""
    from pathlib import Path

    import cv2

    import posekit.models
    from posekit.errors import InvalidInputError
    from posekit.runtime import interpreter_class, read_manifest
    from training.from_tflite import load_into
    from training.student import build_student, inference_model, student_config

    models = Path(posekit.models.__file__).parent
    config = read_manifest()["models"]["pose_student_float16"]["training"]["config"]
    model = build_student(student_config(config))
    frozen = load_into(model, models / "pose_student_float16.tflite")
    assert len(frozen) == 4 and not any(model.get_layer(n).trainable for n in frozen)
    it = interpreter_class()(model_path=str(models / "pose_student_float16.tflite"))
    it.allocate_tensors()
    images = sorted((shared_data / "lspet" / "images").glob("*.jpg"))[:2]
    infer = inference_model(model)
    for path in images:
        crop = cv2.resize(cv2.imread(str(path))[:, :, ::-1], (160, 160)).astype(np.float32)[None] / 255.0
        it.set_tensor(it.get_input_details()[0]["index"], crop)
        it.invoke()
        outs = {o["shape"][-1]: it.get_tensor(o["index"]) for o in it.get_output_details()}
        landmarks, presence = (np.asarray(x) for x in infer(crop, training=False))
        assert np.abs(landmarks - outs[3]).max() < 2e-3
        assert abs(float(presence[0, 0]) - float(outs[1][0, 0])) < 2e-3
        assert landmarks[..., :2].std() > 0.05  # a pose, not a constant
    with pytest.raises(InvalidInputError, match="int8"):
        load_into(build_student(student_config(config)), models / "pose_student_int8.tflite")
    with pytest.raises(InvalidInputError, match="kernel"):
        load_into(build_student(student_config({**config, "thin_from": 864})), models / "pose_student_float16.tflite")


def test_weighted_sources_are_drawn_in_proportion_and_bad_weights_are_refused(tmp_path):
    from posekit.errors import InvalidInputError
    from training.train_pose import TrainConfig, draw_probabilities, main, train

    source = np.array([0] * 10 + [1] * 30, np.int16)  # 10 samples of "a", 30 of "b"
    p = draw_probabilities(("a", "b"), {"a": 3.0}, source)
    assert p.sum() == pytest.approx(1.0)
    assert p[source == 0].sum() == pytest.approx(0.5)  # 10 x 3 against 30 x 1
    assert p[0] == pytest.approx(3 * p[-1])
    for weights, match in (({"coco": 2.0}, r"names 'coco', not one of the sources \['a', 'b'\]"),
                           ({"a": 0.0}, r"source_weights\['a'\] must be a weight in \(0, 100\], got 0.0")):
        with pytest.raises(InvalidInputError, match=match):
            train(TrainConfig(tiny=True, sources=("a", "b"), source_weights=weights), tmp_path / "run")
    assert not (tmp_path / "run").exists()
    for arg in ("lspet", "lspet=x", "=2"):
        with pytest.raises(SystemExit) as e:
            main(["--out", str(tmp_path / "run"), "--sources", "lspet", "--weigh", arg])
        assert e.value.code == 2
    assert not (tmp_path / "run").exists()


def test_folded_batch_norms_are_traced_through_a_chain_of_runs_back_to_a_tflite(tmp_path):
    """A run continued from a run that began at the bundled .tflite carries its folded batch norms
    (``train`` freezes them when this says so)."""
    from training.train_pose import folded_batch_norms

    first, second = tmp_path / "ft", tmp_path / "ft2"
    for run, init in ((first, "posekit/models/pose_student_float16.tflite"), (second, str(first / "best.weights.h5"))):
        run.mkdir()
        (run / "config.json").write_text(json.dumps({"init": init}))
    assert folded_batch_norms(str(second / "best.weights.h5"))
    (first / "config.json").write_text(json.dumps({"init": None}))  # a chain that began from scratch
    assert not folded_batch_norms(str(second / "best.weights.h5"))
    assert not folded_batch_norms(None)


def test_a_fine_tuned_runs_lineage_begins_with_the_bundled_models_own_stages(tmp_path):
    from export.pose import bundled_start, lineage, training_record
    from posekit.runtime import read_manifest

    shipped = read_manifest()["models"]["pose_student_float16"]["training"]
    run = tmp_path / "ft"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"init": "posekit/models/pose_student_float16.tflite", "epochs": 2,
                                                 "lr": 1e-4, "sources": ["lspet"], "source_weights": {"lspet": 4.0}}))
    assert bundled_start(run)["training"] == shipped
    stages = lineage(run)
    assert len(stages) == len(shipped["lineage"]) + 1
    assert all(st["shipped_at"] == shipped["commit"] for st in stages[:-1])
    assert stages[-1]["run"] == "ft" and stages[-1]["source_weights"] == {"lspet": 4.0}
    assert stages[-1]["init"] == "models/pose_student_float16.tflite"
    record = training_record(run, json.loads((run / "config.json").read_text()))
    assert record["lineage"] == stages and record["command"].startswith("make finetune-pose")
    assert "drawn 4x as often" in record["data"] and record["data"].endswith(f"itself trained on: {shipped['data']}")
    (run / "config.json").write_text(json.dumps({"init": None, "epochs": 2, "lr": 1e-4}))  # from scratch
    assert bundled_start(run) is None and [st["run"] for st in lineage(run)] == ["ft"]
    assert training_record(run, {"sources": ["lspet"]})["command"].startswith("make train-pose")
