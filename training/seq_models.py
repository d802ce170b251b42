"""Sequence models over (WINDOW, 14 tokens, 3) keypoint windows.

* :func:`build_lstm`: per-frame embedding -> LSTM (Keras 3, ``unroll=True`` so full-integer TFLite
  conversion works at the fixed window length) -> mean + last state -> classes.
* :func:`build_motionbert`: MotionBERT-lite, a DSTformer scaled to phone size: joint tokens with
  joint and time embeddings, blocks alternating self-attention over joints (per frame) and over
  time (per joint), pre-norm, tanh-approximate GELU (tf2onnx, opset <= 18). Returns the encoder,
  a masked-reconstruction model for pretraining and a classifier sharing the encoder.
"""

from __future__ import annotations

import dataclasses

from posekit.activity.classifier import CHANNELS, TOKENS, WINDOW
from posekit.activity.labels import LABELS


def _keras():
    import keras

    return keras


def build_lstm(n_classes: int = len(LABELS), units: int = 64, embed: int = 64, dropout: float = 0.2):
    keras = _keras()
    L = keras.layers
    inp = keras.Input((WINDOW, TOKENS, CHANNELS), name="window")
    x = L.Reshape((WINDOW, TOKENS * CHANNELS))(inp)
    x = L.Dense(embed, activation="relu")(x)
    seq = L.LSTM(units, return_sequences=True, unroll=True)(x)
    last = L.Lambda(lambda t: t[:, -1])(seq)
    x = L.Concatenate()([L.GlobalAveragePooling1D()(seq), last])
    x = L.Dropout(dropout)(x)
    x = L.Dense(64, activation="relu")(x)
    out = L.Dense(n_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="activity_lstm")


def lstm_ensemble(members: list):
    """One model from LSTMs of :func:`build_lstm` trained apart (seeds): the mean of their logits,
    then one softmax. Logits rather than probabilities, so the int8 export keeps its one float
    softmax at the end (probabilities averaged in int8 would lose the small ones)."""
    keras = _keras()
    L = keras.layers
    inp = keras.Input((WINDOW, TOKENS, CHANNELS), name="window")
    logits = []
    for k, m in enumerate(members):
        head = m.get_layer("probs")
        body = keras.Model(m.inputs, head.input, name=f"lstm_body_{k}")
        dense = L.Dense(head.units, name=f"logits_{k}")
        x = dense(body(inp))
        dense.set_weights(head.get_weights())
        logits.append(x)
    avg = L.Average(name="mean_logits")(logits) if len(logits) > 1 else logits[0]
    return keras.Model(inp, L.Softmax(name="probs")(avg), name="activity_lstm_ensemble")


@dataclasses.dataclass(frozen=True)
class MotionBertConfig:
    dim: int = 32
    heads: int = 4
    depth: int = 2       # spatial+temporal block pairs
    mlp_ratio: int = 2
    dropout: float = 0.1


def _attention_block(keras, dim: int, heads: int, mlp_ratio: int, dropout: float, mode: str, name: str):
    """Pre-norm transformer block over joints ('spatial') or frames ('temporal') of (B, T, J, D)."""
    from keras import ops

    L = keras.layers

    class Block(L.Layer):
        def __init__(self, **kw):
            super().__init__(name=name, **kw)
            self.n1, self.n2 = L.LayerNormalization(epsilon=1e-5), L.LayerNormalization(epsilon=1e-5)
            self.qkv, self.proj = L.Dense(3 * dim), L.Dense(dim)
            self.fc1, self.fc2 = L.Dense(dim * mlp_ratio), L.Dense(dim)
            self.drop = L.Dropout(dropout)

        def attend(self, x):  # x: (N, S, D)
            S = ops.shape(x)[1]
            qkv = ops.reshape(self.qkv(x), (-1, S, 3, heads, dim // heads))
            qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))  # (3, N, H, S, d)
            q, k, v = qkv[0], qkv[1], qkv[2]
            a = ops.softmax(ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) * (dim // heads) ** -0.5, axis=-1)
            o = ops.transpose(ops.matmul(a, v), (0, 2, 1, 3))
            return self.proj(ops.reshape(o, (-1, S, dim)))

        def call(self, x, training=False):
            T, J = WINDOW, TOKENS
            h = self.n1(x)
            if mode == "spatial":
                h = ops.reshape(self.attend(ops.reshape(h, (-1, J, dim))), (-1, T, J, dim))
            else:
                h = ops.transpose(h, (0, 2, 1, 3))
                h = ops.reshape(self.attend(ops.reshape(h, (-1, T, dim))), (-1, J, T, dim))
                h = ops.transpose(h, (0, 2, 1, 3))
            x = x + self.drop(h, training=training)
            h = self.fc2(keras.activations.gelu(self.fc1(self.n2(x)), approximate=True))
            return x + self.drop(h, training=training)

    return Block()


def build_motionbert(cfg: MotionBertConfig = MotionBertConfig(), n_classes: int = len(LABELS)):
    """(encoder, pretrain_model, classifier): the latter two share the encoder's weights.

    pretrain_model: window -> (B, T, J, 2) reconstructed joint coordinates / root velocity.
    classifier: window -> (B, n_classes) softmax.
    """
    keras = _keras()
    from keras import ops

    L = keras.layers

    class Embed(L.Layer):
        def build(self, shape):
            self.joint = self.add_weight(shape=(1, 1, TOKENS, cfg.dim), initializer="random_normal", name="joint")
            self.time = self.add_weight(shape=(1, WINDOW, 1, cfg.dim), initializer="random_normal", name="time")

        def call(self, x):
            return x + self.joint + self.time

    inp = keras.Input((WINDOW, TOKENS, CHANNELS), name="window")
    x = Embed(name="embed_pos")(L.Dense(cfg.dim, name="embed")(inp))
    for i in range(cfg.depth):
        for mode in ("spatial", "temporal"):
            x = _attention_block(keras, cfg.dim, cfg.heads, cfg.mlp_ratio, cfg.dropout, mode, f"{mode}_{i}")(x)
    feats = L.LayerNormalization(epsilon=1e-5, name="norm")(x)
    encoder = keras.Model(inp, feats, name="motionbert_encoder")

    rec = L.Dense(2, name="reconstruct")(encoder(inp))
    pretrain = keras.Model(inp, rec, name="motionbert_pretrain")

    h = encoder(inp)
    pooled = L.Lambda(lambda t: ops.mean(t, axis=(1, 2)))(h)
    pooled = L.Dropout(0.2)(pooled)
    pooled = L.Dense(64, activation="relu")(pooled)
    out = L.Dense(n_classes, activation="softmax", name="probs")(pooled)
    classifier = keras.Model(inp, out, name="activity_motionbert")
    return encoder, pretrain, classifier
