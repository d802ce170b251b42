"""Pose runtime benchmarks: per-frame overhead, tracker end to end, model latency vs the teacher.

Targets are checked as ratios measured in the same run (the machine is shared and noisy). The
issue asks for a student int8 invoke <= 1/4 of the teacher's. Whether int8 gets there depends on
the CPU: with AVX-512 VNNI the shipped student's int8 build runs at 0.13 of the teacher (the
previous, wider network's at 0.14), while that previous network's int8 build ran at 0.32 on a
machine where int8 was slower than float16. The
benchmark records the ratio and whether it meets the target (``meets_target``; RESULTS.md names
the CPU's SIMD features) and asserts only a regression guard (``LATENCY_GUARD``), which the larger
previous network passed on the machine where its int8 build was the slower one. Runtime overhead
per frame < 0.5 ms is reported in RESULTS.md from these numbers.
"""

import numpy as np
import pytest

from posekit import PoseTracker
from posekit.options import SmoothingOptions
from posekit.pose.model import PoseModel
from posekit.pose.roi import crop, roi_from_landmarks
from posekit.pose.smoothing import LandmarkSmoother
from posekit.types import PoseResult

RESULTS: dict[str, float] = {}
#: The issue's target for student / teacher invoke time, and the bound this benchmark asserts. The
#: bound catches a regression (a slower export, a larger network) without failing on this shared
#: machine's noise or on a CPU without int8 dot-product instructions (see the module docstring).
LATENCY_TARGET, LATENCY_GUARD = 0.25, 0.40


def _median_ms(benchmark):
    return benchmark.stats.stats.median * 1e3 if benchmark.stats else float("nan")


@pytest.fixture(scope="module")
def student():
    return PoseModel(num_threads=1)


@pytest.mark.parametrize("layout", ["contiguous", "video_view", "low_res"])
def test_runtime_overhead_excluding_invoke(benchmark, student, video_frames, layout):
    """Everything the tracker does per frame except ``interpreter.invoke()``: motion map and the
    stale-track test, crop, decode, ROI, smoothing. ``video_view``: the frame as ``FrameSource``
    and the app hand it over, an RGB view (``bgr[..., ::-1]``) of the decoder's BGR array.
    ``low_res``: the bundled 400x300 sample clip, where the person's ROI is under twice the
    crop's size and the sampler takes bilinear taps (the 720p clip's ROI takes nearest taps)."""
    if layout == "video_view":
        video_frames = [np.ascontiguousarray(f[..., ::-1])[..., ::-1] for f in video_frames[:2]]
    if layout == "low_res":
        from posekit.cli import sample_clip
        from posekit.video import FrameSource

        with FrameSource(sample_clip()) as src:
            video_frames = [np.ascontiguousarray(f.rgb) for _, f in zip(range(2), src)]
    frame = video_frames[0]
    tr = PoseTracker(model=student)
    r0 = tr.process(frame, 0)
    assert r0 is not None
    roi = r0.roi
    uv = roi.to_crop(r0.xy)
    smoother = LandmarkSmoother(SmoothingOptions())
    state = {"t": 0}

    def overhead():
        tr._motion.update(video_frames[state["t"] // 33 % 2], state["t"] + 33)
        tr._stale(roi, state["t"] + 33)
        crop(frame, roi, student.input_size, out=student._input[0])  # as PoseModel.predict does
        xy = roi.to_image(uv)
        nxt = roi_from_landmarks(xy, r0.conf)
        state["t"] += 33
        sxy, sc = smoother(xy, r0.conf, state["t"])
        return PoseResult(xy=sxy, conf=sc, score=0.9, roi=nxt, timestamp_ms=state["t"], image_size=(1, 1))

    benchmark(overhead)
    RESULTS[f"overhead_ms_{layout}"] = _median_ms(benchmark)


@pytest.mark.parametrize("name", ["student_int8", "student_float16", "teacher"])
def test_invoke_latency_one_thread(benchmark, name, shared):
    if name == "teacher":
        from training.teacher import TEACHER_ENTRY

        m = PoseModel(str(shared / "models" / "mediapipe" / "pose_landmark_full.tflite"), entry=TEACHER_ENTRY)
    else:
        m = PoseModel(f"pose_{name}")
    m.net.run(np.random.default_rng(0).random(m._input.shape).astype(np.float32))
    benchmark(m.net.invoke_only)
    RESULTS[f"invoke_{name}_ms"] = _median_ms(benchmark)


@pytest.mark.parametrize("name", ["student_int8", "student_float16", "teacher", "teacher_detector"])
def test_invoke_latency_two_threads(benchmark, name, shared):
    """Same interpreter, two threads; the MediaPipe person detector (pose_detection.tflite) too."""
    from posekit.runtime import TFLiteModel

    mp = shared / "models" / "mediapipe"
    path = {"teacher": mp / "pose_landmark_full.tflite", "teacher_detector": mp / "pose_detection.tflite"}.get(name)
    net = TFLiteModel(str(path) if path else f"pose_{name}", num_threads=2)
    d = net.inputs[0]
    net.run(np.random.default_rng(0).random(d["shape"]).astype(np.float32))
    benchmark(net.invoke_only)


def _median_invoke_ms(model: PoseModel, n: int) -> float:
    import statistics
    import time

    model.net.run(np.random.default_rng(0).random(model._input.shape).astype(np.float32))
    times = []
    for _ in range(n):
        t = time.perf_counter()
        model.net.invoke_only()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


@pytest.mark.parametrize("name", ["student_int8", "student_float16"])
def test_student_vs_teacher_invoke_ratio(benchmark, shared, name):
    """Student / teacher invoke time, interleaved in one run on one thread: recorded against the
    issue's 1/4 (``meets_target``), asserted against ``LATENCY_GUARD``."""
    from training.teacher import TEACHER_ENTRY

    teacher = PoseModel(str(shared / "models" / "mediapipe" / "pose_landmark_full.tflite"), entry=TEACHER_ENTRY)
    student = PoseModel(f"pose_{name}")
    ratios = [_median_invoke_ms(student, 10) / _median_invoke_ms(teacher, 5) for _ in range(3)]
    ratio = float(np.median(ratios))
    benchmark.extra_info.update(over_teacher=round(ratio, 3), meets_target=bool(ratio <= LATENCY_TARGET), guard=LATENCY_GUARD)
    benchmark(student.net.invoke_only)
    assert ratio <= LATENCY_GUARD


def test_tracker_process_end_to_end(benchmark, video_frames):
    tr = PoseTracker()
    state = {"i": 0}

    def step():
        i = state["i"]
        state["i"] += 1
        return tr.process(video_frames[i % len(video_frames)], i * 33)

    benchmark(step)
    RESULTS["tracker_ms"] = _median_ms(benchmark)


def test_two_threads_each_with_its_own_tracker(benchmark, video_frames):
    """Frames per second of one ``PoseTracker`` on one thread against two trackers on two threads
    (one per thread, as the SDK says), the same frames, in one run. Reported as the ratio of the
    two throughputs; a shared tracker would refuse the second thread (tests/test_bad_inputs.py)."""
    import threading
    import time

    frames = [np.ascontiguousarray(f) for f in video_frames[:12]] * 5

    def run(tracker, base):
        for i, f in enumerate(frames):
            tracker.process(f, base + i * 33)

    def both():
        one = PoseTracker()
        t0 = time.perf_counter()
        run(one, 0)
        single = len(frames) / (time.perf_counter() - t0)
        pair = [PoseTracker(), PoseTracker()]
        threads = [threading.Thread(target=run, args=(p, 0)) for p in pair]
        t0 = time.perf_counter()
        [t.start() for t in threads]
        [t.join() for t in threads]
        return single, 2 * len(frames) / (time.perf_counter() - t0)

    single, double = benchmark.pedantic(both, rounds=1, iterations=1)
    benchmark.extra_info.update(fps_one_thread=round(single, 1), fps_two_threads=round(double, 1),
                                two_thread_ratio=round(double / single, 2))
    assert double > 0.8 * single  # two threads are no slower than one (no hidden global lock)
