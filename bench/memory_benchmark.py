"""Peak memory of a whole analysis against the length of the video: the goal is flat (issue 12).

A real clip from ../shared/data is looped with ``ffmpeg -stream_loop`` to 1, 5 and 20 minutes (shrunk and at a
low frame rate so the 20-minute run finishes on a laptop: the pose model's cost is per frame, memory growth is per
frame too, so frames per minute is the knob, not resolution). Each length runs ``analyze_video`` in a fresh
subprocess, which reports its own peak RSS and its pose workers' (``ru_maxrss``).

    PYTHONPATH=src .venv/bin/python bench/memory_benchmark.py [--minutes 1 5 20] [--fps 6] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / ".." / "shared" / "data" / "to-be-frank" / "videos" / "kb-deadlift.mp4"

CHILD = r"""
import json, resource, sys, time
from hingecoach.analysis import analyze_video
t0 = time.monotonic()
result = analyze_video(sys.argv[1], drill="deadlift", workers=int(sys.argv[2]))
print(json.dumps({
    "frames": result.raw_track.n_frames,
    "reps": result.analysis.summary.rep_count,
    "wall_s": round(time.monotonic() - t0, 1),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def make_long_clip(src: Path, dst: Path, minutes: float, fps: float, width: int) -> Path:
    """``src`` looped to ``minutes`` long, at ``fps`` and ``width`` px wide (H.264)."""
    loops = max(0, int(minutes * 60 / 2.8) + 1)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(src), "-t", str(minutes * 60),
         "-vf", f"fps={fps},scale={width}:-2", "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-an",
         str(dst)],
        check=True,
    )
    return dst


def measure(video: Path, workers: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(video), str(workers)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 5, 20])
    parser.add_argument("--fps", type=float, default=6.0)
    parser.add_argument("--width", type=int, default=240)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clip", type=Path, default=CLIP)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"clip {args.clip.name} looped, {args.fps:g} fps, {args.width} px wide, workers={args.workers}")
        print(f"{'minutes':>8} {'frames':>7} {'reps':>5} {'wall s':>7} {'peak RSS MB':>12} {'workers MB':>11}")
        for minutes in args.minutes:
            t0 = time.monotonic()
            video = make_long_clip(args.clip, Path(tmp) / f"long_{minutes:g}.mp4", minutes, args.fps, args.width)
            r = measure(video, args.workers)
            print(
                f"{minutes:>8g} {r['frames']:>7.0f} {r['reps']:>5.0f} {r['wall_s']:>7.1f} {r['peak_rss_mb']:>12.1f} "
                f"{r['workers_peak_rss_mb']:>11.1f}   (made and measured in {time.monotonic() - t0:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
