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


@pytest.fixture
def video(shared_data: Path) -> Path:
    """A short real clip (to-be-frank good morning, 116 frames at 480x480)."""
    clip = shared_data / "to-be-frank" / "videos" / "good-morning.mp4"
    if not clip.exists():
        pytest.skip(f"shared clip absent: {clip}")
    return clip


def _cli(*args: str | Path) -> None:
    """Run the hingecoach CLI as a user would; it must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "hingecoach", *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr


def _gap_px(a: PoseTrack, b_mirrored: PoseTrack) -> float:
    """Median distance (px) between a's landmarks and the mirrored track's, flipped back with sides swapped."""
    w = a.image_wh[0]
    back = b_mirrored.xy_px[:, MIRROR].copy()
    back[..., 0] = w - back[..., 0]
    return float(np.nanmedian(np.linalg.norm(a.xy_px - back, axis=-1)))


def test_a_mirrored_copy_gets_the_mirror_image_track(video: Path, tmp_path: Path) -> None:
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


def test_cli_symmetric_is_recorded_in_the_result(video: Path, tmp_path: Path) -> None:
    """`analyze --symmetric`: the configuration (and so its hash) says the track was mirror-averaged."""
    out = tmp_path / "a.json"
    _cli("analyze", video, "--drill", "good_morning", "--symmetric", "--json", out, "-q")
    doc = json.loads(out.read_text())
    assert doc["provenance"]["config"]["symmetric_pose"] is True
    assert doc["summary"]["rep_count"] >= 1


def test_cli_track_symmetric_saves_a_mirror_averaged_track(video: Path, tmp_path: Path) -> None:
    """`track --symmetric` keeps how it tracked in the saved track (its source and log), for later re-analysis."""
    saved = tmp_path / "t.npz"
    _cli("track", video, "--symmetric", "-o", saved, "-q")
    tr = PoseTrack.load(saved)
    assert "mirror-averaged" in tr.source and any("symmetric=True" in line for line in tr.log)
    assert tr.coverage() > 0.9
