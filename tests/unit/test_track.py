import json

import numpy as np
import pytest

from hingecoach.errors import TrackFormatError
from hingecoach.skeleton import BONES, INDEX, LANDMARK_NAMES, N_LANDMARKS, idx, sided
from hingecoach.track import PoseTrack


def _track(n: int = 10, fps: float = 29.97) -> PoseTrack:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 500, size=(n, N_LANDMARKS, 2))
    xy[3, :, :] = np.nan  # a frame with no detection
    return PoseTrack.from_numpy(xy, fps, (640, 480), world_m=rng.normal(size=(n, N_LANDMARKS, 3)), source="test")


def test_skeleton_names_are_consistent() -> None:
    assert N_LANDMARKS == 33
    assert len(set(LANDMARK_NAMES)) == 33
    assert idx("left_hip") == 23 and sided("right", "knee") == 26
    for a, b in BONES:
        assert a in INDEX and b in INDEX


def test_fps_is_kept_as_float_and_timestamps_follow_it() -> None:
    tr = _track(fps=29.97)
    assert tr.fps == pytest.approx(29.97)
    assert tr.t_s[1] == pytest.approx(1 / 29.97)
    assert tr.duration_s == pytest.approx(10 / 29.97)


def test_missing_frames_are_nan_and_count_against_coverage() -> None:
    tr = _track()
    assert not tr.detected()[3]
    assert tr.coverage() == pytest.approx(0.9)
    assert tr.visibility[3].max() == 0.0


def test_save_load_roundtrip(tmp_path) -> None:
    tr = _track().with_log("filtered: butterworth 6 Hz")
    p = tmp_path / "t.npz"
    tr.save(p)
    back = PoseTrack.load(p)
    np.testing.assert_allclose(back.xy_px, tr.xy_px, rtol=1e-6, equal_nan=True)
    assert back.fps == tr.fps and back.image_wh == (640, 480)
    assert back.log == ("filtered: butterworth 6 Hz",)
    assert back.world_m is not None and back.world_m.shape == (10, 33, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"xy_px": np.zeros((5, 17, 2))}, "must be"),
        ({"fps": 0.0}, "fps"),
        ({"t_s": np.array([0.0, 0.1, 0.1, 0.2, 0.3])}, "increasing"),
    ],
)
def test_invalid_tracks_are_rejected(kwargs, match) -> None:
    base = {
        "xy_px": np.zeros((5, 33, 2)),
        "visibility": np.ones((5, 33)),
        "t_s": np.arange(5) / 30.0,
        "fps": 30.0,
        "image_wh": (100, 100),
    }
    base.update(kwargs)
    with pytest.raises(TrackFormatError, match=match):
        PoseTrack(**base)


def test_load_rejects_foreign_npz(tmp_path) -> None:
    p = tmp_path / "x.npz"
    np.savez(p, header=np.frombuffer(json.dumps({"format": "other"}).encode(), dtype=np.uint8))
    with pytest.raises(TrackFormatError, match="not a hingecoach/posetrack@1"):
        PoseTrack.load(p)
    (tmp_path / "junk.npz").write_text("hello")
    with pytest.raises(TrackFormatError, match="cannot read"):
        PoseTrack.load(tmp_path / "junk.npz")
