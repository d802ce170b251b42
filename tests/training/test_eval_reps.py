"""RepCount-pose's split and rebuilt sequences, the counting evaluation on a slice, and the phase
model's training and int8 export end to end (one epoch; the full run is ``make train-phase``)."""

import json

import numpy as np
import pytest

from posekit.activity.phase import BATCH, FEATURES, OUTPUTS, PhaseModel


@pytest.fixture(scope="module")
def videos(shared_data):
    from training.repcount import load_videos

    return load_videos()


def test_one_video_in_five_is_held_back_by_name_and_every_class_is_there(videos):
    from training.repcount import CLASSES, fold, is_held_back

    held = [v for v in videos if v.held_back]
    assert len(videos) > 300 and 0.15 < len(held) / len(videos) < 0.25
    assert {v.exercise for v in held} == set(CLASSES.values())
    assert all(is_held_back(v.name) == (fold(v.name) == 0) for v in videos)
    # Salient frames are numbered in rep order: start poses 0..n-1, middle poses n..2n-1 (in
    # nearly every video; the rebuilt sequences take the nearest where they are not).
    ordered = [v.start_rep.max() <= len(v.reps) and 0 <= v.middle_rep.min() and v.middle_rep.max() < len(v.reps)
               for v in videos]
    assert np.mean(ordered) > 0.9


def test_a_rebuilt_sequence_holds_the_videos_poses_at_its_labelled_reps(videos):
    from training.repcount import rebuilt_sequence

    v = max(videos, key=lambda v: len(v.reps))
    seq = rebuilt_sequence(v, seed=1, jitter=0.0, sway=0.0)
    assert seq.shape == (v.reps[-1][1] + 30, 33, 3) and np.isfinite(seq).all()
    a, b = v.reps[0]
    np.testing.assert_allclose(seq[(a + b) // 2], v.middle_of(0), atol=1e-6)  # the first rep's own middle pose
    np.testing.assert_allclose(seq[0], v.start_of(0), atol=1e-6)
    noisy = rebuilt_sequence(v, seed=1)
    assert not np.allclose(noisy, seq) and np.array_equal(noisy, rebuilt_sequence(v, seed=1))


def test_counting_on_held_back_videos_reports_per_exercise_with_and_without_the_phase_model(shared_data):
    from training.eval_reps import eval_repcount

    out = eval_repcount(limit=3)
    assert out["videos"] == 3 and set(out["counts"]) == {"auto", "auto_no_phase", "given", "given_no_phase"}
    for key in ("auto", "given"):
        c = out["counts"][key]
        assert c["n"] == 3 and 0 <= c["mae"] and 0 <= c["obo"] <= 1 and c["per_exercise"]
    row = out["per_video"][0]
    assert row["true"] > 0 and row["auto"] >= 0 and "auto_named" in row
    json.dumps(out)


def test_long_sets_count_within_a_few_percent():
    from training.eval_reps import eval_long_sets

    out = eval_long_sets(seeds=1, seconds=40.0)
    assert out["n"] == 9 and out["true_range"][0] >= 8
    assert out["mae"] < 0.15  # 0.059 on the full run's 27 sets of 22-73 reps (at d14f5aa)
    assert set(out["unknown_exercises_named"]) == {"bicep_curl", "lateral_raise"}


@pytest.mark.slow
def test_phase_training_and_int8_export_run_end_to_end(tmp_path, shared_data):
    from export.phase import export
    from training.train_phase import train

    m = train(tmp_path, epochs=1, dev_fold=1, members=2)
    assert m["measured_on"] == "training fold 1" and m["train_videos"] > 200 and m["measured_videos"] > 30
    assert 0 <= m["held_back"]["phase_accuracy"] <= 1 and m["penn_other_test"]["frames"] > 500
    path = export(tmp_path)
    model = PhaseModel(path)
    p = model.predict(np.zeros((BATCH + 3, FEATURES), np.float32))
    assert p.shape == (BATCH + 3, OUTPUTS)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=0.02)  # two networks' probabilities, averaged
    # Design choices: the counts on the fold it left out, with it in place of the bundled model.
    from training.eval_reps import eval_repcount
    from training.repcount import fold

    out = eval_repcount(limit=2, dev_fold=1, phase_model=path)
    assert out["measured_on"] == "training fold 1" and out["videos"] == 2
    assert all(fold(r["video"]) == 1 for r in out["per_video"])
    # The shipped model must not be one that left training videos out.
    from export.phase import main

    with pytest.raises(SystemExit):
        main(["--run", str(tmp_path), "--install"])


@pytest.mark.parametrize("argv", [["--repcount", "--pose-model", "{model}"], ["--pushfit", "--pose-model", "{missing}"]])
def test_a_pose_model_is_refused_where_it_reads_nothing_or_is_missing(argv, tmp_path, capsys):
    from pathlib import Path

    import posekit.models
    from training import eval_reps

    model = Path(posekit.models.__file__).parent / "pose_student_float16.tflite"
    argv = [a.format(model=model, missing=tmp_path / "nope.tflite") for a in argv]
    with pytest.raises(SystemExit) as e:
        eval_reps.main(argv + ["--out", str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--pose-model" in err and "--pushfit" in err and "Traceback" not in err


def test_workouttracker_is_counted_with_each_estimators_keypoints(shared_data, tmp_path, monkeypatch, capsys):
    """--estimators reads the same clip with a student file and with MediaPipe full, each cached
    apart (the student's under its own sha256), and reports both side by side."""
    import hashlib
    import json
    from pathlib import Path

    import posekit.models
    from training import eval_reps

    monkeypatch.setenv("POSEKIT_CACHE", str(tmp_path / "cache"))
    model = Path(posekit.models.__file__).parent / "pose_student_int8.tflite"
    eval_reps.main(["--estimators", "--limit", "1", "--pose-model", str(model), "--out", str(tmp_path)])
    res = json.loads((tmp_path / "reps_eval.json").read_text())["estimators"]
    assert set(res) == {"posekit", "mediapipe_full"}
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
    assert len(list((tmp_path / "cache" / "keypoints" / digest / "workouttracker").glob("*.npz"))) == 1
    assert len(list((tmp_path / "cache" / "keypoints" / "mediapipe_full" / "workouttracker").glob("*.npz"))) == 1
    assert res["posekit"]["pose_model"] == str(model) and res["mediapipe_full"]["pose_model"] is None
    for r in res.values():
        (clip,) = r["per_clip"]
        assert clip["video"] == "videos/dips/dips_13.mp4" and clip["true"] == 3 and clip["given"] is None  # no dips class
        assert r["counts"]["auto"]["n"] == 1 and r["counts"]["auto"]["mae"] == pytest.approx(abs(clip["auto"] - 3) / 3)
    assert "mediapipe_full" in capsys.readouterr().out
