"""Activity layer and cost-of-growth benchmarks.

* Classifier invoke per window for every bundled activity model (1 and 2 threads), and a window as
  the SDK classifies it (with its mirror image: two invokes, one thread); the whole
  streaming activity layer per frame (ActivityTracker.update on a pose stream).
* Time vs video length (Session over 150 / 300 / 600 frames of the sample clip, looped: per-frame
  cost must stay flat), peak RSS of a long run in a fresh process, ``import posekit`` time, and the
  installed runtime's size.

Absolute figures go to RESULTS.md; asserts are ratios from the same run, or deterministic sizes.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import posekit
from posekit.activity import ActivityTracker
from posekit.activity.classifier import CHANNELS, TOKENS, WINDOW, ActivityClassifier
from posekit.runtime import bundled_model_names
from posekit.types import PoseResult

REPO = Path(__file__).resolve().parent.parent
ACTIVITY_MODELS = bundled_model_names("activity")


@pytest.mark.skipif(not ACTIVITY_MODELS, reason="no activity model bundled")
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", ACTIVITY_MODELS or ["none"])
def test_classifier_window_latency(benchmark, name, threads):
    clf = ActivityClassifier(name, num_threads=threads)
    x = np.random.default_rng(0).random((1, WINDOW, TOKENS, CHANNELS)).astype(np.float32)
    clf.model.run(x)
    benchmark(clf.model.invoke_only)
    benchmark.extra_info["model"] = name


@pytest.mark.skipif(not ACTIVITY_MODELS, reason="no activity model bundled")
@pytest.mark.parametrize("name", ACTIVITY_MODELS or ["none"])
def test_classifier_window_with_mirror(benchmark, name):
    """One window as the SDK classifies it: the window and its mirror image (two invokes), averaged."""
    clf = ActivityClassifier(name, num_threads=1)
    assert clf.mirror
    x = np.random.default_rng(0).random((1, WINDOW, TOKENS, CHANNELS)).astype(np.float32)
    benchmark(clf.predict, x)
    benchmark.extra_info["model"] = name


def _pose_stream(n: int) -> list[PoseResult]:
    from training.synth.dataset import make_sequence

    _, arr = make_sequence("squat", 11, seconds=n / 30.0 + 1)
    kps = arr["noisy"][:n]
    return [PoseResult(xy=np.nan_to_num(k[:, :2]), conf=np.where(np.isnan(k[:, 2]), 0.0, k[:, 2]), score=0.9,
                       roi=None, timestamp_ms=int(i * 1000 / 30), image_size=(480, 360)) for i, k in enumerate(kps)]


def test_activity_layer_per_frame(benchmark):
    """ActivityTracker.update per frame (amortised over its 20-frame re-analysis of a 20 s buffer), bundled classifier."""
    stream = _pose_stream(900)
    state = {"tr": ActivityTracker(), "i": 0}

    def step():
        i = state["i"]
        state["i"] = (i + 1) % len(stream)
        if i == 0:
            state["tr"] = ActivityTracker()
        p = stream[i]
        return state["tr"].update(p, p.timestamp_ms)

    for _ in range(300):  # fill the buffer first: steady state, not start-up
        step()
    benchmark.pedantic(step, rounds=600, iterations=1)
    benchmark.extra_info["classifier"] = state["tr"].classifier.name if state["tr"].classifier else None


def _session_ms_per_frame(frames: list[np.ndarray], n: int) -> float:
    with posekit.Session(activity=ActivityTracker()) as s:
        t = time.perf_counter()
        for i in range(n):
            s.process(frames[i % len(frames)], int(i * 1000 / 30))
        return (time.perf_counter() - t) * 1e3 / n


@pytest.fixture(scope="module")
def sample_frames():
    from posekit.cli import sample_clip
    from posekit.video import FrameSource

    with FrameSource(sample_clip()) as src:
        return [np.ascontiguousarray(f.rgb) for f in src]


def test_time_is_linear_in_video_length(benchmark, sample_frames):
    lengths = (150, 300, 600)
    per = {}

    def run():
        per.update({n: _session_ms_per_frame(sample_frames, n) for n in lengths})

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["ms_per_frame"] = {str(k): round(v, 3) for k, v in per.items()}
    benchmark.extra_info["total_ms"] = {str(k): round(v * k, 1) for k, v in per.items()}
    # Linear: per-frame cost of the longest run within 1.5x of the shortest (same run, noisy machine).
    assert per[600] <= 1.5 * per[150]


RSS_SCRIPT = """
import json, resource, sys, numpy as np, posekit
from posekit.activity import ActivityTracker
from posekit.cli import sample_clip
from posekit.video import FrameSource
n, i = int(sys.argv[1]), 0


def rss_mb():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")) / 1024


warm = None
with posekit.Session(activity=ActivityTracker()) as s:
    while i < n:  # the clip replayed from disk: frames stream, nothing accumulates but posekit's state
        with FrameSource(sample_clip()) as src:
            for f in src:
                s.process(f.rgb, int(i * 1000 / 30))
                i += 1
                if i == 1000:  # warmed up: interpreters, buffers, the activity window full
                    warm = rss_mb()
                if i == n:
                    break
    summary = s.summary()
end = rss_mb()
# VmHWM: this process's own peak (ru_maxrss survives exec and would count the forking parent's).
try:
    peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"maxrss_mb": peak_kb / 1024, "frames": n, "rss_growth_mb": round(end - warm, 2)}))
"""


def test_peak_rss_of_a_long_run(benchmark):
    """Peak RSS of a fresh process running Session + activity over 20,000 frames (11 min of video
    at 30 FPS; 3,000 in CI's quick mode, ``--benchmark-disable``), and how much RSS grew from frame
    1,000 (warmed up) to the last: a soak test for leaks."""
    out = {}
    n = 3000 if benchmark.disabled else 20000

    def run():
        r = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(n)], capture_output=True, text=True, check=True,
                           timeout=900)
        out.update(json.loads(r.stdout.strip().splitlines()[-1]))

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(out)
    # The target is 150 MB. The person detector's interpreter (float32, its tensor arena
    # and XNNPACK's packed weights) adds about 38 MB (93 -> 130 MB in one venv, 130 -> 169 MB in a
    # freshly made one, whose baseline is higher for reasons not traced): the bound below catches
    # growth beyond that, and docs/figures.md says the target is not met.
    assert out["maxrss_mb"] <= 200
    assert out["rss_growth_mb"] <= 10


def test_import_time(benchmark):
    """``import posekit`` in a fresh interpreter, next to ``import numpy`` alone (ratio, same run)."""
    def timed(stmt: str) -> float:
        code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
        return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                         check=True).stdout) for _ in range(5))

    res = {}
    benchmark.pedantic(lambda: res.update(posekit=timed("import posekit"), numpy=timed("import numpy")),
                       rounds=1, iterations=1)
    benchmark.extra_info["import_posekit_s"] = round(res["posekit"], 4)
    benchmark.extra_info["import_numpy_s"] = round(res["numpy"], 4)
    # posekit adds little on top of numpy: LiteRT and the models load lazily.
    assert res["posekit"] <= 3 * res["numpy"] + 0.05


def test_installed_runtime_size(benchmark):
    """Bytes of the runtime package as installed (code + bundled models + sample clip), no caches."""
    root = Path(posekit.__file__).parent
    res = {}

    def measure():
        files = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        res["total"] = sum(p.stat().st_size for p in files)
        res["models"] = sum(p.stat().st_size for p in (root / "models").glob("*.tflite"))
        res["sample"] = sum(p.stat().st_size for p in (root / "data").glob("*"))

    benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update({f"{k}_kb": round(v / 1024) for k, v in res.items()})
    # The pose networks and activity models (3.8 MB) and MediaPipe's person detector as published
    # (float32, 2.9 MB).
    assert res["models"] <= 8 * 1024 * 1024
