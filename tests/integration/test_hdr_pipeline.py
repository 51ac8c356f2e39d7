"""The whole pipeline on a 10-bit (HDR-style) phone clip: decoded by PyAV, cut into chunks, the same reps as 8-bit.

A real 59.94 fps RDL clip (3 reps) is re-encoded at 480 px twice, 8-bit and H.264 High 10. Tracked with two
workers, so that the PyAV reader must seek for the second chunk, the 10-bit copy must say it was decoded by PyAV,
hold every frame once and give the 8-bit copy's reps.
"""

from pathlib import Path

import numpy as np
import pytest
from tests.fixtures.videos import ffmpeg, frame_times, write_10bit_copy

from hingecoach.analysis import analyze_track
from hingecoach.pose.extract import extract_track

RDL = "gym-app-ai/videos/rdl.mp4"  # 1920x926, 59.94 fps, 402 frames, 3 reps

pytestmark = [pytest.mark.real_data, pytest.mark.model, pytest.mark.slow]


def test_a_10_bit_clip_gives_the_8_bit_clips_reps(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / RDL
    if not src.exists():
        pytest.skip(f"{RDL} is absent from the shared data folder")
    sdr = tmp_path / "sdr.mp4"
    ffmpeg("-i", str(src), "-vf", "scale=480:-2", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-an",
           str(sdr))  # fmt: skip
    hdr = write_10bit_copy(src, tmp_path / "hdr.mp4", scale_w=480)
    a_track = extract_track(sdr, with_masks=False, workers=2)
    b_track = extract_track(hdr, with_masks=False, workers=2)
    assert "decoder=pyav" in a_track.log[-1]  # every clip is read by PyAV (issue 16)
    assert "decoder=pyav" in b_track.log[-1] and "workers=2" in b_track.log[-1]
    np.testing.assert_allclose(b_track.t_s, frame_times(hdr), atol=1e-3)  # every frame once, across the seam
    a, b = analyze_track(a_track, drill="rdl"), analyze_track(b_track, drill="rdl")
    assert a.analysis.summary.rep_count == b.analysis.summary.rep_count == 3
    # Two encodes (8-bit CRF 18, 10-bit CRF 23) are two slightly different pictures, so the landmarks differ a little;
    # a bottom is the middle of a plateau, which moves most with them (measured: at most 0.067 s, 4 frames).
    for ra, rb in zip(a.analysis.reps, b.analysis.reps, strict=True):
        for key in ("start_s", "bottom_s", "end_s"):
            assert abs(getattr(ra, key) - getattr(rb, key)) <= 0.1, (ra.index, key, getattr(ra, key), getattr(rb, key))
