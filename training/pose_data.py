"""Student training data: teacher-labelled base crops -> augmented crops and targets (in-graph TF)."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import tensorflow as tf

from posekit.keypoints import FLIP_PERM, NUM_KEYPOINTS, TORSO, indices

from .label import BASE_SCALE, BASE_SIZE
from .paths import cache_dir

log = logging.getLogger(__name__)
TORSO_IDX = indices(TORSO)


def load_cache(sources: tuple[str, ...] = ("lspet",), min_score: float = 0.5,
               root: Path | None = None, limit: int | None = None) -> dict[str, np.ndarray]:
    """Concatenate teacher shards into arrays; targets merge human labels (where visible) over the teacher.
    Samples the teacher is unsure of (pose score below ``min_score``) and held-back files are left out.

    Returns dict with image (N, 256, 256, 3) uint8, uv (N, 33, 2) base-crop coords, vis (N, 33),
    weight (N, 33), source (N,) int16 index into ``sources``, negatives (M, 160, 160, 3) uint8.
    """
    root = root or cache_dir() / "teacher"
    imgs, uvs, viss, ws, srcs, negs = [], [], [], [], [], []
    for si, src in enumerate(sources):
        for f in sorted((root / src).glob("shard_*.npz")):
            if f.name.endswith(".tmp.npz"):
                continue
            d = np.load(f)
            if len(d["negatives"]):
                negs.append(d["negatives"])
            if d["image"].ndim != 4:
                continue
            keep = d["score"] >= min_score
            if "holdout" in d and d["holdout"].shape == keep.shape:
                keep &= ~d["holdout"]  # held back for evaluation: never trained on
            t, h = d["teacher"][keep], d["human"][keep]
            uv = t[:, :, :2].copy()
            vis = t[:, :, 2].copy()
            w = np.where(t[:, :, 3] > 0.5, 1.0, 0.3).astype(np.float32)
            human_vis = h[:, :, 2] >= 1.0
            uv[human_vis] = h[:, :, :2][human_vis]
            w[human_vis] = 1.5
            vis[human_vis] = np.maximum(vis[human_vis], 0.8)
            imgs.append(d["image"][keep]); uvs.append(uv); viss.append(vis); ws.append(w)
            srcs.append(np.full(len(uv), si, np.int16))
    if not imgs:
        raise FileNotFoundError(f"no teacher shards under {root}; run python -m training.label first")
    out = {"image": np.concatenate(imgs), "uv": np.concatenate(uvs).astype(np.float32),
           "vis": np.concatenate(viss).astype(np.float32), "weight": np.concatenate(ws), "source": np.concatenate(srcs)}
    out["negatives"] = np.concatenate(negs) if negs else np.zeros((0, 160, 160, 3), np.uint8)
    if limit:
        out = {k: v[:limit] for k, v in out.items()}
    log.info("loaded %d samples, %d negatives", len(out["image"]), len(out["negatives"]))
    return out


def make_augmenter(input_size: int, heatmap_stride: int = 4, sigma: float = 1.5, strong: bool = True,
                   quarter_turns: float = 0.0, frame_edges: float = 0.0):
    """Returns ``fn(images, uv, vis, weight, neg_images, neg_mask) -> (x, targets)`` as a tf.function.

    ``quarter_turns``: fraction of samples turned a further +-90 degrees. Acquisition crops are
    upright, so a person in a plank, a push-up or lying on the floor lies sideways in them; a
    student that never saw that collapses there and tracks the collapse.

    ``frame_edges``: fraction of samples cut by a frame's edge: everything beyond a line across
    the body turns black, as the tracker's crop is beyond the image (:func:`frame_edge_mask`).
    The joints beyond keep their targets (where the teacher saw them) with visibility 0: a
    person filmed from the waist up still has legs below the frame, and a student that never saw
    that folds them into the picture (a hanging body's legs laid along its arms).
    """
    s = input_size
    hs = s // heatmap_stride
    flip_perm = tf.constant(FLIP_PERM, tf.int32)
    torso = tf.constant(TORSO_IDX, tf.int32)
    roi_px = BASE_SIZE / BASE_SCALE  # ROI side in base-crop pixels

    @tf.function(reduce_retracing=True)
    def augment(images, uv, vis, weight, neg_images, neg_mask):
        b = tf.shape(images)[0]
        u = lambda lo, hi: tf.random.uniform([b], lo, hi)
        rot = u(-0.5, 0.5) if strong else u(-0.3, 0.3)
        rot = tf.where(tf.random.uniform([b]) < 0.05, rot + math.pi, rot)
        quarter = tf.where(tf.random.uniform([b]) < 0.5, math.pi / 2, -math.pi / 2)
        rot = tf.where(tf.random.uniform([b]) < quarter_turns, rot + quarter, rot)
        scale = tf.exp(u(math.log(0.8), math.log(1.3)))
        # 20%: acquisition-like crops (person smaller and off-centre, as in a full-frame pass).
        far = tf.random.uniform([b]) < 0.2
        scale = tf.where(far, tf.exp(u(math.log(1.25), math.log(BASE_SCALE))), scale)
        shift_amp = tf.where(far, 0.25, 0.08)
        tx, ty = u(-1, 1) * shift_amp, u(-1, 1) * shift_amp
        flip = tf.random.uniform([b]) < 0.5
        k = scale * roi_px / s  # base px per crop px
        c, sn = tf.cos(rot) * k, tf.sin(rot) * k
        fx = tf.where(flip, -1.0, 1.0)
        # crop px (x, y) -> base px: centre + R * k * (fx * (x - s/2), y - s/2) + shift
        cx = BASE_SIZE / 2 + tx * roi_px
        cy = BASE_SIZE / 2 + ty * roi_px
        a0, a1 = c * fx, -sn
        b0, b1 = sn * fx, c
        a2 = cx - a0 * s / 2 - a1 * s / 2
        b2 = cy - b0 * s / 2 - b1 * s / 2
        zeros = tf.zeros([b])
        tr = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        x = tf.raw_ops.ImageProjectiveTransformV3(
            images=tf.cast(images, tf.float32), transforms=tr, output_shape=[s, s],
            fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT") / 255.0
        # Keypoints: base px -> crop px via the inverse of the 2x2 part.
        p = uv * BASE_SIZE - tf.stack([a2, b2], 1)[:, None, :]
        det = a0 * b1 - a1 * b0
        px = (b1[:, None] * p[..., 0] - a1[:, None] * p[..., 1]) / det[:, None]
        py = (-b0[:, None] * p[..., 0] + a0[:, None] * p[..., 1]) / det[:, None]
        kuv = tf.stack([px, py], -1) / s
        # Horizontal flip swaps left and right.
        kuv = tf.where(flip[:, None, None], tf.gather(kuv, flip_perm, axis=1), kuv)
        kvis = tf.where(flip[:, None], tf.gather(vis, flip_perm, axis=1), vis)
        kw = tf.where(flip[:, None], tf.gather(weight, flip_perm, axis=1), weight)
        inside = tf.reduce_all((kuv > 0.0) & (kuv < 1.0), axis=-1)
        kvis = kvis * tf.cast(inside, tf.float32)
        torso_in = tf.reduce_sum(tf.cast(tf.gather(inside, torso, axis=1), tf.float32), 1)
        presence = tf.cast(torso_in >= 3, tf.float32)
        # Photometric: brightness, contrast, saturation, grey, noise, blur.
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        x = (x - mean) * tf.random.uniform([b, 1, 1, 1], 0.6, 1.4) + mean + tf.random.uniform([b, 1, 1, 1], -0.2, 0.2)
        grey = tf.reduce_mean(x, axis=3, keepdims=True)
        sat = tf.random.uniform([b, 1, 1, 1], 0.5, 1.5)
        sat = tf.where(tf.random.uniform([b, 1, 1, 1]) < 0.1, 0.0, sat)
        x = grey + (x - grey) * sat
        x = x * tf.random.uniform([b, 1, 1, 3], 0.85, 1.15)
        blur = tf.image.resize(tf.image.resize(x, [s // 2, s // 2]), [s, s])
        x = tf.where(tf.random.uniform([b, 1, 1, 1]) < 0.2, blur, x)
        x = x + tf.random.normal(tf.shape(x)) * tf.random.uniform([b, 1, 1, 1], 0.0, 0.04)
        if strong:
            # Occluding rectangles (BlazePose): one random-colour box on 40% of samples.
            yy = tf.range(s, dtype=tf.float32)[None, :, None]
            xx = tf.range(s, dtype=tf.float32)[None, None, :]
            ow, oh = u(0.1, 0.4) * s, u(0.1, 0.4) * s
            ox, oy = u(0, 1) * (s - ow), u(0, 1) * (s - oh)
            box = ((xx >= ox[:, None, None]) & (xx < (ox + ow)[:, None, None]) &
                   (yy >= oy[:, None, None]) & (yy < (oy + oh)[:, None, None]))
            box = box & (tf.random.uniform([b, 1, 1]) < 0.4)
            colour = tf.random.uniform([b, 1, 1, 3])
            x = tf.where(box[..., None], colour, x)
            occ = tf.gather_nd(tf.cast(box, tf.float32), tf.stack([
                tf.repeat(tf.range(b), NUM_KEYPOINTS),
                tf.reshape(tf.clip_by_value(tf.cast(py, tf.int32), 0, s - 1), [-1]),
                tf.reshape(tf.clip_by_value(tf.cast(px, tf.int32), 0, s - 1), [-1])], 1))
            occ = tf.reshape(occ, [b, NUM_KEYPOINTS])
            occ = tf.where(flip[:, None], tf.gather(occ, flip_perm, axis=1), occ)
            kvis = kvis * (1.0 - occ)
        hw = kw * tf.cast(inside, tf.float32)
        if frame_edges > 0:
            beyond, cut_pt = frame_edge_mask(kuv, s, frame_edges)
            x = tf.where(beyond[..., None], 0.0, x)
            kvis = kvis * (1.0 - cut_pt)
            hw = hw * (1.0 - cut_pt)  # nothing in the picture to peak on
            cut = tf.reduce_any(beyond, axis=[1, 2])
            # A person cut at the waist is still there: two torso joints in view will do.
            seen = tf.cast(inside, tf.float32) * (1.0 - cut_pt)
            presence = tf.where(cut, tf.cast(tf.reduce_sum(tf.gather(seen, torso, axis=1), 1) >= 2, tf.float32),
                                presence)
        # Negatives replace some samples: background patches (a third of them flat colour + noise,
        # like an empty or dark frame), no person.
        neg = tf.cast(neg_mask, tf.bool)
        flat = tf.random.uniform([b, 1, 1, 3]) * tf.random.uniform([b, 1, 1, 1]) + tf.random.normal([b, s, s, 3]) * 0.03
        neg_x = tf.cast(neg_images, tf.float32) / 255.0
        neg_x = tf.where(tf.random.uniform([b, 1, 1, 1]) < 0.33, flat, neg_x)
        x = tf.where(neg[:, None, None, None], neg_x, x)
        x = tf.clip_by_value(x, 0.0, 1.0)
        presence = tf.where(neg, 0.0, presence)
        kw = kw * (1.0 - tf.cast(neg, tf.float32))[:, None]
        kvis = kvis * (1.0 - tf.cast(neg, tf.float32))[:, None]
        hw = hw * (1.0 - tf.cast(neg, tf.float32))[:, None]
        # Gaussian heatmaps at stride 4.
        g = (tf.range(hs, dtype=tf.float32) + 0.5)
        hx = kuv[..., 0] * hs
        hy = kuv[..., 1] * hs
        gx = tf.exp(-((g[None, None, :] - hx[..., None]) ** 2) / (2 * sigma ** 2))  # b,33,hs
        gy = tf.exp(-((g[None, None, :] - hy[..., None]) ** 2) / (2 * sigma ** 2))
        heat = tf.einsum("bky,bkx->byxk", gy, gx)
        targets = {"uv": kuv, "vis": kvis, "w": kw, "heat": heat, "heat_w": hw, "presence": presence[:, None]}
        return x, targets

    return augment


#: Which edge of the frame cuts a sample (``make_augmenter``'s ``frame_edges``), cumulative:
#: mostly the bottom (a person close to the camera, filmed from the waist or the knees up),
#: then the top, left and right.
EDGE_SIDES = (0.55, 0.70, 0.85, 1.0)


def frame_edge_mask(kuv, s: int, rate: float):
    """For a batch's keypoints ``kuv`` (b, 33, 2) in crop units: which crop pixels lie beyond a
    frame edge (b, s, s) bool, and which joints do (b, 33) float. A ``rate`` share of the samples
    is cut: by the bottom edge at 30-90% of the body's height from its top, by another edge at
    10-40% of the body's extent from that side."""
    b = tf.shape(kuv)[0]
    on = tf.random.uniform([b]) < rate
    r = tf.random.uniform([b])
    side = tf.reduce_sum(tf.cast(r[:, None] >= tf.constant(EDGE_SIDES[:-1]), tf.int32), 1)  # 0 bottom, 1 top, 2 left, 3 right
    lo, hi = tf.reduce_min(kuv, axis=1), tf.reduce_max(kuv, axis=1)  # (b, 2)
    f = tf.where(side == 0, tf.random.uniform([b], 0.3, 0.9), tf.random.uniform([b], 0.1, 0.4))
    axis = tf.where(side <= 1, 1, 0)  # y for bottom/top, x for left/right
    lo_a = tf.gather(lo, axis, batch_dims=1)
    hi_a = tf.gather(hi, axis, batch_dims=1)
    far = (side == 0) | (side == 3)  # the edge is at the high end of the axis
    pos = tf.where(far, lo_a + f * (hi_a - lo_a), hi_a - f * (hi_a - lo_a))  # the cut, in crop units
    coord = tf.gather(kuv, axis, axis=2, batch_dims=1)  # (b, 33)
    cut_pt = tf.where(far[:, None], coord > pos[:, None], coord < pos[:, None]) & on[:, None]
    g = (tf.range(s, dtype=tf.float32) + 0.5) / s
    rows, cols = tf.broadcast_to(g[None, :, None], [b, s, s]), tf.broadcast_to(g[None, None, :], [b, s, s])
    along = tf.where((axis == 1)[:, None, None], rows, cols)  # each pixel's coordinate on the cut's axis
    beyond = tf.where(far[:, None, None], along > pos[:, None, None], along < pos[:, None, None]) & on[:, None, None]
    return beyond, tf.cast(cut_pt, tf.float32)
