"""Skeleton overlay (OpenCV imported lazily: ``pip install 'posekit[app]'``)."""

from __future__ import annotations

import numpy as np

from .errors import MissingDependencyError
from .keypoints import EDGES, Keypoint
from .types import PoseResult

_LEFT = (255, 138, 0)   # RGB
_RIGHT = (0, 217, 231)
_MID = (240, 240, 240)


def _cv2():
    try:
        import cv2
    except ImportError:
        raise MissingDependencyError("drawing needs OpenCV: pip install 'posekit[app]'") from None
    return cv2


def _colour(kp: Keypoint) -> tuple[int, int, int]:
    n = kp.name
    return _LEFT if "LEFT" in n else _RIGHT if "RIGHT" in n else _MID


def draw_pose(image: np.ndarray, pose: PoseResult | None, min_conf: float = 0.3,
              thickness: int | None = None, *, bgr: bool = False, in_place: bool = False) -> np.ndarray:
    """Return a copy of an RGB ``image`` with the skeleton drawn; joints shaded by confidence.

    ``bgr``: the image is BGR (colours swapped to match). ``in_place``: draw on ``image`` itself
    (it must be C-contiguous) instead of a copy: ``posekit run`` draws on the decoded BGR frame and
    hands it to the encoder, with no copy of the frame at all."""
    cv2 = _cv2()
    if in_place:
        if not image.flags.c_contiguous:
            raise ValueError("draw_pose(in_place=True) needs a C-contiguous image")
        out = image
    else:
        out = np.array(image, order="C", copy=True)  # one copy, contiguous whatever the view
    if pose is None:
        return out
    order = (lambda c: c[::-1]) if bgr else (lambda c: c)
    h, w = out.shape[:2]
    t = thickness or max(1, round(min(h, w) / 200))
    xy = pose.xy
    for a, b in EDGES:
        if pose.conf[a] >= min_conf and pose.conf[b] >= min_conf:
            pa = tuple(int(round(v)) for v in xy[a])
            pb = tuple(int(round(v)) for v in xy[b])
            cv2.line(out, pa, pb, order(_colour(b)), t, cv2.LINE_AA)
    for kp in Keypoint:
        c = float(pose.conf[kp])
        if c < min_conf:
            continue
        col = tuple(int(v * (0.35 + 0.65 * c)) for v in order(_colour(kp)))
        cv2.circle(out, tuple(int(round(v)) for v in xy[kp]), t + 2, col, -1, cv2.LINE_AA)
    return out


def text_scale(image: np.ndarray) -> float:
    """The HUD's font scale for ``image``: legible from 240p to 4K (0.6 at 480 lines, in proportion)."""
    return max(0.45, image.shape[0] / 800.0)


def put_text(image: np.ndarray, text: str, org: tuple[int, int], scale: float | None = None,
             colour: tuple[int, int, int] = (255, 255, 255)) -> None:
    """Draw text in place with a dark outline behind it (for HUDs on annotated videos).

    ``scale``: OpenCV font scale; None scales with the image (:func:`text_scale`). The outline is
    the same strokes drawn first at eight offsets around the text (a thicker stroke would not do:
    OpenCV's Hershey glyphs advance with their thickness, so a thick outline drifts right of the
    text and reads as a second copy)."""
    cv2 = _cv2()
    scale = text_scale(image) if scale is None else scale
    thick = max(1, round(scale * 1.5))
    r = max(1, round(scale))
    for dx, dy in ((-r, -r), (0, -r), (r, -r), (-r, 0), (r, 0), (-r, r), (0, r), (r, r)):
        cv2.putText(image, text, (org[0] + dx, org[1] + dy), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick,
                    cv2.LINE_AA)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)
