"""Throughput of the pose stage on one clip: decode only, a naive loop, and the real `hingecoach analyze` path.

Usage: .venv/bin/python bench/benchmark.py [--clip PATH] [--workers N] [--json OUT.json]

The naive loop is what one would write first: decode every frame at full resolution, convert to RGB, run a
VIDEO-mode PoseLandmarker (one person, segmentation masks on, as the analysis needs them) in one thread of one
process. ``analyze`` does strictly more work per frame (people counting ~1/s, back profile from the mask) and
should still be faster: decoding overlaps inference, frames are shrunk to 960 px, and long clips run in parallel
processes. The figure of merit is the ratio of the two (goal: ≥ 1.3× on the 2-core reference machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

from hingecoach.analysis import analyze_video
from hingecoach.pose.extract import auto_workers
from hingecoach.pose.mediapipe_backend import native_stderr_silenced
from hingecoach.pose.model import require_model
from hingecoach.video import probe

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT / ".." / "shared" / "data" / "lhpe3d-demo" / "videos" / "good_mornings.mp4"


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children (the extract_track workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Run:
    label: str
    frames: int
    wall_s: float
    cpu_s: float
    detected: int | None

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s


def decode_only(path: Path) -> Run:
    cap = cv2.VideoCapture(str(path))
    n = 0
    t0, c0 = time.perf_counter(), _cpu_s()
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        n += 1
    cap.release()
    return Run("decode only (full res, BGR->RGB)", n, time.perf_counter() - t0, _cpu_s() - c0, None)


def naive_loop(path: Path, model: Path) -> Run:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    t0, c0 = time.perf_counter(), _cpu_s()
    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
        output_segmentation_masks=True,
    )
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    n = detected = 0
    with native_stderr_silenced(), vision.PoseLandmarker.create_from_options(opts) as landmarker:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            result = landmarker.detect_for_video(image, round(n * 1000 / fps))
            detected += bool(result.pose_landmarks)
            n += 1
    cap.release()
    return Run("naive decode + pose (1 process)", n, time.perf_counter() - t0, _cpu_s() - c0, detected)


def real_path(path: Path, workers: int) -> Run:
    """The whole ``hingecoach analyze`` path: probe, decode + pose, cleaning, kinematics, reps and checks."""
    t0, c0 = time.perf_counter(), _cpu_s()
    result = analyze_video(path, drill="auto", workers=workers)
    wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
    track = result.raw_track
    return Run(f"analyze, workers={workers}", track.n_frames, wall, cpu, int(track.detected().sum()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--workers", type=int, default=None, help="pose workers (default: automatic)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved repetitions; the fastest of each is kept")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    clip: Path = args.clip.resolve()
    if not clip.exists():
        print(f"clip not found: {clip} (pass --clip)", file=sys.stderr)
        return 2
    info = probe(clip)
    model = require_model()
    workers = args.workers if args.workers is not None else auto_workers(info.frame_count)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    print(f"clip: {clip.name}  {info.width}x{info.height}  {info.frame_count} frames @ {info.fps:.2f} fps")
    print(f"machine: {platform.machine()}, {cores} usable cores, load average {os.getloadavg()[0]:.2f} at start")

    best: dict[str, Run] = {}
    loads = []
    for _ in range(max(1, args.rounds)):
        runs = [decode_only(clip), naive_loop(clip, model), real_path(clip, 1)]
        if workers != 1:
            runs.append(real_path(clip, workers))
        loads.append(os.getloadavg()[0])
        for run in runs:
            if run.label not in best or run.fps > best[run.label].fps:
                best[run.label] = run
    for run in best.values():
        extra = f"  person in {run.detected}/{run.frames} frames" if run.detected is not None else ""
        print(
            f"{run.label:34s} {run.fps:7.1f} fps  ({run.wall_s:6.2f} s wall, "
            f"{1000 * run.cpu_s / run.frames:5.1f} CPU-ms/frame){extra}"
        )
    naive = best["naive decode + pose (1 process)"]
    one = best["analyze, workers=1"]
    real = best[f"analyze, workers={workers}"]
    print(f"load average after each round: {', '.join(f'{x:.2f}' for x in loads)}")
    print(
        f"speed-up of analyze over the naive loop: {real.fps / naive.fps:.2f}x (workers={workers}), "
        f"{one.fps / naive.fps:.2f}x (workers=1)"
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "clip": clip.name,
                    "frames": info.frame_count,
                    "cores": cores,
                    "workers": workers,
                    "rounds": args.rounds,
                    "load_after_rounds": loads,
                    "runs": {r.label: {"fps": r.fps, "wall_s": r.wall_s, "cpu_s": r.cpu_s} for r in best.values()},
                    "speedup": real.fps / naive.fps,
                    "speedup_workers_1": one.fps / naive.fps,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
