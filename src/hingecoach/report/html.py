"""The session report: one self-contained HTML file (inline CSS, inline SVG plot, base64 JPEG stills).

One file with nothing to fetch means it opens offline, survives being e-mailed or attached to a ticket, and needs
no web server. The template (``templates/report.html.j2``) holds all markup; this module only prepares plain values
(formatted numbers, prettified names) so the template stays free of logic.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from numpy.typing import NDArray

from hingecoach import __version__
from hingecoach.coaching import is_good_rep
from hingecoach.fileio import write_text_atomic
from hingecoach.report.inputs import BACK_HOLDS, ReportInputs, drill_text, key_frame_targets
from hingecoach.report.overlay import annotate_frames, read_frames
from hingecoach.report.plots import timeline_svg
from hingecoach.report.progress import ProgressPoint, progress_rows, progress_svg
from hingecoach.schema import SCHEMA_ID, Rep

KEY_FRAME_MAX_SIDE: Final[int] = 720
"""Stills are downscaled to this long side: sharp on a laptop screen, ~60-120 kB each as JPEG."""

HEADLINE_METRICS: Final[tuple[str, ...]] = (
    "hip_flexion_max_deg",
    "knee_flexion_at_bottom_deg",
    "trunk_angle_at_bottom_deg",
    "back_held_to_hip_flexion_deg",
)
"""Metrics the rep table shows (the first four present); every other metric goes to the "all measurements" table."""
MAX_HEADLINE: Final[int] = 4

_UNITS: Final[tuple[tuple[str, str], ...]] = (("_deg", "°"), ("_s", "s"), ("_m", "m"), ("_pct", "%"), ("_px", "px"))


@dataclass(frozen=True)
class MetricColumn:
    key: str
    label: str
    unit: str


def metric_column(key: str) -> MetricColumn:
    """``hip_flexion_max_deg`` → label ``Hip flexion max``, unit ``°`` (the unit is the name's suffix)."""
    suffix, unit = next(((sfx, u) for sfx, u in _UNITS if key.endswith(sfx)), ("", ""))
    stem = key[: len(key) - len(suffix)]
    words = stem.replace("_", " ").strip()
    return MetricColumn(key, words[:1].upper() + words[1:], unit)


def format_value(value: float | None, unit: str) -> str:
    """A metric for a table cell: whole degrees, seconds to 0.01, ratios to 2 decimals; an em dash when missing."""
    if value is None or not np.isfinite(value):
        return "—"
    if unit == "°":
        return f"{value:.0f}°"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "%":
        return f"{value:.0f}%"
    if unit in ("m", "px"):
        return f"{value:.2f} {unit}"
    return f"{value:.2f}"


def pretty_code(code: str) -> str:
    """``back_rounds`` → ``Back rounds``."""
    words = code.replace("_", " ")
    return words[:1].upper() + words[1:]


def score_class(score: int | None) -> str:
    """CSS class for a 0-100 score: good (80+), fair (60-79), poor (<60), none."""
    if score is None:
        return "none"
    return "good" if score >= 80 else "fair" if score >= 60 else "poor"


def jpeg_data_uri(frame_bgr: NDArray[np.uint8], *, max_side: int = KEY_FRAME_MAX_SIDE, quality: int = 85) -> str:
    """A BGR frame as a ``data:image/jpeg;base64,...`` URI (downscaled to ``max_side``)."""
    h, w = frame_bgr.shape[:2]
    if max(h, w) > max_side:
        s = max_side / max(h, w)
        frame_bgr = np.asarray(
            cv2.resize(frame_bgr, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
    ok, buf = cv2.imencode(".jpg", frame_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _rep_row(rep: Rep, columns: list[MetricColumn]) -> dict[str, Any]:
    return {
        "index": rep.index,
        "start": f"{rep.start_s:.2f}",
        "bottom": f"{rep.bottom_s:.2f}",
        "end": f"{rep.end_s:.2f}",
        "descent": f"{rep.descent_s:.2f}",
        "ascent": f"{rep.ascent_s:.2f}",
        "metrics": [format_value(rep.metrics.get(c.key), c.unit) for c in columns],
        "faults": [
            {"code": f.code, "name": pretty_code(f.code), "severity": f.severity, "cue": f.cue, "at": f"{f.at_s:.2f}"}
            for f in rep.faults
        ],
        "good": is_good_rep(rep),
        "close": _answers(rep, "borderline"),
        "unjudged": _answers(rep, "not_judged") if rep.judged else [],
        "score": rep.score,
        "score_class": score_class(rep.score) if rep.judged else "none",
        "partial": rep.partial,
        "judged": rep.judged,
    }


def _answers(rep: Rep, state: str) -> list[dict[str, str]]:
    """The rep's checks that answered ``state`` ("borderline", "not_judged"): name and why, for a chip's tooltip.

    Why: a rep with no fault is not the same as a clean rep when a check was too close to call or could not be
    judged; the table says which, and the tooltip says why and how to film so that it can be judged.
    """
    out = []
    for c in rep.checks:
        if c.state == state:
            why = " — ".join(t for t in (c.reason, c.how_to_film) if t)
            out.append({"code": c.code, "name": pretty_code(c.code), "why": why})
    return out


def report_context(
    inputs: ReportInputs,
    *,
    key_frames: Mapping[str, NDArray[np.uint8]] | None = None,
    overlay_href: str | None = None,
    progress: Sequence[ProgressPoint] | None = None,
) -> dict[str, Any]:
    """Every value the template shows, already formatted (exposed for tests and other front-ends).

    ``progress``: the athlete's sessions for the "progress" section (omitted when None or empty).
    """
    a = inputs.analysis
    all_keys = sorted({k for r in a.reps for k in r.metrics}, key=_metric_order)
    headline = [k for k in HEADLINE_METRICS if k in all_keys][:MAX_HEADLINE] or all_keys[:MAX_HEADLINE]
    cols = [metric_column(k) for k in headline]
    all_cols = [metric_column(k) for k in all_keys]
    state = inputs.back_state()
    judged = int((state >= 0).sum())
    drill = inputs.drill_text()
    next_drill = drill_text(a.summary.next_drill).name if a.summary.next_drill else None
    # Most frequent first; ties in the order the faults first happened in the session.
    first_seen = {f.code: n for n, (_, f) in reversed(list(enumerate(inputs.faults())))}
    faults_sorted = sorted(a.summary.fault_counts.items(), key=lambda kv: (-kv[1], first_seen.get(kv[0], 1 << 30)))
    return {
        "title": f"{drill.name} — hingecoach report",
        "version": __version__,
        "schema": SCHEMA_ID,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "source_name": Path(a.source.path).name or a.source.path,
        "source": a.source,
        "duration": f"{a.source.duration_s:.1f}",
        "fps": f"{a.source.fps:.2f}".rstrip("0").rstrip("."),
        "camera_view": a.camera_view,
        "facing": a.facing,
        "coverage_pct": f"{100 * a.pose_coverage:.0f}",
        "drill": drill,
        "summary": a.summary,
        "score_class": score_class(a.summary.score),
        "fault_counts": [{"code": c, "name": pretty_code(c), "count": n} for c, n in faults_sorted if n > 0],
        "next_drill": next_drill,
        "back_held_pct": None if judged == 0 else f"{100 * float((state == BACK_HOLDS).sum()) / judged:.0f}",
        "warnings": a.warnings,
        "columns": cols,
        "reps": [_rep_row(r, cols) for r in a.reps],
        "all_columns": all_cols if len(all_cols) > len(cols) else [],
        "all_metrics": [
            {"label": c.label, "unit": c.unit, "values": [format_value(r.metrics.get(c.key), c.unit) for r in a.reps]}
            for c in all_cols
        ],
        "plot_svg": Markup(timeline_svg(inputs)) if inputs.n_frames > 1 else None,
        "key_frames": [{"caption": k, "src": jpeg_data_uri(v)} for k, v in (key_frames or {}).items()],
        "overlay_href": overlay_href,
        "progress_svg": Markup(progress_svg(progress)) if progress else None,
        "progress_rows": progress_rows(progress) if progress else [],
    }


def _metric_order(key: str) -> tuple[int, str]:
    """Angles first (hip, knee, trunk), then the rest alphabetically: the table reads like the coaching does."""
    for n, prefix in enumerate(("hip", "knee", "trunk", "back", "head", "hand")):
        if key.startswith(prefix):
            return n, key
    return 99, key


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("hingecoach", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def grab_key_frames(inputs: ReportInputs, video_path: str | Path) -> dict[str, NDArray[np.uint8]]:
    """Decode the key frames (bottom of the best and worst rep) and draw the overlay on them when a track is known."""
    targets = key_frame_targets(inputs)
    raw = read_frames(video_path, sorted(set(targets.values())))
    if inputs.track is not None:
        raw = annotate_frames(raw, inputs, inputs.track)
    return {label: raw[i] for label, i in targets.items() if i in raw}


def render_report_html(
    inputs: ReportInputs,
    *,
    key_frames: Mapping[str, NDArray[np.uint8]] | None = None,
    overlay_href: str | None = None,
    progress: Sequence[ProgressPoint] | None = None,
) -> str:
    """The report as an HTML string (see :func:`render_report` to write it to a file)."""
    ctx = report_context(inputs, key_frames=key_frames, overlay_href=overlay_href, progress=progress)
    return _environment().get_template("report.html.j2").render(**ctx)


def render_report(
    inputs: ReportInputs,
    out_path: str | Path,
    *,
    key_frames: Mapping[str, NDArray[np.uint8]] | None = None,
    video_path: str | Path | None = None,
    overlay_path: str | Path | None = None,
    progress: Sequence[ProgressPoint] | None = None,
) -> Path:
    """Write the self-contained HTML report to ``out_path`` (atomically) and return its path.

    Args:
        inputs: what to show.
        out_path: the ``.html`` file to write.
        key_frames: labelled BGR stills to embed; when None and ``video_path`` is given, the bottoms of the best and
            worst reps are decoded from it (with the overlay drawn when ``inputs.track`` is set).
        video_path: the source video, used only to grab key frames.
        overlay_path: an overlay MP4 next to the report to link and play (kept as a relative link, not embedded).
        progress: the athlete's sessions (oldest first) for the "progress" section; none shown when omitted.

    """
    out = Path(out_path)
    if key_frames is None and video_path is not None:
        key_frames = grab_key_frames(inputs, video_path)
    href = None
    if overlay_path is not None:
        href = Path(os.path.relpath(Path(overlay_path).resolve(), out.resolve().parent)).as_posix()
    html = render_report_html(inputs, key_frames=key_frames, overlay_href=href, progress=progress)
    return write_text_atomic(out, html)
