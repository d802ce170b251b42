"""One reading of a buffer: circuits split into sets, shots analysed apart."""

import numpy as np
import pytest

from posekit.activity import analyze_keypoints
from tests.activity.helpers import REP_TOL
from training.synth.dataset import make_sequence


def test_a_circuit_names_each_exercise_and_counts_its_reps():
    # Squats straight into jumping jacks (synthetic, one front view): the class-agnostic counter
    # sees one run of reps, which used to be one "squat" segment counted with the squats' own
    # signal: 4 reps of 15. Each exercise the classifier names for 2 s or more now gets its span.
    from training.synth.dataset import make_circuit

    x, true = make_circuit(("squat", "jumping_jack"), 1000)
    rep = analyze_keypoints(x, 30.0)
    assert [e.label for e in rep.exercises] == ["squat", "jumping_jack"]
    for seg, n in zip(rep.exercises, true):
        assert abs(seg.reps - n) <= REP_TOL, (seg, n)
    assert rep.exercises[0].end_s < 20.0 < rep.exercises[1].start_s  # the join, at 20 s


def test_a_split_between_two_exercises_goes_in_the_pause_before_the_label_changes():
    from posekit.activity.analysis import _label_parts
    from posekit.activity.body import RATE
    from posekit.activity.labels import LABEL_ID
    from posekit.activity.reps import Cycle

    sq, jj = LABEL_ID["squat"], LABEL_ID["jumping_jack"]
    labels = np.full(900, sq)
    labels[650:] = jj  # the classifier changes its mind 1.7 s after the movement did (600)
    reps = [(30 * k, 30 * k + 45) for k in range(1, 19, 2)] + [(610 + 30 * k, 630 + 30 * k) for k in range(9)]
    cycles = [Cycle(a, (a + b) // 2, b, 1.0, False) for a, b in reps]
    parts = _label_parts(labels, 0, 900, {sq, jj}, cycles)
    assert [(lab, s) for lab, s, _ in parts] == [(sq, 0), (jj, (555 + 610) // 2)]  # mid-pause, not 650
    assert parts[-1][2] == 900
    # One exercise named, or a second one for less than SPLIT_RUN_S: no parts (one span, as before).
    assert _label_parts(np.full(900, sq), 0, 900, {sq, jj}, cycles) == []
    short = np.full(900, sq)
    short[600:600 + int(1.5 * RATE)] = jj
    assert _label_parts(short, 0, 900, {sq, jj}, cycles) == []


def test_a_cut_is_not_a_fall_and_each_shot_counts_its_own_reps():
    """Edited video: a cut from someone standing to someone on the floor (a plank, a sit-up, from
    another camera) makes the keypoints jump, which the fall detector reads as a fall; given the
    cut, each shot is analysed on its own."""
    falls_without = 0
    for seed in range(6):
        _, a = make_sequence("standing", 10 + seed, seconds=6.0)
        for kind, base in (("plank", 20), ("sit_up", 30)):
            kps = np.concatenate([a["noisy"], make_sequence(kind, base + seed, seconds=6.0)[1]["noisy"]])
            assert analyze_keypoints(kps, 30.0, cuts=[len(a["noisy"])]).falls == (), (kind, seed)
            falls_without += len(analyze_keypoints(kps, 30.0).falls) > 0
    assert falls_without >= 4  # 7 of the 12 without the cut
    # Reps: two squat shots count as each shot alone (the generic counter, so that nothing else
    # differs), and the report's times follow the second shot's place in the video.
    _, sa = make_sequence("squat", 44, seconds=8.0)
    _, sb = make_sequence("squat", 56, seconds=7.0)
    n = len(sa["noisy"])
    both = analyze_keypoints(np.concatenate([sa["noisy"], sb["noisy"]]), 30.0, classify=False, cuts=[n])
    alone = [analyze_keypoints(x["noisy"], 30.0, classify=False) for x in (sa, sb)]
    assert both.reps_total == sum(r.reps_total for r in alone) >= 4
    second = [r.start_s for r in both.rep_events if r.start_s >= n / 30.0]
    assert second == pytest.approx([r.start_s + n / 30.0 for r in alone[1].rep_events])
    assert len(both.frame_labels) == n + len(sb["noisy"])


def test_a_compilation_video_is_analysed_shot_by_shot(shared_data):
    """WorkoutTracker's dips compilation (7 marked reps in 9 shots of 5 frames to 5.2 s) from
    pixels: the tracker finds its cuts, and where the picture cuts to a close-up at 11.1 s the
    keypoints flip, which without the cuts loses the reps (none counted with the LSTM before
    generators v3, one or two since; 4-7 with the cuts) and read as a fall until a way down had
    to start from a body seen standing on its legs."""
    from training.eval_activity import run_video, stream_keypoints

    kps, fps, cuts = run_video(shared_data / "workouttracker" / "videos" / "dips" / "videoplayback.mp4")
    assert len(cuts) == 8 and cuts[0] == 48 and cuts[-1] == 490  # as read from the frames (docs/evidence)
    without = analyze_keypoints(kps, fps)
    rep = analyze_keypoints(kps, fps, cuts=cuts)
    assert rep.falls == () and 4 <= rep.reps_total <= 7
    assert without.reps_total < rep.reps_total
    live = stream_keypoints(kps, fps, cuts=cuts)  # the stream reads the same shots
    assert live["reps_total"] == rep.reps_total and live["falls"] == []
    # ... steadily: 14 reps sent and 9 withdrawn while resampling lost the first frame of a shot
    # at every reading whose timestamps read 29.997 fps (6 and 1 since; 10 and 4 with the phase
    # model, whose reading of these dips, an exercise no model has a class for, moves between
    # readings: a rep re-named is withdrawn and sent again; 5 withdrawn since the classifier
    # knows ten exercises).
    assert live["withdrawn_reps"] <= 5 and live["sent_reps"] - live["withdrawn_reps"] == len(live["rep_events"])
