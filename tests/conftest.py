import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("POSEKIT_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs {path} (the shared data folder beside the checkout); not present here")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return need(DATA)


@pytest.fixture(scope="session")
def teacher_path() -> Path:
    return need(SHARED / "models" / "mediapipe" / "pose_landmark_full.tflite")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# Property-based tests explore new examples on every run here; CI replays a fixed set (the same
# on every machine), so a red CI is never a roll of the dice.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        _hypothesis_settings.load_profile("ci")
except ImportError:  # the runtime's tests run without it
    pass
