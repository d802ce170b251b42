"""The streaming engine: events, withdrawals, settling, buffers longer than the window."""

import json

import numpy as np
import pytest

import posekit
from posekit.activity import ActivityTracker, FallOptions, analyze_keypoints, to_body13
from posekit.activity.body import normalise
from posekit.activity.classifier import ActivityClassifier, ClassifierOptions
from posekit.pose.roi import Roi
from posekit.runtime import bundled_model_names
from posekit.types import PoseResult
from tests.activity.helpers import REP_TOL, true_reps
from training.synth.dataset import make_sequence

needs_bundled = pytest.mark.skipif(not bundled_model_names("activity"), reason="no activity model bundled yet")



@pytest.mark.parametrize("sure_confirm_s", [1.0, 1.5])
@pytest.mark.parametrize("seed", [201, 202, 203])
def test_a_fall_is_sent_once_its_confirmation_time_has_passed(seed, sure_confirm_s):
    """The stream sends a fall at the first frame whose buffer holds ``confirm_s`` after the impact
    (it reads the buffer again then), not at the next regular reading up to ``every`` frames on;
    ``sure_confirm_s`` after it where the detector is sure of the fall (1.5: as sure or not)."""
    m, arr = make_sequence("fall", seed, seconds=8.0)
    opts = FallOptions(sure_confirm_s=sure_confirm_s)
    at = ActivityTracker(fall_options=opts)
    sent = []
    for i, row in enumerate(arr["noisy"]):
        pose = None if np.isnan(row).all() else PoseResult(
            xy=row[:, :2].astype(np.float32), conf=row[:, 2].astype(np.float32), score=1.0, roi=Roi(0, 0, 1),
            timestamp_ms=i * 33, image_size=(480, 360))
        out = at.update(pose, i * 33)
        sent += [(i * 0.033, f) for f in out.new_falls]
    assert len(sent) == 1
    t, fall = sent[0]
    assert fall.confidence >= opts.sure_confidence  # these falls are sure ones: both waits are tested
    confirm = min(opts.confirm_s, sure_confirm_s)
    assert confirm - 0.04 <= t - fall.impact_s <= confirm + 0.1  # 20 frames late at most before
    assert fall.onset_s == pytest.approx(m.fall_onset / 30, abs=1.0)
    assert fall.onset_s <= fall.impact_s


def test_a_sure_falls_earliest_impact_comes_with_the_onset_read_with_it():
    """A sure fall waits from the earliest impact read for it; its onset is that reading's. An
    onset from the newest reading with an older reading's impact put the onset after the impact
    (a push-up clip read by a fine-tuned student: onset 2.17 s, impact 2.10 s)."""
    from posekit.activity.streaming import FALL_SAME_S, earliest_reading

    assert earliest_reading(2.17, 2.30, [(2.07, 2.10)]) == (2.07, 2.10)
    assert earliest_reading(2.07, 2.10, [(2.17, 2.30)]) == (2.07, 2.10)  # this reading is the earliest
    assert earliest_reading(2.17, 2.30, []) == (2.17, 2.30)
    other = 2.17 + FALL_SAME_S + 0.5  # another fall's reading is not this one's
    assert earliest_reading(2.17, 2.30, [(other, 1.0)]) == (2.17, 2.30)


def test_session_with_activity_on_the_sample_clip():
    from posekit.cli import sample_clip
    from posekit.video import FrameSource

    truth = json.loads(sample_clip().with_suffix(".json").read_text())
    sent, withdrawn, cues = [], [], []
    with posekit.Session(activity=ActivityTracker()) as s, FrameSource(sample_clip()) as src:
        for f in src:
            r = s.process(f.rgb, f.timestamp_ms)
            assert "activity" in r.timings_ms
            sent += r.activity.new_reps
            withdrawn += r.activity.withdrawn_reps
            cues += r.activity.new_cues
        end = s.flush()
        summary = s.summary()
    sent += end.new_reps
    withdrawn += end.withdrawn_reps
    cues += end.new_cues
    assert abs(summary.reps_total - truth["squat_reps"]) <= REP_TOL
    # Each rep is sent once (the second squat's bottom moves by 0.6 s between two readings, which
    # once sent it, and its depth cue, twice; the first squat was sent three times), and its cues
    # with it.
    assert len(sent) - len(withdrawn) == len(summary.rep_events)
    assert tuple(cues) == summary.form_cues
    assert len({(c.t_s, c.cue) for c in cues}) == len(cues)
    rep_of = [min(summary.rep_events, key=lambda e: abs(e.bottom_s - c.t_s)) for c in cues]
    assert len({(e.start_s, c.cue) for e, c in zip(rep_of, cues)}) == len(cues)
    assert len(summary.falls) == 1
    assert abs(summary.falls[0].onset_s - truth["fall_onset"] / truth["fps"]) <= 1.0


def test_streaming_tracker_skips_a_new_tracks_first_frames():
    """Poses of a track that has just been acquired (track_age < SETTLE_FRAMES) are not analysed."""
    from posekit.activity.streaming import SETTLE_FRAMES

    m, arr = make_sequence("fall", 201, seconds=8.0)

    def run(age):
        at = ActivityTracker()
        for i, row in enumerate(arr["noisy"]):
            pose = None if np.isnan(row).all() else PoseResult(
                xy=row[:, :2].astype(np.float32), conf=row[:, 2].astype(np.float32), score=1.0, roi=Roi(0, 0, 1),
                timestamp_ms=i * 33, image_size=(480, 360), track_age=age(i))
            at.update(pose, i * 33)
        return at.summary().falls

    assert len(run(lambda i: i)) == 1  # one track from the first frame: settled after 8 frames
    assert run(lambda i: i % SETTLE_FRAMES) == ()  # re-acquired every few frames: never settled


def test_a_flushed_stream_reads_as_the_offline_analysis(shared_data):
    # WorkoutTracker clips from pixels where the stream used to count a "rep" read from its first
    # second (getting into position) that the whole clip does not hold: 3 and 2 reps live against
    # 1 and 1 offline. The live count is now the latest reading of the buffer, and the flush reads
    # the last frames with the classifier's windows recomputed over the whole buffer (push-up_48
    # read 2 against 1 with the windows cached from shorter buffers), so a clip shorter than the
    # buffer ends as offline.
    from training.eval_activity import run_video, stream_keypoints

    withdrawn = 0
    for clip in ("push-ups/push-up_21.mp4", "squats/squat_17.mp4", "push-ups/push-up_48.mp4"):
        kps, fps, _ = run_video(shared_data / "workouttracker" / "videos" / clip)
        live = stream_keypoints(kps, fps)
        off = analyze_keypoints(kps, fps)
        assert live["reps_total"] == off.reps_total, clip
        assert live["sent_reps"] - live["withdrawn_reps"] == len(live["rep_events"]), clip  # events add up
        assert all(d >= 0 for d in live["rep_delays_s"])  # sent after the rep ended, never before
        assert [e["bottom_s"] for e in live["rep_events"]] == pytest.approx([e.bottom_s for e in off.rep_events], abs=0.05)
        assert len(live["falls"]) == len(off.falls), clip
        withdrawn += live["withdrawn_reps"]
    # Reps read early that the whole clip does not hold were sent, then withdrawn (two of these
    # clips do so with the shipped student, all three did with the earlier one).
    assert withdrawn >= 1


def test_one_reading_that_misses_a_set_does_not_take_its_reps_back(shared_data):
    # WorkoutTracker's 55 s push-up video from pixels: one re-analysis, at 22.6 s, read 3 reps
    # where the readings before and after read 18, and the live count went 18 -> 3 -> 18. A rep
    # sent is withdrawn only when two readings in a row lack it (or the last one does).
    from training.eval_activity import run_video, stream_keypoints

    kps, fps, _ = run_video(shared_data / "workouttracker" / "videos" / "push-ups" / "videoplayback.mp4")
    live = stream_keypoints(kps, fps)
    counts = live["live_counts"]
    assert max(counts) >= 18
    assert max(a - b for a, b in zip(counts, counts[1:])) <= 1
    # The whole 55 s: the events add up (they did not when two sent reps were read as one long
    # cycle; see the test above).
    assert live["sent_reps"] - live["withdrawn_reps"] == len(live["rep_events"])


def test_one_long_reading_of_two_sent_reps_holds_only_one_of_them():
    # WorkoutTracker's 55 s push-up video, new student: reps with bottoms at 47.8 and 49.1 s were
    # sent, then the last reading found one long cycle over both (bottom 49.3 s). Each overlapped it
    # by more than half, so neither was "unseen" and neither withdrawn, while the count held one:
    # the events sent no longer added up. Matching is now one to one, closest bottoms first.
    from posekit.activity.results import RepEvent
    from posekit.activity.streaming import _unmatched

    a = RepEvent(48.6, "push_up", "full", 47.2, 47.77, 48.6)
    b = RepEvent(49.8, "push_up", "full", 48.6, 49.1, 49.8)
    long = RepEvent(49.9, "push_up", "full", 47.3, 49.3, 49.9)
    assert _unmatched([a, b], [long], 0.25) == [a]  # b (bottom closer) is held, a is not
    assert _unmatched([long], [a, b], 0.25) == []  # and the long reading is held by one of them
    assert _unmatched([a, b], [a, b], 0.25) == []


def test_a_stream_longer_than_the_buffer_keeps_the_reps_that_left_it():
    from training.eval_activity import stream_keypoints

    # Lunges, whose rep boundaries move between re-analyses (a version of this once kept the
    # same rep twice, its bottom read 0.4 s apart by two buffers).
    m, arr = make_sequence("lunge", 13, seconds=45.0)
    tracker = ActivityTracker(window_s=10.0)
    live = stream_keypoints(arr["noisy"], 30.0, tracker)
    assert tracker._frozen  # reps left the 10 s buffer and were kept
    assert abs(live["reps_total"] - true_reps(m)) <= REP_TOL
    full = [e for e in live["rep_events"] if e["quality"] == "full"]
    assert all(b["bottom_s"] > a["end_s"] - 0.05 for a, b in zip(full, full[1:]))  # each rep once, in order


@needs_bundled
def test_tracker_model_selection():
    from pathlib import Path

    import posekit
    from posekit.activity import ActivityTracker

    path = Path(posekit.__file__).parent / "models" / "activity_lstm_int8.tflite"  # posekit's own classes
    assert ActivityTracker(activity_model=path).classifier.name == str(path)
    assert ActivityTracker(activity_model="activity_motionbert_float16").classifier.name == "activity_motionbert_float16"
    assert ActivityTracker(activity_model=False).classifier is None
    assert ActivityTracker().classifier.name == "activity_lstm_int8"


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


def test_a_final_rep_read_again_with_its_bottom_moved_is_not_a_new_rep():
    """A partial push-up frozen as read (it left the re-analysed buffer) and then read whole, its
    bottom now past the frozen reading's end, is that rep again: counting it anew counted one rep
    twice while the stream sent one event (a 31-rep push-up video read 35 reps for 34 events)."""
    from posekit.activity.results import Activity, RepEvent, RepQuality
    from posekit.activity.streaming import _after_final

    def rep(start, bottom, end, quality=RepQuality.FULL):
        return RepEvent(end, Activity.PUSH_UP, quality, start, bottom, end)

    frozen = [rep(21.0, 21.3, 21.6), rep(22.23, 22.37, 22.43, RepQuality.PARTIAL)]
    again, before, nxt = rep(22.23, 22.53, 22.63), rep(22.0, 22.3, 22.5), rep(22.63, 23.1, 23.5)
    assert _after_final([before, again, nxt], frozen, bottom_tol=0.2) == [nxt]
    assert _after_final([before, again, nxt], [], bottom_tol=0.2) == [before, again, nxt]
