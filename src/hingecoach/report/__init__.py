"""Report stage: show an analysis. Overlay video, self-contained HTML report, and exports for other tools.

Everything here renders from :class:`ReportInputs` (the ``analysis@1`` result plus the per-frame arrays it was
computed from) and never recomputes analysis. :func:`write_all` is the one call the CLI needs::

    inputs = ReportInputs.from_kinematics(kin, analysis, phases=phases, back_threshold=..., track=track)
    files = write_all(out_dir, inputs, video_path=video)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hingecoach.report.export import write_csv, write_json, write_mot, write_trc
from hingecoach.report.html import render_report
from hingecoach.report.inputs import DrillText, ReportInputs
from hingecoach.report.overlay import OverlayResult, render_overlay
from hingecoach.report.progress import ProgressPoint

__all__ = [
    "DrillText",
    "OutputFiles",
    "OverlayResult",
    "ProgressPoint",
    "ReportInputs",
    "render_overlay",
    "render_report",
    "write_all",
    "write_csv",
    "write_json",
    "write_mot",
    "write_trc",
]


@dataclass(frozen=True)
class OutputFiles:
    """Paths :func:`write_all` wrote (None for what it could not make, e.g. no video → no overlay)."""

    report_html: Path
    analysis_json: Path
    frames_csv: Path
    angles_mot: Path
    overlay_mp4: Path | None = None
    markers_px_trc: Path | None = None
    markers_m_trc: Path | None = None

    def all(self) -> list[Path]:
        """Every file written, in a stable order."""
        paths = (
            self.report_html,
            self.overlay_mp4,
            self.analysis_json,
            self.frames_csv,
            self.angles_mot,
            self.markers_px_trc,
            self.markers_m_trc,
        )
        return [p for p in paths if p is not None]


def write_all(
    out_dir: str | Path,
    inputs: ReportInputs,
    *,
    video_path: str | Path | None = None,
    max_side: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    history: Sequence[ProgressPoint] | None = None,
) -> OutputFiles:
    """Write every artefact into ``out_dir``: ``report.html``, ``overlay.mp4`` (with a video and a track),
    ``analysis.json``, ``frames.csv``, ``angles.mot``, ``markers_px.trc`` and ``markers_m.trc`` (with a track).

    The video is decoded once: the overlay pass also keeps the key frames the report embeds. ``history``: the
    athlete's sessions for the report's "progress" section.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    track = inputs.track
    overlay: OverlayResult | None = None
    if video_path is not None and track is not None:
        overlay = render_overlay(video_path, track, inputs, out / "overlay.mp4", progress=progress, max_side=max_side)
    report = render_report(
        inputs,
        out / "report.html",
        key_frames=overlay.key_frames if overlay is not None else None,
        video_path=video_path if overlay is None else None,
        overlay_path=overlay.path if overlay is not None else None,
        progress=history,
    )
    px_trc = m_trc = None
    if track is not None:
        px_trc = write_trc(out / "markers_px.trc", track, units="px")
        if track.world_m is not None:
            m_trc = write_trc(out / "markers_m.trc", track, units="m")
    return OutputFiles(
        report_html=report,
        analysis_json=write_json(out / "analysis.json", inputs.analysis),
        frames_csv=write_csv(out / "frames.csv", inputs),
        angles_mot=write_mot(out / "angles.mot", inputs.t_s, inputs.series),
        overlay_mp4=overlay.path if overlay is not None else None,
        markers_px_trc=px_trc,
        markers_m_trc=m_trc,
    )
