"""Teacher labelling: find the person, run a MediaPipe teacher on BlazePose crops, cache samples.

Any folder of images and videos can be labelled (the feature for retraining on your own footage):
the person is found by a human box where the source has one (LSPET joints, YOLO ``labels/*.txt``
beside ``images/``), else by the BlazePose person detector (:mod:`posekit.pose.detector`, up to
``MAX_PEOPLE`` per image); the teacher (BlazePose GHUM heavy by default) runs on that crop, and the
sample is cut around the teacher's own landmarks, as the student's tracking crops will be.

Per sample the cache holds a 256x256 base crop (1.6x the BlazePose ROI, turned to the body axis
around the mid-hip), the teacher's 33 landmarks in base-crop coordinates (u, v, visibility,
presence), human labels where the source has them, the crop transform back to the source image,
the source-relative path (its folder names are the source's class labels, e.g. fall / sit /
stand) and whether the file is held back for evaluation (``holdout``: 1 in ``HOLDOUT_EVERY`` files by
a hash of the path, never trained on). Images where nobody is found, and patches away from the
people, are kept as presence negatives.

Resumable: each source is written in shards of ``SHARD`` files; existing shards are skipped.
``source.json`` beside them names the folder, so the held-back files can be found again.

    python -m training.label --sources lspet
    python -m training.label --folder har=~/.cache/posekit/data/har --folder yoga=/data/yoga --workers 2
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from posekit.keypoints import LSP14, NUM_KEYPOINTS
from posekit.pose.roi import Roi, full_frame_roi, roi_from_box, roi_from_landmarks
from posekit.pose.tracker import acquire

from .paths import cache_dir, data_dir
from .teacher import TEACHERS, load_teacher

log = logging.getLogger("posekit.label")

BASE_SIZE = 256
BASE_SCALE = 1.6  # base crop side / tracking ROI side (the ROI is 160 px of it: the student input)
SHARD = 500
LSPET_TRAIN = range(0, 5000)  # image indices (0-based) used for training
LSPET_HOLDOUT = range(5000, 6000)  # never trained on: evaluation split
HOLDOUT_EVERY = 20  # of a folder's files, 1 in this many (by path hash) is held back
MAX_PEOPLE = 2  # people labelled per image (the detector's best, and a second one found with
SECOND_PERSON_SCORE = 0.8  # at least this detection score)
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
VIDEO_EXT = {".mp4", ".avi", ".mov", ".mkv", ".webm"}


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


DEFAULTS = {"path": np.str_(""), "holdout": np.bool_(False)}


def is_holdout(rel: str) -> bool:
    """Whether a source file is held back (stable across machines and runs: a hash of its path)."""
    return zlib.crc32(rel.encode()) % HOLDOUT_EVERY == 0


class ShardWriter:
    def __init__(self, name: str):
        self.dir = cache_dir() / "teacher" / name
        self.dir.mkdir(parents=True, exist_ok=True)

    def path(self, i: int) -> Path:
        return self.dir / f"shard_{i:04d}.npz"

    def done(self, i: int) -> bool:
        return self.path(i).is_file()

    def write(self, i: int, rows: list[dict], negatives: list[np.ndarray]) -> None:
        keys = ["image", "teacher", "human", "score", "roi", "sample_id", "path", "holdout"]
        arrays = {k: np.stack([r[k] if k in r else DEFAULTS[k] for r in rows]) if rows else np.zeros((0,))
                  for k in keys}
        arrays["negatives"] = (np.stack(negatives) if negatives
                               else np.zeros((0, 160, 160, 3), np.uint8))
        tmp = self.path(i).with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.rename(self.path(i))


def teacher_pass(teacher, image: np.ndarray, roi: Roi) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The teacher on ``roi``: (xy pixels (33, 2), visibility (33,), pose score, per-keypoint presence (33,))."""
    xy, vis, score = teacher.predict(image, roi)
    lm = teacher.net.run(teacher._input)[teacher._lm].reshape(39, 5)[:NUM_KEYPOINTS]
    return xy, vis, score, 1 / (1 + np.exp(-lm[:, 4]))


def sample(image: np.ndarray, xy: np.ndarray, vis: np.ndarray, score: float, presence: np.ndarray,
           sample_id: int, human33: np.ndarray | None = None) -> dict:
    """A cache row: the base crop around the teacher's landmarks and the labels in its frame."""
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


def make_row(teacher, image: np.ndarray, start: Roi, sample_id: int,
             human33: np.ndarray | None) -> dict | None:
    """Refine from a human box (LSPET): the crop follows the teacher's landmarks, then one final
    teacher pass on the tracking-style ROI, as the student will see at run time."""
    found = acquire(teacher, image, start, passes=3, min_score=0.3)
    if found is None:
        return None
    xy, vis, _, _ = found
    xy, vis, score, presence = teacher_pass(teacher, image, roi_from_landmarks(xy, vis))
    return sample(image, xy, vis, score, presence, sample_id, human33)


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


def people_in(teacher, detector, image: np.ndarray, boxes: list[tuple[float, float, float, float]] | None,
              min_score: float = 0.5) -> list[tuple[np.ndarray, np.ndarray, float, np.ndarray]]:
    """Teacher poses of the people in an image: from the given boxes, else from the detector
    (its best detection, and a second above ``SECOND_PERSON_SCORE``), one teacher pass on each
    crop (BlazePose's first frame). The sample is then cut around those landmarks."""
    if boxes is not None:
        starts = [roi_from_box(b) for b in boxes]
    else:
        dets = detector.detect(image, max_people=MAX_PEOPLE)
        starts = [d.roi for i, d in enumerate(dets) if i == 0 or d.score >= SECOND_PERSON_SCORE]
    out = []
    for roi in starts:
        found = teacher_pass(teacher, image, roi)
        if found[2] >= min_score:
            out.append(found)
    return out


def yolo_labels(path: Path) -> list[tuple[int, float, float, float, float]]:
    """The labels of ``images/x.jpg`` in ``labels/x.txt`` (YOLO: class, then cx cy w h normalised
    by the image), [] if it has none."""
    txt = path.parent.parent / "labels" / (path.stem + ".txt")
    if path.parent.name != "images" or not txt.is_file():
        return []
    out = []
    for line in txt.read_text().split("\n"):
        v = line.split()
        if len(v) == 5 and v[0].isdigit():
            out.append((int(v[0]), *(float(t) for t in v[1:])))
    return out


def yolo_boxes(path: Path, w: int, h: int) -> list[tuple[float, float, float, float]] | None:
    """Boxes (x, y, w, h pixels) of ``images/x.jpg`` from its YOLO labels (:func:`yolo_labels`), if any."""
    boxes = [((cx - bw / 2) * w, (cy - bh / 2) * h, bw * w, bh * h) for _, cx, cy, bw, bh in yolo_labels(path)]
    return boxes[:MAX_PEOPLE] or None


def source_files(root: Path) -> list[Path]:
    """Images and videos under ``root``, sorted (shards are fixed slices of this list)."""
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXT | VIDEO_EXT and p.is_file())


_WORKER: dict = {}


def _models(teacher_name: str):
    if "teacher" not in _WORKER:
        from posekit.pose.detector import PersonDetector

        _WORKER["teacher"] = load_teacher(teacher=teacher_name)
        _WORKER["detector"] = PersonDetector()
    return _WORKER["teacher"], _WORKER["detector"]


def label_shard(name: str, root: str, files: list[str], shard: int, teacher_name: str, every: int) -> tuple[int, int, int]:
    """Label one shard of a folder source (run in a worker process); returns (files, samples, negatives)."""
    import cv2

    teacher, detector = _models(teacher_name)
    writer = ShardWriter(name)
    rng = np.random.default_rng(shard)
    rows, negs = [], []
    for fi, rel in enumerate(files):
        path = Path(root) / rel
        sid = shard * SHARD + fi
        held = is_holdout(rel)
        if path.suffix.lower() in VIDEO_EXT:
            frames = video_frames(path, every)
        else:
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            frames = [(0, np.ascontiguousarray(img[:, :, ::-1]))] if img is not None else []
        for k, img in frames:
            h, w = img.shape[:2]
            people = people_in(teacher, detector, img, yolo_boxes(path, w, h))
            for xy, vis, score, presence in people:
                row = sample(img, xy, vis, score, presence, sid * 1000 + k)
                row.update(path=np.str_(rel), holdout=np.bool_(held))
                rows.append(row)
            if held:
                continue
            if not people and min(h, w) >= 64:
                # Nobody the detector or the boxes know of: a presence negative if the teacher
                # agrees there is no one in the whole frame.
                _, _, score, _ = teacher_pass(teacher, img, full_frame_roi(w, h))
                if score < 0.1:
                    negs.append(warp(img, full_frame_roi(w, h), 160))
            elif rng.random() < 0.3:
                bg = random_background(img, np.concatenate([p[0] for p in people]) if people else None, rng)
                if bg is not None:
                    negs.append(bg)
    writer.write(shard, rows, negs)
    return len(files), len(rows), len(negs)


def video_frames(path: Path, every: int):
    """(frame index, RGB frame) of every ``every``-th frame of a video."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    k = 0
    while cap.grab():
        if k % every == 0:
            ok, frame = cap.retrieve()
            if ok:
                yield k, np.ascontiguousarray(frame[:, :, ::-1])
        k += 1
    cap.release()


def label_folder(name: str, root: Path, teacher_name: str, workers: int, every: int, limit: int | None) -> None:
    """Label every image and video under ``root`` as source ``name``, ``workers`` processes at once."""
    root = root.expanduser()
    files = [str(p.relative_to(root)) for p in source_files(root)][:limit]
    if not files:
        raise SystemExit(f"--folder {name}={root}: no images or videos found there")
    writer = ShardWriter(name)
    (writer.dir / "source.json").write_text(json.dumps({"root": str(root.resolve()), "files": len(files)}))
    todo = [i for i in range(0, len(files), SHARD) if not writer.done(i // SHARD)]
    log.info("%s: %d files, %d of %d shards to label with %s", name, len(files), len(todo),
             -(-len(files) // SHARD), teacher_name)
    t0, n_files, n_rows, n_negs = time.time(), 0, 0, 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [pool.submit(label_shard, name, str(root), files[i:i + SHARD], i // SHARD, teacher_name, every)
                for i in todo]
        for job in jobs:
            f, r, n = job.result()
            n_files, n_rows, n_negs = n_files + f, n_rows + r, n_negs + n
            rate = n_files / max(time.time() - t0, 1e-6)
            left = sum(len(files[i:i + SHARD]) for i in todo) - n_files
            log.info("%s: %d/%d files, %d samples, %d negatives, %.1f files/s, ~%.0f min left",
                     name, n_files, len(files), n_rows, n_negs, rate, left / max(rate, 1e-6) / 60)


def label_lspet(teacher, limit: int | None) -> None:
    import cv2

    writer = ShardWriter("lspet")
    joints = lspet_joints()
    ids = list(LSPET_TRAIN)[:limit]
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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", nargs="*", default=[], choices=["lspet"],
                    help="built-in sources: LSPET's training images (with their human joint labels)")
    ap.add_argument("--folder", action="append", default=[], metavar="NAME=PATH",
                    help="label every image and video under PATH as source NAME (repeatable)")
    ap.add_argument("--teacher", default="heavy", choices=TEACHERS, help="BlazePose GHUM model to label with")
    ap.add_argument("--every", type=int, default=3, help="label every Nth video frame")
    ap.add_argument("--limit", type=int, default=None, help="at most N images / videos per source (tests)")
    ap.add_argument("--workers", type=int, default=1, help="labelling processes for --folder sources")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    folders = []
    for spec in args.folder:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path or os.sep in name:
            ap.error(f"--folder {spec!r}: expected NAME=PATH, NAME a plain word")
        folders.append((name, Path(path)))
    if not args.sources and not folders:
        ap.error("nothing to label: give --sources and/or --folder")
    if args.sources:
        teacher = load_teacher(teacher=args.teacher)
        label_lspet(teacher, args.limit)
    for name, path in folders:
        label_folder(name, path, args.teacher, max(1, args.workers), args.every, args.limit)


if __name__ == "__main__":
    main()
