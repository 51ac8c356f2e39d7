"""Motion capture as ground truth: a Qualisys deadlift seen through a virtual side camera.

``leafarcoder-mocap/LabData/deadlift.tsv`` (SOURCES.tsv): 19 markers, 100 Hz, mm, 3 reps. The lab frame is Z up,
X lateral (left markers at +X), Y backwards (toes at smaller Y than heels). A pinhole camera 4 m out on the +X
side sees the lifter's left side, facing image-left. Our image-based hip and knee angles are compared with the
same angles computed in 3-D from the markers; figures are printed with ``pytest -s``.
"""

from pathlib import Path

import numpy as np
import pytest

from hingecoach.kinematics import compute_kinematics
from hingecoach.reps import segment_reps
from hingecoach.skeleton import N_LANDMARKS, idx
from hingecoach.track import PoseTrack

pytestmark = pytest.mark.real_data

MARKERS = {  # Qualisys marker (0-based, order in the file) -> BlazePose landmarks
    0: ("nose", "left_ear", "right_ear"),
    1: ("left_shoulder",),
    2: ("left_elbow",),
    3: ("left_wrist",),
    4: ("right_shoulder",),
    5: ("right_elbow",),
    6: ("right_wrist",),
    7: ("left_hip",),
    8: ("left_knee",),
    9: ("left_ankle",),
    10: ("left_heel",),
    12: ("left_foot_index",),
    13: ("right_hip",),
    14: ("right_knee",),
    15: ("right_ankle",),
    16: ("right_heel",),
    18: ("right_foot_index",),
}


def _load_markers(path: Path) -> tuple[np.ndarray, float]:
    """``(T, 19, 3)`` marker positions in metres and the frame rate, from a Qualisys TSV export."""
    lines = path.read_text().splitlines()
    fps = float(next(line.split("\t")[1] for line in lines if line.startswith("FREQUENCY")))
    header = next(i for i, line in enumerate(lines) if line.startswith("Frame\t"))
    rows = [line.split("\t")[2 : 2 + 57] for line in lines[header + 1 :] if line.strip()]
    data = np.array([[float(v) if v.strip() else np.nan for v in row] for row in rows])
    return data.reshape(len(rows), 19, 3) / 1000.0, fps


def _side_camera(markers: np.ndarray, fps: float) -> PoseTrack:
    """Project through a camera on the lifter's left (+X), looking along −X, optical axis at hip height."""
    centre = np.nanmean(markers[:, [7, 13]], axis=(0, 1))
    # Camera axes in lab coordinates: image x = +Y (backwards), image y = −Z (down), depth = −X.
    rel = markers - centre
    cam = np.stack([rel[..., 1], -rel[..., 2], 4.0 - rel[..., 0]], axis=-1)
    f, w, h = 900.0, 1280, 720
    xy = np.full((markers.shape[0], N_LANDMARKS, 2), np.nan)
    world = np.full((markers.shape[0], N_LANDMARKS, 3), np.nan)
    px = np.stack([f * cam[..., 0] / cam[..., 2] + w / 2, f * cam[..., 1] / cam[..., 2] + h / 2], axis=-1)
    hip_mid = cam[:, [7, 13]].mean(axis=1, keepdims=True)
    for m, names in MARKERS.items():
        for name in names:
            xy[:, idx(name)] = px[:, m]
            world[:, idx(name)] = cam[:, m] - hip_mid[:, 0]
    vis = np.where(np.isfinite(xy).all(-1), 0.99, 0.0)
    return PoseTrack.from_numpy(xy, fps, (w, h), visibility=vis, world_m=world, source="mocap projection")


def _angle3d(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    u, v = a - b, c - b
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


@pytest.fixture(scope="module")
def mocap(shared_data: Path) -> tuple[np.ndarray, float]:
    path = shared_data / "leafarcoder-mocap" / "LabData" / "deadlift.tsv"
    if not path.exists():
        pytest.skip("leafarcoder-mocap deadlift.tsv is absent from the shared data folder")
    return _load_markers(path)


def test_image_angles_match_marker_angles(mocap: tuple[np.ndarray, float]) -> None:
    markers, fps = mocap
    kin = compute_kinematics(_side_camera(markers, fps))
    assert kin.side == "left" and kin.facing == "left"
    hip_ref = 180 - _angle3d(markers[:, 1], markers[:, 7], markers[:, 8])
    knee_ref = 180 - _angle3d(markers[:, 7], markers[:, 8], markers[:, 9])
    hip, knee = kin.series["hip_flexion_deg"], kin.series["knee_flexion_deg"]
    hip_mae = float(np.nanmean(np.abs(hip - hip_ref)))
    knee_mae = float(np.nanmean(np.abs(knee - knee_ref)))
    print(f"\nmocap deadlift, virtual side camera: hip MAE {hip_mae:.2f} deg, knee MAE {knee_mae:.2f} deg "
          f"(hip range {np.nanmin(hip_ref):.0f}-{np.nanmax(hip_ref):.0f})")
    assert np.isfinite(hip).mean() > 0.99
    # The 2-D projection drops the small out-of-plane (abduction/rotation) part of the 3-D angle.
    assert hip_mae < 4.0
    assert knee_mae < 4.0
    assert np.corrcoef(hip, hip_ref)[0, 1] > 0.99


def test_three_reps_with_bottoms_where_the_markers_say(mocap: tuple[np.ndarray, float]) -> None:
    markers, fps = mocap
    kin = compute_kinematics(_side_camera(markers, fps))
    reps = segment_reps(kin)
    hip_ref = 180 - _angle3d(markers[:, 1], markers[:, 7], markers[:, 8])
    print("\nmocap reps (start/bottom/end s):", [(r.start_s, r.bottom_s, r.end_s) for r in reps])
    assert len(reps) == 3
    assert reps[0].partial and reps[0].cut_start  # the recording starts mid-descent of rep 1
    assert not reps[1].partial and not reps[2].partial
    for r in reps:
        assert r.lockout is not None
        assert hip_ref[r.bottom] > np.nanmax(hip_ref[r.start : r.end + 1]) - 5.0  # bottom = near-deepest frame
        assert hip_ref[r.end] < 20.0  # ends standing
