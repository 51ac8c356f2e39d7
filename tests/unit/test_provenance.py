"""One configuration, recorded in every result with what else produced it."""

from __future__ import annotations

import re
from dataclasses import replace

from hingecoach import __version__, filtering, rep_signal, reps
from hingecoach.analysis import analyze_track
from hingecoach.config import AnalysisConfig, FilterConfig, LiveConfig, RepConfig
from hingecoach.devtools import synth
from hingecoach.drills import DRILLS
from hingecoach.judge_inputs import TOP_HOLD_S
from hingecoach.provenance import config_hash, drills_table_version


def test_config_defaults_are_the_modules_constants() -> None:
    f = FilterConfig()
    assert (f.min_visibility, f.max_gap_s, f.cutoff_hz, f.order) == (
        filtering.MIN_VISIBILITY,
        filtering.MAX_GAP_S,
        filtering.CUTOFF_HZ,
        filtering.ORDER,
    )
    assert (f.jump_max_dev, f.jump_window) == (filtering.JUMP_MAX_DEV, filtering.JUMP_WINDOW)
    assert (f.swap_ratio, f.swap_min_gain, f.swap_max_burst_s) == (
        filtering.SWAP_RATIO,
        filtering.SWAP_MIN_GAIN,
        filtering.SWAP_MAX_BURST_S,
    )
    r = RepConfig()
    for field, const in [
        ("lockout_max_deg", "LOCKOUT_MAX_DEG"),
        ("lockout_max_3d_deg", "LOCKOUT_MAX_3D_DEG"),
        ("min_depth_deg", "MIN_DEPTH_DEG"),
        ("min_rep_s", "MIN_REP_S"),
        ("high_frac", "HIGH_FRAC"),
        ("low_frac", "LOW_FRAC"),
        ("max_bridge_s", "MAX_BRIDGE_S"),
        ("setup_hold_s", "SETUP_HOLD_S"),
        ("onset_frac", "ONSET_FRAC"),
        ("min_trunk_deg", "MIN_TRUNK_DEG"),
        ("min_trunk_shortening", "MIN_TRUNK_SHORTENING"),
    ]:
        assert getattr(r, field) == getattr(reps if hasattr(reps, const) else rep_signal, const), field
    assert LiveConfig().settle_s == TOP_HOLD_S


def test_result_records_its_provenance() -> None:
    track = synth.generate().track
    a = analyze_track(track, drill="rdl").analysis
    p = a.provenance
    assert p is not None
    assert p.hingecoach_version == __version__
    assert p.config == AnalysisConfig(drill="rdl").model_dump(mode="json")
    assert p.config_hash == config_hash(AnalysisConfig(drill="rdl"))
    assert p.drill_table_version is not None and re.fullmatch(r"[0-9a-f]{12}", p.drill_table_version)
    assert p.drill_table_version == drills_table_version()
    assert any(entry.startswith("clean_track(") for entry in p.track_log)
    assert p.source_sha256 is None and p.model_sha256 is None  # a track in memory: no file, no model of ours
    # The default configuration, passed explicitly, is the same analysis.
    b = analyze_track(track, drill="rdl", config=AnalysisConfig()).analysis
    assert b == a
    # The drill comes from the config when not given.
    c = analyze_track(track, config=AnalysisConfig(drill="rdl")).analysis
    assert c == a


def test_filtering_config_is_used_and_changes_the_hash() -> None:
    track = synth.generate(noise=synth.NoiseSpec(noise_px=2.0, seed=1)).track
    base = analyze_track(track, drill="rdl").analysis
    cfg = AnalysisConfig(filtering=FilterConfig(cutoff_hz=3.0, max_gap_s=0.1))
    soft = analyze_track(track, drill="rdl", config=cfg).analysis
    assert soft.provenance is not None and base.provenance is not None
    assert soft.provenance.config_hash != base.provenance.config_hash
    assert any("cutoff_hz=3.0" in e for e in soft.provenance.track_log)
    assert soft.reps[0].metrics != base.reps[0].metrics  # the filter really changed


def test_rep_tunables_change_the_segmentation_and_the_hash() -> None:
    # 50° hinges: reps with the default smallest depth (30°), none when a rep must be 60° deep.
    track = synth.generate(synth.HingeSpec(reps=3, hip_flexion_deg=50.0)).track
    base = analyze_track(track, drill="rdl").analysis
    deep = analyze_track(track, drill="rdl", config=AnalysisConfig(reps=RepConfig(min_depth_deg=60.0))).analysis
    assert len(base.reps) == 3 and len(deep.reps) == 0
    assert deep.provenance is not None and deep.provenance.config is not None
    assert deep.provenance.config["reps"]["min_depth_deg"] == 60.0  # type: ignore[index]
    assert base.provenance is not None and deep.provenance.config_hash != base.provenance.config_hash


def test_drill_table_version_follows_thresholds_not_wording() -> None:
    v = drills_table_version()
    rdl = DRILLS["rdl"]
    check = rdl.checks[0]
    moved = {**DRILLS, "rdl": replace(rdl, checks=(replace(check, threshold=check.threshold + 1.0), *rdl.checks[1:]))}
    reworded = {**DRILLS, "rdl": replace(rdl, checks=(replace(check, cue=check.cue + "!"), *rdl.checks[1:]))}
    assert drills_table_version(moved) != v
    assert drills_table_version(reworded) == v
    assert drills_table_version(dict(DRILLS)) == v
