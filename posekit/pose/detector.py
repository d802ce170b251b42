"""Person detection for (re)acquisition: MediaPipe's BlazePose detector, decoded in NumPy.

BlazePose finds a person once with a detector and then tracks them from frame to frame with the
landmark network; the detector runs again only when the track is lost. ``pose_detection.tflite``
(Apache-2.0, shipped in ``posekit/models``) is an SSD over a 224x224 letterboxed frame: 2,254
anchors, each with a face box and four keypoints, of which the first two are the mid-hip and a
point on the circle that holds the whole body. From those two comes a rotated square ROI: centred
on the mid-hip, side 2.5x the circle's radius, turned so the hip -> circle point direction is up.
A person lying on the floor therefore gets a crop turned to their body axis, where acquisition by
refining upright crops of the whole frame gets a sideways body (and a network that has seen few of
those settles on furniture).

The anchor and decoding constants are those of MediaPipe's ``pose_detection_cpu.pbtxt``
(``SsdAnchorsCalculator``, ``TensorsToDetectionsCalculator``, ``AlignmentPointsRectsCalculator``,
``RectTransformationCalculator``).
"""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np

from ..errors import ModelError
from ..runtime import TFLiteModel
from ..threads import OneThread
from .roi import Roi, crop, full_frame_roi

DETECTOR_MODEL = "pose_detection"
INPUT_SIZE = 224
STRIDES = (8, 16, 32, 32, 32)
NUM_BOXES = 2254
#: Detections scoring below this are dropped (MediaPipe's ``min_score_thresh``).
MIN_SCORE = 0.5
#: Overlap (IoU of the face boxes) above which detections merge (MediaPipe's weighted NMS).
NMS_IOU = 0.3
#: ROI side / (2 x body-circle radius) (MediaPipe's ``RectTransformationCalculator`` scale).
ROI_MARGIN = 1.25


@dataclasses.dataclass(frozen=True)
class Detection:
    """One person found by the detector.

    Attributes:
        score: detection confidence in [0, 1].
        roi: the rotated square crop for the landmark network (image pixels).
        box: the detector's (face) box ``(x, y, w, h)`` in image pixels.
        hip: the mid-hip ``(x, y)`` in image pixels.
    """

    score: float
    roi: Roi
    box: tuple[float, float, float, float]
    hip: tuple[float, float]


def anchors() -> np.ndarray:
    """(2254, 2) anchor centres in [0, 1] (SSD, fixed anchor size: widths and heights are 1)."""
    out = []
    i = 0
    while i < len(STRIDES):
        stride = STRIDES[i]
        n = 0
        while i < len(STRIDES) and STRIDES[i] == stride:  # layers of one stride share a grid
            n += 2  # aspect ratio 1 and the interpolated scale
            i += 1
        side = math.ceil(INPUT_SIZE / stride)
        ys, xs = np.meshgrid((np.arange(side) + 0.5) / side, (np.arange(side) + 0.5) / side, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], 1)
        out.append(np.repeat(grid, n, axis=0))
    a = np.concatenate(out).astype(np.float32)
    assert len(a) == NUM_BOXES
    return a


_ANCHORS = anchors()


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (4,) box (x0, y0, x1, y1) with (N, 4) boxes."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / np.maximum(area(box) + area(boxes) - inter, 1e-9)


def decode(raw: np.ndarray, logits: np.ndarray, min_score: float = MIN_SCORE,
           max_people: int = 4) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """SSD outputs -> [(score, box (x0, y0, x1, y1), keypoints (4, 2))] in letterbox [0, 1] units,
    best first, after MediaPipe's weighted non-maximum suppression."""
    raw = raw.reshape(NUM_BOXES, 12).astype(np.float64)
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(NUM_BOXES).astype(np.float64), -100, 100)))
    keep = np.flatnonzero(scores >= min_score)
    if keep.size == 0:
        return []
    a = _ANCHORS[keep].astype(np.float64)
    r = raw[keep] / INPUT_SIZE
    cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
    boxes = np.stack([cx - r[:, 2] / 2, cy - r[:, 3] / 2, cx + r[:, 2] / 2, cy + r[:, 3] / 2], 1)
    kps = r[:, 4:].reshape(-1, 4, 2) + a[:, None, :]
    s = scores[keep]
    order = np.argsort(-s)
    boxes, kps, s = boxes[order], kps[order], s[order]
    out = []
    left = np.ones(len(s), bool)
    for i in range(len(s)):
        if not left[i]:
            continue
        group = left & (_iou(boxes[i], boxes) > NMS_IOU)
        left &= ~group
        w = s[group] / s[group].sum()
        out.append((float(s[i]), (boxes[group] * w[:, None]).sum(0), (kps[group] * w[:, None, None]).sum(0)))
        if len(out) == max_people:
            break
    return out


class PersonDetector:
    """Finds people in a frame and gives each the ROI the landmark network wants.

    Args:
        model: bundled model name or ``.tflite`` path (default: the bundled BlazePose detector).
        num_threads: interpreter threads.
        min_score: detections below this confidence are dropped.

    Example:
        >>> detector = PersonDetector()                      # doctest: +SKIP
        >>> for det in detector.detect(rgb_frame):           # doctest: +SKIP
        ...     xy, vis, score = pose_model.predict(rgb_frame, det.roi)
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, num_threads: int = 1,
                 min_score: float = MIN_SCORE) -> None:
        self.net = TFLiteModel(model if model is not None else DETECTOR_MODEL, num_threads=num_threads)
        shape = [int(v) for v in self.net.inputs[0]["shape"]]
        if shape != [1, INPUT_SIZE, INPUT_SIZE, 3]:
            raise ModelError(f"detector {self.net.name!r}: input shape {shape} is not [1, 224, 224, 3]")
        self._raw = self.net.output_index((1, NUM_BOXES, 12))
        self._score = self.net.output_index((1, NUM_BOXES, 1))
        self._input = np.zeros(shape, np.float32)
        self.min_score = float(min_score)
        self._guard = OneThread(f"person detector {self.net.name!r}")

    def detect(self, image: np.ndarray, max_people: int = 4) -> list[Detection]:
        """People in an (H, W, 3) uint8 RGB image, most confident first."""
        h, w = image.shape[:2]
        frame = full_frame_roi(w, h)  # the letterbox: the frame centred in a black square
        with self._guard:
            crop(image, frame, INPUT_SIZE, out=self._input[0])
            self._input *= 2.0  # [0, 1] -> [-1, 1]
            self._input -= 1.0
            outs = self.net.run(self._input)
            found = decode(outs[self._raw], outs[self._score], self.min_score, max_people)
        people = []
        for score, box, kps in found:
            corners = frame.to_image(np.array([box[:2], box[2:]]))
            hip, top = frame.to_image(kps[:2])
            up = top - hip
            radius = float(np.hypot(*up))
            if not np.isfinite(radius) or radius < 1.0:
                continue
            rotation = math.atan2(float(up[0]), float(-up[1]))
            roi = Roi(float(hip[0]), float(hip[1]), 2.0 * radius * ROI_MARGIN, rotation)
            (x0, y0), (x1, y1) = corners
            people.append(Detection(score, roi, (float(x0), float(y0), float(x1 - x0), float(y1 - y0)),
                                    (float(hip[0]), float(hip[1]))))
        return people
