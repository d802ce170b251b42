"""Train the activity classifiers: LSTM and MotionBERT-lite (masked-reconstruction pretraining, then
fine-tuning), on Penn Action's official train split, RepCount-pose's training videos (held-back
ones never) and synthetic motion, evaluated on Penn Action's official test split (never trained
on, never used to pick a checkpoint) and on held-out synthetic seeds.

    python -m training.train_activity --out ~/.cache/posekit/runs/activity

Writes ``config.json``, ``log.csv`` (loss per epoch, per model), ``lstm.weights.h5``,
``motionbert.weights.h5``, ``motionbert_pretrain.weights.h5`` and ``metrics.json`` (accuracies,
confusion matrices, parameter counts). Steps resume per stage: a finished stage's weights are
reused when present.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from posekit.activity.labels import LABEL_ID, LABELS

from .activity_data import (NOT_FALL, PENN_MAP, WindowSampler, md4fd_sequences, penn_clips, penn_eval_windows,
                            penn_test_clips, repcount_sequences, synth_test_sequences, synth_train_sequences,
                            window_label)

log = logging.getLogger("posekit.train_activity")

#: Penn Action evaluation classes: its six exercises and 'other' (everything else it has).
PENN_EVAL = tuple(PENN_MAP.values()) + ("other",)


@dataclasses.dataclass
class ActivityConfig:
    batch: int = 64
    steps: int = 150
    pretrain_epochs: int = 10
    finetune_epochs: int = 20
    lstm_epochs: int = 20
    lr: float = 1e-3
    synth_per_kind: int = 40
    synth_seconds: float = 10.0
    penn_frac: float = 0.4
    mask_joint: float = 0.15
    mask_frame: float = 0.1
    seed: int = 0
    tiny: bool = False
    penn_limit: int | None = None
    md4fd: str = ""  # MD4FD fall sets to train on ("le2i", "urfd", "le2i,urfd"); the others are held out
    md4fd_frac: float = 0.125
    init_from: str = ""  # a run directory whose weights each stage starts from (then trains its epochs)
    repcount_frac: float = 0.1  # share of each batch from RepCount-pose's training videos (real people)
    repcount_dev_fold: int = 0  # 1-4: leave that RepCount-pose fold out too (design choices on it); 0: none
    estimator_bias: float = 0.0  # another pose estimator's per-joint offsets, up to this many torso lengths
    estimator_drift: float = 0.5  # their slow drift over a window, as a share of the bias


def to_penn_eval(probs: np.ndarray) -> np.ndarray:
    """Class probabilities -> index in :data:`PENN_EVAL` (a non-Penn class counts as 'other')."""
    ids = [LABEL_ID[c] for c in PENN_EVAL[:-1]]
    best = probs.argmax(-1)
    out = np.full(len(probs), len(PENN_EVAL) - 1)
    for k, i in enumerate(ids):
        out[best == i] = k
    return out


def penn_clip_eval(predict, clips: list[dict]) -> dict[str, Any]:
    """Clip-level accuracy (mean of window probabilities) on Penn clips, plus the confusion matrix."""
    x, owner, labels = penn_eval_windows(clips)
    probs = np.concatenate([predict(x[i:i + 256]) for i in range(0, len(x), 256)])
    clip_probs = np.stack([probs[owner == c].mean(0) for c in range(len(clips))])
    pred = to_penn_eval(clip_probs)
    true = to_penn_eval(np.eye(len(LABELS))[labels])
    cm = np.zeros((len(PENN_EVAL), len(PENN_EVAL)), int)
    for t, p in zip(true, pred):
        cm[t, p] += 1
    win_true = to_penn_eval(np.eye(len(LABELS))[labels[owner]])
    return {"clips": len(clips), "accuracy": float((pred == true).mean()),
            "window_accuracy": float((to_penn_eval(probs) == win_true).mean()),
            "classes": list(PENN_EVAL), "confusion": cm.tolist()}


def synth_eval(predict, seqs: list[dict]) -> dict[str, Any]:
    """Window accuracy on held-out synthetic sequences (every 4th window), per class."""
    from .activity_data import cut

    xs, ys = [], []
    for s in seqs:
        for end in range(32, len(s["tokens"]) + 1, 8):
            xs.append(cut(s["tokens"], end))
            ys.append(window_label(s["labels"][end - 32:end]))
    x, y = np.stack(xs), np.asarray(ys)
    pred = np.concatenate([predict(x[i:i + 256]) for i in range(0, len(x), 256)]).argmax(-1)
    per = {LABELS[c]: float((pred[y == c] == c).mean()) for c in np.unique(y)}
    return {"windows": int(len(y)), "accuracy": float((pred == y).mean()), "per_class": per}


def fall_aware_crossentropy(y_true, y_pred):
    """Cross-entropy on known labels; for :data:`NOT_FALL` windows (a real daily activity of unknown
    class) only -log(1 - P(fall))."""
    from keras import ops

    y = ops.cast(ops.reshape(y_true, (-1,)), "int32")
    p = ops.clip(y_pred, 1e-7, 1.0)
    ce = -ops.log(ops.take_along_axis(p, ops.maximum(y, 0)[:, None], axis=1)[:, 0])
    not_fall = -ops.log(ops.clip(1.0 - y_pred[:, LABEL_ID["fall"]], 1e-7, 1.0))
    return ops.where(y == NOT_FALL, not_fall, ce)


def md4fd_eval(predict, seqs: list[dict]) -> dict[str, Any]:
    """Held-out MD4FD windows, classifier alone: a window's score is its highest P(fall) over the
    stride windows inside it. Recall / specificity at P >= 0.5, and ROC AUC."""
    from posekit.activity.classifier import windows

    score = np.array([float(predict(windows(s["tokens"])[0])[:, LABEL_ID["fall"]].max()) for s in seqs])
    y = np.array([s["label"] != NOT_FALL for s in seqs])
    pos, neg = score[y], score[~y]
    auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    return {"windows": int(len(y)), "falls": int(y.sum()), "recall_at_0.5": float((pos >= 0.5).mean()),
            "specificity_at_0.5": float((neg < 0.5).mean()), "auc": round(auc, 4)}


def _mask_batch(x: np.ndarray, rng: np.random.Generator, cfg: ActivityConfig):
    B, T, J, _ = x.shape
    m = rng.random((B, T, J)) < cfg.mask_joint
    m |= (rng.random((B, T)) < cfg.mask_frame)[..., None]
    xin = x.copy()
    xin[m] = 0.0
    target = x[..., :2]
    weight = (m & (x[..., 2] > 0)).astype(np.float32)
    return xin, target, weight


def train(cfg: ActivityConfig, out: Path, penn: list[dict] | None = None, synth: list[dict] | None = None,
          synth_test: list[dict] | None = None) -> dict[str, Any]:
    import keras

    from .seq_models import MotionBertConfig, build_lstm, build_motionbert

    out.mkdir(parents=True, exist_ok=True)
    from .synth.motions import VERSION

    # The generators' version says which synthetic motions the run saw (the dataset cache's key).
    (out / "config.json").write_text(json.dumps({**dataclasses.asdict(cfg), "synth_version": VERSION}, indent=2))
    keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    t0 = time.time()
    if penn is None:
        penn = penn_clips(cfg.penn_limit)
    if synth is None:
        synth = synth_train_sequences(cfg.synth_per_kind, cfg.synth_seconds)
    if synth_test is None:
        synth_test = synth_test_sequences()
    train_clips = [p for p in penn if p["split"] == "train"]
    test_clips = penn_test_clips(penn)
    log.info("data: %d penn train sequences, %d penn test clips, %d synthetic (%.0fs)",
             len(train_clips), len(test_clips), len(synth), time.time() - t0)
    sets = tuple(x for x in cfg.md4fd.split(",") if x)
    md4fd_train = md4fd_sequences(sets) if sets else []
    md4fd_held = {name: md4fd_sequences((name,)) for name in ("le2i", "urfd") if name not in sets}
    repcount = repcount_sequences(cfg.repcount_dev_fold) if cfg.repcount_frac > 0 else []
    log.info("RepCount-pose: %d training sequences (fold %d left out)", len(repcount), cfg.repcount_dev_fold)
    sampler = WindowSampler(train_clips, synth, seed=cfg.seed, penn_frac=cfg.penn_frac,
                            md4fd=md4fd_train, md4fd_frac=cfg.md4fd_frac, repcount=repcount,
                            repcount_frac=cfg.repcount_frac, estimator_bias=cfg.estimator_bias,
                            estimator_drift=cfg.estimator_drift)
    log_path = out / "log.csv"
    if not log_path.exists():
        log_path.write_text("model,epoch,loss,accuracy,seconds\n")

    def log_row(model: str, epoch: int, loss: float, acc: float) -> None:
        with log_path.open("a") as f:
            f.write(f"{model},{epoch},{loss:.5f},{acc:.4f},{time.time() - t0:.1f}\n")
        log.info("%s epoch %d loss %.4f acc %.3f (%.0fs)", model, epoch, loss, acc, time.time() - t0)

    def fit(model, name: str, epochs: int, batch_fn) -> None:
        path = out / f"{name}.weights.h5"
        if path.exists():
            model.load_weights(path)
            log.info("%s: reusing %s", name, path)
            return
        if cfg.init_from:
            model.load_weights(Path(cfg.init_from).expanduser() / path.name)
            log.info("%s: starting from %s", name, Path(cfg.init_from) / path.name)
        for ep in range(epochs):
            losses, accs = [], []
            for _ in range(cfg.steps):
                r = model.train_on_batch(*batch_fn(), return_dict=True)
                losses.append(float(r["loss"]))
                accs.append(float(r.get("accuracy", np.nan)))
            log_row(name, ep, float(np.mean(losses)), float(np.mean(accs)))
        model.save_weights(path)

    def classify_batch():
        return sampler.sample(cfg.batch)

    def pretrain_batch():
        x, _ = sampler.sample(cfg.batch)
        xin, target, w = _mask_batch(x, rng, cfg)
        return xin, target, w

    def compile_(model, lr: float, epochs: int, loss, metrics=None):
        sched = keras.optimizers.schedules.CosineDecay(lr, max(1, epochs * cfg.steps), alpha=0.05)
        model.compile(optimizer=keras.optimizers.AdamW(sched, weight_decay=1e-4), loss=loss, metrics=metrics)

    mb_cfg = MotionBertConfig(dim=16, heads=2, depth=1) if cfg.tiny else MotionBertConfig()
    _, pre, mb = build_motionbert(mb_cfg)
    compile_(pre, cfg.lr, cfg.pretrain_epochs, "mae")
    fit(pre, "motionbert_pretrain", cfg.pretrain_epochs, pretrain_batch)
    compile_(mb, cfg.lr, cfg.finetune_epochs, fall_aware_crossentropy, ["accuracy"])
    fit(mb, "motionbert", cfg.finetune_epochs, classify_batch)
    lstm = build_lstm(units=16, embed=16) if cfg.tiny else build_lstm()
    compile_(lstm, 2 * cfg.lr, cfg.lstm_epochs, fall_aware_crossentropy, ["accuracy"])
    fit(lstm, "lstm", cfg.lstm_epochs, classify_batch)

    metrics: dict[str, Any] = {"eval": "Penn Action official test split (clip level: mean of stride-8 window "
                                       "probabilities); held-out synthetic seeds (window level); MD4FD sets "
                                       "not trained on (window level)", "md4fd_trained_on": list(sets)}
    for name, model in (("motionbert", mb), ("lstm", lstm)):
        predict = lambda x, m=model: np.asarray(m(x, training=False))
        metrics[name] = {"params": int(model.count_params()), "penn_test": penn_clip_eval(predict, test_clips),
                         "synthetic": synth_eval(predict, synth_test),
                         "md4fd_held_out": {k: md4fd_eval(predict, v) for k, v in md4fd_held.items()}}
        log.info("%s: penn test acc %.3f, synthetic acc %.3f, params %d", name, metrics[name]["penn_test"]["accuracy"],
                 metrics[name]["synthetic"]["accuracy"], metrics[name]["params"])
    metrics["seconds"] = round(time.time() - t0, 1)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return {"metrics": metrics, "motionbert": mb, "lstm": lstm, "motionbert_config": dataclasses.asdict(mb_cfg)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    for f in dataclasses.fields(ActivityConfig):
        if f.name in ("tiny",):
            continue
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default) if f.default is not None else int)
    ap.add_argument("--tiny", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = ActivityConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(ActivityConfig)
                            if f.name != "tiny" and getattr(args, f.name, None) is not None} | {"tiny": args.tiny})
    res = train(cfg, args.out)
    print(json.dumps({k: {"penn_test_accuracy": v["penn_test"]["accuracy"], "synthetic_accuracy": v["synthetic"]["accuracy"],
                          "params": v["params"]} for k, v in res["metrics"].items() if isinstance(v, dict)}, indent=2))


if __name__ == "__main__":
    main()
