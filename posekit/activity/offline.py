"""``analyze_keypoints``: a whole keypoint sequence from any pose estimator through the activity engine."""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from ..errors import InvalidInputError
from .body import check_fps, check_timestamps
from .classifier import ActivityClassifier, bundled_classifier
from .inputs import check_cuts, read_body13
from .options import FallOptions, FormOptions, RepOptions
from .phase import PhaseModel
from .results import ActivityReport
from .streaming import ActivityTracker, check_exercise


def analyze_keypoints(keypoints: np.ndarray, fps: float | None, *, layout: str = "blazepose33",
                      rep_options: RepOptions | None = None, fall_options: FallOptions | None = None,
                      form_options: FormOptions | None = None,
                      activity_model: str | os.PathLike[str] | None = None, classify: bool = True,
                      exercise: str | None = None, image_size: tuple[float, float] | None = None,
                      cuts: list[int] | tuple[int, ...] | np.ndarray | None = None,
                      timestamps_ms: list[float] | np.ndarray | None = None,
                      phase_model: str | os.PathLike[str] | PhaseModel | bool | None = None) -> ActivityReport:
    """Sets, repetitions, form cues and falls in a keypoint sequence from any pose estimator.

    The sequence goes through the same engine as a live stream (:class:`ActivityTracker`, frame
    by frame, then flushed), so the same poses at the same times read the same here as in
    :class:`posekit.Session`, ``posekit run`` and the demo app.

    Args:
        keypoints: (T, K, 2|3|4|5) in pixels or normalised coordinates: (x, y), (x, y, conf),
            (x, y, z, conf), or MediaPipe Tasks' (x, y, z, visibility, presence); missing frames
            as NaN or all-zero rows. K must match ``layout``.
        fps: frame rate of the sequence (None with ``timestamps_ms``: their times are used).
        layout: 'blazepose33', 'coco17', 'penn13', 'body13', 'lsp14', or OpenPose's 'body25' and
            'openpose18' (``posekit.keypoints.LAYOUTS``).
        rep_options, fall_options, form_options: the engine's thresholds.
        activity_model: bundled classifier name or .tflite path; None = the bundled default.
        classify: False skips the exercise classifier (generic 'exercise' sets, no form cues).
        exercise: the exercise, when known (e.g. chosen by the user): overrides the classifier's
            exercise labels (the classifier still informs fall detection).
        image_size: (width, height) of the source video when the coordinates are normalised by
            image size (as MediaPipe's are): restores the true aspect ratio, which angles and the
            "lying = wider than tall" test need. Ignored for pixel coordinates. Without it,
            coordinates that all lie within 2 of 0 are read on one scale, with an InputWarning.
        cuts: frame indices where the video cuts to a new shot (an edited video; where
            ``PoseResult.shot`` counts up): each shot is analysed on its own, so no rep or fall
            spans a cut.
        timestamps_ms: each frame's time, for video whose frame rate varies (phones record so in
            low light) or that dropped frames: the frames are read on their own times.
        phase_model: the rep phase model, as for :class:`~posekit.ActivityTracker` (None: the
            bundled one, unless ``classify`` is False; False: none).

    Returns:
        The report; ``frame_labels`` holds the label shown at each given frame.

    Raises:
        InvalidInputError: wrong shape, unknown layout, bad fps, bad cuts, bad timestamps (or an
            fps they contradict), a bad option, or no usable frame.
        ModelError: ``activity_model`` cannot be loaded.

    Example:
        >>> report = posekit.analyze_keypoints(kps, fps=30)   # doctest: +SKIP
        >>> report.reps_total, [f.onset_s for f in report.falls]
    """
    exercise = check_exercise(exercise)
    body, positions = read_body13(keypoints, layout, image_size)
    n = len(body)
    if timestamps_ms is not None:
        ts = check_timestamps(timestamps_ms, n)
        if fps is not None and n > 1:
            mean_fps = (n - 1) * 1000.0 / (ts[-1] - ts[0])
            if abs(check_fps(fps) / mean_fps - 1) > 0.1:
                raise InvalidInputError(f"fps {fps!r} contradicts timestamps_ms, whose mean rate is {mean_fps:.2f} "
                                        "fps: pass fps=None (or the timestamps' rate)")
    else:
        ts = np.arange(n) * (1000.0 / check_fps(fps))
    shots = np.zeros(n, dtype=int)
    for c in check_cuts(cuts, n):
        shots[c:] += 1
    model: ActivityClassifier | bool | str | os.PathLike[str] | None = False
    if classify:
        model = activity_model if activity_model is not None else (bundled_classifier() or False)
    engine = ActivityTracker(rep_options=rep_options, fall_options=fall_options, form_options=form_options,
                             activity_model=model, exercise=exercise,
                             phase_model=False if not classify and phase_model is None else phase_model)
    engine._raw_rows = False  # BODY13 rows, read above
    engine._positions = positions
    labels = np.empty(n, dtype=object)
    for i in range(n):
        labels[i] = engine._step(body[i], float(ts[i]), int(shots[i])).label.value
    engine.flush()
    return dataclasses.replace(engine.summary(), frame_labels=labels)
