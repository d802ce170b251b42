"""Spoken form cues (optional): plyer's text-to-speech on Android, espeak-ng / espeak / say on a
desktop where one is installed. A cue is said at most once per ``repeat_s`` and never over itself."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from typing import Callable


def default_backend() -> Callable[[str], None] | None:
    """A function that says a text aloud (blocking until done), or None where there is none."""
    try:
        from plyer import tts  # Android (and iOS); needs plyer in the build's requirements

        from kivy.utils import platform

        if platform in ("android", "ios"):
            return lambda text: tts.speak(text)
    except ImportError:
        pass
    for cmd in ("espeak-ng", "espeak", "say"):
        path = shutil.which(cmd)
        if path:
            return lambda text, p=path: subprocess.run([p, text], check=False, timeout=30,
                                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return None


class Speaker:
    """Says texts in a background thread, one at a time; drops a text while another is being said
    and repeats of one text within ``repeat_s`` seconds.

    Args:
        backend: says one text (blocking); None: :func:`default_backend` (may find none:
            :attr:`available` is then False and :meth:`say` does nothing).
    """

    def __init__(self, backend: Callable[[str], None] | None = None, repeat_s: float = 8.0) -> None:
        self._backend = backend if backend is not None else default_backend()
        self.repeat_s = repeat_s
        self._busy = threading.Lock()
        self._said: dict[str, float] = {}

    @property
    def available(self) -> bool:
        return self._backend is not None

    def say(self, text: str) -> bool:
        """Starts saying ``text``; False when it is dropped (busy, said recently, no backend)."""
        now = time.monotonic()
        if self._backend is None or now - self._said.get(text, -1e9) < self.repeat_s:
            return False
        if not self._busy.acquire(blocking=False):
            return False
        self._said[text] = now

        def run() -> None:
            try:
                self._backend(text)
            except Exception:  # noqa: BLE001 - speech is optional: never take the app down
                pass
            finally:
                self._busy.release()

        threading.Thread(target=run, name="posekit-speech", daemon=True).start()
        return True
