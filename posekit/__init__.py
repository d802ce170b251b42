"""posekit: on-device human pose and activity with LiteRT.

Example:
    >>> import posekit
    >>> result = posekit.estimate(rgb_image)              # doctest: +SKIP
    >>> result.xy[posekit.Keypoint.NOSE]
"""

from .activity import ActivityReport, ActivityTracker, FallOptions, FormOptions, RepOptions, analyze_keypoints
from .api import estimate
from .errors import InputWarning, InvalidInputError, MissingDependencyError, ModelError, PosekitError
from .keypoints import Keypoint
from .options import PoseOptions, SmoothingOptions
from .pose.model import PoseModel
from .pose.roi import Roi
from .pose.tracker import PoseTracker
from .session import Session
from .types import FrameResult, PoseResult

__version__ = "0.1.0"

__all__ = [
    "estimate", "analyze_keypoints", "ActivityReport", "ActivityTracker", "FallOptions", "FormOptions", "RepOptions", "PoseTracker", "Session", "PoseModel", "PoseResult", "FrameResult", "Roi",
    "PoseOptions", "SmoothingOptions", "Keypoint", "PosekitError", "InvalidInputError",
    "ModelError", "MissingDependencyError", "InputWarning", "__version__",
]
