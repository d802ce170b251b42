"""Offline activity analysis of keypoint sequences from any pose estimator."""

from __future__ import annotations

import dataclasses
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputWarning, InvalidInputError
from .boxnorm import (IMAGE_NORMALISED_MAX, IMAGE_NORMALISED_WARNING, box_normalised, box_normalised_message,
                      frame_centred, frame_centred_message, upside_down, upside_down_message)
from .classifier import ActivityClassifier, ClassifierOptions, bundled_classifier, frame_labels, smooth_decisions
from .exercises import FormCue, FormOptions, exercise_signal, plank_cues, rep_cues
from .falls import FallEvent, FallOptions, detect_falls
from .features import RATE, BodySequence, check_fps, check_timestamps, normalise, regular_frames, to_body13
from .labels import EXERCISES, FLOOR_EXERCISES, LABEL_ID, LABELS, REP_EXERCISES
from .reps import Cycle, RepOptions, count_cycles, count_reps

#: Label of a segment of repeated movement when no exercise classifier is bundled.
GENERIC_EXERCISE = "exercise"
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
class RepEvent:
    """One repetition. ``quality`` is 'full' or 'partial' (partial reps are reported, not counted)."""

    t_s: float
    exercise: str
    quality: str
    start_s: float
    bottom_s: float
    end_s: float

    @property
    def eccentric_s(self) -> float:
        return self.bottom_s - self.start_s

    @property
    def concentric_s(self) -> float:
        return self.end_s - self.bottom_s

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.update(eccentric_s=round(self.eccentric_s, 3), concentric_s=round(self.concentric_s, 3))
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


@dataclasses.dataclass(frozen=True)
class ExerciseSegment:
    label: str
    start_s: float
    end_s: float
    reps: int

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "reps": self.reps}


@dataclasses.dataclass(frozen=True)
class ActivityReport:
    """Result of :func:`analyze_keypoints`.

    Attributes:
        exercises: segments of repeated movement with their rep counts.
        reps_total: counted (full) repetitions.
        rep_events: every repetition, full and partial, with eccentric/concentric timing.
        form_cues: per-rep form feedback (``FormCue.to_dict()``): exercise, cue id, message and the
            measured value against its threshold; needs the exercise, so only for classified segments.
        falls: detected falls.
        frame_labels: (T,) per-frame label at the *source* frame rate.
    """

    exercises: list[ExerciseSegment]
    reps_total: int
    rep_events: list[RepEvent]
    form_cues: list[dict[str, Any]]
    falls: list[FallEvent]
    frame_labels: np.ndarray

    def summary(self) -> dict[str, Any]:
        return {"exercises": [e.to_dict() for e in self.exercises], "reps_total": self.reps_total,
                "rep_events": [r.to_dict() for r in self.rep_events], "form_cues": self.form_cues,
                "falls": [f.to_dict() for f in self.falls]}


def _segments(cycles: list[Cycle], gap_s: float = 6.0) -> list[ExerciseSegment]:
    segs: list[ExerciseSegment] = []
    lone_ok: list[bool] = []
    for c in cycles:
        s, _, e = c.times()
        if segs and s - segs[-1].end_s <= gap_s:
            last = segs[-1]
            segs[-1] = ExerciseSegment(last.label, last.start_s, e, last.reps + (not c.partial))
        else:
            segs.append(ExerciseSegment(GENERIC_EXERCISE, s, e, int(not c.partial)))
            lone_ok.append(not c.partial and c.seen_descending and c.dwell <= LONE_REP_MAX_DWELL_S * RATE)
    return [s for s, ok in zip(segs, lone_ok) if s.reps >= MIN_SEGMENT_REPS or (s.reps == 1 and ok)]


#: A fall is dropped when most of the frames in this many seconds before its onset are labelled
#: with a floor exercise, or when the classifier is sure (mean P >= ``FallOptions.
#: overrule_confidence``) of something done on purpose on the floor (:data:`ON_PURPOSE_AFTER`)
#: over the fall detector's confirmation time after its impact.
FLOOR_CONTEXT_S = 2.0
#: What overrules a fall after its impact: a floor exercise, or sitting or lying down (lying down
#: on purpose is trained as "sitting_lying", the windows over a fall's impact as "fall").
ON_PURPOSE_AFTER: tuple[str, ...] = (*FLOOR_EXERCISES, "sitting_lying")


def _during_floor_exercise(labels: np.ndarray, onset_s: float, impact_s: float | None = None,
                           on_purpose_p: np.ndarray | None = None, opts: FallOptions = FallOptions()) -> bool:
    """Whether per-frame ``labels`` put a floor exercise in most of the :data:`FLOOR_CONTEXT_S`
    before ``onset_s``, or the classifier is sure of something done on purpose on the floor
    (per-frame P(:data:`ON_PURPOSE_AFTER`) ``on_purpose_p``, mean >= ``opts.overrule_confidence``)
    over the ``opts.confirm_s`` after ``impact_s``: a clip that begins with getting down into a
    push-up has no frames before it, a fall is not followed by push-ups, and lying down on purpose
    is fast enough for the motion rules at times. After the impact a label is not enough: a person
    lying still on the floor reads as a bench press or the bottom of a push-up to a classifier
    that is unsure between them (two Le2i falls, FINDINGS). Each side needs at least 0.5 s of
    context to count. ``confirm_s`` is what the fall detector waits anyway before it reports, so
    the streaming tracker has those frames in time. ``on_purpose_p`` None: the side after the
    impact is not judged."""
    floor = [LABEL_ID[e] for e in FLOOR_EXERCISES]
    i = int(round(onset_s * RATE))
    before = labels[max(0, i - int(FLOOR_CONTEXT_S * RATE)):i]
    if len(before) >= int(0.5 * RATE) and float(np.isin(before, floor).mean()) >= 0.5:
        return True
    if impact_s is None or on_purpose_p is None:
        return False
    j = int(round(impact_s * RATE))
    after = on_purpose_p[j:j + int(opts.confirm_s * RATE)]
    return len(after) >= int(0.5 * RATE) and float(np.mean(after)) >= opts.overrule_confidence


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


def analyse_sequence(seq: BodySequence, n_source: int, fps: float, rep_opts: RepOptions = RepOptions(),
                     fall_opts: FallOptions = FallOptions(), classifier: ActivityClassifier | None = None,
                     form_opts: FormOptions = FormOptions(), classifier_opts: ClassifierOptions = ClassifierOptions(),
                     cache: dict[int, np.ndarray] | None = None, t_offset_s: float = 0.0,
                     exercise: str | None = None, cues_after_s: float = -1.0, positions: bool = True) -> ActivityReport:
    """The offline analysis behind :func:`analyze_keypoints` and the streaming tracker.

    ``exercise`` fixes the exercise instead of classifying it; ``cache``/``t_offset_s`` let the
    streaming tracker reuse window probabilities across overlapping buffers, and ``cues_after_s``
    skips form cues for reps whose bottom it has already judged. ``positions``: as for
    :func:`~posekit.activity.falls.detect_falls` (False for keypoints min-max normalised per frame)."""
    n = len(seq.t)
    labels = None
    fall_prob = None
    if classifier is not None:
        times, ids, probs = classifier.classify(seq, classifier_opts, cache, t_offset_s)
        labels = frame_labels(times, ids, n, RATE)
        if "fall" in classifier.labels:
            fall_prob = (times, probs[:, classifier.labels.index("fall")])
    falls = detect_falls(seq, fall_opts, fall_prob, positions)
    if labels is not None and falls:  # the classifier's own judgement (a fixed ``exercise`` is not evidence)
        _, smoothed = smooth_decisions(probs, classifier_opts)
        cols = [classifier.labels.index(e) for e in ON_PURPOSE_AFTER if e in classifier.labels]
        on_purpose_p = frame_labels(times, smoothed[:, cols].sum(axis=1), n, RATE)
        falls = [f for f in falls
                 if not _during_floor_exercise(labels, f.onset_s, f.impact_s, on_purpose_p, fall_opts)]
    if exercise is not None:
        labels = np.full(n, LABEL_ID[exercise])
    # Reps are not counted across a fall, and the time on the floor after it must not dominate the
    # movement signal: those frames are blanked for counting.
    rep_seq = seq
    if falls:
        from .falls import horizontal_signal

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
    generic = _segments(cycles)
    segs: list[ExerciseSegment] = []
    events: list[RepEvent] = []
    cues: list[FormCue] = []
    ex_opts = dataclasses.replace(rep_opts, min_range=EXERCISE_MIN_RANGE)
    prev_end = 0
    spans, splits = _exercise_spans(generic, labels, n, cycles)
    for name, a, b in spans:
        if name == "plank":
            cues += plank_cues(rep_seq, a, b, form_opts)
            segs.append(ExerciseSegment(name, a / RATE, b / RATE, 0))
            continue
        span_cycles = [c for c in cycles if a <= c.start <= b]
        pad = int(RATE)  # a rep's start may lie just before the span that detected it (not at a split)
        lo = a if a in splits else max(0, a - pad, prev_end)
        hi = b if b in splits else min(n, b + pad)
        prev_end = hi
        if name in REP_EXERCISES:
            signal = partial(exercise_signal, exercise=name, smooth_s=rep_opts.smooth_s, min_snr=rep_opts.min_snr)
            own = [c.shifted(lo) for c in count_cycles(rep_seq.frames(lo, hi), signal, ex_opts, rest_high=True)]
            # The exercise's own signal wins unless it sees nothing where the generic one counted.
            if sum(not c.partial for c in own) or not span_cycles:
                span_cycles = own
        full = [c for c in span_cycles if not c.partial]
        if not full:
            continue
        segs.append(ExerciseSegment(name, span_cycles[0].times()[0], span_cycles[-1].times()[2], len(full)))
        typical = float(np.median([c.amplitude for c in full]))
        for c in span_cycles:
            events.append(RepEvent(c.times()[2], name, "partial" if c.partial else "full", *c.times()))
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
        out_labels[(t >= s.start_s) & (t <= s.end_s)] = s.label
    for f in falls:
        out_labels[(t >= f.onset_s) & (t <= f.impact_s + 1.0)] = "fall"
    return ActivityReport(segs, sum(s.reps for s in segs), events, [c.to_dict() for c in cues], falls, out_labels)


#: With cuts, a shot shorter than this is not analysed (too short for a rep, a fall or a window).
MIN_SHOT_S = 1.0


def _shifted(rep: ActivityReport, off: float) -> ActivityReport:
    """``rep`` with its times moved ``off`` seconds later."""
    return dataclasses.replace(
        rep,
        exercises=[dataclasses.replace(e, start_s=e.start_s + off, end_s=e.end_s + off) for e in rep.exercises],
        rep_events=[dataclasses.replace(r, t_s=r.t_s + off, start_s=r.start_s + off, bottom_s=r.bottom_s + off,
                                        end_s=r.end_s + off) for r in rep.rep_events],
        form_cues=[{**c, "t_s": round(c["t_s"] + off, 3)} for c in rep.form_cues],
        falls=[dataclasses.replace(f, onset_s=f.onset_s + off, impact_s=f.impact_s + off) for f in rep.falls])


def analyse_shots(body: np.ndarray, fps: float, cuts: list[int] | tuple[int, ...] = (), *,
                  t_offset_s: float = 0.0, cues_after_s: float = -1.0, **kw: Any) -> ActivityReport:
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
            parts.append(ActivityReport([], 0, [], [], [], np.full(b - a, "other", dtype=object)))
            continue
        rep = analyse_sequence(normalise(body[a:b], fps), b - a, fps, t_offset_s=t_offset_s + off,
                               cues_after_s=cues_after_s - off, **kw)
        parts.append(_shifted(rep, off))
    return ActivityReport([e for p in parts for e in p.exercises], sum(p.reps_total for p in parts),
                          [r for p in parts for r in p.rep_events], [c for p in parts for c in p.form_cues],
                          [f for p in parts for f in p.falls], np.concatenate([p.frame_labels for p in parts]))


def check_cuts(cuts: object, n: int) -> list[int]:
    """``cuts`` (None, or a list, tuple or array of integer frame indices, increasing, in
    [1, n - 1]) as a list.

    Raises:
        InvalidInputError: anything else."""
    if cuts is None:
        return []
    ok = isinstance(cuts, (list, tuple, range, np.ndarray)) and all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in cuts)
    out = [int(c) for c in cuts] if ok else []  # type: ignore[union-attr]
    if not ok or any(not 1 <= c <= n - 1 for c in out) or any(b <= a for a, b in zip(out, out[1:])):
        raise InvalidInputError(f"cuts must be strictly increasing frame indices in [1, {n - 1}] "
                                f"(where a new shot begins), got {cuts!r}")
    return out


def input_body13(keypoints: np.ndarray, layout: str = "blazepose33",
                 image_size: tuple[int, int] | None = None) -> np.ndarray:
    """Any estimator's keypoints -> BODY13 (T, 13, 3) in one frame of reference, as
    :func:`analyze_keypoints` reads them: coordinates normalised by ``image_size`` are scaled back
    to pixels (without it, such input is warned about: the aspect ratio is lost); per-frame min-max
    normalised input is recognised (with an :class:`InputWarning`), and a joint at its box's (0, 0)
    corner is kept. Input centred per frame on a joint is recognised too (warned), and each
    frame's lowest joint is put on one floor line, which brings back the hips' height above the
    feet (:mod:`posekit.activity.boxnorm`).

    Raises:
        InvalidInputError: wrong shape or layout, bad ``image_size``, or no frame with coordinates.
    """
    return _input_body13(keypoints, layout, image_size)[0]


def _input_body13(keypoints: np.ndarray, layout: str = "blazepose33",
                  image_size: tuple[int, int] | None = None) -> tuple[np.ndarray, bool]:
    """:func:`input_body13`, and whether the input keeps the body's place and size from frame to
    frame (False when min-max normalised per frame), which fall detection needs to know."""
    if image_size is not None:
        ok = (isinstance(image_size, (tuple, list)) and len(image_size) == 2
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in image_size))
        if not ok:
            raise InvalidInputError(f"image_size must be (width, height) with positive numbers, got {image_size!r}")
    body = to_body13(keypoints, layout)  # validates the array first
    conf = np.asarray(keypoints, dtype=np.float64)[..., -1]
    if np.shape(keypoints)[-1] in (3, 4) and np.isfinite(conf).any() and not (
            np.nanmin(conf) >= 0.0 and np.nanmax(conf) <= 1.0):
        warnings.warn(f"keypoints[..., {np.shape(keypoints)[-1] - 1}] is read as a confidence in [0, 1] but holds "
                      f"{np.nanmin(conf):.3g} to {np.nanmax(conf):.3g} (clipped to [0, 1]): if it is depth (x, y, z), "
                      "pass keypoints[..., :2], or (x, y, z, confidence)", InputWarning, stacklevel=3)
    boxed = box_normalised(keypoints)
    if boxed is not None:  # each frame min-max normalised to the body's box: no image size undoes it
        warnings.warn(box_normalised_message(boxed), InputWarning, stacklevel=3)
        body = to_body13(keypoints, layout, zero_joints_missing=False)  # (0, 0) is a corner of the box
    if np.isnan(body[..., :2]).all():
        raise InvalidInputError("keypoints has no frame with coordinates (all NaN or zero)")
    centred = frame_centred(body) if boxed is None else None
    if centred is not None:  # root-relative: shape and size kept, travel across the picture lost
        warnings.warn(frame_centred_message(centred), InputWarning, stacklevel=3)
    inverted = upside_down(body)
    if inverted is not None:  # y pointing up: every upright body stands on its head
        warnings.warn(upside_down_message(inverted), InputWarning, stacklevel=3)
    image_normalised = boxed is None and np.nanmax(np.abs(body[..., :2])) <= IMAGE_NORMALISED_MAX
    if image_normalised and image_size is None:  # the aspect ratio is lost unless the video was square
        warnings.warn(IMAGE_NORMALISED_WARNING.format(lim=IMAGE_NORMALISED_MAX), InputWarning, stacklevel=3)
    if image_normalised and image_size is not None:
        body = body.copy()  # normalised by the image size: back to pixels
        body[..., 0] *= image_size[0]
        body[..., 1] *= image_size[1]
    if centred is not None:  # each frame's lowest joint on one floor line: the hips' height comes back
        body = body.copy()
        with np.errstate(all="ignore"):  # frames without joints stay NaN
            body[..., 1] -= np.fmax.reduce(body[..., 1], axis=1)[:, None]
    return body, boxed is None


def analyze_keypoints(keypoints: np.ndarray, fps: float | None, layout: str = "blazepose33",
                      rep_options: RepOptions | None = None, fall_options: FallOptions | None = None,
                      form_options: FormOptions | None = None, activity_model: str | Path | None = None,
                      classify: bool = True, exercise: str | None = None,
                      image_size: tuple[int, int] | None = None,
                      cuts: list[int] | tuple[int, ...] | np.ndarray | None = None,
                      timestamps_ms: list[float] | np.ndarray | None = None) -> ActivityReport:
    """Exercise segments, repetitions, form cues and falls in a keypoint sequence from any pose estimator.

    Args:
        keypoints: (T, K, 2|3|4|5) in pixels or normalised coordinates: (x, y), (x, y, conf),
            (x, y, z, conf), or MediaPipe Tasks' (x, y, z, visibility, presence); missing frames
            as NaN or all-zero rows. K must match ``layout``.
        fps: frame rate of the sequence (None with ``timestamps_ms``: their mean rate).
        layout: 'blazepose33', 'coco17', 'penn13', 'body13', 'lsp14', or OpenPose's 'body25' and
            'openpose18' (``posekit.keypoints.LAYOUTS``).
        activity_model: bundled classifier name or .tflite path; None = the bundled default.
        classify: False skips the exercise classifier (generic 'exercise' segments, no form cues).
        exercise: the exercise, when known (e.g. chosen by the user): overrides the classifier's
            exercise labels (the classifier still informs fall detection).
        image_size: (width, height) of the source video when the coordinates are normalised by
            image size (as MediaPipe's are): restores the true aspect ratio, which angles and the
            "lying = wider than tall" test need. Ignored for pixel coordinates. Without it,
            coordinates that all lie within 2 of 0 are read on one scale, with an InputWarning.
        cuts: frame indices where the video cuts to a new shot (an edited video; where
            ``PoseResult.shot`` counts up): each shot is analysed on its own, so no rep or fall
            spans a cut (:func:`~posekit.activity.report.analyse_shots`).
        timestamps_ms: each frame's time, for video whose frame rate varies (phones record so in
            low light) or that dropped frames: the frames are resampled to their mean rate first
            (:func:`~posekit.activity.features.regular_frames`), so that speeds, rep times and
            fall onsets are right; ``frame_labels`` stay one per given frame.

    Raises:
        InvalidInputError: wrong shape, unknown layout, bad fps, bad cuts, bad timestamps (or an
            fps they contradict), or no usable frame.
        ModelError: ``activity_model`` cannot be loaded.

    Example:
        >>> report = posekit.analyze_keypoints(kps, fps=30)   # doctest: +SKIP
        >>> report.reps_total, [f.onset_s for f in report.falls]
    """
    if exercise is not None and exercise not in EXERCISES:
        raise InvalidInputError(f"exercise must be one of {list(EXERCISES)} or None (classify), got {exercise!r}")
    body, positions = _input_body13(keypoints, layout, image_size)
    nearest = None
    if timestamps_ms is not None:
        ts = check_timestamps(timestamps_ms, len(body))
        mean_fps = (len(ts) - 1) * 1000.0 / (ts[-1] - ts[0]) if len(ts) > 1 else 30.0
        if fps is not None and abs(check_fps(fps) / mean_fps - 1) > 0.1:
            raise InvalidInputError(f"fps {fps!r} contradicts timestamps_ms, whose mean rate is {mean_fps:.2f} fps: "
                                    "pass fps=None (or the timestamps' rate)")
        fps = mean_fps if fps is None or len(ts) < 2 else fps
        regular = regular_frames(body, ts / 1000.0)
        if regular is not None:
            body, fps, nearest = regular
            if cuts is not None:
                cuts = sorted({int(nearest[c]) for c in check_cuts(cuts, len(body))} - {0})
    check_fps(fps)
    cut_at = check_cuts(cuts, len(body))
    clf = None
    if classify:
        clf = ActivityClassifier(activity_model) if activity_model is not None else bundled_classifier()
    rep = analyse_shots(body, fps, cut_at, rep_opts=rep_options or RepOptions(),
                        fall_opts=fall_options or FallOptions(), classifier=clf,
                        form_opts=form_options or FormOptions(), exercise=exercise, positions=positions)
    return rep if nearest is None else dataclasses.replace(rep, frame_labels=rep.frame_labels[nearest])
