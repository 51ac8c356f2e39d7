"""One configuration for an analysis: every tunable the CLI, the web app and the batch runner may pass.

Defaults reproduce the library's documented behaviour; a result records the configuration's hash
(:func:`hingecoach.provenance.config_hash`) so two results can be told apart by how they were made.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hingecoach import filtering, rep_signal, reps
from hingecoach.reps import HIGH_FRAC, LOW_FRAC


class FilterConfig(BaseModel):
    """Tunables of :func:`hingecoach.filtering.clean_track` (defaults: that module's constants)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_visibility: float = Field(default=filtering.MIN_VISIBILITY, ge=0, le=1, description="gate below this")
    max_gap_s: float = Field(default=filtering.MAX_GAP_S, ge=0, description="longest hole filled (s)")
    cutoff_hz: float = Field(default=filtering.CUTOFF_HZ, gt=0, description="zero-phase low-pass cut-off (Hz)")
    order: int = Field(default=filtering.ORDER, ge=1, description="effective Butterworth order (forward-backward)")
    jump_max_dev: float = Field(default=filtering.JUMP_MAX_DEV, gt=0, description="jump: trunk lengths off median")
    jump_window: int = Field(default=filtering.JUMP_WINDOW, ge=3, description="jump: running-median window (frames)")
    swap_ratio: float = Field(default=filtering.SWAP_RATIO, gt=0, le=1, description="swap: cost ratio")
    swap_min_gain: float = Field(default=filtering.SWAP_MIN_GAIN, ge=0, description="swap: gain (trunk lengths)")
    swap_max_burst_s: float = Field(default=filtering.SWAP_MAX_BURST_S, gt=0, description="swap: longest burst (s)")


class RepConfig(BaseModel):
    """Tunables of rep segmentation (:mod:`hingecoach.reps`; defaults: that module's constants).

    Recorded in every result so a change of a constant shows in its config hash. Segmentation reads the module's
    constants; :func:`hingecoach.analysis.analyze_track` refuses values other than these until
    :func:`hingecoach.reps.segment_reps` takes them as arguments.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    lockout_max_deg: float = Field(default=reps.LOCKOUT_MAX_DEG, description="top at or below this is a lockout")
    lockout_max_3d_deg: float = Field(default=reps.LOCKOUT_MAX_3D_DEG, description="... for the 3-D hip angle")
    min_depth_deg: float = Field(default=rep_signal.MIN_DEPTH_DEG, description="smallest hinge that is a rep (deg)")
    min_rep_s: float = Field(default=reps.MIN_REP_S, description="shortest complete rep (s)")
    high_frac: float = Field(default=reps.HIGH_FRAC, description="'down' above top + this share of the range")
    low_frac: float = Field(default=reps.LOW_FRAC, description="'up' below top + this share of the range")
    max_bridge_s: float = Field(default=rep_signal.MAX_BRIDGE_S, description="holes bridged for segmentation (s)")
    setup_hold_s: float = Field(default=reps.SETUP_HOLD_S, description="bottom pause that is the set-up (s)")
    onset_frac: float = Field(default=reps.ONSET_FRAC, description="still below this share of peak speed")
    min_trunk_deg: float = Field(default=reps.MIN_TRUNK_DEG, description="a hinge tips the trunk this much (deg)")
    min_trunk_shortening: float = Field(
        default=reps.MIN_TRUNK_SHORTENING, description="... or, from the front, foreshortens it this much"
    )


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
    filtering: FilterConfig = Field(default_factory=FilterConfig, description="cleaning of the pose track")
    reps: RepConfig = Field(default_factory=RepConfig, description="rep segmentation")


class LiveConfig(BaseModel):
    """Tunables of a live session (:class:`hingecoach.live.LiveSession`); defaults follow the file path's rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    buffer_s: float = Field(default=60.0, gt=0, description="seconds of frames kept in the ring buffer")
    max_fps: float = Field(default=60.0, gt=0, description="highest frame rate the buffer is sized for")
    min_cutoff_hz: float = Field(default=1.5, gt=0, description="One-Euro filter: cut-off while still (Hz)")
    beta: float = Field(default=0.01, ge=0, description="One-Euro filter: speed coefficient (1/px)")
    d_cutoff_hz: float = Field(default=1.0, gt=0, description="One-Euro filter: derivative cut-off (Hz)")
    setup_every_s: float = Field(default=0.5, gt=0, description="how often the set-up is checked")
    setup_window_s: float = Field(default=1.5, gt=0, description="frames the set-up check looks at (s)")
    calibration_s: float = Field(default=0.5, gt=0, description="standing time after a good set-up to find the top")
    calibration_still_deg: float = Field(
        default=10.0, gt=0, description="hip angle range (deg) within which the calibration frames count as still"
    )
    calibration_max_wait_s: float = Field(
        default=3.0, gt=0, description="never still this long after a good set-up: calibrate on the most upright"
    )
    standing_margin_deg: float = Field(
        default=20.0, ge=0, description="calibrated above lockout + this: the lifter starts down (at the bar)"
    )
    prior_depth_deg: float = Field(default=60.0, gt=0, description="rep depth assumed before the first rep (deg)")
    high_frac: float = Field(default=HIGH_FRAC, gt=0, lt=1, description="'down' above top + this x depth")
    low_frac: float = Field(default=LOW_FRAC, gt=0, lt=1, description="'up' again below top + this x depth")
    top_tol_deg: float = Field(default=5.0, ge=0, description="within this of the top counts as standing (deg)")
    settle_s: float = Field(
        default=1.0, gt=0, description="top hold after a rep before it is judged (s); = judge_inputs.TOP_HOLD_S"
    )
    pre_s: float = Field(default=2.0, ge=0, description="frames before a rep's start included in its window (s)")
    set_idle_s: float = Field(default=8.0, gt=0, description="rest at the top that ends a set (s)")
    absent_reset_s: float = Field(default=3.0, gt=0, description="nobody in view this long: calibrate afresh (s)")
    max_reps_per_set: int = Field(default=500, ge=1, description="judged reps kept for a set's summary")
