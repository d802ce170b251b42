"""The README's quick start runs as written (on the bundled sample clip instead of workout.mp4)."""

import re
from pathlib import Path

from posekit.cli import sample_clip

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_quick_start_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = blocks[0].replace('"workout.mp4"', repr(str(sample_clip())))
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Squat" in out and "reps_total" in out


def test_the_quick_start_comes_in_the_first_screen():
    lines = README.read_text().splitlines()
    assert any(line.startswith("## Quick start") for line in lines[:40])
