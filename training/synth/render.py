"""Render a :class:`Motion` seen by a :class:`Camera` as shaded capsules over a textured room.

The 2D keypoints of each frame are exactly the camera projections of the body's keypoints, which
is what the generator reports: renders come with exact ground truth.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from posekit.keypoints import Keypoint as K

from .body import BodyShape, head_centre
from .camera import Camera

# (start, end, radius in metres at girth 1, part)
LIMBS = [
    (K.LEFT_SHOULDER, K.LEFT_ELBOW, 0.050, "shirt"), (K.RIGHT_SHOULDER, K.RIGHT_ELBOW, 0.050, "shirt"),
    (K.LEFT_ELBOW, K.LEFT_WRIST, 0.038, "skin"), (K.RIGHT_ELBOW, K.RIGHT_WRIST, 0.038, "skin"),
    (K.LEFT_WRIST, K.LEFT_INDEX, 0.035, "skin"), (K.RIGHT_WRIST, K.RIGHT_INDEX, 0.035, "skin"),
    (K.LEFT_HIP, K.LEFT_KNEE, 0.075, "pants"), (K.RIGHT_HIP, K.RIGHT_KNEE, 0.075, "pants"),
    (K.LEFT_KNEE, K.LEFT_ANKLE, 0.052, "pants"), (K.RIGHT_KNEE, K.RIGHT_ANKLE, 0.052, "pants"),
    (K.LEFT_HEEL, K.LEFT_FOOT_INDEX, 0.040, "shoes"), (K.RIGHT_HEEL, K.RIGHT_FOOT_INDEX, 0.040, "shoes"),
    (K.LEFT_SHOULDER, K.RIGHT_SHOULDER, 0.065, "shirt"), (K.LEFT_HIP, K.RIGHT_HIP, 0.085, "pants"),
]


@dataclasses.dataclass(frozen=True)
class Look:
    """Colours (RGB) of one rendered person and their room."""

    skin: tuple[int, int, int]
    shirt: tuple[int, int, int]
    pants: tuple[int, int, int]
    shoes: tuple[int, int, int]
    hair: tuple[int, int, int]
    wall: tuple[tuple[int, int, int], tuple[int, int, int]]
    floor: tuple[tuple[int, int, int], tuple[int, int, int]]
    light: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "Look":
        c = lambda lo=20, hi=235: tuple(int(v) for v in rng.integers(lo, hi, 3))
        skins = [(255, 219, 172), (241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (92, 58, 34)]
        skin = skins[int(rng.integers(len(skins)))]
        wall = c(90, 235)
        floor = c(40, 200)
        return cls(skin=skin, shirt=c(), pants=c(10, 160), shoes=c(10, 120), hair=c(10, 90),
                   wall=(wall, tuple(int(v * 0.75) for v in wall)),
                   floor=(floor, tuple(int(v * 0.8) for v in floor)), light=float(rng.uniform(0.75, 1.15)))


def background(cam: Camera, look: Look, rng: np.random.Generator | None = None) -> np.ndarray:
    """Wall gradient + checkered floor from ray-plane intersection (computed at 1/4 resolution)."""
    import cv2

    w, h = cam.width, cam.height
    sw, sh = max(w // 4, 8), max(h // 4, 8)
    u = (np.arange(sw) + 0.5) * w / sw
    v = (np.arange(sh) + 0.5) * h / sh
    uu, vv = np.meshgrid(u, v)
    rays = np.stack([(uu - w / 2) / cam.focal, (vv - h / 2) / cam.focal, np.ones_like(uu)], -1) @ cam.R
    grad = np.clip((vv / h)[..., None], 0, 1)
    img = np.array(look.wall[0]) * (1 - grad) + np.array(look.wall[1]) * grad
    down = rays[..., 1] < -1e-4
    t = np.where(down, -cam.position[1] / np.where(down, rays[..., 1], -1), 0)
    fx = cam.position[0] + t * rays[..., 0]
    fz = cam.position[2] + t * rays[..., 2]
    checker = ((np.floor(fx / 0.6) + np.floor(fz / 0.6)) % 2)[..., None]
    floor = np.array(look.floor[0]) * (1 - checker) + np.array(look.floor[1]) * checker
    fade = np.clip(1 - t / 25, 0.3, 1)[..., None]
    img = np.where(down[..., None], floor * fade + img * (1 - fade), img)
    img = cv2.resize(img.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return img


def _shade(col: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(c * k, 0, 255)) for c in col)


def _capsule(img, p1, p2, r1, r2, col, light, cv2):
    d = p2 - p1
    n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9)
    for frac, k, shift in ((1.0, 0.55, 0.0), (0.7, 0.85, 0.15), (0.35, 1.1, 0.3)):
        off = n * shift * (r1 + r2) / 2
        a, b = p1 - off, p2 - off
        ra, rb = max(r1 * frac, 0.5), max(r2 * frac, 0.5)
        poly = np.array([a + n * ra, b + n * rb, b - n * rb, a - n * ra])
        c = _shade(col, k * light)
        cv2.fillConvexPoly(img, np.round(poly * 16).astype(np.int32), c, cv2.LINE_AA, 4)
        cv2.circle(img, tuple(np.round(a * 16).astype(int)), int(ra * 16), c, -1, cv2.LINE_AA, 4)
        cv2.circle(img, tuple(np.round(b * 16).astype(int)), int(rb * 16), c, -1, cv2.LINE_AA, 4)


def render_frame(kps3d: np.ndarray, cam: Camera, shape: BodyShape, look: Look, bg: np.ndarray,
                 rng: np.random.Generator | None = None) -> np.ndarray:
    """One RGB uint8 frame of the body (33, 3) over ``bg`` (float32 H x W x 3)."""
    import cv2

    img = bg.copy()
    uv, depth = cam.project(kps3d)
    g = shape.girth
    items = []
    for a, b, r, part in LIMBS:
        items.append(((depth[a] + depth[b]) / 2, "capsule", (a, b, r * (g if part != "skin" else 1.0), part)))
    # Torso: a wide capsule from mid-hip to mid-shoulder.
    mid_sh = (kps3d[K.LEFT_SHOULDER] + kps3d[K.RIGHT_SHOULDER]) / 2
    mid_hip = (kps3d[K.LEFT_HIP] + kps3d[K.RIGHT_HIP]) / 2
    items.append(((cam.project(mid_sh)[1] + cam.project(mid_hip)[1]) / 2 + 0.01, "torso", (mid_sh, mid_hip)))
    hc = head_centre(kps3d)
    items.append((float(cam.project(hc)[1]) - 0.01, "head", (hc,)))
    items.sort(key=lambda it: -float(it[0]))
    col = {"skin": look.skin, "shirt": look.shirt, "pants": look.pants, "shoes": look.shoes}
    # Soft shadow on the floor.
    foot = kps3d[[K.LEFT_ANKLE, K.RIGHT_ANKLE, K.LEFT_HIP, K.RIGHT_HIP]].mean(0) * np.array([1, 0, 1])
    sp, sd = cam.project(foot)
    if sd > 0:
        rad = cam.focal * 0.45 / sd
        shadow = img.copy()
        cv2.ellipse(shadow, (int(sp[0]), int(sp[1])), (int(rad), int(rad * 0.3)), 0, 0, 360, (0, 0, 0), -1)
        img = cv2.addWeighted(img, 0.75, shadow, 0.25, 0)
    for _, kind, args in items:
        if kind == "capsule":
            a, b, r, part = args
            if depth[a] <= 0 or depth[b] <= 0:
                continue
            _capsule(img, uv[a], uv[b], cam.focal * r / depth[a], cam.focal * r / depth[b], col[part], look.light, cv2)
        elif kind == "torso":
            p, d = cam.project(np.stack(args))
            if (d <= 0).any():
                continue
            rad = cam.focal * 0.14 * g / d
            _capsule(img, p[0], p[1], rad[0], rad[1], look.shirt, look.light, cv2)
        else:
            p, d = cam.project(args[0])
            if d <= 0:
                continue
            rad = cam.focal * shape.head * 1.05 / d
            _capsule(img, p, p + np.array([0, 0.01]), rad, rad, look.skin, look.light, cv2)
            # Hair on the back/top of the head.
            top = cam.project(args[0] + (args[0] - kps3d[K.NOSE]) * 0.5 + np.array([0, shape.head * 0.4, 0]))[0]
            cv2.circle(img, (int(top[0]), int(top[1])), int(rad * 0.75), _shade(look.hair, look.light), -1, cv2.LINE_AA)
    if rng is not None:
        img = img + rng.normal(0, 3.0, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def render_motion(kps3d: np.ndarray, cam: Camera, shape: BodyShape, rng: np.random.Generator,
                  look: Look | None = None, noise: bool = True) -> np.ndarray:
    """(T, H, W, 3) uint8 frames of the whole motion (``noise``: per-pixel sensor noise)."""
    look = look or Look.sample(rng)
    bg = background(cam, look, rng)
    return np.stack([render_frame(k, cam, shape, look, bg, rng if noise else None) for k in kps3d])
