"""Errors a user can act on. Each carries a stable ``code`` and a one-line message; the CLI prints the message
to stderr and exits with status 2, the web app maps them to HTTP 4xx. Nothing else should be caught broadly.
"""

from __future__ import annotations


class HingecoachError(Exception):
    """Base class: a problem with the user's input or request, never a bug."""

    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class VideoError(HingecoachError):
    """The file cannot be decoded as a video (missing, empty, truncated, not a video, audio only, a still image)."""

    code = "bad_video"


class NoPersonError(HingecoachError):
    """No person was found in (enough of) the video."""

    code = "no_person"


class MultiplePeopleError(HingecoachError):
    """More than one person is in view for much of the clip, so whose reps to judge is ambiguous."""

    code = "multiple_people"


class OutOfFrameError(HingecoachError):
    """The person is too often partly out of frame to be judged."""

    code = "out_of_frame"


class UnknownDrillError(HingecoachError):
    """The drill id is not one hingecoach knows."""

    code = "unknown_drill"


class ModelMissingError(HingecoachError):
    """The pose model file is not installed (run the install step)."""

    code = "model_missing"


class TrackFormatError(HingecoachError):
    """A saved pose track is malformed or of an unsupported version."""

    code = "bad_track"


class InputTooLargeError(HingecoachError):
    """An input exceeds a configured size or duration limit."""

    code = "too_large"


class OutputNotWritableError(HingecoachError):
    """An output path (``--json``, ``--out``...) cannot be written; found before any work starts."""

    code = "output_not_writable"


class ConfigFileError(HingecoachError):
    """A configuration file (``--config``) that cannot be read or does not hold a valid ``AnalysisConfig``."""

    code = "bad_config"
