"""Train the student pose network on teacher-labelled crops.

    python -m training.train_pose --epochs 12 --out ~/.cache/posekit/runs/pose   # full run (background it)
    python -m training.train_pose --tiny --steps 5 --out /tmp/run                # smoke run (tests)
    python -m training.train_pose --epochs 0 --heat-prior 16 --init RUN/best.weights.h5 --out ...  # add the heat prior
    python -m training.train_pose --backbone teacher --keep-wide 0.5 --thin-from 528 --input-size 160 --heat-prior 4 --lr 4e-4 --out ...  # shipped (make train-pose)

Writes ``<out>/config.json``, ``log.csv`` (loss terms and validation PCK per epoch), ``curves.png``,
``last.weights.h5`` (resumed from when present), and ``best.weights.h5`` (highest validation PCK).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import logging
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("posekit.train_pose")


@dataclasses.dataclass
class TrainConfig:
    input_size: int = 160
    epochs: int = 12
    steps_per_epoch: int = 250
    batch: int = 32
    lr: float = 2e-3
    neg_frac: float = 0.08
    val_frac: float = 0.04
    heat_weight: float = 1.0
    uv_weight: float = 10.0
    vis_weight: float = 0.5
    presence_weight: float = 0.5
    quarter_turns: float = 0.15  # fraction of crops turned +-90 degrees (see make_augmenter)
    frame_edges: float = 0.0  # fraction of crops cut by a frame's edge (see make_augmenter)
    heat_prior: float = 0.0  # StudentConfig.heat_prior: the regression maps read the heatmap logits
    train_only: str = "all"  # "regression": freeze everything but the regression branch
    backbone: str = "own"  # StudentConfig.backbone: "own" (from scratch) or "teacher" (its weights)
    keep_wide: float = 0.5  # StudentConfig.keep_wide (teacher backbone)
    thin_from: int = 864  # StudentConfig.thin_from: expansions at least this wide are thinned
    tiny: bool = False
    seed: int = 0
    sources: tuple[str, ...] = ("fallaction", "yoga", "ccp", "sports", "har", "workouttracker")  # make label
    init: str | None = None  # weights to start from (a second, lower-rate stage); ignored when resuming
    source_weights: dict[str, float] = dataclasses.field(default_factory=dict)  # a sample of SOURCE is drawn
    # W times as often as one of a source left out (1); e.g. more of the set whose label convention must hold

    def check(self) -> None:
        """Raises InvalidInputError for a fraction outside [0, 1] (a typo would otherwise train
        silently with every or no sample affected)."""
        from posekit.errors import InvalidInputError

        for name in ("neg_frac", "val_frac", "quarter_turns", "frame_edges"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0.0 <= v <= 1.0):
                raise InvalidInputError(f"TrainConfig.{name} must be a fraction in [0, 1], got {v!r}")
        if not (isinstance(self.keep_wide, (int, float)) and 0.0 < self.keep_wide <= 1.0):
            raise InvalidInputError(f"TrainConfig.keep_wide must be a fraction in (0, 1], got {self.keep_wide!r}")
        if not (isinstance(self.thin_from, int) and not isinstance(self.thin_from, bool) and self.thin_from >= 8):
            raise InvalidInputError(f"TrainConfig.thin_from must be a channel count >= 8, got {self.thin_from!r}")
        if self.backbone not in ("own", "teacher"):
            raise InvalidInputError(f"TrainConfig.backbone must be 'own' or 'teacher', got {self.backbone!r}")
        if self.train_only not in TRAIN_ONLY:
            raise InvalidInputError(f"TrainConfig.train_only must be one of {list(TRAIN_ONLY)}, got {self.train_only!r}")
        for name, w in self.source_weights.items():
            if name not in self.sources:
                raise InvalidInputError(f"TrainConfig.source_weights names {name!r}, not one of the sources {list(self.sources)}")
            if not (isinstance(w, (int, float)) and not isinstance(w, bool) and 0.0 < w <= 100.0):
                raise InvalidInputError(f"TrainConfig.source_weights[{name!r}] must be a weight in (0, 100], got {w!r}")
        if not (isinstance(self.heat_prior, (int, float)) and 0.0 <= self.heat_prior <= 100.0):
            raise InvalidInputError(f"TrainConfig.heat_prior must be 0 (off) or a temperature in (0, 100], got {self.heat_prior!r}")


#: What ``TrainConfig.train_only`` may name: all weights, or only the regression branch's (the
#: heatmap branch and encoder frozen, e.g. after adding a heat prior to a trained network).
TRAIN_ONLY = ("all", "regression")
#: Name prefixes of the regression branch's coordinate layers (visibility and presence keep theirs).
REGRESSION_LAYERS = ("reg_sep", "reg_maps", "reg_heat")


def lineage_runs(run: Path) -> list[Path]:
    """The run directories behind a run, oldest first, following each stage's ``--init``."""
    runs: list[Path] = []
    while run is not None and run not in runs and (run / "config.json").exists():
        runs.append(run)
        init = json.loads((run / "config.json").read_text()).get("init")
        run = Path(init).parent if init else None
    return runs[::-1]


def first_init(run: Path) -> str | None:
    """What the oldest stage behind ``run`` started from (its ``--init``; None: from scratch)."""
    runs = lineage_runs(run)
    return json.loads((runs[0] / "config.json").read_text()).get("init") if runs else None


def folded_batch_norms(init: str | None) -> bool:
    """Whether weights started from ``init`` carry a .tflite's folded batch norms: the file itself,
    or a run whose chain of ``init``s (each run's ``config.json``) began at one."""
    if not init:
        return False
    start = init if init.endswith(".tflite") else first_init(Path(init).parent)
    return bool(start and start.endswith(".tflite"))


def init_weights(model, path: str | Path) -> None:
    """Load ``path`` into ``model`` layer by layer by name, through the network that wrote it (read
    from the run's ``config.json`` beside it; without one, the same network is assumed): a layer
    the writer lacked keeps its initial weights, and ``reg_maps`` keeps its zero start when the
    heat prior is new. The network may differ in input size (it is fully convolutional): the
    coordinate grid ``uv`` is always this network's own."""
    from .student import build_student, student_config

    path = Path(path)
    if path.suffix == ".tflite":  # a shipped float16 model (training.from_tflite)
        from .from_tflite import load_into

        load_into(model, path)
        return
    if not (path.parent / "config.json").exists():  # weights from elsewhere: same network assumed
        model.load_weights(path)
        return
    src_cfg = json.loads((path.parent / "config.json").read_text())
    src = build_student(student_config(src_cfg))
    src.load_weights(path)
    new_prior = any(layer.name == "reg_heat_t" for layer in model.layers) and \
        not any(layer.name == "reg_heat_t" for layer in src.layers)
    have = {layer.name: layer for layer in src.layers}
    for layer in model.layers:
        if not layer.weights or layer.name not in have or (new_prior and layer.name == "reg_maps"):
            continue
        if layer.name == "uv":  # the fixed coordinate grid of this network's own input size
            continue
        layer.set_weights(have[layer.name].get_weights())


def pck(pred_uv: np.ndarray, true_uv: np.ndarray, mask: np.ndarray, thr: float = 0.2) -> float:
    """PCK@thr over the 12 limb joints, torso diameter as reference (same code as the evaluation)."""
    from .eval_pose import pck_table

    table = pck_table(pred_uv, np.concatenate([true_uv, mask[..., None]], axis=-1))
    return table["curve"][f"{thr:.2f}"]


def centre_crops(images: np.ndarray, uv: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Un-augmented student crops (the tracking ROI) from base crops, with keypoints in crop coords."""
    import tensorflow as tf

    from .label import BASE_SCALE, BASE_SIZE

    off = (BASE_SIZE - BASE_SIZE / BASE_SCALE) / 2
    x = tf.image.crop_to_bounding_box(images, int(off), int(off), int(BASE_SIZE / BASE_SCALE), int(BASE_SIZE / BASE_SCALE))
    x = tf.image.resize(tf.cast(x, tf.float32), [s, s]).numpy() / 255.0
    return x.astype(np.float32), ((uv * BASE_SIZE - off) / (BASE_SIZE / BASE_SCALE)).astype(np.float32)


def train(cfg: TrainConfig, out: Path, data: dict[str, np.ndarray] | None = None) -> dict:
    import keras
    import tensorflow as tf

    from .pose_data import load_cache, make_augmenter
    from .student import build_student, student_config

    cfg.check()
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2))
    keras.utils.set_random_seed(cfg.seed)
    data = data or load_cache(cfg.sources)
    n = len(data["image"])
    rng = np.random.default_rng(cfg.seed)
    perm = rng.permutation(n)
    n_val = max(1, int(n * cfg.val_frac)) if n > 10 else 1
    val, tr = perm[:n_val], perm[n_val:] if n > 1 else perm
    scfg = student_config(dataclasses.asdict(cfg))
    fresh = not (out / "last.weights.h5").exists() and not cfg.init
    samples = None
    if cfg.backbone == "teacher" and fresh:  # thin the teacher's widest layers by what they carry on our crops
        pick = rng.choice(tr, min(256, len(tr)), replace=False)
        samples, _ = centre_crops(data["image"][pick], data["uv"][pick], cfg.input_size)
    model = build_student(scfg, samples)
    if (out / "last.weights.h5").exists():
        model.load_weights(out / "last.weights.h5")
        log.info("resumed from %s", out / "last.weights.h5")
    elif cfg.init:
        init_weights(model, cfg.init)
        log.info("initialised from %s", cfg.init)
    if cfg.train_only == "regression":
        for layer in model.layers:
            layer.trainable = layer.name.startswith(REGRESSION_LAYERS)
    if folded_batch_norms(cfg.init):  # batch norms folded into shifts: keep them an affine map
        from .from_tflite import freeze_batch_norms

        freeze_batch_norms(model)
    total = max(cfg.epochs * cfg.steps_per_epoch, 1)
    if cfg.init or cfg.backbone == "teacher":  # fresh optimiser on trained weights: warm up to the peak rate
        warm = min(cfg.steps_per_epoch, total // 4)
        sched = keras.optimizers.schedules.CosineDecay(cfg.lr * 0.05, total - warm, alpha=0.02,
                                                       warmup_target=cfg.lr, warmup_steps=warm)
    else:
        sched = keras.optimizers.schedules.CosineDecay(cfg.lr, total, alpha=0.02)
    opt = keras.optimizers.Adam(sched)
    augment = make_augmenter(cfg.input_size, quarter_turns=cfg.quarter_turns, frame_edges=cfg.frame_edges)
    negs = data["negatives"]
    draw = None  # uniform over the training samples unless sources are weighted
    if cfg.source_weights:
        if "source" not in data:
            from posekit.errors import InvalidInputError

            raise InvalidInputError("TrainConfig.source_weights needs data with a 'source' array (load_cache gives one)")
        draw = draw_probabilities(cfg.sources, cfg.source_weights, data["source"][tr])
        share = {s: round(float(draw[data["source"][tr] == i].sum()), 3) for i, s in enumerate(cfg.sources)}
        log.info("share of the draws per source: %s", share)
    bce = keras.losses.BinaryCrossentropy(reduction="none")

    @tf.function  # XLA on this CPU compiled for ~2 min and ran slower
    def step(x, t):
        with tf.GradientTape() as tape:
            o = model(x, training=True)
            hw = t["heat_w"]
            # Heatmap branch: cross-entropy of the spatial softmax against the normalised Gaussian.
            logits = tf.transpose(tf.reshape(o["heatmap"], [tf.shape(x)[0], -1, 33]), [0, 2, 1])
            target = tf.transpose(tf.reshape(t["heat"], [tf.shape(x)[0], -1, 33]), [0, 2, 1])
            target = target / (tf.reduce_sum(target, -1, keepdims=True) + 1e-6)
            ce = -tf.reduce_sum(target * tf.nn.log_softmax(logits, -1), -1)
            heat = tf.reduce_sum(ce * hw) / (tf.reduce_sum(hw) + 1.0)
            w = t["w"]
            uv_l = tf.reduce_sum(tf.reduce_sum(tf.abs(o["landmarks"][..., :2] - t["uv"]), -1) * w) / (tf.reduce_sum(w) + 1.0)
            vis_p = tf.clip_by_value(o["landmarks"][..., 2], 1e-6, 1 - 1e-6)
            vis_l = -tf.reduce_mean(t["vis"] * tf.math.log(vis_p) + (1 - t["vis"]) * tf.math.log(1 - vis_p))
            pr = tf.reduce_mean(bce(t["presence"], o["presence"]))
            loss = (cfg.heat_weight * heat + cfg.uv_weight * uv_l + cfg.vis_weight * vis_l
                    + cfg.presence_weight * pr)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return {"loss": loss, "heat": heat, "uv": uv_l, "vis": vis_l, "presence": pr}

    vx, vuv = centre_crops(data["image"][val], data["uv"][val], cfg.input_size)
    vmask = (data["weight"][val] >= 1.0).astype(np.float32)

    def evaluate() -> float:
        pred = np.concatenate([model(vx[i:i + 64], training=False)["landmarks"].numpy()[..., :2]
                               for i in range(0, len(vx), 64)])
        return pck(pred, vuv, vmask)

    log_path = out / "log.csv"
    fields = ["epoch", "step", "loss", "heat", "uv", "vis", "presence", "val_pck", "seconds"]
    start_epoch = 0
    history = []
    if log_path.exists() and (out / "last.weights.h5").exists():
        with log_path.open() as f:
            history = list(csv.DictReader(f))
        start_epoch = len(history)
        opt.iterations.assign(start_epoch * cfg.steps_per_epoch)
    else:
        with log_path.open("w", newline="") as f:
            csv.DictWriter(f, fields).writeheader()
    best = max((float(h["val_pck"]) for h in history), default=-1.0)
    t_start = time.time()
    for epoch in range(start_epoch, cfg.epochs):
        sums: dict[str, float] = {}
        for i in range(cfg.steps_per_epoch):
            idx = rng.choice(tr, cfg.batch, p=draw)
            neg_mask = (rng.random(cfg.batch) < cfg.neg_frac) if len(negs) else np.zeros(cfg.batch, bool)
            neg_imgs = negs[rng.integers(0, len(negs), cfg.batch)] if len(negs) else np.zeros((cfg.batch, cfg.input_size, cfg.input_size, 3), np.uint8)
            if neg_imgs.shape[1] != cfg.input_size:
                neg_imgs = tf.image.resize(neg_imgs, [cfg.input_size] * 2).numpy().astype(np.uint8)
            x, t = augment(data["image"][idx], data["uv"][idx], data["vis"][idx], data["weight"][idx],
                           neg_imgs, neg_mask.astype(np.float32))
            m = step(x, t)
            for k, v in m.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            if i % 50 == 0:
                log.info("epoch %d step %d loss %.4f uv %.4f (%.0fs)", epoch, i, float(m["loss"]), float(m["uv"]), time.time() - t_start)
        val_pck = evaluate()
        row = {"epoch": epoch, "step": (epoch + 1) * cfg.steps_per_epoch, "val_pck": round(val_pck, 4),
               "seconds": round(time.time() - t_start, 1), **{k: round(v / cfg.steps_per_epoch, 5) for k, v in sums.items()}}
        history.append(row)
        with log_path.open("a", newline="") as f:
            csv.DictWriter(f, fields).writerow(row)
        model.save_weights(out / "last.weights.h5")
        if val_pck > best:
            best = val_pck
            model.save_weights(out / "best.weights.h5")
        log.info("epoch %d: %s", epoch, row)
    if not history:  # a stage without steps (--epochs 0, e.g. adding the heat prior): log and keep its start
        row = {"epoch": 0, "step": 0, "val_pck": round(evaluate(), 4), "seconds": 0.0}
        history.append(row)
        with log_path.open("a", newline="") as f:
            csv.DictWriter(f, fields).writerow(row)
        model.save_weights(out / "last.weights.h5")
        model.save_weights(out / "best.weights.h5")
        best = row["val_pck"]
        log.info("no training steps: %s", row)
    plot_curves(log_path, out / "curves.png")
    return {"history": history, "best_val_pck": best, "model": model, "student_config": scfg}


def plot_curves(log_paths: Path | list[Path], png: Path) -> None:
    """Loss terms and validation PCK per epoch; several logs (training stages, oldest first) are
    drawn end to end with a dotted line where each later stage starts."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    rows, starts = [], []
    for path in [log_paths] if isinstance(log_paths, Path) else log_paths:
        with path.open() as f:
            starts.append(len(rows))
            rows += list(csv.DictReader(f))
    if not rows:
        return
    ep = list(range(len(rows)))
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    for k in ("loss", "heat", "uv"):  # blank in a stage without training steps
        ax[0].plot(ep, [float(r[k]) if r.get(k) else np.nan for r in rows], label=k)
    ax[0].set_xlabel("epoch"); ax[0].set_yscale("log"); ax[0].legend(); ax[0].set_title("training loss")
    ax[1].plot(ep, [float(r["val_pck"]) for r in rows], marker="o")
    ax[1].set_xlabel("epoch"); ax[1].set_title("validation PCK@0.2 (vs teacher/human targets)")
    for a in ax:
        for s in starts[1:]:
            a.axvline(s - 0.5, color="grey", linestyle=":")
    fig.tight_layout(); fig.savefig(png, dpi=100); plt.close(fig)


def draw_probabilities(sources: tuple[str, ...], weights: dict[str, float], source: np.ndarray) -> np.ndarray:
    """Probability of drawing each sample: its source's weight (1 where not named), normalised.
    ``source`` holds each sample's index into ``sources`` (``load_cache``'s ``source``)."""
    w = np.ones(len(sources))
    for name, v in weights.items():
        w[sources.index(name)] = v
    p = w[source]
    return p / p.sum()


def parse_weights(items: list[str]) -> dict[str, float]:
    """``["lspet=3", "har=0.5"]`` -> ``{"lspet": 3.0, "har": 0.5}``; InvalidInputError naming a bad item."""
    from posekit.errors import InvalidInputError

    out = {}
    for item in items:
        name, _, val = item.partition("=")
        try:
            out[name] = float(val)
        except ValueError:
            out[name] = float("nan")
        if not name or out[name] != out[name]:
            raise InvalidInputError(f"--weigh takes SOURCE=WEIGHT (e.g. lspet=3), got {item!r}")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--steps", type=int, help="steps per epoch")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--input-size", type=int)
    ap.add_argument("--lr", type=float, help="peak learning rate of the cosine schedule")
    ap.add_argument("--quarter-turns", type=float, help="fraction of crops turned +-90 degrees")
    ap.add_argument("--frame-edges", type=float, help="fraction of crops cut by a frame's edge (black beyond a line "
                    "across the body; the joints there keep their targets, not visible)")
    ap.add_argument("--init", help="start from these weights (e.g. an earlier run's best.weights.h5)")
    ap.add_argument("--heat-prior", type=float, help="regression maps read the heatmap logits at this initial temperature")
    ap.add_argument("--train-only", choices=TRAIN_ONLY, help="freeze all but the regression branch ('regression')")
    ap.add_argument("--backbone", choices=("own", "teacher"), help="'teacher': start from the teacher's encoder-decoder weights")
    ap.add_argument("--keep-wide", type=float, help="teacher backbone: fraction of the widest expansions' channels kept")
    ap.add_argument("--thin-from", type=int, help="teacher backbone: thin the expansions at least this wide (default 864)")
    ap.add_argument("--sources", nargs="+", help="teacher-labelled sources to train on (folders under the cache's teacher/)")
    ap.add_argument("--weigh", nargs="+", metavar="SOURCE=W",
                    help="draw samples of SOURCE W times as often as the others (e.g. lspet=3)")
    ap.add_argument("--neg-frac", type=float, help="fraction of each batch replaced by presence negatives")
    ap.add_argument("--tiny", action="store_true", help="tiny network (tests)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = TrainConfig(tiny=args.tiny)
    for k, v in (("epochs", args.epochs), ("steps_per_epoch", args.steps), ("batch", args.batch), ("input_size", args.input_size),
                 ("lr", args.lr), ("init", args.init), ("quarter_turns", args.quarter_turns),
                 ("frame_edges", args.frame_edges),
                 ("heat_prior", args.heat_prior), ("train_only", args.train_only), ("backbone", args.backbone),
                 ("keep_wide", args.keep_wide), ("thin_from", args.thin_from), ("neg_frac", args.neg_frac),
                 ("sources", tuple(args.sources) if args.sources else None)):
        if v is not None:
            setattr(cfg, k, v)
    from posekit.errors import InvalidInputError

    try:
        if args.weigh:
            cfg.source_weights = parse_weights(args.weigh)
        cfg.check()
    except InvalidInputError as e:
        ap.error(str(e))
    res = train(cfg, args.out)
    log.info("best validation PCK@0.2 %.4f", res["best_val_pck"])


if __name__ == "__main__":
    main()
