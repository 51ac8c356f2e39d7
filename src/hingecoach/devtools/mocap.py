"""Optical motion capture as angle ground truth: load a Qualisys TSV export and see it through a virtual camera.

Used by ``hingecoach eval`` and the tests: the markers give true 3-D joint angles; projecting them through a
pinhole side camera gives the track a perfect 2-D pose model would produce, so the kinematics stage's angle
error can be measured against the markers. Marker mapping is for the ``leafarcoder-mocap`` deadlift (19 markers,
lab frame Z up, X lateral with left markers at +X, Y backwards).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import TrackFormatError
from hingecoach.skeleton import N_LANDMARKS, idx
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]

#: Qualisys marker (0-based, file order) → the BlazePose landmarks it stands for.
MARKERS: Final[dict[int, tuple[str, ...]]] = {
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
L_SHOULDER, L_HIP, L_KNEE, L_ANKLE, R_HIP = 1, 7, 8, 9, 13


@dataclass(frozen=True)
class Mocap:
    """Marker positions ``(T, M, 3)`` in metres (lab frame) at ``fps``."""

    markers_m: FloatArray
    fps: float


def load_qualisys_tsv(path: str | Path, n_markers: int = 19) -> Mocap:
    """Read a Qualisys TSV export (header lines, then ``Frame  Time  X1 Y1 Z1 ...`` in millimetres)."""
    try:
        lines = Path(path).read_text().splitlines()
        fps = float(next(line.split("\t")[1] for line in lines if line.startswith("FREQUENCY")))
        header = next(i for i, line in enumerate(lines) if line.startswith("Frame\t"))
    except (OSError, StopIteration, ValueError, IndexError) as exc:
        raise TrackFormatError(f"{path}: not a Qualisys TSV export ({exc})") from exc
    rows = [line.split("\t")[2 : 2 + 3 * n_markers] for line in lines[header + 1 :] if line.strip()]
    data = np.array([[float(v) if v.strip() else np.nan for v in row] for row in rows], dtype=np.float64)
    return Mocap(markers_m=data.reshape(len(rows), n_markers, 3) / 1000.0, fps=fps)


def side_camera_track(
    mocap: Mocap, *, distance_m: float = 4.0, focal_px: float = 900.0, image_wh: tuple[int, int] = (1280, 720)
) -> PoseTrack:
    """Project through a pinhole camera on the lifter's left (+X), looking along −X, axis at hip height."""
    m = mocap.markers_m
    centre = np.nanmean(m[:, [L_HIP, R_HIP]], axis=(0, 1))
    rel = m - centre
    # Camera axes in lab coordinates: image x = +Y (backwards), image y = −Z (down), depth = −X.
    cam = np.stack([rel[..., 1], -rel[..., 2], distance_m - rel[..., 0]], axis=-1)
    w, h = image_wh
    px = np.stack([focal_px * cam[..., 0] / cam[..., 2] + w / 2, focal_px * cam[..., 1] / cam[..., 2] + h / 2], -1)
    hip_mid = cam[:, [L_HIP, R_HIP]].mean(axis=1)
    xy = np.full((m.shape[0], N_LANDMARKS, 2), np.nan)
    world = np.full((m.shape[0], N_LANDMARKS, 3), np.nan)
    for marker, names in MARKERS.items():
        for name in names:
            xy[:, idx(name)] = px[:, marker]
            world[:, idx(name)] = cam[:, marker] - hip_mid
    vis = np.where(np.isfinite(xy).all(-1), 0.99, 0.0)
    return PoseTrack.from_numpy(xy, mocap.fps, image_wh, visibility=vis, world_m=world, source="mocap projection")


def _angle3d(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    u, v = a - b, c - b
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    out: FloatArray = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    return out


def reference_angles(mocap: Mocap) -> dict[str, FloatArray]:
    """True left hip and knee flexion (deg, 0 = straight) from the 3-D markers."""
    m = mocap.markers_m
    return {
        "hip_flexion_deg": 180.0 - _angle3d(m[:, L_SHOULDER], m[:, L_HIP], m[:, L_KNEE]),
        "knee_flexion_deg": 180.0 - _angle3d(m[:, L_HIP], m[:, L_KNEE], m[:, L_ANKLE]),
    }
