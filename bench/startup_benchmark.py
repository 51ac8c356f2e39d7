"""Where a fresh worker process's start-up goes: wall time from process start to its first tracked frame.

Each run starts a new Python process that does what a worker does before it can track: the chunk worker of
``analyze --workers 2`` imports ``hingecoach.pose.extract``; a ``batch`` worker also imports ``hingecoach.batch``
and ``hingecoach.analysis`` (scipy, pydantic, ...). Then, as :func:`hingecoach.pose.extract.track_chunk` does, it
opens the clip, builds the :class:`~hingecoach.pose.mediapipe_backend.MediaPipePoseBackend` (importing MediaPipe
and creating its two landmarkers) and tracks the first frame. Times are offsets from just before the process was
started, so the interpreter's own start-up is included. Prints each phase's best (and median) over ``--runs``, the
load average before and after, and whether matplotlib was imported (MediaPipe's drawing modules import pyplot).

Run it twice to compare two trees, e.g. ``PYTHONPATH=/path/to/other/src python bench/startup_benchmark.py``: the
child inherits the environment and uses only APIs both have.

    nice -n 10 python bench/startup_benchmark.py --runs 5 ../shared/data/03y/deadlift1.mp4
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
t = {"interpreter": time.time()}
mode, clip = sys.argv[1], sys.argv[2]
import hingecoach.pose.extract
if mode == "batch":
    import hingecoach.batch
    import hingecoach.analysis
t["imports"] = time.time()
from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend
from hingecoach.video import iter_timed_frames, probe
info = probe(clip)
frames = iter_timed_frames(clip, fps=info.fps, timing=info.timing, max_side=960, from_s=0.0, until_s=None, lead=0)
with MediaPipePoseBackend(None, with_masks=True) as backend:
    t["landmarkers"] = time.time()
    frame = next(iter(frames))
    pose, pending = backend.process_deferred(frame.rgb, round(frame.t_s * 1000.0))
    t["first_frame"] = time.time()
    if pending is not None:
        pending.apply(pose)
t["matplotlib"] = "matplotlib" in sys.modules
print(json.dumps(t))
"""

PHASES = ("interpreter", "imports", "landmarkers", "first_frame")


def one_run(mode: str, clip: Path) -> dict[str, float]:
    """Offsets (s) of each phase from just before the child process was started."""
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(clip)], check=True, capture_output=True, text=True
    ).stdout
    t = json.loads(out.strip().splitlines()[-1])
    res = {k: float(t[k]) - t0 for k in PHASES}
    res["matplotlib"] = float(bool(t["matplotlib"]))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip", type=Path, nargs="?", default=Path("../shared/data/03y/deadlift1.mp4"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mode", choices=("chunk", "batch", "both"), default="both")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    modes = ("chunk", "batch") if args.mode == "both" else (args.mode,)
    print(f"{started}  python {sys.version.split()[0]}  PYTHONPATH={os.environ.get('PYTHONPATH', '')}")
    print(f"clip {args.clip}  runs {args.runs} (after one warm-up run each)")
    for mode in modes:
        one_run(mode, args.clip)  # warm the file cache and the model file
        runs = [one_run(mode, args.clip) for _ in range(args.runs)]
        print(f"\n{mode} worker: seconds from process start (best / median of {args.runs})")
        prev_best = prev_med = 0.0
        for k in PHASES:
            vals = [r[k] for r in runs]
            best, med = min(vals), statistics.median(vals)
            print(f"  {k:<12} {best:6.2f} / {med:6.2f}   (phase {best - prev_best:5.2f} / {med - prev_med:5.2f})")
            prev_best, prev_med = best, med
        print(f"  matplotlib imported: in {sum(r['matplotlib'] for r in runs):.0f} of {args.runs} runs")
    print(f"\nload average (1 min): {load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
