"""Camera model: random viewpoints, pinhole projection, visibility, and pose-model-like noise."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from posekit.keypoints import FLIP_PERM, NUM_KEYPOINTS, Keypoint as K

FACE = [k for k in K if k <= K.MOUTH_RIGHT]


@dataclasses.dataclass(frozen=True)
class Camera:
    """Pinhole camera. ``R`` maps world to camera axes (x right, y down, z forward)."""

    position: np.ndarray
    R: np.ndarray
    focal: float
    width: int
    height: int
    view: str = "front"

    def project(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (..., 3) -> pixels (..., 2) and depth (...,)."""
        c = (pts - self.position) @ self.R.T
        z = np.maximum(c[..., 2], 1e-3)
        uv = self.focal * c[..., :2] / z[..., None] + np.array([self.width / 2, self.height / 2])
        return uv, c[..., 2]

    def to_json(self) -> dict:
        return {"position": self.position.tolist(), "R": self.R.tolist(), "focal": self.focal,
                "width": self.width, "height": self.height, "view": self.view}


def look_at(position: np.ndarray, target: np.ndarray, roll: float = 0.0) -> np.ndarray:
    f = target - position
    f = f / np.linalg.norm(f)
    right = np.cross(f, np.array([0.0, 1.0, 0.0]))
    if np.linalg.norm(right) < 1e-6:
        right = np.array([1.0, 0.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(f, right)
    R = np.stack([right, down, f])
    c, s = math.cos(roll), math.sin(roll)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ R


VIEWS = ("front", "side", "oblique", "elevated")


def sample_camera(rng: np.random.Generator, kps3d: np.ndarray, size: tuple[int, int] = (480, 360),
                  view: str | None = None, fill: tuple[float, float] = (0.55, 0.85),
                  keep_inside: bool = True) -> Camera:
    """A viewpoint that keeps the whole motion in frame (``keep_inside``) with the person filling
    ``fill`` of the frame's shorter side; elevated = wall-mounted fall camera (2.2-3 m, looking down)."""
    view = view or str(rng.choice(VIEWS, p=[0.3, 0.3, 0.25, 0.15]))
    pts = kps3d.reshape(-1, 3)
    lo, hi = pts.min(0), pts.max(0)
    centre = (lo + hi) / 2
    extent = float(np.max(hi - lo))
    az = {"front": rng.normal(0, 0.2), "side": rng.choice([-1, 1]) * np.pi / 2 + rng.normal(0, 0.15),
          "oblique": rng.choice([-1, 1]) * np.pi / 4 + rng.normal(0, 0.2), "elevated": rng.uniform(-np.pi, np.pi)}[view]
    if rng.random() < 0.15 and view != "elevated":
        az += np.pi  # seen from behind
    dist = rng.uniform(2.5, 5.0) + extent
    height = rng.uniform(2.2, 3.0) if view == "elevated" else rng.uniform(0.6, 1.6)
    # The body faces +z at heading 0; azimuth 0 puts the camera in front of it.
    pos = centre + np.array([dist * math.sin(az), 0.0, dist * math.cos(az)])
    pos[1] = height
    R = look_at(pos, centre, roll=rng.normal(0, 0.05))
    w, h = size
    cam = Camera(pos, R, 1.0, w, h, view)
    uv, _ = cam.project(pts)
    span = np.max(uv.max(0) - uv.min(0))  # at focal 1
    target = min(w, h) * rng.uniform(*fill)
    focal = target / max(span, 1e-6)
    cam = Camera(pos, R, focal, w, h, view)
    if keep_inside:
        uv, _ = cam.project(pts)
        mn, mx = uv.min(0), uv.max(0)
        over = max(((mx - mn) / (np.array([w, h]) * 0.92)).max(), 1.0)
        cam = Camera(pos, R, focal / over, w, h, view)
    return cam


def visibility(kps3d: np.ndarray, cam: Camera) -> np.ndarray:
    """(T, 33) visibility: 0 outside the frame; lowered for points turned away from the camera."""
    uv, depth = cam.project(kps3d)
    inside = (uv[..., 0] >= 0) & (uv[..., 0] < cam.width) & (uv[..., 1] >= 0) & (uv[..., 1] < cam.height) & (depth > 0)
    vis = np.where(inside, 1.0, 0.0)
    left = kps3d[:, K.LEFT_SHOULDER] - kps3d[:, K.RIGHT_SHOULDER] + kps3d[:, K.LEFT_HIP] - kps3d[:, K.RIGHT_HIP]
    left /= np.linalg.norm(left, axis=-1, keepdims=True) + 1e-9
    centre = kps3d[:, [K.LEFT_SHOULDER, K.RIGHT_SHOULDER, K.LEFT_HIP, K.RIGHT_HIP]].mean(1)
    to_cam = cam.position - centre
    to_cam /= np.linalg.norm(to_cam, axis=-1, keepdims=True)
    side = np.einsum("tc,tc->t", left, to_cam)  # > 0: camera on the person's left
    nose_dir = kps3d[:, K.NOSE] - (kps3d[:, K.LEFT_EAR] + kps3d[:, K.RIGHT_EAR]) / 2
    nose_dir /= np.linalg.norm(nose_dir, axis=-1, keepdims=True) + 1e-9
    facing = np.einsum("tc,tc->t", nose_dir, to_cam)
    for k in K:
        if k.name.startswith("LEFT_") or k == K.MOUTH_LEFT:
            vis[:, k] *= np.where(side < -0.6, 0.35, 1.0)
        elif k.name.startswith("RIGHT_") or k == K.MOUTH_RIGHT:
            vis[:, k] *= np.where(side > 0.6, 0.35, 1.0)
    for k in FACE:
        if k not in (K.LEFT_EAR, K.RIGHT_EAR):
            vis[:, k] *= np.where(facing < -0.3, 0.2, 1.0)
    return vis


def pose_model_noise(rng: np.random.Generator, kps2d: np.ndarray, vis: np.ndarray, jitter: float = 0.012,
                     swap_p: float = 0.004, drop_p: float = 0.02) -> np.ndarray:
    """Noise that resembles a real pose model's output: correlated jitter (more on hidden points),
    left/right swaps lasting a few frames, and missed frames (NaN rows).

    Args:
        kps2d: (T, 33, 2) exact pixels. vis: (T, 33).
        jitter: std as a fraction of the person's bounding-box size.
    Returns:
        (T, 33, 3) noisy (x, y, confidence); missed frames are NaN.
    """
    T = len(kps2d)
    size = np.nanmax(kps2d, axis=1) - np.nanmin(kps2d, axis=1)
    scale = np.maximum(size.max(-1), 1.0)[:, None, None]
    e = rng.normal(0, 1, (T, NUM_KEYPOINTS, 2))
    for t in range(1, T):  # AR(1): jitter correlated over frames
        e[t] = 0.6 * e[t - 1] + 0.8 * e[t]
    sigma = jitter * (1.0 + 2.0 * (1.0 - vis))[..., None]
    out = kps2d + e * sigma * scale
    conf = np.clip(vis * rng.uniform(0.85, 1.0, vis.shape) + rng.normal(0, 0.03, vis.shape), 0, 1)
    t = 0
    while t < T:
        if rng.random() < swap_p:
            d = int(rng.integers(2, 8))
            out[t:t + d] = out[t:t + d][:, FLIP_PERM]
            t += d
        t += 1
    res = np.concatenate([out, conf[..., None]], axis=-1)
    drop = rng.random(T) < drop_p
    res[drop] = np.nan
    return res
