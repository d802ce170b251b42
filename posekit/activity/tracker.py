"""Streaming activity analysis for :class:`posekit.Session` with bounded latency."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..keypoints import NUM_KEYPOINTS
from ..types import PoseResult
from .classifier import MODEL_RATE, ActivityClassifier, ClassifierOptions
from .exercises import FormOptions
from .falls import FallEvent, FallOptions
from .features import regular_frames, to_body13
from .labels import EXERCISES
from .report import RepEvent, analyse_shots
from .reps import RepOptions


#: A new track's first poses come from the acquisition crop and swing into place over a few frames
#: (a person on the floor first looks upright, then "tips over"): the activity layer skips them.
SETTLE_FRAMES = 8
#: Seconds from the buffer's start inside which a rep's reading becomes final (see ``_analyse``).
FREEZE_S = 1.0


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


def _unmatched(reps: list[RepEvent], readings: list[RepEvent], bottom_tol: float) -> list[RepEvent]:
    """The ``reps`` that no reading holds, each reading holding at most one rep (closest bottoms
    first): a long cycle read where two reps were sent holds one of them, not both."""
    pairs = sorted((abs(a.bottom_s - b.bottom_s), i, j) for i, a in enumerate(reps)
                   for j, b in enumerate(readings) if _same_rep(a, b, bottom_tol))
    held: set[int] = set()
    used: set[int] = set()
    for _, i, j in pairs:
        if i not in held and j not in used:
            held.add(i)
            used.add(j)
    return [a for i, a in enumerate(reps) if i not in held]


class ActivityTracker:
    """Keeps a sliding buffer of poses and re-analyses it every ``every`` frames.

    Events (reps, falls) are emitted once, usually within ``every`` frames + the detector's own
    confirmation delay (rep: end of the cycle; fall: ``FallOptions.confirm_s``) after they happen;
    a rep that only a later reading finds, with more of the set in view, is sent then (WorkoutTracker
    from pixels: median 0.42 s after a rep's end, 0.77 of reps within 1 s, 90th percentile 2.7 s).
    The rep count (``reps`` in each update, and :meth:`summary`) is the latest analysis's reading
    of the buffer plus the reps that have left it, so it can be revised when more context arrives
    (a "rep" read from the first second of a stream is often getting into position): a rep sent in
    ``new_reps`` that two later readings in a row (or the flush) no longer hold comes back once in
    ``withdrawn_reps``, and is counted until then. A
    rep's form cues are sent with its first reading, once (a later reading may move its bottom). Call
    :meth:`flush` at the end of a stream: a stream shorter than ``window_s`` then reads exactly as
    :func:`~posekit.activity.analyze_keypoints` reads the same poses (with their
    ``timestamps_ms``). Frames that come unevenly (a variable frame rate, dropped frames) are read
    on their timestamps (:func:`~posekit.activity.features.regular_frames`).

    The exercise classifier runs on the stream's new windows only (earlier windows' probabilities
    are cached), so its cost per frame is one window per :data:`~posekit.activity.classifier.STRIDE`
    model frames.

    Args:
        window_s: buffer length; the offline analysis runs on this window.
        every: re-analysis period in frames (cost/latency trade-off: 20 frames = 0.67 s at 30 FPS,
            about 0.5 ms per frame amortised with a 20 s window).
        activity_model: bundled classifier name or .tflite path; None = the bundled default (if
            any); False = no classifier (generic exercise segments, no form cues).
        exercise: fix the exercise (e.g. chosen in an app) instead of classifying it.
    """

    def __init__(self, window_s: float = 20.0, every: int = 20, rep_options: RepOptions | None = None,
                 fall_options: FallOptions | None = None, form_options: FormOptions | None = None,
                 activity_model: str | os.PathLike[str] | bool | None = None, exercise: str | None = None,
                 classifier_options: ClassifierOptions | None = None) -> None:
        from ..errors import InvalidInputError
        from ..runtime import bundled_model_names

        if exercise is not None and exercise not in EXERCISES:
            raise InvalidInputError(f"exercise must be one of {list(EXERCISES)} or None (automatic), got {exercise!r}")
        self.window_s, self.every = window_s, every
        self.rep_options = rep_options or RepOptions()
        self.fall_options = fall_options or FallOptions()
        self.form_options = form_options or FormOptions()
        self.classifier_options = classifier_options or ClassifierOptions()
        self.exercise = exercise
        self.classifier: ActivityClassifier | None = None
        if activity_model is not False and (activity_model is not None or bundled_model_names("activity")):
            # Its own interpreter: a tracker may live on a worker thread.
            self.classifier = ActivityClassifier(None if activity_model in (None, True) else activity_model)
        self.reset()

    def reset(self) -> None:
        self._pending: list[np.ndarray] = []  # raw (33, 3) rows since the last analysis
        self._body = np.zeros((0, 13, 3))  # the buffer as BODY13 rows (converted once per row)
        self._ts: list[int] = []
        self._shots: list[int] = []  # each buffered frame's shot (``PoseResult.shot``; carried over a frame without a pose)
        self._n = 0
        # Reps: those whose start has left the buffer's reliable part are final (``_frozen``); the
        # rest are the latest analysis's reading of the buffer (``_window``), which a later
        # analysis with more context may revise (a first-second "rep" that was the person getting
        # into position is withdrawn). A short stream, flushed, reads exactly as offline.
        self._frozen: list[RepEvent] = []
        self._window: list[RepEvent] = []
        self._sent: list[RepEvent] = []  # reps sent as ``new_reps`` whose time is still in the buffer
        self._unseen: list[RepEvent] = []  # sent reps the latest reading lacks (withdrawn if the next lacks them too)
        self._falls: list[FallEvent] = []
        self._last_rep_bottom = -1.0
        self._last_fall = -1e9
        self._t0: int | None = None
        self._cues: list[dict[str, Any]] = []
        self._last_cue_t = -1.0
        self._cache: dict[int, np.ndarray] = {}
        self._label = "other"
        self._flushed_at = -1

    def update(self, pose: PoseResult | None, timestamp_ms: int, shot: int | None = None) -> dict[str, Any]:
        """Add one frame's pose (None: no person) and return the live state: ``label`` (the
        current activity), ``reps`` (the count so far), ``new_reps`` and ``withdrawn_reps`` (rep
        dicts sent or taken back at this frame), ``new_falls``, ``new_cues``, ``last_cue``, and
        ``fall`` (a fall within the last 10 s).

        ``shot``: the frame's shot in an edited video (``PoseTracker.shot``, which ``Session``
        passes): shots are analysed apart. None: the pose's own ``shot``, or the previous frame's
        when there is no pose (a cut is then seen at the next pose)."""
        if self._t0 is None:
            self._t0 = timestamp_ms
        row = np.full((NUM_KEYPOINTS, 3), np.nan)
        if settled(pose):
            row[:, :2] = pose.xy
            row[:, 2] = pose.conf
        self._pending.append(row)
        self._ts.append(timestamp_ms)
        if shot is None:
            shot = pose.shot if pose is not None else self._shots[-1] if self._shots else 0
        self._shots.append(int(shot))
        self._n += 1
        events: tuple[list, list, list, list] = ([], [], [], [])
        if self._n % self.every == 0 and len(self._ts) >= 15:
            events = self._analyse()
        return self._result(timestamp_ms, *events)

    def flush(self) -> dict[str, Any]:
        """End of stream: analyse the frames that arrived since the last analysis (up to
        ``every - 1``), so that a rep or fall in the last moments is reported, and return what
        :meth:`update` returns. Call it once when the video or camera ends, before :meth:`summary`;
        the stream may go on afterwards."""
        if not self._ts:
            return self._result(0, [], [], [], [])
        events: tuple[list, list, list, list] = ([], [], [], [])
        if len(self._ts) >= 15 and self._flushed_at != self._n:  # also re-reads deferred falls
            # Window probabilities cached mid-stream were computed on a shorter buffer (its own
            # normalisation); the last reading recomputes them over the whole buffer (~40 windows
            # for 20 s, a few ms once), as an offline analysis of the same poses does.
            self._cache.clear()
            events = self._analyse(final=True)
            self._flushed_at = self._n
        return self._result(self._ts[-1], *events)

    def _result(self, timestamp_ms: int, new_reps: list[RepEvent], withdrawn: list[RepEvent],
                new_falls: list[FallEvent], new_cues: list[dict[str, Any]]) -> dict[str, Any]:
        label = self._label
        reps = self._reps  # sorted once per frame
        if self._recent_fall(timestamp_ms):
            label = "fall"
        elif reps and (timestamp_ms - self._t0) / 1000.0 - reps[-1].end_s < 5.0 and label not in EXERCISES:
            label = reps[-1].exercise  # between reps of a set
        return {"label": label, "reps": sum(r.quality == "full" for r in reps),
                "new_reps": [r.to_dict() for r in new_reps], "withdrawn_reps": [r.to_dict() for r in withdrawn],
                "new_falls": [f.to_dict() for f in new_falls],
                "new_cues": new_cues, "last_cue": self._cues[-1] if self._cues else None,
                "fall": self._recent_fall(timestamp_ms)}

    def _recent_fall(self, ts: int) -> bool:
        return bool(self._falls) and bool((ts - self._t0) / 1000.0 - self._falls[-1].impact_s < 10.0)

    def _analyse(self, final: bool = False
                 ) -> tuple[list[RepEvent], list[RepEvent], list[FallEvent], list[dict[str, Any]]]:
        ts = np.asarray(self._ts, dtype=np.float64)
        span = (ts[-1] - ts[0]) / 1000.0
        fps = (len(ts) - 1) / span if span > 0 else 30.0
        if self._pending:
            self._body = np.concatenate([self._body, to_body13(np.stack(self._pending), "blazepose33")])
            self._pending = []
        offset = (ts[0] - self._t0) / 1000.0
        cuts = (np.flatnonzero(np.diff(self._shots)) + 1).tolist()
        body = self._body
        regular = regular_frames(body, (ts - ts[0]) / 1000.0)  # a variable frame rate, dropped frames
        if regular is not None:
            body, fps, nearest = regular
            cuts = sorted({int(nearest[c]) for c in cuts} - {0})
        rep = analyse_shots(body, fps, cuts, rep_opts=self.rep_options, fall_opts=self.fall_options,
                            classifier=self.classifier, form_opts=self.form_options,
                            classifier_opts=self.classifier_options, cache=self._cache, t_offset_s=offset,
                            exercise=self.exercise,
                            cues_after_s=max(self._last_cue_t, self._last_rep_bottom) - offset + 0.1)
        buffer_end_s = (len(self._body) - 1) / fps
        self._label = str(rep.frame_labels[-1]) if len(rep.frame_labels) else "other"
        # Re-analysis of an overlapping buffer finds the same rep again with slightly moved
        # boundaries: a rep is the same as one already known when their bottoms are close.
        tol = 0.5 * self.rep_options.min_cycle_s
        # A rep whose bottom lies before the end of the last final rep is that rep read again.
        final_until = self._frozen[-1].end_s if self._frozen else -np.inf
        found = [RepEvent(r.end_s + offset, r.exercise, r.quality, r.start_s + offset, r.bottom_s + offset,
                          r.end_s + offset) for r in rep.rep_events if r.bottom_s + offset > final_until]
        # A reading of a rep already sent (its bottom can move by half a second between readings
        # of a flat-bottomed squat, its start and end hardly) is not sent again, nor are its cues.
        new_reps = _unmatched(found, self._sent, tol)
        # A rep sent earlier that two readings in a row no longer hold (e.g. getting into
        # position, seen again with more of the set), or the stream's last reading, is withdrawn:
        # ``reps`` no longer counts it. One reading alone can miss a whole set (a push-up video
        # read 3 reps for one analysis between readings of 18).
        # Matching is one to one, so that the reps sent always add up to the count.
        unseen = _unmatched(self._sent, found + self._frozen, tol)
        withdrawn = unseen if final else [k for k in unseen if k in self._unseen]
        self._unseen = [k for k in unseen if k not in withdrawn]
        self._sent = [k for k in self._sent if k not in withdrawn] + new_reps
        self._window = found
        if found:
            self._last_rep_bottom = max(self._last_rep_bottom, found[-1].bottom_s)
        new_cues = []
        for c in rep.form_cues:
            t = c["t_s"] + offset
            of_rep = [r for r in found if abs(r.bottom_s - t) < 2e-3]  # a rep's cues sit at its bottom
            if of_rep and not any(r in new_reps for r in of_rep):
                continue
            if of_rep or t > self._last_cue_t + 0.25:  # (plank cues belong to no rep)
                new_cues.append({**c, "t_s": round(t, 3)})
        if new_cues:
            self._last_cue_t = max(c["t_s"] for c in new_cues)
        self._cues.extend(new_cues)
        # Drop cached window probabilities older than the buffer.
        first_key = int(offset * MODEL_RATE) - 1
        self._cache = {k: v for k, v in self._cache.items() if k >= first_key}
        new_falls = []
        for f in rep.falls:
            on = f.onset_s + offset
            # Mid-stream, a fall waits until the buffer holds its whole confirmation time after
            # impact (the detector would accept a shorter lying tail at the end of data, and the
            # floor-exercise veto reads that time); at the stream's end (``flush``) it need not.
            if not final and f.impact_s + self.fall_options.confirm_s > buffer_end_s:
                continue
            if on > self._last_fall + 5.0:
                ev = FallEvent(on, f.impact_s + offset, f.confidence)
                new_falls.append(ev)
                self._last_fall = on
        self._falls.extend(new_falls)
        # Trim the buffer to the window.
        keep = ts >= ts[-1] - self.window_s * 1000.0
        if not keep.all():
            first = int(np.argmax(keep))
            self._body, self._ts, self._shots = self._body[first:], self._ts[first:], self._shots[first:]
            # A rep that starts within FREEZE_S of the new buffer start would be cut by the next
            # analysis: this analysis, which saw it whole, has the last word.
            start_s = (self._ts[0] - self._t0) / 1000.0
            self._frozen += [r for r in self._window if r.start_s < start_s + FREEZE_S]
            self._window = [r for r in self._window if r.start_s >= start_s + FREEZE_S]
            self._sent = [r for r in self._sent if r.end_s >= start_s]
            self._unseen = [r for r in self._unseen if r.end_s >= start_s]
        return new_reps, withdrawn, new_falls, new_cues

    @property
    def _reps(self) -> list[RepEvent]:
        return sorted(self._frozen + self._window + self._unseen, key=lambda r: r.start_s)

    def summary(self) -> dict[str, Any]:
        reps = self._reps
        counted = [r for r in reps if r.quality == "full"]
        segs: list[dict[str, Any]] = []
        for r in reps:
            if segs and r.start_s - segs[-1]["end_s"] <= 6.0 and r.exercise == segs[-1]["label"]:
                segs[-1]["end_s"] = round(r.end_s, 3)
                segs[-1]["reps"] += r.quality == "full"
            else:
                segs.append({"label": r.exercise, "start_s": round(r.start_s, 3), "end_s": round(r.end_s, 3),
                             "reps": int(r.quality == "full")})
        return {"exercises": segs, "reps_total": len(counted), "rep_events": [r.to_dict() for r in reps],
                "form_cues": list(self._cues), "falls": [f.to_dict() for f in self._falls]}
