"""The exercise classifier: tokens, windows, decision smoothing, the bundled models."""

import numpy as np
import pytest

from posekit.activity import analyze_keypoints, to_body13
from posekit.activity.body import normalise
from posekit.activity.classifier import (
    STRIDE,
    TOKENS,
    WINDOW,
    ActivityClassifier,
    ClassifierOptions,
    frame_labels,
    sequence_tokens,
    smooth_decisions,
    windows,
)
from posekit.activity.labels import LABEL_ID, LABELS
from posekit.errors import ModelError
from posekit.runtime import bundled_model_names
from training.synth.dataset import make_sequence

needs_bundled = pytest.mark.skipif(not bundled_model_names("activity"), reason="no activity model bundled yet")



def test_mirror_swaps_sides_and_the_classifier_is_mirror_symmetric():
    from posekit.activity.classifier import MIRROR, WINDOW, ActivityClassifier, mirrored
    from posekit.keypoints import BODY13

    names = [k.name for k in BODY13]
    for i, j in enumerate(MIRROR[:13]):
        assert names[j] == names[i].replace("LEFT", "@").replace("RIGHT", "LEFT").replace("@", "RIGHT")
    x = np.random.default_rng(3).normal(size=(2, WINDOW, 14, 3)).astype(np.float32)
    assert np.array_equal(mirrored(mirrored(x)), x)
    assert np.array_equal(mirrored(x)[..., 0], -x[..., MIRROR, 0])
    clf = ActivityClassifier()
    np.testing.assert_allclose(clf.predict(x), clf.predict(mirrored(x)), atol=1e-6)
    clf.mirror = False  # a single pass is not symmetric: the averaging is what makes it so
    assert not np.allclose(clf.predict(x), clf.predict(mirrored(x)), atol=1e-6)


def _tokens(kind="squat", seed=3, seconds=6.0, src="kps2d"):
    _, arr = make_sequence(kind, seed, seconds=seconds)
    return sequence_tokens(normalise(to_body13(arr[src]), 30.0))


def test_tokens_mark_missing_joints_and_carry_root_velocity():
    _, arr = make_sequence("walking", 4, seconds=4.0)
    kps = arr["kps2d"].copy()
    kps[:, 15] = np.nan  # left wrist never seen
    tok = sequence_tokens(normalise(to_body13(kps), 30.0))
    assert tok.shape == (60, TOKENS, 3) and tok.dtype == np.float32
    assert (tok[:, 5, 2] == 0).all() and (tok[:, 5, :2] == 0).all()  # BODY13 slot 5 = left wrist
    assert (tok[:, 1, 2] == 1).all()
    assert np.abs(tok[:, 13, 0]).mean() > 0.01  # walking moves the hips


def test_windows_pad_the_start_and_follow_the_stride():
    tok = _tokens(seconds=4.0)  # 60 tokens
    w, ends = windows(tok)
    assert w.shape[1:] == (WINDOW, TOKENS, 3)
    assert list(ends) == list(range(WINDOW, 61, STRIDE)) + ([60] if (60 - WINDOW) % STRIDE else [])
    np.testing.assert_array_equal(w[-1], tok[-WINDOW:])
    short, e = windows(tok[:10])
    assert list(e) == [10] and (short[0, :WINDOW - 10] == 0).all()
    np.testing.assert_array_equal(short[0, WINDOW - 10:], tok[:10])


def test_decision_smoothing_needs_a_margin_to_switch():
    sq, pu = LABEL_ID["squat"], LABEL_ID["push_up"]
    p = np.full((6, len(LABELS)), 0.0)
    p[:3, sq] = 0.9
    p[3, pu] = 0.55; p[3, sq] = 0.45  # one ambiguous window: no switch
    p[4:, pu] = 0.95
    ids, _ = smooth_decisions(p, ClassifierOptions(ema=1.0, switch_margin=0.2))
    assert list(ids[:4]) == [sq] * 4 and list(ids[4:]) == [pu] * 2
    low = np.full((2, len(LABELS)), 1.0 / len(LABELS))
    assert set(smooth_decisions(low)[0]) == {LABEL_ID["other"]}
    assert list(frame_labels(np.array([1.0, 2.0]), np.array([3, 4]), 5, 2.0)) == [3, 3, 3, 4, 4]


def test_activity_model_path_errors_are_typed(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        ActivityClassifier(str(tmp_path / "nope.tflite"))
    with pytest.raises(ModelError, match="does not exist"):
        analyze_keypoints(np.zeros((40, 33, 3)) + 1, 30.0, activity_model=str(tmp_path / "nope.tflite"))


@needs_bundled
@pytest.mark.parametrize("kind,seed", [("squat", 61), ("push_up", 62), ("jumping_jack", 63), ("walking", 64),
                                       ("lunge", 65), ("plank", 66)])
def test_bundled_classifier_names_held_out_synthetic_activities(kind, seed):
    # Seeds far from the training seeds (0..40 per kind): unseen bodies, cameras and tempi.
    _, arr = make_sequence(kind, 777_000 + seed, seconds=8.0)
    rep = analyze_keypoints(arr["noisy"], 30.0)
    labels, counts = np.unique(rep.frame_labels[60:], return_counts=True)
    assert labels[np.argmax(counts)] == kind, dict(zip(labels, counts))


@needs_bundled
def test_bundled_classifiers_on_penn_action_test_clips(shared_data):
    from training.activity_data import load_penn
    from training.train_activity import penn_clip_eval

    clips = [c for c in load_penn(limit=400, speeds=(1.0,)) if c["split"] == "test"]
    for name in bundled_model_names("activity"):
        clf = ActivityClassifier(name)
        res = penn_clip_eval(clf.predict, clips)
        assert res["accuracy"] >= 0.85, (name, res)



@needs_bundled
def test_a_model_with_fewer_classes_has_its_probabilities_placed_by_name(tmp_path):
    """A classifier that knows fewer classes (a user's retrained one, MotionBERT-lite's bundled
    one) reads through its labels: each output lands on its class, a class it lacks reads 0; a
    label posekit does not know is an error naming it."""
    import json
    from pathlib import Path

    import posekit.models
    from posekit.runtime import read_manifest

    entries = [read_manifest()["models"][n] for n in bundled_model_names("activity")]
    entry = min(entries, key=lambda e: len(e["labels"]))
    assert len(entry["labels"]) < len(LABELS), "every bundled classifier knows every class: pick another model"
    path = tmp_path / "mine.tflite"
    path.write_bytes((Path(posekit.models.__file__).parent / entry["file"]).read_bytes())
    order = list(entry["labels"])[::-1]  # another output order than posekit's
    (tmp_path / "mine.tflite.json").write_text(json.dumps({"labels": order}))
    clf = ActivityClassifier(str(path), mirror=False)
    x = _tokens()[None, :WINDOW].astype(np.float32)
    raw = clf.model.run(x)[0][0]
    p = clf.predict(x)[0]
    assert p.shape == (len(LABELS),) and clf.model_labels == tuple(order)
    np.testing.assert_allclose(p[[LABELS.index(n) for n in order]], raw)
    missing = [LABELS.index(n) for n in LABELS if n not in order]
    assert missing and (p[missing] == 0).all()
    (tmp_path / "mine.tflite.json").write_text(json.dumps({"labels": order[:-1] + ["yoga"]}))
    with pytest.raises(ModelError, match="yoga"):
        ActivityClassifier(str(path))
    (tmp_path / "mine.tflite.json").unlink()  # no labels: the error says where they go
    with pytest.raises(ModelError, match=rf"outputs \d+ classes, posekit has {len(LABELS)}: .*mine\.tflite\.json"):
        ActivityClassifier(str(path))
