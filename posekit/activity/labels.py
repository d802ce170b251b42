"""Activity class labels shared by training and runtime."""

from __future__ import annotations

LABELS: tuple[str, ...] = (
    "squat", "push_up", "lunge", "sit_up", "jumping_jack", "pull_up", "bench_press", "plank", "front_raise",
    "rope_pushdown", "standing", "walking", "running", "sitting_lying", "fall", "other",
)
LABEL_ID = {n: i for i, n in enumerate(LABELS)}
#: Every exercise posekit names: the sequence classifier's first ten labels.
EXERCISES: tuple[str, ...] = LABELS[:10]
#: Exercises that, given by the user (``exercise=``), are counted only where the generic counter
#: saw repeated movement, not over the whole stream: their arm signals read reps on people sitting
#: or lying down (docs/evidence/reps.md).
MOVEMENT_SPAN_EXERCISES: tuple[str, ...] = ("front_raise", "rope_pushdown")
#: Exercises counted in repetitions (plank is held, not repeated).
REP_EXERCISES: tuple[str, ...] = tuple(e for e in EXERCISES if e != "plank")
#: Exercises done on the floor: a "fall" while one is under way is the exercise itself (a push-up
#: seen head-on swings the torso through vertical), not a fall from standing.
FLOOR_EXERCISES: tuple[str, ...] = ("push_up", "sit_up", "bench_press", "plank")
