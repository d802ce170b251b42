"""Stage the Android build: the folder buildozer packages, with the app, posekit and its models.

python-for-android runs ``main.py`` at the root of the packaged folder, and packages only that
folder; the app imports ``posekit`` (a sibling of ``app/`` here) and itself as a package. So:

    python -m app.stage --out build/android      # (make android-stage)
    cd build/android && buildozer android debug  # needs the Android SDK/NDK (downloads them)
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAIN = '''"""python-for-android entry point (written by app/stage.py)."""
from app.main import main

main([])
'''


def stage(out: Path) -> Path:
    """Copy ``app/`` and ``posekit/`` (sources, models, sample clip) into ``out`` with ``main.py``
    and ``buildozer.spec``; returns ``out``."""
    if out.exists():
        shutil.rmtree(out)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".buildozer", "bin")
    shutil.copytree(REPO / "app", out / "app", ignore=ignore)
    shutil.copytree(REPO / "posekit", out / "posekit", ignore=ignore)
    (out / "main.py").write_text(MAIN)
    shutil.move(out / "app" / "buildozer.spec", out / "buildozer.spec")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "build" / "android")
    args = ap.parse_args(argv)
    print(f"staged {stage(args.out)}: cd there and run buildozer android debug")


if __name__ == "__main__":
    main()
