"""The report's "progress" section: usable range and fault frequency over an athlete's sessions.

The report stays a pure presentation layer: it takes plain :class:`ProgressPoint` values (built by the caller from
the history store, see :func:`hingecoach.store.progress_points`) and draws them; it never opens a database.
Same plotting rules as :mod:`hingecoach.report.plots`: object API, local ``rc_context``, inline SVG.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from matplotlib import rc_context
from matplotlib.figure import Figure

from hingecoach.report.plots import HIP_COLOR, RC, figure_svg

FAULT_COLORS: Final[tuple[str, ...]] = ("#dc2626", "#f59e0b", "#7c3aed", "#0891b2", "#65a30d")
MAX_FAULT_LINES: Final[int] = 5


@dataclass(frozen=True)
class ProgressPoint:
    """One session of the athlete's history, as the progress plots show it."""

    label: str  # e.g. the recording date
    drill: str
    usable_range_deg: float | None
    score: int | None
    judged_reps: int
    rep_count: int
    fault_frequency: Mapping[str, float] = field(default_factory=dict)  # share of judged reps, 0-1
    current: bool = False  # the session this report is about


def top_faults(points: Sequence[ProgressPoint], n: int = MAX_FAULT_LINES) -> list[str]:
    """The fault codes worth a line: most frequent summed over sessions."""
    total: Counter[str] = Counter()
    for p in points:
        total.update(p.fault_frequency)
    return [c for c, _ in total.most_common(n)]


def progress_figure(points: Sequence[ProgressPoint], *, width_in: float = 10.0) -> Figure:
    with rc_context(RC):
        return _progress_figure(points, width_in)


def _progress_figure(points: Sequence[ProgressPoint], width_in: float) -> Figure:
    fig = Figure(figsize=(width_in, 5.2), dpi=100, layout="constrained")
    ax_range, ax_faults = fig.subplots(2, 1, sharex=True)
    x = list(range(len(points)))
    ur = [float("nan") if p.usable_range_deg is None else p.usable_range_deg for p in points]
    ax_range.plot(x, ur, "-o", color=HIP_COLOR, lw=2.0, ms=6, zorder=2)
    for i, p in enumerate(points):
        if p.current and p.usable_range_deg is not None:
            ax_range.plot([i], [p.usable_range_deg], "o", ms=11, mfc="none", mec="#111827", mew=1.5, zorder=3)
    ax_range.set_ylabel("Usable range (°)")
    ax_range.set_title("Deepest hip flexion with the back line holding (median rep)", fontsize=9, loc="left")
    ax_range.margins(y=0.2)
    codes = top_faults(points)
    for k, code in enumerate(codes):
        ys = [100.0 * p.fault_frequency.get(code, 0.0) for p in points]
        color = FAULT_COLORS[k % len(FAULT_COLORS)]
        ax_faults.plot(x, ys, "-o", color=color, lw=1.6, ms=4, label=code.replace("_", " "))
    ax_faults.set_ylim(-5, 105)
    ax_faults.set_ylabel("Reps with fault (%)")
    if codes:
        ax_faults.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8.5)
    else:
        ax_faults.text(
            0.5, 0.5, "no faults in any session", transform=ax_faults.transAxes, ha="center", color="#16a34a"
        )
    ax_faults.set_xticks(x, [f"{p.label}\n{p.drill}" for p in points], fontsize=8)
    if len(points) == 1:
        ax_faults.set_xlim(-0.5, 0.5)
    return fig


def progress_svg(points: Sequence[ProgressPoint], *, width_in: float = 10.0) -> str:
    return figure_svg(progress_figure(points, width_in=width_in))


def progress_rows(points: Sequence[ProgressPoint]) -> list[dict[str, Any]]:
    """The table under the plots: one plain row per session."""
    return [
        {
            "label": p.label,
            "drill": p.drill,
            "reps": f"{p.judged_reps}/{p.rep_count}",
            "score": "—" if p.score is None else str(p.score),
            "usable_range": "—" if p.usable_range_deg is None else f"{p.usable_range_deg:.0f}°",
            "faults": ", ".join(f"{c.replace('_', ' ')} {100 * v:.0f}%" for c, v in p.fault_frequency.items())
            or "clean",
            "current": p.current,
        }
        for p in points
    ]
