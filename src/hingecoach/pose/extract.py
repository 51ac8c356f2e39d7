"""Video file in, :class:`~hingecoach.track.PoseTrack` out, as fast as this machine allows.

Why chunks in processes: the pose model is almost all of the cost and one process keeps only ~1.1 cores busy, so
a long clip is split into ``workers`` contiguous chunks, each tracked by its own process with its own VIDEO-mode
landmarker (measured ~1.7× with two processes on two cores; see ``docs/pose-backend.md``). Inside every process the
decoder runs in a background thread (:func:`hingecoach.video.iter_frames`), so decoding overlaps inference.

Seams: a chunk after the first starts decoding ``WARMUP_FRAMES`` early and throws those results away, so its tracker
has locked on (and its landmark smoothing has settled) by the first frame it keeps. Each chunk also fingerprints its
warm-up frames and the previous chunk its last frames; the parent compares them, so a decoder that seeks to the
wrong frame is caught instead of silently shifting a chunk in time. Short clips (< ``MIN_FRAMES_PER_WORKER`` frames
per worker) run in this process, where the ~0.5 s start-up of a worker would dominate.

Masks never leave the worker: each frame's segmentation mask is reduced there to the dorsal back profile
(:func:`hingecoach.backline.profile_from_mask`), a few numbers per frame.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import pickle
import queue
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import VideoError
from hingecoach.pose.model import require_model
from hingecoach.track import PoseTrack
from hingecoach.video import MIN_DECODED_FRACTION, VideoInfo, iter_frames, probe

ProgressFn = Callable[[int, int], None]

MIN_FRAMES_PER_WORKER: Final[int] = 150
MAX_AUTO_WORKERS: Final[int] = 8
WARMUP_FRAMES: Final[int] = 8
PROGRESS_EVERY_FRAMES: Final[int] = 10
# Mean absolute difference (0-255 grey levels) above which two fingerprints of the "same" frame disagree.
SEAM_FINGERPRINT_TOL: Final[float] = 2.0
_FINGERPRINT_SIDE: Final[int] = 16
_WORKER_POLL_S: Final[float] = 0.2


@dataclass(frozen=True)
class ChunkResult:
    """Per-frame arrays of one contiguous chunk ``[start, start + n)`` (normalised image coordinates)."""

    start: int
    xy_norm: NDArray[np.float64]  # (n, 33, 2)
    visibility: NDArray[np.float64]  # (n, 33)
    world_m: NDArray[np.float64]  # (n, 33, 3)
    n_people: NDArray[np.int16]  # (n,)
    back_profile: NDArray[np.float64] | None  # (n, K)
    head_prints: NDArray[np.float32]  # fingerprints of the warm-up frames (before `start`)
    tail_prints: NDArray[np.float32]  # fingerprints of the last WARMUP_FRAMES kept frames

    @property
    def n(self) -> int:
        return int(self.xy_norm.shape[0])


def _fingerprint(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    """A tiny grey thumbnail: enough to tell two frames apart, cheap enough to take for every seam frame."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (_FINGERPRINT_SIDE, _FINGERPRINT_SIDE), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.float32)


def _profile_fn() -> Callable[[NDArray[np.float32], NDArray[np.float64]], NDArray[np.float64]] | None:
    """INTEGRATION POINT with :mod:`hingecoach.backline`: None when that module (or its function) is not available."""
    try:
        from hingecoach import backline
    except ImportError:
        return None
    fn = getattr(backline, "profile_from_mask", None)
    return fn if callable(fn) else None


def track_chunk(
    path: Path,
    model_path: Path,
    *,
    fps: float,
    start: int,
    stop: int | None,
    warmup: int,
    max_side: int | None,
    with_masks: bool,
    on_frames: Callable[[int], None] | None = None,
) -> ChunkResult:
    """Track frames ``[start, stop)`` of ``path`` with a fresh backend, after ``warmup`` discarded frames."""
    from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend

    profile = _profile_fn() if with_masks else None
    first = max(0, start - warmup)
    xy: list[NDArray[np.float64]] = []
    vis: list[NDArray[np.float64]] = []
    world: list[NDArray[np.float64] | None] = []
    people: list[int] = []
    profiles: list[NDArray[np.float64] | None] = []
    head: list[NDArray[np.float32]] = []
    tail: list[NDArray[np.float32]] = []
    expected = first
    reported = 0
    with MediaPipePoseBackend(model_path, with_masks=profile is not None) as backend:
        for index, rgb in iter_frames(path, max_side=max_side, start=first, stop=stop):
            if index != expected:
                raise VideoError(f"{path.name}: frames decoded out of order (got {index}, expected {expected})")
            expected += 1
            pose = backend.process(rgb, round(index * 1000.0 / fps))
            if index < start:
                head.append(_fingerprint(rgb))
                continue
            if stop is not None and index >= stop - WARMUP_FRAMES:
                tail.append(_fingerprint(rgb))
            xy.append(pose.xy_norm)
            vis.append(pose.visibility)
            world.append(pose.world_m)
            people.append(pose.n_people)
            if profile is not None:
                ok = pose.mask is not None and bool(np.isfinite(pose.xy_norm).all())
                if ok and pose.mask is not None:
                    h, w = pose.mask.shape
                    profiles.append(profile(pose.mask, pose.xy_norm * np.array([w, h], dtype=np.float64)))
                else:
                    profiles.append(None)
            done = index + 1 - start
            if on_frames is not None and done - reported >= PROGRESS_EVERY_FRAMES:
                on_frames(done - reported)
                reported = done
    n = len(xy)
    if on_frames is not None and n > reported:
        on_frames(n - reported)
    nan_world = np.full((33, 3), np.nan)
    back: NDArray[np.float64] | None = None
    if profile is not None:
        k = next((p.shape[0] for p in profiles if p is not None), 0)
        back = np.full((n, k), np.nan)
        for i, p in enumerate(profiles):
            if p is not None:
                back[i] = p
    return ChunkResult(
        start=start,
        xy_norm=np.asarray(xy, dtype=np.float64).reshape(n, 33, 2),
        visibility=np.asarray(vis, dtype=np.float64).reshape(n, 33),
        world_m=np.asarray([w if w is not None else nan_world for w in world], dtype=np.float64).reshape(n, 33, 3),
        n_people=np.asarray(people, dtype=np.int16),
        back_profile=back,
        head_prints=np.asarray(head, dtype=np.float32).reshape(-1, _FINGERPRINT_SIDE, _FINGERPRINT_SIDE),
        tail_prints=np.asarray(tail, dtype=np.float32).reshape(-1, _FINGERPRINT_SIDE, _FINGERPRINT_SIDE),
    )


# ---------------------------------------------------------------------------------------------------- processes
def _worker_main(job: int, kwargs: dict[str, Any], out: Any) -> None:
    """Entry point of a worker process: results, progress and errors all go back through ``out``."""
    try:
        result = track_chunk(on_frames=lambda d: out.put(("progress", job, d)), **kwargs)
        out.put(("result", job, result))
    except Exception as exc:  # re-raised in the parent; a worker must never die silently
        try:
            pickle.dumps(exc)
        except (pickle.PicklingError, TypeError, AttributeError):
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        out.put(("error", job, exc))


def chunk_bounds(n_frames: int, workers: int) -> list[tuple[int, int]]:
    """``workers`` contiguous ``[start, stop)`` ranges covering ``n_frames`` with sizes differing by at most one."""
    edges = np.linspace(0, n_frames, workers + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def auto_workers(n_frames: int) -> int:
    """Worker processes worth starting: one per ``MIN_FRAMES_PER_WORKER`` frames, at most one per usable core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_AUTO_WORKERS, n_frames // MIN_FRAMES_PER_WORKER))


def _run_parallel(
    path: Path, info: VideoInfo, common: dict[str, Any], bounds: list[tuple[int, int]], progress: ProgressFn | None
) -> list[ChunkResult]:
    ctx = mp.get_context("spawn")  # never fork a process that may hold MediaPipe's native threads
    out = ctx.Queue()
    procs = []
    for job, (a, b) in enumerate(bounds):
        # The last chunk reads to the end of the file: the header's frame count may be off by a few frames.
        stop = None if job == len(bounds) - 1 else b
        kwargs = {**common, "start": a, "stop": stop, "warmup": WARMUP_FRAMES if a > 0 else 0}
        p = ctx.Process(target=_worker_main, args=(job, kwargs, out), name=f"hingecoach-pose-{job}", daemon=True)
        p.start()
        procs.append(p)
    results: dict[int, ChunkResult] = {}
    done = 0
    strikes = 0  # consecutive empty polls while a worker has exited without delivering its result
    try:
        while len(results) < len(bounds):
            try:
                kind, job, payload = out.get(timeout=_WORKER_POLL_S)
            except queue.Empty:
                # A worker flushes its queue before it exits, so a dead worker with nothing left to read is lost.
                # Two strikes: the first empty poll may race with a worker that exited just after it.
                lost = [j for j, p in enumerate(procs) if j not in results and not p.is_alive()]
                strikes = strikes + 1 if lost else 0
                if strikes >= 2:
                    p = procs[lost[0]]
                    raise RuntimeError(
                        f"pose worker {p.name} stopped without a result (exit code {p.exitcode})"
                    ) from None
                continue
            strikes = 0
            if kind == "progress":
                done += int(payload)
                if progress is not None:
                    progress(min(done, info.frame_count), info.frame_count)
            elif kind == "error":
                raise payload
            else:
                results[job] = payload
    finally:
        failed = len(results) < len(bounds)
        for p in procs:
            if failed and p.is_alive():
                p.terminate()  # one chunk failed: the others' work is wasted, stop it now
            p.join(timeout=5.0)
            if p.is_alive():
                p.kill()
        out.close()
    return [results[j] for j in range(len(bounds))]


def _check_seams(name: str, chunks: list[ChunkResult]) -> None:
    """Each chunk's warm-up frames must be the previous chunk's last frames, and no frame may be missing."""
    for prev, cur in itertools.pairwise(chunks):
        if prev.start + prev.n != cur.start:
            raise VideoError(
                f"{name}: decoding stopped early at frame {prev.start + prev.n} (expected {cur.start}); "
                "the video is truncated or corrupt"
            )
        m = min(len(prev.tail_prints), len(cur.head_prints))
        if m == 0:
            continue
        diff = float(np.abs(prev.tail_prints[-m:] - cur.head_prints[-m:]).mean())
        if diff > SEAM_FINGERPRINT_TOL:
            raise RuntimeError(
                f"{name}: chunk seam at frame {cur.start} does not line up (mean difference {diff:.1f}); "
                "the decoder seeks inexactly here, re-run with workers=1"
            )


# ---------------------------------------------------------------------------------------------------- entry point
def extract_track(
    path: str | Path,
    *,
    model_path: Path | None = None,
    max_side: int | None = 960,
    workers: int | None = None,
    with_masks: bool = True,
    progress: ProgressFn | None = None,
) -> PoseTrack:
    """Track the person through the whole video; landmarks in *source* pixels, NaN where nobody was detected.

    ``workers=None`` picks the number of processes from the clip length and the usable cores; ``workers=1`` runs in
    this process. ``progress(done, total)`` is called from this (the calling) process as frames complete.
    Timestamps are ``index / fps``. Raises :class:`VideoError` for a bad file and
    :class:`~hingecoach.errors.ModelMissingError` when the pose model is not installed.
    """
    p = Path(path)
    info = probe(p)
    model = require_model(model_path)
    n_workers = auto_workers(info.frame_count) if workers is None else max(1, int(workers))
    n_workers = min(n_workers, max(1, info.frame_count // (WARMUP_FRAMES + 1)))
    common: dict[str, Any] = {
        "path": p,
        "model_path": model,
        "fps": info.fps,
        "max_side": max_side,
        "with_masks": with_masks,
    }
    if n_workers == 1:
        done = 0

        def on_frames(d: int) -> None:
            nonlocal done
            done += d
            if progress is not None:
                progress(min(done, info.frame_count), info.frame_count)

        chunks = [track_chunk(start=0, stop=None, warmup=0, on_frames=on_frames, **common)]
    else:
        chunks = _run_parallel(p, info, common, chunk_bounds(info.frame_count, n_workers), progress)
        _check_seams(p.name, chunks)
    n = sum(c.n for c in chunks)
    if n == 0 or n < MIN_DECODED_FRACTION * info.frame_count:
        raise VideoError(
            f"{p.name}: the video is truncated or corrupt (only {n} of the {info.frame_count} frames "
            "its header promises decode)"
        )
    if progress is not None:
        progress(n, n)
    xy = np.concatenate([c.xy_norm for c in chunks]) * np.array([info.width, info.height], dtype=np.float64)
    profiles = [c.back_profile for c in chunks]
    back = None
    if all(b is not None for b in profiles):
        k = max(b.shape[1] for b in profiles if b is not None)
        back = np.concatenate([_pad_cols(b, k) for b in profiles if b is not None]) if k > 0 else None
    track = PoseTrack.from_numpy(
        xy,
        info.fps,
        (info.width, info.height),
        visibility=np.concatenate([c.visibility for c in chunks]),
        t_s=np.arange(n, dtype=np.float64) / info.fps,
        world_m=np.concatenate([c.world_m for c in chunks]),
        n_people=np.concatenate([c.n_people for c in chunks]),
        back_profile=back,
        source=f"mediapipe PoseLandmarker (BlazePose GHUM full, VIDEO mode) on {p.name}",
    )
    return track.with_log(
        f"pose: extract_track(max_side={max_side}, workers={len(chunks)}, with_masks={with_masks}, "
        f"warmup={WARMUP_FRAMES}) -> {n} frames, coverage {track.coverage():.3f}"
    )


def _pad_cols(a: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """Chunks with no detected person report zero profile columns; widen them with NaN to ``k``."""
    if a.shape[1] == k:
        return a
    out = np.full((a.shape[0], k), np.nan)
    out[:, : a.shape[1]] = a
    return out


__all__ = ["ChunkResult", "auto_workers", "chunk_bounds", "extract_track", "track_chunk"]
