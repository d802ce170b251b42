"""One engine: the same poses give the same report live (Session, ActivityTracker, posekit run) and
offline (analyze_keypoints, posekit analyze of the run's frames.jsonl), and what a HUD shows at any
frame adds up to that report."""

import json

import numpy as np
import pytest

import posekit
from posekit.activity import ActivityTracker, Activity, analyze_keypoints, load_frames
from posekit.cli import main as cli, sample_clip
from posekit.pose.roi import Roi
from posekit.types import PoseResult
from posekit.video import FrameSource
from training.synth.dataset import make_circuit

#: The keys of summary.json that the activity engine writes.
REPORT_KEYS = ("exercises", "reps_total", "rep_events", "form_cues", "falls", "still_down")


def _report(summary: dict) -> dict:
    return {k: summary[k] for k in REPORT_KEYS}


def _run_and_analyze(video, tmp_path) -> tuple[dict, dict]:
    run_out, analyze_out = tmp_path / "run", tmp_path / "analyze"
    assert cli(["run", str(video), "--out", str(run_out), "--quiet"]) == 0
    assert cli(["analyze", str(run_out / "frames.jsonl"), "--out", str(analyze_out)]) == 0
    live = json.loads((run_out / "summary.json").read_text())
    offline = json.loads((analyze_out / "summary.json").read_text())
    return live, offline


def _session(video) -> tuple[posekit.ActivityReport, list[posekit.ActivityFrame]]:
    frames = []
    with posekit.Session(activity=ActivityTracker()) as s, FrameSource(video) as src:
        for f in src:
            frames.append(s.process(f.rgb, f.timestamp_ms).activity)
        frames.append(s.flush())
        return s.summary(), frames


def _hud_adds_up(frames: list[posekit.ActivityFrame], report: posekit.ActivityReport) -> None:
    """At every frame the count on screen is the full reps sent so far minus those withdrawn, and
    after the flush it is the report's total."""
    shown = 0
    for fr in frames:
        shown += sum(r.quality is posekit.RepQuality.FULL for r in fr.new_reps)
        shown -= sum(r.quality is posekit.RepQuality.FULL for r in fr.withdrawn_reps)
        assert fr.reps == shown
    assert frames[-1].reps == report.reps_total
    assert sum(len(fr.new_falls) for fr in frames) == len(report.falls)
    assert [c for fr in frames for c in fr.new_cues] == list(report.form_cues)


def test_sample_clip_reads_the_same_live_and_offline(tmp_path):
    """The bundled clip (squats, then a fall): posekit run, posekit analyze of its frames.jsonl,
    a Session in process and analyze_keypoints of the same frames give one report."""
    live, offline = _run_and_analyze(sample_clip(), tmp_path)
    assert _report(live) == _report(offline)
    assert live["reps_total"] >= 2 and len(live["falls"]) == 1  # the clip's content, read at all
    report, frames = _session(sample_clip())
    assert report.to_dict() == _report(live)
    _hud_adds_up(frames, report)
    kps, ts, cuts = load_frames(tmp_path / "run" / "frames.jsonl")
    assert analyze_keypoints(kps, None, timestamps_ms=ts, cuts=cuts).to_dict() == _report(live)


@pytest.mark.parametrize("clip", ["squats/squat_17.mp4", "push-ups/push-up_21.mp4"])
def test_workouttracker_clips_read_the_same_live_and_offline(shared_data, tmp_path, clip):
    live, offline = _run_and_analyze(shared_data / "workouttracker" / "videos" / clip, tmp_path)
    assert _report(live) == _report(offline)
    assert live["reps_total"] >= 1


def _poses(kps: np.ndarray, ts: np.ndarray) -> list[PoseResult | None]:
    return [None if np.isnan(row[:, :2]).all() else PoseResult(
        xy=row[:, :2].astype(np.float32), conf=row[:, 2].astype(np.float32), score=1.0, roi=Roi(0.0, 0.0, 1.0),
        timestamp_ms=int(t), image_size=(640, 480)) for row, t in zip(kps, ts)]


@pytest.mark.parametrize("kinds,seed", [(("squat", "jumping_jack", "lunge", "fall"), 11),
                                        (("push_up", "plank", "squat", "fall"), 12)])
def test_long_circuits_read_the_same_live_and_offline(kinds, seed):
    """Circuits of 48 s (longer than the engine's 20 s buffer: reps leave it and are frozen),
    several exercises and a fall at the end, fed frame by frame and as one array."""
    kps, _ = make_circuit(kinds, seed, seconds=12.0)
    kps = kps.astype(np.float32).astype(np.float64)  # what a PoseResult carries
    ts = np.round(np.arange(len(kps)) * 1000.0 / 30.0).astype(np.int64)
    assert len(kps) >= 30 * 30
    tracker = ActivityTracker()
    frames = [tracker.update(p, int(t)) for p, t in zip(_poses(kps, ts), ts)] + [tracker.flush()]
    live = tracker.summary()
    offline = analyze_keypoints(kps, None, timestamps_ms=ts)
    assert live.to_dict() == offline.to_dict()
    assert [f.label.value for f in frames[:-1]] == list(offline.frame_labels)
    _hud_adds_up(frames, live)
    assert live.reps_total >= 5 and len({s.label for s in live.exercises}) >= 2  # read at all
    assert live.falls and live.falls[-1].onset_s > 30.0


def test_a_plank_is_a_set_live_as_offline():
    """A plank held is a set without reps in both summaries (the live one used to list sets
    from reps only)."""
    kps, _ = make_circuit(("plank",), 3, seconds=12.0)
    ts = np.round(np.arange(len(kps)) * 1000.0 / 30.0).astype(np.int64)
    tracker = ActivityTracker()
    for p, t in zip(_poses(kps, ts), ts):
        tracker.update(p, int(t))
    tracker.flush()
    live = tracker.summary()
    assert [s.label for s in live.exercises] == [Activity.PLANK] and live.exercises[0].reps == 0
    assert live.exercises[0].end_s - live.exercises[0].start_s >= 6.0
    assert analyze_keypoints(kps.astype(np.float32).astype(np.float64), None, timestamps_ms=ts).to_dict() == \
        live.to_dict()


def test_results_are_typed_and_serialise():
    kps, _ = make_circuit(("squat",), 5, seconds=8.0)
    report = analyze_keypoints(kps, 30.0)
    assert isinstance(report, posekit.ActivityReport) and report.reps_total >= 1
    rep = report.rep_events[0]
    assert isinstance(rep.exercise, Activity) and rep.exercise == "squat" and rep.quality in ("full", "partial")
    assert rep.eccentric_s > 0 and rep.concentric_s > 0
    d = report.to_dict()
    assert json.loads(json.dumps(d)) == d  # plain JSON: no enums, no NumPy values
    assert d["rep_events"][0]["exercise"] == "squat" and set(d) == set(REPORT_KEYS)
    assert Activity.PUSH_UP.title == "Push-up" and Activity.EXERCISE.title.startswith("Exercise")
    assert {a.value for a in Activity} == {*posekit.activity.labels.LABELS, "exercise"}


def test_results_hold_python_numbers():
    """Every number in a result is a Python int, float or bool (a NumPy bool is not JSON)."""
    kps, _ = make_circuit(("squat", "fall"), 21, seconds=8.0)
    ts = np.round(np.arange(len(kps)) * 1000.0 / 30.0).astype(np.int64)
    tracker = ActivityTracker()
    frames = [tracker.update(p, int(t)) for p, t in zip(_poses(kps, ts), ts)] + [tracker.flush()]
    report = tracker.summary()
    assert report.falls and report.rep_events
    for obj in (*frames, *report.rep_events, *report.falls, *report.exercises, *report.form_cues):
        for f in obj.__dataclass_fields__:
            v = getattr(obj, f)
            assert not isinstance(v, np.generic), (type(obj).__name__, f, type(v))
