"""Frame times come from the container: variable frame rate, chunks cut in time, and files whose timing is missing,
zeroed or broken (issue 12). Variants are made with ffmpeg from a real clip in ../shared/data; no model runs here.
"""

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.fixtures.videos import (
    frame_times,
    write_gif_with_delays,
    write_mp4_with_zero_timescale,
    write_mp4_with_zeroed_timing,
    write_raw_h264,
    write_retimed_copy,
)

from hingecoach.decode import NEAR_CAP, thinning_interval
from hingecoach.errors import VideoError
from hingecoach.video import iter_timed_frames, probe


@pytest.mark.real_data
def test_vfr_frames_carry_their_container_timestamps(vfr: Path) -> None:
    ref = frame_times(vfr)
    dt = np.diff(ref)
    assert dt.min() == pytest.approx(1 / 30, abs=1e-3) and dt.max() == pytest.approx(0.1, abs=1e-3)  # really VFR
    info = probe(vfr)
    assert info.timing == "container" and info.timing_warning is None
    t = np.array([f.t_s for f in iter_timed_frames(vfr, fps=info.fps, max_side=None)])
    assert t.shape == ref.shape
    np.testing.assert_allclose(t, ref, atol=1e-3)
    # What the mean rate would have said: off by more than 0.3 s at the switch.
    assert np.abs(np.arange(ref.size) / info.fps - ref).max() > 0.3


@pytest.mark.real_data
def test_time_chunks_of_a_vfr_file_tile_it_exactly(vfr: Path) -> None:
    """Chunks cut anywhere in time hold every frame once, with the warm-up frames just before each cut."""
    info = probe(vfr)
    ref = frame_times(vfr)
    cuts = [0.0, 0.71, 1.52, 2.05, None]  # in the 30 fps part, just after the switch, in the 10 fps part
    got: list[float] = []
    for a, b in itertools.pairwise(cuts):
        frames = list(iter_timed_frames(vfr, fps=info.fps, max_side=None, from_s=a or 0.0, until_s=b, lead=4))
        lead = [f.t_s for f in frames if f.lead]
        kept = [f.t_s for f in frames if not f.lead]
        assert kept and kept[0] >= (a or 0.0) - 1e-4 and (b is None or kept[-1] < b)
        if a:
            before = ref[ref < a - 1e-4][-4:]
            np.testing.assert_allclose(lead, before, atol=1e-3)  # the 4 frames just before the cut
        got += kept
    np.testing.assert_allclose(got, ref, atol=1e-3)


@pytest.mark.real_data
def test_max_fps_thins_frames_and_keeps_their_times(vfr: Path) -> None:
    info = probe(vfr)
    t = np.array([f.t_s for f in iter_timed_frames(vfr, fps=info.fps, max_side=None, max_fps=15.0)])
    ref = frame_times(vfr)
    assert np.isin(np.round(t, 3), np.round(ref, 3)).all()  # true times of real frames
    assert np.diff(t).min() >= 1 / 15 - 1e-3  # never faster than asked
    assert np.diff(t).max() < 1 / 15 + 0.1  # a gap is never longer than the interval plus one source frame
    assert np.diff(t[t > 1.6]) == pytest.approx(0.1, abs=1e-3)  # the 10 fps part is kept whole
    # Chunks cut anywhere keep exactly the frames one pass keeps (the slots are fixed on the clock).
    parts = [(0.0, 0.71), (0.71, 1.52), (1.52, None)]
    chunked = [
        f.t_s
        for a, b in parts
        for f in iter_timed_frames(vfr, fps=info.fps, max_side=None, from_s=a, until_s=b, lead=3, max_fps=15.0)
        if not f.lead
    ]
    np.testing.assert_allclose(chunked, t, atol=1e-6)


def test_thinning_interval_keeps_a_source_near_the_cap_whole() -> None:
    assert thinning_interval(60.0, None) == 0.0
    assert thinning_interval(29.97, 30.0) == 0.0 and thinning_interval(30.1, 30.0) == 0.0
    assert thinning_interval(30.0 * NEAR_CAP + 0.01, 30.0) == pytest.approx(1 / 30)
    assert thinning_interval(60.0, 30.0) == pytest.approx(1 / 30)


@pytest.mark.real_data
def test_a_jittered_60_fps_clock_still_keeps_every_other_frame(kb: Path, tmp_path: Path) -> None:
    """A frame stamped 1 ms early sits just before a slot edge of the 30 fps cap; it must still start its slot."""
    clip = write_retimed_copy(kb, tmp_path / "jitter60.mp4", fps=60.0, early_s=0.001)
    ref = frame_times(clip)
    assert np.diff(ref).min() < 1 / 60 - 5e-4  # the jitter survived the encode
    info = probe(clip)
    t = np.array([f.t_s for f in iter_timed_frames(clip, fps=info.fps, max_side=None, max_fps=30.0)])
    np.testing.assert_allclose(t, ref[::2], atol=1e-4)  # frames 0, 2, 4, ... and no other


@pytest.mark.real_data
def test_a_jittered_30_fps_clip_is_not_thinned_by_a_30_fps_cap(kb: Path, tmp_path: Path) -> None:
    clip = write_retimed_copy(kb, tmp_path / "jitter30.mp4", fps=29.97, early_s=0.004, early_every=3, early_at=1)
    ref = frame_times(clip)
    info = probe(clip)
    t = np.array([f.t_s for f in iter_timed_frames(clip, fps=info.fps, max_side=None, max_fps=30.0)])
    np.testing.assert_allclose(t, ref, atol=1e-4)  # every frame kept


@pytest.mark.real_data
def test_raw_h264_stream_named_mp4_warns_and_uses_the_streams_own_rate(kb: Path, tmp_path: Path) -> None:
    raw = write_raw_h264(kb, tmp_path / "raw.mp4")
    info = probe(raw)
    assert info.timing == "nominal"
    assert info.fps == pytest.approx(30.0)  # not the decoder's 25 fps guess
    assert info.frame_count == 86 and info.duration_s == pytest.approx(86 / 30)
    assert info.timing_warning is not None
    code, message = info.timing_warning
    assert code == "timing_untrusted"
    assert "raw video stream" in message and "30 fps" in message
    t = [f.t_s for f in iter_timed_frames(raw, fps=info.fps, timing=info.timing, max_side=None)]
    np.testing.assert_allclose(t, np.arange(86) / 30.0)


@pytest.mark.real_data
def test_zeroed_timing_table_warns_and_spreads_frames_over_the_track_duration(kb: Path, tmp_path: Path) -> None:
    zeroed = write_mp4_with_zeroed_timing(kb, tmp_path / "zeroed.mp4")
    info = probe(zeroed)
    assert info.timing == "nominal"
    assert info.spread_over_s == pytest.approx(86 / 30, abs=0.01)
    assert info.duration_s == pytest.approx(86 / 30, abs=0.01)
    assert info.timing_warning is not None and info.timing_warning[0] == "timing_untrusted"
    assert "timing table is zeroed" in info.timing_warning[1] and "2.87 s" in info.timing_warning[1]


@pytest.mark.real_data
def test_zero_timescale_is_broken_timing_in_one_line(kb: Path, tmp_path: Path) -> None:
    broken = write_mp4_with_zero_timescale(kb, tmp_path / "ts0.mp4")
    with pytest.raises(VideoError, match=r"ts0\.mp4: the file's timing is broken"):
        probe(broken)
    done = subprocess.run(
        [sys.executable, "-m", "hingecoach", "analyze", str(broken), "--quiet"], capture_output=True, text=True
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "the file's timing is broken" in lines[0]  # no FFmpeg "[mov @ ...]" line


def test_gif_is_accepted_with_its_real_frame_timing(tmp_path: Path) -> None:
    delays = [100, 100, 500, 100, 250, 100]  # a pose held for half a second, as exercise-library GIFs do
    gif = write_gif_with_delays(tmp_path / "hold.mp4", delays)  # named .mp4, as in the issue
    info = probe(gif)
    assert info.timing == "container" and info.frame_count == 6
    t = [f.t_s for f in iter_timed_frames(gif, fps=info.fps, max_side=None)]
    np.testing.assert_allclose(t, np.cumsum([0, *delays[:-1]]) / 1000.0, atol=1e-3)
