"""Rep phase model run -> float16 TFLite with a fixed batch of
:data:`~posekit.activity.phase.BATCH` frames, installed with its manifest entry.

float16, not int8: the network is 15 k multiply-adds a frame, so int8 saves nothing that counts,
and one weight scale per dense layer (what interpreters before TF 2.13 read right) moved its
counts (docs/evidence/exercise.md).

    python -m export.phase --run ~/.cache/posekit/runs/phase --install

A run trained with ``--dev-fold`` left some training videos out for design choices; the shipped
model is trained on every training video not held back.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from posekit.activity.phase import BATCH, FEATURES, MODEL_NAME, PHASE_EXERCISES
from training.train_phase import PENN_OTHER

from . import tflite as tfl

MODELS = Path(__file__).resolve().parent.parent / "posekit" / "models"


def export(run: Path, install: bool = False) -> Path:
    """float16 TFLite of a run -> ``run``/rep_phase_float16.tflite, and into ``posekit/models``
    with its manifest entry when ``install``."""
    import keras

    model = keras.models.load_model(run / "model.keras")
    blob = tfl.convert(model, (BATCH, FEATURES), "float16", None, ("probs",))
    path = run / f"{MODEL_NAME}.tflite"
    path.write_bytes(blob)
    if install:
        metrics = json.loads((run / "metrics.json").read_text())
        (MODELS / path.name).write_bytes(blob)
        entry = tfl.manifest_entry(
            blob, path.name, task="rep_phase", quantisation="float16", architecture="mlp 39-96-96-17",
            keypoint_layout="body13 (x, y) hip-centred torso-scaled + 13 seen flags",
            input_normalisation="posekit.activity.phase.frame_features",
            labels=[f"{e}:{p}" for e in PHASE_EXERCISES for p in ("start", "middle")] + ["other"],
            training_data=f"RepCount-pose training split, salient frames of {metrics['train_videos']} videos "
                          f"({metrics['train_frames']} poses; 1 video in 5 held back by name); other: "
                          f"{metrics['other_frames']} frames of Penn Action's train split, {len(PENN_OTHER)} other actions",
            metrics={"held_back_salient_frames": metrics["held_back"], "penn_other_test": metrics["penn_other_test"]},
            # training.train_phase --from-tflite: this network's weights were read back from that file.
            **({"rebuilt_from": metrics["rebuilt_from"]} if "rebuilt_from" in metrics else {}),
            commit=tfl.git_commit())
        tfl.update_manifest(MODELS, MODEL_NAME, entry)
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, default=Path.home() / ".cache" / "posekit" / "runs" / "phase")
    ap.add_argument("--install", action="store_true", help="copy the float16 model into posekit/models with its manifest entry")
    args = ap.parse_args(argv)
    run = args.run.expanduser()
    if args.install and json.loads((run / "metrics.json").read_text()).get("measured_on") != "held-back videos":
        ap.error(f"{run} was trained with --dev-fold; ship a run trained on every training video")
    print(export(run, args.install))


if __name__ == "__main__":
    main()
