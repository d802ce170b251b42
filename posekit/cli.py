"""``posekit`` command line: ``run`` (video / image / camera), ``analyze`` (keypoints), ``info``."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.resources
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import InputWarning, InvalidInputError, PosekitError
from .pipeline import Behind, StageClock, read_ahead

log = logging.getLogger("posekit")
#: Frames decoded ahead of the pipeline, and frames waiting to be drawn and encoded behind it.
QUEUE_DEPTH = 8


def sample_clip() -> Path:
    """Path of the bundled sample clip (synthetic squats then a fall)."""
    res = importlib.resources.files("posekit.data").joinpath("sample.mp4")
    with importlib.resources.as_file(res) as p:
        return Path(p)


class Progress:
    """Minimal progress bar on stderr (the runtime has no tqdm)."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total, self.enabled, self.t0, self._last = total, enabled, time.perf_counter(), 0.0

    def update(self, n: int, stages_ms: dict[str, float] | None = None) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self._last < 0.5 and n != self.total):
            return
        self._last = now
        fps = n / max(now - self.t0, 1e-9)
        if self.total:
            done = int(30 * n / self.total)
            msg = f"\r[{'#' * done}{'.' * (30 - done)}] {n}/{self.total} frames {fps:5.1f} fps"
        else:
            msg = f"\r{n} frames {fps:5.1f} fps"
        if stages_ms:  # busy ms per frame of each stage (decode, draw and encode overlap the rest)
            msg += "  ms/frame " + " ".join(f"{k} {v:.1f}" for k, v in stages_ms.items())
        sys.stderr.write(msg)
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def output_dir(value: str) -> Path:
    """``--out``: the folder, made if needed, that the command may write in.

    Raises:
        InvalidInputError: it is a file, lies under a file, or cannot be made or written to."""
    out = Path(value)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InvalidInputError(f"--out {value!r} must be a folder, but it (or a folder above it) is a file") from None
    except OSError as e:
        raise InvalidInputError(f"--out {value!r} cannot be made: {e.strerror or e}") from None
    if not out.is_dir():
        raise InvalidInputError(f"--out {value!r} must be a folder, but it is not one")
    if not os.access(out, os.W_OK | os.X_OK):
        raise InvalidInputError(f"--out {value!r} is not writable")
    return out


def _json_default(o: Any) -> Any:
    """numpy scalars and arrays in activity fields -> plain JSON values."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def run(args: argparse.Namespace) -> int:
    from . import PoseOptions, Session, SmoothingOptions
    from .draw import draw_pose, put_text
    from .video import FrameSource, VideoWriter

    source: str | int | Path
    if args.camera is not None:
        source = args.camera
    elif args.input is not None:
        source = args.input
    else:
        source = sample_clip()
        log.info("no input given: analysing the bundled sample clip %s", source)
    out = output_dir(args.out)
    # A camera does not cut between shots (its "cuts" would be lights switched on): only files look.
    opts = PoseOptions(model=args.model, num_threads=args.threads,
                       smoothing=SmoothingOptions(enabled=not args.no_smoothing), cut_detection=args.camera is None)
    activity = _activity_stage(args)
    session = Session(opts, activity=activity)
    clock = StageClock()
    n = found = 0
    writer = None
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, FrameSource(source, mirror=args.mirror) as src, \
            (out / "frames.jsonl").open("w") as jf:
        warnings.simplefilter("always", InputWarning)
        fps = src.fps or 30.0
        prog = Progress(src.frame_count, enabled=not args.quiet)

        def show(item: tuple[Any, Any]) -> None:
            """Draw and encode one frame (in the drawing thread, behind the pipeline)."""
            nonlocal writer
            frame, r = item
            t = time.perf_counter()
            # The decoded BGR frame itself (the pipeline is done with it): drawn on in place and
            # encoded as it is, no copy of the frame (a mirrored one is copied once).
            bgr = np.ascontiguousarray(frame.rgb[:, :, ::-1])
            draw_pose(bgr, r.pose, bgr=True, in_place=True)
            _hud(bgr, r, lambda img, text, org, colour=(255, 255, 255): put_text(img, text, org, colour=colour[::-1]))
            t = clock.since("draw", t)
            if src.is_image:
                import cv2

                cv2.imwrite(str(out / "annotated.png"), bgr)
            if writer is None:
                h, w = bgr.shape[:2]
                writer = VideoWriter(out / "annotated.mp4", fps if not src.is_image else 1.0, (w, h))
            writer.write_bgr(bgr)
            clock.since("encode", t)

        # Decoding runs ahead in a thread, drawing and encoding behind in another; the pipeline
        # (pose, activity) and frames.jsonl stay in this one, in frame order.
        behind = None if args.no_video else Behind(show, depth=QUEUE_DEPTH)
        shown = None  # the frame drawn next: each is drawn when the next arrives, the last after the flush
        # A camera's frames are not queued (each would be older when its turn came): one ahead.
        frames = read_ahead(src, depth=QUEUE_DEPTH if args.camera is None else 1, clock=clock)
        try:
            for frame in frames:
                if args.max_frames is not None and n >= args.max_frames:
                    break
                r = session.process(frame.rgb, frame.timestamp_ms)
                for k, v in r.timings_ms.items():  # pose, activity
                    clock.add(k, v)
                t = time.perf_counter()
                n += 1
                found += r.pose is not None
                jf.write(json.dumps(r.to_dict(), default=_json_default) + "\n")
                clock.since("write", t)
                if behind is not None:
                    if shown is not None:
                        behind.put(shown)
                    shown = (frame, r)
                prog.update(n, clock.per_frame(n))
            frames.close()
            prog.close()
            # The stream's end: the engine reads its last frames, and the last frame shows the counts
            # that summary.json will hold (a rep that ends in the final frames is counted on screen too).
            last = session.flush()
            if behind is not None:
                if shown is not None:
                    frame, r = shown
                    behind.put((frame, dataclasses.replace(r, activity=last) if last is not None else r))
                behind.close()
        except BaseException:
            if behind is not None:
                behind.abort()
            raise
    if writer is not None:
        writer.close()
    wall = time.perf_counter() - t0
    notes = [str(w.message) for w in caught if issubclass(w.category, InputWarning)]
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    summary: dict[str, Any] = {
        "input": str(source), "frames": n, "frames_with_pose": found, "fps": fps,
        "duration_s": round(n / fps, 3) if fps else 0.0,
        "processing_fps": round(n / wall, 2) if wall else 0.0,
        "timing_ms_per_frame": clock.per_frame(n),
        "model": session.tracker.model.name,
        "shots": session.tracker.shot + 1,  # hard cuts in the picture + 1 (each shot analysed apart)
        "warnings": notes,
    }
    summary.update(session.summary().to_dict())
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=_json_default))
    if n == 0:
        raise PosekitError(f"input {str(source)!r} yielded no frames")
    print(json.dumps({k: summary[k] for k in ("frames", "frames_with_pose", "processing_fps")}))
    video = "" if args.no_video else f", {out / ('annotated.png' if src.is_image else 'annotated.mp4')}"
    print(f"wrote {out / 'frames.jsonl'}, {out / 'summary.json'}{video}")
    return 0


def _activity_stage(args: argparse.Namespace) -> Any:
    from .activity import ActivityTracker

    return ActivityTracker(exercise=getattr(args, "exercise", None))


def _hud(img: np.ndarray, r: Any, put_text: Any) -> None:
    from .draw import text_scale

    line = int(round(40 * text_scale(img)))  # line height in pixels at this frame's font scale
    x, y = line // 2, line
    if r.pose is None:
        put_text(img, "no person", (x, y))
        return
    act = r.activity
    if act is not None:
        put_text(img, f"{act.label.title}  reps {act.reps}", (x, y))
        if act.fall:
            put_text(img, "FALL DETECTED", (x, y + line), colour=(255, 60, 60))


def info(args: argparse.Namespace) -> int:
    from .runtime import read_manifest

    manifest = read_manifest()
    models = manifest.get("models", {})
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    if not models:
        print("no bundled models")
        return 0
    defaults = manifest.get("defaults", {})
    print(f"{'name':28} {'task':9} {'size':>9} {'input':>16} {'quant':8} {'sha256':14} metrics")
    for name, e in sorted(models.items()):
        shape = "x".join(str(v) for v in e["inputs"][0]["shape"]) if e.get("inputs") else "?"
        star = "*" if defaults.get(e.get("task")) == name else " "
        metrics = ", ".join(f"{k}={v}" for k, v in (e.get("metrics") or {}).items())
        print(f"{star}{name:27} {e.get('task', '?'):9} {e.get('size_bytes', 0) / 1024:7.0f}kB {shape:>16} "
              f"{e.get('quantisation', '?'):8} {e.get('sha256', '')[:12]:14} {metrics}")
    print("* default for its task")
    return 0


def analyze(args: argparse.Namespace) -> int:
    from .activity import analyze_keypoints, load_frames, load_keypoints

    out = output_dir(args.out)
    fps, cuts, stamps = args.fps, None, None
    if str(args.keypoints).endswith(".jsonl"):  # a posekit run's frames: its own times and cuts
        kps, stamps, cuts = load_frames(args.keypoints)
    else:
        kps, stamps = load_keypoints(args.keypoints, args.layout, return_timestamps=True)
        if fps is None and stamps is None:
            raise InvalidInputError("--fps is required for .npy/.npz/.json/.csv keypoints without timestamps (a "
                                    "timestamp_ms or time_s column, timestamp_ms in JSON frames, or a posekit run's "
                                    "frames.jsonl)")
    size = None
    if args.image_size:
        try:
            w, h = (float(v) for v in args.image_size.lower().split("x"))
        except ValueError:
            raise InvalidInputError(f"--image-size must be WIDTHxHEIGHT (e.g. 640x480), got {args.image_size!r}") from None
        size = (w, h)
    if args.cuts:
        try:
            cuts = [int(v) for v in args.cuts.split(",")]
        except ValueError:
            raise InvalidInputError(f"--cuts must be frame indices separated by commas (e.g. 48,87), got {args.cuts!r}") from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        report = analyze_keypoints(kps, fps=fps, layout=args.layout, exercise=args.exercise,
                                   activity_model=args.activity_model, image_size=size, cuts=cuts,
                                   timestamps_ms=stamps)
    notes = [str(w.message) for w in caught if issubclass(w.category, InputWarning)]
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    if fps is None:  # from the timestamps (a single frame: 30, as analyze_keypoints reads it)
        fps = (len(stamps) - 1) * 1000.0 / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 30.0
    summary = {"input": str(args.keypoints), "frames": int(len(kps)), "fps": fps, "warnings": notes,
               **report.to_dict()}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=_json_default))
    print(f"wrote {out / 'summary.json'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="posekit", description="On-device human pose and activity.")
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="analyse a video, an image or a camera (default: the bundled sample clip)")
    r.add_argument("input", nargs="?", help="video or image file")
    r.add_argument("--camera", type=int, metavar="N", help="camera index instead of a file")
    r.add_argument("--out", default="posekit_out", help="output folder (default: ./posekit_out)")
    r.add_argument("--model", help="bundled pose model name or .tflite path")
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--no-smoothing", action="store_true")
    r.add_argument("--mirror", action="store_true", help="mirror frames (front cameras)")
    r.add_argument("--exercise", help="the exercise, when known (default: classified)")
    r.add_argument("--max-frames", type=int)
    r.add_argument("--no-video", action="store_true", help="analysis only: no annotated video (faster)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(fn=run)
    a = sub.add_parser("analyze", help="activity analysis of a keypoint sequence (.npy/.npz/.json/.csv, a "
                                       "folder of OpenPose .json, or the frames.jsonl of posekit run)")
    a.add_argument("keypoints")
    a.add_argument("--fps", type=float, help="frame rate (required, except for frames.jsonl: its timestamps)")
    a.add_argument("--layout", default="blazepose33")
    a.add_argument("--exercise", help="the exercise, when known (default: classified)")
    a.add_argument("--activity-model", help="bundled activity model name or .tflite path")
    a.add_argument("--image-size", help="WIDTHxHEIGHT of the video, for coordinates normalised by image size")
    a.add_argument("--cuts", help="frames where the video cuts to a new shot, e.g. 48,87 (each shot analysed "
                                  "apart; frames.jsonl carries its own)")
    a.add_argument("--out", default="posekit_out")
    a.set_defaults(fn=analyze)
    i = sub.add_parser("info", help="bundled models: size, sha256, input, quantisation, accuracy")
    i.add_argument("--json", action="store_true")
    i.set_defaults(fn=info)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    try:
        return int(args.fn(args))
    except PosekitError as e:
        print(f"posekit: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("posekit: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # disk full, a file that vanished, ...
        print(f"posekit: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug: say so in one line; -v shows where
        if args.verbose:
            raise
        print(f"posekit: unexpected error: {type(e).__name__}: {e} (run with -v for the details, and please "
              "report it)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
