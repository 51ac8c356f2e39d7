"""What a live session says: Pydantic events with a ``type`` discriminator, ready for a WebSocket.

``TypeAdapter(LiveEvent).validate_json(text)`` reads any of them back (the browser side mirrors these shapes).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from hingecoach.schema import Phase, Rep, Summary


# ---------------------------------------------------------------------------------------------- events
class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    t_s: float = Field(description="Timestamp of the frame that caused the event (seconds, the caller's clock).")


class SetupProblem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Literal["no_person", "one_person_only", "step_back", "turn_side_on"]
    message: str


class SetupEvent(_Event):
    """The set-up changed: ``problems`` empty means the camera and the lifter are ready."""

    type: Literal["setup"] = "setup"
    ok: bool
    problems: list[SetupProblem] = Field(default_factory=list)


class PhaseEvent(_Event):
    type: Literal["phase"] = "phase"
    phase: Phase


class RepCountEvent(_Event):
    type: Literal["rep_count"] = "rep_count"
    set_index: int
    count: int


class RepJudgedEvent(_Event):
    """One rep, judged by the drill's checks; ``cue_id``/``cue``: the one thing to fix next (None = no fault);
    ``verdict``: the rep in one line (:func:`hingecoach.coaching.rep_verdict`: "good rep" only when the back line was
    judged and nothing was too close to call).
    """

    type: Literal["rep"] = "rep"
    set_index: int
    drill: str
    camera_view: str
    rep: Rep
    cue_id: str | None = None
    cue: str | None = None
    verdict: str = ""
    good_rep: bool = False


class SetSummaryEvent(_Event):
    type: Literal["set_summary"] = "set_summary"
    set_index: int
    drill: str
    summary: Summary


LiveEvent = Annotated[
    SetupEvent | PhaseEvent | RepCountEvent | RepJudgedEvent | SetSummaryEvent, Field(discriminator="type")
]
