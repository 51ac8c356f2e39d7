"""Live coaching: pose frames in one at a time, coaching events out (see :mod:`hingecoach.live.session`)."""

from hingecoach.live.events import (
    LiveEvent,
    PhaseEvent,
    RepCountEvent,
    RepJudgedEvent,
    SetSummaryEvent,
    SetupEvent,
    SetupProblem,
)
from hingecoach.live.replay import replay
from hingecoach.live.ring import FrameRing
from hingecoach.live.session import LiveSession

__all__ = [
    "FrameRing",
    "LiveEvent",
    "LiveSession",
    "PhaseEvent",
    "RepCountEvent",
    "RepJudgedEvent",
    "SetSummaryEvent",
    "SetupEvent",
    "SetupProblem",
    "replay",
]
