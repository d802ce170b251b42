"""A kinematic body: joint angles + root transform -> 33 BlazePose keypoints in 3D (metres).

Body frame: x = the person's left, y = up, z = forward (where the chest faces). World frame:
y up, floor at y = 0. Angles are radians. Face points come from a head frame, hand points from
the forearm end, foot points from the shin end.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from posekit.keypoints import NUM_KEYPOINTS, Keypoint as K

#: Joint-angle names (all default to 0 = standing straight, arms hanging).
ANGLES = (
    "torso_flex",        # spine bends forward (+) / back (-)
    "torso_side",        # spine bends to the person's left (+)
    "torso_twist",
    "neck_flex",         # head nods forward (+)
    "l_hip_flex", "r_hip_flex",      # thigh forward/up (+)
    "l_hip_abd", "r_hip_abd",        # thigh outward (+)
    "l_knee", "r_knee",              # knee flexion (+, shin goes back)
    "l_sh_flex", "r_sh_flex",        # arm forward/up (+)
    "l_sh_abd", "r_sh_abd",          # arm sideways/up (+)
    "l_elbow", "r_elbow",            # elbow flexion (+)
)


@dataclasses.dataclass(frozen=True)
class BodyShape:
    """Segment lengths (metres) and girths; sampled per sequence."""

    height: float = 1.75
    hip_width: float = 0.26
    shoulder_width: float = 0.38
    torso: float = 0.50      # mid-hip to mid-shoulder
    neck: float = 0.12
    head: float = 0.12       # head radius
    thigh: float = 0.44
    shin: float = 0.43
    foot: float = 0.20
    upper_arm: float = 0.30
    forearm: float = 0.26
    hand: float = 0.09
    girth: float = 1.0       # scales capsule radii in the renderer

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "BodyShape":
        h = rng.uniform(1.5, 1.95)
        s = h / 1.75
        j = lambda: rng.uniform(0.93, 1.07)
        return cls(height=h, hip_width=0.26 * s * j(), shoulder_width=0.38 * s * j(), torso=0.50 * s * j(),
                   neck=0.12 * s, head=0.115 * s * j(), thigh=0.44 * s * j(), shin=0.43 * s * j(),
                   foot=0.20 * s, upper_arm=0.30 * s * j(), forearm=0.26 * s * j(), hand=0.09 * s,
                   girth=rng.uniform(0.8, 1.35))

    @property
    def leg(self) -> float:
        return self.thigh + self.shin


def rx(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def ry(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rz(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


DOWN = np.array([0.0, -1.0, 0.0])


def forward_kinematics(shape: BodyShape, a: dict[str, float], root_pos: np.ndarray,
                       root_rot: np.ndarray) -> np.ndarray:
    """(33, 3) world keypoints for joint angles ``a`` (missing = 0) and the pelvis pose.

    Args:
        root_pos: mid-hip position in the world.
        root_rot: (3, 3) body-to-world rotation of the pelvis.
    """
    g = lambda k: float(a.get(k, 0.0))
    out = np.zeros((NUM_KEYPOINTS, 3))
    R = root_rot
    P = np.asarray(root_pos, dtype=float)
    # Legs. Flexion about +x moves the thigh forward (toward +z): rotation by -angle about x.
    for side, sx in (("l", 1.0), ("r", -1.0)):
        hip = P + R @ np.array([sx * shape.hip_width / 2, 0.0, 0.0])
        r_thigh = R @ rx(-g(f"{side}_hip_flex")) @ rz(sx * g(f"{side}_hip_abd"))
        knee = hip + r_thigh @ (DOWN * shape.thigh)
        r_shin = r_thigh @ rx(g(f"{side}_knee"))
        ankle = knee + r_shin @ (DOWN * shape.shin)
        r_foot = r_shin @ rx(-g(f"{side}_knee") * 0.3)  # foot stays roughly flat
        heel = ankle + r_foot @ np.array([0.0, -0.05, -0.05])
        toe = ankle + r_foot @ np.array([0.0, -0.07, shape.foot * 0.8])
        names = ("HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX")
        pre = "LEFT_" if side == "l" else "RIGHT_"
        for n, p in zip(names, (hip, knee, ankle, heel, toe)):
            out[K[pre + n]] = p
    # Spine and head.
    r_torso = R @ rx(g("torso_flex")) @ rz(g("torso_side")) @ ry(g("torso_twist"))
    chest = P + r_torso @ np.array([0.0, shape.torso, 0.0])
    r_head = r_torso @ rx(g("neck_flex"))
    head_c = chest + r_torso @ np.array([0.0, shape.neck, 0.0]) + r_head @ np.array([0.0, shape.head, 0.02])
    hr = shape.head
    face = {
        K.NOSE: (0.0, -0.1, 1.0), K.LEFT_EYE_INNER: (0.15, 0.2, 0.9), K.LEFT_EYE: (0.3, 0.2, 0.85),
        K.LEFT_EYE_OUTER: (0.45, 0.2, 0.75), K.RIGHT_EYE_INNER: (-0.15, 0.2, 0.9), K.RIGHT_EYE: (-0.3, 0.2, 0.85),
        K.RIGHT_EYE_OUTER: (-0.45, 0.2, 0.75), K.LEFT_EAR: (0.85, 0.05, 0.0), K.RIGHT_EAR: (-0.85, 0.05, 0.0),
        K.MOUTH_LEFT: (0.2, -0.45, 0.85), K.MOUTH_RIGHT: (-0.2, -0.45, 0.85),
    }
    for kp, v in face.items():
        out[kp] = head_c + r_head @ (np.array(v) * hr)
    # Arms. Flexion raises the arm forward, abduction sideways; the elbow bends the forearm forward.
    for side, sx in (("l", 1.0), ("r", -1.0)):
        sh = chest + r_torso @ np.array([sx * shape.shoulder_width / 2, -0.02, 0.0])
        r_up = r_torso @ rz(sx * g(f"{side}_sh_abd")) @ rx(-g(f"{side}_sh_flex"))
        elbow = sh + r_up @ (DOWN * shape.upper_arm)
        r_fore = r_up @ rx(-g(f"{side}_elbow"))
        wrist = elbow + r_fore @ (DOWN * shape.forearm)
        pre = "LEFT_" if side == "l" else "RIGHT_"
        out[K[pre + "SHOULDER"]] = sh
        out[K[pre + "ELBOW"]] = elbow
        out[K[pre + "WRIST"]] = wrist
        out[K[pre + "PINKY"]] = wrist + r_fore @ np.array([sx * 0.03, -shape.hand, 0.0])
        out[K[pre + "INDEX"]] = wrist + r_fore @ np.array([-sx * 0.01, -shape.hand * 1.05, 0.02])
        out[K[pre + "THUMB"]] = wrist + r_fore @ np.array([-sx * 0.01, -shape.hand * 0.6, 0.04])
    return out


def standing_hip_height(shape: BodyShape) -> float:
    """Mid-hip height above the floor when standing straight (ankles 8 cm up)."""
    return shape.leg + 0.08


def head_centre(kps: np.ndarray) -> np.ndarray:
    return (kps[..., K.LEFT_EAR, :] + kps[..., K.RIGHT_EAR, :]) / 2
