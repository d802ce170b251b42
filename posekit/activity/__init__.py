"""Activity analysis: exercise recognition, repetitions, form cues and falls from keypoint sequences.

The package, by concern:

* :mod:`~posekit.activity.results`: the typed results (:class:`ActivityFrame`, :class:`ActivityReport`, ...).
* :mod:`~posekit.activity.options`: the engine's options, validated in full.
* :mod:`~posekit.activity.streaming`: the engine (:class:`ActivityTracker`), live and offline.
* :mod:`~posekit.activity.offline`: :func:`analyze_keypoints`, a whole sequence through the engine.
* :mod:`~posekit.activity.analysis`: one reading of a buffer (sets, reps, cues, falls).
* :mod:`~posekit.activity.body`: any layout -> BODY13, normalisation, frame timing.
* :mod:`~posekit.activity.inputs`: how other estimators' exports are recognised and read.
* :mod:`~posekit.activity.classifier`, :mod:`~posekit.activity.reps`, :mod:`~posekit.activity.form`,
  :mod:`~posekit.activity.falls`: the four detectors.
* :mod:`~posekit.activity.files`: keypoint files (.npy, .npz, JSON, CSV, OpenPose, frames.jsonl).
"""

from .body import BodySequence, normalise, to_body13
from .classifier import ActivityClassifier
from .falls import detect_falls
from .files import load_frames, load_keypoints
from .offline import analyze_keypoints
from .options import ClassifierOptions, FallOptions, FormOptions, RepOptions
from .reps import count_reps
from .results import (Activity, ActivityFrame, ActivityReport, ExerciseSegment, FallEvent, FormCue, RepEvent, RepQuality,
                      StillDownEvent)
from .streaming import ActivityTracker

__all__ = ["Activity", "ActivityClassifier", "ActivityFrame", "ActivityReport", "ActivityTracker", "BodySequence",
           "ClassifierOptions", "ExerciseSegment", "FallEvent", "FallOptions", "FormCue", "FormOptions", "RepEvent",
           "RepOptions", "RepQuality", "analyze_keypoints", "count_reps", "detect_falls", "load_frames",
           "load_keypoints", "normalise", "StillDownEvent", "to_body13"]
