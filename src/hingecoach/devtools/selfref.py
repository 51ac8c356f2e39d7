"""Self-calibration measured: each lifter's other clips judged against their own clean clip, beside the population.

Issue 11 asks the back-line checks to compare against the athlete's own neutral reference when one exists (a clean
set in the same camera set-up; :func:`hingecoach.judge.reference_from_analysis` makes it from an analysis, the
history store keeps it). This module measures what that changes on the labelled manifest:

* the reference of a lifter is the first of their side-view clips (manifest order) that is labelled clean for both
  back-line faults *and* that the tool itself accepts as a reference (no back-line fault raised on it) — the rule
  the history store follows, with the label standing in for the coach who confirms the set was clean;
* every *other* side-view clip of that lifter with defensible labels is judged twice, with the population
  thresholds (the table's, so in-sample) and against that reference; a clip is never its own reference;
* figures per back-line fault on exactly those clips: tp / fp / fn each way, and how many answers were borderline.

The reference thresholds (``Check.reference_threshold``) are table values from the probe in
``/work/shared/notes/virtual-dowel.md``, not fitted on these clips. Same-lifter clips of the manifest are not always
one session (clothes and camera can differ), which a real reference would be.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hingecoach.analysis import analyze_track
from hingecoach.devtools.evaluate import ManifestRow, cached_track
from hingecoach.errors import HingecoachError
from hingecoach.judge import BACK_LINE_CODES, reference_from_analysis
from hingecoach.measures import BackReference
from hingecoach.schema import Analysis
from hingecoach.track import PoseTrack


@dataclass(frozen=True)
class SelfRefClip:
    """One clip judged both ways: its labelled back-line faults, and the fault and borderline codes each way."""

    path: str
    lifter: str
    reference_path: str
    expected: frozenset[str]
    population: frozenset[str]
    own: frozenset[str]
    population_borderline: frozenset[str]
    own_borderline: frozenset[str]


def _codes(a: Analysis, state: str) -> frozenset[str]:
    """Back-line codes in ``state`` on any rep or on the frames outside the reps."""
    per_rep = {c.code for r in a.reps for c in r.checks if c.state == state}
    outside = {c.code for c in a.clip_checks if c.state == state}
    return frozenset((per_rep | outside) & set(BACK_LINE_CODES))


def self_reference_clips(
    rows: Sequence[ManifestRow], load: Callable[[ManifestRow], PoseTrack]
) -> tuple[list[SelfRefClip], list[str]]:
    """Judge each eligible clip with the population thresholds and against its lifter's reference (see module).

    Returns the clips and the paths that could not be loaded (no cached track, a bad file): listed, never dropped
    silently.
    """
    side: dict[str, list[tuple[ManifestRow, PoseTrack, Analysis]]] = defaultdict(list)
    skipped: list[str] = []
    for row in rows:
        if row.synthetic or not row.faults_known:
            continue
        try:
            track = load(row)
        except HingecoachError:
            skipped.append(row.path)
            continue
        a = analyze_track(track, drill=row.drill, source_path=row.path).analysis
        if a.camera_view == "side":
            side[row.lifter_id].append((row, track, a))
    out: list[SelfRefClip] = []
    for lifter, clips in side.items():
        refs: list[tuple[str, BackReference]] = []
        for row, _, a in clips:
            ref = reference_from_analysis(a) if not row.faults & set(BACK_LINE_CODES) else None
            if ref is not None:
                refs.append((row.path, ref))
        for row, track, a in clips:
            chosen = next(((p, r) for p, r in refs if p != row.path), None)
            if chosen is None:
                continue
            b = analyze_track(track, drill=row.drill, source_path=row.path, reference=chosen[1]).analysis
            out.append(
                SelfRefClip(
                    path=row.path,
                    lifter=lifter,
                    reference_path=chosen[0],
                    expected=frozenset(row.faults & set(BACK_LINE_CODES)),
                    population=_codes(a, "fault"),
                    own=_codes(b, "fault"),
                    population_borderline=_codes(a, "borderline"),
                    own_borderline=_codes(b, "borderline"),
                )
            )
    return out, skipped


def self_reference_figures(clips: Sequence[SelfRefClip], skipped: Sequence[str] = ()) -> dict[str, Any]:
    """Per back-line fault and each way: tp / fp / fn and borderline answers on the same clips."""
    per: dict[str, dict[str, dict[str, int]]] = {}
    for code in BACK_LINE_CODES:
        per[code] = {}
        for way in ("population", "own"):
            found = [code in getattr(c, way) for c in clips]
            exp = [code in c.expected for c in clips]
            per[code][way] = {
                "tp": sum(f and e for f, e in zip(found, exp, strict=True)),
                "fp": sum(f and not e for f, e in zip(found, exp, strict=True)),
                "fn": sum(e and not f for f, e in zip(found, exp, strict=True)),
                "borderline": sum(code in getattr(c, f"{way}_borderline") for c in clips),
            }
    return {
        "clips": len(clips),
        "lifters": len({c.lifter for c in clips}),
        "skipped": list(skipped),
        "per_fault": per,
        "rows": [
            {
                "path": c.path,
                "lifter": c.lifter,
                "reference": c.reference_path,
                "expected": sorted(c.expected),
                "population": sorted(c.population),
                "own": sorted(c.own),
            }
            for c in clips
        ],
    }


def evaluate_self_reference(
    rows: Sequence[ManifestRow], data_root: Path, cache_dir: Path, *, cached_only: bool, stale_ok: bool
) -> dict[str, Any]:
    """:func:`self_reference_figures` of the manifest clips, tracks from the evaluation's cache."""

    def load(row: ManifestRow) -> PoseTrack:
        return cached_track(data_root / row.path, cache_dir, cached_only=cached_only, stale_ok=stale_ok)

    return self_reference_figures(*self_reference_clips(rows, load))
