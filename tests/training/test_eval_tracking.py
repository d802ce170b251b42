"""training.eval_tracking's scoring: the edits made from a clip, and found / PCK / ghost / back-in
read against a reference, on arrays whose answers are known."""

import numpy as np

from posekit.keypoints import Keypoint
from training.eval_tracking import edits, lying, score


def person(n, dx=0.0):
    """n frames of an upright stick person, 100 px torso, shifted by dx pixels."""
    xy = np.zeros((n, 33, 2), np.float32)
    xy[:, :, 0] = 200 + dx
    xy[:, :, 1] = np.linspace(100, 400, 33)
    for k, (x, y) in {Keypoint.LEFT_SHOULDER: (220, 200), Keypoint.RIGHT_SHOULDER: (180, 200),
                      Keypoint.LEFT_HIP: (215, 300), Keypoint.RIGHT_HIP: (185, 300)}.items():
        xy[:, k] = (x + dx, y)
    return xy


def test_edits_show_the_empty_room_at_the_start_and_in_the_middle():
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (8, 8, 3), dtype=np.uint8) for _ in range(150)]
    out = edits(frames, fps=30.0)
    assert set(out) == {"as filmed", "enters late", "leaves, comes back"}
    late, mask = out["enters late"]
    assert mask[:45].all() and not mask[45:].any() and late[10] is late[20]  # the same median picture
    away, mask = out["leaves, comes back"]
    assert mask.sum() == 45 and not mask[0] and not mask[-1]
    assert set(edits(frames[:100], 30.0)) == {"as filmed"}  # too short to edit
    # A median picture that still shows the person (who stayed in place) is no empty room.
    seen = []
    assert set(edits(frames, 30.0, is_empty=lambda pic: seen.append(pic) or False)) == {"as filmed"}
    assert len(seen) == 1 and np.array_equal(seen[0], late[0])


def test_score_counts_found_agreement_ghosts_and_the_return():
    n = 120
    ref = person(n)
    ref_found = np.ones(n, bool)
    empty = np.zeros(n, bool)
    empty[30:60] = True
    ref_found[empty] = False
    xy = person(n, dx=5.0)  # within 0.2 torso everywhere it agrees
    xy[60:70] = person(10, dx=300.0)  # off on furniture for 10 frames after the return
    found = np.ones(n, bool)  # and "found" in the empty room (ghosts)
    s = score(xy, found, ref, ref_found, empty)
    assert s["found"] == 1.0 and s["ghost"] == 30 and s["back_in"] == 10
    assert abs(s["pck"] - 80 / 90) < 1e-6 and s["lying_frames"] == 0
    turned = ref[..., ::-1].copy()  # x and y swapped: the torso lies along x
    assert lying(turned).all() and not lying(ref).any()
