"""PyAV's reader (issue 16): the same frames, times and orientation as OpenCV's, 10-bit and full-range sources read
right, and the frames thinning drops left undecoded without changing one that is kept.

Variants are made with ffmpeg from a real clip in ../shared/data; no model runs here.
"""

import itertools
from pathlib import Path

import numpy as np
import pytest
from tests.fixtures.videos import (
    ffmpeg,
    frame_times,
    write_10bit_copy,
    write_high_rate_copy,
    write_rotated_copy,
    write_text_file,
)

from hingecoach.decode import iter_frames, iter_timed_frames, open_reader
from hingecoach.decode_av import AvReader, DropRule
from hingecoach.errors import VideoError
from hingecoach.video import probe

pytestmark = pytest.mark.real_data


def _frames(path: Path, decoder: str, **kw: object) -> tuple[np.ndarray, list[np.ndarray]]:
    info = probe(path)
    got = list(iter_timed_frames(path, fps=info.fps, decoder=decoder, **kw))  # type: ignore[arg-type]
    return np.array([f.t_s for f in got]), [f.rgb for f in got]


def test_pyav_gives_opencvs_frames_and_times_on_an_8_bit_clip(vfr: Path) -> None:
    t_cv, rgb_cv = _frames(vfr, "opencv", max_side=None)
    t_av, rgb_av = _frames(vfr, "pyav", max_side=None)
    np.testing.assert_allclose(t_av, t_cv, atol=1e-6)
    np.testing.assert_allclose(t_av, frame_times(vfr), atol=1e-3)
    assert all(a.dtype == np.uint8 and a.shape == b.shape for a, b in zip(rgb_av, rgb_cv, strict=True))
    assert max(float(np.abs(a.astype(float) - b).mean()) for a, b in zip(rgb_av, rgb_cv, strict=True)) < 1.0


def test_pyav_time_chunks_with_warm_up_tile_the_file_like_opencv(vfr: Path) -> None:
    info = probe(vfr)
    cuts = [0.0, 0.71, 1.52, 2.05, None]
    for decoder in ("opencv", "pyav"):
        kept: list[float] = []
        for a, b in itertools.pairwise(cuts):
            frames = list(
                iter_timed_frames(vfr, fps=info.fps, max_side=None, from_s=a or 0.0, until_s=b, lead=4, decoder=decoder)
            )
            if a:
                assert [f.lead for f in frames[:4]] == [True] * 4
            kept += [f.t_s for f in frames if not f.lead]
        np.testing.assert_allclose(kept, frame_times(vfr), atol=1e-3, err_msg=decoder)


def test_pyav_turns_a_rotated_clip_upright_as_opencv_does(kb: Path, tmp_path: Path) -> None:
    clip = write_rotated_copy(kb, tmp_path / "rot90.mp4", rotate=90)
    cv = next(iter(iter_frames(clip, max_side=None, decoder="opencv")))[1]
    av_ = next(iter(iter_frames(clip, max_side=None, decoder="pyav")))[1]
    assert av_.shape == cv.shape
    assert float(np.abs(av_.astype(float) - cv).mean()) < 1.0
    # The stored picture itself is not upright: the rotation was really applied.
    stored = next(iter(iter_frames(kb, max_side=None)))[1]
    assert float(np.abs(av_.astype(float) - stored).mean()) > 5.0


def test_a_10_bit_clip_is_read_by_pyav_with_its_true_times(kb: Path, tmp_path: Path) -> None:
    hdr = write_10bit_copy(kb, tmp_path / "hdr.mp4", scale_w=240)
    clip = write_rotated_copy(hdr, tmp_path / "hdr-upright.mp4", rotate=270)  # filmed upright, as phones do
    reader = open_reader(clip)
    try:
        assert isinstance(reader, AvReader) and reader.high_bit_depth
        assert reader.size == (240, 240)
    finally:
        reader.release()
    t, rgb = _frames(clip, "auto", max_side=120)
    np.testing.assert_allclose(t, frame_times(clip), atol=1e-3)
    assert rgb[0].shape == (120, 120, 3) and rgb[0].dtype == np.uint8
    # The picture is the clip's, in 8-bit RGB: close to the 8-bit source shrunk the same way and turned upright.
    ref = next(iter(iter_frames(kb, max_side=120)))[1]
    assert float(np.abs(rgb[0].astype(float) - np.rot90(ref, 3)).mean()) < 8.0


def test_pyav_says_which_file_is_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"notes\.mp4: cannot be decoded as a video"):
        AvReader(write_text_file(tmp_path / "notes.mp4"))


def _delivered(clip: Path, rule: DropRule | None) -> tuple[list[tuple[float, np.ndarray]], int]:
    """Every frame the reader hands out under ``rule`` (None: all), with its picture; the packets it marked."""
    reader = AvReader(clip)
    reader.drop_when(rule)
    out = []
    try:
        while reader.grab():
            out.append((reader.time_s(), reader.rgb(reader.size)))
        return out, reader.marked_packets
    finally:
        reader.release()


def test_frames_left_undecoded_are_only_dropped_ones_and_the_kept_ones_decode_unchanged(
    kb: Path, tmp_path: Path
) -> None:
    clip = write_high_rate_copy(kb, tmp_path / "60fps.mp4", fps=60)
    every, marked_all = _delivered(clip, None)
    assert marked_all == 0 and len(every) >= 100
    times = [t for t, _ in every]
    odd = {round(t, 4) for t in times[1::2]}  # thinning to 30 fps keeps the even frames
    thinned, marked = _delivered(clip, lambda t, before: round(t, 4) in odd)
    # Every dropped frame's packet was marked but the few sent before the rule was given (while the reader opened and
    # decoded the first frame); the decoder skipped those no other frame refers to (x264's non-reference B-frames)
    # and decoded the rest (references are needed by the frames after them).
    assert len(odd) - 4 <= marked <= len(odd)
    assert len(every) - marked < len(thinned) <= len(every) - len(odd) // 4
    kept = dict(every)
    got = dict(thinned)
    for t in times[0::2]:
        assert t in got, t  # no kept frame was lost
        assert np.array_equal(got[t], kept[t]), t  # and each decodes exactly as with every frame decoded
    # A rule that drops nothing skips nothing.
    assert _delivered(clip, lambda t, before: False)[1] == 0


def test_thinning_and_chunks_give_opencvs_frames_bit_for_bit_with_frames_skipped(kb: Path, tmp_path: Path) -> None:
    clip = write_high_rate_copy(kb, tmp_path / "60fps.mp4", fps=60)
    for kw in ({"max_fps": 30.0}, {"max_fps": 30.0, "from_s": 0.9, "until_s": 2.1, "lead": 3}, {"from_s": 1.2}):
        t_cv, rgb_cv = _frames(clip, "opencv", max_side=160, **kw)
        t_av, rgb_av = _frames(clip, "pyav", max_side=160, **kw)
        np.testing.assert_allclose(t_av, t_cv, rtol=0, atol=1e-9, err_msg=str(kw))
        assert all(np.array_equal(a, b) for a, b in zip(rgb_av, rgb_cv, strict=True)), kw


def test_a_full_range_clip_is_ffmpegs_own_picture(kb: Path, tmp_path: Path) -> None:
    clip = write_high_rate_copy(kb, tmp_path / "yuvj.mp4", fps=30, full_range=True)
    png = tmp_path / "first.png"
    ffmpeg("-i", str(clip), "-frames:v", "1", str(png))
    import cv2

    ref = cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB)
    first = next(iter(iter_frames(clip, max_side=None)))[1]
    assert first.shape == ref.shape
    assert float(np.abs(first.astype(float) - ref).mean()) < 0.05
