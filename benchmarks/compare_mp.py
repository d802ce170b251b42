"""posekit.Session vs MediaPipe Tasks PoseLandmarker on the same real video: FPS, per-stage
milliseconds, and keypoint agreement (PCK@0.2 of posekit against MediaPipe's landmarks).

Needs benchmarks/out/mp_baseline.json from ``make mpref`` (MediaPipe's own environment).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main() -> None:
    import posekit
    from posekit.keypoints import LIMBS12, Keypoint, indices
    from posekit.video import FrameSource

    mp = json.loads((HERE / "out" / "mp_baseline.json").read_text())
    stages: dict[str, list[float]] = {"pose": [], "activity": [], "total": []}
    ours = []
    with posekit.Session(activity=posekit.ActivityTracker()) as s, FrameSource(mp["video"]) as src:
        for f in src:
            t = time.perf_counter()
            r = s.process(f.rgb, f.timestamp_ms)
            stages["total"].append((time.perf_counter() - t) * 1e3)
            for k in ("pose", "activity"):
                stages[k].append(r.timings_ms.get(k, 0.0))
            ours.append(r.pose.xy if r.pose is not None else None)
    lim = indices(LIMBS12)
    hits = total = 0
    for a, b in zip(ours, mp["keypoints"]):
        if a is None or b is None:
            continue
        b = np.asarray(b)[:, :2]
        torso = np.linalg.norm(b[Keypoint.LEFT_SHOULDER] - b[Keypoint.RIGHT_HIP])
        d = np.linalg.norm(a[lim] - b[lim], axis=1)
        hits += int((d <= 0.2 * torso).sum())
        total += len(lim)
    med = {k: statistics.median(v) for k, v in stages.items()}
    out = {"video": mp["video"], "frames": len(ours), "posekit_ms": med, "posekit_fps": 1000 / med["total"],
           "mediapipe_ms": mp["ms_per_frame_median"], "mediapipe_fps": mp["fps"], "mediapipe_version": mp["mediapipe"],
           "speedup": mp["ms_per_frame_median"] / med["total"],
           "pck0.2_vs_mediapipe": hits / max(total, 1),
           "frames_with_pose": {"posekit": sum(a is not None for a in ours), "mediapipe": mp["frames_with_pose"]}}
    (HERE / "out" / "session_vs_mp.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
