"""One-shot entry points."""

from __future__ import annotations

import os
import threading

import numpy as np

from .errors import InvalidInputError
from .pose.detector import PersonDetector
from .pose.model import PoseModel
from .pose.tracker import estimate_with
from .types import PoseResult
from .validation import check_box, check_image

#: Each thread's own models (an interpreter serves one thread at a time).
_local = threading.local()


def _model(model: str | os.PathLike[str] | PoseModel | None) -> PoseModel:
    if isinstance(model, PoseModel):
        return model
    if model is not None and not isinstance(model, (str, os.PathLike)):
        raise InvalidInputError(f"model must be a bundled model name, a .tflite path, a posekit.PoseModel or None, "
                                f"got {type(model).__name__} {model!r}")
    models: dict[str, PoseModel] = _local.__dict__.setdefault("models", {})
    key = str(model)
    if key not in models:
        models[key] = PoseModel(model)
    return models[key]


def _detector() -> PersonDetector:
    if not hasattr(_local, "detector"):
        _local.detector = PersonDetector()
    return _local.detector


def estimate(image: np.ndarray, box: tuple[float, float, float, float] | None = None,
             model: str | os.PathLike[str] | PoseModel | None = None) -> PoseResult:
    """Estimate one person's 33 keypoints in a single RGB image.

    Args:
        image: (H, W, 3) uint8 RGB (views and non-contiguous arrays are fine).
        box: (x, y, w, h) pixels around the person; None finds the most confident person with
            the person detector (else searches the whole image).
        model: bundled model name, ``.tflite`` path, a loaded :class:`PoseModel`, or None (default).

    Returns:
        The pose; ``score`` says how sure the network is that a person is there (check it: a
        one-shot call always returns its best guess).

    Each thread gets its own copy of a bundled or file model, so ``estimate`` may be called from
    several threads at once; a :class:`PoseModel` passed in serves one thread at a time.

    Raises:
        InvalidInputError: bad image, box or model argument.
        ModelError: unusable model.
        ConcurrentUseError: a ``PoseModel`` passed in is in use on another thread.

    Example:
        >>> r = posekit.estimate(rgb)                     # doctest: +SKIP
        >>> r.xy[posekit.Keypoint.LEFT_WRIST]
    """
    image = check_image(image)
    h, w = image.shape[:2]
    if box is not None:
        box = check_box(box, w, h)
    result = estimate_with(_model(model), image, box, detector=_detector() if box is None else None)
    assert result is not None  # min_score 0 always yields the best guess
    return result
