"""Activity analysis: exercise recognition, repetitions, form cues, falls, and streaming for Session."""

from .classifier import ActivityClassifier, ClassifierOptions
from .exercises import FormOptions
from .falls import FallEvent, FallOptions, detect_falls
from .features import BodySequence, normalise, to_body13
from .files import load_frames, load_keypoints
from .report import ActivityReport, ExerciseSegment, RepEvent, analyze_keypoints
from .reps import RepOptions, count_reps
from .tracker import ActivityTracker

__all__ = ["ActivityClassifier", "ActivityReport", "ActivityTracker", "ClassifierOptions", "FormOptions", "BodySequence", "ExerciseSegment", "FallEvent", "FallOptions",
           "RepEvent", "RepOptions", "analyze_keypoints", "count_reps", "detect_falls", "load_frames", "load_keypoints",
           "normalise", "to_body13"]
