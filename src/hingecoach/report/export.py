"""Exports for other tools: per-frame CSV, the analysis JSON, OpenSim TRC (markers) and MOT (angles).

* CSV: one row per video frame: time, phase, rep, back-line state, every kinematic series and every landmark
  (``<name>_x_px``, ``<name>_y_px``, ``<name>_vis``). Missing values are empty cells (spreadsheets and pandas read
  them as missing; a 0 would read as a real value).
* JSON: the ``hingecoach/analysis@1`` contract, via :meth:`hingecoach.schema.Analysis.to_json`.
* TRC: marker trajectories as Sports2D/Pose2Sim write them for OpenSim (tab separated, 5 header lines, one
  ``X/Y/Z`` triple per marker, 1-based frame numbers), missing markers as ``NaN`` — what OpenSim's own
  ``TRCFileAdapter`` writes and reads. Empty fields are refused by OpenSim 4.6 when they end a row ("Unexpected
  number of columns": the trailing tabs are dropped), so every row keeps its full column count. Two flavours: pixels
  (``X`` right, ``Y`` *up* = image height − y, ``Z`` = 0) and metres from BlazePose's world landmarks (hip-centred,
  converted to ``Y`` up by a 180° turn about the x axis: ``(x, −y, −z)``, which keeps the axes right-handed).
* MOT: OpenSim storage of angles in degrees (``inDegrees=yes``), one column per series, without NaN: OpenSim's
  ``Storage`` stops reading at the first NaN (it read 1 of 1,576 rows), and coordinates in OpenSim are continuous
  by convention (inverse kinematics results never have holes). Series never measured are left out; gaps inside a
  series are linearly interpolated and its ends held at the nearest measured value, and the header says so (the
  CSV keeps the raw values with their gaps).

All files are written atomically.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach.fileio import write_text_atomic
from hingecoach.report.inputs import BACK_BREAKS, BACK_HOLDS, BACK_NEAR, PHASE_NAMES, ReportInputs
from hingecoach.schema import Analysis
from hingecoach.skeleton import LANDMARK_NAMES
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]

ANGLE_UNITS: Final[tuple[str, ...]] = ("_deg",)
"""Series exported to MOT: the ones in degrees (ratios are not OpenSim coordinates)."""


def _fmt(values: NDArray[np.float64], decimals: int, missing: str = "") -> list[str]:
    """Format a float vector with fixed decimals, NaN/inf as ``missing``."""
    out = np.char.mod(f"%.{decimals}f", np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0))
    cells: list[str] = np.where(np.isfinite(values), out, missing).tolist()
    return cells


def csv_text(
    t_s: FloatArray,
    series: Mapping[str, FloatArray],
    *,
    track: PoseTrack | None = None,
    phases: NDArray[np.int8] | None = None,
    back_state: NDArray[np.int8] | None = None,
    rep_number: NDArray[np.int16] | None = None,
) -> str:
    """The per-frame CSV as a string (see :func:`write_csv`)."""
    n = int(t_s.shape[0])
    cols: list[tuple[str, list[str]]] = [
        ("frame", [str(i) for i in range(n)]),
        ("time_s", _fmt(np.asarray(t_s, dtype=np.float64), 4)),
    ]
    if phases is not None:
        names = np.array([*PHASE_NAMES, ""], dtype=object)
        p = np.asarray(phases, dtype=np.int64)
        cols.append(("phase", names[np.where((p >= 0) & (p < len(PHASE_NAMES)), p, len(PHASE_NAMES))].tolist()))
    if rep_number is not None:
        r = np.asarray(rep_number)
        cols.append(("rep", [str(v) if v > 0 else "" for v in r.tolist()]))
    if back_state is not None:
        lookup = {BACK_HOLDS: "holds", BACK_BREAKS: "breaks", BACK_NEAR: "borderline"}
        cols.append(("back_line", [lookup.get(int(v), "") for v in back_state.tolist()]))
    for name, values in series.items():
        decimals = 2 if name.endswith("_deg") else 4
        cols.append((name, _fmt(np.asarray(values, dtype=np.float64), decimals)))
    if track is not None:
        for j, lm in enumerate(LANDMARK_NAMES):
            cols.append((f"{lm}_x_px", _fmt(track.xy_px[:, j, 0], 2)))
            cols.append((f"{lm}_y_px", _fmt(track.xy_px[:, j, 1], 2)))
            cols.append((f"{lm}_vis", _fmt(track.visibility[:, j], 3)))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c for c, _ in cols])
    writer.writerows(zip(*(v for _, v in cols), strict=True))
    return buf.getvalue()


def write_csv(path: str | Path, inputs: ReportInputs, *, track: PoseTrack | None = None) -> Path:
    """Per-frame CSV of the report inputs (time, phase, rep, back line, series, landmarks of ``track``)."""
    text = csv_text(
        inputs.t_s,
        inputs.series,
        track=track if track is not None else inputs.track,
        phases=inputs.phases,
        back_state=inputs.back_state(),
        rep_number=inputs.rep_number(),
    )
    return write_text_atomic(path, text)


def write_json(path: str | Path, analysis: Analysis) -> Path:
    """The ``analysis@1`` JSON (the contract's field names, 2-space indent)."""
    return write_text_atomic(path, analysis.to_json() + "\n")


def trc_markers(track: PoseTrack, units: Literal["px", "m"]) -> FloatArray:
    """``(T, 33, 3)`` marker positions in OpenSim's axes (Y up) for a TRC file; NaN where missing.

    Raises ``ValueError`` for ``units="m"`` when the track has no world landmarks.
    """
    if units == "px":
        xyz = np.zeros((track.n_frames, len(LANDMARK_NAMES), 3))
        xyz[..., 0] = track.xy_px[..., 0]
        xyz[..., 1] = float(track.image_wh[1]) - track.xy_px[..., 1]
        xyz[~np.isfinite(track.xy_px).all(axis=-1)] = np.nan
        return xyz
    if track.world_m is None:
        raise ValueError("the track has no world landmarks; write a pixel TRC instead")
    w = track.world_m
    return np.stack([w[..., 0], -w[..., 1], -w[..., 2]], axis=-1)


def trc_text(
    track: PoseTrack, *, units: Literal["px", "m"] = "m", file_name: str = "markers.trc", markers: Sequence[str] = ()
) -> str:
    """The TRC file as a string (see :func:`write_trc`)."""
    names = list(markers) or list(LANDMARK_NAMES)
    cols = [LANDMARK_NAMES.index(m) for m in names]
    xyz = trc_markers(track, units)[:, cols, :]
    n = track.n_frames
    rate = f"{track.fps:.6g}"
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{file_name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate}\t{rate}\t{n}\t{len(names)}\t{units}\t{rate}\t1\t{n}",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t",
        "\t\t" + "\t".join(f"X{k}\tY{k}\tZ{k}" for k in range(1, len(names) + 1)),
        "",
    ]
    decimals = 2 if units == "px" else 5
    cells = [_fmt(xyz[:, j, c], decimals, missing="NaN") for j in range(len(names)) for c in range(3)]
    frames = [str(i + 1) for i in range(n)]
    times = _fmt(track.t_s, 5)
    body = ["\t".join(row) for row in zip(frames, times, *cells, strict=True)]
    return "\n".join(lines + body) + "\n"


def write_trc(
    path: str | Path, track: PoseTrack, *, units: Literal["px", "m"] = "m", markers: Sequence[str] = ()
) -> Path:
    """Write an OpenSim TRC of the track's landmarks (``units="m"`` needs world landmarks; ``"px"`` always works)."""
    p = Path(path)
    return write_text_atomic(p, trc_text(track, units=units, file_name=p.name, markers=markers))


def _gap_free(values: FloatArray) -> FloatArray:
    """Linear interpolation over NaN gaps, ends held at the nearest finite value (the series must have one)."""
    x = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(x)
    idx = np.arange(x.shape[0])
    return np.asarray(np.interp(idx, idx[ok], x[ok]), dtype=np.float64)


def mot_text(t_s: FloatArray, angles_deg: Mapping[str, FloatArray]) -> str:
    """The MOT file as a string (see :func:`write_mot`): no NaN, series never measured left out."""
    measured = {k: np.asarray(v, dtype=np.float64) for k, v in angles_deg.items() if np.isfinite(v).any()}
    filled = sum(int((~np.isfinite(v)).sum()) for v in measured.values())
    angles_deg = {k: _gap_free(v) for k, v in measured.items()}
    names = list(angles_deg)
    n = int(t_s.shape[0])
    header = [
        "Coordinates",
        "version=1",
        f"nRows={n}",
        f"nColumns={len(names) + 1}",
        "inDegrees=yes",
        "",
        "Units are S.I. units (second, meters, Newtons, ...)",
        "Angles are in degrees.",
        f"Gaps: {filled} values without a measurement were interpolated (raw values with gaps: the CSV export).",
        "",
        "endheader",
        "time\t" + "\t".join(names),
    ]
    cols = [_fmt(np.asarray(t_s, dtype=np.float64), 5)]
    cols += [_fmt(angles_deg[k], 4) for k in names]
    body = ["\t".join(row) for row in zip(*cols, strict=True)]
    return "\n".join(header + body) + "\n"


def angle_series(series: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    """The series that are angles in degrees (names ending in ``_deg``)."""
    return {k: v for k, v in series.items() if k.endswith(ANGLE_UNITS)}


def write_mot(path: str | Path, t_s: FloatArray, series: Mapping[str, FloatArray]) -> Path:
    """Write an OpenSim MOT of the angle series (those ending in ``_deg``; others are skipped)."""
    return write_text_atomic(path, mot_text(t_s, angle_series(series)))
