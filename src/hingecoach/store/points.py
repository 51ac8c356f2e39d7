"""History records → the report's progress points (kept apart so the store does not import the plotting stack)."""

from __future__ import annotations

from collections.abc import Sequence

from hingecoach.report.progress import ProgressPoint
from hingecoach.store.repo import SessionRecord


def progress_points(records: Sequence[SessionRecord], *, current_id: int | None = None) -> list[ProgressPoint]:
    """One point per session, oldest first; ``current_id`` marks the session a report is about."""
    return [
        ProgressPoint(
            label=r.recorded_at.strftime("%Y-%m-%d"),
            drill=r.drill,
            usable_range_deg=r.stats.usable_range_deg,
            score=r.stats.score,
            judged_reps=len(r.stats.judged),
            rep_count=r.stats.rep_count,
            fault_frequency=dict(r.stats.fault_frequency),
            current=r.id == current_id,
        )
        for r in sorted(records, key=lambda r: (r.recorded_at, r.id))
    ]
