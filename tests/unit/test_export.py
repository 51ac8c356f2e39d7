"""CSV / JSON / TRC / MOT exports: exact values on synthetic tracks, file layout as OpenSim-side tools read it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from hingecoach.fileio import atomic_path
from hingecoach.report.export import csv_text, mot_text, trc_text, write_csv, write_json, write_mot, write_trc
from hingecoach.report.inputs import ReportInputs
from hingecoach.schema import Analysis, Fault, Rep, Source, Summary
from hingecoach.skeleton import INDEX, LANDMARK_NAMES, N_LANDMARKS
from hingecoach.track import PoseTrack

T = 6
FPS = 29.97
W, H = 640, 480


def _track(with_world: bool = True) -> PoseTrack:
    xy = np.zeros((T, N_LANDMARKS, 2))
    xy[..., 0] = np.arange(N_LANDMARKS)[None, :] * 10.0 + np.arange(T)[:, None]
    xy[..., 1] = 100.0 + np.arange(N_LANDMARKS)[None, :]
    xy[2, INDEX["nose"]] = np.nan  # one missing landmark on frame 2
    world = np.zeros((T, N_LANDMARKS, 3))
    world[..., 0], world[..., 1], world[..., 2] = 0.1, 0.2, -0.3
    return PoseTrack.from_numpy(xy, FPS, (W, H), world_m=world if with_world else None)


def _analysis() -> Analysis:
    rep = Rep(
        index=1,
        start_s=0.0,
        bottom_s=0.1,
        end_s=0.17,
        start_frame=1,
        bottom_frame=3,
        end_frame=4,
        descent_s=0.07,
        ascent_s=0.03,
        metrics={"hip_flexion_max_deg": 80.5, "tempo": None},
        faults=[Fault(code="rounded_back", severity="major", at_s=0.1, cue="Keep the stick on.", value=0.09)],
        score=55,
    )
    return Analysis(
        source=Source(path="a.mp4", fps=FPS, frame_count=T, width=W, height=H, duration_s=T / FPS),
        drill="rdl",
        camera_view="side",
        pose_coverage=1.0,
        reps=[rep],
        summary=Summary(rep_count=1, fault_counts={"rounded_back": 1}, score=55, cues=["Keep the stick on."]),
    )


def _inputs() -> ReportInputs:
    hip = np.array([0.0, 10.0, 45.5, 80.5, np.nan, 5.0])
    ok = np.array([True, True, False, False, True, True])
    return ReportInputs(
        analysis=_analysis(),
        t_s=np.arange(T) / FPS,
        series={"hip_flexion_deg": hip, "head_offset": np.linspace(0, 0.5, T)},
        phases=np.array([0, 1, 1, 2, 3, -1], np.int8),
        back_ok=ok,
        track=_track(),
    )


def test_csv_has_one_row_per_frame_and_blank_missing_values(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "frames.csv", _inputs())
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == T
    header = list(rows[0])
    assert header[:7] == ["frame", "time_s", "phase", "rep", "back_line", "hip_flexion_deg", "head_offset"]
    assert len(header) == 7 + 3 * N_LANDMARKS
    assert [r["phase"] for r in rows] == ["setup", "descent", "descent", "bottom", "ascent", ""]
    assert [r["rep"] for r in rows] == ["", "1", "1", "1", "1", ""]
    assert [r["back_line"] for r in rows] == ["holds", "holds", "breaks", "breaks", "holds", "holds"]
    assert rows[3]["hip_flexion_deg"] == "80.50" and rows[4]["hip_flexion_deg"] == ""
    assert float(rows[5]["time_s"]) == pytest.approx(5 / FPS, abs=1e-4)
    assert rows[2]["nose_x_px"] == "" and rows[2]["nose_vis"] == "0.000"
    assert float(rows[4]["left_hip_x_px"]) == pytest.approx(INDEX["left_hip"] * 10.0 + 4)
    assert not list(tmp_path.glob(".*part*"))


def test_csv_without_track_or_phases_has_only_time_and_series() -> None:
    text = csv_text(np.arange(3) / 10.0, {"knee_flexion_deg": np.array([1.0, 2.0, 3.0])})
    assert text.splitlines() == ["frame,time_s,knee_flexion_deg", "0,0.0000,1.00", "1,0.1000,2.00", "2,0.2000,3.00"]


def test_json_round_trips_through_the_contract(tmp_path: Path) -> None:
    path = write_json(tmp_path / "analysis.json", _analysis())
    text = path.read_text()
    assert '"schema": "hingecoach/analysis@1"' in text
    assert Analysis.model_validate_json(text) == _analysis()


def _trc_rows(text: str) -> tuple[list[list[str]], list[list[str]]]:
    lines = text.split("\n")
    header = [line.split("\t") for line in lines[:5]]
    assert lines[5] == ""
    body = [line.split("\t") for line in lines[6:] if line]
    return header, body


def test_trc_pixels_flip_y_up_and_write_missing_markers_as_nan(tmp_path: Path) -> None:
    path = write_trc(tmp_path / "m_px.trc", _track(), units="px")
    header, body = _trc_rows(path.read_text())
    assert header[0][:3] == ["PathFileType", "4", "(X/Y/Z)"] and header[0][3] == "m_px.trc"
    meta = dict(zip(header[1], header[2], strict=True))
    assert meta["NumFrames"] == str(T) and meta["NumMarkers"] == str(N_LANDMARKS) and meta["Units"] == "px"
    assert float(meta["DataRate"]) == pytest.approx(FPS)
    assert header[3][:3] == ["Frame#", "Time", "nose"] and header[3][2 + 3 * INDEX["left_hip"]] == "left_hip"
    assert header[4][2:5] == ["X1", "Y1", "Z1"] and header[4][-1] == f"Z{N_LANDMARKS}"
    assert len(body) == T and all(len(r) == 2 + 3 * N_LANDMARKS for r in body)
    assert body[0][0] == "1" and body[-1][0] == str(T)
    j = INDEX["left_knee"]
    x, y, z = (float(v) for v in body[3][2 + 3 * j : 5 + 3 * j])
    assert (x, y, z) == pytest.approx((j * 10.0 + 3, H - (100.0 + j), 0.0))
    assert body[2][2:5] == ["NaN", "NaN", "NaN"]  # the missing nose on frame 2: OpenSim's own convention


def test_trc_metres_use_world_landmarks_turned_y_up(tmp_path: Path) -> None:
    text = trc_text(_track(), units="m", markers=("left_hip", "right_knee"))
    header, body = _trc_rows(text)
    assert header[2][4] == "m" and header[2][3] == "2"
    assert header[3] == ["Frame#", "Time", "left_hip", "", "", "right_knee", "", ""]
    assert [float(v) for v in body[0][2:5]] == pytest.approx([0.1, -0.2, 0.3])
    with pytest.raises(ValueError, match="no world landmarks"):
        write_trc(tmp_path / "x.trc", _track(with_world=False), units="m")
    assert not (tmp_path / "x.trc").exists()


def test_mot_has_opensim_header_and_only_angle_columns(tmp_path: Path) -> None:
    inp = _inputs()
    path = write_mot(tmp_path / "angles.mot", inp.t_s, inp.series)
    lines = path.read_text().split("\n")
    end = lines.index("endheader")
    assert lines[0] == "Coordinates" and "version=1" in lines[:end] and "inDegrees=yes" in lines[:end]
    assert f"nRows={T}" in lines[:end] and "nColumns=2" in lines[:end]
    assert lines[end + 1].split("\t") == ["time", "hip_flexion_deg"]
    data = [line.split("\t") for line in lines[end + 2 :] if line]
    assert len(data) == T
    parsed = np.loadtxt(io.StringIO("\n".join(lines[end + 2 :])))
    assert parsed.shape == (T, 2) and np.isfinite(parsed).all()  # OpenSim's Storage stops at the first NaN
    raw = inp.series["hip_flexion_deg"]
    assert float(data[3][1]) == pytest.approx(80.5) and np.isnan(raw[4])
    assert parsed[4, 1] == pytest.approx((raw[3] + raw[5]) / 2, abs=1e-3)  # the gap is interpolated
    assert any(line.startswith("Gaps: 1 values") for line in lines[:end])
    assert mot_text(np.arange(2.0), {}).split("\n")[-2] == "1.00000"


def test_atomic_write_leaves_nothing_behind_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        tmp.write_text("half a file")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_landmark_names_in_exports_match_the_skeleton() -> None:
    text = csv_text(np.arange(T) / FPS, {}, track=_track())
    cols = text.splitlines()[0].split(",")
    assert [c[: -len("_x_px")] for c in cols if c.endswith("_x_px")] == list(LANDMARK_NAMES)
