"""Repetition counting: the generic counter, each exercise's own signal, partial reps, rests."""

import numpy as np
import pytest

import posekit
from posekit.activity import analyze_keypoints, to_body13
from tests.activity.helpers import REP_TOL, true_reps
from training.synth.dataset import make_sequence

#: Allowed counting error on synthetic sequences with pose-model-like noise (reps).


@pytest.mark.parametrize("kind,seed", [("squat", 103), ("jumping_jack", 102), ("sit_up", 103), ("bench_press", 104),
                                       ("lunge", 105)])
def test_counts_reps_on_noisy_synthetic_sequences(kind, seed):
    m, arr = make_sequence(kind, seed, seconds=15.0)
    # Sequences without the depth faults: a rep with the 'shallow' fault is a full rep to the
    # generator but may be a partial one to the counter (under partial_ratio of the median rep)
    # when most of the set goes deep. That definition is measured over many seeds in
    # eval_synthetic's rep MAE, not here.
    assert not any("shallow" in f for r in m.reps for f in r.faults)
    rep = analyze_keypoints(arr["noisy"], fps=30.0)
    assert abs(rep.reps_total - true_reps(m)) <= REP_TOL
    for e in rep.rep_events:
        assert e.start_s < e.bottom_s < e.end_s
        assert e.eccentric_s > 0 and e.concentric_s > 0


@pytest.mark.parametrize("kind", ["standing", "walking", "sitting_down"])
def test_no_reps_when_not_exercising(kind):
    _, arr = make_sequence(kind, 7, seconds=10.0)
    assert analyze_keypoints(arr["noisy"], fps=30.0).reps_total == 0


def _jittered(kps: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """``kps`` with frame-correlated (AR(1)) jitter of ``sigma`` pixels on every joint, as pose models give."""
    e = np.random.default_rng(seed).normal(0, 1, kps[..., :2].shape)
    for t in range(1, len(e)):
        e[t] = 0.6 * e[t - 1] + 0.8 * e[t]
    out = kps.copy()
    out[..., :2] += sigma * e
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_jitter_on_someone_standing_still_is_not_reps(seed):
    """Jitter of 10 px (3% of the body's 340 px) on a body that does not move: its movement signal
    spans more than ``min_range``, and without the jitter check the counter finds 3-7 "reps" in
    these 10 s. The same jitter on a set of five squats keeps its five."""
    still = _jittered(_squat_clip([0.0] * 300), 10.0, seed)
    assert analyze_keypoints(still, 30.0, classify=False, rep_options=posekit.RepOptions(min_snr=0)).reps_total >= 3
    assert analyze_keypoints(still, 30.0, classify=False).reps_total == 0
    depth = [0.0] * 30
    for _ in range(5):
        depth += list(0.5 - 0.5 * np.cos(np.linspace(0, 2 * np.pi, 60))) + [0.0] * 15
    assert analyze_keypoints(_jittered(_squat_clip(depth), 10.0, seed), 30.0, classify=False).reps_total == 5


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_someone_standing_still_after_frames_with_nobody_is_not_reps(seed):
    """The same still body, with nobody in view for its first 4 of 10 s (a tracker acquiring
    late). The missing frames carry their observed neighbours' values into the movement signal:
    read as observations, that flat stretch set the signal's range and noise level, and this
    jitter counted 2-4 "reps" (these seeds)."""
    still = _jittered(_squat_clip([0.0] * 300), 10.0, seed)
    still[:120] = np.nan
    assert analyze_keypoints(still, 30.0, classify=False).reps_total == 0


def test_a_set_after_a_long_stretch_with_nobody_in_view():
    """27 s of an empty room, then five squats (13.5 s). The body's size was the median over
    every frame, the empty ones as 0: past half the sequence empty it read 0, every length stayed
    in pixels, and the squats read as five falls and no rep."""
    from posekit.activity.body import normalise

    depth = [0.0] * 30
    for _ in range(5):
        depth += list(0.5 - 0.5 * np.cos(np.linspace(0, 2 * np.pi, 60))) + [0.0] * 15
    clip = _jittered(_squat_clip(depth), 3.0, 0)
    late = np.concatenate([np.full((800, 33, 3), np.nan), clip])
    rep = analyze_keypoints(late, 30.0)
    assert rep.reps_total == 5 and [e.label for e in rep.exercises] == ["squat"] and not rep.falls
    assert rep.exercises[0].start_s > 800 / 30
    # Lengths in the body's own units whatever came before it: the set's hip track as without the empty room.
    alone, after = normalise(to_body13(clip), 30.0), normalise(to_body13(late), 30.0)
    np.testing.assert_allclose(after.hip[800:], alone.hip, atol=1e-9)
    # Live, 10 s of the empty room is enough: the stream's buffer was more than half empty while
    # the set began, and it raised two falls.
    from training.eval_activity import stream_keypoints

    live = stream_keypoints(np.concatenate([np.full((300, 33, 3), np.nan), clip]), 30.0)
    assert live["reps_total"] == 5 and live["falls"] == [] and live["withdrawn_reps"] == 0


def test_quantiles_are_numpys_percentiles():
    from posekit.activity.reps import quantiles

    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 4, 7, 100, 601):
        x = rng.normal(size=n)
        for q in ((5, 95), (5, 50, 95), (50,), (0, 100)):
            np.testing.assert_allclose(quantiles(x, q), np.percentile(x, q), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind,seed", [("walking", 7009), ("running", 7001), ("running", 7003)])
def test_locomotion_is_not_counted_as_generic_reps(kind, seed):
    """Walking and running are cyclic: the class-agnostic counter finds 3-5 "reps" in these 10 s
    (classifier off). Where the classifier calls the span walking or running, they are gait. The
    jitter check is off so that the classifier's veto alone is tested (the walk's movement barely
    stands out from its keypoints' jitter, so the check alone also drops its "reps")."""
    kps = make_sequence(kind, seed, seconds=10.0)[1]["noisy"]
    opts = posekit.RepOptions(min_snr=0)
    assert analyze_keypoints(kps, 30.0, classify=False, rep_options=opts).reps_total >= 3
    assert analyze_keypoints(kps, 30.0, rep_options=opts).reps_total == 0
    assert analyze_keypoints(kps, 30.0).reps_total == 0


def _squat_clip(depth: list[float]) -> np.ndarray:
    """(T, 33, 3) pixels of a front-on squatter following ``depth`` (0 standing, 1 at the bottom)."""
    from training.synth.body import BodyShape
    from training.synth.motions import FEET, _fk, place_on_floor

    shape = BodyShape()
    bottom = {"l_hip_flex": 1.8, "r_hip_flex": 1.8, "l_knee": 2.0, "r_knee": 2.0, "torso_flex": 0.6}
    kps3d = np.stack([place_on_floor(_fk(shape, {k: v * d for k, v in bottom.items()}), FEET) for d in depth])
    return np.concatenate([kps3d[..., [0]] * 200 + 320, -kps3d[..., [1]] * 200 + 400, np.ones((len(depth), 33, 1))], -1)


def test_partial_rep_is_reported_not_counted():
    # Build a clean signal: 4 full squats and one quarter-depth one in the middle.
    depth = []
    for amp in (1, 1, 0.3, 1, 1):
        depth += list(amp * (0.5 - 0.5 * np.cos(np.linspace(0, 2 * np.pi, 60)))) + [0.0] * 15
    rep = analyze_keypoints(_squat_clip([0.0] * 30 + depth), fps=30.0)
    assert rep.reps_total == 4
    assert [e.quality for e in rep.rep_events].count("partial") == 1


def _setting_up_then_reps(rng: np.random.Generator, reps: int = 6) -> np.ndarray:
    """A rep signal (rest high) that first goes through more than the set's range while the person
    sets up (1 s low, 2.5 s high: un-racking a bar), then ``reps`` reps between 0.9 and 0.4: the
    setup, not the set, holds the signal's 5th and 95th percentiles."""
    rep = 0.65 + 0.25 * np.cos(np.linspace(0, 2 * np.pi, 45))
    s = np.concatenate([np.zeros(30), np.linspace(0, 1, 15), np.ones(75), np.linspace(1, 0.9, 10)]
                       + [rep] * reps + [np.full(20, 0.9)])
    return s + rng.normal(0, 0.005, len(s))


def test_reps_are_read_against_the_signals_level_near_them():
    from posekit.activity.reps import find_cycles

    s = _setting_up_then_reps(np.random.default_rng(0))
    set_from = 130  # the frame where the set begins

    def full_reps_in_the_set(cycles):
        return sum(not c.partial and c.start >= set_from for c in cycles)

    # Against the whole signal's range the set's reps never cross the bottom threshold (partial at most) ...
    assert full_reps_in_the_set(find_cycles(s, rest_high=True)) == 0
    # ... against their own level every one of them does.
    assert full_reps_in_the_set(find_cycles(s, rest_high=True, local=True)) == 6


def test_local_levels_read_no_reps_in_a_still_stretch():
    # One real rep, then 10 s of a still pose that sways a little (smoothed jitter): a window over
    # the stillness has a tiny range of its own, which is floored at a share of the whole signal's.
    from posekit.activity.reps import find_cycles

    rng = np.random.default_rng(1)
    s = np.concatenate([np.ones(30), 0.5 + 0.5 * np.cos(np.linspace(0, 2 * np.pi, 45)), np.ones(300)])
    s += np.convolve(rng.normal(0, 0.05, len(s)), np.ones(15) / 15, mode="same")
    assert sum(not c.partial for c in find_cycles(s, rest_high=True, local=True)) == 1


def test_a_clip_that_begins_mid_way_down_counts_its_one_rep():
    # The clip starts during the descent, and its first 8 frames have no pose (a tracker settling).
    down_up = list(0.5 - 0.5 * np.cos(np.linspace(0.4 * np.pi, 2 * np.pi, 50)))
    xy = _squat_clip(down_up + [0.0] * 20)
    xy[:8] = np.nan
    assert analyze_keypoints(xy, fps=30.0, classify=False).reps_total == 1


def test_getting_up_from_the_bottom_once_is_not_a_rep():
    # Seated (squat bottom) at the start, stands up once and stays up: a way up, not a repetition.
    up = list(0.5 + 0.5 * np.cos(np.linspace(0, np.pi, 30)))
    xy = _squat_clip([1.0] * 20 + up + [0.0] * 40)
    assert analyze_keypoints(xy, fps=30.0, classify=False).reps_total == 0


def test_a_paused_squat_that_begins_mid_way_down_counts_its_one_rep():
    # Most of the clip is spent at the bottom (a paused rep), so "rest is where the signal spends
    # most time" would take the bottom for rest and count nothing; the hips say standing is rest.
    down = list(0.5 - 0.5 * np.cos(np.linspace(0.5 * np.pi, np.pi, 15)))
    up = list(0.5 + 0.5 * np.cos(np.linspace(0, np.pi, 25)))
    xy = _squat_clip(down + [1.0] * 25 + up + [0.0] * 10)
    assert analyze_keypoints(xy, fps=30.0, classify=False).reps_total == 1


@pytest.mark.parametrize("kind", ["squat", "push_up", "lunge", "pull_up"])
def test_the_body_tells_which_side_of_the_movement_is_rest(kind):
    # Against the exercise's own signal, built to be high at rest. Pull-ups need the hanging cue:
    # at rest their hips are down.
    from posekit.activity.body import normalise
    from posekit.activity.reps import _rest_is_high, exercise_signal, movement_signal

    for seed in range(4):
        _, arr = make_sequence(kind, 300 + seed, seconds=8.0)
        seq = normalise(to_body13(arr["noisy"]), 30.0)
        sig = movement_signal(seq)
        assert _rest_is_high(seq, sig) == (np.corrcoef(sig, exercise_signal(seq, kind))[0, 1] > 0), seed


def test_rest_side_on_penn_action_human_labels(shared_data):
    from training.eval_activity import eval_rest_side

    res = eval_rest_side()
    assert res["clips"] > 900
    assert res["body"] >= 0.75 and res["time_spent"] < 0.5
    for ex in ("squat", "push_up", "pull_up"):
        assert res["by_exercise"][ex]["body"] >= 0.9, ex


def _sets_with_a_rest(rest_kind: str, seed: int):
    """Two synthetic push-up sets (different cameras) with another posture between them."""
    m1, a1 = make_sequence("push_up", seed, seconds=12.0)
    _, rest = make_sequence(rest_kind, seed, seconds=4.0)
    m2, a2 = make_sequence("push_up", seed + 50, seconds=12.0)
    return np.concatenate([a1["noisy"], rest["noisy"], a2["noisy"]]), true_reps(m1) + true_reps(m2)


@pytest.mark.parametrize("rest_kind,seed", [("standing", 130), ("standing", 131), ("lying_down", 132)])
def test_counts_every_set_when_the_rest_posture_dominates_the_signal(rest_kind, seed):
    # The rest posture sets the signal's principal axis and range; each set is then a long stretch
    # on one side of it and must be counted on its own (count_cycles' second look).
    from posekit.activity.body import normalise
    from posekit.activity.reps import count_reps

    kps, true = _sets_with_a_rest(rest_kind, seed)
    cycles = count_reps(normalise(to_body13(kps), 30.0))
    assert abs(sum(not c.partial for c in cycles) - true) <= REP_TOL
