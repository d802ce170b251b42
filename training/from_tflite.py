"""Start a training run from a shipped student's ``.tflite`` file instead of a run's weights.

The bundled pose models are the only copy of the trained weights that travels with posekit, so an
ML engineer who fine-tunes on their own footage starts from them (``train_pose --init
posekit/models/pose_student_float16.tflite``). The float16 file keeps every weight (as float16)
under the Keras layer names it was exported from; the converter folded the regression branch's
batch normalisation into the convolution before it. :func:`load_into` reads each layer's
constants back by name, puts the folded kernel into the convolution and the folded shift into the
batch-norm layer (unit scale, zero mean, unit variance), and freezes those batch-norm layers, so
that they keep that affine map in training too instead of re-normalising by batch statistics.
An int8 file is refused: its weights are rounded to 8 bits.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np


def _constants(path: Path) -> list[tuple[list[str], np.ndarray]]:
    """(name segments, value) of every float constant in the file."""
    from posekit.runtime import interpreter_class

    it = interpreter_class()(model_path=str(path))
    it.allocate_tensors()
    out = []
    for d in it.get_tensor_details():
        if d["dtype"] not in (np.float16, np.float32):
            continue
        try:
            a = np.asarray(it.get_tensor(d["index"]), np.float32)
        except ValueError:  # an activation: no data
            continue
        out.append((d["name"].split(";"), a))
    return out


def _leaf_layers(model) -> list:
    out = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            out += _leaf_layers(layer)
        elif layer.weights:
            out.append(layer)
    return out


def _ops(segments: list[str], name: str) -> list[str]:
    """The ops a constant's name segments give it in layer ``name`` (e.g. 'convolution',
    'BiasAdd'): the Keras layer path ``.../<name>_<n>/<op>`` the converter kept."""
    found = (re.search(rf"(?:^|/){re.escape(name)}_\d+/(.+)$", seg) for seg in segments)
    return [m.group(1) for m in found if m]


#: Ops whose constant is a layer's kernel (convolution, depthwise, dense).
KERNEL_OPS = {"convolution", "depthwise", "MatMul", "Tensordot/MatMul"}


def load_into(model, path: str | Path) -> list[str]:
    """Load the float weights of ``path`` into ``model`` (built with the same config) by layer
    name; returns the names of the batch-norm layers that were frozen. Raises
    :class:`posekit.errors.InvalidInputError` for a file that does not hold this network."""
    from posekit.errors import InvalidInputError

    path = Path(path)
    consts = _constants(path)
    if not any(a.ndim == 4 for _, a in consts):
        raise InvalidInputError(f"init={str(path)!r} holds no float convolution weights (an int8 build?); "
                                "start from the float16 file")
    leaves = _leaf_layers(model)
    by_name = {layer.name: layer for layer in leaves}
    for layer in leaves:
        kind = type(layer).__name__
        if layer.name == "uv":  # the fixed coordinate grid: this network's own
            continue
        if kind == "BatchNormalization":
            continue  # set with the convolution it follows
        mine = [(ops, a) for ops, a in ((_ops(segs, layer.name), a) for segs, a in consts) if ops]
        kernels = [a for ops, a in mine if KERNEL_OPS & set(ops) and a.ndim >= 2]
        if kind == "Temperature":
            exp = [a for ops, a in mine if "Exp" in ops and a.size == 1]
            if not exp:
                raise InvalidInputError(f"init={str(path)!r}: no constant for layer {layer.name!r}")
            layer.set_weights([np.array(np.log(float(exp[0])), np.float32)])
            continue
        if len(kernels) != 1:
            raise InvalidInputError(f"init={str(path)!r}: {len(kernels)} kernels found for layer {layer.name!r} "
                                    "(is it this network?)")
        k = kernels[0]
        want = [tuple(w.shape) for w in layer.get_weights()]
        if kind == "Dense":
            k = k.T
        else:  # Conv2D [out, kh, kw, in], DepthwiseConv2D [1, kh, kw, C] -> Keras (kh, kw, in, out / 1)
            k = np.transpose(k, (1, 2, 3, 0))
        if k.shape != want[0]:
            raise InvalidInputError(f"init={str(path)!r}: layer {layer.name!r} has kernel {k.shape}, "
                                    f"the network wants {want[0]}")
        c = k.shape[-1] if kind != "DepthwiseConv2D" else k.shape[2]
        biases = [a for _, a in mine if a.ndim == 1 and a.shape[0] == c]
        bias = biases[0] if biases else np.zeros(c, np.float32)
        bn = by_name.get(f"{layer.name}_bn")
        if len(want) == 2:
            layer.set_weights([k, bias])
        else:
            layer.set_weights([k])
            if bn is not None:  # the folded shift; unit scale, zero mean, unit variance
                eps = float(bn.epsilon)
                bn.set_weights([np.full(c, np.sqrt(1 + eps), np.float32), bias,
                                np.zeros(c, np.float32), np.ones(c, np.float32)])
            elif biases:
                raise InvalidInputError(f"init={str(path)!r}: layer {layer.name!r} has a bias but the network none")
    return freeze_batch_norms(model)


def freeze_batch_norms(model) -> list[str]:
    """Freeze every batch-norm layer (Keras then runs it in inference mode, an affine map); their
    names. ``train`` calls it for every run whose chain of ``--init``s began at a .tflite
    (``train_pose.folded_batch_norms``), resumed or continued."""
    names = []
    for layer in _leaf_layers(model):
        if type(layer).__name__ == "BatchNormalization":
            layer.trainable = False
            names.append(layer.name)
    return names
