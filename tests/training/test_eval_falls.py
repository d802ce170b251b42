"""training.eval_falls on slices: falls found with the live alert's delay, false alarms per hour."""

import numpy as np
import pytest

from training.eval_falls import _exercise_clips, eval_md4fd, eval_synthetic, eval_urfd
from training.synth.dataset import make_sequence


def test_synthetic_falls_are_found_live_and_their_alert_delay_measured():
    out = eval_synthetic(2)
    assert out["falls"] == 2 and out["found"] == 2
    assert 0 <= out["alert_delay_median_s"] <= out["alert_delay_max_s"] < 3.0
    assert out["daily_hours"] > 0 and out["alarms_per_hour"] >= 0


def test_exercise_clips_count_every_fall_as_a_false_alarm_per_hour():
    _, squat = make_sequence("squat", 3, seconds=6.0)
    m, fall = make_sequence("fall", 5000, seconds=8.0)
    out = _exercise_clips([("squat", squat["noisy"], 30.0, []), ("fall", fall["noisy"], 30.0, [])])
    assert out["clips"] == 2 and out["clips_with_a_fall"] == ["fall"] and out["alarms"] == 1
    np.testing.assert_allclose(out["alarms_per_hour"], 1 / (14.0 / 3600.0), rtol=0.02)


def test_urfd_fall_from_pixels_is_alerted_after_its_impact(shared_data):
    out = eval_urfd()
    assert out["found"] == 1 and out["extra_alarms"] == 0
    # Sent live within the confirmation time plus one reading (20 frames) of the impact, before
    # the clip ends 1.9 s after the labels' first frame of lying (1.53 s after it measured; 0.63 s
    # while the classifier was sure of this fall: docs/evidence/falls.md).
    from posekit.activity import FallOptions

    assert 0 <= out["alert_delay_median_s"] <= FallOptions().confirm_s + 20 / 30
    assert 0 <= out["alert_after_labelled_lying_s"] < 1.9


def test_pixels_read_by_mediapipe_full_are_kept_apart_from_posekits(shared_data, tmp_path, monkeypatch):
    """The second estimator's keypoints are its own (the teacher in the same tracker), cached
    beside posekit's, never in their place."""
    from training.eval_falls import _pose_keypoints
    from training.paths import data_dir

    monkeypatch.setenv("POSEKIT_CACHE", str(tmp_path))
    video = data_dir() / "urfd" / "fall-01-cam0.mp4"
    ours = tmp_path / "keypoints" / "urfd" / "a.npz"
    theirs = tmp_path / "keypoints" / "mediapipe_full" / "urfd" / "a.npz"
    mp, fps, _ = _pose_keypoints(video, ours, "mediapipe_full", right_half=True, max_frames=100)
    assert theirs.exists() and not ours.exists()
    pk, _, _ = _pose_keypoints(video, ours, "posekit", right_half=True, max_frames=100)
    assert ours.exists() and fps == 30.0 and mp.shape == pk.shape == (100, 33, 3)
    seen = np.isfinite(mp[:, 0, 0]) & np.isfinite(pk[:, 0, 0])
    assert seen.sum() >= 20 and not np.allclose(mp[seen], pk[seen])  # two networks, two readings
    # Read again: from the cache, the same keypoints.
    np.testing.assert_array_equal(_pose_keypoints(video, ours, "mediapipe_full", right_half=True)[0], mp)
    with pytest.raises(ValueError, match="mediapipe_heavy"):
        _pose_keypoints(video, ours, "mediapipe_heavy")


def test_md4fd_runs_and_hours_per_set(shared_data):
    out = eval_md4fd(None)
    assert set(out) == {"le2i", "urfd"}
    for r in out.values():
        assert 0 < r["found"] <= r["falls"] and r["daily_runs"] > 0 and r["daily_hours"] > 0
        assert 0 <= r["window_recall"] <= 1 and r["alarms_per_hour"] >= 0


def test_a_shorter_confirmation_brings_the_synthetic_alert_sooner():
    from posekit.activity import FallOptions

    slow, fast = eval_synthetic(2), eval_synthetic(2, opts=FallOptions(confirm_s=0.8))
    assert fast["found"] == 2
    assert fast["alert_delay_max_s"] < slow["alert_delay_median_s"]
    assert 0.8 - 0.05 <= fast["alert_delay_median_s"] <= 0.8 + 0.1  # read at the first frame after it


def test_a_bad_confirmation_time_is_a_usage_error(capsys):
    from training.eval_falls import main

    with pytest.raises(SystemExit) as e:
        main(["--confirm-s", "-1"])
    assert e.value.code == 2
    assert "confirm_s" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["--sure-confirm-s", "0"])
    assert e.value.code == 2
    assert "sure_confirm_s" in capsys.readouterr().err


def test_upright_test_on_poses_labelled_by_people(shared_data, tmp_path, monkeypatch):
    # RepCount-pose's salient frames (in shared): people standing through an exercise pass the
    # legs test far more often than sit-ups halfway up, whose torso reads upright over legs
    # stretched out along the floor. Without the Fall Action teacher cache that part is left out.
    from training.eval_falls import eval_upright

    monkeypatch.setenv("POSEKIT_CACHE", str(tmp_path))
    out = eval_upright()
    assert "fallaction" not in out
    rc = out["repcount"]
    assert rc["squat/start"]["torso_upright"] > 200 and rc["squat/start"]["share_passing"] >= 0.9
    assert rc["sit_up/middle"]["torso_upright"] > 100 and rc["sit_up/middle"]["share_passing"] <= 0.3
