"""PyAV's reader (issue 16): the same frames, times and orientation as OpenCV's, and chosen for 10-bit sources.

Variants are made with ffmpeg from a real clip in ../shared/data; no model runs here.
"""

import itertools
from pathlib import Path

import numpy as np
import pytest
from tests.fixtures.videos import (
    frame_times,
    write_10bit_copy,
    write_rotated_copy,
    write_text_file,
)

from hingecoach.decode import iter_frames, iter_timed_frames, open_reader
from hingecoach.decode_av import AvReader, high_bit_depth
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
    assert high_bit_depth(clip) and not high_bit_depth(kb)
    reader = open_reader(clip)
    try:
        assert isinstance(reader, AvReader)
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
    assert not high_bit_depth(tmp_path / "notes.mp4")
