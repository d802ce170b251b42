"""Reading frames from videos, images and cameras (OpenCV imported lazily)."""

from __future__ import annotations

import dataclasses
import time
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import InputWarning, InvalidInputError, MissingDependencyError

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def _cv2():
    try:
        import cv2
    except ImportError:
        raise MissingDependencyError("video and image input need OpenCV: pip install 'posekit[app]'") from None
    return cv2


@dataclasses.dataclass
class Frame:
    index: int
    timestamp_ms: int
    rgb: np.ndarray


def file_time_ms(cap, index: int, fps: float, last_ms: int) -> int:
    """The presentation time (ms) of the frame an OpenCV capture of a file has just read: the
    file's own clock (phones record at a variable frame rate), or ``index / fps`` where the backend
    gives none; always later than ``last_ms``, the previous frame's, as the tracker requires."""
    pos = cap.get(_cv2().CAP_PROP_POS_MSEC)
    ts = int(round(pos)) if np.isfinite(pos) and pos > last_ms else int(round(index * 1000.0 / fps))
    return max(ts, last_ms + 1)


class FrameSource:
    """Iterates RGB frames with timestamps from a video file, an image file or a camera index.

    A file's frames carry its own presentation times (phones record at a variable frame rate;
    ``fps`` is then the container's mean), a camera's the wall clock since its first frame. Frames
    are decoded in order, each once, and never skipped: the first one, read to check the file, is
    kept rather than sought back to (seeking loses frames in some files). A file that ends before
    the frame count its header gives raises an :class:`~posekit.errors.InputWarning` at its end.
    A source is read once.

    Raises:
        InvalidInputError: the file does not exist or OpenCV cannot decode it; the camera cannot open.
    """

    def __init__(self, source: str | Path | int, *, mirror: bool = False) -> None:
        cv2 = _cv2()
        self.source = source
        self.mirror = mirror
        self.is_image = False
        self._image: np.ndarray | None = None
        self._first: tuple[np.ndarray, int] | None = None  # a file's first frame and its time
        if isinstance(source, int):
            self._cap = cv2.VideoCapture(source)
            if not self._cap.isOpened():
                raise InvalidInputError(f"camera {source} could not be opened (is a camera connected?)")
            self.fps = self._cap.get(cv2.CAP_PROP_FPS) or 30.0
            self.frame_count = 0
        else:
            path = Path(source)
            if not path.is_file():
                raise InvalidInputError(f"input {str(path)!r} does not exist")
            if path.suffix.lower() in IMAGE_EXTS:
                img = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if img is None:
                    raise InvalidInputError(f"input {str(path)!r} is not a readable image")
                self._image = img[:, :, ::-1]
                self.is_image = True
                self.fps, self.frame_count = 0.0, 1
                self._cap = None
            else:
                self._cap = cv2.VideoCapture(str(path))
                ok = self._cap.isOpened()
                first = None
                if ok:
                    ok, first = self._cap.read()
                if not ok:
                    self._cap.release()
                    raise InvalidInputError(
                        f"input {str(path)!r} is not a readable video or image "
                        f"(video formats OpenCV decodes; images: {sorted(IMAGE_EXTS)})")
                fps = self._cap.get(cv2.CAP_PROP_FPS)
                self.fps = fps if fps and np.isfinite(fps) and 1 <= fps <= 240 else 30.0
                count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
                self.frame_count = int(count) if np.isfinite(count) and 0 < count < 2**31 else 0
                self._first = (first, file_time_ms(self._cap, 0, self.fps, -1))

    def __iter__(self) -> Iterator[Frame]:
        if self._image is not None:
            yield Frame(0, 0, self._image)
            return
        assert self._cap is not None
        i, last, t0 = 0, -1, time.perf_counter()
        while True:
            if self._first is not None:
                (bgr, ts), self._first = self._first, None
            else:
                ok, bgr = self._cap.read()
                if not ok:
                    break
                if isinstance(self.source, int):
                    # A camera's frames come when they come (its reported rate is often not what it
                    # delivers in low light, and frames queue while one is processed): the wall clock.
                    ts = max(int(round((time.perf_counter() - t0) * 1000.0)), last + 1)
                else:
                    ts = file_time_ms(self._cap, i, self.fps, last)
            rgb = bgr[:, :, ::-1]
            if self.mirror:
                rgb = rgb[:, ::-1]
            yield Frame(i, ts, rgb)
            last = ts
            i += 1
        if not isinstance(self.source, int) and self.frame_count and i < self.frame_count - 1:
            warnings.warn(f"video {str(self.source)!r} ended after {i} of the {self.frame_count} frames its header "
                          "gives (a truncated or damaged file?): the frames after it were not analysed",
                          InputWarning, stacklevel=2)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoWriter:
    """Writes RGB frames to an MP4 (mp4v)."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        cv2 = _cv2()
        self._w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps or 30.0, size)
        if not self._w.isOpened():
            raise InvalidInputError(f"cannot write video {str(path)!r}")

    def write(self, rgb: np.ndarray) -> None:
        self._w.write(np.ascontiguousarray(rgb[:, :, ::-1]))

    def write_bgr(self, bgr: np.ndarray) -> None:
        """A BGR frame as it is (no conversion)."""
        self._w.write(bgr)

    def close(self) -> None:
        self._w.release()
