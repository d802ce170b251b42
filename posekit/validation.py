"""Input checks shared by the runtime entry points (messages name field, value, what is allowed)."""

from __future__ import annotations

import numpy as np

from .errors import InvalidInputError

#: Smallest frame side the pose pipeline accepts (smaller images carry no usable pose).
MIN_SIDE = 16


def check_image(image: object, field: str = "image") -> np.ndarray:
    """Return ``image`` as an (H, W, 3) uint8 array or raise :class:`InvalidInputError`.

    Non-contiguous arrays (slices, ``[..., ::-1]`` BGR->RGB views) are accepted as they are.
    """
    if not isinstance(image, np.ndarray):
        raise InvalidInputError(f"{field} must be a numpy.ndarray (H, W, 3) uint8 RGB, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise InvalidInputError(
            f"{field} dtype must be uint8 (RGB 0-255), got {image.dtype}; "
            "convert float images with (img * 255).clip(0, 255).astype(np.uint8)")
    if image.ndim != 3 or image.shape[2] != 3:
        what = {2: "grayscale (H, W)", 3: f"{image.shape[2] if image.ndim == 3 else '?'} channels"}.get(image.ndim, f"{image.ndim} dims")
        if image.ndim == 3 and image.shape[2] == 4:
            what = "RGBA (4 channels); drop alpha with image[..., :3]"
        elif image.ndim == 2:
            what = "grayscale (H, W); stack to RGB with np.stack([g] * 3, axis=-1)"
        raise InvalidInputError(f"{field} must have shape (H, W, 3) RGB, got shape {image.shape}: {what}")
    h, w = image.shape[:2]
    if h < MIN_SIDE or w < MIN_SIDE:
        raise InvalidInputError(
            f"{field} must be at least {MIN_SIDE}x{MIN_SIDE} pixels, got {w}x{h} (width x height)")
    return image


def check_timestamp(timestamp_ms: object, last_ms: int | None, field: str = "timestamp_ms") -> int:
    """Return ``timestamp_ms`` as int; it must be an integer strictly greater than ``last_ms``."""
    if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, (int, np.integer)):
        raise InvalidInputError(f"{field} must be an int (milliseconds), got {timestamp_ms!r}")
    t = int(timestamp_ms)
    if t < 0:
        raise InvalidInputError(f"{field} must be >= 0, got {t}")
    if last_ms is not None and t <= last_ms:
        raise InvalidInputError(
            f"{field} must increase from frame to frame, got {t} after {last_ms}; "
            "call reset() when starting a new stream")
    return t


def check_box(box: object, width: int, height: int) -> tuple[float, float, float, float]:
    """Return ``box`` (x, y, w, h) in pixels as floats; it must have positive size, touch the image,
    and be at most 100 times the image's size (a larger box cannot be cropped meaningfully)."""
    if isinstance(box, (str, bytes)) or not hasattr(box, "__len__"):
        raise InvalidInputError(f"box must be (x, y, w, h) numbers in pixels, got {box!r}")
    try:
        vals = tuple(float(v) for v in box)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise InvalidInputError(f"box must be (x, y, w, h) numbers in pixels, got {box!r}") from None
    if len(vals) != 4 or not all(np.isfinite(vals)):
        raise InvalidInputError(f"box must be 4 finite numbers (x, y, w, h) in pixels, got {box!r}")
    x, y, w, h = vals
    if w <= 0 or h <= 0:
        raise InvalidInputError(f"box width and height must be > 0, got w={w}, h={h}")
    if max(w, abs(x)) > 100 * width or max(h, abs(y)) > 100 * height:
        raise InvalidInputError(f"box {box!r} is out of scale for the {width}x{height} image: its size and place must be "
                                "within 100 times the image's")
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise InvalidInputError(f"box {box!r} lies outside the {width}x{height} image")
    return vals
