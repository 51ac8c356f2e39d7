"""Batch throughput on the same clips, in one run: naive loop, `analyze` clip by clip, `batch` (1 and N local workers,
local Ray), with ratios; then where one clip's time goes (cProfile) and the model's own time per frame (the limit).

Usage: .venv/bin/python bench/batch_benchmark.py [--set frank|clinic | --clips GLOB ...] [--workers N] [--no-ray]
       [--json OUT.json]

Two clip sets: ``frank`` (the default; six 3-second 480x480 clips, where per-clip start-up weighs most) and
``clinic`` (what a clinic's phone archive looks like: five 13-33 s 1080p clips, landscape and portrait, 24-30 fps,
2,645 frames), each reported on its own.

Not a timed test: the figures depend on the machine and on whatever else runs on it, so the load average is
printed before and after every stage. Goals on the 2-core reference machine: batch with 2 workers >= 1.7x batch
with 1; Ray within 10 % of the local pool.

* naive: one process, decode each frame at full resolution, BGR->RGB, one VIDEO-mode PoseLandmarker (masks on),
  a fresh landmarker per clip, clip after clip (what one would write first).
* analyze: ``analyze_video(clip)`` clip after clip with its automatic pose workers (the CLI's ``analyze``).
* batch: ``run_batch`` into an empty results folder (clip hashing, process start-up and every file write included).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

from hingecoach.analysis import analyze_video
from hingecoach.batch import run_batch, usable_cores
from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend, native_stderr_silenced
from hingecoach.pose.model import require_model
from hingecoach.video import iter_frames, probe

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("HINGECOACH_SHARED_DATA") or ROOT / ".." / "shared" / "data")
DEFAULT_CLIPS = ("to-be-frank/videos/*.mp4",)
CLIP_SETS: dict[str, tuple[str, ...]] = {
    "frank": DEFAULT_CLIPS,
    "clinic": ("lhpe3d-demo/videos/*.mp4", "fitness-content/videos/*.mp4"),
}


@dataclass
class Run:
    label: str
    clips: int
    frames: int
    wall_s: float
    load_before: float
    load_after: float
    cpu_s: float

    @property
    def cpu_ms_per_frame(self) -> float:
        return 1000 * self.cpu_s / self.frames

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s

    @property
    def clips_per_s(self) -> float:
        return self.clips / self.wall_s


def _load() -> float:
    return os.getloadavg()[0]


def _cpu_s() -> float:
    """CPU seconds of this process (all threads) and its reaped children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def naive(clips: list[Path], model: Path) -> Run:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    l0, t0, c0, n = _load(), time.perf_counter(), _cpu_s(), 0
    for clip in clips:
        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            output_segmentation_masks=True,
        )
        cap = cv2.VideoCapture(str(clip))
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        i = 0
        with native_stderr_silenced(), vision.PoseLandmarker.create_from_options(opts) as landmarker:
            while True:
                ok, bgr = cap.read()
                if not ok:
                    break
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                landmarker.detect_for_video(image, round(i * 1000 / fps))
                i += 1
        cap.release()
        n += i
    return Run("naive decode + pose, 1 process", len(clips), n, time.perf_counter() - t0, l0, _load(), _cpu_s() - c0)


def analyze_each(clips: list[Path]) -> Run:
    l0, t0, c0, n = _load(), time.perf_counter(), _cpu_s(), 0
    for clip in clips:
        n += analyze_video(clip).raw_track.n_frames
    return Run("analyze, clip by clip", len(clips), n, time.perf_counter() - t0, l0, _load(), _cpu_s() - c0)


def batch(clips: list[Path], label: str, frames: int, **kw: object) -> Run:
    with tempfile.TemporaryDirectory(prefix="hc-batch-bench-") as tmp:
        manifest = Path(tmp) / "clips.csv"
        manifest.write_text("path\n" + "".join(f"{c}\n" for c in clips))
        l0, t0 = _load(), time.perf_counter()
        s = run_batch(manifest, Path(tmp) / "out", **kw)  # type: ignore[arg-type]
        wall = time.perf_counter() - t0
        failed = [r for r in s.records if r.failed]
        if failed:
            raise SystemExit(f"{label}: {len(failed)} clip(s) failed: {failed[0].error_message}")
    return Run(label, len(clips), frames, wall, l0, _load(), sum(r.cpu_s or 0.0 for r in s.records))


def profile_one(clip: Path, top: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    analyze_video(clip, workers=1)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime")
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    stats.print_stats(top // 2)
    # Not stripped, so the filter can pick this package's files; their folder is cut below.
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(r"src/hingecoach/", top)
    keep = [
        ln
        for ln in buf.getvalue().splitlines()
        if ln.strip() and not ln.lstrip().startswith(("List reduced", "Ordered by"))
    ]
    keep = [ln.replace(str(ROOT / "src") + "/", "") for ln in keep if "function calls" not in ln]
    return (
        f"total {total:.2f} s in this process (the decoder thread not included). First by own time (the native "
        "inference shows as lock waits), then hingecoach's own functions by cumulative time:\n" + "\n".join(keep)
    )


def model_time_per_frame(clip: Path, model: Path) -> dict[str, float]:
    """Frames decoded into memory first, so only inference is timed: the tracker alone, and the full backend."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    info = probe(clip)
    frames = [rgb for _, rgb in iter_frames(clip, max_side=960)]
    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
        output_segmentation_masks=True,
    )
    out: dict[str, float] = {"frames": float(len(frames))}
    with native_stderr_silenced():
        t0 = time.perf_counter()
        landmarker = vision.PoseLandmarker.create_from_options(opts)
        out["landmarker_create_s"] = time.perf_counter() - t0
        images = [mp.Image(image_format=mp.ImageFormat.SRGB, data=f) for f in frames]
        c0, t0 = time.process_time(), time.perf_counter()
        for i, im in enumerate(images):
            landmarker.detect_for_video(im, round(i * 1000 / info.fps))
        out["tracker_ms_per_frame"] = 1000 * (time.perf_counter() - t0) / len(frames)
        out["tracker_cpu_ms_per_frame"] = 1000 * (time.process_time() - c0) / len(frames)
        landmarker.close()
        t0 = time.perf_counter()
        backend = MediaPipePoseBackend(model, with_masks=True)
        out["backend_create_s"] = time.perf_counter() - t0
    with backend:
        t0 = time.perf_counter()
        for i, f in enumerate(frames):
            backend.process(f, round(i * 1000 / info.fps))
        out["backend_ms_per_frame"] = 1000 * (time.perf_counter() - t0) / len(frames)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", choices=sorted(CLIP_SETS), default=None, help="a named clip set (default: frank)")
    parser.add_argument("--clips", nargs="*", default=None, help="globs under the shared data folder")
    parser.add_argument("--workers", type=int, default=None, help="local workers for the parallel run (default: cores)")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray run")
    parser.add_argument("--top", type=int, default=14, help="profile entries to print")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if args.set is not None and args.clips is not None:
        parser.error("--set and --clips are alternatives")
    globs = args.clips if args.clips is not None else CLIP_SETS[args.set or "frank"]
    clips = sorted({p.resolve() for g in globs for p in DATA.glob(g)})
    if not clips:
        print(f"no clips match {globs} under {DATA}", file=sys.stderr)
        return 2
    model = require_model()
    cores = usable_cores()
    workers = args.workers or cores
    infos = [probe(c) for c in clips]
    frames = sum(i.frame_count for i in infos)
    print(
        f"{len(clips)} clips, {frames} frames ({', '.join(f'{i.width}x{i.height}' for i in infos[:1])} ...), "
        f"{cores} usable cores, load average {_load():.2f} at start"
    )

    runs = [naive(clips, model), analyze_each(clips)]
    runs.append(batch(clips, "batch, 1 worker", frames, workers=1))
    runs.append(batch(clips, f"batch, {workers} workers", frames, workers=workers))
    ray_init_s = None
    if not args.no_ray:
        import ray

        os.environ.setdefault("RAY_worker_niceness", "0")  # as run_batch does for a Ray it starts itself
        t0 = time.perf_counter()
        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False)
        ray_init_s = time.perf_counter() - t0
        runs.append(batch(clips, f"batch, local Ray ({cores} CPUs)", frames, ray="auto"))
        ray.shutdown()
    print(f"{'':32s} {'frames/s':>8s} {'clips/s':>7s} {'wall s':>7s} {'CPU-ms/fr':>9s} {'cores got':>9s}  load")
    for r in runs:
        print(
            f"{r.label:32s} {r.fps:8.1f} {r.clips_per_s:7.2f} {r.wall_s:7.1f} {r.cpu_ms_per_frame:9.1f} "
            f"{r.cpu_s / r.wall_s:9.2f}  {r.load_before:.1f} -> {r.load_after:.1f}"
        )
    print(
        "CPU: batch runs count their workers' CPU summed over clips, the others this process and its children; "
        "'cores got' = CPU s / wall s, i.e. how much of the machine the run actually had"
    )
    by = {r.label: r for r in runs}
    b1, bn = by["batch, 1 worker"], by[f"batch, {workers} workers"]
    ratios = {
        "analyze / naive": by["analyze, clip by clip"].fps / by["naive decode + pose, 1 process"].fps,
        f"batch {workers} / batch 1": bn.fps / b1.fps,
        f"batch {workers} / naive": bn.fps / by["naive decode + pose, 1 process"].fps,
    }
    if not args.no_ray:
        ratios[f"Ray / batch {workers}"] = runs[-1].fps / bn.fps
        print(f"(Ray start-up, not counted above: {ray_init_s:.1f} s)")
    for k, v in ratios.items():
        print(f"{k:24s} {v:5.2f}x")

    longest = max(clips, key=lambda c: probe(c).frame_count)
    print(f"\nprofile of analyze_video({longest.name}, workers=1), top {args.top} by own time:")
    print(profile_one(longest, args.top))
    m = model_time_per_frame(longest, model)
    print(f"\nmodel alone on {longest.name} ({m['frames']:.0f} frames, decoded beforehand, 960 px max side):")
    print(
        f"  VIDEO-mode tracker with masks: {m['tracker_ms_per_frame']:.1f} ms/frame wall "
        f"({m['tracker_cpu_ms_per_frame']:.1f} CPU-ms) -> limit {1000 / m['tracker_ms_per_frame']:.0f} frames/s "
        f"per process"
    )
    print(f"  hingecoach backend (tracker + people count 1/s + mask copy): {m['backend_ms_per_frame']:.1f} ms/frame")
    print(
        f"  start-up per clip: landmarker {m['landmarker_create_s']:.2f} s, backend (2 landmarkers) "
        f"{m['backend_create_s']:.2f} s"
    )
    print(f"load average at the end {_load():.2f}")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "clips": [str(c) for c in clips],
                    "frames": frames,
                    "cores": cores,
                    "workers": workers,
                    "runs": {
                        r.label: {
                            "fps": r.fps,
                            "clips_per_s": r.clips_per_s,
                            "wall_s": r.wall_s,
                            "load": [r.load_before, r.load_after],
                        }
                        for r in runs
                    },
                    "ratios": ratios,
                    "ray_init_s": ray_init_s,
                    "model": m,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
