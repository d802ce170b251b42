"""Train the rep phase model (:mod:`posekit.activity.phase`) on RepCount-pose's salient frames.

Every training video's salient poses (held-back videos never: :func:`training.repcount.is_held_back`)
become one-frame body features; the target is (exercise, phase). Frames of Penn Action's other
actions (baseball, bowling, golf, tennis, guitar, clean and jerk, jump rope, jumping jacks; its
train split, human-labelled joints) are the "other" class, so that a pose of none of the eight
exercises need not be called one. Augmentation stands in for other
cameras and estimators: mirror images, rotation, horizontal and vertical stretch (other viewing
angles), joint noise and joints dropped. Poses mixed from a start and a middle pose of one video
are trained as that mixture of the two phases, so the phase probability moves smoothly through a
rep rather than jumping. The float16 export is ``export.phase``.

    python -m training.train_phase --out ~/.cache/posekit/runs/phase
    python -m export.phase --run ~/.cache/posekit/runs/phase --install
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from posekit.activity.body import BodySequence, normalise, to_body13
from posekit.activity.classifier import MIRROR
from posekit.activity.phase import FEATURES, PHASE_EXERCISES, frame_features

from .activity_data import penn_index, penn_joints
from .repcount import Video, fold, load_videos

log = logging.getLogger("posekit.train_phase")
#: BODY13 order of the left-right mirror (the classifier's token order without its root token).
MIRROR13 = MIRROR[:13]


def body_of(kps: np.ndarray) -> BodySequence:
    """One (33, 3) pose as a normalised one-frame body."""
    return normalise(to_body13(kps[None]), 30.0)


def poses(videos: list[Video]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(N, 13, 2) normalised joints, (N, 13) seen, (N,) exercise index, (N,) phase, plus the video
    index of each (for mixing poses of one video)."""
    xy, seen, cls, phase, vid = [], [], [], [], []
    for i, v in enumerate(videos):
        for p, arr in ((0, v.starts), (1, v.middles)):
            for k in arr:
                b = body_of(k)
                xy.append(b.xy[0])
                seen.append(b.mask[0])
                cls.append(PHASE_EXERCISES.index(v.exercise))
                phase.append(p)
                vid.append(i)
    return np.stack(xy), np.stack(seen), np.asarray(cls), np.asarray(phase), np.asarray(vid)


#: Penn Action's actions that are none of the phase model's exercises.
PENN_OTHER = ("baseball_pitch", "baseball_swing", "bowl", "clean_and_jerk", "golf_swing", "jump_rope", "jumping_jacks",
              "strum_guitar", "tennis_forehand", "tennis_serve")
OTHER = 2 * len(PHASE_EXERCISES)  # index of the "other" output
OUTPUTS = OTHER + 1


def other_poses(split: str, per_clip: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(N, 13, 2) normalised joints and (N, 13) seen of ``per_clip`` evenly spaced frames of every
    Penn Action clip of :data:`PENN_OTHER` in ``split``."""
    xy, seen = [], []
    for r in penn_index():
        if r["split"] != split or r["action"] not in PENN_OTHER:
            continue
        kps = penn_joints(r["video_id"])
        for i in np.linspace(0, len(kps) - 1, per_clip).astype(int):
            b = normalise(to_body13(kps[i:i + 1], "penn13"), 30.0)
            xy.append(b.xy[0])
            seen.append(b.mask[0])
    return np.stack(xy), np.stack(seen)


def augment(xy: np.ndarray, seen: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = len(xy)
    xy = np.nan_to_num(xy.copy())
    flip = rng.random(n) < 0.5
    xy[flip] = xy[flip][:, MIRROR13] * np.array([-1.0, 1.0])
    seen = np.where(flip[:, None], seen[:, MIRROR13], seen)
    a = np.radians(rng.uniform(-20, 20, n))
    rot = np.stack([np.stack([np.cos(a), -np.sin(a)], -1), np.stack([np.sin(a), np.cos(a)], -1)], -2)
    xy = np.einsum("nij,nkj->nki", rot, xy)
    xy *= rng.uniform(0.75, 1.25, (n, 1, 2))
    xy += rng.normal(0, 0.04, xy.shape)
    drop = rng.random(seen.shape) < 0.05
    return xy, seen & ~drop


def training_set(xy, seen, cls, phase, vid, other, rng, mix_frac: float = 0.4):
    """Features and soft (exercise, phase) targets, with a share of start/middle mixtures, and the
    ``other`` poses ((xy, seen)) as the other class."""
    n = len(xy)
    y = np.zeros((n, OUTPUTS), np.float32)
    y[np.arange(n), 2 * cls + phase] = 1
    # Mixtures: a start pose and a middle pose of the same video, weight w on the middle.
    starts = {v: np.flatnonzero((vid == v) & (phase == 0)) for v in np.unique(vid)}
    mids = {v: np.flatnonzero((vid == v) & (phase == 1)) for v in np.unique(vid)}
    k = int(mix_frac * n)
    pick = rng.integers(0, n, k)
    a = np.array([rng.choice(starts[vid[i]]) for i in pick])
    b = np.array([rng.choice(mids[vid[i]]) for i in pick])
    w = rng.uniform(0, 1, k)
    mxy = (1 - w)[:, None, None] * np.nan_to_num(xy[a]) + w[:, None, None] * np.nan_to_num(xy[b])
    mseen = seen[a] & seen[b]
    my = np.zeros((k, y.shape[1]), np.float32)
    my[np.arange(k), 2 * cls[a]] = 1 - w
    my[np.arange(k), 2 * cls[a] + 1] = w
    oy = np.zeros((len(other[0]), y.shape[1]), np.float32)
    oy[:, OTHER] = 1
    axy, aseen = augment(np.concatenate([xy, mxy, other[0]]), np.concatenate([seen, mseen, other[1]]), rng)
    return frame_features(axy, aseen), np.concatenate([y, my, oy])


def build_model(hidden: int = 96, dropout: float = 0.2, name: str = "rep_phase"):
    import keras

    L = keras.layers
    inp = keras.Input((FEATURES,), name="frames")
    x = L.Dense(hidden, activation="relu")(inp)
    x = L.Dropout(dropout)(x)
    x = L.Dense(hidden, activation="relu")(x)
    x = L.Dropout(dropout)(x)
    out = L.Dense(OUTPUTS, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name=name)


def per_frame_metrics(probs: np.ndarray, cls: np.ndarray, phase: np.ndarray) -> dict[str, float]:
    """Exercise accuracy (of nine: the eight exercises and other) and phase accuracy (given the
    true exercise) on salient frames."""
    p = probs[:, :OTHER].reshape(len(probs), len(PHASE_EXERCISES), 2)
    ex = np.where(probs[:, OTHER] > p.sum(-1).max(-1), -1, p.sum(-1).argmax(-1))
    ph = p[np.arange(len(p)), cls].argmax(-1)
    out = {"frames": int(len(p)), "exercise_accuracy": float(np.mean(ex == cls)),
           "phase_accuracy": float(np.mean(ph == phase))}
    out["per_exercise"] = {e: {"frames": int((cls == i).sum()), "exercise_accuracy": float(np.mean(ex[cls == i] == i)),
                               "phase_accuracy": float(np.mean(ph[cls == i] == phase[cls == i]))}
                           for i, e in enumerate(PHASE_EXERCISES) if (cls == i).any()}
    return out


def other_metrics(probs: np.ndarray) -> dict[str, float]:
    """On frames of none of the exercises: the share called other, and the largest share called
    any one exercise."""
    ex = probs[:, :OTHER].reshape(len(probs), len(PHASE_EXERCISES), 2).sum(-1)
    called = np.where(probs[:, OTHER] >= ex.max(-1), -1, ex.argmax(-1))
    worst = max(PHASE_EXERCISES, key=lambda e: np.mean(called == PHASE_EXERCISES.index(e)))
    return {"frames": int(len(probs)), "called_other": float(np.mean(called == -1)),
            "most_called": worst, "most_called_share": float(np.mean(called == PHASE_EXERCISES.index(worst)))}


def train(out: Path, epochs: int = 60, seed: int = 0, dev_fold: int | None = None, hidden: int = 96,
          members: int = 1) -> dict:
    """Train on every video not held back; with ``dev_fold`` (1-4), also leave out the training
    videos of that fold (:func:`~training.repcount.fold`) and measure on them instead: design
    choices are made on such folds, never on the held-back videos. ``members`` > 1: that many
    networks from seeds ``seed``, ``seed + 1``, ..., whose probabilities one model averages (a
    few thousand salient frames leave one network's counts varying with its seed)."""
    import keras

    videos = [v for v in load_videos() if not v.held_back] if dev_fold is not None else load_videos()
    measured = 0 if dev_fold is None else dev_fold
    held_v = [v for v in videos if fold(v.name) == measured]
    train_v = [v for v in videos if fold(v.name) != measured]
    xy, seen, cls, phase, vid = poses(train_v)
    hxy, hseen, hcls, hphase, _ = poses(held_v)
    other, other_test = other_poses("train"), other_poses("test")
    hx = frame_features(hxy, hseen)
    nets = []
    for k in range(members):
        keras.utils.set_random_seed(seed + k)
        rng = np.random.default_rng(seed + k)
        net = build_model(hidden, name=f"rep_phase_{k}" if members > 1 else "rep_phase")
        net.compile(optimizer=keras.optimizers.Adam(2e-3), loss="categorical_crossentropy")
        for ep in range(epochs):  # a fresh augmentation every epoch
            x, y = training_set(xy, seen, cls, phase, vid, other, rng)
            h = net.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=True)
            if ep % 10 == 9 or ep == epochs - 1:
                m = per_frame_metrics(np.asarray(net(hx, training=False)), hcls, hphase)
                log.info("member %d epoch %d loss %.3f measured: exercise %.3f phase %.3f", k, ep + 1,
                         h.history["loss"][-1], m["exercise_accuracy"], m["phase_accuracy"])
        nets.append(net)
    if members == 1:
        model = nets[0]
    else:
        inp = keras.Input((FEATURES,), name="frames")
        model = keras.Model(inp, keras.layers.Average(name="probs")([n(inp) for n in nets]), name="rep_phase")
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.keras")
    metrics = {"train_videos": len(train_v), "measured_videos": len(held_v), "train_frames": int(len(xy)),
               "measured_on": "held-back videos" if dev_fold is None else f"training fold {dev_fold}",
               "held_back": per_frame_metrics(np.asarray(model(hx, training=False)), hcls, hphase),
               "penn_other_test": other_metrics(np.asarray(model(frame_features(*other_test), training=False))),
               "other_frames": int(len(other[0])), "epochs": epochs, "seed": seed, "hidden": hidden,
               "members": members}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def dense_weights(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel (in, out), bias) of each FULLY_CONNECTED op of a ``.tflite``, in graph order, as
    float32: float16 constants read through their DEQUANTIZE op, int8 ones dequantised
    (per-channel or per-tensor scales alike)."""
    from posekit.runtime import interpreter_class

    it = interpreter_class()(model_path=str(path))
    it.allocate_tensors()
    details = {d["index"]: d for d in it.get_tensor_details()}
    ops = it._get_ops_details()
    dequantised = {op["outputs"][0]: op["inputs"][0] for op in ops if op["op_name"] == "DEQUANTIZE"}

    def value(i: int) -> np.ndarray:
        i = dequantised.get(i, i)
        q = details[i]["quantization_parameters"]
        a = np.asarray(it.get_tensor(i))
        if not len(q["scales"]):
            return a.astype(np.float32)
        shape = [1] * a.ndim
        shape[q["quantized_dimension"]] = -1
        scale, zero = (np.reshape(v, shape if len(v) > 1 else [1] * a.ndim) for v in (q["scales"], q["zero_points"]))
        return ((a.astype(np.float32) - zero) * scale).astype(np.float32)

    out = []
    for op in ops:
        if op["op_name"] == "FULLY_CONNECTED":
            w = value(op["inputs"][1]).T
            out.append((w, value(op["inputs"][2]) if op["inputs"][2] >= 0 else np.zeros(w.shape[1], np.float32)))
    return out


def rebuild(tflite: Path, out: Path) -> dict:
    """A phase model whose run is gone (e.g. the shipped one) as a run again: the network of
    :func:`build_model` with the file's weights (float16 or int8), measured as :func:`train`
    measures, so that ``export.phase`` can export it anew (another format) without training
    another draw, whose counts move with its seed."""
    import hashlib

    layers = dense_weights(tflite)
    if [w.shape for w, _ in layers][:1] != [(FEATURES, layers[0][0].shape[1])] or len(layers) != 3:
        raise ValueError(f"{tflite} is not a rep phase model: dense layers {[w.shape for w, _ in layers]}")
    model = build_model(layers[0][0].shape[1])
    for layer, (w, b) in zip([x for x in model.layers if x.weights], layers):
        layer.set_weights([w, b])
    videos = load_videos()
    train_v, held_v = [v for v in videos if not v.held_back], [v for v in videos if v.held_back]
    hxy, hseen, hcls, hphase, _ = poses(held_v)
    other, other_test = other_poses("train"), other_poses("test")
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.keras")
    data = tflite.read_bytes()
    metrics = {"train_videos": len(train_v), "measured_videos": len(held_v),
               "train_frames": sum(len(v.starts) + len(v.middles) for v in train_v),
               "measured_on": "held-back videos",
               "held_back": per_frame_metrics(np.asarray(model(frame_features(hxy, hseen), training=False)), hcls, hphase),
               "penn_other_test": other_metrics(np.asarray(model(frame_features(*other_test), training=False))),
               "other_frames": int(len(other[0])), "hidden": int(layers[0][0].shape[1]),
               "rebuilt_from": {"file": tflite.name, "sha256": hashlib.sha256(data).hexdigest()}}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path.home() / ".cache" / "posekit" / "runs" / "phase")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hidden", type=int, default=96, help="units in each of the two hidden layers")
    ap.add_argument("--members", type=int, default=1, help="networks (seeds) whose probabilities are averaged")
    ap.add_argument("--dev-fold", type=int, choices=(1, 2, 3, 4),
                    help="leave out this fold of the training videos too and measure on it (design choices)")
    ap.add_argument("--from-tflite", type=Path, metavar="FILE",
                    help="no training: rebuild the network from a phase model file's weights (e.g. the shipped "
                         "one, to export it anew) and measure it")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.from_tflite:
        try:
            m = rebuild(args.from_tflite.expanduser(), args.out.expanduser())
        except (OSError, ValueError) as e:
            ap.error(str(e))
        print(json.dumps(m, indent=2))
        print(f"then: python -m export.phase --run {args.out}")
        return
    m = train(args.out.expanduser(), args.epochs, args.seed, args.dev_fold, args.hidden, args.members)
    print(json.dumps(m, indent=2))
    print(f"then: python -m export.phase --run {args.out}")


if __name__ == "__main__":
    main()
