"""Write synthetic sequences: keypoints (+ optional MP4s and a montage), and the bundled sample clip.

    python -m training.synth.dataset --per-class 50 --seconds 10 --out ~/.cache/posekit/synth
    python -m training.synth.dataset --montage montage.png            # one rendered frame per class
    python -m training.synth.dataset --sample-clip posekit/data/sample.mp4

Each ``<kind>_<i>.npz`` holds: ``kps2d`` (T, 33, 3) exact pixels + visibility, ``noisy`` (T, 33, 3)
pose-model-like noisy keypoints (NaN rows = missed frames), ``kps3d`` (T, 33, 3) metres, ``labels``
(T,) ids of ``posekit.activity.labels.LABELS``, ``reps`` (R, 4) start/bottom/end/partial,
``rep_faults`` (JSON list per rep), ``fall`` (onset, impact; -1 if none), ``fps``, ``camera`` (JSON),
``image_size`` and ``kind``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from .camera import pose_model_noise, sample_camera, visibility
from .motions import GENERATORS, Motion, generate
from .render import Look, render_motion

log = logging.getLogger("posekit.synth")


def make_sequence(kind: str, seed: int, fps: float = 30.0, seconds: float = 10.0,
                  size: tuple[int, int] = (480, 360), view: str | None = None) -> tuple[Motion, dict]:
    """Generate one motion, pick a camera, project; returns (motion, arrays for the .npz)."""
    rng = np.random.default_rng(seed)
    m = generate(kind, rng, fps, seconds)
    cam = sample_camera(rng, m.kps3d, size, view=view)
    uv, _ = cam.project(m.kps3d)
    vis = visibility(m.kps3d, cam)
    kps2d = np.concatenate([uv, vis[..., None]], -1).astype(np.float32)
    reps = np.array([[r.start, r.bottom, r.end, int(r.partial)] for r in m.reps], np.int32).reshape(-1, 4)
    arrays = {
        "kps2d": kps2d, "noisy": pose_model_noise(rng, uv, vis).astype(np.float32),
        "kps3d": m.kps3d.astype(np.float32), "labels": m.labels.astype(np.int16), "reps": reps,
        "rep_faults": json.dumps([list(r.faults) for r in m.reps]),
        "fall": np.array([m.fall_onset if m.fall_onset is not None else -1,
                          m.fall_impact if m.fall_impact is not None else -1], np.int32),
        "fps": np.float32(fps), "camera": json.dumps(cam.to_json()), "image_size": np.array(size, np.int32),
        "kind": kind, "name": m.name,
    }
    return m, arrays


def make_circuit(kinds: tuple[str, ...], seed: int, seconds: float = 20.0, view: str = "front",
                 fps: float = 30.0) -> tuple[np.ndarray, list[int]]:
    """A continuous workout: one sequence per kind, back to back, all seen from ``view``, each
    moved and scaled so that its hips and torso continue where the previous one's ended (the
    posture changes at the joins; the person's proportions may too). Returns the noisy (T, 33, 3)
    keypoints and each part's number of full reps."""
    from posekit.keypoints import Keypoint

    def anchor(x: np.ndarray) -> tuple[np.ndarray, float]:  # median hip centre and torso of a few frames
        hip = np.nanmedian((x[:, Keypoint.LEFT_HIP, :2] + x[:, Keypoint.RIGHT_HIP, :2]) / 2, axis=0)
        sh = np.nanmedian((x[:, Keypoint.LEFT_SHOULDER, :2] + x[:, Keypoint.RIGHT_SHOULDER, :2]) / 2, axis=0)
        return hip, float(np.linalg.norm(sh - hip))

    parts: list[np.ndarray] = []
    true: list[int] = []
    for j, kind in enumerate(kinds):
        m, arr = make_sequence(kind, seed + j, fps=fps, seconds=seconds, view=view)
        x = arr["noisy"].copy()
        true.append(sum(not r.partial for r in m.reps))
        if parts:
            (h0, s0), (h1, s1) = anchor(parts[-1][-15:]), anchor(x[:15])
            x[..., :2] = (x[..., :2] - h1) * (s0 / s1) + h0
        parts.append(x)
    return np.concatenate(parts), true


def _write_one(job: tuple[Path, str, int, float, float, bool]) -> int:
    path, kind, s, fps, seconds, mp4 = job
    if path.exists():
        return 0
    m, arrays = make_sequence(kind, s, fps, seconds)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.rename(path)
    if mp4:
        from posekit.video import VideoWriter

        cam = camera_from_json(str(arrays["camera"]))
        frames = render_motion(m.kps3d, cam, m.shape, np.random.default_rng(s + 1))
        w = VideoWriter(path.with_suffix(".mp4"), fps, (cam.width, cam.height))
        for f in frames:
            w.write(f)
        w.close()
    return 1


def write_dataset(out: Path, per_class: int, seconds: float, fps: float, kinds: list[str], mp4: bool,
                  seed: int = 0, workers: int = 1) -> int:
    """Write ``per_class`` sequences of each kind (resumable: existing files are kept)."""
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(out / f"{kind}_{i:04d}.npz", kind, seed * 1_000_003 + ki * 10_000 + i, fps, seconds, mp4)
            for ki, kind in enumerate(kinds) for i in range(per_class)]
    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            return sum(pool.imap_unordered(_write_one, jobs, chunksize=4))
    return sum(_write_one(j) for j in jobs)


def camera_from_json(text: str):
    from .camera import Camera

    c = json.loads(text)
    return Camera(np.array(c["position"]), np.array(c["R"]), c["focal"], c["width"], c["height"], c["view"])


def montage(png: Path, seed: int = 0, size: tuple[int, int] = (320, 240)) -> None:
    """One rendered frame per motion kind (at a rep bottom / fall impact), keypoints overlaid."""
    import cv2

    from posekit.keypoints import EDGES

    tiles = []
    for ki, kind in enumerate(GENERATORS):
        m, arrays = make_sequence(kind, seed + ki, 30.0, 5.0, size)
        t = m.reps[0].bottom if m.reps else (m.fall_impact if m.fall_impact is not None else len(m.kps3d) // 2)
        cam = camera_from_json(str(arrays["camera"]))
        frame = render_motion(m.kps3d[t:t + 1], cam, m.shape, np.random.default_rng(seed + ki))[0]
        sk = frame.copy()
        p = arrays["kps2d"][t]
        for a, b in EDGES:
            cv2.line(sk, tuple(int(v) for v in p[a, :2]), tuple(int(v) for v in p[b, :2]), (255, 255, 255), 1, cv2.LINE_AA)
        tile = np.concatenate([frame, sk], 1)
        cv2.putText(tile, f"{m.name} ({cam.view})", (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1, cv2.LINE_AA)
        tiles.append(tile)
    cols = 2
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.concatenate(tiles[i:i + cols], 1) for i in range(0, len(tiles), cols)]
    cv2.imwrite(str(png), np.concatenate(rows, 0)[:, :, ::-1])


def _write_clip(path: Path, kps: np.ndarray, cam, shape, rng: np.random.Generator, shirt: tuple[int, int, int],
                fps: float, size: tuple[int, int]) -> None:
    """Render a motion with the bundled clips' fixed look (no sensor noise) and write it as a video."""
    from posekit.video import VideoWriter

    look = Look(skin=(224, 172, 105), shirt=shirt, pants=(40, 50, 90), shoes=(230, 230, 230), hair=(40, 30, 20),
                wall=((205, 210, 220), (160, 165, 180)), floor=((150, 120, 90), (125, 100, 75)), light=1.0)
    frames = render_motion(kps, cam, shape, rng, look, noise=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    w = VideoWriter(path, fps, size)
    for f in frames:
        w.write(f)
    w.close()


def sample_clip(path: Path, seed: int = 7, fps: float = 30.0, size: tuple[int, int] = (400, 300)) -> dict:
    """The bundled sample: squats, then a forward fall, one person, one fixed oblique camera.

    Deterministic for a seed. Returns the ground truth (rep bottoms, fall onset/impact in frames).
    """
    from .body import BodyShape
    from .motions import fall, squat

    rng = np.random.default_rng(seed)
    shape = BodyShape(height=1.75, girth=1.05)
    sq = squat(np.random.default_rng(seed), shape, fps, 10.0)
    fl = fall(np.random.default_rng(seed + 1), shape, fps, 4.0, direction="forward", from_sitting=False)
    # Stitch: keep the squat's last standing frame, shift the fall so its first frame matches it.
    offset = sq.kps3d[-1, :, [0, 2]].mean(1) - fl.kps3d[0, :, [0, 2]].mean(1)
    fk = fl.kps3d + np.array([offset[0], 0.0, offset[1]])
    kps = np.concatenate([sq.kps3d, fk])
    cam = sample_camera(np.random.default_rng(seed + 2), kps, size, view="oblique", fill=(0.7, 0.7))
    _write_clip(path, kps, cam, shape, rng, (200, 40, 60), fps, size)
    n_sq = len(sq.kps3d)
    truth = {"frames": len(kps), "fps": fps, "squat_reps": sum(not r.partial for r in sq.reps),
             "rep_bottoms": [r.bottom for r in sq.reps if not r.partial],
             "fall_onset": n_sq + int(fl.fall_onset), "fall_impact": n_sq + int(fl.fall_impact)}
    return truth


def form_clip(path: Path, seed: int = 3, fps: float = 30.0, size: tuple[int, int] = (400, 300)) -> dict:
    """A squat set seen from the side whose last three reps are too shallow (hips stay well above
    the knees): for form-cue checks from pixels (app tests, README screenshot). Returns the truth."""
    from .body import BodyShape
    from .motions import FEET, _fk, place_on_floor

    shape = BodyShape(height=1.75, girth=1.05)
    deep = {"l_hip_flex": 1.8, "r_hip_flex": 1.8, "l_knee": 2.0, "r_knee": 2.0, "torso_flex": 0.6,
            "l_sh_flex": 1.4, "r_sh_flex": 1.4}
    shallow = {"l_hip_flex": 0.9, "r_hip_flex": 0.9, "l_knee": 1.0, "r_knee": 1.0, "torso_flex": 0.35,
               "l_sh_flex": 1.4, "r_sh_flex": 1.4}
    poses, bottoms = [{}] * int(fps), []
    for bottom in (deep, deep, shallow, shallow, shallow):
        w = 0.5 - 0.5 * np.cos(np.linspace(0, 2 * np.pi, int(2.2 * fps)))
        bottoms.append(len(poses) + len(w) // 2)
        poses += [{k: v * d for k, v in bottom.items()} for d in w] + [{}] * int(0.6 * fps)
    kps = np.stack([place_on_floor(_fk(shape, a), FEET, 0.0) for a in poses])
    rng = np.random.default_rng(seed)
    cam = sample_camera(rng, kps, size, view="side", fill=(0.7, 0.7))
    _write_clip(path, kps, cam, shape, rng, (30, 110, 200), fps, size)
    return {"frames": len(kps), "fps": fps, "deep_bottoms": bottoms[:2], "shallow_bottoms": bottoms[2:]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--per-class", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--kinds", nargs="+", default=list(GENERATORS), choices=list(GENERATORS))
    ap.add_argument("--mp4", action="store_true", help="also render each sequence to MP4")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--montage", type=Path, help="write a montage PNG of one frame per class")
    ap.add_argument("--sample-clip", type=Path, help="write the bundled sample clip (squats then a fall)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.montage:
        montage(args.montage, args.seed)
        log.info("wrote %s", args.montage)
    if args.sample_clip:
        truth = sample_clip(args.sample_clip)
        args.sample_clip.with_suffix(".json").write_text(json.dumps(truth, indent=2))
        log.info("wrote %s: %s", args.sample_clip, truth)
    if args.out:
        t0 = time.time()
        n = write_dataset(args.out, args.per_class, args.seconds, args.fps, args.kinds, args.mp4, args.seed, args.workers)
        log.info("wrote %d sequences to %s in %.1fs", n, args.out, time.time() - t0)


if __name__ == "__main__":
    main()
