"""Pose from any frame source equals the file path's; real frames through the stepper into a live session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hingecoach.analysis import analyze_track
from hingecoach.live import LiveEvent, LiveSession, RepJudgedEvent, replay
from hingecoach.pose.extract import extract_track
from hingecoach.pose.stream import PoseStepper, track_frames
from hingecoach.video import iter_frames, probe

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
KB_DEADLIFT = DATA / "to-be-frank" / "videos" / "kb-deadlift.mp4"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data folder ../shared/data is absent ({path.name})")
    return path


def _frames(path: Path) -> list[tuple[float, np.ndarray]]:
    info = probe(path)
    return [(i / info.fps, rgb) for i, rgb in iter_frames(path, max_side=960)]


@pytest.mark.real_data
@pytest.mark.model
def test_track_frames_equals_extract_track() -> None:
    path = _need(KB_DEADLIFT)
    info = probe(path)
    ref = extract_track(path, workers=1)
    got = track_frames(_frames(path), source_wh=(info.width, info.height), fps=info.fps, source=path.name)
    assert got.n_frames == ref.n_frames and got.image_wh == ref.image_wh
    np.testing.assert_allclose(got.t_s, ref.t_s)
    assert np.array_equal(np.isnan(got.xy_px), np.isnan(ref.xy_px))
    np.testing.assert_allclose(got.xy_px, ref.xy_px, atol=0.5, equal_nan=True)
    np.testing.assert_allclose(got.visibility, ref.visibility, atol=1e-3)
    assert got.world_m is not None and ref.world_m is not None
    np.testing.assert_allclose(got.world_m, ref.world_m, atol=1e-3, equal_nan=True)
    assert got.back_profile is not None and ref.back_profile is not None
    np.testing.assert_allclose(got.back_profile, ref.back_profile, atol=1e-3, equal_nan=True)


@pytest.mark.real_data
@pytest.mark.model
def test_stepper_into_live_session_counts_the_rep() -> None:
    """Camera-like: decode, step the model one frame at a time, push normalised landmarks (as the browser does)."""
    path = _need(KB_DEADLIFT)
    frames = _frames(path)
    h, w = frames[0][1].shape[:2]
    session = LiveSession("deadlift", image_wh=(w, h), coords="normalized")
    events: list[LiveEvent] = []
    with PoseStepper() as stepper:
        for t, rgb in frames:
            f = stepper.step(t, rgb)
            events += session.push(t, f.xy_norm, f.visibility, f.world_m, back_profile=f.back_profile)
    events += session.finish()
    reps = [e for e in events if isinstance(e, RepJudgedEvent)]
    file = analyze_track(extract_track(path, workers=1), drill="deadlift").analysis
    assert len(reps) == file.summary.rep_count == 1
    assert {f.code for e in reps for f in e.rep.faults} == {f.code for r in file.reps for f in r.faults}


@pytest.mark.real_data
@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize(
    ("rel", "drill"),
    [
        ("lhpe3d-demo/videos/good_mornings.mp4", "good_morning"),
        ("gym-app-ai/videos/rdl.mp4", "rdl"),
        ("mattiolato/Dataset_small/Good/000001.mp4", "deadlift"),
    ],
)
def test_real_track_replay_agrees_with_file_path(rel: str, drill: str) -> None:
    track = extract_track(_need(DATA / rel))
    file = analyze_track(track, drill=drill).analysis
    live = [e.rep for e in replay(track, drill) if isinstance(e, RepJudgedEvent)]
    assert len(live) == file.summary.rep_count
    assert {f.code for r in live for f in r.faults} == {f.code for r in file.reps for f in r.faults}


@pytest.mark.real_data
@pytest.mark.model
def test_two_videos_at_once_in_threads_match_one_at_a_time() -> None:
    """A server analysing two uploads at once: same results, stderr still the real one, provenance filled."""
    import hashlib
    import os
    from concurrent.futures import ThreadPoolExecutor

    from hingecoach.analysis import analyze_video

    path = _need(KB_DEADLIFT)
    real_stderr = os.fstat(2)
    one = analyze_video(path, drill="deadlift", workers=1).analysis
    with ThreadPoolExecutor(max_workers=2) as pool:
        both = list(pool.map(lambda d: analyze_video(path, drill=d, workers=1).analysis, ["deadlift", "deadlift"]))
    assert [a.to_json() for a in both] == [one.to_json()] * 2
    assert os.path.samestat(os.fstat(2), real_stderr)
    p = one.provenance
    assert p is not None
    assert p.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert p.model_sha256 is not None and len(p.model_sha256) == 64
    assert any(e.startswith("pose: extract_track(") for e in p.track_log)
