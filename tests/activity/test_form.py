"""Form cues on synthetic sets with known faults."""

import numpy as np
import pytest

from posekit.activity import analyze_keypoints
from posekit.runtime import bundled_model_names

needs_bundled = pytest.mark.skipif(not bundled_model_names("activity"), reason="no activity model bundled yet")



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
    assert deep_rep.reps_total == 5 and not [c for c in deep_rep.form_cues if c.cue == "squat_depth"]
    assert rep.reps_total + sum(e.quality == "partial" for e in rep.rep_events) == 5
    depth_cues = [c for c in rep.form_cues if c.cue == "squat_depth"]
    assert len(depth_cues) == 5
    assert all(c.comparison == "below" and c.value < c.threshold for c in depth_cues)
    assert depth_cues[0].message.startswith("Squat deeper")
    # The value is what the threshold's doc says: the share of the standing hip height (above the
    # ankles) lost at the bottom, standing read at the top of the rep (it was read where the
    # signal left its rest band, part way down: 0.212 here).
    height = kps3d[:, [23, 24], 1].mean(1) - kps3d[:, [27, 28], 1].mean(1)
    true_loss = 1.0 - height.min() / height.max()
    assert all(abs(c.value - true_loss) <= 0.01 for c in depth_cues), (true_loss, depth_cues)


def test_a_wobble_shorter_than_a_rep_draws_no_form_cue():
    """A 0.4 s dip between deep squats is reported as a partial rep, but it is not an attempt at
    one: no "squat deeper" for it (it drew one, value 0.04)."""
    rep = _reps(1, 60, 0)[30:]
    dip = list(0.2 - 0.2 * np.cos(np.linspace(0, 2 * np.pi, 12)))
    depth = [0.0] * 30 + rep + [0.0] * 15 + rep + [0.0] * 10 + dip + [0.0] * 10 + rep + [0.0] * 15 + rep + [0.0] * 30
    res = analyze_keypoints(_side_view(_squat_set(DEEP_SQUAT, depth)), 30.0, exercise="squat")
    assert res.reps_total == 4
    assert [e.quality for e in res.rep_events].count("partial") == 1
    assert res.form_cues == ()


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
        return [c.cue for c in res.form_cues if c.cue.startswith("push_up_hip")]

    assert hip_cues(knees, on_knees) == []
    assert hip_cues({}, TOES) == []
    assert hip_cues({**knees, **sag}, on_knees) == ["push_up_hip_sag"] * 5
    assert hip_cues(sag, TOES) == ["push_up_hip_sag"] * 5
