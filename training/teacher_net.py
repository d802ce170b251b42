"""The teacher's own layers as a Keras network, read from its ``.tflite`` file.

The MediaPipe BlazePose GHUM *full* landmark model is a plain graph of convolutions, depthwise
convolutions, additions, bilinear x2 resizes and max pools, with float16 weights. This module reads
that graph (the flatbuffer schema that ships with LiteRT) and rebuilds any part of it in Keras at
any input size that is a multiple of 32, so a student can start from the teacher's weights instead
of from random ones: ``build(path, input_size, outputs)`` keeps only the layers the named output
tensors need (the segmentation decoder and the 288-channel regression head are dropped when the
heatmaps and the encoder are all that is asked for).

    net = build(teacher_path(), 256, ["Identity_3"])     # the teacher's heatmaps, same numbers
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

#: Tensor names in ``pose_landmark_full.tflite`` (mediapipe 0.10.21) that the student reads.
HEATMAP = "Identity_3"  # (1, S/4, S/4, 39) heatmap logits, 33 landmarks + 6 auxiliary points
ENCODER = "encoder"  # the encoder's last stride-32 features (864 channels; see Graph.encoder)
DECODER = "decoder"  # the stride-4 decoder features (48 channels) the heatmap convolution reads


@dataclasses.dataclass
class Op:
    kind: str
    inputs: list[int]  # activation tensor indices (constants resolved into ``weights``)
    output: int
    weights: list[np.ndarray]
    options: dict


@dataclasses.dataclass
class Graph:
    ops: list[Op]
    names: dict[str, int]  # tensor name -> index
    input: int
    producer: dict[int, int]  # tensor index -> op position
    consumers: dict[int, list[int]]  # tensor index -> positions of the ops that read it

    def tensor(self, name: str) -> int:
        if name == ENCODER:
            return self.encoder()
        if name == DECODER:
            return self.ops[self.producer[self.names[HEATMAP]]].inputs[0]
        if name not in self.names:
            from posekit.errors import InvalidInputError

            raise InvalidInputError(f"tensor {name!r} is not in the teacher graph (e.g. {HEATMAP!r}, {ENCODER!r}, {DECODER!r})")
        return self.names[name]

    def encoder(self) -> int:
        """The encoder's last (stride-32, 864-channel) tensor: what the decoder's first lateral
        1x1 convolution reads, i.e. the input of the op that feeds the first bilinear resize."""
        first_resize = next(op for op in self.ops if op.kind == "RESIZE_BILINEAR")
        return self.ops[self.producer[first_resize.inputs[0]]].inputs[0]


def read(path: str | Path) -> Graph:
    """The op list of a float (or float16-weight) TFLite graph with its constants as float32."""
    from ai_edge_litert import schema_py_generated as S

    buf = Path(path).read_bytes()
    m = S.ModelT.InitFromObj(S.Model.GetRootAsModel(buf, 0))
    g = m.subgraphs[0]
    codes = {v: k for k, v in vars(S.BuiltinOperator).items() if not k.startswith("_")}
    acts = {v: k for k, v in vars(S.ActivationFunctionType).items() if not k.startswith("_")}
    pads = {v: k for k, v in vars(S.Padding).items() if not k.startswith("_")}
    dtypes = {S.TensorType.FLOAT32: np.float32, S.TensorType.FLOAT16: np.float16, S.TensorType.INT32: np.int32}

    def const(i: int) -> np.ndarray | None:
        t = g.tensors[i]
        data = m.buffers[t.buffer].data
        if data is None or len(data) == 0:
            return None
        return np.frombuffer(bytes(data), dtypes[t.type]).reshape(t.shape)

    consts: dict[int, np.ndarray] = {}
    ops: list[Op] = []
    for op in g.operators:
        code = m.operatorCodes[op.opcodeIndex]
        kind = codes[max(code.builtinCode, code.deprecatedBuiltinCode)]
        if kind == "DEQUANTIZE":
            consts[op.outputs[0]] = const(op.inputs[0]).astype(np.float32)
            continue
        acts_in, weights = [], []
        for i in op.inputs:
            if i < 0:
                continue
            c = consts.get(i)
            if c is None:
                c = const(i)
            if c is None:
                acts_in.append(i)
            else:
                weights.append(np.asarray(c, np.float32) if c.dtype != np.int32 else c)
        o = op.builtinOptions
        opts: dict = {}
        if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            opts = {"padding": pads[o.padding], "stride": (o.strideH, o.strideW),
                    "activation": acts[o.fusedActivationFunction]}
        elif kind == "ADD":
            opts = {"activation": acts[o.fusedActivationFunction]}
        elif kind == "MAX_POOL_2D":
            opts = {"padding": pads[o.padding], "stride": (o.strideH, o.strideW), "size": (o.filterHeight, o.filterWidth)}
        elif kind == "RESIZE_BILINEAR":
            opts = {"half_pixel_centers": bool(o.halfPixelCenters), "align_corners": bool(o.alignCorners)}
        ops.append(Op(kind, acts_in, op.outputs[0], weights, opts))
    names = {g.tensors[i].name.decode() if isinstance(g.tensors[i].name, bytes) else g.tensors[i].name: i
             for i in range(len(g.tensors))}
    producer = {op.output: k for k, op in enumerate(ops)}
    consumers: dict[int, list[int]] = {}
    for k, op in enumerate(ops):
        for i in op.inputs:
            consumers.setdefault(i, []).append(k)
    return Graph(ops, names, g.inputs[0], producer, consumers)


def wide_expansions(g: Graph, min_width: int) -> list[int]:
    """Positions of the 1x1 expansion convolutions (ReLU6, >= 4x their input width) whose output
    has at least ``min_width`` channels: the inverted residuals' inner layers, which can lose
    channels without touching the residual stream."""
    out = []
    for k, op in enumerate(g.ops):
        if op.kind != "CONV_2D" or op.options["activation"] != "RELU6":
            continue
        w = op.weights[0]
        if w.shape[1:3] == (1, 1) and w.shape[0] >= max(min_width, 4 * w.shape[3]):
            out.append(k)
    return out


def _next_convs(g: Graph, k: int) -> tuple[int, list[int]]:
    """The tensor that the 1x1 convolution(s) after expansion ``k`` read (through its depthwise
    and padding ops), and those convolutions' positions."""
    t = g.ops[k].output
    while True:
        cs = g.consumers.get(t, [])
        convs = [c for c in cs if g.ops[c].kind == "CONV_2D"]
        if convs or not cs:
            return t, convs
        t = g.ops[cs[0]].output


@dataclasses.dataclass
class Thinning:
    keep: dict[int, np.ndarray]  # expansion position -> kept channel indices
    bias: dict[int, np.ndarray]  # next convolution's position -> bias delta (removed channels' mean)


def thinning(g: Graph, ops: list[int], keep: float, stats: dict[int, tuple[np.ndarray, np.ndarray]] | None = None) -> Thinning:
    """Which channels each expansion in ``ops`` keeps (the ``keep`` fraction, a multiple of 8).

    With ``stats`` (expansion -> per-channel mean and variance of what the next 1x1 convolution
    reads, over sample crops) a channel's score is the variance it puts into that convolution's
    output, and each removed channel's mean contribution moves into the convolution's bias, so
    the thinner network starts close to the teacher. Without, the score is the product of the
    expansion's and the next convolution's weight norms (the same number of channels is kept,
    which is all that rebuilding a trained network for its saved weights needs)."""
    kept, bias = {}, {}
    for k in ops:
        w = g.ops[k].weights[0]
        _, nxt = _next_convs(g, k)
        col = sum(np.square(g.ops[c].weights[0].reshape(g.ops[c].weights[0].shape[0], -1)).sum(0) for c in nxt)
        if stats is not None:
            mean, var = stats[k]
            score = var * col
        else:
            score = np.linalg.norm(w.reshape(w.shape[0], -1), axis=1) * np.sqrt(col)
        n = max(8, int(round(len(score) * keep / 8)) * 8)
        kept[k] = np.sort(np.argsort(-score)[:n])
        if stats is not None:
            gone = np.setdiff1d(np.arange(len(score)), kept[k])
            for c in nxt:
                wc = g.ops[c].weights[0].reshape(g.ops[c].weights[0].shape[0], -1)
                bias[c] = bias.get(c, 0) + wc[:, gone] @ mean[gone]
    return Thinning(kept, bias)


def build(path: str | Path, input_size: int, outputs: list[str], name: str = "teacher_net",
          keep_wide: float = 1.0, min_width: int = 864, samples: np.ndarray | None = None):
    """A Keras model image (B, S, S, 3) in [0, 1] -> the named teacher tensors, initialised with
    the teacher's weights. ``input_size`` must be a multiple of 32 (every stride divides it).
    ``keep_wide`` < 1 thins the expansions at least ``min_width`` wide to that fraction of their
    channels (see :func:`thinning`; ``samples``, (N, S, S, 3) crops in [0, 1], make it
    activation-aware); the named outputs then carry the kept channels only."""
    from posekit.errors import InvalidInputError

    if not (isinstance(input_size, int) and input_size >= 64 and input_size % 32 == 0):
        raise InvalidInputError(f"input_size must be a multiple of 32, at least 64, got {input_size!r}")
    if not (0.0 < keep_wide <= 1.0):
        raise InvalidInputError(f"keep_wide must be a fraction in (0, 1], got {keep_wide!r}")
    g = read(path)
    wanted = [g.tensor(n) for n in outputs]
    need = _needed(g, wanted)
    thin = Thinning({}, {})
    if keep_wide < 1:
        ops = [k for k in wide_expansions(g, min_width) if k in need]
        stats = None
        if samples is not None:
            reads = [_next_convs(g, k)[0] for k in ops]
            probe = _build(g, input_size, reads, _needed(g, reads), Thinning({}, {}), "probe")
            acts = probe.predict(samples, batch_size=32, verbose=0)
            acts = acts if isinstance(acts, list) else [acts]
            stats = {k: (a.mean((0, 1, 2)), a.var((0, 1, 2))) for k, a in zip(ops, acts)}
        thin = thinning(g, ops, keep_wide, stats)
    return _build(g, input_size, wanted, need, thin, name)


def _needed(g: Graph, wanted: list[int]) -> set[int]:
    need: set[int] = set()
    stack = list(wanted)
    while stack:  # ops the outputs depend on
        t = stack.pop()
        if t in g.producer and g.producer[t] not in need:
            need.add(g.producer[t])
            stack.extend(g.ops[g.producer[t]].inputs)
    return need


def _build(g: Graph, input_size: int, wanted: list[int], need: set[int], thin: Thinning, name: str):
    import keras
    from keras import layers

    from posekit.errors import InvalidInputError

    inp = keras.Input((input_size, input_size, 3), name="image")
    val = {g.input: inp}
    chan: dict[int, np.ndarray | None] = {g.input: None}  # kept channels of each tensor (None: all)
    act = {"NONE": None, "RELU6": lambda n: layers.ReLU(6.0, name=n), "RELU": lambda n: layers.ReLU(name=n)}
    for k in sorted(need):
        op = g.ops[k]
        x = [val[i] for i in op.inputs]
        c_in = chan[op.inputs[0]]
        c_out = c_in
        n = f"t{k:03d}_{op.kind.lower()}"
        if op.kind == "PAD":
            p = op.weights[0]
            y = layers.ZeroPadding2D(((int(p[1, 0]), int(p[1, 1])), (int(p[2, 0]), int(p[2, 1]))), name=n)(x[0])
        elif op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            w, b = op.weights
            pad = op.options["padding"].lower()
            if c_in is not None:
                w = w[..., c_in]
                if op.kind == "DEPTHWISE_CONV_2D":
                    b = b[c_in]
            if op.kind == "CONV_2D":  # tflite (out, kh, kw, in) -> keras (kh, kw, in, out)
                b = b + thin.bias.get(k, 0)
                c_out = thin.keep.get(k)
                if c_out is not None:
                    w, b = w[c_out], b[c_out]
                lay = layers.Conv2D(w.shape[0], w.shape[1:3], strides=op.options["stride"], padding=pad, name=n)
            else:  # tflite (1, kh, kw, C) -> keras (kh, kw, C, 1)
                lay = layers.DepthwiseConv2D(w.shape[1:3], strides=op.options["stride"], padding=pad, name=n)
            y = lay(x[0])
            lay.set_weights([w.transpose(1, 2, 3, 0), np.asarray(b, np.float32)])
            a = act[op.options["activation"]]
            if a is not None:
                y = a(n + "_act")(y)
        elif op.kind == "ADD":
            if any(chan[i] is not None for i in op.inputs):
                raise InvalidInputError(f"op {k}: an addition reads a thinned tensor (only expansions may be thinned)")
            y = layers.Add(name=n)(x)
            a = act[op.options["activation"]]
            if a is not None:
                y = a(n + "_act")(y)
        elif op.kind == "RESIZE_BILINEAR":
            if not op.options["half_pixel_centers"] or op.options["align_corners"]:
                raise InvalidInputError(f"op {k}: only half-pixel-centre bilinear resizes are supported")
            y = layers.UpSampling2D(2, interpolation="bilinear", name=n)(x[0])
        elif op.kind == "MAX_POOL_2D":
            y = layers.MaxPooling2D(op.options["size"], op.options["stride"], padding=op.options["padding"].lower(), name=n)(x[0])
        else:
            raise InvalidInputError(f"op {k} ({op.kind}) is not supported by the Keras rebuild")
        val[op.output] = y
        chan[op.output] = c_out
    return keras.Model(inp, [val[t] for t in wanted], name=name)
