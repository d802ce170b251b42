"""The 33 BlazePose keypoints, skeleton edges, flip pairs and mappings to other layouts.

This module is the only place in posekit that knows keypoint indices; everything else uses
:class:`Keypoint` or the index arrays defined here.
"""

from __future__ import annotations

import enum

import numpy as np


class Keypoint(enum.IntEnum):
    """BlazePose GHUM 33-keypoint topology (same order and names as MediaPipe's PoseLandmark)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


K = Keypoint
NUM_KEYPOINTS = len(Keypoint)

#: Skeleton edges (pairs of keypoints) as drawn by MediaPipe's POSE_CONNECTIONS.
EDGES: tuple[tuple[Keypoint, Keypoint], ...] = (
    (K.NOSE, K.LEFT_EYE_INNER), (K.LEFT_EYE_INNER, K.LEFT_EYE), (K.LEFT_EYE, K.LEFT_EYE_OUTER),
    (K.LEFT_EYE_OUTER, K.LEFT_EAR), (K.NOSE, K.RIGHT_EYE_INNER), (K.RIGHT_EYE_INNER, K.RIGHT_EYE),
    (K.RIGHT_EYE, K.RIGHT_EYE_OUTER), (K.RIGHT_EYE_OUTER, K.RIGHT_EAR), (K.MOUTH_LEFT, K.MOUTH_RIGHT),
    (K.LEFT_SHOULDER, K.RIGHT_SHOULDER), (K.LEFT_SHOULDER, K.LEFT_ELBOW), (K.LEFT_ELBOW, K.LEFT_WRIST),
    (K.LEFT_WRIST, K.LEFT_PINKY), (K.LEFT_WRIST, K.LEFT_INDEX), (K.LEFT_WRIST, K.LEFT_THUMB),
    (K.LEFT_PINKY, K.LEFT_INDEX), (K.RIGHT_SHOULDER, K.RIGHT_ELBOW), (K.RIGHT_ELBOW, K.RIGHT_WRIST),
    (K.RIGHT_WRIST, K.RIGHT_PINKY), (K.RIGHT_WRIST, K.RIGHT_INDEX), (K.RIGHT_WRIST, K.RIGHT_THUMB),
    (K.RIGHT_PINKY, K.RIGHT_INDEX), (K.LEFT_SHOULDER, K.LEFT_HIP), (K.RIGHT_SHOULDER, K.RIGHT_HIP),
    (K.LEFT_HIP, K.RIGHT_HIP), (K.LEFT_HIP, K.LEFT_KNEE), (K.RIGHT_HIP, K.RIGHT_KNEE),
    (K.LEFT_KNEE, K.LEFT_ANKLE), (K.RIGHT_KNEE, K.RIGHT_ANKLE), (K.LEFT_ANKLE, K.LEFT_HEEL),
    (K.RIGHT_ANKLE, K.RIGHT_HEEL), (K.LEFT_HEEL, K.LEFT_FOOT_INDEX),
    (K.RIGHT_HEEL, K.RIGHT_FOOT_INDEX), (K.LEFT_ANKLE, K.LEFT_FOOT_INDEX),
    (K.RIGHT_ANKLE, K.RIGHT_FOOT_INDEX),
)


def _flip_permutation() -> np.ndarray:
    perm = np.arange(NUM_KEYPOINTS)
    for kp in Keypoint:
        name = kp.name
        if name.startswith("LEFT_"):
            other = Keypoint[name.replace("LEFT_", "RIGHT_", 1)]
        elif name.startswith("RIGHT_"):
            other = Keypoint[name.replace("RIGHT_", "LEFT_", 1)]
        elif name == "MOUTH_LEFT":
            other = Keypoint.MOUTH_RIGHT
        elif name == "MOUTH_RIGHT":
            other = Keypoint.MOUTH_LEFT
        else:
            continue
        perm[kp] = other
    return perm


#: ``FLIP_PERM[i]`` is the keypoint that ``i`` becomes under a horizontal flip.
FLIP_PERM: np.ndarray = _flip_permutation()
#: Left/right pairs (each pair once).
FLIP_PAIRS: tuple[tuple[Keypoint, Keypoint], ...] = tuple(
    (Keypoint(i), Keypoint(int(j))) for i, j in enumerate(FLIP_PERM) if i < j
)

#: COCO-17 order expressed as BlazePose indices (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles).
COCO17: tuple[Keypoint, ...] = (
    K.NOSE, K.LEFT_EYE, K.RIGHT_EYE, K.LEFT_EAR, K.RIGHT_EAR, K.LEFT_SHOULDER, K.RIGHT_SHOULDER,
    K.LEFT_ELBOW, K.RIGHT_ELBOW, K.LEFT_WRIST, K.RIGHT_WRIST, K.LEFT_HIP, K.RIGHT_HIP,
    K.LEFT_KNEE, K.RIGHT_KNEE, K.LEFT_ANKLE, K.RIGHT_ANKLE,
)

#: The body subset activity models read: the joints every common source labels
#: (head, shoulders, elbows, wrists, hips, knees, ankles). Order matches Penn Action's 13 joints.
BODY13: tuple[Keypoint, ...] = (
    K.NOSE, K.LEFT_SHOULDER, K.RIGHT_SHOULDER, K.LEFT_ELBOW, K.RIGHT_ELBOW, K.LEFT_WRIST,
    K.RIGHT_WRIST, K.LEFT_HIP, K.RIGHT_HIP, K.LEFT_KNEE, K.RIGHT_KNEE, K.LEFT_ANKLE, K.RIGHT_ANKLE,
)

#: The 12 limb joints used for PCK (shoulders, elbows, wrists, hips, knees, ankles).
LIMBS12: tuple[Keypoint, ...] = BODY13[1:]

#: Torso keypoints; their presence defines "a person is in the crop".
TORSO: tuple[Keypoint, ...] = (K.LEFT_SHOULDER, K.RIGHT_SHOULDER, K.LEFT_HIP, K.RIGHT_HIP)

#: LSP/LSPET 14-joint order mapped to BlazePose (None: no BlazePose equivalent, e.g. neck, head top).
LSP14: tuple[Keypoint | None, ...] = (
    K.RIGHT_ANKLE, K.RIGHT_KNEE, K.RIGHT_HIP, K.LEFT_HIP, K.LEFT_KNEE, K.LEFT_ANKLE,
    K.RIGHT_WRIST, K.RIGHT_ELBOW, K.RIGHT_SHOULDER, K.LEFT_SHOULDER, K.LEFT_ELBOW, K.LEFT_WRIST,
    None, None,
)

#: Penn Action 13-joint order (head, L/R shoulder, L/R elbow, L/R wrist, L/R hip, L/R knee, L/R ankle).
PENN13: tuple[Keypoint, ...] = BODY13

#: OpenPose BODY_25 order (its default model): nose, neck, right arm, left arm, mid-hip, right leg,
#: left leg, eyes, ears, then the feet (big toe, small toe, heel; left first). Neck, mid-hip and
#: toes have no BlazePose equivalent.
BODY25: tuple[Keypoint | None, ...] = (
    K.NOSE, None, K.RIGHT_SHOULDER, K.RIGHT_ELBOW, K.RIGHT_WRIST, K.LEFT_SHOULDER, K.LEFT_ELBOW,
    K.LEFT_WRIST, None, K.RIGHT_HIP, K.RIGHT_KNEE, K.RIGHT_ANKLE, K.LEFT_HIP, K.LEFT_KNEE,
    K.LEFT_ANKLE, K.RIGHT_EYE, K.LEFT_EYE, K.RIGHT_EAR, K.LEFT_EAR, K.LEFT_FOOT_INDEX, None,
    K.LEFT_HEEL, K.RIGHT_FOOT_INDEX, None, K.RIGHT_HEEL,
)
#: OpenPose's 18-joint COCO order (older models, many exports): BODY_25 without mid-hip and feet.
OPENPOSE18: tuple[Keypoint | None, ...] = BODY25[:8] + BODY25[9:19]
#: Layout name -> BlazePose keypoint for each source joint (None: unmapped).
LAYOUTS: dict[str, tuple[Keypoint | None, ...]] = {
    "blazepose33": tuple(Keypoint),
    "coco17": COCO17,
    "penn13": PENN13,
    "body13": BODY13,
    "lsp14": LSP14,
    "body25": BODY25,
    "openpose18": OPENPOSE18,
}


def indices(points: tuple[Keypoint, ...]) -> np.ndarray:
    """Return ``points`` as an int array, for fancy indexing (N,)."""
    return np.asarray([int(p) for p in points], dtype=np.intp)
