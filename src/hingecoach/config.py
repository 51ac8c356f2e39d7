"""One configuration for an analysis: every tunable the CLI, the web app and the batch runner may pass.

Defaults reproduce the library's documented behaviour; a result records the configuration's hash
(:func:`hingecoach.provenance.config_hash`) so two results can be told apart by how they were made.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hingecoach import filtering, rep_signal, reps
from hingecoach.drills import DRILLS, Check, Drill
from hingecoach.errors import ConfigFileError
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

    @field_validator("jump_window")
    @classmethod
    def _odd_window(cls, v: int) -> int:
        """A running median centred on each frame needs an odd window (an even one was a crash deep in the filter)."""
        if v % 2 == 0:
            raise ValueError(f"jump_window must be odd (a window centred on each frame), not {v}")
        return v


class RepConfig(BaseModel):
    """Tunables of rep segmentation (:mod:`hingecoach.reps`; defaults: that module's constants).

    :func:`hingecoach.reps.segment_reps` takes them as its ``config``; recorded in every result, so a changed value
    shows in the result's config hash.
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


class CheckOverride(BaseModel):
    """A check's line drawn elsewhere than the drill table draws it (same unit as the check; None = the table's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float | None = Field(default=None, description="fault past this value")
    major_at: float | None = Field(default=None, description="major fault past this value")


def _checks_for(key: str) -> list[tuple[str, Check]]:
    """``(drill id, check)`` pairs a key of :attr:`AnalysisConfig.checks` names: ``code`` or ``drill.code``."""
    drill_id, _, code = key.rpartition(".")
    return [(d.id, c) for d in DRILLS.values() if drill_id in ("", d.id) for c in d.checks if c.code == code]


class AnalysisConfig(BaseModel):
    """Tunables of one analysis (immutable; build a new one with ``model_copy(update=...)``).

    ``checks`` moves a check's threshold (and major level) by fault code, for every drill that has the check
    (``"locked_knees"``), or for one drill (``"deadlift.locked_knees"``); a code whose checks measure different
    quantities in different drills (``too_deep``: hand height or trunk lean) must name the drill. Validated against
    the drill table: an unknown code, an ambiguous one or a major level on the wrong side of the threshold is
    refused.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    drill: str = Field(default="auto", description="drill id, or 'auto' to recognise it")
    max_analysis_fps: float | None = Field(
        default=None, gt=0, description="track at most this many frames per second (None = every frame)"
    )
    symmetric_pose: bool = Field(
        default=False,
        description="track every frame and its mirror image and average the two (twice the pose model's work): a "
        "track, and so faults, that do not depend on which side the lifter was filmed from",
    )
    borderline_band: float = Field(
        default=1.0,
        ge=0.0,
        description="multiplier of each check's measurement uncertainty: values within it of the threshold are "
        "reported as borderline, not flipped to fault or clean by noise",
    )
    filtering: FilterConfig = Field(default_factory=FilterConfig, description="cleaning of the pose track")
    reps: RepConfig = Field(default_factory=RepConfig, description="rep segmentation")
    checks: dict[str, CheckOverride] = Field(
        default_factory=dict, description="check thresholds moved from the drill table's: 'code' or 'drill.code'"
    )

    @model_validator(mode="after")
    def _known_checks(self) -> Self:
        for key in self.checks:
            found = _checks_for(key)
            if not found:
                raise ValueError(f"checks: {key!r} names no check of the drill table (use 'code' or 'drill.code')")
            if len({c.quantity for _, c in found}) > 1:
                drills = ", ".join(sorted({f"{d}.{c.code}" for d, c in found}))
                raise ValueError(f"checks: {key!r} measures different things in different drills; name one: {drills}")
        for drill in DRILLS.values():  # the line each drill ends up with (a drill's own key wins over a bare code)
            for check in drill.checks:
                key = f"{drill.id}.{check.code}" if f"{drill.id}.{check.code}" in self.checks else check.code
                if key not in self.checks:
                    continue
                tuned = _tuned_check(check, self.checks[key], 1.0)
                if (check.direction == "above" and tuned.major_at < tuned.threshold) or (
                    check.direction == "below" and tuned.major_at > tuned.threshold
                ):
                    raise ValueError(
                        f"checks: {key!r} for {drill.id}: the major level {tuned.major_at:g} must lie past the "
                        f"threshold {tuned.threshold:g} ({check.direction})"
                    )
        return self


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


def _tuned_check(check: Check, override: CheckOverride | None, band_scale: float) -> Check:
    changes: dict[str, Any] = {}
    if override is not None and override.threshold is not None:
        changes["threshold"] = override.threshold
    if override is not None and override.major_at is not None:
        changes["major_at"] = override.major_at
    if band_scale != 1.0:
        changes.update(band=check.band * band_scale, reference_band=check.reference_band * band_scale)
    return dataclasses.replace(check, **changes) if changes else check


def tuned_drill(drill: Drill, config: AnalysisConfig) -> Drill:
    """The drill as this configuration judges it: its checks' overrides (:attr:`AnalysisConfig.checks`, a
    ``drill.code`` key before a bare ``code``) and the borderline band scaled by ``borderline_band``.

    The drill table itself never changes (it is shared by every analysis in the process); the defaults return the
    drill unchanged.
    """
    if not config.checks and config.borderline_band == 1.0:
        return drill
    checks = tuple(
        _tuned_check(
            c, config.checks.get(f"{drill.id}.{c.code}", config.checks.get(c.code)), config.borderline_band
        )
        for c in drill.checks
    )
    return dataclasses.replace(drill, checks=checks)


def load_config(path: str | Path) -> AnalysisConfig:
    """An :class:`AnalysisConfig` from a JSON (``.json``) or TOML (``.toml``) file, validated; every other field keeps
    its default. Raises :class:`ConfigFileError` with one line saying what is wrong (the file, the field, why).

    Why here and not in the CLI: the web app and the batch runner read the same files the same way.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigFileError(f"cannot read the configuration file {p}: {exc.strerror or exc}") from None
    try:
        if p.suffix.lower() == ".toml":
            data: Any = tomllib.loads(raw.decode("utf-8"))
        elif p.suffix.lower() == ".json":
            data = json.loads(raw.decode("utf-8"))
        else:
            raise ConfigFileError(f"{p}: a configuration file must be .json or .toml")
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(f"{p} is not valid {p.suffix.lower().lstrip('.').upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigFileError(f"{p}: the configuration must be a table of settings, not {type(data).__name__}")
    try:
        return AnalysisConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'config'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ConfigFileError(f"{p}: invalid configuration: {problems}") from None
