"""What one session says about progress: usable range, fault frequency, rep scores, and whether the back was seen.

The article's rule "work in a range of motion where you can maintain all three points and try to improve over time"
needs a number per session: the **usable range**, the deepest hip flexion at which the back line still held. Each
judged rep carries it as ``metrics["back_held_to_hip_flexion_deg"]`` (the judge's back-line check; the key stays when
the check is reworked); the session's value is the *median* over reps, because a range you can *maintain* is the one
you reach on a typical rep, not on the one lucky rep.

Pure functions of :class:`hingecoach.schema.Analysis` (or of the store's rows rebuilt into :class:`RepStats`), so
the CLI, the web app, the report and the ladder compute the same figures.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from hingecoach import schema
from hingecoach.drills import DRILLS

USABLE_RANGE_METRIC: Final[str] = "back_held_to_hip_flexion_deg"
#: Fault codes of the back line (the dowel's three points): a session is a neutral-back reference only without them.
BACK_LINE_CODES: Final[tuple[str, ...]] = ("rounded_back", "head_out_of_line")
#: The check whose judgement says "the back line was seen on this rep".
BACK_CHECK: Final[str] = "rounded_back"


@dataclass(frozen=True)
class RepStats:
    """One rep as progress sees it. ``back_judged`` None: the drill has no back-line check (e.g. the hip thrust)."""

    index: int
    judged: bool
    score: int
    partial: bool = False
    back_judged: bool | None = None
    back_held_deg: float | None = None
    faults: tuple[tuple[str, str], ...] = ()  # (code, severity)
    #: Codes of the checks whose reading was too close to call on this rep (neither fault nor clean).
    borderline: tuple[str, ...] = ()

    def has_fault(self, codes: Sequence[str], severity: str | None = None) -> bool:
        return any(c in codes and (severity is None or s == severity) for c, s in self.faults)

    def has_borderline(self, codes: Sequence[str]) -> bool:
        return any(c in codes for c in self.borderline)


@dataclass(frozen=True)
class SessionStats:
    """Per-session figures. ``fault_frequency``: share of judged reps showing each fault code (0-1)."""

    drill: str
    camera_view: str
    reps: tuple[RepStats, ...]
    score: int | None
    usable_range_deg: float | None
    fault_frequency: dict[str, float] = field(default_factory=dict)

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    @property
    def judged(self) -> tuple[RepStats, ...]:
        return tuple(r for r in self.reps if r.judged)

    @property
    def rep_scores(self) -> tuple[int, ...]:
        return tuple(r.score for r in self.judged)

    @property
    def back_judged_reps(self) -> int:
        return sum(1 for r in self.judged if r.back_judged)

    @property
    def has_back_check(self) -> bool:
        return any(r.back_judged is not None for r in self.reps) or _has_back_check(self.drill)


def _has_back_check(drill: str) -> bool:
    spec = DRILLS.get(drill)
    return spec is not None and spec.check(BACK_CHECK) is not None


def rep_back_judged(analysis: schema.Analysis, rep: schema.Rep) -> bool | None:
    """Was the back line judged on this rep? From the rep's check results when present, else from the rep's
    ``judged`` flag, the session's ``not_judged_rounded_back`` warning (a view that cannot show the back) and
    whether the back-line range was measured. None when the drill has no back-line check at all.
    """
    if not _has_back_check(analysis.drill):
        return None
    for c in rep.checks:
        if c.code == BACK_CHECK:
            return c.state != "not_judged"
    if not rep.judged:
        return False
    if any(w.code == f"not_judged_{BACK_CHECK}" for w in analysis.warnings):
        return False
    return rep.metrics.get(USABLE_RANGE_METRIC) is not None


def rep_stats(analysis: schema.Analysis) -> tuple[RepStats, ...]:
    return tuple(
        RepStats(
            index=r.index,
            judged=r.judged,
            score=r.score,
            partial=r.partial,
            back_judged=rep_back_judged(analysis, r),
            back_held_deg=r.metrics.get(USABLE_RANGE_METRIC),
            faults=tuple((f.code, f.severity) for f in r.faults),
            borderline=tuple(c.code for c in r.checks if c.state == "borderline"),
        )
        for r in analysis.reps
    )


def usable_range(reps: Sequence[RepStats]) -> float | None:
    """Median back-held hip flexion over judged reps whose back was judged (deg); None when none was."""
    vals = [r.back_held_deg for r in reps if r.judged and r.back_judged is not False and r.back_held_deg is not None]
    return round(float(statistics.median(vals)), 1) if vals else None


def fault_frequency(reps: Sequence[RepStats]) -> dict[str, float]:
    """Share of judged reps with each fault code, most frequent first."""
    judged = [r for r in reps if r.judged]
    if not judged:
        return {}
    counts: Counter[str] = Counter(code for r in judged for code in {c for c, _ in r.faults})
    return {c: round(n / len(judged), 3) for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def stats_from_reps(drill: str, camera_view: str, reps: Sequence[RepStats]) -> SessionStats:
    scores = [r.score for r in reps if r.judged]
    return SessionStats(
        drill=drill,
        camera_view=camera_view,
        reps=tuple(reps),
        score=round(statistics.fmean(scores)) if scores else None,
        usable_range_deg=usable_range(reps),
        fault_frequency=fault_frequency(reps),
    )


def session_stats(analysis: schema.Analysis) -> SessionStats:
    """The figures of one analysed session."""
    return stats_from_reps(analysis.drill, analysis.camera_view, rep_stats(analysis))


def back_line_neutral(stats: SessionStats) -> bool:
    """Every rep judged, the back line judged on every rep, and no back-line fault: a neutral-back reference."""
    return bool(stats.reps) and all(
        r.judged and r.back_judged is True and not r.has_fault(BACK_LINE_CODES) for r in stats.reps
    )
