"""Self-calibration as `hingecoach eval --self-reference` measures it, on synthetic lifters with known backs.

A lifter with a flat back whose rounding reads inside the population line's band is a fault against their own clean
clip. A clip is never its own reference, and a lifter with no clean clip the tool accepts (a loose shirt the
population line flags) has no reference: their clips are not counted.
"""

from __future__ import annotations

import pytest
from tests.unit.test_judge import SIDE_CAM, _with_back

from hingecoach.devtools import synth
from hingecoach.devtools.evaluate import ManifestRow
from hingecoach.devtools.selfref import self_reference_clips, self_reference_figures
from hingecoach.drills import DRILLS
from hingecoach.errors import HingecoachError
from hingecoach.track import PoseTrack


def _row(path: str, lifter: str, faults: frozenset[str] = frozenset()) -> ManifestRow:
    return ManifestRow(path=path, drill="rdl", view="side", reps=3, faults=faults, lifter=lifter)


def test_own_reference_finds_a_rounding_the_population_line_calls_too_close() -> None:
    check = DRILLS["rdl"].check("rounded_back")
    assert check is not None and check.reference_threshold is not None
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    rounding = check.reference_threshold + 3 * check.reference_band  # past the own-reference line by 3 bands
    assert abs(rounding - check.threshold) < check.band  # ...and inside the population line's band
    shirt = check.threshold + 2 * check.band  # lifter b's neutral back reads past the population line (loose shirt)
    tracks: dict[str, PoseTrack] = {
        "a/clean1": _with_back(res, 0.0),
        "a/clean2": _with_back(res, 0.0),
        "a/rounded": _with_back(res, rounding),
        "b/clean": _with_back(res, shirt),
        "b/rounded": _with_back(res, shirt + rounding),
    }
    rows = [
        _row("a/clean1", "a"),
        _row("a/clean2", "a"),
        _row("a/rounded", "a", frozenset({"rounded_back"})),
        _row("b/clean", "b"),
        _row("b/rounded", "b", frozenset({"rounded_back"})),
        _row("a/missing", "a"),
    ]

    def load(row: ManifestRow) -> PoseTrack:
        if row.path not in tracks:
            raise HingecoachError(f"no cached track for {row.path}")
        return tracks[row.path]

    clips, skipped = self_reference_clips(rows, load)
    assert skipped == ["a/missing"]
    by = {c.path: c for c in clips}
    # Lifter b's clean clip is flagged by the population line, so the tool never takes it as a reference (the rule
    # the history store follows): b has none and is not counted.
    assert set(by) == {"a/clean1", "a/clean2", "a/rounded"}
    assert by["a/clean1"].reference_path == "a/clean2"  # never its own reference
    assert by["a/rounded"].reference_path == "a/clean1"
    assert "rounded_back" in by["a/rounded"].population_borderline and "rounded_back" in by["a/rounded"].own
    assert not any("rounded_back" in c.own for c in (by["a/clean1"], by["a/clean2"]))
    fig = self_reference_figures(clips, skipped)["per_fault"]["rounded_back"]
    assert fig["population"] == {"tp": 0, "fp": 0, "fn": 1, "borderline": 1}
    assert fig["own"] == {"tp": 1, "fp": 0, "fn": 0, "borderline": 0}


@pytest.mark.parametrize("faults", [frozenset({"rounded_back"}), frozenset({"head_out_of_line"})])
def test_a_clip_labelled_with_a_back_fault_is_never_a_reference(faults: frozenset[str]) -> None:
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    track = _with_back(res, 0.0)
    rows = [_row("a/1", "a", faults), _row("a/2", "a", faults)]
    clips, _ = self_reference_clips(rows, lambda r: track)
    assert clips == []
