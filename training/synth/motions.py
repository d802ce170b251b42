"""Motion library: exercises, daily activities and falls as per-frame joint angles and root poses.

Every generator takes ``(rng, shape, fps, seconds)`` and returns a :class:`Motion` with exact 3D
keypoints, per-frame labels, repetition boundaries (with partial reps and injected form faults)
and fall onset/impact frames. Variation: tempo (and drift), depth/range of motion, asymmetry,
pauses, partial reps, sloppy form.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

from posekit.activity.labels import LABEL_ID
from posekit.keypoints import Keypoint as K

from .body import BodyShape, forward_kinematics, rx, ry, rz, standing_hip_height

Angles = dict[str, float]


@dataclasses.dataclass
class Rep:
    start: int
    bottom: int  # frame of the extreme position (joint-angle extremum)
    end: int
    partial: bool = False
    faults: tuple[str, ...] = ()


@dataclasses.dataclass
class Motion:
    name: str
    fps: float
    kps3d: np.ndarray            # (T, 33, 3) world metres, y up
    labels: np.ndarray           # (T,) int label ids (posekit.activity.labels)
    reps: list[Rep] = dataclasses.field(default_factory=list)
    fall_onset: int | None = None
    fall_impact: int | None = None
    faults: tuple[str, ...] = ()
    shape: BodyShape = dataclasses.field(default_factory=BodyShape)


def blend(a: Angles, b: Angles, w: float) -> Angles:
    keys = set(a) | set(b)
    return {k: (1 - w) * a.get(k, 0.0) + w * b.get(k, 0.0) for k in keys}


def smooth01(x: np.ndarray | float) -> np.ndarray | float:
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def rep_schedule(rng: np.random.Generator, n: int, fps: float, period: tuple[float, float],
                 partial_p: float = 0.08, pause_p: float = 0.15, lead_in: tuple[float, float] = (0.4, 1.5),
                 hold_bottom: tuple[float, float] = (0.0, 0.25)) -> tuple[np.ndarray, list[Rep]]:
    """Per-frame depth in [0, 1] and the rep list: tempo drift, pauses, partial reps."""
    depth = np.zeros(n)
    reps: list[Rep] = []
    t = int(rng.uniform(*lead_in) * fps)
    base = rng.uniform(*period)
    while True:
        p = base * rng.uniform(0.85, 1.15)
        base *= rng.uniform(0.97, 1.04)  # tempo drifts through the set
        down = int(p * rng.uniform(0.4, 0.6) * fps)
        hold = int(rng.uniform(*hold_bottom) * fps)
        up = int(p * fps) - down
        if t + down + hold + up >= n:
            break
        partial = rng.random() < partial_p
        amp = rng.uniform(0.2, 0.4) if partial else rng.uniform(0.85, 1.05)
        depth[t:t + down] = amp * smooth01(np.arange(down) / down)
        depth[t + down:t + down + hold] = amp
        depth[t + down + hold:t + down + hold + up] = amp * (1 - smooth01(np.arange(up) / up))
        reps.append(Rep(t, t + down + hold // 2, t + down + hold + up, partial=partial))
        t += down + hold + up
        if rng.random() < pause_p:
            t += int(rng.uniform(0.5, 2.0) * fps)
    return depth, reps


def place_on_floor(k: np.ndarray, contacts: list[int] | None = None, height: float = 0.0) -> np.ndarray:
    """Translate keypoints so the lowest contact point (default: any point) sits at ``height``."""
    pts = k[contacts] if contacts else k
    return k + np.array([0.0, height - pts[:, 1].min(), 0.0])


def _fk(shape: BodyShape, a: Angles, rot: np.ndarray = np.eye(3), pos: np.ndarray | None = None) -> np.ndarray:
    return forward_kinematics(shape, a, np.zeros(3) if pos is None else pos, rot)


#: Bumped whenever a generator's output changes, so that datasets cached from older motions are
#: not reused (``training.activity_data`` keys its caches with it). 2: falls from a seat and lying
#: down no longer jump between phases. 3: squats hold their arms in several ways.
VERSION = 3

FEET = [K.LEFT_HEEL, K.RIGHT_HEEL, K.LEFT_FOOT_INDEX, K.RIGHT_FOOT_INDEX]
HIPS = [K.LEFT_HIP, K.RIGHT_HIP]
#: Height of the hip joints above the floor in a body lying on it (m).
LYING_HIP = 0.12
TOES = [K.LEFT_FOOT_INDEX, K.RIGHT_FOOT_INDEX]
WRISTS = [K.LEFT_WRIST, K.RIGHT_WRIST]
ELBOWS = [K.LEFT_ELBOW, K.RIGHT_ELBOW]


def jitter_angles(rng: np.random.Generator, a: Angles, amount: float) -> Angles:
    return {k: v + rng.normal(0, amount) for k, v in a.items()}


def _sway(rng: np.random.Generator, n: int, fps: float, amp: float) -> np.ndarray:
    f = rng.uniform(0.1, 0.4)
    ph = rng.uniform(0, 2 * np.pi)
    return amp * np.sin(2 * np.pi * f * np.arange(n) / fps + ph)


def _exercise(name: str, rng, shape, fps, seconds, rest: Angles, bottom: Angles, period, frame_fn,
              faults: dict[str, tuple[float, Angles]] | None = None) -> Motion:
    """Shared rep loop: blend rest->bottom by depth, apply per-rep faults, place each frame."""
    n = int(seconds * fps)
    depth, reps = rep_schedule(rng, n, fps, period)
    asym = {k: rng.normal(0, 0.04) for k in bottom}
    bottom = {k: v + asym[k] for k, v in bottom.items()}
    rep_fault: list[tuple[str, ...]] = []
    for r in reps:
        chosen = tuple(f for f, (p, _) in (faults or {}).items() if rng.random() < p and not r.partial)
        r.faults = chosen
        rep_fault.append(chosen)
    kps = np.zeros((n, 33, 3))
    rep_of = np.full(n, -1)
    for i, r in enumerate(reps):
        rep_of[r.start:r.end] = i
    for t in range(n):
        b = dict(bottom)
        if rep_of[t] >= 0:
            for f in rep_fault[rep_of[t]]:
                for k, v in faults[f][1].items():
                    b[k] = b.get(k, 0.0) + v
        a = blend(rest, b, float(depth[t]))
        kps[t] = frame_fn(a, float(depth[t]), t)
    labels = np.full(n, LABEL_ID.get(name, LABEL_ID["other"]))  # an exercise with no class: other
    return Motion(name, fps, kps, labels, reps, faults=tuple(sorted({f for r in reps for f in r.faults})), shape=shape)


def _both(**angles: float) -> Angles:
    """The same arm angles on both sides: ``_both(sh_flex=1.4)`` -> l_sh_flex and r_sh_flex."""
    return {f"{s}_{k}": v for k, v in angles.items() for s in ("l", "r")}


def _arm_style(rng: np.random.Generator, styles: dict[str, float]) -> tuple[Angles, Angles]:
    """Arm angles at rest and at the bottom of a standing exercise, drawn from ``styles`` (name ->
    probability). People squat with their arms in many ways, and a classifier that saw one way
    reads the others as another exercise: reach (hanging, then forward for balance at the bottom),
    forward (held out all along), clasp (hanging, then hands together at the chest), chest (hands
    at the chest all along), hips (hands on the hips), head (hands behind the head)."""
    names = list(styles)
    style = names[int(rng.choice(len(names), p=np.array([styles[n] for n in names])))]
    hang = _both(sh_flex=0.1)
    forward = _both(sh_flex=rng.uniform(1.2, 1.6))
    chest = _both(sh_flex=rng.uniform(0.5, 0.9), elbow=rng.uniform(1.9, 2.4), sh_abd=rng.uniform(0.0, 0.3))
    hips = _both(sh_flex=-0.2, sh_abd=rng.uniform(0.4, 0.7), elbow=rng.uniform(1.5, 1.9))
    head = _both(sh_flex=2.7, elbow=2.3, sh_abd=rng.uniform(0.4, 0.7))
    return {"reach": (hang, forward), "forward": (forward, forward), "clasp": (hang, chest), "chest": (chest, chest),
            "hips": (hips, hips), "head": (head, head)}[style]


def squat(rng, shape, fps, seconds) -> Motion:
    rest, arms = _arm_style(rng, {"reach": 0.3, "forward": 0.2, "clasp": 0.15, "chest": 0.1, "hips": 0.1, "head": 0.15})
    bottom = {"l_hip_flex": 1.8, "r_hip_flex": 1.8, "l_knee": 2.0, "r_knee": 2.0, "torso_flex": 0.6,
              "l_hip_abd": 0.15, "r_hip_abd": 0.15, "neck_flex": -0.3, **arms}
    faults = {"shallow": (0.15, {"l_hip_flex": -0.8, "r_hip_flex": -0.8, "l_knee": -0.9, "r_knee": -0.9, "torso_flex": -0.2}),
              "knees_cave": (0.12, {"l_hip_abd": -0.45, "r_hip_abd": -0.45}),
              "torso_lean": (0.1, {"torso_flex": 0.55})}
    return _exercise("squat", rng, shape, fps, seconds, rest, bottom, (1.8, 3.2),
                     lambda a, d, t: place_on_floor(_fk(shape, a), FEET, 0.0), faults)


def _prone_on(shape: BodyShape, a: Angles, hands: list[int], feet: list[int]) -> np.ndarray:
    """Prone body resting on ``hands`` and ``feet``: pitch so both touch the floor."""
    k = _fk(shape, a, rx(np.pi / 2))
    v = k[hands].mean(0) - k[feet].mean(0)
    delta = math.atan2(v[1], v[2])
    k = _fk(shape, a, rx(delta) @ rx(np.pi / 2))
    return place_on_floor(k, hands + feet, 0.02)


def push_up(rng, shape, fps, seconds) -> Motion:
    rest = {"l_sh_flex": 1.5, "r_sh_flex": 1.5, "l_sh_abd": 0.15, "r_sh_abd": 0.15, "neck_flex": -0.4}
    bottom = {"l_sh_flex": -0.15, "r_sh_flex": -0.15, "l_elbow": 1.8, "r_elbow": 1.8, "l_sh_abd": 0.5, "r_sh_abd": 0.5,
              "neck_flex": -0.4}
    faults = {"hips_sag": (0.15, {"l_hip_flex": -0.35, "r_hip_flex": -0.35, "torso_flex": -0.1}),
              "shallow": (0.12, {"l_sh_flex": 0.6, "r_sh_flex": 0.6, "l_elbow": -0.8, "r_elbow": -0.8}),
              "hips_pike": (0.08, {"l_hip_flex": 0.45, "r_hip_flex": 0.45})}
    knees = rng.random() < 0.15  # knee push-ups
    def frame(a, d, t):
        if knees:
            a = dict(a, l_knee=1.4, r_knee=1.4)
        return _prone_on(shape, a, WRISTS, [K.LEFT_KNEE, K.RIGHT_KNEE] if knees else TOES)
    return _exercise("push_up", rng, shape, fps, seconds, rest, bottom, (1.4, 2.6), frame, faults)


def plank(rng, shape, fps, seconds) -> Motion:
    n = int(seconds * fps)
    a0 = {"l_sh_flex": 1.45, "r_sh_flex": 1.45, "l_elbow": 1.55, "r_elbow": 1.55, "neck_flex": -0.3}
    fault = None
    r = rng.random()
    if r < 0.2:
        fault, extra = "hips_sag", {"l_hip_flex": -0.35, "r_hip_flex": -0.35}
    elif r < 0.35:
        fault, extra = "hips_pike", {"l_hip_flex": 0.5, "r_hip_flex": 0.5}
    else:
        extra = {}
    sway = _sway(rng, n, fps, 0.04)
    kps = np.zeros((n, 33, 3))
    for t in range(n):
        a = {k: a0.get(k, 0.0) + extra.get(k, 0.0) for k in set(a0) | set(extra)}
        a["l_hip_flex"] = a.get("l_hip_flex", 0.0) + sway[t]
        a["r_hip_flex"] = a.get("r_hip_flex", 0.0) + sway[t]
        kps[t] = _prone_on(shape, a, ELBOWS, TOES)
    return Motion("plank", fps, kps, np.full(n, LABEL_ID["plank"]), [], faults=(fault,) if fault else (), shape=shape)


def lunge(rng, shape, fps, seconds) -> Motion:
    # Arms hang. Given the squats' arm styles too, the classifier called frontal squats lunges
    # (tried: docs/evidence); Penn Action has no lunges to anchor the class.
    rest = _both(sh_flex=0.05)
    def frame(a, d, t):
        return place_on_floor(_fk(shape, a), FEET, 0.0)
    n = int(seconds * fps)
    depth, reps = rep_schedule(rng, n, fps, (2.0, 3.2))
    kps = np.zeros((n, 33, 3))
    rep_of = np.full(n, -1)
    for i, r in enumerate(reps):
        rep_of[r.start:r.end] = i
        if rng.random() < 0.12 and not r.partial:
            r.faults = ("torso_lean",)
        elif rng.random() < 0.12 and not r.partial:
            r.faults = ("front_knee_shallow",)
    for t in range(n):
        i = rep_of[t]
        f, b = ("l", "r") if (i % 2 == 0) else ("r", "l")
        bot = {f"{f}_hip_flex": 1.45, f"{f}_knee": 1.6, f"{b}_hip_flex": -0.45, f"{b}_knee": 1.65, "torso_flex": 0.05}
        if i >= 0 and "torso_lean" in reps[i].faults:
            bot["torso_flex"] = 0.75
        if i >= 0 and "front_knee_shallow" in reps[i].faults:
            bot[f"{f}_hip_flex"], bot[f"{f}_knee"], bot[f"{b}_knee"] = 0.8, 0.7, 0.8
        kps[t] = frame(blend(rest, bot, float(depth[t])), depth[t], t)
    return Motion("lunge", fps, kps, np.full(n, LABEL_ID["lunge"]), reps,
                  faults=tuple(sorted({f for r in reps for f in r.faults})), shape=shape)


def sit_up(rng, shape, fps, seconds) -> Motion:
    hands_head = rng.random() < 0.6
    arms = {"l_sh_flex": 2.7, "r_sh_flex": 2.7, "l_elbow": 2.3, "r_elbow": 2.3, "l_sh_abd": 0.5, "r_sh_abd": 0.5} if hands_head \
        else {"l_sh_flex": 0.4, "r_sh_flex": 0.4}
    rest = {"l_hip_flex": 0.8, "r_hip_flex": 0.8, "l_knee": 1.7, "r_knee": 1.7, **arms}
    bottom = {**rest, "torso_flex": 1.25, "neck_flex": 0.3}
    def frame(a, d, t):
        return place_on_floor(_fk(shape, a, rx(-np.pi / 2)), None, 0.02)
    return _exercise("sit_up", rng, shape, fps, seconds, rest, bottom, (1.6, 3.0), frame)


def jumping_jack(rng, shape, fps, seconds) -> Motion:
    rest = {}
    bottom = {"l_sh_abd": 2.8, "r_sh_abd": 2.8, "l_hip_abd": 0.3, "r_hip_abd": 0.3, "l_elbow": 0.2, "r_elbow": 0.2}
    hop = rng.uniform(0.03, 0.1)
    def frame(a, d, t):
        k = place_on_floor(_fk(shape, a), FEET, 0.0)
        return k + np.array([0.0, hop * math.sin(math.pi * d), 0.0])
    return _exercise("jumping_jack", rng, shape, fps, seconds, rest, bottom, (0.8, 1.4), frame)


def bicep_curl(rng, shape, fps, seconds) -> Motion:
    """Standing curls: an exercise none of posekit's models has a class for (its counter must count
    it all the same)."""
    rest = _both(sh_flex=0.05, elbow=0.15)
    bottom = _both(sh_flex=0.25, elbow=2.3)
    return _exercise("bicep_curl", rng, shape, fps, seconds, rest, bottom, (1.6, 2.8),
                     lambda a, d, t: place_on_floor(_fk(shape, a), FEET, 0.0))


def lateral_raise(rng, shape, fps, seconds) -> Motion:
    """Standing lateral raises (arms out to the sides): no class of posekit's either."""
    rest = _both(sh_abd=0.1, elbow=0.2)
    bottom = _both(sh_abd=1.5, elbow=0.3)
    return _exercise("lateral_raise", rng, shape, fps, seconds, rest, bottom, (1.8, 3.0),
                     lambda a, d, t: place_on_floor(_fk(shape, a), FEET, 0.0))


def pull_up(rng, shape, fps, seconds) -> Motion:
    rest = {"l_sh_flex": 2.95, "r_sh_flex": 2.95, "l_sh_abd": 0.25, "r_sh_abd": 0.25, "l_knee": 0.3, "r_knee": 0.3,
            "l_hip_flex": 0.15, "r_hip_flex": 0.15}
    bottom = {**rest, "l_sh_flex": 1.3, "r_sh_flex": 1.3, "l_elbow": 2.3, "r_elbow": 2.3, "neck_flex": -0.2}
    bar = standing_hip_height(shape) + shape.torso + shape.upper_arm + shape.forearm + 0.35
    def frame(a, d, t):
        k = _fk(shape, a)
        return k + np.array([0.0, bar - k[WRISTS, 1].mean(), 0.0])
    return _exercise("pull_up", rng, shape, fps, seconds, rest, bottom, (2.0, 3.5), frame,
                     {"shallow": (0.12, {"l_elbow": -1.0, "r_elbow": -1.0, "l_sh_flex": 0.8, "r_sh_flex": 0.8})})


def bench_press(rng, shape, fps, seconds) -> Motion:
    legs = {"l_hip_flex": 0.25, "r_hip_flex": 0.25, "l_knee": 1.55, "r_knee": 1.55, "l_hip_abd": 0.3, "r_hip_abd": 0.3}
    rest = {**legs, "l_sh_flex": 1.55, "r_sh_flex": 1.55}
    bottom = {**legs, "l_sh_flex": 0.5, "r_sh_flex": 0.5, "l_elbow": 1.2, "r_elbow": 1.2, "l_sh_abd": 0.6, "r_sh_abd": 0.6}
    def frame(a, d, t):
        return _fk(shape, a, rx(-np.pi / 2), np.array([0.0, 0.55, 0.0]))
    return _exercise("bench_press", rng, shape, fps, seconds, rest, bottom, (1.8, 3.0), frame)


def standing(rng, shape, fps, seconds) -> Motion:
    n = int(seconds * fps)
    base = jitter_angles(rng, {"l_sh_flex": 0.1, "r_sh_flex": 0.1, "l_elbow": 0.2, "r_elbow": 0.2}, 0.15)
    if rng.random() < 0.3:  # arms crossed / hands on hips
        base.update({"l_elbow": 1.8, "r_elbow": 1.8, "l_sh_flex": 0.3, "r_sh_flex": 0.3})
    s1, s2, s3 = _sway(rng, n, fps, 0.03), _sway(rng, n, fps, 0.05), _sway(rng, n, fps, 0.15)
    kps = np.array([place_on_floor(_fk(shape, dict(base, torso_side=s1[t], torso_twist=s3[t],
                                                    l_hip_abd=0.05 + s1[t], r_hip_abd=0.05 - s1[t],
                                                    neck_flex=s2[t]), ry(s3[t] * 0.3)), FEET, 0.0)
                    for t in range(n)])
    return Motion("standing", fps, kps, np.full(n, LABEL_ID["standing"]), shape=shape)


def _gait(rng, shape, fps, seconds, run: bool) -> Motion:
    n = int(seconds * fps)
    f = rng.uniform(1.3, 1.6) if run else rng.uniform(0.8, 1.0)  # strides per second
    amp = rng.uniform(0.55, 0.8) if run else rng.uniform(0.3, 0.45)
    knee_amp = rng.uniform(1.3, 1.9) if run else rng.uniform(0.7, 1.0)
    speed = (2.5 if run else 1.1) * rng.uniform(0.85, 1.15)
    in_place = rng.random() < 0.5
    heading = rng.uniform(-np.pi, np.pi)
    pos = np.zeros(3)
    kps = np.zeros((n, 33, 3))
    for t in range(n):
        ph = 2 * np.pi * f * t / fps
        a = {"l_hip_flex": amp * math.sin(ph), "r_hip_flex": -amp * math.sin(ph),
             "l_knee": knee_amp * max(0.0, math.sin(ph - 1.2)) + 0.1, "r_knee": knee_amp * max(0.0, -math.sin(ph - 1.2)) + 0.1,
             "l_sh_flex": -0.8 * amp * math.sin(ph), "r_sh_flex": 0.8 * amp * math.sin(ph),
             "l_elbow": 1.5 if run else 0.3, "r_elbow": 1.5 if run else 0.3, "torso_flex": 0.2 if run else 0.03}
        k = place_on_floor(_fk(shape, a, ry(heading)), FEET, 0.0)
        if run:
            k[:, 1] += 0.06 * abs(math.sin(2 * ph))
        if not in_place:
            pos += speed / fps * np.array([math.sin(heading), 0.0, math.cos(heading)])
            if np.linalg.norm(pos) > 2.0 and np.dot(pos, [math.sin(heading), 0, math.cos(heading)]) > 0:
                heading += np.pi  # turn around at 2 m
        kps[t] = k + pos
    name = "running" if run else "walking"
    return Motion(name, fps, kps, np.full(n, LABEL_ID[name]), shape=shape)


def walking(rng, shape, fps, seconds) -> Motion:
    return _gait(rng, shape, fps, seconds, run=False)


def running(rng, shape, fps, seconds) -> Motion:
    return _gait(rng, shape, fps, seconds, run=True)


def _seated(shape: BodyShape, w: float, chair: float) -> np.ndarray:
    """Standing (w=0) -> seated on a chair of height ``chair`` (w=1); lean forward mid-way."""
    lean = 0.6 * math.sin(math.pi * w)
    a = {"l_hip_flex": 1.55 * w, "r_hip_flex": 1.55 * w, "l_knee": 1.55 * w, "r_knee": 1.55 * w,
         "torso_flex": lean + 0.1 * w, "l_sh_flex": 0.3 * w, "r_sh_flex": 0.3 * w, "l_elbow": 0.8 * w, "r_elbow": 0.8 * w}
    k = place_on_floor(_fk(shape, a), FEET, 0.0)
    return k


def sitting_down(rng, shape, fps, seconds) -> Motion:
    """Stand, sit down on a chair (sometimes hard), stay seated, maybe stand up again."""
    n = int(seconds * fps)
    t0 = int(rng.uniform(0.5, 2.0) * fps)
    dur = int(rng.uniform(0.6, 1.8) * fps)  # < 0.8 s: sitting down hard
    up_at = int(rng.uniform(0.7, 0.9) * n) if rng.random() < 0.4 else n
    kps = np.zeros((n, 33, 3))
    labels = np.full(n, LABEL_ID["standing"])
    sway = _sway(rng, n, fps, 0.03)
    for t in range(n):
        if t < t0:
            w = 0.0
        elif t < t0 + dur:
            w = float(smooth01((t - t0) / dur))
        elif t < up_at:
            w = 1.0
        else:
            w = float(1 - smooth01((t - up_at) / dur))
        k = _seated(shape, w, 0.45)
        k[:, 0] += sway[t] * 0.2
        kps[t] = k
        if w > 0.5:
            labels[t] = LABEL_ID["sitting_lying"]
    return Motion("sitting_down", fps, kps, labels, shape=shape)


def _lying(shape: BodyShape, rng: np.random.Generator, kind: str) -> tuple[Angles, np.ndarray]:
    """Final lying pose after a fall or a deliberate lie-down: angles and root rotation."""
    # Arms out along the floor, legs nearly straight: flexing toward the floor would lift the body.
    # On the side the floor plane is the body's x-z plane (flexion), face up/down it is x-y (abduction).
    arms = {"l_sh_flex": 0.9, "r_sh_flex": 0.6} if kind in ("left", "right") else {"l_sh_abd": 1.0, "r_sh_abd": 0.6}
    a = jitter_angles(rng, {"l_knee": 0.15, "r_knee": 0.25, **arms}, 0.1)
    rot = {"forward": rx(np.pi / 2), "backward": rx(-np.pi / 2),
           "left": rz(np.pi / 2), "right": rz(-np.pi / 2)}[kind]
    return a, rot


def lying_down(rng, shape, fps, seconds) -> Motion:
    """Deliberately lie down: kneel/sit on the floor, then lie back slowly (must not alarm)."""
    n = int(seconds * fps)
    t0 = int(rng.uniform(0.5, 1.5) * fps)
    # Deliberate: getting down to the floor and lying back each take 1.5-3 s.
    d1, d2 = int(rng.uniform(1.5, 3.0) * fps), int(rng.uniform(1.5, 3.0) * fps)
    kps = np.zeros((n, 33, 3))
    labels = np.full(n, LABEL_ID["standing"])
    for t in range(n):
        if t < t0 + d1:
            w = float(smooth01((t - t0) / d1)) if t >= t0 else 0.0
            # Down through a crouch to sitting with the legs forward: the pose where lying back starts,
            # so the body never jumps between the two phases.
            knee = 2.3 * w * (1 - w) + 0.7 * w
            a = {"l_hip_flex": 1.7 * w, "r_hip_flex": 1.7 * w, "l_knee": knee, "r_knee": knee,
                 "torso_flex": 0.5 * math.sin(math.pi * w)}
            k = place_on_floor(_fk(shape, a), None, 0.02 * w)
        else:
            w = float(smooth01((t - t0 - d1) / d2))
            a = {"l_hip_flex": 1.6 * (1 - w) + 0.1, "r_hip_flex": 1.6 * (1 - w) + 0.1, "l_knee": 0.5 * (1 - w) + 0.2,
                 "r_knee": 0.5 * (1 - w) + 0.2}
            k = place_on_floor(_fk(shape, a, rx(-np.pi / 2 * w)), None, 0.02)
        kps[t] = k
        if t >= t0 + d1 // 2:
            labels[t] = LABEL_ID["sitting_lying"]
    return Motion("lying_down", fps, kps, labels, shape=shape)


def picking_up(rng, shape, fps, seconds) -> Motion:
    """Bend to pick something up and stand again, a few times (must not alarm)."""
    rest = {}
    bottom = {"torso_flex": rng.uniform(1.1, 1.5), "l_knee": 0.6, "r_knee": 0.6, "l_hip_flex": 0.5, "r_hip_flex": 0.5,
              "l_sh_flex": 1.3, "r_sh_flex": 0.9, "neck_flex": 0.2}
    m = _exercise("squat", rng, shape, fps, seconds, rest, bottom, (2.5, 4.0),
                  lambda a, d, t: place_on_floor(_fk(shape, a), FEET, 0.0))
    m.name, m.labels[:] = "picking_up", LABEL_ID["other"]
    m.reps = []
    return m


def other(rng, shape, fps, seconds) -> Motion:
    """Unstructured movement: stretching, waving, twisting, shifting weight (class 'other')."""
    n = int(seconds * fps)
    keys = ["l_sh_flex", "r_sh_flex", "l_sh_abd", "r_sh_abd", "l_elbow", "r_elbow", "torso_twist", "torso_side",
            "torso_flex", "l_hip_flex", "l_knee"]
    lo = {"l_sh_flex": -0.5, "r_sh_flex": -0.5, "l_sh_abd": 0, "r_sh_abd": 0, "l_elbow": 0, "r_elbow": 0,
          "torso_twist": -0.6, "torso_side": -0.3, "torso_flex": -0.1, "l_hip_flex": 0, "l_knee": 0}
    hi = {"l_sh_flex": 3.0, "r_sh_flex": 3.0, "l_sh_abd": 2.8, "r_sh_abd": 2.8, "l_elbow": 2.3, "r_elbow": 2.3,
          "torso_twist": 0.6, "torso_side": 0.3, "torso_flex": 0.6, "l_hip_flex": 0.9, "l_knee": 1.2}
    n_key = max(2, int(seconds * rng.uniform(0.4, 1.2)))
    times = np.linspace(0, n - 1, n_key)
    vals = {k: rng.uniform(lo[k], hi[k], n_key) * (rng.random() < 0.6) for k in keys}
    kps = np.zeros((n, 33, 3))
    for t in range(n):
        a = {k: float(np.interp(t, times, v)) for k, v in vals.items()}
        kps[t] = place_on_floor(_fk(shape, a), FEET, 0.0)
    return Motion("other", fps, kps, np.full(n, LABEL_ID["other"]), shape=shape)


def fall(rng, shape, fps, seconds, direction: str | None = None, from_sitting: bool | None = None) -> Motion:
    """Fall forward/backward/sideways from standing or sitting, then lie on the floor.

    The body tips like an inverted pendulum about its support (theta'' = g / L sin theta), knees
    buckle, arms reach out; impact when the body is horizontal. Labels: 'fall' from onset to 1 s
    after impact, 'sitting_lying' after.
    """
    n = int(seconds * fps)
    direction = direction or str(rng.choice(["forward", "backward", "left", "right"]))
    from_sitting = bool(rng.random() < 0.3) if from_sitting is None else from_sitting
    onset = int(rng.uniform(0.25, 0.45) * n)
    L = 1.0 if not from_sitting else 0.6
    theta, omega, dt = rng.uniform(0.03, 0.1), rng.uniform(0.3, 1.2), 1.0 / fps
    traj = []
    while theta < np.pi / 2:
        omega += 9.81 / L * math.sin(theta) * dt
        theta += omega * dt
        traj.append(min(theta, np.pi / 2))
    impact = min(onset + len(traj), n - 1)
    axis = {"forward": lambda a: rx(a), "backward": lambda a: rx(-a), "left": lambda a: rz(a), "right": lambda a: rz(-a)}[direction]
    lie_a, _ = _lying(shape, rng, direction)
    pre = _seated_angles(1.0) if from_sitting else {"l_sh_flex": 0.1, "r_sh_flex": 0.1}
    reach = {"l_sh_flex": 1.6, "r_sh_flex": 1.4, "l_knee": 0.8, "r_knee": 0.6} if direction == "forward" else \
        {"l_sh_abd": 1.2, "r_sh_abd": 1.0, "l_knee": 0.7, "r_knee": 0.8, "neck_flex": 0.4}
    if from_sitting:  # tipping off a seat in the seated posture: straight legs would stand the body
        reach = dict(pre)  # up, and an arm reaching out would prop it up as it lands
    kps = np.zeros((n, 33, 3))
    labels = np.full(n, LABEL_ID["sitting_lying" if from_sitting else "standing"])
    settle = _sway(rng, n, fps, 0.05)
    for t in range(n):
        if t < onset:
            w, th = 0.0, 0.0
            a = pre
        elif t < impact:
            w = (t - onset) / max(impact - onset, 1)
            th = traj[t - onset]
            a = blend(pre, reach, float(smooth01(w * 1.5)))
        else:
            w, th = 1.0, np.pi / 2
            a = blend(reach, lie_a, float(smooth01((t - impact) / (0.6 * fps))))
            a = dict(a, l_knee=a.get("l_knee", 0.0) + settle[t])
        # The lowest point stays on the floor: the feet while seated or standing, then whatever the
        # body tips onto. Falling from a seat, the seat holds the hips at its height while the body
        # tips and the legs straighten, and they sink to the floor by the impact. (Lifting the seated
        # body by a chair's height at the onset made the hips jump 0.45 m in one frame; standing the
        # straightening legs on the floor lifted them 0.4 m during the fall.)
        k = place_on_floor(_fk(shape, a, axis(th)), None, 0.0)
        if from_sitting and t < onset:
            seat_hip = k[HIPS, 1].mean()
        elif from_sitting:  # the hips slide off the seat to lying height, unless that sinks a limb
            target = seat_hip + (LYING_HIP - seat_hip) * float(smooth01(w))
            k = k + np.array([0.0, max(0.0, target - k[HIPS, 1].mean()), 0.0])
        kps[t] = k
        if onset <= t <= impact + int(fps):
            labels[t] = LABEL_ID["fall"]
        elif t > impact + int(fps):
            labels[t] = LABEL_ID["sitting_lying"]
    return Motion(f"fall_{direction}{'_from_sitting' if from_sitting else ''}", fps, kps, labels,
                  fall_onset=onset, fall_impact=impact, shape=shape)


def _seated_angles(w: float) -> Angles:
    return {"l_hip_flex": 1.55 * w, "r_hip_flex": 1.55 * w, "l_knee": 1.55 * w, "r_knee": 1.55 * w,
            "torso_flex": 0.1 * w, "l_sh_flex": 0.3 * w, "r_sh_flex": 0.3 * w, "l_elbow": 0.8 * w, "r_elbow": 0.8 * w}


GENERATORS: dict[str, Callable[..., Motion]] = {
    "squat": squat, "push_up": push_up, "lunge": lunge, "sit_up": sit_up, "jumping_jack": jumping_jack,
    "pull_up": pull_up, "bench_press": bench_press, "plank": plank, "standing": standing, "walking": walking,
    "running": running, "sitting_down": sitting_down, "lying_down": lying_down, "picking_up": picking_up,
    "other": other, "fall": fall, "bicep_curl": bicep_curl, "lateral_raise": lateral_raise,
}


def generate(kind: str, rng: np.random.Generator, fps: float = 30.0, seconds: float = 10.0,
             shape: BodyShape | None = None) -> Motion:
    if kind not in GENERATORS:
        raise ValueError(f"motion kind must be one of {sorted(GENERATORS)}, got {kind!r}")
    return GENERATORS[kind](rng, shape or BodyShape.sample(rng), fps, seconds)
