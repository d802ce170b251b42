import numpy as np

from posekit.keypoints import BODY13, COCO17, EDGES, FLIP_PAIRS, FLIP_PERM, LAYOUTS, LSP14, NUM_KEYPOINTS, Keypoint


def test_enum_matches_mediapipe_order():
    assert NUM_KEYPOINTS == 33
    assert Keypoint.NOSE == 0 and Keypoint.LEFT_SHOULDER == 11 and Keypoint.RIGHT_FOOT_INDEX == 32


def test_flip_is_an_involution_that_swaps_sides():
    assert np.array_equal(FLIP_PERM[FLIP_PERM], np.arange(33))
    assert FLIP_PERM[Keypoint.LEFT_WRIST] == Keypoint.RIGHT_WRIST
    assert FLIP_PERM[Keypoint.NOSE] == Keypoint.NOSE
    assert FLIP_PERM[Keypoint.MOUTH_LEFT] == Keypoint.MOUTH_RIGHT
    assert len(FLIP_PAIRS) == 16
    for a, b in FLIP_PAIRS:
        assert a.name.replace("LEFT", "X") == b.name.replace("RIGHT", "X")


def test_edges_are_symmetric_under_flip():
    edges = {frozenset(e) for e in EDGES}
    flipped = {frozenset((Keypoint(int(FLIP_PERM[a])), Keypoint(int(FLIP_PERM[b])))) for a, b in EDGES}
    assert edges == flipped


def test_layout_mappings():
    assert len(COCO17) == 17 and COCO17[0] == Keypoint.NOSE and COCO17[-1] == Keypoint.RIGHT_ANKLE
    assert len(BODY13) == 13 and len(set(BODY13)) == 13
    assert LSP14[0] == Keypoint.RIGHT_ANKLE and LSP14[12] is None
    assert set(LAYOUTS) >= {"blazepose33", "coco17", "penn13"}
