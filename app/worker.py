"""The inference worker: owns its capture and its own interpreter; drops frames when it lags."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

import posekit

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class WorkerResult:
    """One processed frame, as the worker hands it to the UI.

    Attributes:
        frame: (H, W, 3) RGB with the skeleton drawn.
        pose: the frame's pose, or None.
        activity: the activity at this frame (after the video ends: the flushed last reading).
        summary: everything the engine found so far (the same engine state as ``activity``).
        timings_ms: per-stage milliseconds ('pose', 'activity', 'total', ...).
        fps: the loop's rate at this frame.
        index: the frame's index in the video or camera stream.
        dropped: frames skipped so far to keep real time.
    """

    frame: np.ndarray
    pose: posekit.PoseResult | None
    activity: posekit.ActivityFrame | None
    summary: posekit.ActivityReport
    timings_ms: dict[str, float]
    fps: float
    index: int
    dropped: int


class Worker(threading.Thread):
    """Reads frames itself (a file or a desktop camera through OpenCV, a phone's camera through
    Kivy's Android provider: :mod:`app.camera`; Kivy's OpenCV camera provider breaks on OpenCV 5), runs a posekit
    Session, and hands each result to ``on_result`` (called on this thread; the app forwards it
    to the UI with ``Clock.schedule_once``).

    Video files play in real time: when inference falls behind, frames are skipped (grabbed, not
    decoded into the pipeline), never queued. ``realtime=False`` processes every frame (tests).
    """

    def __init__(self, source: int | str | Path, on_result: Callable[[WorkerResult], None],
                 on_error: Callable[[str], None], *, model: str | None = None, smoothing: bool = True,
                 mirror: bool = False, realtime: bool = True, num_threads: int = 1, exercise: str | None = None) -> None:
        super().__init__(daemon=True, name="posekit-worker")
        self.source, self.on_result, self.on_error = source, on_result, on_error
        self.exercise = exercise
        self.tracker = None
        self.model, self.smoothing, self.mirror, self.realtime, self.num_threads = model, smoothing, mirror, realtime, num_threads
        self._halt = threading.Event()
        self.frames = self.dropped = 0
        self.finished = False

    def stop(self) -> None:
        self._halt.set()

    def set_exercise(self, exercise: str | None) -> None:
        """Fix the exercise (None: automatic); applies from the tracker's next analysis."""
        self.exercise = exercise
        if self.tracker is not None:
            self.tracker.exercise = exercise  # one attribute store: safe across threads

    def run(self) -> None:
        try:
            self._run()
        except Exception as e:  # the UI must show the problem instead of dying silently
            log.exception("worker failed")
            self.on_error(f"{type(e).__name__}: {e}")
        finally:
            self.finished = True

    def _open(self):
        import cv2

        if isinstance(self.source, int):
            from .camera import open_camera

            return open_camera(self.source), 0.0
        path = Path(self.source)
        if not path.is_file():
            raise RuntimeError(f"video {str(path)!r} does not exist")
        cap = cv2.VideoCapture(str(path))
        if not cap.isOpened():
            raise RuntimeError(f"video {str(path)!r} could not be read")
        fps = cap.get(cv2.CAP_PROP_FPS)
        return cap, fps if fps and 1 <= fps <= 240 else 30.0

    def _run(self) -> None:
        from posekit.draw import draw_pose
        from posekit.video import file_time_ms

        cap, fps = self._open()
        self.tracker = posekit.ActivityTracker(exercise=self.exercise)
        # A camera does not cut between shots (its "cuts" would be lights switched on): only files look.
        session = posekit.Session(posekit.PoseOptions(model=self.model, num_threads=self.num_threads,
                                                      smoothing=posekit.SmoothingOptions(enabled=self.smoothing),
                                                      cut_detection=bool(fps)),
                                  activity=self.tracker)
        t_start = time.perf_counter()
        index = -1
        last_t = t_start
        last: WorkerResult | None = None
        last_ts = -1
        try:
            while not self._halt.is_set():
                if fps and self.realtime:
                    # Play at the video's rate: wait when ahead; when behind, skip to the frame the
                    # wall clock says is current (drop, do not queue).
                    ahead = (index + 1) / fps - (time.perf_counter() - t_start)
                    if ahead > 0:
                        self._halt.wait(ahead)
                    due = int((time.perf_counter() - t_start) * fps)
                    while index + 1 < due:
                        if not cap.grab():
                            break
                        index += 1
                        self.dropped += 1
                ok, bgr = cap.read()
                if not ok:
                    break
                index += 1
                rgb = bgr[:, :, ::-1]
                if self.mirror:
                    rgb = rgb[:, ::-1]
                ts = file_time_ms(cap, index, fps, last_ts) if fps else int((time.perf_counter() - t_start) * 1000)
                last_ts = ts
                t0 = time.perf_counter()
                r = session.process(rgb, ts)
                overlay = draw_pose(rgb, r.pose)
                now = time.perf_counter()
                self.frames += 1
                loop_fps = 1.0 / max(now - last_t, 1e-6)
                last_t = now
                last = WorkerResult(frame=overlay, pose=r.pose, activity=r.activity, summary=session.summary(),
                                    timings_ms={**r.timings_ms, "total": (now - t0) * 1e3}, fps=loop_fps,
                                    index=index, dropped=self.dropped)
                self.on_result(last)
            if last is not None and not self._halt.is_set():
                # The video ended: the activity layer reads its last frames (a final rep or fall),
                # and the last frame is shown again with the final counts.
                self.on_result(dataclasses.replace(last, activity=session.flush(), summary=session.summary()))
            elif last is None and not self._halt.is_set():
                raise RuntimeError(f"{self.source!r} gave no frame that could be decoded")
        finally:
            cap.release()
