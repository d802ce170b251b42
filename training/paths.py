"""Where training reads shared data and writes caches (both outside git)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """``$POSEKIT_SHARED`` or ``../shared`` beside the checkout."""
    return Path(os.environ.get("POSEKIT_SHARED", REPO.parent / "shared"))


def data_dir() -> Path:
    return shared_dir() / "data"


def cache_dir() -> Path:
    """``$POSEKIT_CACHE`` or ``~/.cache/posekit`` (teacher labels, crops, checkpoints)."""
    d = Path(os.environ.get("POSEKIT_CACHE", Path.home() / ".cache" / "posekit"))
    d.mkdir(parents=True, exist_ok=True)
    return d
