"""LiteRT interpreter wrapper: bundled or user models, thread count, signature checks.

Interpreter preference: ``ai_edge_litert`` (desktop, maintained) -> ``tflite_runtime`` (what
python-for-android ships) -> ``tf.lite`` (a TensorFlow install). Models are read as bytes, from
package data via :mod:`importlib.resources` or from a user path; nothing is downloaded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import json
import logging
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import InvalidInputError, MissingDependencyError, ModelError

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"


def interpreter_class() -> type:
    """Return the first available TFLite ``Interpreter`` class (LiteRT, tflite-runtime, tf.lite)."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter  # type: ignore[import-not-found]

        return Interpreter
    except ImportError:
        pass
    try:
        import tensorflow as tf  # type: ignore[import-not-found]

        return tf.lite.Interpreter
    except ImportError:
        raise MissingDependencyError(
            "no TFLite interpreter found: pip install ai-edge-litert "
            "(or tflite-runtime on Android, or tensorflow)"
        ) from None


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """Expected shape and dtype of one model input or output (shape -1 = any)."""

    shape: tuple[int, ...]
    dtype: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "TensorSpec":
        return cls(tuple(int(v) for v in d["shape"]), str(d["dtype"]))

    def matches(self, shape: Sequence[int], dtype: str) -> bool:
        if len(shape) != len(self.shape) or dtype != self.dtype:
            return False
        return all(e in (-1, int(s)) for e, s in zip(self.shape, shape))


def read_manifest() -> dict[str, Any]:
    """The bundled models' manifest (``posekit/models/manifest.json``)."""
    res = importlib.resources.files("posekit.models").joinpath(MANIFEST_NAME)
    try:
        return json.loads(res.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"models": {}, "defaults": {}}


def bundled_model_names(task: str | None = None) -> list[str]:
    """Names of bundled models, optionally only those for ``task`` ('pose', 'activity', ...)."""
    models = read_manifest().get("models", {})
    return sorted(n for n, e in models.items() if task is None or e.get("task") == task)


def default_model_name(task: str) -> str:
    """The bundled default model for ``task``."""
    manifest = read_manifest()
    name = manifest.get("defaults", {}).get(task)
    if name is None:
        raise ModelError(f"no bundled default model for task {task!r}; bundled: {sorted(manifest.get('models', {}))}")
    return name


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class TFLiteModel:
    """One TFLite model in an interpreter, with its manifest entry.

    Args:
        source: a bundled model name (see ``posekit info``) or a path to a ``.tflite`` file.
        num_threads: interpreter threads, in [1, 64].
        entry: manifest entry to check the model against. Bundled models use theirs; for a user
            path, ``<path>.json`` beside the file is used when present.

    Raises:
        ModelError: the file is missing, not a TFLite model, or disagrees with its manifest.
    """

    def __init__(self, source: str | os.PathLike[str], num_threads: int = 1,
                 entry: dict[str, Any] | None = None, *, xnnpack: bool = True) -> None:
        if not isinstance(num_threads, int) or isinstance(num_threads, bool) or not 1 <= num_threads <= 64:
            raise InvalidInputError(f"num_threads must be an int in [1, 64], got {num_threads!r}")
        self.name, data, self.entry = _load(source, entry)
        self.size_bytes = len(data)
        try:
            kwargs: dict[str, Any] = {}
            if not xnnpack:  # LiteRT's built-in kernels, without the default XNNPACK delegate
                kwargs["experimental_op_resolver_type"] = _builtin_resolver()
            self._interp = interpreter_class()(model_content=data, num_threads=num_threads, **kwargs)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise ModelError(
                f"model {self.name!r} is not a loadable TFLite model ({len(data)} bytes): {e}"
            ) from None
        self.inputs = self._interp.get_input_details()
        self.outputs = self._interp.get_output_details()
        if self.entry is not None:
            self._check_signature()

    def _check_signature(self) -> None:
        assert self.entry is not None
        for kind, details in (("inputs", self.inputs), ("outputs", self.outputs)):
            if kind not in self.entry:
                continue  # an entry may describe only the layout (e.g. a model under evaluation)
            want = [TensorSpec.from_json(t) for t in self.entry[kind]]
            got = [(tuple(int(s) for s in d["shape"]), np.dtype(d["dtype"]).name) for d in details]
            if len(want) != len(got):
                raise ModelError(
                    f"model {self.name!r} has {len(got)} {kind} {got}, manifest says {len(want)}: "
                    f"{[(w.shape, w.dtype) for w in want]}"
                )
            for w in want:
                if not any(w.matches(s, d) for s, d in got):
                    raise ModelError(
                        f"model {self.name!r} {kind} signature {got} has no tensor matching manifest "
                        f"shape {list(w.shape)} dtype {w.dtype}"
                    )

    def output_index(self, shape: Sequence[int]) -> int:
        """Position in :attr:`outputs` of the output whose shape is ``shape`` (-1 = any)."""
        spec = TensorSpec(tuple(shape), "")
        for i, d in enumerate(self.outputs):
            s = tuple(int(v) for v in d["shape"])
            if len(s) == len(spec.shape) and all(e in (-1, v) for e, v in zip(spec.shape, s)):
                return i
        raise ModelError(f"model {self.name!r} has no output of shape {list(shape)}; outputs: "
                         f"{[[int(v) for v in d['shape']] for d in self.outputs]}")

    def run(self, *arrays: np.ndarray) -> list[np.ndarray]:
        """Set inputs (in order), invoke, return copies of every output in order."""
        for d, a in zip(self.inputs, arrays):
            self._interp.set_tensor(d["index"], a)
        self._interp.invoke()
        return [self._interp.get_tensor(d["index"]) for d in self.outputs]

    def invoke_only(self) -> None:
        """Invoke with whatever inputs are set (for latency measurement)."""
        self._interp.invoke()


def _builtin_resolver() -> Any:
    """The interpreter module's ``OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES``."""
    module = importlib.import_module(interpreter_class().__module__)
    return module.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES


def _load(source: str | os.PathLike[str], entry: dict[str, Any] | None
          ) -> tuple[str, bytes, dict[str, Any] | None]:
    manifest = read_manifest().get("models", {})
    if isinstance(source, str) and source in manifest and not os.path.sep in source:
        e = manifest[source]
        res = importlib.resources.files("posekit.models").joinpath(e["file"])
        try:
            data = res.read_bytes()
        except FileNotFoundError:
            raise ModelError(f"bundled model {source!r}: file {e['file']!r} missing from the package") from None
        if "sha256" in e and _sha256(data) != e["sha256"]:
            raise ModelError(
                f"bundled model {source!r}: sha256 {_sha256(data)[:12]}... does not match manifest "
                f"{e['sha256'][:12]}... (file corrupted or replaced)"
            )
        return source, data, entry if entry is not None else e
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidInputError(f"model must be a bundled model name or a .tflite path, got {type(source).__name__} "
                                f"{source!r}")
    path = Path(source)
    if path.is_dir():
        raise ModelError(f"model {str(path)!r} is a folder, not a .tflite file")
    if not path.is_file():
        hint = f"; bundled models: {sorted(manifest)}" if manifest else ""
        raise ModelError(f"model file {str(path)!r} does not exist{hint}")
    data = path.read_bytes()
    if entry is None:
        sidecar = path.with_suffix(path.suffix + ".json")
        if sidecar.is_file():
            try:
                entry = json.loads(sidecar.read_text(encoding="utf-8"))
            except (ValueError, OSError, RecursionError) as e:
                raise ModelError(f"model {str(path)!r}: its manifest entry {str(sidecar)!r} is not readable JSON: {e}") from None
            if not isinstance(entry, dict):
                raise ModelError(f"model {str(path)!r}: its manifest entry {str(sidecar)!r} must be a JSON object, got "
                                 f"{type(entry).__name__}")
    return str(path), data, entry
