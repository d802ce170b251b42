"""MediaPipe Tasks PoseLandmarker (the complete BlazePose pipeline) on a video: the reference
baseline for posekit's Session. Runs in its own environment (mediapipe pulls opencv-contrib,
which must not replace posekit's opencv-python-headless): ``make mpref``.

    .venv-mp/bin/python benchmarks/mp_baseline.py VIDEO --out benchmarks/out/mp_baseline.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("video")
    ap.add_argument("--task", default=str(REPO.parent / "shared" / "models" / "mediapipe" / "pose_landmarker_full.task"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--right-half", action="store_true")
    args = ap.parse_args()
    import cv2
    import mediapipe as mp
    from mediapipe.tasks import python as mp_python
    from mediapipe.tasks.python import vision

    opts = vision.PoseLandmarkerOptions(base_options=mp_python.BaseOptions(model_asset_path=args.task),
                                        running_mode=vision.RunningMode.VIDEO, num_poses=1)
    cap = cv2.VideoCapture(args.video)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    times, kps, i = [], [], 0
    with vision.PoseLandmarker.create_from_options(opts) as lm:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            if args.right_half:
                bgr = bgr[:, bgr.shape[1] // 2:]
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            img = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
            t = time.perf_counter()
            res = lm.detect_for_video(img, int(i * 1000 / fps))
            times.append((time.perf_counter() - t) * 1e3)
            h, w = rgb.shape[:2]
            kps.append([[p.x * w, p.y * h, p.visibility] for p in res.pose_landmarks[0]] if res.pose_landmarks else None)
            i += 1
    out = {"video": args.video, "frames": i, "ms_per_frame_median": statistics.median(times),
           "fps": 1000.0 / statistics.median(times), "frames_with_pose": sum(k is not None for k in kps),
           "mediapipe": mp.__version__, "keypoints": kps}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out))
    print(json.dumps({k: v for k, v in out.items() if k != "keypoints"}))


if __name__ == "__main__":
    main()
