"""Typed errors raised by posekit. Messages name the field, the value and what is allowed."""

from __future__ import annotations


class PosekitError(Exception):
    """Base class of every error posekit raises on purpose."""


class InvalidInputError(PosekitError, ValueError):
    """An argument (image, timestamp, keypoint array, option) is outside what is allowed."""


class ModelError(PosekitError, RuntimeError):
    """A model file is missing, unreadable, or disagrees with its manifest."""


class MissingDependencyError(PosekitError, ImportError):
    """An optional dependency is needed for this feature; the message says what to install."""


class InputWarning(UserWarning):
    """Input that posekit accepts but cannot analyse at full accuracy (the message says why and what to pass instead)."""


class ConcurrentUseError(PosekitError, RuntimeError):
    """An object that owns an interpreter (a model, a tracker, a session) was called from a second
    thread while a first was inside it: give each thread its own."""
