"""AnalysisConfig really changes the analysis: check thresholds by code, the borderline band, and config files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from hingecoach.analysis import analyze_track
from hingecoach.config import AnalysisConfig, CheckOverride, RepConfig, load_config, tuned_drill
from hingecoach.devtools import synth
from hingecoach.drills import DRILLS
from hingecoach.errors import ConfigFileError, HingecoachError


def _codes(a: object) -> set[str]:
    return {f.code for r in a.reps for f in r.faults}  # type: ignore[attr-defined]


def test_a_check_threshold_moved_by_code_changes_the_verdict() -> None:
    # Knees bent 20° at the bottom: clean for locked_knees (< 10°), a fault once the line is drawn at 30°.
    track = synth.generate(synth.HingeSpec(reps=3, knee_flexion_deg=20.0), noise=synth.NoiseSpec(seed=1)).track
    base = analyze_track(track, drill="rdl").analysis
    assert "locked_knees" not in _codes(base)
    cfg = AnalysisConfig(checks={"locked_knees": CheckOverride(threshold=30.0, major_at=15.0)})
    moved = analyze_track(track, drill="rdl", config=cfg).analysis
    assert "locked_knees" in _codes(moved)
    fault = next(f for r in moved.reps for f in r.faults if f.code == "locked_knees")
    assert fault.threshold == 30.0 and fault.severity == "minor"
    assert moved.provenance is not None and base.provenance is not None
    assert moved.provenance.config_hash != base.provenance.config_hash
    assert moved.provenance.config is not None and "locked_knees" in moved.provenance.config["checks"]  # type: ignore[operator]
    # The shared table is untouched: the next default analysis is the same as before.
    assert analyze_track(track, drill="rdl").analysis == base
    assert DRILLS["rdl"].check("locked_knees").threshold == 10.0  # type: ignore[union-attr]


def test_a_drill_key_wins_over_a_bare_code_and_touches_only_its_drill() -> None:
    cfg = AnalysisConfig(
        checks={"locked_knees": CheckOverride(threshold=12.0), "deadlift.locked_knees": CheckOverride(threshold=50.0)}
    )
    assert tuned_drill(DRILLS["deadlift"], cfg).check("locked_knees").threshold == 50.0  # type: ignore[union-attr]
    assert tuned_drill(DRILLS["rdl"], cfg).check("locked_knees").threshold == 12.0  # type: ignore[union-attr]
    assert tuned_drill(DRILLS["rdl"], AnalysisConfig()) is DRILLS["rdl"]


def test_the_borderline_band_scales_every_checks_band() -> None:
    wide = tuned_drill(DRILLS["rdl"], AnalysisConfig(borderline_band=2.0))
    for a, b in zip(DRILLS["rdl"].checks, wide.checks, strict=True):
        assert b.band == pytest.approx(2 * a.band) and b.reference_band == pytest.approx(2 * a.reference_band)
        assert b.threshold == a.threshold


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ({"no_such_fault": {"threshold": 1.0}}, "names no check"),
        ({"rdl.hips_not_level": {"threshold": 1.0}}, "names no check"),  # a front-view check the RDL does not have
        ({"too_deep": {"threshold": 0.3}}, "different things in different drills"),
        ({"locked_knees": {"threshold": 10.0, "major_at": 20.0}}, "must lie past the threshold"),
        ({"locked_knees": {"threshold": 12.0}}, "for deadlift: the major level 25"),  # the deadlift's line is 45/25
        ({"locked_knees": {"threshold": 10.0, "cue": "x"}}, "Extra inputs"),
    ],
)
def test_check_overrides_are_validated_against_the_table(checks: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AnalysisConfig.model_validate({"checks": checks})
    assert AnalysisConfig.model_validate({"checks": {"rdl.too_deep": {"threshold": 0.3}}}).checks


def test_config_files_json_and_toml(tmp_path: Path) -> None:
    j = tmp_path / "c.json"
    doc = {"drill": "rdl", "reps": {"min_depth_deg": 40.0}, "checks": {"rdl.locked_knees": {"threshold": 12}}}
    j.write_text(json.dumps(doc))
    t = tmp_path / "c.toml"
    t.write_text('drill = "rdl"\n[reps]\nmin_depth_deg = 40.0\n[checks."rdl.locked_knees"]\nthreshold = 12\n')
    a, b = load_config(j), load_config(t)
    assert a == b == AnalysisConfig(
        drill="rdl", reps=RepConfig(min_depth_deg=40.0), checks={"rdl.locked_knees": CheckOverride(threshold=12.0)}
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("c.json", "{not json", "is not valid JSON"),
        ("c.toml", "drill = ", "is not valid TOML"),
        ("c.yaml", "drill: rdl", "must be .json or .toml"),
        ("c.json", "[1, 2]", "a table of settings, not list"),
        ("c.json", '{"reps": {"min_rep_s": "slow"}}', "reps.min_rep_s"),
        ("c.json", '{"smoothing": 3}', "smoothing: Extra inputs are not permitted"),
        ("c.json", '{"filtering": {"jump_window": 8}}', "jump_window must be odd"),
    ],
)
def test_a_bad_config_file_is_one_clear_error(tmp_path: Path, name: str, text: str, message: str) -> None:
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(ConfigFileError, match=message) as exc:
        load_config(p)
    assert isinstance(exc.value, HingecoachError) and "\n" not in exc.value.message and str(p) in exc.value.message
    with pytest.raises(ConfigFileError, match="cannot read"):
        load_config(tmp_path / "missing.json")


def test_the_readme_example_is_a_valid_config(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "settings.toml").write_text(block)
    cfg = load_config(tmp_path / "settings.toml")
    assert cfg.reps.min_depth_deg == 25.0 and cfg.checks["rdl.locked_knees"].threshold == 12.0
