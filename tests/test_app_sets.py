"""The app's workout panel (app/sets.py) and spoken cues (app/speech.py), without a window."""

import threading
import time

from app.sets import caption, rest_text, set_view
from app.speech import Speaker
from posekit.activity import Activity, ActivityFrame, ActivityReport, ExerciseSegment


def report(*segments, total=None):
    segs = tuple(ExerciseSegment(label=lab, start_s=a, end_s=b, reps=n) for lab, a, b, n in segments)
    return ActivityReport(exercises=segs, reps_total=total if total is not None else sum(s.reps for s in segs),
                          rep_events=(), form_cues=(), falls=())


def frame(label, t_ms=0.0):
    return ActivityFrame(timestamp_ms=t_ms, label=label, confidence=1.0, reps=0)


def test_the_set_in_progress_then_the_rest_after_it():
    s = report((Activity.SQUAT, 2.0, 30.0, 8), (Activity.PUSH_UP, 60.0, 80.0, 5))
    v = set_view(s, frame(Activity.PUSH_UP), 80.0)
    assert (v.exercise, v.reps, v.running, v.total, v.rest_s) == ("Push-up", 5, True, 13, None)
    assert v.sets == ("1. Squat  8 reps", "2. Push-up  5 reps")
    assert caption(v) == "reps this set  ·  total 13" and rest_text(v) == ""
    v = set_view(s, frame(Activity.STANDING), 103.4)
    assert (v.exercise, v.reps, v.running) == ("Push-up", 5, False)
    assert rest_text(v) == "rest 0:23" and caption(v) == "reps, last set  ·  total 13"


def test_a_plank_is_timed_and_nothing_before_the_first_set():
    v = set_view(report((Activity.PLANK, 10.0, 52.0, 0)), frame(Activity.PLANK), 52.0)
    assert v.sets == ("1. Plank  0:42",) and v.running
    v = set_view(report(), frame(Activity.STANDING), 5.0)
    assert (v.exercise, v.reps, v.sets, v.rest_s) == ("Waiting for an exercise", 0, (), None)
    assert caption(v) == "reps"
    assert set_view(report((Activity.SQUAT, 0.0, 9.0, 1)), None, 12.0).sets == ("1. Squat  1 rep",)


def test_speaker_says_each_cue_once_in_a_while_and_never_over_itself():
    said, release = [], threading.Event()

    def backend(text):
        said.append(text)
        release.wait(2)

    sp = Speaker(backend, repeat_s=60)
    assert sp.available and sp.say("Squat deeper")
    assert not sp.say("Keep your back straight")  # busy saying the first
    release.set()
    time.sleep(0.1)
    assert not sp.say("Squat deeper")  # said a moment ago
    assert sp.say("Keep your back straight")
    time.sleep(0.1)
    assert said == ["Squat deeper", "Keep your back straight"]


def test_no_speech_backend_is_quiet():
    sp = Speaker(backend=None)
    sp._backend = None  # a machine without any text-to-speech
    assert not sp.available and not sp.say("anything")
