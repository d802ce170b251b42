"""Pose landmark networks behind one interface: crop in, 33 keypoints + presence out.

Two output layouts are understood (the manifest's ``output_layout``):

* ``posekit_v1`` (our student): ``landmarks`` (1, 33, 3) = crop-normalised (u, v) and visibility
  probability; ``presence`` (1, 1) pose-presence probability. Input (1, S, S, 3) float32 RGB in [0, 1].
* ``blazepose_ghum_39x5`` (the MediaPipe teacher): (1, 195) = 39 x (x, y, z, visibility logit,
  presence logit) in input pixels, and (1, 1) presence probability. Input (1, 256, 256, 3) in [0, 1].
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import ModelError
from ..keypoints import NUM_KEYPOINTS
from ..runtime import TFLiteModel, default_model_name
from ..threads import OneThread
from .roi import Roi, crop

LAYOUTS = ("posekit_v1", "blazepose_ghum_39x5")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


class PoseModel:
    """A pose landmark network run on ROI crops.

    Args:
        model: bundled model name or ``.tflite`` path (None: the bundled default).
        num_threads: interpreter threads.
        entry: manifest entry for a user path without a ``.json`` sidecar (needs at least
            ``output_layout``; ``inputs``/``outputs`` enable the signature check).
        xnnpack: False runs LiteRT's built-in kernels instead of the XNNPACK delegate (slower; for
            checking that results do not hang on one kernel set, as phones' differ).

    Raises:
        ModelError: unknown layout, or the model's tensors do not fit the layout.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, num_threads: int = 1,
                 entry: dict[str, Any] | None = None, *, xnnpack: bool = True) -> None:
        self.net = TFLiteModel(model if model is not None else default_model_name("pose"),
                               num_threads=num_threads, entry=entry, xnnpack=xnnpack)
        e = self.net.entry or {}
        self.layout = e.get("output_layout", "posekit_v1")
        if self.layout not in LAYOUTS:
            raise ModelError(f"model {self.net.name!r}: output_layout {self.layout!r} is not one of {LAYOUTS}")
        shape = [int(v) for v in self.net.inputs[0]["shape"]]
        if len(shape) != 4 or shape[0] != 1 or shape[1] != shape[2] or shape[3] != 3:
            raise ModelError(f"model {self.net.name!r}: input shape {shape} is not [1, S, S, 3]")
        self.input_size = shape[1]
        if self.layout == "posekit_v1":
            if any(tuple(int(v) for v in d["shape"]) == (1, 195) for d in self.net.outputs) and not any(
                    tuple(int(v) for v in d["shape"]) == (1, NUM_KEYPOINTS, 3) for d in self.net.outputs):
                raise ModelError(f"model {self.net.name!r} looks like a MediaPipe BlazePose landmark model (a 195-value "
                                 "landmark output): describe its outputs in a manifest entry beside it, "
                                 f"{self.net.name}.json holding {{\"output_layout\": \"blazepose_ghum_39x5\"}}")
            self._lm = self.net.output_index((1, NUM_KEYPOINTS, 3))
            self._pr = self.net.output_index((1, 1))
        else:
            self._lm = self.net.output_index((1, 195))
            self._pr = self.net.output_index((1, 1))
        self._input = np.zeros(shape, dtype=np.float32)
        self._guard = OneThread(f"pose model {self.net.name!r}")

    @property
    def name(self) -> str:
        return self.net.name

    def predict_crop(self, crop_img: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Run on one (S, S, 3) float32 crop in [0, 1].

        Returns:
            uv (33, 2) float32 crop-normalised keypoints, vis (33,) float32 in [0, 1], presence score.
        """
        with self._guard:
            self._input[0] = crop_img
            return self._run()

    def _run(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Invoke on the crop already in the input tensor and decode the outputs."""
        outs = self.net.run(self._input)
        lm, pr = outs[self._lm], outs[self._pr]
        if self.layout == "posekit_v1":
            lm = lm.reshape(NUM_KEYPOINTS, 3)
            uv, vis = lm[:, :2], np.clip(lm[:, 2], 0.0, 1.0)
        else:
            lm = lm.reshape(39, 5)[:NUM_KEYPOINTS]
            uv = lm[:, :2] / self.input_size
            vis = _sigmoid(lm[:, 3])
        score = float(np.clip(pr.reshape(-1)[0], 0.0, 1.0))
        return uv.astype(np.float32), vis.astype(np.float32), score

    def predict(self, image: np.ndarray, roi: Roi) -> tuple[np.ndarray, np.ndarray, float]:
        """Crop ``roi`` from an RGB uint8 image and return (xy pixels (33, 2), vis (33,), score)."""
        with self._guard:
            crop(image, roi, self.input_size, out=self._input[0])  # straight into the input tensor
            uv, vis, score = self._run()
        return roi.to_image(uv), vis, score
