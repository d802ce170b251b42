"""The BlazePose-style student: encoder-decoder heatmap branch + stop-gradient regression branch.

Heatmaps (B, S/4, S/4, 33) supervise the encoder-decoder during training only. The regression
branch reads the decoder's features through ``stop_gradient`` (BlazePose, Bazarevsky et al. 2020)
and outputs ``landmarks`` (B, 33, 3) = crop-normalised (u, v) + visibility probability, and
``presence`` (B, 1). Export keeps only the regression outputs (layout ``posekit_v1``).

With ``heat_prior`` > 0 the regression maps also read the heatmap head's logits (through the same
stop-gradient), scaled by a trained temperature that starts at ``heat_prior``: the spatial
softmax of the branch then starts as a sharpened soft-argmax of the heatmap, which on held-back
LSPET crops scores PCK@0.2 0.25 where the branch's own maps reached 0.20 (heatmap argmax 0.25).

``backbone="teacher"`` replaces the encoder-decoder with the teacher's own (its layers and weights
read from ``pose_landmark_full.tflite`` by :mod:`training.teacher_net`, at the student's input
size, without the teacher's segmentation decoder and regression head, the expansions at least
``thin_from`` channels wide thinned to ``keep_wide``), so training starts from the teacher's
features instead of from random ones; the regression branch, visibility and presence heads are the
same.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from keras import layers, ops

from posekit.keypoints import NUM_KEYPOINTS


@dataclasses.dataclass(frozen=True)
class StudentConfig:
    input_size: int = 160
    widths: tuple[int, ...] = (16, 24, 32, 64, 128)  # stem/80, 40, 20, 10, 5
    blocks: tuple[int, ...] = (1, 2, 3, 3, 2)
    decoder_width: int = 48
    expansion: int = 4
    head_width: int = 128
    heat_prior: float = 0.0  # initial temperature of the heatmap logits in the regression maps; 0 = off
    backbone: str = "own"  # "own" (above) or "teacher" (the teacher's encoder-decoder, see module doc)
    keep_wide: float = 0.5  # teacher backbone: fraction of the wide expansions' channels kept
    thin_from: int = 864  # teacher backbone: expansions at least this wide are thinned (its widths: 864, 528, 384)


def student_config(run_config: dict) -> StudentConfig:
    """The network a training run's ``config.json`` describes (one place for train and export)."""
    tiny = dict(widths=(8, 8, 16, 16, 32), blocks=(1, 1, 1, 1, 1), decoder_width=16, head_width=32)
    return StudentConfig(input_size=run_config["input_size"], heat_prior=float(run_config.get("heat_prior", 0.0)),
                         backbone=run_config.get("backbone", "own"), keep_wide=float(run_config.get("keep_wide", 0.5)),
                         thin_from=int(run_config.get("thin_from", 864)),
                         **(tiny if run_config.get("tiny") else {}))


def _ir(x, out: int, stride: int, expansion: int, name: str):
    """MobileNetV2 inverted residual (ReLU6; quantises cleanly to int8)."""
    inp = x.shape[-1]
    h = x
    if expansion != 1:
        h = layers.Conv2D(inp * expansion, 1, use_bias=False, name=f"{name}_exp")(h)
        h = layers.BatchNormalization(name=f"{name}_exp_bn")(h)
        h = layers.ReLU(6.0, name=f"{name}_exp_relu")(h)
    h = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(h)
    h = layers.BatchNormalization(name=f"{name}_dw_bn")(h)
    h = layers.ReLU(6.0, name=f"{name}_dw_relu")(h)
    h = layers.Conv2D(out, 1, use_bias=False, name=f"{name}_proj")(h)
    h = layers.BatchNormalization(name=f"{name}_proj_bn")(h)
    if stride == 1 and inp == out:
        h = layers.Add(name=f"{name}_add")([x, h])
    return h


def _sep(x, out: int, name: str, stride: int = 1):
    h = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(x)
    h = layers.BatchNormalization(name=f"{name}_dw_bn")(h)
    h = layers.Conv2D(out, 1, use_bias=False, name=f"{name}_pw")(h)
    h = layers.BatchNormalization(name=f"{name}_pw_bn")(h)
    return layers.ReLU(6.0, name=f"{name}_relu")(h)


def _pw(x, out: int, name: str):
    h = layers.Conv2D(out, 1, use_bias=False, name=name)(x)
    return layers.BatchNormalization(name=f"{name}_bn")(h)


class StopGradient(layers.Layer):
    def call(self, x):
        return ops.stop_gradient(x)


class Temperature(layers.Layer):
    """Multiplies its input by one trained positive scalar (stored as its logarithm)."""

    def __init__(self, initial: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = float(initial)

    def build(self, input_shape):
        self.log_t = self.add_weight(shape=(), initializer=keras.initializers.Constant(np.log(self.initial)), name="log_t")

    def call(self, x):
        return x * ops.exp(self.log_t)

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


class FirstChannels(layers.Layer):
    """The first ``n`` channels of its input (the teacher's 33 landmark heatmaps of its 39)."""

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, x):
        return x[..., : self.n]

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _own_backbone(cfg: StudentConfig):
    """image -> (heatmap logits (S/4), decoder features (S/4), stride-32 features)."""
    s = cfg.input_size
    inp = keras.Input((s, s, 3), name="image")
    x = layers.Rescaling(2.0, offset=-1.0, name="norm")(inp)
    x = layers.Conv2D(cfg.widths[0], 3, strides=2, padding="same", use_bias=False, name="stem")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_relu")(x)
    feats = []
    for si, (w, n) in enumerate(zip(cfg.widths, cfg.blocks)):
        for bi in range(n):
            stride = 2 if (bi == 0 and si > 0) else 1
            x = _ir(x, w, stride, 1 if si == 0 else cfg.expansion, f"enc{si}_{bi}")
        feats.append(x)  # strides 2, 4, 8, 16, 32
    # Heatmap branch: top-down decoder to stride 4 with lateral skips.
    d = cfg.decoder_width
    dec = {}
    y = _pw(feats[4], d, "lat4")
    dec[32] = y
    for level, f in ((3, feats[3]), (2, feats[2]), (1, feats[1])):
        y = layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level}")(y)
        y = layers.Add(name=f"merge{level}")([y, _pw(f, d, f"lat{level}")])
        y = _sep(y, d, f"dec{level}")
        dec[2 ** (level + 1)] = y
    heat = layers.Conv2D(NUM_KEYPOINTS, 1, name="heatmap")(dec[4])
    return inp, heat, dec[4], dec[32]


def _teacher_backbone(cfg: StudentConfig, samples: np.ndarray | None = None):
    from . import teacher_net
    from .teacher import teacher_path

    net = teacher_net.build(teacher_path(), cfg.input_size,
                            [teacher_net.HEATMAP, teacher_net.DECODER, teacher_net.ENCODER],
                            name="teacher_backbone", keep_wide=cfg.keep_wide, min_width=cfg.thin_from,
                            samples=samples)
    inp = keras.Input((cfg.input_size,) * 2 + (3,), name="image")
    heat39, dec4, enc = net(inp)
    return inp, FirstChannels(NUM_KEYPOINTS, name="heatmap")(heat39), dec4, enc


def build_student(cfg: StudentConfig = StudentConfig(), samples: np.ndarray | None = None) -> keras.Model:
    """Training model: image (B, S, S, 3) float in [0, 1] -> {heatmap, landmarks, presence}.

    ``samples`` (crops in [0, 1]) make the teacher backbone's thinning activation-aware; they only
    change its starting weights, never its shape, so a trained run rebuilds without them."""
    if cfg.backbone not in ("own", "teacher"):
        from posekit.errors import InvalidInputError

        raise InvalidInputError(f"StudentConfig.backbone must be 'own' or 'teacher', got {cfg.backbone!r}")
    s = cfg.input_size
    inp, heat, dec4, enc = _teacher_backbone(cfg, samples) if cfg.backbone == "teacher" else _own_backbone(cfg)
    d = cfg.decoder_width
    # Regression branch: its own layers over stop-gradient decoder features. Coordinates come from
    # integral regression (spatial softmax expectation, Sun et al. 2018) of the branch's own maps,
    # which converges in a CPU-sized budget where a dense regressor does not; visibility and
    # presence come from a pooled encoder of the same features.
    sg = StopGradient(name="stop_grad")
    r = sg(dec4)
    r = _sep(r, d, "reg_sep1")
    r = _sep(r, d, "reg_sep2")
    hs = s // 4
    if cfg.heat_prior > 0:
        # Starts as the sharpened heatmap (zero correction), learns corrections on top of it.
        own = layers.Conv2D(NUM_KEYPOINTS, 1, kernel_initializer="zeros", name="reg_maps")(r)
        reg_maps = layers.Add(name="reg_prior_add")([own, Temperature(cfg.heat_prior, name="reg_heat_t")(sg(heat))])
    else:
        reg_maps = layers.Conv2D(NUM_KEYPOINTS, 1, name="reg_maps")(r)
    flat = layers.Reshape((hs * hs, NUM_KEYPOINTS), name="reg_flat")(reg_maps)
    flat = layers.Permute((2, 1), name="reg_perm")(flat)
    prob = layers.Softmax(axis=-1, name="reg_softmax")(flat)
    grid = layers.Dense(2, use_bias=False, trainable=False, name="uv")
    uv = grid(prob)
    g = (np.arange(hs, dtype="float32") + 0.5) / hs
    gx, gy = np.meshgrid(g, g)
    grid.set_weights([np.stack([gx.ravel(), gy.ravel()], 1)])
    e = sg(enc)
    if cfg.backbone == "teacher":  # hundreds of channels: project first, so the float head stays small
        e = layers.Conv2D(cfg.head_width // 2, 1, name="reg_enc_proj")(e)
        e = layers.ReLU(6.0, name="reg_enc_proj_relu")(e)
    e = layers.Concatenate(name="reg_pool_in")([layers.GlobalAveragePooling2D(name="reg_gap")(e),
                                                layers.GlobalMaxPooling2D(name="reg_gmp")(e)])
    e = layers.Dense(cfg.head_width, name="reg_fc")(e)
    e = layers.ReLU(6.0, name="reg_fc_relu")(e)
    vis = layers.Reshape((NUM_KEYPOINTS, 1), name="vis")(
        layers.Dense(NUM_KEYPOINTS, activation="sigmoid", name="vis_fc")(e))
    landmarks = layers.Concatenate(axis=-1, name="landmarks")([uv, vis])
    presence = layers.Dense(1, activation="sigmoid", name="presence")(e)
    return keras.Model(inp, {"heatmap": heat, "landmarks": landmarks, "presence": presence}, name="posekit_student")


def inference_model(train_model: keras.Model) -> keras.Model:
    """The exported graph: image -> (landmarks (B, 33, 3), presence (B, 1)); heatmap head dropped."""
    return keras.Model(train_model.input,
                       [train_model.get_layer("landmarks").output, train_model.get_layer("presence").output],
                       name="posekit_pose")
