"""Any estimator's keypoints read as the engine reads them, and the per-frame normalisations recognised.

Recognising keypoints normalised per frame: to the body's own box, or centred on a joint.

Exports of MediaPipe landmarks often min-max normalise each frame: x and y are rescaled to [0, 1]
over that frame's keypoints (each axis on its own, or both by the longer side). That throws away,
per frame, where the body was, how large it was and, per axis, its aspect ratio: a person lying
down comes out as tall as wide, and the hips' descent, which fall detection reads, is gone.
:func:`analyze_keypoints` recognises such input (every frame spans exactly [0, 1]) and warns; it
does not guess the lost numbers back (docs/evidence/inputs.md says what a guess from body
proportions did), and its fall detector reads the classifier's falls from the body's shape alone
(``detect_falls(positions=False)``). Coordinates centred per frame on a joint or on the mid-hip
(root-relative exports) keep the body's shape and size but lose its travel across the picture,
the hips' descent included: they get a warning too, and :func:`analyze_keypoints` puts each frame's lowest joint on
one floor line, which brings the hips' height above the feet back. A y axis that points up (3D and
world coordinates often do) stands every upright body on its head: :func:`upside_down` recognises
that, and :func:`analyze_keypoints` warns.
"""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np

from ..errors import InputWarning, InvalidInputError
from ..keypoints import BODY13, Keypoint
from .body import L_HIP, L_SH, R_HIP, R_SH, to_body13

#: A frame counts as box-normalised when its keypoints' min and max lie within this of 0 and 1.
TOLERANCE = 1e-3

BOX_NORMALISED_WARNING = (
    "keypoints look min-max normalised per frame ({mode}): each frame spans exactly [0, 1]. That "
    "removes the body's position, size{aspect} from every frame, so fall detection (hip descent, lying "
    "= wider than tall) and exercise recognition lose accuracy. Pass pixel coordinates, or coordinates "
    "normalised by the image size (with image_size=(width, height)), when you have them.")


def box_normalised(keypoints: np.ndarray) -> str | None:
    """'per_axis' if every usable frame's keypoints span exactly [0, 1] on both axes (min-max
    normalised per frame and per axis), 'isotropic' if they start at 0 on both axes and reach 1 on
    the longer one (one scale for both axes), else None. A usable frame has at least 4 finite
    keypoints and is not all zeros (a missing frame); at least 3 such frames are needed and 95% of
    them must agree. A joint at (0, 0) counts: in such input it is the box's corner, and in pixel
    or image-normalised input, where (0, 0) marks a missing joint, the far corner is not at (1, 1)."""
    xy = np.asarray(keypoints, dtype=np.float64)[..., :2]
    finite = np.isfinite(xy).all(-1)
    usable = (finite.sum(1) >= 4) & ~(np.nan_to_num(xy) == 0).all(axis=(1, 2))
    if usable.sum() < 3:
        return None
    pts = xy[usable]
    lo, hi = np.fmin.reduce(pts, axis=1), np.fmax.reduce(pts, axis=1)  # (F, 2), skipping NaN
    starts = (np.abs(lo) <= TOLERANCE).all(-1)
    if (starts & (np.abs(hi - 1) <= TOLERANCE).all(-1)).mean() >= 0.95:
        return "per_axis"
    if (starts & (np.abs(hi.max(-1) - 1) <= TOLERANCE)).mean() >= 0.95:
        return "isotropic"
    return None


def frame_centred(body: np.ndarray) -> str | None:
    """The joint (or 'mid-hip') that a BODY13 (T, 13, 3) sequence is centred on in at least 95%
    of its frames with 4 or more joints (at least 3 such frames), else None. Centred means at
    (0, 0) within 1e-3 of the frame's body size."""
    xy = body[..., :2]
    usable = np.isfinite(xy).all(-1).sum(1) >= 4
    if usable.sum() < 3:
        return None
    xy = xy[usable]
    size = np.hypot(*(np.fmax.reduce(xy, axis=1) - np.fmin.reduce(xy, axis=1)).T)  # box diagonal
    tol = 1e-3 * np.maximum(size, 1e-12)
    at_origin = np.hypot(xy[..., 0], xy[..., 1]) <= tol[:, None]  # (F, 13); NaN compares False
    hips = np.hypot(*((xy[:, L_HIP] + xy[:, R_HIP]) / 2).T) <= tol
    for name, hit in [("mid-hip", hips)] + [(BODY13[j].name.lower(), at_origin[:, j]) for j in range(13)]:
        if hit.mean() >= 0.95:
            return name
    return None


def frame_centred_message(joint: str) -> str:
    """The warning :func:`analyze_keypoints` gives for input centred per frame on ``joint``."""
    return (f"keypoints look centred per frame on the {joint.replace('_', ' ')}: the body's shape and size are "
            "kept, but its movement across the picture is not. Each frame's lowest joint is put on one floor "
            "line, which brings back the hips' height above the feet; fall detection and exercise recognition "
            "still lose some accuracy. Pass pixel coordinates, or coordinates normalised by the image size (with "
            "image_size=(width, height)), when you have them.")


#: Input counts as upside down when the body stands on its head in at least this share of the frames
#: that show a head, hips and ankles (and at least UPSIDE_DOWN_MIN_FRAMES of them).
UPSIDE_DOWN_SHARE = 0.8
UPSIDE_DOWN_MIN_FRAMES = 15


def upside_down(body: np.ndarray) -> float | None:
    """The share of a BODY13 (T, 13, 3) sequence's frames in which the body stands on its head in
    image terms (y grows downwards): the head more than half a torso below the hips, the hips more
    than half a torso below the ankles, and the body taller than wide. None below
    :data:`UPSIDE_DOWN_SHARE` of the frames that show a head, hips and ankles. Measured: no Penn
    Action clip (human labels, 2,326) has such a frame, nor do the WorkoutTracker clips' poses
    beyond 4% of a clip; Penn Action's baseball clips with y pointing up read 0.97-1.0 (medians)
    and its bench presses, lying, 0. One of MD4FD's 67 Le2i windows (MediaPipe's landmarks) reads
    0.99 and gets the warning."""
    xy = body[..., :2]
    hip, sh = (xy[:, L_HIP] + xy[:, R_HIP]) / 2, (xy[:, L_SH] + xy[:, R_SH]) / 2
    l_ank, r_ank = BODY13.index(Keypoint.LEFT_ANKLE), BODY13.index(Keypoint.RIGHT_ANKLE)
    nose, hips, ankles = xy[:, BODY13.index(Keypoint.NOSE), 1], hip[:, 1], (xy[:, l_ank, 1] + xy[:, r_ank, 1]) / 2
    torso = np.hypot(*(sh - hip).T)
    span = np.fmax.reduce(xy, axis=1) - np.fmin.reduce(xy, axis=1)
    with np.errstate(invalid="ignore"):
        seen = np.isfinite(nose) & np.isfinite(hips) & np.isfinite(ankles) & (torso > 0)
        head_down = seen & (nose - hips > 0.5 * torso) & (hips - ankles > 0.5 * torso) & (span[:, 1] > 1.2 * span[:, 0])
    if seen.sum() < UPSIDE_DOWN_MIN_FRAMES:
        return None
    share = float(head_down.sum() / seen.sum())
    return share if share >= UPSIDE_DOWN_SHARE else None


def upside_down_message(share: float) -> str:
    """The warning :func:`analyze_keypoints` gives for input that :func:`upside_down` recognises."""
    return (f"keypoints look upside down: in {share:.0%} of the frames that show the head, hips and ankles, the head "
            "is below the hips and the hips below the ankles, reading y as growing downwards (image coordinates). "
            "If your y axis points up (3D or world coordinates), flip it (keypoints[..., 1] *= -1): an upside-down "
            "body reads as lying, so exercises go unrecognised and falls unseen.")


#: Coordinates all within this of 0 read as normalised by the image size (MediaPipe's landmarks run a
#: little past [0, 1] for joints outside the picture); pixel coordinates lie far beyond.
IMAGE_NORMALISED_MAX = 2.0

IMAGE_NORMALISED_WARNING = (
    "keypoints look normalised by the image size (every coordinate within {lim:g} of 0) and no image_size was "
    "given: x and y are read on one scale, so unless the video is square every body is stretched or squeezed "
    "sideways (16:9 for a landscape video), which bends joint angles, form cues and the fall detector's lying test "
    "(wider than tall). Pass image_size=(width, height) (posekit analyze --image-size WxH).")


def box_normalised_message(mode: str) -> str:
    """The warning :func:`analyze_keypoints` gives for input of ``mode`` (from :func:`box_normalised`)."""
    return BOX_NORMALISED_WARNING.format(mode=mode.replace("_", " "),
                                         aspect=" and aspect ratio" if mode == "per_axis" else "")


def centred_per_frame(keypoints: np.ndarray, joint: int | None = None) -> np.ndarray:
    """What a root-relative export does to a (T, K, C) sequence in the BODY13 layout or any layout
    with ``joint`` given: each frame's coordinates relative to its mid-hip (BODY13's two hips),
    or to keypoint ``joint``. For robustness measurements and tests."""
    k = np.asarray(keypoints, dtype=np.float64).copy()
    origin = k[:, joint, :2] if joint is not None else (k[:, L_HIP, :2] + k[:, R_HIP, :2]) / 2
    k[..., :2] -= origin[:, None]
    return k


def minmax_per_frame(keypoints: np.ndarray, per_axis: bool = True) -> np.ndarray:
    """What such an export does to a (T, K, C) sequence: each frame's x and y rescaled to [0, 1] over
    its keypoints (``per_axis``), or both by the longer side. Frames without keypoints stay NaN.
    For measuring robustness (``training.eval_activity``) and tests."""
    k = np.asarray(keypoints, dtype=np.float64).copy()
    xy = k[..., :2]
    with np.errstate(all="ignore"):
        lo, hi = np.fmin.reduce(xy, axis=1)[:, None], np.fmax.reduce(xy, axis=1)[:, None]
        span = hi - lo
        if not per_axis:
            span = span.max(-1, keepdims=True)
        k[..., :2] = (xy - lo) / np.where(span > 0, span, np.nan)
    return k


def check_cuts(cuts: object, n: int) -> list[int]:
    """``cuts`` (None, or a list, tuple or array of integer frame indices, increasing, in
    [1, n - 1]) as a list.

    Raises:
        InvalidInputError: anything else."""
    if cuts is None:
        return []
    ok = isinstance(cuts, (list, tuple, range, np.ndarray)) and all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in cuts)
    out = [int(c) for c in cuts] if ok else []  # type: ignore[union-attr]
    if not ok or any(not 1 <= c <= n - 1 for c in out) or any(b <= a for a, b in zip(out, out[1:])):
        raise InvalidInputError(f"cuts must be strictly increasing frame indices in [1, {n - 1}] "
                                f"(where a new shot begins), got {cuts!r}")
    return out


def input_body13(keypoints: np.ndarray, layout: str = "blazepose33",
                 image_size: tuple[int, int] | None = None) -> np.ndarray:
    """Any estimator's keypoints -> BODY13 (T, 13, 3) in one frame of reference, as
    :func:`analyze_keypoints` reads them: coordinates normalised by ``image_size`` are scaled back
    to pixels (without it, such input is warned about: the aspect ratio is lost); per-frame min-max
    normalised input is recognised (with an :class:`InputWarning`), and a joint at its box's (0, 0)
    corner is kept. Input centred per frame on a joint is recognised too (warned), and each
    frame's lowest joint is put on one floor line, which brings back the hips' height above the
    feet (see above).

    Raises:
        InvalidInputError: wrong shape or layout, bad ``image_size``, or no frame with coordinates.
    """
    return read_body13(keypoints, layout, image_size)[0]


def read_body13(keypoints: np.ndarray, layout: str = "blazepose33",
                  image_size: tuple[int, int] | None = None) -> tuple[np.ndarray, bool]:
    """:func:`input_body13`, and whether the input keeps the body's place and size from frame to
    frame (False when min-max normalised per frame), which fall detection needs to know."""
    if image_size is not None:
        ok = (isinstance(image_size, (tuple, list)) and len(image_size) == 2
              and all(isinstance(v, Real) and not isinstance(v, bool) and np.isfinite(float(v)) and 1 <= v <= 100_000
                      for v in image_size))
        if not ok:
            raise InvalidInputError(f"image_size must be (width, height) in pixels, each a number in [1, 100000], "
                                    f"got {image_size!r}")
    body = to_body13(keypoints, layout)  # validates the array first
    conf = np.asarray(keypoints, dtype=np.float64)[..., -1]
    if np.shape(keypoints)[-1] in (3, 4) and np.isfinite(conf).any() and not (
            np.nanmin(conf) >= 0.0 and np.nanmax(conf) <= 1.0):
        warnings.warn(f"keypoints[..., {np.shape(keypoints)[-1] - 1}] is read as a confidence in [0, 1] but holds "
                      f"{np.nanmin(conf):.3g} to {np.nanmax(conf):.3g} (clipped to [0, 1]): if it is depth (x, y, z), "
                      "pass keypoints[..., :2], or (x, y, z, confidence)", InputWarning, stacklevel=3)
    boxed = box_normalised(keypoints)
    if boxed is not None:  # each frame min-max normalised to the body's box: no image size undoes it
        warnings.warn(box_normalised_message(boxed), InputWarning, stacklevel=3)
        body = to_body13(keypoints, layout, zero_joints_missing=False)  # (0, 0) is a corner of the box
    if np.isnan(body[..., :2]).all():
        raise InvalidInputError("keypoints has no frame with coordinates (all NaN or zero)")
    centred = frame_centred(body) if boxed is None else None
    if centred is not None:  # root-relative: shape and size kept, travel across the picture lost
        warnings.warn(frame_centred_message(centred), InputWarning, stacklevel=3)
    inverted = upside_down(body)
    if inverted is not None:  # y pointing up: every upright body stands on its head
        warnings.warn(upside_down_message(inverted), InputWarning, stacklevel=3)
    image_normalised = boxed is None and np.nanmax(np.abs(body[..., :2])) <= IMAGE_NORMALISED_MAX
    if image_normalised and image_size is None:  # the aspect ratio is lost unless the video was square
        warnings.warn(IMAGE_NORMALISED_WARNING.format(lim=IMAGE_NORMALISED_MAX), InputWarning, stacklevel=3)
    if image_normalised and image_size is not None:
        body = body.copy()  # normalised by the image size: back to pixels
        body[..., 0] *= image_size[0]
        body[..., 1] *= image_size[1]
    if centred is not None:  # each frame's lowest joint on one floor line: the hips' height comes back
        body = body.copy()
        with np.errstate(all="ignore"):  # frames without joints stay NaN
            body[..., 1] -= np.fmax.reduce(body[..., 1], axis=1)[:, None]
    return body, boxed is None
