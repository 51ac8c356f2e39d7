"""One configuration for an analysis: every tunable the CLI, the web app and the batch runner may pass.

Defaults reproduce the library's documented behaviour; a result records the configuration's hash
(:func:`hingecoach.provenance.config_hash`) so two results can be told apart by how they were made.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AnalysisConfig(BaseModel):
    """Tunables of one analysis (immutable; build a new one with ``model_copy(update=...)``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drill: str = Field(default="auto", description="drill id, or 'auto' to recognise it")
    max_analysis_fps: float | None = Field(
        default=None, gt=0, description="track at most this many frames per second (None = every frame)"
    )
    borderline_band: float = Field(
        default=1.0,
        ge=0.0,
        description="multiplier of each check's measurement uncertainty: values within it of the threshold are "
        "reported as borderline, not flipped to fault or clean by noise",
    )
