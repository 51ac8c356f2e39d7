"""Every export read back by OpenSim itself (the ``opensim`` 4.6 package from PyPI), as issue 12 asks.

OpenSim 4.6 refused both TRC files ("Unexpected number of columns in line 153": rows whose last markers are missing
ended in empty fields) and its ``Storage`` read 1 row of the MOT (NaN stops it). Here a synthetic session whose
track loses its last markers (the feet) and some whole frames goes through the real exporter and OpenSim's readers.
"""

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import opensim as osim
import pytest

from hingecoach.analysis import analyze_track
from hingecoach.devtools.demo import demo_session
from hingecoach.report import ReportInputs, write_all
from hingecoach.skeleton import LANDMARK_NAMES, N_LANDMARKS

osim.Logger.removeFileSink()  # OpenSim would otherwise write opensim.log into the working directory


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, list[int], list[int]]:
    track = demo_session().track
    n = track.n_frames
    feet_lost = list(range(40, 60))  # the last markers (heels, foot indices) out of view for 20 frames
    nobody = list(range(100, 115))  # and nobody detected for half a second (longer than gap filling bridges)
    xy, vis = track.xy_px.copy(), track.visibility.copy()
    world = None if track.world_m is None else track.world_m.copy()
    for frames, cols in ((feet_lost, slice(N_LANDMARKS - 4, None)), (nobody, slice(None))):
        xy[frames, cols] = np.nan
        vis[frames, cols] = 0.0
        if world is not None:
            world[frames, cols] = np.nan
    track = replace(track, xy_px=xy, visibility=vis, world_m=world)
    result = analyze_track(track, drill="rdl")
    out = tmp_path_factory.mktemp("exports")
    files = write_all(out, ReportInputs.from_result(result))
    assert files.markers_px_trc is not None and files.markers_m_trc is not None
    return out, n, feet_lost, nobody


@pytest.mark.parametrize("name", ["markers_px.trc", "markers_m.trc"])
def test_opensim_reads_every_row_of_both_trc_files(exported: tuple[Path, int, list[int], list[int]], name: str) -> None:
    out, n, feet_lost, nobody = exported
    table = osim.TimeSeriesTableVec3(str(out / name))
    assert table.getNumRows() == n
    assert table.getNumColumns() == N_LANDMARKS
    assert list(table.getColumnLabels()) == list(LANDMARK_NAMES)
    heel = table.getDependentColumn(LANDMARK_NAMES[-3])
    knee = table.getDependentColumn("left_knee")
    assert np.isnan(heel[feet_lost[0]][0]) and np.isfinite(heel[0][0])  # missing markers read back as missing
    assert np.isfinite(knee[feet_lost[0]][0]) and np.isnan(knee[nobody[0]][1])
    times = table.getIndependentColumn()
    assert len(times) == n and all(b > a for a, b in itertools.pairwise(times))


def test_opensim_storage_reads_every_row_of_the_mot(exported: tuple[Path, int, list[int], list[int]]) -> None:
    out, n, _, _ = exported
    storage = osim.Storage(str(out / "angles.mot"))
    assert storage.getSize() == n
    arr = storage.getColumnLabels()
    labels = [arr.get(i) for i in range(arr.getSize())]
    assert labels[0] == "time" and "hip_flexion_deg" in labels and all(c.endswith("_deg") for c in labels[1:])
    assert storage.isInDegrees()
    table = osim.TimeSeriesTable(str(out / "angles.mot"))
    assert table.getNumRows() == n
    values = table.getMatrix().to_numpy()
    assert np.isfinite(values).all()
