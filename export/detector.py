"""Bundle MediaPipe's BlazePose person detector (Apache-2.0) as ``posekit/models/pose_detection.tflite``.

    python -m export.detector            # copies ../shared/models/mediapipe/pose_detection.tflite

The file is shipped unchanged (float32, 2.9 MB); the manifest records its sha256 and signature.
The licence travels beside it as ``LICENSE-mediapipe.txt``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from training.paths import shared_dir

from .tflite import manifest_entry, update_manifest

MODELS = Path(__file__).resolve().parent.parent / "posekit" / "models"
NAME = "pose_detection"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=shared_dir() / "models" / "mediapipe" / "pose_detection.tflite")
    args = ap.parse_args(argv)
    data = args.source.read_bytes()
    shutil.copyfile(args.source, MODELS / f"{NAME}.tflite")
    entry = manifest_entry(
        data, f"{NAME}.tflite", task="detector", architecture="BlazePose person detector (SSD, 2254 anchors)",
        input_size=224, input_normalisation="RGB letterboxed to 224x224, scaled to [-1, 1]",
        keypoint_layout="4 detector keypoints: mid-hip, body-circle point, 2 unused",
        quantisation="float32 (as published)", licence="Apache-2.0 (LICENSE-mediapipe.txt)",
        training={"data": "MediaPipe's (Google); shipped unchanged from mediapipe's pose_detection.tflite"},
        metrics={"note": "acquisition figures: docs/pose.md, python -m training.eval_tracking"})
    update_manifest(MODELS, NAME, entry)
    print(f"bundled {NAME}: {len(data)} bytes")


if __name__ == "__main__":
    main()
