"""Cameras for the demo app: OpenCV on the desktop, the Android camera through Kivy on a phone.

python-for-android's OpenCV cannot open a phone's camera (Android cameras are reached through
Java), so on Android the frames come from Kivy's Android camera provider
(``kivy.core.camera.camera_android``: ``android.hardware.Camera`` preview frames, NV21), decoded
here in NumPy. Both sources answer the two calls the worker makes: ``read() -> (ok, bgr)`` and
``release()``.
"""

from __future__ import annotations

import threading

import numpy as np


def nv21_to_rgb(buf: bytes | np.ndarray, width: int, height: int) -> np.ndarray:
    """An NV21 frame (a Y plane, then interleaved V, U at half resolution: Android's camera
    preview format) -> (height, width, 3) uint8 RGB, BT.601 limited range as OpenCV decodes it."""
    a = np.frombuffer(buf, np.uint8) if not isinstance(buf, np.ndarray) else buf.reshape(-1)
    if a.size < width * height * 3 // 2 or width % 2 or height % 2:
        raise ValueError(f"an NV21 frame of {width}x{height} needs {width * height * 3 // 2} bytes and even sides, "
                         f"got {a.size} bytes")
    y = a[:width * height].reshape(height, width).astype(np.float32)
    vu = a[width * height:width * height * 3 // 2].reshape(height // 2, width // 2, 2).astype(np.float32)
    v = np.repeat(np.repeat(vu[..., 0], 2, 0), 2, 1) - 128.0
    u = np.repeat(np.repeat(vu[..., 1], 2, 0), 2, 1) - 128.0
    c = 1.164 * (y - 16.0)
    rgb = np.stack([c + 1.596 * v, c - 0.391 * u - 0.813 * v, c + 2.018 * u], axis=-1)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def on_main_thread(fn, timeout_s: float = 10.0):
    """``fn()`` run on Kivy's main (GL) thread, waited for from any thread; its result or error."""
    if threading.current_thread() is threading.main_thread():
        return fn()
    from kivy.clock import Clock

    done, box = threading.Event(), {}

    def call(_dt):
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - raised in the waiting thread
            box["error"] = e
        done.set()

    Clock.schedule_once(call, 0)
    if not done.wait(timeout_s):
        raise RuntimeError("the app's main thread did not answer (is the app running?)")
    if "error" in box:
        raise box["error"]
    return box.get("value")


class AndroidCamera:
    """The phone's camera ``index`` through Kivy's Android camera provider.

    The provider draws into GL textures, so it is made and started on Kivy's main thread; its
    preview frames arrive on a Java thread and are read here from the worker's.

    Args:
        index: 0 back camera, 1 front (Android's numbering).
        resolution: preview size asked of the camera.
        quarter_turns: clockwise quarter turns applied to each frame (a phone held upright gets
            its sensor's frames sideways: 1 for the back camera, 3 for the front one, usually).
    """

    def __init__(self, index: int = 0, resolution: tuple[int, int] = (640, 480), quarter_turns: int = 1) -> None:
        from kivy.core.camera.camera_android import CameraAndroid  # only on Android

        fresh = threading.Event()

        class Provider(CameraAndroid):
            def _on_preview_frame(self, data, camera):  # a Java thread, once per preview frame
                super()._on_preview_frame(data, camera)
                fresh.set()

        def start():
            cam = Provider(index=index, resolution=resolution, stopped=True)
            cam.start()
            return cam

        self._fresh = fresh
        self._cam = on_main_thread(start)
        self.quarter_turns = quarter_turns % 4

    def read(self, timeout_s: float = 2.0) -> tuple[bool, np.ndarray | None]:
        """The next preview frame (waits for one not read yet), as BGR like OpenCV's ``read``."""
        if not self._fresh.wait(timeout_s):
            return False, None
        self._fresh.clear()
        buf = self._cam.grab_frame()
        if buf is None:
            return False, None
        w, h = self._cam.resolution
        rgb = nv21_to_rgb(buf, int(w), int(h))
        if self.quarter_turns:
            rgb = np.rot90(rgb, k=-self.quarter_turns)
        return True, np.ascontiguousarray(rgb[:, :, ::-1])

    def release(self) -> None:
        on_main_thread(self._cam.stop)


def on_android() -> bool:
    from kivy.utils import platform

    return platform == "android"


def request_camera_permission(timeout_s: float = 30.0) -> bool:
    """Asks for the CAMERA permission on Android (a no-op elsewhere); True once granted."""
    if not on_android():
        return True
    from android.permissions import Permission, check_permission, request_permissions  # type: ignore

    if check_permission(Permission.CAMERA):
        return True
    done = threading.Event()
    request_permissions([Permission.CAMERA], lambda perms, grants: done.set())
    done.wait(timeout_s)
    return bool(check_permission(Permission.CAMERA))


def open_camera(index: int):
    """A camera the worker can read: Kivy's Android provider on a phone, OpenCV elsewhere.

    Raises:
        RuntimeError: the camera cannot be opened (or, on Android, the permission was refused).
    """
    if on_android():
        if not request_camera_permission():
            raise RuntimeError("the camera permission was refused: allow it in the phone's settings")
        return AndroidCamera(index, quarter_turns=3 if index == 1 else 1)
    import cv2

    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        raise RuntimeError(f"camera {index} could not be opened (is a camera connected?)")
    return cap
