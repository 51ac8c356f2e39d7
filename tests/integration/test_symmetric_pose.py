"""Mirror-averaged pose on a real clip and its mirrored copy (real model, real decoding, ffmpeg's hflip).

Why: faults must not depend on which side the lifter was filmed from, and a single pass of the pose model is not
mirror-symmetric. With ``symmetric=True`` each frame and its mirror image are tracked and combined, so the track of
the mirrored copy, flipped back, must sit much closer to the original's track than a single pass manages. What is
left is the copy's re-encoding (its pixels are not exactly the flipped frames).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hingecoach.devtools.evaluate import mirrored_copy
from hingecoach.pose.extract import extract_track
from hingecoach.pose.symmetric import MIRROR
from hingecoach.skeleton import sided
from hingecoach.track import PoseTrack

pytestmark = [pytest.mark.real_data, pytest.mark.model, pytest.mark.slow]


def _gap_px(a: PoseTrack, b_mirrored: PoseTrack) -> float:
    """Median distance (px) between a's landmarks and the mirrored track's, flipped back with sides swapped."""
    w = a.image_wh[0]
    back = b_mirrored.xy_px[:, MIRROR].copy()
    back[..., 0] = w - back[..., 0]
    return float(np.nanmedian(np.linalg.norm(a.xy_px - back, axis=-1)))


def test_a_mirrored_copy_gets_the_mirror_image_track(shared_data: Path, tmp_path: Path) -> None:
    video = shared_data / "to-be-frank" / "videos" / "good-morning.mp4"
    if not video.exists():
        pytest.skip(f"shared clip absent: {video}")
    flipped = mirrored_copy(video, tmp_path)
    plain = extract_track(video, workers=1)
    single = _gap_px(plain, extract_track(flipped, workers=1))
    sym_a = extract_track(video, workers=1, symmetric=True)
    sym_b = extract_track(flipped, workers=1, symmetric=True)
    sym = _gap_px(sym_a, sym_b)
    assert "mirror-averaged" in sym_a.source and "symmetric=True" in sym_a.log[-1]
    assert sym_a.back_profile is not None and np.isfinite(sym_a.back_profile).any()
    assert sym < 0.6 * single, f"mirror-averaged gap {sym:.2f} px vs single pass {single:.2f} px"
    # The combined track is still this lifter's pose: near the single pass (within 3 % of the frame's height at the
    # median), found on as many frames, its back profile read on most of them.
    near = float(np.nanmedian(np.linalg.norm(sym_a.xy_px - plain.xy_px, axis=-1)))
    assert near < 0.03 * sym_a.image_wh[1], near
    assert sym_a.coverage() >= plain.coverage() - 0.01
    hip = sym_a.xy_px[:, sided("left", "hip"), 1]
    assert np.isfinite(hip).mean() > 0.9


def test_cli_symmetric_is_recorded_in_the_result(shared_data: Path, tmp_path: Path) -> None:
    """`analyze --symmetric`: the configuration (and so its hash) says the track was mirror-averaged."""
    video = shared_data / "to-be-frank" / "videos" / "good-morning.mp4"
    if not video.exists():
        pytest.skip(f"shared clip absent: {video}")
    out = tmp_path / "a.json"
    done = subprocess.run(
        [sys.executable, "-m", "hingecoach", "analyze", str(video), "--drill", "good_morning", "--symmetric",
         "--json", str(out), "-q"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert doc["provenance"]["config"]["symmetric_pose"] is True
    assert doc["summary"]["rep_count"] >= 1


def test_cli_track_symmetric_saves_a_mirror_averaged_track(shared_data: Path, tmp_path: Path) -> None:
    """`track --symmetric` keeps how it tracked in the saved track (its source and log), for later re-analysis."""
    video = shared_data / "to-be-frank" / "videos" / "good-morning.mp4"
    if not video.exists():
        pytest.skip(f"shared clip absent: {video}")
    saved = tmp_path / "t.npz"
    done = subprocess.run(
        [sys.executable, "-m", "hingecoach", "track", str(video), "--symmetric", "-o", str(saved), "-q"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tr = PoseTrack.load(saved)
    assert "mirror-averaged" in tr.source and any("symmetric=True" in line for line in tr.log)
    assert tr.coverage() > 0.9
