import itertools
import os
import re
from pathlib import Path

import numpy as np
import pytest
from tests.fixtures.videos import (
    write_cropped_copy,
    write_moving_shapes_video,
    write_side_by_side_copy,
    write_text_file,
)

from hingecoach.errors import ModelMissingError, MultiplePeopleError, NoPersonError, OutOfFrameError, VideoError
from hingecoach.pose.extract import auto_workers, chunk_bounds, extract_track, n_chunks, plan_chunks
from hingecoach.pose.quality import check_track, part_shares
from hingecoach.skeleton import N_LANDMARKS, idx, sided
from hingecoach.track import PoseTrack
from hingecoach.video import probe

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
KB_DEADLIFT = DATA / "to-be-frank" / "videos" / "kb-deadlift.mp4"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data folder ../shared/data is absent ({path.name})")
    return path


# ================================================================================================ synthetic (no model)
def _standing_track(n: int = 20, w: int = 400, h: int = 600) -> PoseTrack:
    """A still, upright figure in a 400x600 image: shoulders y=150, hips 300, knees 420, ankles 540."""
    xy = np.full((n, N_LANDMARKS, 2), 200.0)
    heights = {"shoulder": 150.0, "hip": 300.0, "knee": 420.0, "ankle": 540.0, "heel": 550.0, "foot_index": 555.0}
    for part, y in heights.items():
        for side in ("left", "right"):
            xy[:, sided(side, part), 1] = y
    xy[:, idx("nose"), 1] = 90.0
    return PoseTrack.from_numpy(xy, 30.0, (w, h), visibility=np.ones((n, N_LANDMARKS)))


def _with(track: PoseTrack, **arrays: np.ndarray) -> PoseTrack:
    return PoseTrack.from_numpy(
        arrays.get("xy_px", track.xy_px),
        track.fps,
        track.image_wh,
        visibility=arrays.get("visibility", track.visibility),
        n_people=arrays.get("n_people", track.n_people),
    )


def test_clean_track_has_no_warnings() -> None:
    assert check_track(_standing_track()) == []


def test_no_person_in_most_frames() -> None:
    tr = _standing_track(10)
    xy = tr.xy_px.copy()
    xy[:6] = np.nan
    with pytest.raises(NoPersonError, match="no person detected in 6 of 10 frames"):
        check_track(_with(tr, xy_px=xy))


def test_low_coverage_is_a_warning() -> None:
    tr = _standing_track(10)
    xy = tr.xy_px.copy()
    xy[:3] = np.nan
    assert [code for code, _ in check_track(_with(tr, xy_px=xy))] == ["low_coverage"]


def test_two_people_in_most_counted_frames() -> None:
    tr = _standing_track(10)
    people = np.full(10, -1)
    people[[0, 4, 8]] = [2, 2, 1]
    with pytest.raises(MultiplePeopleError, match="2 people are in view in 67% of the checked frames"):
        check_track(_with(tr, n_people=people))
    people[[0, 4, 8]] = [2, 1, 1]
    assert [code for code, _ in check_track(_with(tr, n_people=people))] == ["multiple_people"]


def test_feet_below_the_image_in_most_frames() -> None:
    tr = _standing_track(10)
    xy = tr.xy_px.copy()
    for side in ("left", "right"):
        xy[:6, sided(side, "ankle"), 1] = 640.0  # below the 600 px image
    with pytest.raises(OutOfFrameError, match="feet are out of frame in 60% of frames; step back"):
        check_track(_with(tr, xy_px=xy))


def test_one_side_inside_keeps_the_part_in_frame() -> None:
    tr = _standing_track(10)
    xy = tr.xy_px.copy()
    xy[:, sided("left", "knee"), 0] = -30.0  # far knee off the left edge, near knee fine
    assert part_shares(_with(tr, xy_px=xy))["knees"] == (0.0, 0.0)


def test_shoulders_out_for_some_frames_is_a_warning() -> None:
    tr = _standing_track(10)
    xy = tr.xy_px.copy()
    for side in ("left", "right"):
        xy[:3, sided(side, "shoulder"), 1] = -20.0
    (code, message), = check_track(_with(tr, xy_px=xy))
    assert code == "partly_out_of_frame" and message.startswith("shoulders are out of frame in 30%")


def test_two_parts_out_of_frame_are_one_warning_naming_both() -> None:
    """One warning per code (consumers key warnings by code): knees and feet below the frame's edge on 3 of 10
    frames are said once, both named."""
    tr = _standing_track(10)
    xy = tr.xy_px.copy()
    for side in ("left", "right"):
        for part in ("knee", "ankle", "heel", "foot_index"):
            xy[:3, sided(side, part), 1] = tr.image_wh[1] + 40.0
    warnings = check_track(_with(tr, xy_px=xy))
    assert [code for code, _ in warnings] == ["partly_out_of_frame"]
    message = warnings[0][1]
    assert re.match(r"(knees and feet|feet and knees) are out of frame in 30% of frames; ", message), message


def test_hidden_but_inside_is_occlusion_not_out_of_frame() -> None:
    tr = _standing_track(10)
    vis = tr.visibility.copy()
    vis[:, [sided("left", "ankle"), sided("right", "ankle")]] = 0.1  # behind the plates
    warnings = check_track(_with(tr, visibility=vis))
    assert [code for code, _ in warnings] == ["part_hidden"]
    assert warnings[0][1].startswith("feet are hidden")


def test_chunk_bounds_cover_every_frame_once() -> None:
    for n, k in [(10, 1), (10, 3), (574, 2), (7, 4)]:
        bounds = chunk_bounds(n, k)
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
        sizes = [b - a for a, b in bounds]
        assert max(sizes) - min(sizes) <= 1


def test_long_clips_get_more_chunks_than_workers() -> None:
    assert n_chunks(86, 2) == 2  # short: one chunk per worker
    assert n_chunks(574, 2) == 2  # a seam costs ~2 CPU-s: no extra chunk under MIN_FRAMES_PER_CHUNK frames
    assert n_chunks(1800, 2) == 2  # never three for two workers: one would idle through the last chunk
    assert n_chunks(2400, 2) == 4  # two each, so an early finisher can take more
    assert n_chunks(10_000, 3) == 6


def test_the_calling_process_gets_a_head_start_chunk() -> None:
    # It starts tracking at once while the spawned worker is still importing and loading the model.
    assert plan_chunks(574, 2) == [(0, 311), (311, 574)]
    assert plan_chunks(86, 2) == [(0, 53), (53, 86)]  # capped: the first stays under 1.5x the other
    assert plan_chunks(574, 1) == [(0, 574)]
    for n, k in [(574, 2), (2400, 2), (10_000, 3), (9, 2)]:
        bounds = plan_chunks(n, k)
        assert bounds[0][0] == 0 and bounds[-1][1] == n and len(bounds) == n_chunks(n, k)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
        rest = [b - a for a, b in bounds[1:]]
        assert max(rest) - min(rest) <= 1 and bounds[0][1] - bounds[0][0] >= max(rest)


def test_short_clips_use_one_worker() -> None:
    assert auto_workers(90) == 1
    assert 1 <= auto_workers(10_000) <= 8


# ================================================================================================ real model
def test_bad_input_fails_before_the_model_is_needed(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="is a text file, not a video"):
        extract_track(write_text_file(tmp_path / "clip.mp4"), model_path=tmp_path / "no-model.task")


def test_missing_model_is_reported(tmp_path: Path) -> None:
    clip = write_moving_shapes_video(tmp_path / "shapes.mp4", n_frames=5)
    with pytest.raises(ModelMissingError, match="setup-model"):
        extract_track(clip, model_path=tmp_path / "no-model.task")


def test_a_corrupt_model_fails_in_the_workers_and_reaches_the_caller(tmp_path: Path) -> None:
    junk = tmp_path / "junk.task"
    junk.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip: exists, but is no model
    clip = write_moving_shapes_video(tmp_path / "shapes.mp4", n_frames=24)
    with pytest.raises(ModelMissingError, match=r"junk\.task does not load"):
        extract_track(clip, model_path=junk, workers=2, with_masks=False)


def test_moving_shapes_are_not_a_person(tmp_path: Path) -> None:
    track = extract_track(write_moving_shapes_video(tmp_path / "shapes.mp4"), with_masks=False)
    assert track.n_frames == 45 and track.coverage() == 0.0
    assert np.isnan(track.xy_px).all() and (track.visibility == 0).all()
    with pytest.raises(NoPersonError, match="no person detected in 45 of 45 frames"):
        check_track(track)


@pytest.fixture(scope="module")
def progress_calls() -> list[tuple[int, int, int]]:
    return []


@pytest.fixture(scope="module")
def kb_single() -> PoseTrack:
    return extract_track(_need(KB_DEADLIFT), workers=1)


@pytest.fixture(scope="module")
def kb_chunked(progress_calls: list[tuple[int, int, int]]) -> PoseTrack:
    return extract_track(
        _need(KB_DEADLIFT), workers=2, progress=lambda d, t: progress_calls.append((os.getpid(), d, t))
    )


@pytest.mark.real_data
@pytest.mark.model
def test_real_clip_track_shape_and_timing(kb_single: PoseTrack) -> None:
    info = probe(KB_DEADLIFT)
    assert kb_single.n_frames == info.frame_count == 86
    assert kb_single.image_wh == (480, 480)
    assert kb_single.fps == pytest.approx(30.0)
    np.testing.assert_allclose(kb_single.t_s, np.arange(86) / 30.0)
    assert kb_single.coverage() > 0.95
    det = kb_single.detected()
    core = kb_single.xy_px[det][:, [idx("left_hip"), idx("right_hip"), idx("nose")]]
    assert (core >= 0).all() and (core <= 480).all()  # source pixels, not normalised or 960-px coordinates
    assert kb_single.world_m is not None and np.isfinite(kb_single.world_m[det]).all()
    hip_centre = kb_single.world_m[det][:, [idx("left_hip"), idx("right_hip")]].mean(axis=1)
    assert np.abs(hip_centre).max() < 0.05  # world landmarks are hip-centred metres


@pytest.mark.real_data
@pytest.mark.model
def test_real_clip_landmarks_are_anatomically_ordered(kb_single: PoseTrack) -> None:
    det = kb_single.detected()

    def y(part: str) -> np.ndarray:
        pair = kb_single.xy_px[det][:, [sided("left", part), sided("right", part)], 1]
        return np.asarray(pair.mean(axis=1))

    # A hinge keeps hips above knees above ankles in every phase; shoulders are above the ankles throughout.
    assert np.mean((y("hip") < y("knee")) & (y("knee") < y("ankle"))) > 0.95
    assert np.mean(y("shoulder") < y("ankle")) > 0.95
    tallest = int(np.argmax(y("ankle") - y("shoulder")))  # standing tall at the top of the rep
    assert y("shoulder")[tallest] < y("hip")[tallest] < y("knee")[tallest]
    assert y("ankle")[tallest] - y("shoulder")[tallest] > 0.5 * 480  # the lifter fills most of the frame height


@pytest.mark.real_data
@pytest.mark.model
def test_real_clip_people_count_and_back_profile(kb_single: PoseTrack) -> None:
    assert kb_single.n_people is not None
    counted = kb_single.n_people[kb_single.n_people >= 0]
    assert counted.size == 3  # one count per second of a 2.9 s clip
    assert (counted == 1).all()
    from hingecoach.backline import DORSAL_U

    assert kb_single.back_profile is not None
    assert kb_single.back_profile.shape == (86, DORSAL_U.size)
    assert np.isfinite(kb_single.back_profile).any(axis=1).mean() > 0.8
    assert check_track(kb_single) == []


@pytest.mark.real_data
@pytest.mark.model
def test_chunked_extraction_matches_single_process(kb_single: PoseTrack, kb_chunked: PoseTrack) -> None:
    assert kb_chunked.n_frames == kb_single.n_frames
    np.testing.assert_array_equal(kb_chunked.t_s, kb_single.t_s)
    first = plan_chunks(86, 2)[0][1]
    # The first chunk is the same computation in another process: identical.
    np.testing.assert_allclose(kb_chunked.xy_px[:first], kb_single.xy_px[:first], atol=1e-6)
    # After the seam the second tracker was warmed up on 8 earlier frames: within a couple of pixels.
    diff = np.linalg.norm(kb_chunked.xy_px[first:] - kb_single.xy_px[first:], axis=-1)
    per_frame = np.nanmean(diff, axis=1)
    assert np.nanmedian(per_frame) < 2.0 and np.nanmax(per_frame) < 5.0
    assert "workers=2" in kb_chunked.log[-1]


@pytest.mark.real_data
@pytest.mark.model
def test_progress_is_reported_from_the_calling_process(
    kb_chunked: PoseTrack, progress_calls: list[tuple[int, int, int]]
) -> None:
    assert progress_calls, "progress was never called"
    assert {pid for pid, _, _ in progress_calls} == {os.getpid()}
    done = [d for _, d, _ in progress_calls]
    assert done == sorted(done)
    assert progress_calls[-1][1:] == (86, 86)


@pytest.mark.real_data
@pytest.mark.model
def test_two_lifters_side_by_side_are_refused(tmp_path: Path) -> None:
    clip = write_side_by_side_copy(_need(KB_DEADLIFT), tmp_path / "two.mp4")
    track = extract_track(clip, workers=1, with_masks=False)
    assert track.back_profile is None
    with pytest.raises(MultiplePeopleError, match="2 people are in view in 100% of the checked frames"):
        check_track(track)


@pytest.mark.real_data
@pytest.mark.model
def test_camera_aimed_too_high_cuts_off_the_feet(tmp_path: Path) -> None:
    clip = write_cropped_copy(_need(KB_DEADLIFT), tmp_path / "high.mp4", keep_top=0.6)
    track = extract_track(clip, workers=1, with_masks=False)
    assert track.image_wh == (480, 288)
    with pytest.raises(OutOfFrameError, match=r"feet are out of frame in \d+% of frames; step back"):
        check_track(track)
