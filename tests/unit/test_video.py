import threading
import time
from pathlib import Path

import numpy as np
import pytest
from tests.fixtures.videos import (
    frame_index_of,
    write_audio_only_mp4,
    write_gif,
    write_index_video,
    write_jpeg,
    write_png,
    write_text_file,
    write_truncated_copy,
    write_wav,
    write_zero_frame_mp4,
)

from hingecoach.errors import InputTooLargeError, VideoError
from hingecoach.video import iter_frames, probe, scaled_size


@pytest.fixture(scope="module")
def vids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("videos")


@pytest.fixture(scope="module")
def index_mp4(vids: Path) -> Path:
    return write_index_video(vids / "index.mp4", n_frames=40, width=64, height=48, fps=25.0)


# ------------------------------------------------------------------------------------------------ probe: good input
def test_probe_reads_stream_properties(index_mp4: Path) -> None:
    info = probe(index_mp4)
    assert (info.width, info.height, info.frame_count) == (64, 48, 40)
    assert info.fps == pytest.approx(25.0)
    assert info.duration_s == pytest.approx(40 / 25.0)
    assert info.path == index_mp4


def test_probe_keeps_fractional_fps(vids: Path) -> None:
    info = probe(write_index_video(vids / "ntsc.mp4", n_frames=10, fps=29.97))
    assert info.fps == pytest.approx(29.97, abs=1e-3)


def test_animated_gif_is_a_video(vids: Path) -> None:
    info = probe(write_gif(vids / "anim.gif", n_frames=12, fps=10.0))
    assert info.frame_count == 12
    assert info.fps == pytest.approx(10.0)
    frames = list(iter_frames(vids / "anim.gif", max_side=None))
    assert len(frames) == 12 and frames[0][1].shape == (40, 48, 3)


# ------------------------------------------------------------------------------------------------ probe: bad input
def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"nope\.mp4: file not found"):
        probe(tmp_path / "nope.mp4")


def test_folder(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="is a folder, not a video file"):
        probe(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match=r"empty\.mp4: the file is empty \(0 bytes\)"):
        probe(tmp_path / "empty.mp4")


def test_text_file_named_mp4(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="is a text file, not a video"):
        probe(write_text_file(tmp_path / "notes.mp4"))


@pytest.mark.parametrize(("writer", "name"), [(write_png, "photo.png"), (write_jpeg, "photo.mp4")])
def test_still_image(tmp_path: Path, writer: object, name: str) -> None:
    path = writer(tmp_path / name)  # type: ignore[operator]
    with pytest.raises(VideoError, match="is a still image, not a video"):
        probe(path)


def test_one_frame_gif_is_a_still_image(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="is a still image, not a video"):
        probe(write_gif(tmp_path / "still.gif", n_frames=1))


def test_wav_renamed_mp4_has_no_video_stream(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"memo\.mp4: has no video stream"):
        probe(write_wav(tmp_path / "memo.mp4"))


def test_audio_only_mp4_has_no_video_stream(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"has no video stream \(audio only\)"):
        probe(write_audio_only_mp4(tmp_path / "song.mp4"))


def test_zero_length_video(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match=r"contains no frames \(zero-length video\)"):
        probe(write_zero_frame_mp4(tmp_path / "zero.mp4"))


def test_mp4_cut_in_half_lost_its_index(index_mp4: Path, tmp_path: Path) -> None:
    # OpenCV writes the index ('moov') last, so half a file has frames but no index.
    bad = write_truncated_copy(index_mp4, tmp_path / "half.mp4", keep=0.5)
    with pytest.raises(VideoError, match=r"truncated or corrupt \(its index, the 'moov' box, is missing\)"):
        probe(bad)


def test_mp4_missing_its_last_bytes_is_truncated(index_mp4: Path, tmp_path: Path) -> None:
    bad = write_truncated_copy(index_mp4, tmp_path / "cut.mp4", keep=0.97)
    with pytest.raises(VideoError, match="the video is truncated"):
        probe(bad)


def test_avi_that_decodes_few_frames_is_truncated(vids: Path, tmp_path: Path) -> None:
    # AVI (MJPEG): the header promises 60 frames; after the cut only the first ~dozen decode.
    full = write_index_video(vids / "index.avi", n_frames=60, fourcc="MJPG")
    bad = write_truncated_copy(full, tmp_path / "cut.avi", keep=0.4)
    with pytest.raises(VideoError, match=r"truncated or corrupt \(only \d+ of the 60 frames"):
        probe(bad)


def test_file_size_limit(index_mp4: Path) -> None:
    with pytest.raises(InputTooLargeError, match="the limit is"):
        probe(index_mp4, max_bytes=100)
    assert probe(index_mp4, max_bytes=10**9).frame_count == 40


def test_duration_limit(index_mp4: Path) -> None:
    with pytest.raises(InputTooLargeError, match=r"is 1\.6 s long; the limit is 1\.0 s"):
        probe(index_mp4, max_duration_s=1.0)
    assert probe(index_mp4, max_duration_s=2.0).duration_s == pytest.approx(1.6)


# ------------------------------------------------------------------------------------------------ decoding
def test_scaled_size_keeps_aspect_and_never_enlarges() -> None:
    assert scaled_size(1920, 1080, 960) == (960, 540)
    assert scaled_size(1080, 1920, 960) == (540, 960)
    assert scaled_size(640, 480, 960) == (640, 480)
    assert scaled_size(640, 480, None) == (640, 480)


def test_iter_frames_yields_rgb_in_order(index_mp4: Path) -> None:
    frames = list(iter_frames(index_mp4, max_side=None))
    assert [i for i, _ in frames] == list(range(40))
    assert [frame_index_of(f) for _, f in frames] == list(range(40))
    first = frames[0][1]
    assert first.dtype == np.uint8 and first.shape == (48, 64, 3)
    red_block = first[:8, :12].reshape(-1, 3).mean(axis=0)
    assert red_block[0] > 200 and red_block[2] < 60  # RGB order: red first


def test_iter_frames_downscales_long_side(index_mp4: Path) -> None:
    _, frame = next(iter(iter_frames(index_mp4, max_side=32)))
    assert frame.shape == (24, 32, 3)


def test_iter_frames_range_seeks_to_the_right_frame(index_mp4: Path) -> None:
    got = [(i, frame_index_of(f)) for i, f in iter_frames(index_mp4, max_side=None, start=17, stop=23)]
    assert got == [(i, i) for i in range(17, 23)]
    tail = [i for i, _ in iter_frames(index_mp4, max_side=None, start=35)]
    assert tail == [35, 36, 37, 38, 39]


def test_iter_frames_rejects_bad_range(index_mp4: Path) -> None:
    with pytest.raises(ValueError, match="invalid frame range"):
        list(iter_frames(index_mp4, start=5, stop=2))


def test_iter_frames_raises_decoder_errors_in_the_caller(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="cannot be decoded as a video"):
        list(iter_frames(tmp_path / "missing.mp4"))


def test_closing_iter_frames_early_stops_the_decoder_thread(index_mp4: Path) -> None:
    before = {t.ident for t in threading.enumerate()}
    gen = iter_frames(index_mp4, max_side=None)
    next(gen)
    gen.close()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t.ident not in before and t.name == "hingecoach-decode"]
        if not extra:
            break
        time.sleep(0.01)
    assert not extra
