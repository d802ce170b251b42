"""Exercise / activity recognition over sliding windows of the body sequence.

Input representation (shared by training, export and runtime, so they cannot drift apart):
a window of :data:`WINDOW` frames at :data:`MODEL_RATE` fps (2.1 s), each frame 14 tokens x 3
channels: the 13 body joints as (x, y, observed) in hip-centred, torso-scaled image coordinates
(orientation kept: lying reads differently from standing), and a root token carrying the hip
centre's velocity (torso lengths per second, scaled by ``VEL_SCALE``) and whether it was observed.
Missing joints are zero with observed = 0; a window that starts before the sequence is padded with
unobserved frames.

Streaming: a window every :data:`STRIDE` frames (0.53 s); the per-window class probabilities are
smoothed with an exponential moving average and a label changes only when the new class leads the
current one by ``switch_margin`` (decision hysteresis).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError, ModelError
from ..runtime import TFLiteModel, bundled_model_names, default_model_name
from ..threads import OneThread
from .body import RATE, BodySequence
from .labels import LABELS
from .options import ClassifierOptions

MODEL_RATE = 15.0
WINDOW = 32
STRIDE = 8
TOKENS = 14
CHANNELS = 3
VEL_SCALE = 0.2
_STEP = int(round(RATE / MODEL_RATE))


def sequence_tokens(seq: BodySequence) -> np.ndarray:
    """(T', 14, 3) float32 tokens at :data:`MODEL_RATE` for a whole body sequence."""
    xy = seq.xy[::_STEP]
    hip = seq.hip[::_STEP]
    T = len(xy)
    tok = np.zeros((T, TOKENS, CHANNELS), np.float32)
    ok = np.isfinite(xy).all(-1)
    tok[:, :13, :2] = np.where(ok[..., None], xy, 0.0)
    tok[:, :13, 2] = ok
    if T > 1:
        vel = np.gradient(hip, axis=0) * MODEL_RATE * VEL_SCALE
        vok = np.isfinite(vel).all(-1)
        tok[:, 13, :2] = np.where(vok[:, None], np.clip(np.nan_to_num(vel), -3.0, 3.0), 0.0)
        tok[:, 13, 2] = vok
    return tok


#: Token order of the left-right mirror image: head stays, each (left, right) pair swaps; the
#: root (hip velocity) token stays.
MIRROR = np.array([0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 13])


def mirrored(win: np.ndarray) -> np.ndarray:
    """Windows (..., TOKENS, CHANNELS) seen in a mirror: joints swap sides and every x is negated
    (joints are hip-centred and the root token is a velocity, so negation is the reflection)."""
    out = win[..., MIRROR, :].copy()
    out[..., 0] *= -1
    return out


def windows(tokens: np.ndarray, ends: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Windows ending at ``ends`` (token indices, exclusive); default: every :data:`STRIDE`.

    Returns (N, WINDOW, 14, 3) windows and the end indices used.
    """
    T = len(tokens)
    if ends is None:
        ends = np.arange(min(WINDOW, T), T + 1, STRIDE) if T >= WINDOW else np.array([T])
        if ends[-1] != T:
            ends = np.append(ends, T)
    pad = np.concatenate([np.zeros((WINDOW, TOKENS, CHANNELS), np.float32), tokens])
    idx = ends[:, None] + np.arange(WINDOW)[None, :]  # in padded coordinates: [end, end + W)
    return pad[idx], ends


def smooth_decisions(probs: np.ndarray, opts: ClassifierOptions = ClassifierOptions()) -> tuple[np.ndarray, np.ndarray]:
    """(N, C) window probabilities -> (N,) label ids and (N, C) smoothed probabilities."""
    out = np.zeros(len(probs), np.int64)
    sm = np.zeros_like(probs)
    cur, avg = -1, None
    other = LABELS.index("other")
    for i, p in enumerate(probs):
        avg = p if avg is None else (1 - opts.ema) * avg + opts.ema * p
        best = int(np.argmax(avg))
        if cur < 0 or avg[best] >= avg[cur] + opts.switch_margin:
            cur = best
        out[i] = cur if avg[cur] >= opts.min_confidence else other
        sm[i] = avg
    return out, sm


class ActivityClassifier:
    """The bundled sequence classifier (MotionBERT-lite or LSTM) through LiteRT.

    Args:
        model: manifest name (default: the manifest's 'activity' default), or a .tflite path.
        num_threads: LiteRT threads.
        mirror: average each window's probabilities with those of its left-right mirror image
            (x negated, left and right joints swapped). Every label is mirror-symmetric, so this
            only removes the model's handedness bias: Penn Action test accuracy +0.6 to +1.3 pt on
            four separately trained models (benchmarks/RESULTS.md), for a second invoke per window.
    """

    def __init__(self, model: str | Path | None = None, num_threads: int = 1, mirror: bool = True) -> None:
        self.mirror = mirror

        self.model = TFLiteModel(model if model is not None else default_model_name("activity"), num_threads=num_threads)
        shape = tuple(int(v) for v in self.model.inputs[0]["shape"])
        if shape[1:] != (WINDOW, TOKENS, CHANNELS):
            raise InvalidInputError(f"activity model input must be (1, {WINDOW}, {TOKENS}, {CHANNELS}), got {shape}")
        #: The model's own classes, in its output order (a model may know fewer than LABELS).
        self.model_labels = tuple((self.model.entry or {}).get("labels", LABELS))
        self._guard = OneThread(f"activity model {self.model.name!r}")
        n_out = int(self.model.outputs[0]["shape"][-1])
        if n_out != len(self.model_labels):
            if self.model.entry and "labels" in self.model.entry:
                raise ModelError(f"activity model {self.model.name!r} outputs {n_out} classes, its labels list "
                                 f"{len(self.model_labels)}")
            raise ModelError(f"activity model {self.model.name!r} outputs {n_out} classes, posekit has {len(LABELS)}: "
                             f"a model with other classes names them, in its output order, in "
                             f"{self.model.name + '.json'!r} ({{\"labels\": [...]}})")
        unknown = sorted(set(self.model_labels) - set(LABELS))
        if unknown:
            raise ModelError(f"activity model {self.model.name!r} has labels {unknown} that posekit does not know; "
                             f"allowed: {list(LABELS)}")
        #: Probabilities come out in LABELS order; a class the model lacks reads 0.
        self.labels = LABELS
        self._to_labels = np.array([LABELS.index(n) for n in self.model_labels])

    @property
    def name(self) -> str:
        return self.model.name

    def predict(self, win: np.ndarray) -> np.ndarray:
        """(N, WINDOW, 14, 3) -> (N, C) class probabilities (mirror-averaged when ``mirror``)."""
        win = np.ascontiguousarray(win, dtype=np.float32)
        views = (win, mirrored(win)) if self.mirror else (win,)
        probs = np.zeros((len(win), len(self.labels)), np.float32)
        with self._guard:
            for v in views:
                for i in range(len(win)):
                    probs[i, self._to_labels] += self.model.run(v[i:i + 1])[0][0]
        return probs / len(views)

    def classify(self, seq: BodySequence, opts: ClassifierOptions = ClassifierOptions(),
                 cache: dict[int, np.ndarray] | None = None, t_offset_s: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sliding-window labels for a sequence.

        Args:
            cache: window probabilities by absolute window-end index (at :data:`MODEL_RATE`,
                counted from the stream's start): windows already in it are not run again (the
                streaming tracker re-analyses overlapping buffers).
            t_offset_s: this sequence's start in a longer stream (a buffer, a shot): window ends
                lie on the stream's :data:`STRIDE` grid.

        Returns:
            times (N,) seconds at each window's end, label ids (N,) after smoothing, raw
            probabilities (N, C).
        """
        tok = sequence_tokens(seq)
        ends = None
        if len(tok) >= WINDOW:
            # Window ends on the stream's own STRIDE grid (plus the newest frame), so a buffer that
            # has slid by any number of frames finds its earlier windows in the cache, and a shot
            # that begins ``t_offset_s`` into a video has the same windows offline as live.
            off = int(round(t_offset_s * MODEL_RATE))
            ends = np.arange(WINDOW + (-(WINDOW + off)) % STRIDE, len(tok) + 1, STRIDE)
            if not len(ends) or ends[-1] != len(tok):
                ends = np.append(ends, len(tok))
        win, ends = windows(tok, ends)
        if cache is None:
            probs = self.predict(win)
        else:
            keys = np.round(ends + t_offset_s * MODEL_RATE).astype(int)
            todo = [i for i, k in enumerate(keys) if int(k) not in cache]
            for i, p in zip(todo, self.predict(win[todo])):
                cache[int(keys[i])] = p
            probs = np.stack([cache[int(k)] for k in keys])
        labels, _ = smooth_decisions(probs, opts)
        return ends / MODEL_RATE, labels, probs


def frame_labels(times: np.ndarray, labels: np.ndarray, n: int, rate: float) -> np.ndarray:
    """Window decisions (at window-end ``times``) -> (n,) label ids for frames at ``rate``: each
    frame takes the decision of the first window that ends at or after it."""
    t = np.arange(n) / rate
    idx = np.clip(np.searchsorted(times, t - 1e-9), 0, len(times) - 1)
    return labels[idx]


_local = threading.local()


def bundled_classifier(name: str | None = None) -> ActivityClassifier | None:
    """The bundled classifier, one instance per thread (interpreters are not thread-safe), or
    None when none is bundled."""
    if name is None and not bundled_model_names("activity"):
        return None
    models = _local.__dict__.setdefault("models", {})
    if name not in models:
        models[name] = ActivityClassifier(name)
    return models[name]
