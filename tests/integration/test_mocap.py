"""Motion capture as ground truth: a Qualisys deadlift seen through a virtual side camera.

``leafarcoder-mocap/LabData/deadlift.tsv`` (SOURCES.tsv): 19 markers, 100 Hz, mm, 3 reps. The lab frame is Z up,
X lateral (left markers at +X), Y backwards (toes at smaller Y than heels). A pinhole camera 4 m out on the +X
side sees the lifter's left side, facing image-left. Our image-based hip and knee angles are compared with the
same angles computed in 3-D from the markers; figures are printed with ``pytest -s``.
"""

from pathlib import Path

import numpy as np
import pytest

from hingecoach.devtools.mocap import Mocap, load_qualisys_tsv, reference_angles, side_camera_track
from hingecoach.kinematics import compute_kinematics
from hingecoach.reps import segment_reps

pytestmark = pytest.mark.real_data

@pytest.fixture(scope="module")
def mocap(shared_data: Path) -> Mocap:
    path = shared_data / "leafarcoder-mocap" / "LabData" / "deadlift.tsv"
    if not path.exists():
        pytest.skip("leafarcoder-mocap deadlift.tsv is absent from the shared data folder")
    return load_qualisys_tsv(path)


def test_image_angles_match_marker_angles(mocap: Mocap) -> None:
    kin = compute_kinematics(side_camera_track(mocap))
    assert kin.side == "left" and kin.facing == "left"
    ref = reference_angles(mocap)
    hip_ref, knee_ref = ref["hip_flexion_deg"], ref["knee_flexion_deg"]
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


def test_three_reps_with_bottoms_where_the_markers_say(mocap: Mocap) -> None:
    kin = compute_kinematics(side_camera_track(mocap))
    reps = segment_reps(kin)
    hip_ref = reference_angles(mocap)["hip_flexion_deg"]
    print("\nmocap reps (start/bottom/end s):", [(r.start_s, r.bottom_s, r.end_s) for r in reps])
    assert len(reps) == 3
    assert reps[0].partial and reps[0].cut_start  # the recording starts mid-descent of rep 1
    assert not reps[1].partial and not reps[2].partial
    for r in reps:
        assert r.lockout is not None
        assert hip_ref[r.bottom] > np.nanmax(hip_ref[r.start : r.end + 1]) - 5.0  # bottom = near-deepest frame
        assert hip_ref[r.end] < 20.0  # ends standing
