"""The exception types trackdetect raises."""

from __future__ import annotations


class TrackdetectError(Exception):
    """Base class of every error trackdetect raises on purpose."""


class InputError(TrackdetectError):
    """The message could not be read at all (only raised when ``Options(strict=True)``)."""


class DataError(TrackdetectError):
    """Tracker data or a user list is malformed."""


class UpdateError(TrackdetectError):
    """Downloading or verifying a tracker list failed."""
