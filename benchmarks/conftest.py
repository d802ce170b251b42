import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("POSEKIT_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared():
    if not SHARED.exists():
        pytest.skip(f"needs {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def video_frames(shared):
    from posekit.video import FrameSource

    out = []
    with FrameSource(shared / "data" / "workouttracker" / "videos" / "squats" / "squat_11.mp4") as src:
        for f in src:
            out.append(np.ascontiguousarray(f.rgb))
            if len(out) == 60:
                break
    return out
