"""Session plots: hip and knee angle and the back-line deviation over time, reps shaded, faults marked.

Matplotlib is used through its object API with an explicit Agg/SVG canvas and a local ``rc_context``: importing
this module selects no backend and changes no global setting, so it is safe inside a web server or a notebook.
SVG output keeps text as text (``svg.fonttype = none``): smaller, crisp at any zoom, and searchable in the page.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hingecoach.report.inputs import BACK_BREAKS, BACK_HOLDS, BACK_NEAR, ReportInputs

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

HIP_COLOR: Final[str] = "#2563eb"
KNEE_COLOR: Final[str] = "#f59e0b"
BACK_COLOR: Final[str] = "#0f766e"
HOLD_COLOR: Final[str] = "#22c55e"
BREAK_COLOR: Final[str] = "#ef4444"
UNKNOWN_COLOR: Final[str] = "#d4d4d8"
NEAR_COLOR: Final[str] = "#f59e0b"
REP_FILL: Final[tuple[str, str]] = ("#e0e7ff", "#ede9fe")
MAJOR_COLOR: Final[str] = "#dc2626"
MINOR_COLOR: Final[str] = "#f59e0b"

RC: Final[dict[RcKeyType, Any]] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "hingecoach",
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9ca3af",
    "axes.labelcolor": "#374151",
    "xtick.color": "#6b7280",
    "ytick.color": "#6b7280",
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "grid.linewidth": 0.8,
    "legend.frameon": False,
}


def _hex_rgb(color: str) -> tuple[float, float, float]:
    c = color.lstrip("#")
    return int(c[0:2], 16) / 255.0, int(c[2:4], 16) / 255.0, int(c[4:6], 16) / 255.0


def _shade_reps(ax: Axes, inputs: ReportInputs, *, labels: bool) -> None:
    """Alternating bands over each rep (hatched when partial or not judged), with ``Rep n`` on top."""
    for k, rep in enumerate(inputs.analysis.reps):
        band = ax.axvspan(rep.start_s, rep.end_s, color=REP_FILL[k % 2], alpha=0.9, zorder=0, lw=0)
        if rep.partial or not rep.judged:
            band.set_hatch("///")
            band.set_edgecolor("#c7d2fe")
        if labels:
            note = "" if rep.judged else " (not judged)"
            ax.text(
                (rep.start_s + rep.end_s) / 2,
                1.0,
                f"Rep {rep.index}{note}",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8.5,
                color="#4338ca",
                fontweight="bold",
            )


def _mark_faults(ax: Axes, inputs: ReportInputs, *, labels: bool) -> None:
    """A vertical line at each fault's time; the fault code beside it on the top panel."""
    for n, (_, fault) in enumerate(inputs.faults()):
        color = MAJOR_COLOR if fault.severity == "major" else MINOR_COLOR
        ax.axvline(fault.at_s, color=color, lw=1.2, ls=(0, (4, 2)), zorder=3)
        if labels:
            ax.annotate(
                fault.code.replace("_", " "),
                xy=(fault.at_s, 0.97 - 0.09 * (n % 3)),
                xycoords=("data", "axes fraction"),
                xytext=(3, 0),
                textcoords="offset points",
                fontsize=8,
                color=color,
                va="top",
                zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )


def _state_strip(ax: Axes, inputs: ReportInputs) -> None:
    """Per-frame back-line state as a coloured strip: green holds, red breaks, amber too close to call, grey not
    judged.
    """
    state = inputs.back_state()
    palette = np.array([_hex_rgb(c) for c in (UNKNOWN_COLOR, BREAK_COLOR, HOLD_COLOR, NEAR_COLOR)])
    rgb = palette[np.clip(state.astype(np.int64) + 1, 0, 3)][None, :, :]
    t = inputs.t_s
    half = (t[1] - t[0]) / 2 if t.size > 1 else 0.5
    ax.imshow(rgb, aspect="auto", extent=(t[0] - half, t[-1] + half, 0, 1), interpolation="nearest")
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_ylabel("Back line", rotation=0, ha="right", va="center", fontsize=8.5)


def timeline_figure(inputs: ReportInputs, *, width_in: float = 10.0) -> Figure:
    """The session timeline: angles (top), back-line deviation (middle, when measured) and back-line state strip."""
    with rc_context(RC):
        return _timeline_figure(inputs, width_in)


def _timeline_figure(inputs: ReportInputs, width_in: float) -> Figure:
    series = inputs.series
    has_dev = inputs.back_deviation is not None and np.isfinite(inputs.back_deviation).any()
    state = inputs.back_state()
    has_state = bool((state >= 0).any())
    ratios = [3.0] + ([1.6] if has_dev else []) + ([0.28] if has_state else [])
    fig = Figure(figsize=(width_in, 1.2 + 1.25 * sum(ratios)), dpi=100, layout="constrained")
    axes = fig.subplots(len(ratios), 1, sharex=True, gridspec_kw={"height_ratios": ratios}, squeeze=False)[:, 0]
    t = inputs.t_s

    ax = axes[0]
    _shade_reps(ax, inputs, labels=True)
    handles: list[Any] = []
    for name, color, label in (
        ("hip_flexion_deg", HIP_COLOR, "Hip flexion"),
        ("knee_flexion_deg", KNEE_COLOR, "Knee flexion"),
    ):
        if name in series:
            (line,) = ax.plot(t, series[name], color=color, lw=2.0, label=label, zorder=2)
            handles.append(line)
    for rep in inputs.analysis.reps:
        if "hip_flexion_deg" in series and 0 <= rep.bottom_frame < t.size:
            ax.plot(rep.bottom_s, series["hip_flexion_deg"][rep.bottom_frame], "o", color=HIP_COLOR, ms=5, zorder=3)
    _mark_faults(ax, inputs, labels=True)
    ax.set_ylabel("Angle (°)")
    ax.margins(y=0.12)  # head-room for the fault labels above the deepest rep
    if inputs.analysis.reps:
        handles.append(Patch(color=REP_FILL[0], label="Rep"))
    if inputs.faults():
        handles.append(Line2D([], [], color=MAJOR_COLOR, ls=(0, (4, 2)), label="Fault"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.02), ncols=len(handles), fontsize=8.5)
        ax.legend_.set_in_layout(True)  # type: ignore[union-attr]

    k = 1
    if has_dev:
        ax = axes[k]
        k += 1
        dev = np.asarray(inputs.back_deviation, dtype=np.float64)
        _shade_reps(ax, inputs, labels=False)
        ax.plot(t, dev, color=BACK_COLOR, lw=1.6, zorder=2)
        if inputs.back_threshold is not None:
            thr = float(inputs.back_threshold)
            ax.axhline(thr, color=BREAK_COLOR, lw=1.0, ls="--", zorder=2)
            ax.fill_between(t, thr, dev, where=np.nan_to_num(dev, nan=-np.inf) > thr, color=BREAK_COLOR, alpha=0.25)
            ax.text(t[-1], thr, " limit", color=BREAK_COLOR, va="center", ha="left", fontsize=8, clip_on=False)
        _mark_faults(ax, inputs, labels=False)
        ax.set_ylabel(inputs.back_label)
    if has_state:
        _state_strip(axes[k], inputs)
        axes[k].set_xlabel("Time (s)")
        held = float((state == BACK_HOLDS).sum()) / max(int((state >= 0).sum()), 1)
        broke = int((state == BACK_BREAKS).sum())
        near = int((state == BACK_NEAR).sum())
        axes[k].set_title(
            f"back line held on {held:.0%} of judged frames"
            + (f", broke on {broke} frames" if broke else "")
            + (f", too close to call on {near}" if near else ""),
            fontsize=8,
            color="#6b7280",
            loc="right",
            pad=2,
        )
    else:
        axes[-1].set_xlabel("Time (s)")
    if t.size:
        axes[0].set_xlim(float(t[0]), float(t[-1]))
    return fig


def figure_svg(fig: Figure) -> str:
    """The figure as an SVG document body (no XML prolog), ready to inline in HTML."""
    buf = io.StringIO()
    with rc_context(RC):
        FigureCanvasSVG(fig)
        fig.savefig(buf, format="svg")
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def figure_png(fig: Figure, *, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (rendered with Agg)."""
    buf = io.BytesIO()
    with rc_context(RC):
        FigureCanvasAgg(fig)
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def timeline_svg(inputs: ReportInputs, *, width_in: float = 10.0) -> str:
    """Convenience: :func:`timeline_figure` rendered to inline SVG."""
    return figure_svg(timeline_figure(inputs, width_in=width_in))
