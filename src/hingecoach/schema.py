"""The public result contract ``hingecoach/analysis@1``: typed, validated, JSON-serialisable.

Other tools and the web app read these field names; add optional fields freely, never rename or remove one.
All angles are degrees, all times seconds from the start of the source video.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID = "hingecoach/analysis@1"

CameraView = Literal["side", "front", "oblique", "unknown"]
Severity = Literal["minor", "major"]
Phase = Literal["setup", "descent", "bottom", "ascent", "lockout"]
#: The three answers a check gives on a rep, plus "borderline": a value inside the measurement's uncertainty band
#: around the threshold (reported, not flipped to fault or clean by noise).
CheckState = Literal["fault", "clean", "borderline", "not_judged"]

DRILL_IDS: tuple[str, ...] = (
    "hinge_dowel",
    "hinge_kneeling",
    "hinge_wall",
    "good_morning",
    "band_pull_through",
    "hip_thrust",
    "rdl",
    "b_stance_rdl",
    "single_leg_rdl",
    "deadlift",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    path: str
    fps: float
    frame_count: int
    width: int
    height: int
    duration_s: float


class Fault(_Model):
    code: str
    severity: Severity
    at_s: float
    cue: str
    value: float | None = Field(default=None, description="The measured quantity that tripped the check.")
    threshold: float | None = Field(default=None, description="The documented threshold it crossed.")
    unit: str | None = None


class CheckResult(_Model):
    """One check on one rep: its answer, and the evidence for it."""

    code: str
    state: CheckState
    quantity: str | None = None
    value: float | None = Field(default=None, description="The measured quantity (None when not judged).")
    threshold: float | None = None
    band: float | None = Field(default=None, description="Half-width of the borderline band around the threshold.")
    unit: str | None = None
    severity: Severity | None = Field(default=None, description="Set when state is 'fault'.")
    at_s: float | None = Field(default=None, description="When the value was measured (inside the rep).")
    reason: str | None = Field(default=None, description="Why not judged or borderline, in the user's words.")
    how_to_film: str | None = Field(default=None, description="For not_judged: how to film so it can be judged.")


class Rep(_Model):
    index: int = Field(ge=1)
    start_s: float
    bottom_s: float
    end_s: float
    start_frame: int
    bottom_frame: int
    end_frame: int
    descent_s: float
    ascent_s: float
    partial: bool = Field(default=False, description="Rep cut by the clip's start or end, or never locked out.")
    judged: bool = Field(default=True, description="False when landmarks were too unreliable to judge faults.")
    metrics: dict[str, float | None]
    faults: list[Fault] = Field(default_factory=list)
    score: int = Field(ge=0, le=100)
    checks: list[CheckResult] = Field(default_factory=list, description="Every check's answer on this rep.")


class Warning(_Model):
    code: str
    message: str


class Summary(_Model):
    rep_count: int
    fault_counts: dict[str, int]
    score: int | None = Field(ge=0, le=100)
    cues: list[str]
    next_drill: str | None = None


class Provenance(_Model):
    """What produced this result (the history store and the batch runner key on it)."""

    hingecoach_version: str
    model_sha256: str | None = None
    config_hash: str | None = None
    config: dict[str, object] | None = None
    source_sha256: str | None = None
    drill_table_version: str | None = None
    track_log: list[str] = Field(default_factory=list)


class Recognition(_Model):
    """``--drill auto``'s answer: a drill id, ``not_a_hinge`` (a squat) or ``could_not_tell``, and why."""

    result: str
    confidence: float = Field(ge=0.0, le=1.0)
    reason: str
    guess: str | None = None


class Analysis(_Model):
    schema_: Literal["hingecoach/analysis@1"] = Field(default="hingecoach/analysis@1", alias="schema")
    source: Source
    drill: str
    camera_view: CameraView
    facing: Literal["left", "right", "unknown"] = "unknown"
    pose_coverage: float = Field(ge=0.0, le=1.0)
    reps: list[Rep]
    summary: Summary
    warnings: list[Warning] = Field(default_factory=list)
    provenance: Provenance | None = None
    clip_checks: list[CheckResult] = Field(
        default_factory=list,
        description="Back-line checks on deepest-lean frames outside every segmented rep (the back needs no rep).",
    )
    recognition: Recognition | None = Field(default=None, description="Set when the drill was recognised (auto).")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_json(self, indent: int | None = 2) -> str:
        """Serialise with the contract's field names (``schema``, not ``schema_``)."""
        return self.model_dump_json(by_alias=True, indent=indent)
