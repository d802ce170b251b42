"""What the app shows for a workout: the current set's reps, the sets so far, and the rest since
the last one (pure functions of the engine's results, so they are tested without a window)."""

from __future__ import annotations

import dataclasses

from posekit.activity import Activity


@dataclasses.dataclass(frozen=True)
class SetView:
    """The workout panel's text.

    Attributes:
        exercise: the current (or, between sets, the last) set's exercise, readable ("Squat");
            before the first set, what the app is waiting for.
        reps: that set's counted reps (the big number).
        running: whether that set is still going on.
        total: reps over all sets.
        sets: one line per set, newest last ("1. Squat  8 reps", "2. Plank  0:42").
        rest_s: seconds since the last set ended while no set is running, else None.
    """

    exercise: str
    reps: int
    running: bool
    total: int
    sets: tuple[str, ...]
    rest_s: float | None


WAITING = "Waiting for an exercise"


def _clock(s: float) -> str:
    s = max(0, int(round(s)))
    return f"{s // 60}:{s % 60:02d}"


def set_view(summary, activity, now_s: float) -> SetView:
    """``summary``: the engine's :class:`~posekit.ActivityReport` so far; ``activity``: the
    current :class:`~posekit.ActivityFrame` (or None); ``now_s``: the stream's time now."""
    sets = list(summary.exercises)
    lines = []
    for i, seg in enumerate(sets, 1):
        amount = _clock(seg.end_s - seg.start_s) if seg.label == Activity.PLANK else \
            f"{seg.reps} rep{'s' if seg.reps != 1 else ''}"
        lines.append(f"{i}. {seg.label.title}  {amount}")
    current = sets[-1] if sets else None
    # A set is running while the engine still reads its exercise now (between two of its reps too).
    running = current is not None and activity is not None and activity.label == current.label
    if current is None:
        return SetView(WAITING, 0, False, summary.reps_total, (), None)
    rest = None if running else max(0.0, now_s - current.end_s)
    return SetView(current.label.title, current.reps, running, summary.reps_total, tuple(lines), rest)


def caption(view: SetView) -> str:
    """The line under the big number."""
    if not view.sets:
        return "reps"
    return f"{'reps this set' if view.running else 'reps, last set'}  ·  total {view.total}"


def rest_text(view: SetView) -> str:
    return f"rest {_clock(view.rest_s)}" if view.rest_s is not None else ""
