"""posekit: on-device human pose and activity with LiteRT.

Example:
    >>> import posekit
    >>> result = posekit.estimate(rgb_image)              # doctest: +SKIP
    >>> result.xy[posekit.Keypoint.NOSE]
"""

from .activity import (Activity, ActivityFrame, ActivityReport, ActivityTracker, ExerciseSegment, FallEvent,
                       FallOptions, FormCue, FormOptions, RepEvent, RepOptions, RepQuality, StillDownEvent,
                       analyze_keypoints, load_frames, load_keypoints)
from .api import estimate
from .errors import (ConcurrentUseError, InputWarning, InvalidInputError, MissingDependencyError, ModelError,
                     PosekitError)
from .keypoints import Keypoint
from .options import PoseOptions, SmoothingOptions
from .pose.model import PoseModel
from .pose.roi import Roi
from .pose.tracker import PoseTracker
from .session import Session
from .types import FrameResult, PoseResult

__version__ = "0.1.0"

__all__ = [
    "estimate", "Session", "PoseTracker", "PoseModel", "PoseOptions", "SmoothingOptions", "PoseResult",
    "FrameResult", "Roi", "Keypoint",
    "analyze_keypoints", "load_keypoints", "load_frames", "ActivityTracker", "Activity", "ActivityFrame",
    "ActivityReport", "ExerciseSegment", "RepEvent", "RepQuality", "FormCue", "FallEvent", "StillDownEvent", "RepOptions",
    "FallOptions", "FormOptions",
    "PosekitError", "InvalidInputError", "ModelError", "ConcurrentUseError", "MissingDependencyError", "InputWarning", "__version__",
]
