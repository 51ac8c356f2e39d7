"""Long sessions (issue 12): exact rep counts and memory that does not grow with the length of the video.

A one-rep real clip is looped 10 and 40 times with ``ffmpeg -stream_loop`` (at 6 fps and 240 px so the model's
per-frame cost stays small: memory per frame is what is measured, so frames are the knob, not resolution). Each
analysis runs in a fresh process that reports its own peak RSS. ``bench/memory_benchmark.py`` does the same for
1, 5 and 20 minutes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.fixtures.videos import ffmpeg

KB = "to-be-frank/videos/kb-deadlift.mp4"  # one floor-to-lockout-to-floor rep, 2.9 s
#: Peak RSS may grow by at most this much between a 10-loop and a 40-loop session (4x the frames).
MAX_GROWTH_MB = 25.0

pytestmark = [pytest.mark.real_data, pytest.mark.model, pytest.mark.slow]

CHILD = r"""
import json, resource, sys
from hingecoach.analysis import analyze_video
r = analyze_video(sys.argv[1], drill="deadlift", workers=1)
print(json.dumps({"reps": r.analysis.summary.rep_count, "frames": r.raw_track.n_frames,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _session(src: Path, dst: Path, loops: int) -> dict[str, float]:
    ffmpeg("-stream_loop", str(loops - 1), "-i", str(src), "-vf", "fps=6,scale=240:-2", "-c:v", "libx264",
           "-preset", "veryfast", "-crf", "26", "-an", str(dst))
    done = subprocess.run([sys.executable, "-c", CHILD, str(dst)], capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_long_session_counts_every_rep_and_memory_stays_flat(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / KB
    if not src.exists():
        pytest.skip(f"{KB} is absent")
    short = _session(src, tmp_path / "x10.mp4", 10)
    long = _session(src, tmp_path / "x40.mp4", 40)
    assert long["frames"] > 3.5 * short["frames"]
    assert (short["reps"], long["reps"]) == (10, 40)
    growth = long["peak_mb"] - short["peak_mb"]
    assert growth < MAX_GROWTH_MB, f"peak RSS grew {growth:.1f} MB from 10 to 40 loops ({short} -> {long})"
