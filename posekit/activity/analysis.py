"""One reading of a buffer of poses: exercise spans, reps, form cues and falls.

The streaming engine (:mod:`posekit.activity.streaming`) calls :func:`analyse_shots` on its sliding
buffer every few frames and turns the readings into events; :func:`~posekit.analyze_keypoints`
feeds whole sequences through that same engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from .body import RATE, BodySequence, moving_average, nanmean, normalise
from .classifier import ActivityClassifier, frame_labels, smooth_decisions
from .falls import FLOOR_CONTEXT_S, ON_PURPOSE_AFTER, detect_falls, during_floor_exercise, horizontal_signal
from .form import plank_cues, rep_cues
from .labels import EXERCISES, FLOOR_EXERCISES, LABEL_ID, LABELS, MOVEMENT_SPAN_EXERCISES, REP_EXERCISES
from .options import ClassifierOptions, FallOptions, FormOptions, RepOptions
from .phase import PHASE_EXERCISES, PhaseModel, exercise_probs, phase_signal
from .reps import Cycle, correlation, count_cycles, count_reps, exercise_signal, jitter, quantiles
from .results import Activity, ExerciseSegment, FallEvent, FormCue, RepEvent, RepQuality

#: Label of a segment of repeated movement when no exercise classifier is bundled.
GENERIC_EXERCISE = Activity.EXERCISE.value
#: A run of cycles counts as exercise from this many full reps; a lone rep counts only if it
#: spends at most ``LONE_REP_MAX_DWELL_S`` past its bottom threshold (a squat, not sitting down
#: on a chair and standing up again later) and the sequence did not begin at its bottom (getting
#: up from a seat is not a rep; a clip that begins mid-way down is).
MIN_SEGMENT_REPS = 2
LONE_REP_MAX_DWELL_S = 1.5
#: Repeated movement the classifier calls walking or running for at least this share of its frames
#: is gait, not reps. (Not standing or sitting/lying: an exercise we have no class for, curls or
#: leg raises, may well be called that, and the generic counter is there to count it.)
LOCOMOTION = ("walking", "running")
LOCOMOTION_VETO = 0.5
#: An exercise's own rep signal (the movement of the body parts that define it, torso lengths) must
#: move at least this much; the generic whole-body signal keeps ``RepOptions.min_range``.
EXERCISE_MIN_RANGE = 0.35


@dataclasses.dataclass(frozen=True)
class Reading:
    """What one analysis of a buffer found (times in seconds from the buffer's start, plus the
    ``t_offset_s`` it was given for the classifier's window grid only).

    Attributes:
        exercises: exercise spans (sets and holds) with their counted reps.
        rep_events: every rep, full and partial.
        form_cues: cues of the reps (and holds) this reading judged.
        falls: falls.
        frame_labels: (T,) label per source frame (str).
        probs: smoothed class probabilities at the buffer's last window (by the classifier's
            labels), or None without a classifier.
    """

    exercises: list[ExerciseSegment]
    rep_events: list[RepEvent]
    form_cues: list[FormCue]
    falls: list[FallEvent]
    frame_labels: np.ndarray
    probs: dict[str, float] | None = None


def _segments(cycles: list[Cycle], gap_s: float = 6.0) -> tuple[list[ExerciseSegment], list[ExerciseSegment]]:
    """The generic counter's cycles grouped into runs (a gap of at most ``gap_s`` between two): those
    that count as exercise, and those that do not (fewer than :data:`MIN_SEGMENT_REPS` full reps,
    and no lone squat-like rep)."""
    segs: list[ExerciseSegment] = []
    lone_ok: list[bool] = []
    for c in cycles:
        s, _, e = c.times()
        if segs and s - segs[-1].end_s <= gap_s:
            last = segs[-1]
            segs[-1] = ExerciseSegment(last.label, last.start_s, e, last.reps + (not c.partial))
        else:
            segs.append(ExerciseSegment(Activity.EXERCISE, s, e, int(not c.partial)))
            lone_ok.append(not c.partial and c.seen_descending and c.dwell <= LONE_REP_MAX_DWELL_S * RATE)
    keep = [s.reps >= MIN_SEGMENT_REPS or (s.reps == 1 and ok) for s, ok in zip(segs, lone_ok)]
    return [s for s, k in zip(segs, keep) if k], [s for s, k in zip(segs, keep) if not k]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


#: Inside one run of reps, each exercise that the classifier names for at least this long gets a
#: span of its own (a circuit: squats straight into jumping jacks).
SPLIT_RUN_S = 2.0
#: The classifier's label changes up to this long after the movement does (its window ends at or
#: after the frame, and its decisions are smoothed): a split between two exercises goes in the
#: widest pause between reps from this long before the label's change to 0.5 s after it.
LABEL_LAG_S = 3.0


def _label_parts(labels: np.ndarray, a: int, b: int, ex_ids: set[int],
                 cycles: list[Cycle]) -> list[tuple[int, int, int]]:
    """(label id, start, end) parts of frames [a, b) where the classifier names two or more
    exercises, each for at least :data:`SPLIT_RUN_S` in a row; [] when it names one (or none) that
    long. A part ends where the next exercise's runs begin, moved back into the widest pause
    between two of ``cycles`` (the generic counter's reps) near that change (:data:`LABEL_LAG_S`),
    so that no rep is split and neither exercise's signal sees the change of posture."""
    runs: list[list[int]] = []
    for lab in ex_ids:
        for s, e in _runs(labels[a:b] == lab):
            if e - s >= SPLIT_RUN_S * RATE:
                runs.append([lab, a + int(s), a + int(e)])
    runs.sort(key=lambda r: r[1])
    joined: list[list[int]] = []
    for r in runs:  # runs of one exercise broken by another's short run are one part
        if joined and joined[-1][0] == r[0]:
            joined[-1][2] = r[2]
        else:
            joined.append(r)
    if len(joined) < 2:
        return []
    ends = sorted((c.start, c.end) for c in cycles if a <= c.start < b)
    gaps = [(e0, s1) for (_, e0), (s1, _) in zip(ends[:-1], ends[1:]) if s1 > e0]
    bounds = [a]
    for _, start, _ in joined[1:]:
        near = [g for g in gaps if start - LABEL_LAG_S * RATE <= (g[0] + g[1]) / 2 <= start + 0.5 * RATE
                and (g[0] + g[1]) / 2 > bounds[-1]]
        if near:
            widest = max(near, key=lambda g: g[1] - g[0])
            bounds.append(int((widest[0] + widest[1]) // 2))
        else:
            bounds.append(start)
    bounds.append(b)
    return [(lab, bounds[k], bounds[k + 1]) for k, (lab, _, _) in enumerate(joined)]


def _exercise_spans(generic: list[ExerciseSegment], labels: np.ndarray | None, n: int,
                    cycles: list[Cycle]) -> tuple[list[tuple[str, int, int]], set[int]]:
    """(label, start, end) frame spans of exercise: the generic rep segments, named by the classifier's
    majority exercise over them (split where it names another exercise for :data:`SPLIT_RUN_S` or
    more: :func:`_label_parts`), plus classifier exercise runs of >= 2 s the generic counter
    missed; and the frames where a segment was split (no rep crosses them)."""
    spans: list[tuple[str, int, int]] = []
    splits: set[int] = set()
    ex_ids = {LABEL_ID[e] for e in EXERCISES}
    covered = np.zeros(n, bool)
    gait_ids = [LABEL_ID[d] for d in LOCOMOTION]
    for seg in generic:
        a, b = int(seg.start_s * RATE), min(n, int(seg.end_s * RATE) + 1)
        name = GENERIC_EXERCISE
        parts = _label_parts(labels, a, b, ex_ids, cycles) if labels is not None and b > a else []
        if parts:
            spans += [(LABELS[lab], s, e) for lab, s, e in parts]
            splits.update(s for _, s, _ in parts[1:])
            covered[a:b] = True
            continue
        if labels is not None and b > a:
            votes = np.bincount(labels[a:b], minlength=len(LABELS))
            best = max(ex_ids, key=lambda i: votes[i])
            if votes[best] >= 0.3 * (b - a):
                name = LABELS[best]
            elif votes[gait_ids].sum() >= LOCOMOTION_VETO * (b - a):
                continue  # walking, running: cyclic, but not reps
        spans.append((name, a, b))
        covered[a:b] = True
    if labels is not None:
        for e in EXERCISES:
            mask = (labels == LABEL_ID[e]) & ~covered
            for a, b in _runs(mask):
                if b - a >= 2 * RATE:
                    spans.append((e, int(a), int(b)))
    # One span per run of the same exercise: neighbouring spans (gap <= 2 s) merge, so a set is
    # counted once with one signal.
    merged: list[tuple[str, int, int]] = []
    for name, a, b in sorted(spans, key=lambda s: s[1]):
        if merged and merged[-1][0] == name and a - merged[-1][2] <= 2 * RATE:
            merged[-1] = (name, merged[-1][1], max(b, merged[-1][2]))
        else:
            merged.append((name, a, b))
    return merged, splits


#: The phase model's start-phase probability is smoothed over this long before it is counted, and
#: must move by at least this much (its 5th to 95th percentile) to count at all. Both chosen on
#: training folds of RepCount-pose (``training.train_phase --dev-fold``; docs/evidence/reps.md),
#: never on its held-back videos.
PHASE_SMOOTH_S = 0.4
PHASE_MIN_RANGE = 0.1
#: A learned rep is partial under this share of a deep one's size on the body signal (the 75th
#: percentile over the stretch), scaled with ``RepOptions.partial_ratio`` (0.4 at its default
#: 0.55). Pose jumps inflate some reps' size and, through the percentile, left real reps partial:
#: on RepCount-pose training folds 1 and 2 0.55 / 0.4 / 0.3 read MAE 0.192 / 0.182 / 0.191 and
#: 0.226 / 0.214 / 0.209, synthetic long sets 0.059 / 0.056 / 0.049 but 15 s synthetic bench
#: presses (with partial reps) 0.045 / 0.103 / 0.178 (docs/evidence/reps.md).
PHASE_PARTIAL_RATIO = 0.4
#: Frames either side of a rep's bottom whose poses name the exercise.
BOTTOM_FRAMES = 2
#: Over a span of an exercise, where the exercise's own body signal finds at least this many times
#: the full reps that the phase model's learned signal finds, the learned signal has lost the
#: rhythm (its probability stopped swinging through most reps: 2 of a bench press's 14) and the
#: body signal counts. Chosen on RepCount-pose training folds 1 and 2 with phase models of seeds 0
#: and 1, never on its held-back videos: MAE (0.164, 0.214) -> (0.153, 0.202) and (0.137, 0.224)
#: -> (0.122, 0.205). Lower is worse elsewhere: at 1.5 (or whichever counts more, 1.0) synthetic
#: long lunge sets read 0.12 (0.39) against 0.06, the body signal reading extra reps in them
#: (docs/evidence/reps.md).
PHASE_LOST_RATIO = 2.0


def _full(cycles: list[Cycle]) -> int:
    return sum(not c.partial for c in cycles)


class PhaseFrames:
    """The phase model's probabilities for every frame of one sequence, computed once when first
    needed: a reading names and counts several spans of it, each looked at again on stretches of
    its own (:func:`~posekit.activity.reps.count_cycles`)."""

    def __init__(self, model: PhaseModel, seq: BodySequence) -> None:
        self.model, self.seq, self._probs = model, seq, None

    @property
    def probs(self) -> np.ndarray:
        if self._probs is None:
            self._probs = self.model.probs(self.seq)
        return self._probs

    def of(self, part: BodySequence) -> np.ndarray:
        """The probabilities of ``part``, a stretch of the sequence (``seq.frames(a, b)``, found by its times)."""
        a = int(round((part.t[0] - self.seq.t[0]) * RATE)) if len(part.t) else 0
        return self.probs[a:a + len(part.t)]


def phase_rep_signal(seq: BodySequence, frames: PhaseFrames, exercise: str,
                     min_snr: float = RepOptions.min_snr) -> np.ndarray:
    """(T,) the phase model's probability that ``seq`` (a stretch of ``frames``' sequence) is at
    the start of a rep of ``exercise`` (:func:`~posekit.activity.phase.phase_signal`), smoothed: a
    rep signal larger at rest. Flat (zeros) where it does not stand out from its own frame-to-frame
    jitter by ``min_snr``, as the body signals (:func:`~posekit.activity.reps.movement_signal`): a
    model unsure of the phase flickers about the middle, and that flicker is no rep."""
    raw = phase_signal(frames.of(seq), exercise)
    smooth = moving_average(raw, max(1, int(PHASE_SMOOTH_S * RATE)))
    ok = np.isfinite(raw) & np.isfinite(smooth)
    if min_snr > 0 and ok.sum() >= 3:
        lo, hi = quantiles(smooth[ok], (5, 95))
        if hi - lo < min_snr * jitter((raw - smooth)[ok]):
            return np.zeros(len(smooth))
    return smooth


def _body_reps(seq: BodySequence, exercise: str, opts: RepOptions) -> tuple[np.ndarray | None, list[Cycle]]:
    """The exercise's own body signal over ``seq`` (:func:`~posekit.activity.reps.exercise_signal`)
    and the reps found on it."""
    signal = partial(exercise_signal, exercise=exercise, smooth_s=opts.smooth_s, min_snr=opts.min_snr)
    g = signal(seq)
    ex_opts = dataclasses.replace(opts, min_range=EXERCISE_MIN_RANGE)
    return g, count_cycles(seq, lambda q: g if q is seq else signal(q), ex_opts, rest_high=True, local=True)


def phase_cycles(seq: BodySequence, frames: PhaseFrames, exercise: str, opts: RepOptions,
                 body: tuple[np.ndarray | None, list[Cycle]] | None = None) -> list[Cycle]:
    """Reps of ``exercise`` in ``seq``, found on the phase model's learned signal and sized on the
    body's own movement.

    The learned signal reads each frame's pose as a whole, so it holds where single joints jump
    (other people's videos: RepCount-pose held-back MAE 0.22 against 0.27 without it). Being a
    probability it saturates: a shallow rep reads like a deep one, a quarter-depth one like none.
    So each rep is sized by the exercise's own body signal (:func:`~posekit.activity.reps.exercise_signal`):
    its range over the rep, and a rep under :data:`PHASE_PARTIAL_RATIO` of a deep rep's (the 75th
    percentile: a set may hold more shallow reps than deep ones) is partial, reported and not
    counted. That signal's partial reps outside the learned reps are kept too. ``body``: that
    signal over ``seq`` and its reps (:func:`_body_reps`), where the caller has them already."""
    g, body_cycles = _body_reps(seq, exercise, opts) if body is None else body
    learned = partial(phase_rep_signal, frames=frames, exercise=exercise, min_snr=opts.min_snr)
    if _against(learned(seq), g):
        learned = partial(_flipped, learned)
    # A probability can sit flat at its lowest from the first frame: a "rep" whose bottom is its
    # start is only a way up.
    cycles = [c for c in count_cycles(seq, learned, dataclasses.replace(opts, min_range=PHASE_MIN_RANGE), rest_high=True)
              if c.bottom > c.start]
    if not cycles:
        return cycles
    if g is None or not np.isfinite(g).any() or np.ptp(g[np.isfinite(g)]) == 0:
        return cycles
    depth = []
    for c in cycles:
        seg = g[c.start:c.end + 1]
        depth.append(float(np.nanmax(seg) - np.nanmin(seg)) if np.isfinite(seg).any() else 0.0)
    deep = float(np.percentile(depth, 75))
    ratio = PHASE_PARTIAL_RATIO * opts.partial_ratio / RepOptions.partial_ratio
    sized = [dataclasses.replace(c, amplitude=d, partial=d < ratio * deep) for c, d in zip(cycles, depth)]
    extra = [c for c in body_cycles if c.partial and not any(o.start <= c.bottom <= o.end for o in sized)]
    return sorted(sized + extra, key=lambda c: c.start)


#: The learned signal runs against the body's when their correlation is below this.
AGAINST_BODY = -0.3


def _against(learned: np.ndarray, g: np.ndarray | None) -> bool:
    """Whether the phase model's signal ``learned`` is high where the exercise's body signal ``g``
    (larger at rest) is low: the data the model learned from called the rep's far end its start.

    Which pose a data set calls a rep's start is its annotators' choice. RepCount-pose marks
    lunges from the bottom (its start poses bend the knees to a median 98 degrees, its middle
    poses to 169, in 33 of 33 videos; every other exercise starts at rest), so a learned lunge
    rep ran from one bottom to the next, its "bottom" standing upright, and the form rules,
    which read the body there, told every lunge to go lower (synthetic lunges, exercise given:
    lunge_depth on 37 of 77 reps without the fault). The body signal says which way is rest."""
    r = correlation(learned, g) if g is not None else None
    return r is not None and r < AGAINST_BODY


def _flipped(signal_fn: Callable[[BodySequence], np.ndarray], q: BodySequence) -> np.ndarray:
    """1 - ``signal_fn(q)``; a flat signal (all zeros: no rep in it) stays flat."""
    s = signal_fn(q)
    return 1.0 - s if np.any(s) else s


#: The phase model reads an exercise over some frames when it holds at least this share of their
#: mean probability.
READ_SHARE = 0.5


def exercise_cycles(seq: BodySequence, frames: PhaseFrames | None, exercise: str, opts: RepOptions) -> list[Cycle]:
    """Reps of ``exercise`` over ``seq`` (a stretch of ``frames``' sequence): on the phase model's
    learned signal where it knows the exercise (:func:`phase_cycles`), else, or where that finds no
    full rep or lost the rhythm (:data:`PHASE_LOST_RATIO`), on the body parts that define the
    exercise (:func:`~posekit.activity.reps.exercise_signal`)."""
    g, body = _body_reps(seq, exercise, opts)
    learned = phase_cycles(seq, frames, exercise, opts, (g, body)) \
        if frames is not None and exercise in PHASE_EXERCISES else []
    return body if not _full(learned) or _full(body) >= PHASE_LOST_RATIO * _full(learned) else learned


def exercise_read(probs: np.ndarray) -> str | None:
    """The exercise that (T, OUTPUTS) phase probabilities read: the one with the largest mean
    probability over the frames, if it is an exercise and holds :data:`READ_SHARE`; else None
    (unsure, "other", or no frame with a body)."""
    share = nanmean(exercise_probs(probs), axis=0)
    if not np.isfinite(share).all():
        return None
    top = int(np.argmax(share))
    return PHASE_EXERCISES[top] if top < len(PHASE_EXERCISES) and share[top] >= READ_SHARE else None


def phase_name(frames: PhaseFrames, name: str, cycles: list[Cycle], known: tuple[str, ...] = EXERCISES) -> str:
    """The name of a span of reps, from the classifier's ``name`` and the phase model's reading of
    the poses at the reps' bottoms (the middle of a rep tells exercises apart; its start, often
    standing, does not): the model's most likely class over those frames, if it holds at least
    half their probability.

    * A span the classifier left unnamed (:data:`GENERIC_EXERCISE`) takes that exercise.
    * A classifier exercise the phase model also knows keeps the classifier's name: vetoing it
      where the model read another exercise took wrong names on RepCount-pose training fold 1
      from 0.20 of the videos to 0.07, but dropped the names of synthetic squats seen from the
      front with the arms held forward (read as front raises) and of head-on push-ups.
    * Any other classifier name (jumping jacks, plank) gives way to an exercise the classifier has
      no class for (not in ``known``, its labels: front raises were called jumping jacks by a
      classifier that did not know them).
    * A reading under half (the model unsure, or reading "other") changes nothing: curls and
      lateral raises, which no model knows, were named front raises without that."""
    full = [c for c in cycles if not c.partial]
    if name == "plank" or not full:
        return name
    T = len(frames.seq.t)
    idx = sorted({i for c in full for i in range(max(0, c.bottom - BOTTOM_FRAMES), min(T, c.bottom + BOTTOM_FRAMES + 1))})
    found = exercise_read(frames.probs[idx])
    if found is None:  # none of its exercises, or none that most of it reads
        return name
    if name == GENERIC_EXERCISE:
        return found
    if name in PHASE_EXERCISES:
        return name
    return name if found in known else found


def reads_push_ups(frames: PhaseFrames, fall: FallEvent) -> bool:
    """Whether the phase model reads push-ups (at least :data:`READ_SHARE` of the probability) from the
    :data:`~posekit.activity.falls.FLOOR_CONTEXT_S` before ``fall``'s onset through its impact.

    Filmed head-on, a push-up's torso points at the camera and reads upright, and its way down
    reads as a tip to horizontal: the motion rules fire, often in a clip's first second, before
    the classifier has a window of push-ups to veto with (cs231n-pushfit, MediaPipe's landmarks).
    The phase model reads each frame's pose as a whole and knows a body held up on its arms
    from any view it was trained on. Push-ups only: before a fall a person stands, which reads as
    the start of a front raise, and after it lies, which reads as a bench press or a sit-up
    (docs/evidence/falls.md)."""
    a = max(0, int(round((fall.onset_s - FLOOR_CONTEXT_S) * RATE)))
    b = int(round(fall.impact_s * RATE)) + 1
    share = nanmean(exercise_probs(frames.probs[a:b])[:, PHASE_EXERCISES.index("push_up")])
    return bool(np.isfinite(share) and share >= READ_SHARE)


def phase_sets(seq: BodySequence, frames: PhaseFrames, dropped: list[ExerciseSegment],
               spans: list[tuple[str, int, int]], exercise: str | None, opts: RepOptions) -> list[tuple[str, int, int]]:
    """Sets that the generic counter saw as too few reps, found by the phase model.

    Where one posture dominates a set's whole-body movement (a front raise's arms against a body
    that sways), the generic counter can read the whole set as one long "rep" and drop it: 0 of 6
    front raises counted. For each such dropped stretch (padded by a second), if the phase model
    reads one of its exercises for at least half of the stretch's probability and finds at least
    :data:`MIN_SEGMENT_REPS` full reps of it there (:func:`phase_cycles`), the stretch is a set of
    that exercise (with ``exercise`` given, only of that one). A stretch that overlaps a span of an
    exercise the phase model knows (or a plank) is left to that span; the classifier's other names
    there (jumping jacks over front raises) give way, as in :func:`phase_name`.

    Only where the generic counter saw movement: over the whole stream (sets only the phase model
    sees) the model read rope-pushdown reps on people sitting or lying down (docs/evidence/reps.md).
    """
    out = []
    n = len(seq.t)
    for seg in dropped:
        lo, hi = max(0, int(seg.start_s * RATE) - int(RATE)), min(n, int(seg.end_s * RATE) + 1 + int(RATE))
        if any(s < hi and lo < e and (name in PHASE_EXERCISES or name == "plank") for name, s, e in spans):
            continue
        name = exercise_read(frames.probs[lo:hi])
        if name is None or exercise not in (None, name):
            continue
        if _full(phase_cycles(seq.frames(lo, hi), frames, name, opts)) >= MIN_SEGMENT_REPS:
            out.append((name, lo, hi))
    return out


def analyse_sequence(seq: BodySequence, n_source: int, fps: float, rep_opts: RepOptions = RepOptions(),
                     fall_opts: FallOptions = FallOptions(), classifier: ActivityClassifier | None = None,
                     form_opts: FormOptions = FormOptions(), classifier_opts: ClassifierOptions = ClassifierOptions(),
                     cache: dict[int, np.ndarray] | None = None, t_offset_s: float = 0.0,
                     exercise: str | None = None, cues_after_s: float = -1.0, positions: bool = True,
                     phase_model: PhaseModel | None = None) -> Reading:
    """One reading of a normalised body sequence (a buffer of the streaming engine, or one shot of it).

    ``exercise`` fixes the exercise instead of classifying it; ``cache``/``t_offset_s`` let the
    streaming tracker reuse window probabilities across overlapping buffers, and ``cues_after_s``
    skips form cues for reps whose bottom it has already judged. ``positions``: as for
    :func:`~posekit.activity.falls.detect_falls` (False for keypoints min-max normalised per frame).
    ``phase_model``: names the spans it knows (:func:`phase_name`) and counts their reps on its
    learned phase signal (:func:`phase_rep_signal`)."""
    n = len(seq.t)
    labels = None
    fall_prob = None
    smoothed = None
    if classifier is not None:
        times, ids, probs = classifier.classify(seq, classifier_opts, cache, t_offset_s)
        _, smoothed = smooth_decisions(probs, classifier_opts)
        labels = frame_labels(times, ids, n, RATE)
        if "fall" in classifier.model_labels:
            fall_prob = (times, probs[:, classifier.labels.index("fall")])
    falls = detect_falls(seq, fall_opts, fall_prob, positions)
    if smoothed is not None and falls:  # the classifier's own judgement (a fixed ``exercise`` is not evidence)
        cols = [classifier.labels.index(e) for e in ON_PURPOSE_AFTER if e in classifier.model_labels]
        on_purpose_p = frame_labels(times, smoothed[:, cols].sum(axis=1), n, RATE)
        floor = [classifier.labels.index(e) for e in FLOOR_EXERCISES if e in classifier.model_labels]
        floor_p = frame_labels(times, smoothed[:, floor].sum(axis=1), n, RATE)
        falls = [f for f in falls
                 if not during_floor_exercise(labels, f.onset_s, f.impact_s, on_purpose_p, fall_opts, floor_p)]
    if falls and phase_model is not None:
        frames = PhaseFrames(phase_model, seq)
        falls = [f for f in falls if not reads_push_ups(frames, f)]
    if exercise is not None:
        # Every span of reps is that exercise (over the whole stream, or where the generic
        # counter saw movement: MOVEMENT_SPAN_EXERCISES).
        labels = None if exercise in MOVEMENT_SPAN_EXERCISES else np.full(n, LABEL_ID[exercise])
    # Reps are not counted across a fall, and the time on the floor after it must not dominate the
    # movement signal: those frames are blanked for counting.
    rep_seq = seq
    if falls:
        horiz = horizontal_signal(seq, fall_opts)
        blank = np.zeros(n, bool)
        for f in falls:
            i = int(f.onset_s * RATE)
            while i < len(blank) and (i <= int(f.impact_s * RATE) or horiz[i]):
                blank[i] = True
                i += 1
        xy = seq.xy.copy()
        hip = seq.hip.copy()
        xy[blank] = np.nan
        hip[blank] = np.nan
        rep_seq = dataclasses.replace(seq, xy=xy, hip=hip)
    cycles = count_reps(rep_seq, rep_opts)
    for f in falls:
        cycles = [c for c in cycles if c.times()[2] < f.onset_s or c.times()[0] > f.impact_s + 3.0]
    generic, dropped = _segments(cycles)
    segs: list[ExerciseSegment] = []
    events: list[RepEvent] = []
    cues: list[FormCue] = []
    prev_end = 0
    spans, splits = _exercise_spans(generic, labels, n, cycles)
    phase_frames = PhaseFrames(phase_model, rep_seq) if phase_model is not None else None
    if exercise in MOVEMENT_SPAN_EXERCISES:
        # Only the generic counter's spans: a whole-sequence span (as a given classifier exercise
        # has) counted rope-pushdown "reps" on people sitting or lying down (docs/evidence/reps.md).
        spans = [(exercise, a, b) for _, a, b in spans]
    elif phase_frames is not None and exercise is None:
        known = classifier.model_labels if classifier is not None else ()
        spans = [(phase_name(phase_frames, name, [c for c in cycles if a <= c.bottom < b], known), a, b)
                 for name, a, b in spans]
    if phase_frames is not None and (exercise is None or exercise in MOVEMENT_SPAN_EXERCISES):
        found = phase_sets(rep_seq, phase_frames, dropped, spans, exercise, rep_opts)
        spans = sorted([sp for sp in spans if not any(sp[1] < hi and lo < sp[2] for _, lo, hi in found)] + found,
                       key=lambda sp: sp[1])
    for name, a, b in spans:
        if name == "plank":
            cues += plank_cues(rep_seq, a, b, form_opts)
            segs.append(ExerciseSegment(Activity.PLANK, a / RATE, b / RATE, 0))
            continue
        span_cycles = [c for c in cycles if a <= c.start <= b]
        pad = int(RATE)  # a rep's start may lie just before the span that detected it (not at a split)
        lo = a if a in splits else max(0, a - pad, prev_end)
        hi = b if b in splits else min(n, b + pad)
        prev_end = hi
        if name in REP_EXERCISES:
            own = [c.shifted(lo) for c in exercise_cycles(rep_seq.frames(lo, hi), phase_frames, name, rep_opts)]
            # The exercise's own signal wins unless it sees nothing where the generic one counted.
            if _full(own) or not span_cycles:
                span_cycles = own
        full = [c for c in span_cycles if not c.partial]
        if not full:
            continue
        segs.append(ExerciseSegment(Activity(name), span_cycles[0].times()[0], span_cycles[-1].times()[2], len(full)))
        typical = float(np.median([c.amplitude for c in full]))
        for c in span_cycles:
            events.append(RepEvent(c.times()[2], Activity(name), RepQuality.PARTIAL if c.partial else RepQuality.FULL,
                                   *c.times()))
            # Partial reps get cues too ("go lower" is what a too-shallow rep needs), unless they
            # are mere twitches: small, or shorter than a rep may be (a wobble between two lunges).
            attempt = c.amplitude >= 0.3 * typical and c.end - c.start >= rep_opts.min_cycle_s * RATE
            if (not c.partial or attempt) and c.bottom / RATE > cues_after_s:
                cues += rep_cues(rep_seq, name, c.top if c.top >= 0 else c.start, c.bottom, form_opts)
    events.sort(key=lambda r: r.t_s)
    t = np.arange(n_source) / fps
    if labels is not None:
        src = np.clip(np.round(t * RATE).astype(int), 0, n - 1)
        out_labels = np.asarray(LABELS, dtype=object)[labels[src]]
    else:
        out_labels = np.full(n_source, "other", dtype=object)
    for s in segs:
        out_labels[(t >= s.start_s) & (t <= s.end_s)] = s.label.value
    for f in falls:
        out_labels[(t >= f.onset_s) & (t <= f.impact_s + 1.0)] = "fall"
    last_probs = None
    if smoothed is not None and len(smoothed):
        last_probs = {lab: float(p) for lab, p in zip(classifier.labels, smoothed[-1])}
    return Reading(segs, events, cues, falls, out_labels, last_probs)


#: With cuts, a shot shorter than this is not analysed (too short for a rep, a fall or a window).
MIN_SHOT_S = 1.0


def _shifted(rep: Reading, off: float) -> Reading:
    """``rep`` with its times moved ``off`` seconds later."""
    return dataclasses.replace(
        rep,
        exercises=[dataclasses.replace(e, start_s=e.start_s + off, end_s=e.end_s + off) for e in rep.exercises],
        rep_events=[dataclasses.replace(r, t_s=r.t_s + off, start_s=r.start_s + off, bottom_s=r.bottom_s + off,
                                        end_s=r.end_s + off) for r in rep.rep_events],
        form_cues=[dataclasses.replace(c, t_s=c.t_s + off) for c in rep.form_cues],
        falls=[dataclasses.replace(f, onset_s=f.onset_s + off, impact_s=f.impact_s + off) for f in rep.falls])


def analyse_shots(body: np.ndarray, fps: float, cuts: list[int] | tuple[int, ...] = (), *,
                  t_offset_s: float = 0.0, cues_after_s: float = -1.0, **kw: Any) -> Reading:
    """:func:`analyse_sequence` of a (T, 13, 3) body sequence, one shot at a time.

    ``cuts``: the frames where a new shot begins (hard cuts in an edited video, as
    ``PoseResult.shot`` marks them). Across a cut the camera, and often the person, change: the
    keypoints jump, which reads as a fall or half a rep. Each shot is normalised and analysed on
    its own, shots shorter than :data:`MIN_SHOT_S` not at all, and the reports are joined (times
    from the sequence's start). ``t_offset_s``, ``cues_after_s`` and ``kw``: as for
    :func:`analyse_sequence`."""
    bounds = [0, *cuts, len(body)]
    if len(bounds) == 2:
        return analyse_sequence(normalise(body, fps), len(body), fps, t_offset_s=t_offset_s,
                                cues_after_s=cues_after_s, **kw)
    parts = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        off = a / fps
        if b - a < MIN_SHOT_S * fps or np.isnan(body[a:b, :, :2]).all():
            parts.append(Reading([], [], [], [], np.full(b - a, "other", dtype=object)))
            continue
        rep = analyse_sequence(normalise(body[a:b], fps), b - a, fps, t_offset_s=t_offset_s + off,
                               cues_after_s=cues_after_s - off, **kw)
        parts.append(_shifted(rep, off))
    return Reading([e for p in parts for e in p.exercises], [r for p in parts for r in p.rep_events],
                   [c for p in parts for c in p.form_cues], [f for p in parts for f in p.falls],
                   np.concatenate([p.frame_labels for p in parts]), parts[-1].probs)


