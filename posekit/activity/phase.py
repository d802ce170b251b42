"""The rep phase model: per frame, which exercise the pose belongs to and where in a rep it is.

A small float16 network (``rep_phase_float16``) reads one frame's body (the 13 body joints, hip-centred
and torso-scaled as :class:`~posekit.activity.body.BodySequence` holds them, plus which were
seen) and gives a probability for each (exercise, phase) pair: phase 0 is a rep's start and end
(standing in a squat, arms down in a front raise), phase 1 its middle. It was trained on
RepCount-pose's salient frames of people filmed by other people (``training.train_phase``).

The engine reads two things from it: the share of frames that look like each exercise (naming
exercises the sequence classifier has no class for) and, per exercise, the probability of the
start phase over time: a learned rep signal, larger at rest, that the same hysteresis counter
reads (:func:`phase_signal`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..runtime import TFLiteModel
from ..threads import OneThread
from .body import BodySequence

#: The exercises the model knows, in its output order (phase 0 and 1 of each, in turn).
PHASE_EXERCISES: tuple[str, ...] = ("bench_press", "front_raise", "lunge", "pull_up", "push_up", "rope_pushdown",
                                    "sit_up", "squat")
#: Outputs: (exercise, phase) for each exercise in turn, then "none of them".
OUTPUTS = 2 * len(PHASE_EXERCISES) + 1
#: Inputs per frame: 13 joints x (x, y) and 13 "seen" flags.
FEATURES = 39
#: Frames per invoke (the model's fixed batch).
BATCH = 64
MODEL_NAME = "rep_phase_float16"


def frame_features(xy: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(T, 13, 2) normalised joints and (T, 13) seen flags -> (T, :data:`FEATURES`) float32; an
    unseen joint reads (0, 0) with flag 0."""
    seen = mask & np.isfinite(xy).all(-1)
    coords = np.where(seen[..., None], xy, 0.0).reshape(len(xy), -1)
    return np.concatenate([coords, seen.astype(np.float64)], axis=1).astype(np.float32)


class PhaseModel:
    """The bundled phase model (or a .tflite path) through LiteRT."""

    def __init__(self, model: str | Path = MODEL_NAME, num_threads: int = 1) -> None:
        self.model = TFLiteModel(model, num_threads=num_threads)
        shape = tuple(int(v) for v in self.model.inputs[0]["shape"])
        if shape != (BATCH, FEATURES):
            raise ModelError(f"phase model {self.model.name!r} input must be ({BATCH}, {FEATURES}), got {shape}")
        n_out = int(self.model.outputs[0]["shape"][-1])
        if n_out != OUTPUTS:
            raise ModelError(f"phase model {self.model.name!r} outputs {n_out} values, expected {OUTPUTS}")
        self._guard = OneThread(f"phase model {self.model.name!r}")

    def predict(self, feats: np.ndarray) -> np.ndarray:
        """(T, FEATURES) -> (T, OUTPUTS) probabilities (summing to 1 per frame)."""
        T = len(feats)
        pad = np.zeros((-T % BATCH, FEATURES), np.float32)
        x = np.concatenate([np.asarray(feats, np.float32), pad])
        out = np.zeros((len(x), OUTPUTS), np.float32)
        with self._guard:
            for a in range(0, len(x), BATCH):
                out[a:a + BATCH] = self.model.run(x[a:a + BATCH])[0]
        return out[:T]

    def probs(self, seq: BodySequence) -> np.ndarray:
        """(T, OUTPUTS) for every frame of ``seq`` (frames without a body: NaN)."""
        p = self.predict(frame_features(seq.xy, seq.mask))
        p[~seq.mask.any(axis=1)] = np.nan
        return p


def exercise_probs(probs: np.ndarray) -> np.ndarray:
    """(T, OUTPUTS) -> (T, len(PHASE_EXERCISES) + 1): each exercise (both phases) and other."""
    ex = probs[:, :-1].reshape(len(probs), len(PHASE_EXERCISES), 2).sum(-1)
    return np.concatenate([ex, probs[:, -1:]], axis=1)


def phase_signal(probs: np.ndarray, exercise: str) -> np.ndarray:
    """(T,) probability of the start phase of ``exercise`` given that exercise, from
    :meth:`PhaseModel.probs`: near 1 at rest, near 0 mid-rep, NaN without a body."""
    c = 2 * PHASE_EXERCISES.index(exercise)
    with np.errstate(invalid="ignore", divide="ignore"):
        return probs[:, c] / (probs[:, c] + probs[:, c + 1])
