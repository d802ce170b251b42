"""posekit demo app: camera, video file or the bundled sample clip; skeleton overlay, exercise,
reps, form cue, fall alert (stays until dismissed), FPS and per-stage milliseconds.

    python -m app                      # desktop window
    python -m app --source camera:0 --mirror
    python -m app --source path/to/video.mp4

Automation flags (tests, benchmarks, README screenshots): ``--autostart``, ``--exit-when-done``,
``--exit-after S``, ``--screenshot PNG`` (saved when the run ends), ``--state JSON`` (what the
screen shows, written when the run ends), ``--no-realtime`` (process every frame).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("posekit.app")


def _configure_kivy() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    from kivy.config import Config

    # Only the mouse/touch providers: probing /dev/input (mtdev) fails in containers and headless.
    if Config.has_section("input"):
        for name, _ in list(Config.items("input")):
            Config.remove_option("input", name)
    else:
        Config.add_section("input")
    Config.set("input", "mouse", "mouse")


def parse_source(text: str) -> int | str:
    if text.startswith("camera:"):
        return int(text.split(":", 1)[1])
    if text == "sample":
        from posekit.cli import sample_clip

        return str(sample_clip())
    return text


def source_label(text: str) -> str:
    """What the source picker shows for ``--source``: 'Sample clip', 'Camera N' or the file's name."""
    if text == "sample":
        return "Sample clip"
    if text.startswith("camera:"):
        return f"Camera {text.split(':', 1)[1]}"
    return Path(text).name


def build_app(args: argparse.Namespace):
    _configure_kivy()
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.graphics.texture import Texture
    from kivy.properties import BooleanProperty, ListProperty, StringProperty
    from kivy.uix.boxlayout import BoxLayout

    from posekit.activity import Activity
    from posekit.activity.labels import EXERCISES
    from posekit.runtime import bundled_model_names, default_model_name

    from .sets import caption, rest_text, set_view
    from .speech import Speaker
    from .worker import Worker

    titles = {Activity(e).title: e for e in EXERCISES}  # what the picker shows -> exercise id

    # PosekitApp loads posekit.kv from this folder by Kivy's naming convention.
    class RootView(BoxLayout):
        running = BooleanProperty(False)
        fall_visible = BooleanProperty(False)
        exercise_choices = ListProperty(["Automatic", *titles])
        speech_available = BooleanProperty(False)
        model_choices = ListProperty(bundled_model_names("pose"))
        default_model = StringProperty(args.model or default_model_name("pose"))
        initial_source = StringProperty(source_label(args.source))

        def __init__(self, app, **kw):
            super().__init__(**kw)
            self.app = app
            self.worker: Worker | None = None
            self.source: int | str = parse_source(args.source)
            self.state: dict[str, Any] = {"frames": 0, "reps": 0, "falls": 0, "fall_banner": False, "messages": [],
                                          "fps": [], "label": None}
            self._texture = None
            self._pending = None
            self._last_frame = None
            self._t0_ms = None  # the stream's first timestamp (set times count from it)
            self.speaker = Speaker()
            self.speech_available = self.speaker.available

        # Controls -------------------------------------------------------------------------
        def toggle(self):
            self.stop() if self.running else self.start()

        def start(self):
            self.stop()
            self.ids.message.text = ""
            self.worker = Worker(self.source, self._from_worker, self._error_from_worker, model=self.ids.model.text,
                                 smoothing=self.ids.smoothing.state == "down", mirror=args.mirror,
                                 realtime=not args.no_realtime, exercise=self._picked_exercise())
            self._t0_ms = None
            self.state.update(falls=0, still_down=0)  # a new run's engine counts from zero
            self.worker.start()
            self.running = True

        def stop(self):
            if self.worker is not None:
                self.worker.stop()
                self.worker.join(timeout=2.0)
                self.worker = None
            self.running = False

        def reset(self):
            was = self.running
            self.stop()
            self.ids.reps.text = "0"
            self.ids.cue.text = ""
            self.ids.sets.text = ""
            self.ids.rest.text = ""
            self.dismiss_fall()
            if was:
                self.start()

        def _picked_exercise(self):
            return titles.get(self.ids.exercise_pick.text)  # None: Automatic

        def on_exercise_pick(self, text):
            # The rep counter and form rules follow the chosen exercise from the next analysis.
            if self.worker is not None:
                self.worker.set_exercise(self._picked_exercise())

        def dismiss_fall(self):
            self.fall_visible = False
            self.state["fall_banner"] = False

        def on_source(self, text):
            if text == "Open file...":
                self._choose_file()
                return
            if text != "Sample clip" and not text.startswith("Camera "):
                return  # a file's name: the file is already the source
            self.source = parse_source("sample" if text == "Sample clip" else f"camera:{text.split()[-1]}")
            if self.running:
                self.start()

        def _choose_file(self):
            from kivy.uix.filechooser import FileChooserListView
            from kivy.uix.popup import Popup

            chooser = FileChooserListView(filters=["*.mp4", "*.avi", "*.mov", "*.mkv"], path=str(Path.home()))
            popup = Popup(title="Choose a video", content=chooser, size_hint=(0.9, 0.9))

            def picked(_, selection, *a):
                if selection:
                    self.source = selection[0]
                    self.ids.source.text = Path(selection[0]).name
                    popup.dismiss()
                    self.start()
            chooser.bind(on_submit=picked)
            popup.open()

        # Worker -> UI ---------------------------------------------------------------------
        def _from_worker(self, result):
            # Only the newest result is drawn: the UI never queues frames behind the model.
            first = self._pending is None
            self._pending = result
            if first:
                Clock.schedule_once(self._draw, 0)

        def _error_from_worker(self, message):
            Clock.schedule_once(lambda dt: self._show_error(message), 0)

        def _show_error(self, message):
            self.ids.message.text = message
            self.state["messages"].append(message)
            self.running = False

        def _draw(self, dt):
            r, self._pending = self._pending, None
            if r is None:
                return
            frame = r.frame
            h, w = frame.shape[:2]
            if self._texture is None or self._texture.size != (w, h):
                self._texture = Texture.create(size=(w, h), colorfmt="rgb")
                self._texture.flip_vertical()
            self._texture.blit_buffer(frame.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
            self.ids.video.texture = self._texture
            self.ids.video.canvas.ask_update()
            self._last_frame = r
            act = r.activity
            summary = r.summary
            label = act.label.value if act is not None else "-"
            if act is not None and self._t0_ms is None:
                self._t0_ms = act.timestamp_ms
            now_s = (act.timestamp_ms - self._t0_ms) / 1000.0 if act is not None else 0.0
            # The counts on screen are the engine's: a withdrawn rep leaves them too.
            view = set_view(summary, act, now_s)
            pick = self.ids.exercise_pick.text
            self.ids.exercise.text = pick if pick in titles and not view.sets else view.exercise
            self.ids.reps.text = str(view.reps)
            self.ids.set_caption.text = caption(view)
            self.ids.rest.text = rest_text(view)
            self.ids.sets.text = "\n".join(view.sets[-5:])
            self.state.update(set_reps=view.reps, set_lines=list(view.sets), rest=self.ids.rest.text)
            # Count from the summary: a result carrying a new fall may have been superseded by a
            # newer frame before the UI drew it.
            n_falls = len(summary.falls)
            if n_falls > self.state["falls"]:
                self.ids.fall_banner.text = "FALL DETECTED\n[size=14sp]tap to dismiss[/size]"
                self.fall_visible = True
                self.state["fall_banner"] = True
                self.state["falls"] = n_falls
            n_down = len(summary.still_down)
            if n_down > self.state.get("still_down", 0):  # the follow-up: not up again since the fall
                down = summary.still_down[-1]
                self.ids.fall_banner.text = f"STILL DOWN {down.down_s:.0f} s\n[size=14sp]tap to dismiss[/size]"
                self.fall_visible = True
                self.state["still_down"] = n_down
            cues = summary.form_cues
            if cues:
                self.ids.cue.text = cues[-1].message
                self.state["cues"] = [x.cue for x in cues]
                if self.ids.speak.state == "down" and act is not None and act.new_cues:
                    self.speaker.say(cues[-1].message)
            t = r.timings_ms
            self.ids.stats.text = (f"{r.fps:.0f} fps  pose {t.get('pose', 0):.1f} ms  activity "
                                   f"{t.get('activity', 0):.2f} ms  dropped {r.dropped}")
            self.state.update(frames=self.state["frames"] + 1, reps=summary.reps_total, label=label)
            self.state["fps"].append(r.fps)
            if r.pose is not None:
                self.state["last_keypoints"] = r.pose.xy.tolist()
                self.state["last_conf"] = r.pose.conf.tolist()
                self.state["frame_size"] = [w, h]
                self.state["last_overlay_index"] = r.index

    class PosekitApp(App):
        title = "posekit"

        def build(self):
            self.root_view = RootView(self)
            if args.exercise != "auto":
                self.root_view.ids.exercise_pick.text = Activity(args.exercise).title
            if args.autostart:
                Clock.schedule_once(lambda dt: self.root_view.start(), 0.2)
            if args.exit_after:
                Clock.schedule_once(lambda dt: self.finish(), args.exit_after)
            if args.exit_when_done:
                Clock.schedule_interval(self._check_done, 0.2)
            self.t0 = time.perf_counter()
            return self.root_view

        def _check_done(self, dt):
            w = self.root_view.worker
            started = time.perf_counter() - self.t0 > 1.0
            idle = (w is None or w.finished) and self.root_view._pending is None
            if started and idle:
                self.finish()
                return False
            return True

        def finish(self):
            # Let the last frame and labels render before the screenshot.
            Clock.schedule_once(self._save_and_stop, 0.3)

        def _save_and_stop(self, dt):
            rv = self.root_view
            if args.screenshot:
                Window.screenshot(name=args.screenshot)
                produced = sorted(Path(args.screenshot).parent.glob(Path(args.screenshot).stem + "*.png"))
                rv.state["screenshot"] = str(produced[-1]) if produced else None
                if rv._last_frame is not None:
                    import numpy as np

                    np.save(Path(args.screenshot).with_suffix(".overlay.npy"), rv._last_frame.frame)
            worker = rv.worker
            rv.state["worker_frames"] = worker.frames if worker else rv.state["frames"]
            rv.state["dropped"] = worker.dropped if worker else 0
            rv.state["window_size"] = list(Window.size)
            rv.state["orientation"] = rv.orientation
            rv.state["source_shown"] = rv.ids.source.text
            rv.state["message"] = rv.ids.message.text
            rv.state["reps_label"] = rv.ids.reps.text
            rv.state["set_caption"] = rv.ids.set_caption.text
            rv.state["captions"] = [w.text for w in rv.walk() if type(w).__name__ == "Caption"]
            rv.state["fall_banner_visible"] = rv.fall_visible
            rv.state["cue_label"] = rv.ids.cue.text
            rv.state["exercise_label"] = rv.ids.exercise.text
            rv.stop()
            if args.state:
                Path(args.state).write_text(json.dumps(rv.state))
            self.stop()

    return PosekitApp()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default="sample", help="sample | camera:N | path to a video")
    ap.add_argument("--mirror", action="store_true", help="mirror frames (front camera)")
    ap.add_argument("--autostart", action="store_true")
    ap.add_argument("--exit-after", type=float)
    ap.add_argument("--exit-when-done", action="store_true")
    ap.add_argument("--screenshot")
    ap.add_argument("--state")
    ap.add_argument("--no-realtime", action="store_true")
    from posekit.activity.labels import EXERCISES

    ap.add_argument("--exercise", default="auto", choices=["auto", *EXERCISES],
                    help="auto | an exercise (fixes the rep counter and form rules)")
    ap.add_argument("--model", help="bundled pose model to start with (default: the manifest's default)")
    ap.add_argument("--size", default=None, help="window size WxH (e.g. 1000x600, 480x800 for portrait)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    if args.size:
        w, h = args.size.lower().split("x")
        os.environ["KCFG_GRAPHICS_WIDTH"], os.environ["KCFG_GRAPHICS_HEIGHT"] = w, h
    build_app(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
