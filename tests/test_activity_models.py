"""Sequence classifiers: the shared window representation, decision smoothing, a tiny LSTM +
MotionBERT-lite training run on real Penn Action clips + synthetic motion, their export through the
parity harness, and the bundled classifier on held-out data."""

import json
import numpy as np
import pytest

from posekit.activity import analyze_keypoints
from posekit.activity.classifier import (MODEL_RATE, STRIDE, TOKENS, WINDOW, ActivityClassifier, ClassifierOptions,
                                         frame_labels, sequence_tokens, smooth_decisions, windows)
from posekit.activity.body import normalise, to_body13
from posekit.activity.labels import LABEL_ID, LABELS
from posekit.errors import InvalidInputError, ModelError
from posekit.runtime import bundled_model_names
from training.synth.dataset import make_sequence


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


@pytest.mark.parametrize("field,value", [("ema", 0.0), ("switch_margin", -0.1), ("min_confidence", 2)])
def test_classifier_options_are_validated(field, value):
    with pytest.raises(InvalidInputError, match=rf"ClassifierOptions\.{field} must be in .*got {value!r}"):
        ClassifierOptions(**{field: value})


def test_activity_model_path_errors_are_typed(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        ActivityClassifier(str(tmp_path / "nope.tflite"))
    with pytest.raises(ModelError, match="does not exist"):
        analyze_keypoints(np.zeros((40, 33, 3)) + 1, 30.0, activity_model=str(tmp_path / "nope.tflite"))


@pytest.mark.slow
def test_tiny_training_and_export_of_both_architectures(shared_data, tmp_path, monkeypatch):
    from export.activity import export
    from training.activity_data import load_penn, synth_sequences
    from training.train_activity import ActivityConfig, train

    penn = load_penn(limit=80, speeds=(1.0,))
    synth = synth_sequences(1, kinds=("squat", "fall", "standing", "walking"))
    cfg = ActivityConfig(tiny=True, steps=6, pretrain_epochs=2, finetune_epochs=2, lstm_epochs=2, batch=16)
    res = train(cfg, tmp_path / "run", penn, synth, synth)
    log = (tmp_path / "run" / "log.csv").read_text().splitlines()[1:]
    rows = {}
    for line in log:
        model, epoch, loss = line.split(",")[:3]
        rows.setdefault(model, []).append(float(loss))
    assert set(rows) == {"motionbert_pretrain", "motionbert", "lstm"}
    assert all(r[-1] < r[0] for r in rows.values()), rows  # every stage learns
    m = res["metrics"]
    assert m["lstm"]["penn_test"]["classes"][-1] == "other"
    assert np.array(m["lstm"]["penn_test"]["confusion"]).sum() == m["lstm"]["penn_test"]["clips"]
    reps = export(tmp_path / "run", tmp_path / "export", data={"penn": penn, "synth": synth},
                  formats=("float32", "int8"), parity_n=8, rep_metric=False)
    for arch, rep in reps.items():
        assert rep["formats"]["float32"]["max_abs_diff"] < 1e-4, arch
        assert rep["formats"]["onnx"]["max_abs_diff"] < 1e-4, arch
        assert rep["formats"]["int8"]["max_abs_diff"] < 0.1, arch
        assert "QUANTIZE/v1" in rep["formats"]["int8"]["ops"], arch
    # The exported file runs in the runtime classifier on a real sequence.
    clf = ActivityClassifier(str(tmp_path / "export" / "activity_lstm_int8.tflite"))
    times, ids, probs = clf.classify(normalise(to_body13(make_sequence("squat", 1, seconds=5.0)[1]["noisy"]), 30.0))
    assert probs.shape == (len(times), len(LABELS)) and np.allclose(probs.sum(1), 1.0, atol=0.02)
    # One architecture re-exported and installed (into a copy of the bundle): the other keeps its
    # file and manifest entry, and the LSTM stays the default (on the few test clips of this slice
    # the tiny MotionBERT-lite can score 1.0).
    import export.activity as ea

    bundle = tmp_path / "models"
    bundle.mkdir()
    before = json.loads((ea.MODELS_DIR / "manifest.json").read_text())
    (bundle / "manifest.json").write_text(json.dumps(before))
    monkeypatch.setattr(ea, "MODELS_DIR", bundle)
    only = export(tmp_path / "run", tmp_path / "export_mb", data={"penn": penn, "synth": synth}, formats=("float16",),
                  parity_n=8, rep_metric=False, with_onnx=False, archs=("motionbert",), install=True,
                  report_dir=tmp_path / "report")
    assert set(only) == {"motionbert"}
    train_metrics = json.loads((tmp_path / "report" / "activity_train_metrics.json").read_text())
    assert set(train_metrics) == {"motionbert"} and train_metrics["motionbert"]["run"] == "run"
    assert train_metrics["motionbert"]["params"] == res["metrics"]["motionbert"]["params"]
    assert sorted(p.name for p in bundle.iterdir()) == ["activity_motionbert_float16.tflite", "manifest.json"]
    after = json.loads((bundle / "manifest.json").read_text())
    assert after["models"]["activity_lstm_int8"] == before["models"]["activity_lstm_int8"]
    assert after["models"]["activity_motionbert_float16"]["sha256"] != before["models"]["activity_motionbert_float16"]["sha256"]
    assert after["defaults"]["activity"] == "activity_lstm_int8"  # the fast, fall-tuned one, however accurate the other


needs_bundled = pytest.mark.skipif(not bundled_model_names("activity"), reason="no activity model bundled yet")


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


def _side_view(kps3d: np.ndarray) -> np.ndarray:
    """A synthetic body (metres, y up) seen from its side: image x from its z, image y down."""
    return np.concatenate([kps3d[..., [2]] * 200 + 320, -kps3d[..., [1]] * 200 + 400,
                           np.ones((*kps3d.shape[:2], 1))], -1)


def _squat_set(bottom: dict, depth: list[float]) -> np.ndarray:
    from training.synth.body import BodyShape
    from training.synth.motions import FEET, _fk, place_on_floor

    shape = BodyShape()
    return np.stack([place_on_floor(_fk(shape, {k: v * d for k, v in bottom.items()}), FEET) for d in depth])


def _reps(n: int, frames: int, rest: int) -> list[float]:
    depth = [0.0] * 30
    for _ in range(n):
        depth += list(0.5 - 0.5 * np.cos(np.linspace(0, 2 * np.pi, frames))) + [0.0] * rest
    return depth


DEEP_SQUAT = {"l_hip_flex": 1.8, "r_hip_flex": 1.8, "l_knee": 2.0, "r_knee": 2.0, "torso_flex": 0.6}


def test_form_cues_on_a_shallow_squat_set():
    depth = _reps(5, 60, 15)
    kps3d = _squat_set({"l_hip_flex": 1.0, "r_hip_flex": 1.0, "l_knee": 1.1, "r_knee": 1.1, "torso_flex": 0.4}, depth)
    rep = analyze_keypoints(_side_view(kps3d), 30.0, exercise="squat")
    # The same set at full depth draws no depth cue.
    deep_rep = analyze_keypoints(_side_view(_squat_set(DEEP_SQUAT, depth)), 30.0, exercise="squat")
    assert deep_rep.reps_total == 5 and not [c for c in deep_rep.form_cues if c["cue"] == "squat_depth"]
    assert rep.reps_total + sum(e.quality == "partial" for e in rep.rep_events) == 5
    depth_cues = [c for c in rep.form_cues if c["cue"] == "squat_depth"]
    assert len(depth_cues) == 5
    assert all(c["comparison"] == "below" and c["value"] < c["threshold"] for c in depth_cues)
    assert depth_cues[0]["message"].startswith("Squat deeper")
    # The value is what the threshold's doc says: the share of the standing hip height (above the
    # ankles) lost at the bottom, standing read at the top of the rep (it was read where the
    # signal left its rest band, part way down: 0.212 here).
    height = kps3d[:, [23, 24], 1].mean(1) - kps3d[:, [27, 28], 1].mean(1)
    true_loss = 1.0 - height.min() / height.max()
    assert all(abs(c["value"] - true_loss) <= 0.01 for c in depth_cues), (true_loss, depth_cues)


def test_a_wobble_shorter_than_a_rep_draws_no_form_cue():
    """A 0.4 s dip between deep squats is reported as a partial rep, but it is not an attempt at
    one: no "squat deeper" for it (it drew one, value 0.04)."""
    rep = _reps(1, 60, 0)[30:]
    dip = list(0.2 - 0.2 * np.cos(np.linspace(0, 2 * np.pi, 12)))
    depth = [0.0] * 30 + rep + [0.0] * 15 + rep + [0.0] * 10 + dip + [0.0] * 10 + rep + [0.0] * 15 + rep + [0.0] * 30
    res = analyze_keypoints(_side_view(_squat_set(DEEP_SQUAT, depth)), 30.0, exercise="squat")
    assert res.reps_total == 4
    assert [e.quality for e in res.rep_events].count("partial") == 1
    assert res.form_cues == []


def test_knee_push_ups_are_judged_on_the_line_to_the_knees():
    """Knee push-ups: the body line runs from the shoulders to the knees, not to the raised feet
    (a straight kneeling body read hip sag 0.17 against the ankles). Sagging hips still draw the
    cue, on the knees and on the toes."""
    from training.synth.body import BodyShape
    from training.synth.motions import TOES, WRISTS, K, _prone_on, blend

    shape = BodyShape()
    rest = {"l_sh_flex": 1.5, "r_sh_flex": 1.5, "neck_flex": -0.4}
    bottom = {"l_sh_flex": -0.15, "r_sh_flex": -0.15, "l_elbow": 1.8, "r_elbow": 1.8, "neck_flex": -0.4}
    knees, sag = {"l_knee": 1.4, "r_knee": 1.4}, {"l_hip_flex": -0.35, "r_hip_flex": -0.35}
    on_knees = [K.LEFT_KNEE, K.RIGHT_KNEE]

    def hip_cues(extra: dict, support: list) -> list[str]:
        kps3d = np.stack([_prone_on(shape, dict(blend(rest, bottom, d), **extra), WRISTS, support)
                          for d in _reps(5, 45, 15)])
        res = analyze_keypoints(_side_view(kps3d), 30.0, exercise="push_up")
        assert res.reps_total == 5
        return [c["cue"] for c in res.form_cues if c["cue"].startswith("push_up_hip")]

    assert hip_cues(knees, on_knees) == []
    assert hip_cues({}, TOES) == []
    assert hip_cues({**knees, **sag}, on_knees) == ["push_up_hip_sag"] * 5
    assert hip_cues(sag, TOES) == ["push_up_hip_sag"] * 5


@needs_bundled
def test_export_rep_count_metric_runs_the_full_analysis_with_a_model_file():
    from pathlib import Path

    import posekit
    from export.activity import rep_count_mae

    path = Path(posekit.__file__).parent / "models" / "activity_lstm_int8.tflite"
    mae = rep_count_mae(path, n_per_kind=1)
    assert 0.0 <= mae <= 0.3


@needs_bundled
def test_tracker_model_selection():
    from pathlib import Path

    import posekit
    from posekit.activity import ActivityTracker

    path = Path(posekit.__file__).parent / "models" / "activity_motionbert_float16.tflite"
    assert ActivityTracker(activity_model=path).classifier.name == str(path)
    assert ActivityTracker(activity_model="activity_motionbert_float16").classifier.name == "activity_motionbert_float16"
    assert ActivityTracker(activity_model=False).classifier is None
    assert ActivityTracker().classifier.name == "activity_lstm_int8"


def test_md4fd_urfd_windows_are_counted_once(shared_data):
    from training.activity_data import NOT_FALL, WindowSampler, md4fd_sequences, md4fd_windows

    w = md4fd_windows()
    assert {k: (len(v), sum(lab for _, lab in v)) for k, v in w.items()} == {"le2i": (67, 25), "urfd": (201, 35)}
    seqs = md4fd_sequences(("le2i",))
    assert len(seqs) == 67 and {s["label"] for s in seqs} == {LABEL_ID["fall"], NOT_FALL}
    # The sampler mixes them in at the asked share, half falls, half daily activities.
    x, y = WindowSampler([], [{"tokens": _tokens(), "labels": np.full(90, LABEL_ID["squat"])}], seed=0,
                         penn_frac=0.0, md4fd=seqs, md4fd_frac=0.25).sample(64)
    assert (y == NOT_FALL).sum() == 8 and (y == LABEL_ID["fall"]).sum() == 8 and (y == LABEL_ID["squat"]).sum() == 48
    assert x.shape == (64, WINDOW, TOKENS, 3)


def test_md4fd_windows_chain_into_runs_of_one_recording():
    from training.eval_activity import MD4FD_STRIDE, md4fd_runs, run_counts

    rng = np.random.default_rng(0)
    # Two recordings cut as MD4FD cuts them (90 frames, stride 15), back to back, then a window
    # of a third that merely starts where the second one's last window would continue.
    a, b = rng.normal(size=(150, 13, 3)), rng.normal(size=(120, 13, 3))
    a[:, 3:5] = np.nan  # no elbows, as in MD4FD: missing joints must not break a run
    cut = lambda rec: [(rec[s:s + 90], 0) for s in range(0, len(rec) - 89, MD4FD_STRIDE)]
    third = np.concatenate([b[-75:] + 1e-3, rng.normal(size=(15, 13, 3))])
    items = cut(a) + cut(b) + [(third, 1)]
    assert md4fd_runs(items).tolist() == [0] * 5 + [1] * 3 + [2]
    assert md4fd_runs(items[:1]).tolist() == [0]
    # A run counts once, found when any of its windows alarms; labels are counted apart.
    pred = np.array([0, 0, 1, 0, 0, 0, 0, 0, 1], bool)
    fall = np.array([1, 1, 1, 1, 1, 0, 0, 0, 1], bool)
    assert run_counts(pred, fall, md4fd_runs(items)) == {"fall_runs": 2, "fall_runs_found": 2,
                                                         "adl_runs": 1, "adl_runs_alarming": 0}
    assert run_counts(~pred, fall, md4fd_runs(items))["adl_runs_alarming"] == 1


def test_md4fd_runs_never_mix_a_fall_with_daily_activity(shared_data):
    # MD4FD labelled each stretch of a recording by hand: a run's windows share the label, which is
    # what makes "fall runs found" a count of falls rather than of windows.
    from training.activity_data import md4fd_windows
    from training.eval_activity import md4fd_runs

    for name, items in md4fd_windows().items():
        runs, labels = md4fd_runs(items), np.array([lab for _, lab in items])
        assert len(np.unique(runs)) < len(items)  # the windows overlap: runs are longer than one
        assert all(len(set(labels[runs == r])) == 1 for r in np.unique(runs)), name


def test_fall_aware_loss_only_pushes_daily_activities_away_from_fall():
    from training.activity_data import NOT_FALL
    from training.train_activity import fall_aware_crossentropy

    p = np.full((3, len(LABELS)), 0.02, np.float32)
    p[:, LABEL_ID["fall"]] = 0.3
    p[:, LABEL_ID["squat"]] = 1 - p.sum(1) + 0.02
    y = np.array([LABEL_ID["squat"], LABEL_ID["fall"], NOT_FALL])
    loss = np.asarray(fall_aware_crossentropy(y, p))
    assert loss == pytest.approx([-np.log(p[0, LABEL_ID["squat"]]), -np.log(0.3), -np.log(0.7)], rel=1e-5)


def test_stream_windows_stay_on_the_stride_grid_as_the_buffer_slides():
    """The tracker's buffer slides by 20 frames (10 model frames, not a multiple of the stride):
    earlier windows must still be found in the cache, so each analysis runs ~1 new window."""
    _, arr = make_sequence("squat", 7, seconds=24.0)
    body = to_body13(arr["noisy"])
    clf = ActivityClassifier()
    calls = []
    predict = clf.predict
    clf.predict = lambda w: calls.append(len(w)) or predict(w)
    cache: dict = {}
    for k in range(12):
        a = 20 * k
        clf.classify(normalise(body[a:a + 600], 30.0), ClassifierOptions(), cache, a / 30.0)
    # First buffer: all its windows; then 10 model frames per step = 1-2 grid windows + the newest.
    assert calls[0] >= 35 and max(calls[1:]) <= 3, calls


def _probs_around(seq, lo, hi, p=0.95):
    """A classifier confident (``p``) in the windows that end in [lo, hi] s, at its own window ends,
    the newest frame included (a sketch without that last window saw a cut fall's final drop only
    when the synthetic seat lifted the body first)."""
    ends = windows(sequence_tokens(seq))[1] / MODEL_RATE
    return ends, np.where((ends >= lo) & (ends <= hi), p, 0.05)


def test_classifier_led_fall_is_reported_once_and_lying_on_is_not_a_new_fall():
    from posekit.activity.falls import detect_falls

    m, arr = make_sequence("fall", 203, seconds=8.0)
    onset, impact = m.fall_onset / 30.0, m.fall_impact / 30.0

    def probs(seq, lo=onset, hi=impact + 1.0, p=0.95):  # a classifier confident around the fall only
        return _probs_around(seq, lo, hi, p)

    # Cut at impact: no lying tail for the motion rules to confirm.
    short = normalise(to_body13(arr["noisy"][:int(m.fall_impact)]), 30.0)
    assert detect_falls(short) == []
    events = detect_falls(short, fall_prob=probs(short))
    assert len(events) == 1 and abs(events[0].onset_s - onset) <= 1.0
    assert detect_falls(short, fall_prob=probs(short, p=0.2)) == []  # not confident: nothing
    # The whole sequence (rules and classifier both see it): still one event.
    full = normalise(to_body13(arr["noisy"]), 30.0)
    assert len(detect_falls(full, fall_prob=probs(full))) == 1
    # Lying on the floor after the fall with the classifier still saying "fall": no new fall.
    lying = normalise(to_body13(arr["noisy"][int(m.fall_impact) + 15:]), 30.0)
    assert detect_falls(lying, fall_prob=probs(lying, 0.0, 99.0)) == []


def test_falls_in_min_max_normalised_keypoints_need_only_the_bodys_shape():
    """Min-max normalised per frame, the hips' drop that a classifier-led fall needs is not in the
    keypoints: a fall cut at impact was missed. Without positions, an upright torso that tips and
    stays tipped under a confident classifier is enough, and the hips-based path, whose drop is
    then the body's shape changing inside its box, is off: with a classifier that says "fall"
    everywhere it raised falls on people sitting down."""
    from posekit.activity.inputs import minmax_per_frame
    from posekit.activity.falls import detect_falls

    def boxed(kps):
        return normalise(to_body13(minmax_per_frame(kps), zero_joints_missing=False), 30.0)

    m, arr = make_sequence("fall", 203, seconds=8.0)
    onset, impact = m.fall_onset / 30.0, m.fall_impact / 30.0
    short = boxed(arr["noisy"][:int(m.fall_impact)])
    assert detect_falls(short, fall_prob=_probs_around(short, onset, impact + 1.0)) == []
    events = detect_falls(short, fall_prob=_probs_around(short, onset, impact + 1.0), positions=False)
    assert len(events) == 1 and abs(events[0].onset_s - onset) <= 1.0
    assert detect_falls(short, fall_prob=_probs_around(short, onset, impact + 1.0, p=0.2), positions=False) == []
    lying = boxed(arr["noisy"][int(m.fall_impact) + 15:])
    assert detect_falls(lying, fall_prob=_probs_around(lying, 0.0, 99.0), positions=False) == []
    sat = [boxed(make_sequence("sitting_down", 300 + s, seconds=8.0)[1]["noisy"]) for s in range(10)]
    assert sum(len(detect_falls(q, fall_prob=_probs_around(q, 0.0, 99.0))) > 0 for q in sat) >= 3
    assert all(detect_falls(q, fall_prob=_probs_around(q, 0.0, 99.0), positions=False) == [] for q in sat)
