"""The activity engine: a sliding buffer of poses, read again every few frames, turned into events.

Live (:class:`posekit.Session`, the demo app, ``posekit run``) and offline
(:func:`posekit.analyze_keypoints`, ``posekit analyze``) both run this engine, so the same poses
with the same timestamps give the same reps, cues, falls and sets whichever way they come in.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputWarning, InvalidInputError
from ..keypoints import NUM_KEYPOINTS, Keypoint
from ..runtime import bundled_model_names
from ..threads import OneThread
from .analysis import analyse_shots
from .body import HIP, SH, regular_frames, to_body13
from .classifier import MODEL_RATE, ActivityClassifier
from .labels import EXERCISES
from .options import ClassifierOptions, FallOptions, FormOptions, RepOptions
from .phase import MODEL_NAME as PHASE_MODEL
from .phase import PhaseModel
from .results import (Activity, ActivityFrame, ActivityReport, ExerciseSegment, FallEvent, FormCue, RepEvent,
                      RepQuality, StillDownEvent)

if TYPE_CHECKING:
    from ..types import PoseResult


#: A new track's first poses come from the acquisition crop and swing into place over a few frames
#: (a person on the floor first looks upright, then "tips over"): the activity layer skips them.
SETTLE_FRAMES = 8
#: After a fall, seconds upright that count as up again (no "still down" follow-up then).
UP_AGAIN_S = 1.0
#: Seconds from the buffer's start inside which a rep's reading becomes final (see ``_analyse``).
FREEZE_S = 1.0
#: Two readings' falls whose onsets lie this close (seconds) are the same fall.
FALL_SAME_S = 1.0
ACTIVITY_NAMES = frozenset(a.value for a in Activity)


def settled(pose: PoseResult | None) -> bool:
    """True when ``pose`` is usable for activity analysis: present and past a new track's first
    :data:`SETTLE_FRAMES` frames (poses without a ``track_age`` count as settled)."""
    return pose is not None and (pose.track_age is None or pose.track_age >= SETTLE_FRAMES)


def _same_rep(a: RepEvent, b: RepEvent, bottom_tol: float) -> bool:
    """Two readings of one repetition: bottoms within ``bottom_tol`` s, or the spans overlap by
    more than half of the shorter one (neighbouring reps share at most a boundary)."""
    overlap = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
    shorter = min(a.end_s - a.start_s, b.end_s - b.start_s)
    return abs(a.bottom_s - b.bottom_s) < bottom_tol or overlap > 0.5 * shorter


def _pairs(reps: list[RepEvent], readings: list[RepEvent], bottom_tol: float) -> dict[int, int]:
    """Which reading holds each of the ``reps`` (index -> index), each reading holding at most one
    rep (closest bottoms first): a long cycle read where two reps were sent holds one of them, not
    both."""
    pairs = sorted((abs(a.bottom_s - b.bottom_s), i, j) for i, a in enumerate(reps)
                   for j, b in enumerate(readings) if _same_rep(a, b, bottom_tol))
    held: dict[int, int] = {}
    used: set[int] = set()
    for _, i, j in pairs:
        if i not in held and j not in used:
            held[i] = j
            used.add(j)
    return held


def _after_final(readings: list[RepEvent], final: list[RepEvent], bottom_tol: float) -> list[RepEvent]:
    """The ``readings`` that are not a ``final`` rep (one that left the buffer's re-analysis, whose
    reading has the last word) read again: none whose bottom lies before the last final rep's end,
    and none that is one of them (:func:`_same_rep`) with its bottom moved past that end (a partial
    rep frozen as read, then read whole: counting both counted one rep twice, with one event)."""
    if not final:
        return readings
    after = [r for r in readings if r.bottom_s > final[-1].end_s]
    again = _pairs(after, final, bottom_tol)
    return [r for i, r in enumerate(after) if i not in again]


def _unmatched(reps: list[RepEvent], readings: list[RepEvent], bottom_tol: float) -> list[RepEvent]:
    """The ``reps`` that no reading holds (:func:`_pairs`)."""
    held = _pairs(reps, readings, bottom_tol)
    return [a for i, a in enumerate(reps) if i not in held]


def earliest_reading(onset_s: float, impact_s: float, earlier: list[tuple[float, float]]) -> tuple[float, float]:
    """The (onset, impact) of a fall as the reading with the earliest impact saw it, among this
    reading's and the ``earlier`` readings' of the same fall (onsets within :data:`FALL_SAME_S`).
    Onset and impact come from one reading: an impact taken alone from an earlier reading can lie
    before this reading's onset."""
    same = [(o, i) for o, i in earlier if abs(o - onset_s) <= FALL_SAME_S]
    return min([(onset_s, impact_s)] + same, key=lambda pair: pair[1])


class ActivityTracker:
    """The activity engine for one stream: keeps a sliding buffer of poses and reads it again every
    ``every`` frames.

    Events (reps, falls) are emitted once, usually within ``every`` frames + the detector's own
    confirmation delay (rep: end of the cycle; fall: ``FallOptions.confirm_s``, or
    ``sure_confirm_s`` for a fall the detector is sure of, at the first frame after it: a fall
    found short of it has the buffer read again then) after they happen;
    a rep that only a later reading finds, with more of the set in view, is sent then. The rep
    count (``ActivityFrame.reps``, :meth:`summary`) is the latest reading of the buffer plus the
    reps that have left it, so it can be revised when more context arrives (a "rep" read from the
    first second of a stream is often getting into position): a rep sent in ``new_reps`` that two
    later readings in a row (or the flush) no longer hold comes back once in ``withdrawn_reps``,
    and is counted until then. A rep's form cues are sent with its first reading, once. Call
    :meth:`flush` at the end of a stream. Frames that come unevenly (a variable frame rate,
    dropped frames) are read on their timestamps.

    The exercise classifier runs on the stream's new windows only (earlier windows' probabilities
    are cached), so its cost per frame is one window per
    :data:`~posekit.activity.classifier.STRIDE` model frames.

    One tracker serves one stream on one thread at a time (it owns an interpreter).

    Args:
        window_s: buffer length in seconds, in [2, 600].
        every: re-analysis period in frames, in [1, 1000] (cost/latency trade-off: 20 frames =
            0.67 s at 30 FPS).
        rep_options, fall_options, form_options, classifier_options: the engine's thresholds.
        activity_model: bundled classifier name, .tflite path or loaded
            :class:`~posekit.activity.classifier.ActivityClassifier`; None = the bundled default
            (if any); False = no classifier (generic exercise segments, no form cues).
        exercise: fix the exercise (e.g. chosen in an app) instead of classifying it.
        phase_model: the rep phase model (:mod:`posekit.activity.phase`) that names and counts
            the exercises it knows: bundled name, .tflite path or loaded
            :class:`~posekit.activity.phase.PhaseModel`; None = the bundled one (if any, and if
            ``activity_model`` is not False); False = none (each exercise counted on the movement
            of its body parts alone).

    Raises:
        InvalidInputError: an argument outside what is allowed.
    """

    def __init__(self, *, window_s: float = 20.0, every: int = 20, rep_options: RepOptions | None = None,
                 fall_options: FallOptions | None = None, form_options: FormOptions | None = None,
                 classifier_options: ClassifierOptions | None = None,
                 activity_model: str | os.PathLike[str] | ActivityClassifier | bool | None = None,
                 exercise: str | None = None,
                 phase_model: str | os.PathLike[str] | PhaseModel | bool | None = None) -> None:
        if isinstance(window_s, bool) or not isinstance(window_s, Real) or not 2.0 <= float(window_s) <= 600.0:
            raise InvalidInputError(f"window_s must be a number of seconds in [2, 600], got {window_s!r}")
        if isinstance(every, bool) or not isinstance(every, Integral) or not 1 <= int(every) <= 1000:
            raise InvalidInputError(f"every must be an int in [1, 1000] (frames between readings), got {every!r}")
        for name, value, kind in (("rep_options", rep_options, RepOptions), ("fall_options", fall_options, FallOptions),
                                  ("form_options", form_options, FormOptions),
                                  ("classifier_options", classifier_options, ClassifierOptions)):
            if value is not None and not isinstance(value, kind):
                raise InvalidInputError(f"{name} must be a posekit.activity.{kind.__name__} or None, "
                                        f"got {type(value).__name__}")
        self.window_s, self.every = float(window_s), int(every)
        self.rep_options = rep_options or RepOptions()
        self.fall_options = fall_options or FallOptions()
        self.form_options = form_options or FormOptions()
        self.classifier_options = classifier_options or ClassifierOptions()
        self.exercise = check_exercise(exercise)
        self.classifier: ActivityClassifier | None = None
        if isinstance(activity_model, ActivityClassifier):
            self.classifier = activity_model
        elif activity_model is not False and (activity_model is not None or bundled_model_names("activity")):
            if not isinstance(activity_model, (str, os.PathLike)) and activity_model not in (None, True):
                raise InvalidInputError("activity_model must be a bundled model name, a .tflite path, an "
                                        f"ActivityClassifier, None or False, got {activity_model!r}")
            self.classifier = ActivityClassifier(None if activity_model in (None, True) else activity_model)
        # The rep phase model names and counts the exercises it knows; by default, with the
        # classifier off (generic sets), it is off too.
        self.phase_model: PhaseModel | None = None
        if isinstance(phase_model, PhaseModel):
            self.phase_model = phase_model
        elif isinstance(phase_model, (str, os.PathLike)):
            self.phase_model = PhaseModel(phase_model)
        elif phase_model is None:
            if activity_model is not False and PHASE_MODEL in bundled_model_names():
                self.phase_model = PhaseModel()
        elif phase_model is not False:
            raise InvalidInputError("phase_model must be a bundled model name, a .tflite path, a PhaseModel, None or "
                                    f"False, got {phase_model!r}")
        # How rows come in: (33, 3) BlazePose rows from :meth:`update`, converted to BODY13 in
        # blocks; :func:`~posekit.analyze_keypoints` feeds BODY13 rows it has read itself.
        self._raw_rows = True
        # False for keypoints min-max normalised per frame (no place or size from frame to frame).
        self._positions = True
        self._guard = OneThread("this ActivityTracker")
        self.reset()

    def reset(self) -> None:
        """Forget the stream: the next frame starts a new one."""
        self._pending: list[np.ndarray] = []  # rows since the last reading
        self._body = np.zeros((0, 13, 3))  # the buffer as BODY13 rows (converted once per row)
        self._ts: list[float] = []  # ms since the stream's first frame
        self._shots: list[int] = []  # each buffered frame's shot (``PoseResult.shot``; carried over a frame without a pose)
        self._n = 0
        # Reps: those whose start has left the buffer's reliable part are final (``_frozen``); the
        # rest are the latest reading of the buffer (``_window``), which a later reading with more
        # context may revise (a first-second "rep" that was the person getting into position is
        # withdrawn).
        self._frozen: list[RepEvent] = []
        self._window: list[RepEvent] = []
        self._sent: list[RepEvent] = []  # reps sent as ``new_reps`` whose time is still in the buffer
        self._unseen: list[RepEvent] = []  # sent reps the latest reading lacks (withdrawn if the next lacks them too)
        self._holds: list[ExerciseSegment] = []  # planks held (sets without reps)
        self._falls: list[FallEvent] = []
        self._fall_due: float | None = None  # s: when the buffer will hold a deferred fall's confirmation time
        # Deferred falls as (onset, impact) in stream seconds: a later reading's impact may move,
        # and a sure fall's wait runs from the earliest one read (see _analyse).
        self._deferred: list[tuple[float, float]] = []
        self._last_rep_bottom = -1.0
        self._last_fall = -1e9
        self._t0: int | float | None = None
        self._last_t: float | None = None
        self._cues: list[FormCue] = []
        self._last_cue_t = -1.0
        self._cache: dict[int, np.ndarray] = {}
        self._label = "other"
        self._probs: dict[str, float] | None = None
        self._flushed_at = -1
        self._warned_clock = False
        self._still_down: list[StillDownEvent] = []
        self._down: FallEvent | None = None  # the fall whose person has not been seen up again yet
        self._up_since: float | None = None  # seconds: upright since then (after ``_down``'s impact)

    def update(self, pose: PoseResult | None, timestamp_ms: int | float, shot: int | None = None) -> ActivityFrame:
        """Add one frame's pose (None: no person) and return the activity at this frame.

        Args:
            pose: the frame's pose, or None.
            timestamp_ms: the frame's time in milliseconds, strictly increasing (any origin).
            shot: the frame's shot in an edited video (``PoseTracker.shot``, which ``Session``
                passes): shots are analysed apart. None: the pose's own ``shot``, or the previous
                frame's when there is no pose (a cut is then seen at the next pose).

        Raises:
            InvalidInputError: a timestamp that is not a finite number greater than the last one.
            ConcurrentUseError: another thread is inside this tracker.
        """
        with self._guard:
            return self._update(pose, timestamp_ms, shot)

    def _update(self, pose: PoseResult | None, timestamp_ms: int | float, shot: int | None) -> ActivityFrame:
        row = np.full((NUM_KEYPOINTS, 3), np.nan)
        if settled(pose):
            row[:, :2] = pose.xy
            row[:, 2] = pose.conf
        if shot is None:
            shot = pose.shot if pose is not None else self._shots[-1] if self._shots else 0
        return self._step(row, timestamp_ms, int(shot))

    def _step(self, row: np.ndarray, timestamp_ms: int | float, shot: int) -> ActivityFrame:
        if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, Real) or not math.isfinite(timestamp_ms):
            raise InvalidInputError(f"timestamp_ms must be a finite number of milliseconds, got {timestamp_ms!r}")
        if self._t0 is None:
            self._t0 = timestamp_ms
        # Relative to the stream's first frame, in exact integer arithmetic where the clock is one:
        # a stream that starts at 2**62 ms keeps its millisecond steps.
        rel = float(timestamp_ms - self._t0)
        if self._last_t is not None and rel <= self._last_t:
            raise InvalidInputError(f"timestamp_ms must increase from frame to frame, got {timestamp_ms!r} after "
                                    f"{self._t0 + self._last_t!r}; call reset() when starting a new stream")
        self._last_t = rel
        self._pending.append(row)
        self._ts.append(rel)
        self._shots.append(shot)
        self._n += 1
        events: tuple[list, list, list, list] = ([], [], [], [])
        due = self._fall_due is not None and rel / 1000.0 >= self._fall_due
        if (self._n % self.every == 0 or due) and len(self._ts) >= 15:
            events = self._analyse()
        return self._result(timestamp_ms, rel, *events, still_down=self._follow_up(row, rel / 1000.0))

    def _follow_up(self, row: np.ndarray, now_s: float) -> list[StillDownEvent]:
        """After a fall: the person up again (upright for ``UP_AGAIN_S``) ends the watch; still
        down ``FallOptions.still_down_s`` after the impact is reported once. A frame without the
        person (out of view, hidden) neither ends nor extends it."""
        down = self._down
        if down is None:
            return []
        tilt = torso_tilt(row)
        if tilt is not None and tilt < self.fall_options.upright_tilt and now_s > down.impact_s:
            self._up_since = now_s if self._up_since is None else self._up_since
            if now_s - self._up_since >= UP_AGAIN_S:
                self._down = self._up_since = None
                return []
        elif tilt is not None:
            self._up_since = None
        if now_s - down.impact_s >= self.fall_options.still_down_s:
            self._down = None
            ev = StillDownEvent(now_s, down.onset_s, down.impact_s, now_s - down.impact_s)
            self._still_down.append(ev)
            return [ev]
        return []

    def flush(self) -> ActivityFrame:
        """End of stream: read the frames that arrived since the last reading (up to
        ``every - 1``), so that a rep or fall in the last moments is reported, and return what
        :meth:`update` returns for the last frame. Call it once when the video or camera ends,
        before :meth:`summary`; the stream may go on afterwards."""
        with self._guard:
            return self._flush()

    def _flush(self) -> ActivityFrame:
        if not self._ts:
            return self._result(0, 0.0, [], [], [], [])
        events: tuple[list, list, list, list] = ([], [], [], [])
        if len(self._ts) >= 15 and self._flushed_at != self._n:  # also re-reads deferred falls
            # Window probabilities cached mid-stream were computed on a shorter buffer (its own
            # normalisation); the last reading recomputes them over the whole buffer (~40 windows
            # for 20 s, a few ms once).
            self._cache.clear()
            events = self._analyse(final=True)
            self._flushed_at = self._n
        assert self._t0 is not None and self._last_t is not None
        return self._result(self._t0 + self._last_t, self._last_t, *events)

    def _result(self, timestamp_ms: int | float, rel_ms: float, new_reps: list[RepEvent], withdrawn: list[RepEvent],
                new_falls: list[FallEvent], new_cues: list[FormCue], still_down: list[StillDownEvent] = ()
                ) -> ActivityFrame:
        label = self._label
        probs = self._probs or {}
        confidence = probs.get(label, 0.0)
        reps = self._reps  # sorted once per frame
        now_s = rel_ms / 1000.0
        fall = self._recent_fall(now_s)
        if fall:
            label, confidence = "fall", self._falls[-1].confidence
        elif reps and now_s - reps[-1].end_s < 5.0 and label not in EXERCISES:
            label = reps[-1].exercise.value  # between reps of a set
            confidence = probs.get(label, 0.0)
        # A classifier of the user's own with a class posekit does not name reads as OTHER.
        known = label in ACTIVITY_NAMES
        return ActivityFrame(timestamp_ms=timestamp_ms, label=Activity(label) if known else Activity.OTHER,
                             confidence=float(confidence) if known else 0.0,
                             reps=sum(r.quality is RepQuality.FULL for r in reps), new_reps=tuple(new_reps),
                             withdrawn_reps=tuple(withdrawn), new_cues=tuple(new_cues),
                             last_cue=self._cues[-1] if self._cues else None, new_falls=tuple(new_falls), fall=fall,
                             new_still_down=tuple(still_down))

    def _recent_fall(self, now_s: float) -> bool:
        return bool(self._falls) and bool(now_s - self._falls[-1].impact_s < 10.0)

    def _analyse(self, final: bool = False
                 ) -> tuple[list[RepEvent], list[RepEvent], list[FallEvent], list[FormCue]]:
        ts = np.asarray(self._ts, dtype=np.float64)
        span = (ts[-1] - ts[0]) / 1000.0
        # To 0.01 fps: times in whole milliseconds (as streams carry them) move a rate read off a
        # buffer's ends by less than that, and a rate that moved read the same poses differently.
        fps = round((len(ts) - 1) / span, 2) if span > 0 else 30.0
        if self._pending:
            block = np.stack(self._pending)
            self._body = np.concatenate([self._body, to_body13(block, "blazepose33") if self._raw_rows else block])
            self._pending = []
        offset = float(ts[0]) / 1000.0
        cuts = (np.flatnonzero(np.diff(self._shots)) + 1).tolist()
        body = self._body
        regular = regular_frames(body, (ts - ts[0]) / 1000.0)  # a variable frame rate, dropped frames
        if regular is not None:
            body, fps, nearest = regular
            cuts = sorted({int(nearest[c]) for c in cuts} - {0})
        # Any increasing clock is accepted live; a buffer read at under 1 or over 1,000 frames a
        # second (frames a millisecond apart, or seconds apart) is read at the nearest of the two,
        # and said once: such a clock is most likely in another unit.
        if not 1.0 <= fps <= 1000.0 and not self._warned_clock:
            step = float(np.median(np.diff(ts)))
            unit = " (microseconds?)" if 1e3 < step <= 1e6 else " (nanoseconds?)" if step > 1e6 else ""
            warnings.warn(f"timestamp_ms steps a median {step:.6g} ms from frame to frame{unit}: the activity engine "
                          "reads 1 to 1,000 frames a second; pass milliseconds", InputWarning, stacklevel=4)
            self._warned_clock = True
        fps = min(max(fps, 1.0), 1000.0)
        rep = analyse_shots(body, fps, cuts, rep_opts=self.rep_options, fall_opts=self.fall_options,
                            classifier=self.classifier, phase_model=self.phase_model, form_opts=self.form_options,
                            classifier_opts=self.classifier_options, cache=self._cache, t_offset_s=offset,
                            exercise=self.exercise, positions=self._positions,
                            cues_after_s=max(self._last_cue_t, self._last_rep_bottom) - offset + 0.1)
        buffer_end_s = (len(self._body) - 1) / fps
        self._label = str(rep.frame_labels[-1]) if len(rep.frame_labels) else "other"
        self._probs = rep.probs
        self._update_holds(rep.exercises, offset)
        # Re-analysis of an overlapping buffer finds the same rep again with slightly moved
        # boundaries: a rep is the same as one already known when their bottoms are close.
        tol = 0.5 * self.rep_options.min_cycle_s
        found = _after_final([RepEvent(r.end_s + offset, r.exercise, r.quality, r.start_s + offset,
                                       r.bottom_s + offset, r.end_s + offset) for r in rep.rep_events],
                             [r for r in self._frozen if r.end_s >= offset], tol)
        # A reading of a rep already sent (its bottom can move by half a second between readings
        # of a flat-bottomed squat, its start and end hardly) is not sent again, nor are its cues.
        held = _pairs(found, self._sent, tol)
        new_reps = [r for i, r in enumerate(found) if i not in held]
        # A rep sent as partial and now read as full (or as another exercise) is sent again as
        # read now, and its earlier reading withdrawn, so that the events always add up to the
        # count on screen. Its cues were sent with its first reading.
        revised = [(self._sent[j], found[i]) for i, j in held.items()
                   if (found[i].quality, found[i].exercise) != (self._sent[j].quality, self._sent[j].exercise)]
        # A rep sent earlier that two readings in a row no longer hold (e.g. getting into
        # position, seen again with more of the set), or the stream's last reading, is withdrawn:
        # ``reps`` no longer counts it. One reading alone can miss a whole set (a push-up video
        # read 3 reps for one analysis between readings of 18).
        # Matching is one to one, so that the reps sent always add up to the count.
        unseen = _unmatched(self._sent, found + self._frozen, tol)
        withdrawn = unseen if final else [k for k in unseen if k in self._unseen]
        self._unseen = [k for k in unseen if k not in withdrawn]
        withdrawn += [old for old, _ in revised]
        self._sent = [k for k in self._sent if k not in withdrawn] + new_reps + [now for _, now in revised]
        self._window = found
        if found:
            self._last_rep_bottom = max(self._last_rep_bottom, found[-1].bottom_s)
        new_cues = []
        for c in rep.form_cues:
            t = c.t_s + offset
            of_rep = [r for r in found if abs(r.bottom_s - t) < 2e-3]  # a rep's cues sit at its bottom
            if of_rep and not any(r in new_reps for r in of_rep):
                continue
            if of_rep or t > self._last_cue_t + 0.25:  # (plank cues belong to no rep)
                new_cues.append(dataclasses.replace(c, t_s=t))
        if new_cues:
            self._last_cue_t = max(c.t_s for c in new_cues)
        self._cues.extend(new_cues)
        # Drop cached window probabilities older than the buffer.
        first_key = int(offset * MODEL_RATE) - 1
        self._cache = {k: v for k, v in self._cache.items() if k >= first_key}
        new_falls = []
        self._fall_due = None
        deferred, self._deferred = self._deferred, []
        for f in rep.falls:
            on = f.onset_s + offset
            # Mid-stream, a fall waits until the buffer holds its whole confirmation time after
            # impact (the detector would accept a shorter lying tail at the end of data, and the
            # floor-exercise veto reads that time); at the stream's end (``flush``) it need not.
            # The buffer is read again at the first frame that completes it, not ``every`` frames on.
            # A fall the detector is sure of waits ``sure_confirm_s`` only (docs/evidence/falls.md).
            # For such a fall the wait runs from the earliest impact read for it: where the torso's
            # tilt crosses into lying moves with more of the clip, and a wait restarted at each
            # move would come ever later (URFD fall-01: impact read at 3.4 s, then 4.07 s). A fall
            # the detector is unsure of waits from its latest impact: the floor-exercise veto
            # reads what follows it (a push-up clip's false fall is vetoed so). The earliest impact
            # comes with the onset read with it: an onset from one reading and an impact from
            # another put the onset after the impact.
            wait = self.fall_options.confirm_s
            impact = f.impact_s + offset
            if f.confidence >= self.fall_options.sure_confidence:
                wait = min(wait, self.fall_options.sure_confirm_s)
                on, impact = earliest_reading(on, impact, deferred)
            if not final and impact - offset + wait > buffer_end_s:
                if on > self._last_fall + 5.0:
                    due = impact + wait
                    self._fall_due = due if self._fall_due is None else min(self._fall_due, due)
                    self._deferred.append((on, impact))
                continue
            if on > self._last_fall + 5.0:
                ev = FallEvent(on, impact, f.confidence)
                new_falls.append(ev)
                self._last_fall = on
        self._falls.extend(new_falls)
        if new_falls and self.fall_options.still_down_s > 0:
            self._down, self._up_since = new_falls[-1], None  # watch for the person getting up
        # Trim the buffer to the window.
        keep = ts >= ts[-1] - self.window_s * 1000.0
        if not keep.all():
            first = int(np.argmax(keep))
            self._body, self._ts, self._shots = self._body[first:], self._ts[first:], self._shots[first:]
            # A rep that starts within FREEZE_S of the new buffer start would be cut by the next
            # analysis: this analysis, which saw it whole, has the last word.
            start_s = self._ts[0] / 1000.0
            self._frozen += [r for r in self._window if r.start_s < start_s + FREEZE_S]
            self._window = [r for r in self._window if r.start_s >= start_s + FREEZE_S]
            self._sent = [r for r in self._sent if r.end_s >= start_s]
            self._unseen = [r for r in self._unseen if r.end_s >= start_s]
        return new_reps + [now for _, now in revised], withdrawn, new_falls, new_cues

    def _update_holds(self, readings: list[ExerciseSegment], offset: float) -> None:
        """Holds (a plank: a set without reps) as this reading sees them in the buffer, after the
        holds that began before it; a hold that runs across the buffer's start is joined to its
        reading from the buffer."""
        now = [dataclasses.replace(h, start_s=h.start_s + offset, end_s=h.end_s + offset)
               for h in readings if h.reps == 0]
        holds = [h for h in self._holds if h.start_s < offset] + now
        merged: list[ExerciseSegment] = []
        for h in sorted(holds, key=lambda h: h.start_s):
            if merged and merged[-1].label == h.label and h.start_s - merged[-1].end_s <= 2.0:
                merged[-1] = dataclasses.replace(merged[-1], end_s=max(merged[-1].end_s, h.end_s))
            else:
                merged.append(h)
        self._holds = merged

    @property
    def _reps(self) -> list[RepEvent]:
        return sorted(self._frozen + self._window + self._unseen, key=lambda r: r.start_s)

    def summary(self) -> ActivityReport:
        """Everything found so far: sets (reps of one exercise no more than 6 s apart, and holds),
        reps, cues and falls. Call :meth:`flush` first at the end of a stream."""
        reps = self._reps
        sets: list[ExerciseSegment] = []
        for r in reps:
            last = sets[-1] if sets else None
            if last is not None and r.start_s - last.end_s <= 6.0 and r.exercise == last.label:
                sets[-1] = dataclasses.replace(last, end_s=r.end_s, reps=last.reps + (r.quality is RepQuality.FULL))
            else:
                sets.append(ExerciseSegment(r.exercise, r.start_s, r.end_s, int(r.quality is RepQuality.FULL)))
        segments = sorted(sets + self._holds, key=lambda s: s.start_s)
        return ActivityReport(exercises=tuple(segments), reps_total=sum(s.reps for s in sets),
                              rep_events=tuple(reps), form_cues=tuple(self._cues), falls=tuple(self._falls),
                              still_down=tuple(self._still_down))


def torso_tilt(row: np.ndarray) -> float | None:
    """Degrees of the mid-hip -> mid-shoulder axis from upright in one frame's keypoints (a
    BlazePose-33 or BODY13 row, the layouts the engine buffers), or None without both."""
    if len(row) == NUM_KEYPOINTS:
        sh, hip = row[[Keypoint.LEFT_SHOULDER, Keypoint.RIGHT_SHOULDER], :2], row[[Keypoint.LEFT_HIP, Keypoint.RIGHT_HIP], :2]
    else:
        sh, hip = row[SH, :2], row[HIP, :2]
    up = np.nanmean(sh, 0) - np.nanmean(hip, 0) if np.isfinite(sh).any() and np.isfinite(hip).any() else None
    if up is None or not np.isfinite(up).all() or not up.any():
        return None
    return float(np.degrees(np.arctan2(abs(up[0]), -up[1])))


def check_exercise(exercise: object) -> str | None:
    """``exercise`` as a label name (an :class:`Activity` of an exercise, or its name), or None.

    Raises:
        InvalidInputError: anything else."""
    if exercise is None:
        return None
    value = exercise.value if isinstance(exercise, Activity) else exercise
    if value not in EXERCISES:
        raise InvalidInputError(f"exercise must be one of {list(EXERCISES)} or None (classified), got {exercise!r}")
    return str(value)
