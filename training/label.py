"""Teacher labelling: find the person, run the MediaPipe teacher on BlazePose crops, cache samples.

Per sample the cache holds a 256x256 base crop (2x the BlazePose ROI, upright around the mid-hip),
the teacher's 33 landmarks in base-crop coordinates (u, v, visibility, presence), human labels where
the source has them, and the crop transform back to the source image. Student training re-crops
these with jitter, so heatmap targets are re-derived from the teacher landmarks in each augmented
crop (the teacher's own 64x64 heatmaps live in its un-augmented crop frame and are not stored).

Resumable: each source is written in shards; existing shards are skipped.

    python -m training.label --sources lspet workouttracker urfd
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path

import numpy as np

from posekit.keypoints import LSP14, NUM_KEYPOINTS, Keypoint
from posekit.pose.roi import Roi, full_frame_roi, roi_from_landmarks
from posekit.pose.tracker import acquire

from .paths import cache_dir, data_dir
from .teacher import load_teacher

log = logging.getLogger("posekit.label")

BASE_SIZE = 256
BASE_SCALE = 2.0  # base crop side / tracking ROI side
SHARD = 500
LSPET_TRAIN = range(0, 5000)  # image indices (0-based) used for training
LSPET_HOLDOUT = range(5000, 6000)  # never trained on: evaluation split


def base_roi(roi: Roi) -> Roi:
    return Roi(roi.cx, roi.cy, roi.size * BASE_SCALE, 0.0 if abs(roi.rotation) < 1e-9 else roi.rotation)


def warp(image: np.ndarray, roi: Roi, size: int) -> np.ndarray:
    import cv2

    m = roi.matrix(size)
    return cv2.warpAffine(image, m, (size, size), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_AREA,
                          borderMode=cv2.BORDER_CONSTANT)


def lspet_joints() -> np.ndarray:
    """(6000, 14, 3) LSPET joints (x, y, visible) in pixels."""
    import scipy.io

    j = scipy.io.loadmat(str(data_dir() / "lspet" / "joints.mat"))["joints"]
    return np.transpose(j, (2, 0, 1))[:6000].astype(np.float64)


def lspet_to_33(j14: np.ndarray, w: int, h: int) -> np.ndarray:
    """(14, 3) LSP joints -> (33, 3) BlazePose (x, y, flag): flag 1 visible, 0.5 occluded, 0 none."""
    out = np.zeros((NUM_KEYPOINTS, 3))
    for src, kp in enumerate(LSP14):
        if kp is None:
            continue
        x, y, v = j14[src]
        inside = 0 <= x < w and 0 <= y < h
        if inside:
            out[kp] = (x, y, 1.0 if v > 0.5 else 0.5)
    return out


def lspet_start_roi(j14: np.ndarray, w: int, h: int) -> Roi:
    """Upright ROI around the labelled joints that lie in the image (incl. neck, head top)."""
    pts = np.array([(x, y) for x, y, _ in j14 if 0 <= x < w and 0 <= y < h])
    if len(pts) < 2:
        return full_frame_roi(w, h)
    lo, hi = pts.min(0), pts.max(0)
    c = (lo + hi) / 2
    return Roi(float(c[0]), float(c[1]), float(max(hi - lo)) * 1.25, 0.0)


class ShardWriter:
    def __init__(self, name: str):
        self.dir = cache_dir() / "teacher" / name
        self.dir.mkdir(parents=True, exist_ok=True)

    def path(self, i: int) -> Path:
        return self.dir / f"shard_{i:04d}.npz"

    def done(self, i: int) -> bool:
        return self.path(i).is_file()

    def write(self, i: int, rows: list[dict], negatives: list[np.ndarray]) -> None:
        keys = ["image", "teacher", "human", "score", "roi", "sample_id"]
        arrays = {k: np.stack([r[k] for r in rows]) if rows else np.zeros((0,)) for k in keys}
        arrays["negatives"] = (np.stack(negatives) if negatives
                               else np.zeros((0, 160, 160, 3), np.uint8))
        tmp = self.path(i).with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.rename(self.path(i))


def make_row(teacher, image: np.ndarray, start: Roi, sample_id: int,
             human33: np.ndarray | None) -> dict | None:
    found = acquire(teacher, image, start, passes=3, min_score=0.3)
    if found is None:
        return None
    xy, vis, score, _ = found
    roi = roi_from_landmarks(xy, vis)
    # Final teacher pass on the tracking-style ROI, as the student will see at run time.
    xy, vis, score = teacher.predict(image, roi)
    lm = teacher.net.run(teacher._input)[teacher._lm].reshape(39, 5)[:NUM_KEYPOINTS]
    presence = 1 / (1 + np.exp(-lm[:, 4]))
    broi = base_roi(roi_from_landmarks(xy, vis))
    uv = broi.to_crop(xy)
    t = np.concatenate([uv, vis[:, None], presence[:, None]], axis=1).astype(np.float32)
    h = np.zeros((NUM_KEYPOINTS, 3), np.float32)
    if human33 is not None:
        h[:, :2] = broi.to_crop(human33[:, :2])
        h[:, 2] = human33[:, 2]
    return {"image": warp(image, broi, BASE_SIZE), "teacher": t, "human": h,
            "score": np.float32(score), "roi": np.array(broi.as_tuple(), np.float32),
            "sample_id": np.int64(sample_id)}


def random_background(image: np.ndarray, xy: np.ndarray | None, rng: np.random.Generator) -> np.ndarray | None:
    """A square patch that does not overlap the person (for pose-presence negatives)."""
    h, w = image.shape[:2]
    for _ in range(10):
        s = int(rng.uniform(0.25, 0.6) * min(h, w))
        x, y = int(rng.integers(0, w - s + 1)), int(rng.integers(0, h - s + 1))
        if xy is not None:
            inside = (xy[:, 0] > x - 0.1 * s) & (xy[:, 0] < x + 1.1 * s) & (xy[:, 1] > y - 0.1 * s) & (xy[:, 1] < y + 1.1 * s)
            if inside.any():
                continue
        return warp(image, Roi(x + s / 2, y + s / 2, s, 0.0), 160)
    return None


def label_lspet(teacher, limit: int | None) -> None:
    import cv2

    writer = ShardWriter("lspet")
    joints = lspet_joints()
    ids = list(LSPET_TRAIN)[:limit]
    rng = np.random.default_rng(0)
    for s0 in range(0, len(ids), SHARD):
        si = s0 // SHARD
        if writer.done(si):
            continue
        rows, negs, t0 = [], [], time.time()
        for i in ids[s0:s0 + SHARD]:
            img = cv2.imread(str(data_dir() / "lspet" / "images" / f"im{i + 1:05d}.jpg"))[:, :, ::-1]
            h, w = img.shape[:2]
            row = make_row(teacher, img, lspet_start_roi(joints[i], w, h), i, lspet_to_33(joints[i], w, h))
            if row is not None:
                rows.append(row)
        writer.write(si, rows, negs)
        log.info("lspet shard %d: %d/%d kept, %.1fs", si, len(rows), len(ids[s0:s0 + SHARD]), time.time() - t0)


def video_sources() -> list[tuple[str, Path, bool]]:
    d = data_dir()
    vids = [(p.stem, p, False) for p in sorted((d / "workouttracker" / "videos").glob("*/*.mp4"))]
    vids.append(("urfd-fall-01", d / "urfd" / "fall-01-cam0.mp4", True))
    return vids


def label_videos(teacher, every: int, limit: int | None) -> None:
    import cv2

    writer = ShardWriter("videos")
    rng = np.random.default_rng(1)
    rows, negs, si, sid = [], [], 0, 0
    vids = video_sources()[:limit]
    if writer.done(0) and all(writer.done(i) for i in range(len(list(writer.dir.glob("shard_*.npz"))))):
        log.info("videos already labelled in %s", writer.dir)
        return
    t0 = time.time()
    for vi, (name, path, rgb_right_half) in enumerate(vids):
        cap = cv2.VideoCapture(str(path))
        roi, fi = None, 0
        while True:
            ok = cap.grab()
            if not ok:
                break
            if fi % every == 0:
                _, frame = cap.retrieve()
                img = frame[:, frame.shape[1] // 2:, ::-1] if rgb_right_half else frame[:, :, ::-1]
                img = np.ascontiguousarray(img)
                h, w = img.shape[:2]
                row = make_row(teacher, img, roi or full_frame_roi(w, h), vi * 100000 + fi, None)
                if row is not None:
                    rows.append(row)
                    r = row["roi"]
                    roi = Roi(float(r[0]), float(r[1]), float(r[2]) / BASE_SCALE, float(r[3]))
                    xy = Roi(*[float(v) for v in r]).to_image(row["teacher"][:, :2])
                else:
                    roi, xy = None, None
                if rng.random() < 0.5:
                    bg = random_background(img, xy, rng)
                    if bg is not None:
                        negs.append(bg)
                if len(rows) == SHARD:
                    writer.write(si, rows, negs)
                    log.info("videos shard %d written (%s), %.0fs", si, name, time.time() - t0)
                    rows, negs, si = [], [], si + 1
            fi += 1
        cap.release()
    if rows:
        writer.write(si, rows, negs)
    log.info("videos: %d shards, %.0fs", si + 1, time.time() - t0)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", nargs="+", default=["lspet", "videos"], choices=["lspet", "videos"])
    ap.add_argument("--every", type=int, default=3, help="label every Nth video frame")
    ap.add_argument("--limit", type=int, default=None, help="at most N images / videos per source (tests)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    teacher = load_teacher(args.threads)
    if "lspet" in args.sources:
        label_lspet(teacher, args.limit)
    if "videos" in args.sources:
        label_videos(teacher, args.every, args.limit)


if __name__ == "__main__":
    main()
