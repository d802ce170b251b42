"""Training-side activity helpers: the evaluation commands, MD4FD windows, tiny training and export."""

import json
from pathlib import Path

import numpy as np
import pytest

import posekit
from posekit.activity import analyze_keypoints, to_body13
from posekit.activity.body import normalise
from posekit.activity.classifier import TOKENS, WINDOW, ActivityClassifier, sequence_tokens
from posekit.activity.labels import LABEL_ID, LABELS
from posekit.runtime import bundled_model_names
from training.synth.dataset import make_sequence


def _tokens(kind="squat", seed=3, seconds=6.0, src="kps2d"):
    _, arr = make_sequence(kind, seed, seconds=seconds)
    return sequence_tokens(normalise(to_body13(arr[src]), 30.0))



needs_bundled = pytest.mark.skipif(not bundled_model_names("activity"), reason="no activity model bundled yet")



def test_eval_activity_measures_a_candidate_pose_model_from_pixels_only(shared_data, tmp_path, capsys):
    # What an ML engineer runs on a retrained student before installing it: only the figures from
    # pixels, through the given file.
    from pathlib import Path

    from training import eval_activity

    model = Path(posekit.__file__).parent / "models" / "pose_student_int8.tflite"  # not the default
    # Two clips: state carried from one clip to the next has broken the loop before.
    eval_activity.main(["--videos-only", "--limit", "2", "--pose-model", str(model), "--out", str(tmp_path)])
    res = json.loads((tmp_path / "activity_eval.json").read_text())
    assert set(res) == {"urfd_video", "workouttracker_reps"}
    wt = res["workouttracker_reps"]
    assert wt["clips"] == 2 and "pose_student_int8" in wt["pose"]
    assert {"minmax_mae", "centred_mae", "unsized_mae"} <= set(wt)  # exports' conventions, on the same poses
    # Each clip counted again under a pixel of noise, one count per draw, each draw's MAE from them.
    draws = [p["noise_preds"] for p in wt["per_clip"]]
    assert len(wt["noise_mae"]) == eval_activity.NOISE_SEEDS and all(len(d) == eval_activity.NOISE_SEEDS for d in draws)
    assert wt["noise_mae"][0] == pytest.approx(np.mean([abs(p["noise_preds"][0] - p["true"]) / p["true"]
                                                        for p in wt["per_clip"]]))
    assert wt["noise_clips_changed"] == sum(any(q != p["pred"] for q in p["noise_preds"]) for p in wt["per_clip"])
    assert res["urfd_video"]["frames_with_pose"] > 0
    with pytest.raises(SystemExit):
        eval_activity.main(["--videos-only", "--skip-videos"])
    assert "--videos-only and --skip-videos exclude each other" in capsys.readouterr().err


def test_eval_activity_synthetic_only_names_the_seeds_that_went_wrong(tmp_path, capsys):
    # More seeds than the full run's 20, from any first seed, without the rest of the evaluation;
    # each miss and false alarm names its seed and camera view, to be looked at again.
    from training import eval_activity

    # Daily activities start 100 seeds on: lying down from 10093, an elevated view (docs/evidence/falls.md).
    eval_activity.main(["--synthetic", "2", "--seed", "9993", "--out", str(tmp_path)])
    res = json.loads((tmp_path / "synthetic_eval.json").read_text())
    assert res["n_per_kind"] == 2 and res["seed"] == 9993
    assert set(res["false_alarms"]) == set(res["false_alarm_rate"])
    for kind, alarms in res["false_alarms"].items():
        assert res["false_alarm_rate"][kind] == len(alarms) / 2
    again = []
    for s in (10093, 10094):
        arr = make_sequence("lying_down", s, seconds=8.0)[1]
        if analyze_keypoints(arr["noisy"], 30.0).falls:
            again.append({"seed": s, "view": json.loads(str(arr["camera"]))["view"]})
    assert res["false_alarms"]["lying_down"] == again
    assert res["fall_recall"] == (2 - len(res["falls_missed"])) / 2
    assert all(9993 <= f["seed"] < 9995 and f["motion"].startswith("fall") for f in res["falls_missed"])
    with pytest.raises(SystemExit):
        eval_activity.main(["--synthetic", "0"])
    assert "--synthetic takes a number of sequences per kind >= 1, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        eval_activity.main(["--seed", "7"])
    assert "--seed is the first seed of --synthetic; without it nothing reads it" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        eval_activity.main(["--synthetic", "2", "--videos-only"])
    assert "--synthetic runs alone; drop --videos-only" in capsys.readouterr().err


def test_capture_conditions_change_the_picture_as_named():
    from training.eval_activity import CAPTURE

    img = np.random.default_rng(0).integers(0, 256, (90, 160, 3), dtype=np.uint8)
    seen = {name: (t(img, 7) if t else img, step) for name, (t, step) in CAPTURE.items()}
    assert seen["as_recorded"] == (img, 1) and seen["15_fps"][1] == 2
    np.testing.assert_array_equal(seen["mirrored"][0][:, ::-1], img)
    assert seen["half_resolution"][0].shape == (45, 80, 3)
    assert abs(seen["low_light"][0].mean() - 0.35 * img.mean()) < 1.0
    letterbox = seen["portrait_letterbox"][0]
    assert letterbox.shape == (284, 160, 3) and letterbox[:97].max() == 0
    np.testing.assert_array_equal(letterbox[97:187], img)
    jpeg = seen["jpeg_q20"][0].astype(int)
    assert jpeg.shape == img.shape and 0 < np.abs(jpeg - img).mean() < 100  # lossy, still the picture
    grey = seen["greyscale"][0]
    assert (grey[..., 0] == grey[..., 2]).all() and abs(grey.mean() - img.mean()) < 5
    assert all(s[0].dtype == np.uint8 for s in seen.values())


def test_capture_eval_from_pixels(shared_data):
    """Two capture conditions on one WorkoutTracker clip and URFD fall-01: real video through the
    pose pipeline and the activity layer; URFD fall-01 is found within 1 s in both (measured:
    2.97 s mirrored, 2.87 s at 15 fps, labelled 2.77 s). The pose model is named by its file, as
    a retrained one is before it is installed."""
    from training.eval_activity import eval_capture

    pose = Path(posekit.__file__).parent / "models" / "pose_student_float16.tflite"
    res = eval_capture(["mirrored", "15_fps"], limit=1, workers=2, pose_model=pose)
    assert res["clips"] == 1 and list(res["conditions"]) == ["mirrored", "15_fps"] and res["pose_model"] == str(pose)
    for name, c in res["conditions"].items():
        assert c["urfd_one_event_within_1s"], (name, c["urfd_fall_onsets_s"])
        (clip,) = c["per_clip"].values()
        assert c["mae"] == pytest.approx(abs(clip["pred"] - clip["true"]) / clip["true"])
    with pytest.raises(ValueError, match=r"capture conditions \['sepia'\] unknown; known: \['as_recorded', "):
        eval_capture(["sepia"])


def test_capture_cli_rejects_unknown_conditions(tmp_path, capsys):
    from training.eval_activity import main

    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--capture", "mirrored,sepia"])
    assert "--capture takes names from as_recorded, mirrored, " in capsys.readouterr().err
    assert not (tmp_path / "capture_eval.json").exists()


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

    # The same recipe under another seed: the LSTM exported from both runs is one model, the
    # softmax of the mean of their logits, and its manifest entry names both runs.
    import dataclasses

    from export.activity import load_models

    train(dataclasses.replace(cfg, seed=1, pretrain_epochs=0, finetune_epochs=0), tmp_path / "run_s1", penn, synth, synth)
    runs = [tmp_path / "run", tmp_path / "run_s1"]
    members = [load_models(r, ("lstm",))["lstm"] for r in runs]
    ensemble = load_models(runs, ("lstm",))["lstm"]
    x = np.stack([sequence_tokens(normalise(to_body13(make_sequence(k, 2, seconds=3.0)[1]["noisy"]), 30.0))[:WINDOW]
                  for k in ("squat", "fall", "walking")]).astype(np.float32)
    logp = np.mean([np.log(np.asarray(m(x))) for m in members], axis=0)  # logits up to a constant per member
    expected = np.exp(logp) / np.exp(logp).sum(-1, keepdims=True)
    assert np.allclose(np.asarray(ensemble(x)), expected, atol=1e-5)
    assert not np.allclose(np.asarray(members[0](x)), np.asarray(members[1](x)), atol=1e-3)  # two seeds, two models
    ens = export(runs, tmp_path / "export_ens", data={"penn": penn, "synth": synth}, formats=("float32", "int8"),
                 parity_n=8, rep_metric=False, with_onnx=False, archs=("lstm",), install=True,
                 report_dir=tmp_path / "report_ens")
    assert ens["lstm"]["formats"]["float32"]["max_abs_diff"] < 1e-4
    # The bench's report reads the ensemble's own figures, not its first seed's.
    reported = json.loads((tmp_path / "report_ens" / "activity_train_metrics.json").read_text())["lstm"]
    assert reported["params"] == ens["lstm"]["params"] != res["metrics"]["lstm"]["params"]
    assert reported["penn_test"]["accuracy"] == ens["lstm"]["formats"]["keras"]["metrics"]["penn_accuracy"]
    assert [m["run"] for m in reported["members"]] == ["run", "run_s1"]
    assert ens["lstm"]["params"] == sum(m.count_params() for m in members)
    entry = json.loads((bundle / "manifest.json").read_text())["models"]["activity_lstm_int8"]
    assert [m["run"] for m in entry["training"]["ensemble_of"]] == ["run", "run_s1"]
    assert [m["seed"] for m in entry["training"]["ensemble_of"]] == [0, 1]


@needs_bundled
def test_export_rep_count_metric_runs_the_full_analysis_with_a_model_file():
    from pathlib import Path

    import posekit
    from export.activity import rep_count_mae

    path = Path(posekit.__file__).parent / "models" / "activity_lstm_int8.tflite"
    mae = rep_count_mae(path, n_per_kind=1)
    assert 0.0 <= mae <= 0.3


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


def test_md4fd_joints_land_in_their_body13_slots(shared_data):
    # MD4FD writes face, shoulders, hips, knees, right ankle, left ankle, then the wrists (its
    # landmark_extractor.py). Read in another order, the "hips" were the knees and the "ankles"
    # the wrists: a standing body's order top to bottom tells. A wrist the hand model missed was
    # written as its hip plus at most 0.01: not seen.
    from posekit.activity.body import AN, HIP, KN, SH
    from training.activity_data import md4fd_windows

    for name, items in md4fd_windows().items():
        body = np.concatenate([b for b, lab in items if lab == 0])  # daily activity: mostly upright
        y = lambda idx: float(np.nanmedian(body[:, idx, 1]))
        assert y([0]) < y(SH) < y(HIP) < y(KN) < y(AN), name
        for wrist, hip in ((5, 7), (6, 8)):
            d = body[:, wrist, :2] - body[:, hip, :2]
            assert not ((d >= 0.001 - 1e-9) & (d <= 0.01 + 1e-9)).all(axis=1).any(), name
        # Left and right kept apart: the left hip and left ankle on one side of the right ones.
        assert np.nanmedian(np.sign(body[:, 7, 0] - body[:, 8, 0]) * np.sign(body[:, 11, 0] - body[:, 12, 0])) > 0


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


def test_repcount_training_videos_leave_the_held_back_ones_and_the_dev_fold_out(shared_data):
    from training.activity_data import WindowSampler, repcount_sequences
    from training.repcount import CLASSES, fold, is_held_back, load_videos

    seqs = repcount_sequences(dev_fold=2, seeds=1, speeds=(1.0,))
    names = {s["video"] for s in seqs}
    allowed = {v.name for v in load_videos() if not is_held_back(v.name) and fold(v.name) != 2}
    # A video whose labelled reps are all too brief to fill a window is left out (a few).
    assert names <= allowed and len(names) >= 0.95 * len(allowed)
    assert {LABELS[s["label"]] for s in seqs} == set(CLASSES.values())  # all eight, named as posekit names them
    # Windows are drawn where they show reps: none ends while the body still waits for the first.
    first = {v.name: v.reps[0][0] / 30.0 for v in load_videos()}
    late = [s for s in seqs if first[s["video"]] >= 3.0]
    assert late
    for s in seqs:
        assert s["ends"].min() >= WINDOW // 2 and s["ends"].max() <= len(s["tokens"])
    for s in late:
        assert s["ends"].min() / 15.0 > first[s["video"]], s["video"]
    sampler = WindowSampler([], [], seed=1, repcount=seqs, repcount_frac=1.0)
    x, y = sampler.sample(64)
    assert x.shape == (64, WINDOW, 14, 3) and np.abs(x[..., :2]).max() > 0
    assert len(set(y.tolist())) >= 6 and {LABELS[i] for i in y} <= set(CLASSES.values())  # class-balanced draws


def test_estimator_offsets_move_seen_joints_only_and_hips_least():
    from training.activity_data import augment_windows, estimator_offsets

    rng = np.random.default_rng(0)
    off = estimator_offsets((2000, WINDOW), rng, 0.25)
    assert off.shape == (2000, WINDOW, 13, 2)
    bias = np.abs(off.mean(axis=1)).mean(axis=(0, 2))  # per joint: the window's constant part
    hips, others = bias[7:9], np.delete(bias, [7, 8])
    assert 0.07 < others.mean() < 0.13  # U(0, 0.25) x N(0, 1): a mean |bias| of 0.1 torso lengths
    assert hips.max() < 0.5 * others.min()
    # Over a window the offsets drift as well: not the same in its first and last frames.
    assert np.abs(off[:, 0] - off[:, -1]).mean() > 0.02
    # Through the augmentation: unobserved joints (observed = 0) stay exactly zero, observed ones move.
    x = np.zeros((64, WINDOW, TOKENS, 3), np.float32)
    x[:, :, :13, 2] = 1.0
    x[:, :, 4, 2] = 0.0
    plain = augment_windows(x, np.random.default_rng(1))
    moved = augment_windows(x, np.random.default_rng(1), estimator_bias=0.25)
    for out in (plain, moved):  # (a flip swaps the unseen elbow's side)
        unseen = out[:, :, :13, 2] == 0
        assert unseen.sum() >= 64 * WINDOW and (out[:, :, :13, :2][unseen] == 0).all()
    seen = (moved[:, :, :13, 2] > 0) & (plain[:, :, :13, 2] > 0)
    assert np.abs(moved[:, :, :13, :2] - plain[:, :, :13, :2])[seen].mean() > 0.03
