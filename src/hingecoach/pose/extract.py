"""Video file in, :class:`~hingecoach.track.PoseTrack` out, as fast as this machine allows.

Why chunks in processes: the pose model is almost all of the cost and one process keeps only ~1.1 cores busy. A
long clip is cut into contiguous chunks (one per worker, two once chunks stay long: a seam costs a seek, a fresh
landmarker pair and a warm-up) that ``workers`` processes, this one included, take from one queue, each chunk tracked
by a fresh VIDEO-mode landmarker. This process's first chunk is longer by the frames it tracks while the spawned
workers start (:data:`HEAD_START_FRAMES`), so all finish together.
Inside every process the decoder runs in a background thread (:func:`hingecoach.video.iter_frames`), so decoding
overlaps inference. Measured on the 2-core machine: 1.43-1.54x the frame rate of a naive sequential loop on a
1080p clip (``bench/benchmark.py``, ``docs/pose-backend.md``).

Seams: a chunk after the first starts decoding ``WARMUP_FRAMES`` early and throws those results away, so its tracker
has locked on (and its landmark smoothing has settled) by the first frame it keeps. Each chunk also fingerprints its
warm-up frames and the previous chunk its last frames; the parent compares them, so a decoder that seeks to the
wrong frame is caught instead of silently shifting a chunk in time. Short clips (< ``MIN_FRAMES_PER_WORKER`` frames
per worker) run in this process only, where starting another process (~0.7 s) would dominate.

Masks never leave the worker: each frame's segmentation mask is reduced there to the dorsal back profile
(:func:`hingecoach.backline.profile_from_mask`), a few numbers per frame.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import multiprocessing as mp
import os
import pickle
import queue
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.decode import Decoder, decoder_for, thinning_interval
from hingecoach.errors import VideoError
from hingecoach.pose import FramePose
from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend, PendingCount, opencv_single_threaded
from hingecoach.pose.model import require_model
from hingecoach.pose.stream import frame_arrays
from hingecoach.pose.symmetric import combine, unflip
from hingecoach.skeleton import N_LANDMARKS
from hingecoach.track import PoseTrack
from hingecoach.video import MIN_DECODED_FRACTION, TimingMode, VideoInfo, iter_timed_frames, probe

ProgressFn = Callable[[int, int], None]

MIN_FRAMES_PER_WORKER: Final[int] = 150
#: A seam costs a seek (decoding from the keyframe before it), a fresh landmarker pair and WARMUP_FRAMES tracked twice:
#: ~1.5-2.5 CPU-s on the 2-core machine, so a chunk is kept long enough (~30 s of one core) for that to be small.
MIN_FRAMES_PER_CHUNK: Final[int] = 600
CHUNKS_PER_WORKER: Final[int] = 2
#: Frames the calling process tracks while a spawned worker is still starting (spawn, imports, model load: ~2.5 s at
#: ~20 frames/s on the 2-core machine). The calling process's first chunk is longer by this, so both finish together
#: instead of the caller idling at the end. Start-up and tracking both scale with the CPU's speed, so a count of
#: frames carries over between machines better than seconds would.
HEAD_START_FRAMES: Final[int] = 48
MAX_AUTO_WORKERS: Final[int] = 8
WARMUP_FRAMES: Final[int] = 8
PROGRESS_EVERY_FRAMES: Final[int] = 10
# Mean absolute difference (0-255 grey levels) above which two fingerprints of the "same" frame disagree.
SEAM_FINGERPRINT_TOL: Final[float] = 2.0
_FINGERPRINT_SIDE: Final[int] = 16
_WORKER_POLL_S: Final[float] = 0.2
_NAN_OTHER: Final[NDArray[np.float64]] = np.full(4, np.nan)


@dataclass(frozen=True)
class ChunkResult:
    """Per-frame arrays of one contiguous chunk: the frames timed ``from_s`` ≤ t < ``until_s`` (normalised coords)."""

    from_s: float
    t_s: NDArray[np.float64]  # (n,) presentation times, strictly increasing
    xy_norm: NDArray[np.float64]  # (n, 33, 2)
    visibility: NDArray[np.float64]  # (n, 33)
    world_m: NDArray[np.float64]  # (n, 33, 3)
    n_people: NDArray[np.int16]  # (n,)
    back_profile: NDArray[np.float64] | None  # (n, K)
    head_prints: NDArray[np.float32]  # fingerprints of the warm-up frames (before `from_s`)
    head_t: NDArray[np.float64]  # their times
    tail_prints: NDArray[np.float32]  # fingerprints of the last WARMUP_FRAMES kept frames
    tail_t: NDArray[np.float64]  # their times
    other_person: NDArray[np.float64] | None = None  # (n, 4) normalised, see FramePose.other_person

    @property
    def n(self) -> int:
        return int(self.xy_norm.shape[0])


def _fingerprint(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    """A tiny grey thumbnail: enough to tell two frames apart, cheap enough to take for every seam frame."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (_FINGERPRINT_SIDE, _FINGERPRINT_SIDE), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.float32)


def _prints(prints: list[NDArray[np.float32]]) -> NDArray[np.float32]:
    return np.asarray(prints, dtype=np.float32).reshape(-1, _FINGERPRINT_SIDE, _FINGERPRINT_SIDE)


def track_chunk(
    path: Path,
    model_path: Path,
    *,
    fps: float,
    timing: TimingMode = "container",
    from_s: float,
    until_s: float | None,
    warmup: int,
    max_side: int | None,
    with_masks: bool,
    max_fps: float | None = None,
    symmetric: bool = False,
    decoder: Decoder = "auto",
    on_frames: Callable[[int], None] | None = None,
) -> ChunkResult:
    """Track the frames timed ``[from_s, until_s)`` of ``path`` with a fresh backend, after ``warmup`` discarded ones.

    The tracker is fed each frame's true time in milliseconds (strictly increasing), so its motion smoothing and the
    once-a-second people count follow the clock, not the frame count. ``symmetric``: a second tracker follows the
    left-right flipped frames in a helper thread and each frame's answer is the two combined
    (:mod:`hingecoach.pose.symmetric`), so the clip and its mirror image get mirror-image tracks. ``decoder``: which
    library decodes (:func:`hingecoach.decode.open_reader`); :func:`extract_track` picks it once per clip.
    """
    xy: list[NDArray[np.float64]] = []
    vis: list[NDArray[np.float64]] = []
    world: list[NDArray[np.float64] | None] = []
    times: list[float] = []
    people: list[int] = []
    others: list[NDArray[np.float64]] = []
    profiles: list[NDArray[np.float64] | None] = []
    head: list[NDArray[np.float32]] = []
    head_t: list[float] = []
    tail: deque[tuple[float, NDArray[np.float32]]] = deque(maxlen=WARMUP_FRAMES)
    reported = 0
    last_ms = -1
    frames = iter_timed_frames(
        path,
        fps=fps,
        timing=timing,
        max_side=max_side,
        from_s=from_s,
        until_s=until_s,
        lead=warmup,
        max_fps=max_fps,
        decoder=decoder,
    )
    counting: deque[tuple[int, PendingCount]] = deque()  # (index into the lists, its people count still running)

    def settle(wait: bool) -> None:
        """Fill in the people counts that have finished (all of them when ``wait``), oldest first."""
        while counting and (wait or counting[0][1].done()):
            i, pending = counting.popleft()
            people[i], other = pending.result()
            if other is not None:
                others[i] = other

    with contextlib.ExitStack() as stack:
        backend = stack.enter_context(MediaPipePoseBackend(model_path, with_masks=with_masks))
        mirror: MediaPipePoseBackend | None = None
        mirror_pool: ThreadPoolExecutor | None = None
        if symmetric:
            mirror = stack.enter_context(MediaPipePoseBackend(model_path, with_masks=with_masks, count_every_ms=None))
            mirror_pool = stack.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="hingecoach-mirror"))
        for frame in frames:
            t_ms = max(round(frame.t_s * 1000.0), last_ms + 1)
            last_ms = t_ms
            flipped: Future[FramePose] | None = None
            if mirror is not None and mirror_pool is not None:
                flipped = mirror_pool.submit(mirror.process, np.ascontiguousarray(frame.rgb[:, ::-1]), t_ms)
            # The count of this frame (when one is due) runs beside the tracking of the next frames.
            pose, pending = backend.process_deferred(frame.rgb, t_ms)
            if flipped is not None:
                pose = combine(pose, unflip(flipped.result()))
            if frame.lead:
                head.append(_fingerprint(frame.rgb))
                head_t.append(frame.t_s)
                continue
            if until_s is not None:
                tail.append((frame.t_s, _fingerprint(frame.rgb)))
            times.append(frame.t_s)
            f = frame_arrays(pose, with_masks=with_masks)  # the one per-frame conversion (pose/stream.py)
            xy.append(f.xy_norm)
            vis.append(f.visibility)
            world.append(f.world_m)
            people.append(f.n_people)
            others.append(pose.other_person if pose.other_person is not None else _NAN_OTHER)
            if pending is not None:
                counting.append((len(times) - 1, pending))
            settle(wait=False)
            if with_masks:
                profiles.append(f.back_profile)
            done = len(times)
            if on_frames is not None and done - reported >= PROGRESS_EVERY_FRAMES:
                on_frames(done - reported)
                reported = done
        settle(wait=True)
    n = len(xy)
    if on_frames is not None and n > reported:
        on_frames(n - reported)
    nan_world = np.full((N_LANDMARKS, 3), np.nan)
    back: NDArray[np.float64] | None = None
    if with_masks:
        k = next((p.shape[0] for p in profiles if p is not None), 0)
        back = np.full((n, k), np.nan)
        for i, p in enumerate(profiles):
            if p is not None:
                back[i] = p
    return ChunkResult(
        from_s=from_s,
        t_s=np.asarray(times, dtype=np.float64),
        xy_norm=np.asarray(xy, dtype=np.float64).reshape(n, N_LANDMARKS, 2),
        visibility=np.asarray(vis, dtype=np.float64).reshape(n, N_LANDMARKS),
        world_m=np.asarray([w if w is not None else nan_world for w in world], dtype=np.float64).reshape(
            n, N_LANDMARKS, 3
        ),
        n_people=np.asarray(people, dtype=np.int16),
        back_profile=back,
        head_prints=_prints(head),
        head_t=np.asarray(head_t, dtype=np.float64),
        tail_prints=_prints([p for _, p in tail]),
        tail_t=np.asarray([t for t, _ in tail], dtype=np.float64),
        other_person=np.asarray(others, dtype=np.float64).reshape(n, 4),
    )


# ---------------------------------------------------------------------------------------------------- processes
def _worker_main(jobs: Any, out: Any) -> None:
    """Entry point of a worker process: takes chunk jobs until a ``None``; results, progress, errors go to ``out``."""
    import cv2

    cv2.setNumThreads(1)  # one worker per core already: OpenCV's own thread pool would only oversubscribe
    while True:
        item = jobs.get()
        if item is None:
            return
        job, kwargs = item

        def report(d: int, job: int = job) -> None:
            out.put(("progress", job, d))

        try:
            result = track_chunk(on_frames=report, **kwargs)
            out.put(("result", job, result))
        except Exception as exc:  # re-raised in the parent; a worker must never die silently
            try:
                pickle.dumps(exc)
            except (pickle.PicklingError, TypeError, AttributeError):
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
            out.put(("error", job, exc))
            return


def chunk_bounds(n_frames: int, workers: int, head_start: int = 0) -> list[tuple[int, int]]:
    """``workers`` contiguous ``[start, stop)`` ranges covering ``n_frames``; the first is ``head_start`` frames
    longer (capped so it stays under 1.5x the others), the rest differ in size by at most one.
    """
    head = max(0, min(int(head_start), n_frames // (2 * max(workers, 1))))
    if workers <= 1 or head == 0:
        edges = np.linspace(0, n_frames, workers + 1).round().astype(int)
    else:
        first = round((n_frames - head) / workers) + head
        edges = np.concatenate([[0], np.linspace(first, n_frames, workers).round().astype(int)])
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def plan_chunks(n_frames: int, workers: int) -> list[tuple[int, int]]:
    """The chunks :func:`extract_track` cuts for ``workers`` processes: :func:`n_chunks` of them, the caller's (the
    first) longer by :data:`HEAD_START_FRAMES` for the spawned workers' start-up. Fixed by the frame count and the
    worker count alone, so the same call always tracks the same frames in the same chunks (reproducible tracks).
    """
    return chunk_bounds(n_frames, n_chunks(n_frames, workers), head_start=HEAD_START_FRAMES if workers > 1 else 0)


def auto_workers(n_frames: int) -> int:
    """Worker processes worth starting: one per ``MIN_FRAMES_PER_WORKER`` frames, at most one per usable core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_AUTO_WORKERS, n_frames // MIN_FRAMES_PER_WORKER))


def n_chunks(n_frames: int, workers: int) -> int:
    """How many chunks to cut for ``workers`` processes: one or ``CHUNKS_PER_WORKER`` each (a whole number per
    worker, so the last round of chunks keeps every worker busy), each ≥ ``MIN_FRAMES_PER_CHUNK`` when there are more.

    More chunks than workers balance the load: a worker that finishes early takes the next chunk, and chunks differ
    in cost (frames with nobody in them are cheap). The price is one seam per extra chunk (see MIN_FRAMES_PER_CHUNK).
    """
    per_worker = max(1, min(CHUNKS_PER_WORKER, n_frames // max(1, workers * MIN_FRAMES_PER_CHUNK)))
    return workers * per_worker


def _run_parallel(
    info: VideoInfo,
    common: dict[str, Any],
    bounds: list[tuple[int, int]],
    workers: int,
    progress: ProgressFn | None,
    total: int,
) -> list[ChunkResult]:
    """Track ``bounds`` with ``workers - 1`` spawned processes plus this one, all taking chunks from one queue.

    This process works too rather than waiting: it saves one process start-up (~0.7 s of CPU for the imports and
    the two landmarkers) and starts tracking at once while the others start. Between frames it relays the workers'
    progress and results.
    """
    ctx = mp.get_context("spawn")  # never fork a process that may hold MediaPipe's native threads
    jobs = ctx.Queue()
    out = ctx.Queue()
    for job, (a, b) in enumerate(bounds):
        # Chunks are cut in time, half a nominal frame before the frame that starts them, so on a constant-rate file
        # they hold exactly the frames [a, b). The last chunk reads to the end: the header's count may be off a little.
        from_s = 0.0 if a == 0 else (a - 0.5) / info.fps
        until_s = None if job == len(bounds) - 1 else (b - 0.5) / info.fps
        jobs.put((job, {**common, "from_s": from_s, "until_s": until_s, "warmup": WARMUP_FRAMES if a > 0 else 0}))
    for _ in range(workers):  # one stop marker per consumer; each consumer stops at the first it takes
        jobs.put(None)
    procs = [
        ctx.Process(target=_worker_main, args=(jobs, out), name=f"hingecoach-pose-{w}", daemon=True)
        for w in range(1, workers)
    ]
    for p in procs:
        p.start()
    results: dict[int, ChunkResult] = {}
    done = 0

    def report(d: int) -> None:
        nonlocal done
        done += d
        if progress is not None:
            progress(min(done, total), total)

    def handle(message: tuple[str, int, Any]) -> None:
        kind, job, payload = message
        if kind == "progress":
            report(int(payload))
        elif kind == "error":
            raise payload
        else:
            results[job] = payload

    def drain() -> None:
        while True:
            try:
                handle(out.get_nowait())
            except queue.Empty:
                return

    def on_frames(d: int) -> None:
        report(d)
        drain()

    quiet_cv = opencv_single_threaded()  # one process per core already: OpenCV's pool would only oversubscribe
    quiet_cv.__enter__()
    strikes = 0  # consecutive empty polls while work is missing and no worker can deliver it
    try:
        while (item := jobs.get()) is not None:
            job, kwargs = item
            results[job] = track_chunk(on_frames=on_frames, **kwargs)
        while len(results) < len(bounds):
            try:
                message = out.get(timeout=_WORKER_POLL_S)
            except queue.Empty:
                # A worker flushes its queue before it exits, so a crashed worker, or all workers gone with chunks
                # missing, means lost work. Two strikes: the first empty poll may race with a worker's last message.
                crashed = [p for p in procs if p.exitcode not in (0, None)]
                lost = crashed or all(not p.is_alive() for p in procs)
                strikes = strikes + 1 if lost else 0
                if strikes >= 2:
                    code = crashed[0].exitcode if crashed else 0
                    raise RuntimeError(f"a pose worker stopped without a result (exit code {code})") from None
                continue
            strikes = 0
            handle(message)
    finally:
        quiet_cv.__exit__(None, None, None)
        failed = len(results) < len(bounds)
        for p in procs:
            if failed and p.is_alive():
                p.terminate()  # a chunk failed: the others' work is wasted, stop it now
            p.join(timeout=5.0)
            if p.is_alive():
                p.kill()
        jobs.close()
        out.close()
    return [results[j] for j in range(len(bounds))]


def _check_seams(name: str, chunks: list[ChunkResult]) -> None:
    """Chunks must follow each other in time, and each chunk's warm-up frames must be the previous chunk's last
    frames: same timestamps, same pictures. Catches a decoder that seeks to the wrong frame instead of silently
    shifting a chunk in time (frames are matched by timestamp, so a variable frame rate is fine).
    """
    for prev, cur in itertools.pairwise(chunks):
        if prev.n and cur.n and not prev.t_s[-1] < cur.t_s[0]:
            raise VideoError(f"{name}: frame times go backwards at {cur.t_s[0]:.3f} s; the video is corrupt")
        if len(prev.tail_t) == 0 or len(cur.head_t) == 0:
            continue
        gap = np.abs(prev.tail_t[:, None] - cur.head_t[None, :])
        pi, ci = np.nonzero(gap < 5e-4)
        if pi.size == 0:
            raise RuntimeError(
                f"{name}: chunk seam at {cur.from_s:.3f} s: the two decoders disagree on the frame times; "
                "re-run with workers=1"
            )
        diff = float(np.abs(prev.tail_prints[pi] - cur.head_prints[ci]).mean())
        if diff > SEAM_FINGERPRINT_TOL:
            raise RuntimeError(
                f"{name}: chunk seam at {cur.from_s:.3f} s does not line up (mean difference {diff:.1f}); "
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
    max_fps: float | None = None,
    symmetric: bool = False,
    progress: ProgressFn | None = None,
) -> PoseTrack:
    """Track the person through the whole video; landmarks in *source* pixels, NaN where nobody was detected.

    ``workers=None`` picks the number of processes from the clip length and the usable cores; ``workers=1`` runs in
    this process. ``progress(done, total)`` is called from this (the calling) process as frames complete.
    Timestamps are the frames' presentation times from the container (variable frame rate included); when the
    container's timing is missing or implausible they fall back on a rate :func:`~hingecoach.video.probe` could
    trust, and the track carries a ``timing_untrusted`` warning. ``max_fps`` tracks at most that many frames per
    second (every other frame of a 60 fps clip for 30), keeping each kept frame's true time. ``symmetric`` tracks
    each frame and its mirror image and combines them (:mod:`hingecoach.pose.symmetric`): twice the model's work,
    for a track that does not depend on which side the lifter was filmed from.
    Raises :class:`VideoError` for a bad file and :class:`~hingecoach.errors.ModelMissingError` when the pose
    model is not installed.
    """
    p = Path(path)
    info = probe(p)
    model = require_model(model_path)
    n_workers = auto_workers(info.frame_count) if workers is None else max(1, int(workers))
    n_workers = min(n_workers, max(1, info.frame_count // (WARMUP_FRAMES + 1)))
    if info.timing != "container":
        n_workers = 1  # without trustworthy timestamps a chunk cannot be placed in time: decode from the start
    total = info.frame_count
    thinned = thinning_interval(info.fps, max_fps) > 0
    if thinned and max_fps is not None:
        total = max(1, math.ceil(info.frame_count * max_fps / info.fps))
    common: dict[str, Any] = {
        "path": p,
        "model_path": model,
        "fps": info.fps,
        "timing": info.timing,
        "max_side": max_side,
        "with_masks": with_masks,
        "max_fps": max_fps,
        "symmetric": symmetric,
        "decoder": decoder_for(p),  # chosen once for the clip: every chunk decodes it the same way
    }
    if n_workers == 1:
        done = 0

        def on_frames(d: int) -> None:
            nonlocal done
            done += d
            if progress is not None:
                progress(min(done, total), total)

        chunks = [track_chunk(from_s=0.0, until_s=None, warmup=0, on_frames=on_frames, **common)]
    else:
        bounds = plan_chunks(info.frame_count, n_workers)
        chunks = _run_parallel(info, common, bounds, n_workers, progress, total)
        _check_seams(p.name, chunks)
    n = sum(c.n for c in chunks)
    if n == 0 or (not thinned and n < MIN_DECODED_FRACTION * info.frame_count):
        raise VideoError(
            f"{p.name}: the video is truncated or corrupt (only {n} of the {info.frame_count} frames "
            "its header promises decode)"
        )
    if progress is not None:
        progress(n, n)
    t_s = np.concatenate([c.t_s for c in chunks])
    if info.spread_over_s is not None:  # a zeroed timing table: the decoder dropped frames it could not time
        t_s = np.arange(n, dtype=np.float64) * (info.spread_over_s / n)
    warnings: list[tuple[str, str]] = [info.timing_warning] if info.timing_warning is not None else []
    xy = np.concatenate([c.xy_norm for c in chunks]) * np.array([info.width, info.height], dtype=np.float64)
    profiles = [c.back_profile for c in chunks]
    back = None
    if all(b is not None for b in profiles):
        k = max(b.shape[1] for b in profiles if b is not None)
        back = np.concatenate([_pad_cols(b, k) for b in profiles if b is not None]) if k > 0 else None
    others = [c.other_person if c.other_person is not None else np.full((c.n, 4), np.nan) for c in chunks]
    other = np.concatenate(others) * np.array([info.width, info.height, info.height, info.height], dtype=np.float64)
    # A thinned track's nominal rate is the rate it was tracked at, not the source's: every stage that still turns a
    # duration into frames (or a frequency into a filter) must see the frames it really has.
    fps = info.fps
    if thinned and n >= 2:
        fps = float(1.0 / np.median(np.diff(t_s)))
    mode = ", mirror-averaged" if symmetric else ""
    track = PoseTrack.from_numpy(
        xy,
        fps,
        (info.width, info.height),
        visibility=np.concatenate([c.visibility for c in chunks]),
        t_s=t_s,
        world_m=np.concatenate([c.world_m for c in chunks]),
        n_people=np.concatenate([c.n_people for c in chunks]),
        back_profile=back,
        other_person=other if np.isfinite(other).any() else None,
        source=f"mediapipe PoseLandmarker (BlazePose GHUM full, VIDEO mode{mode}) on {p.name}",
        warnings=warnings,
    )
    return track.with_log(
        f"pose: extract_track(max_side={max_side}, workers={n_workers}, chunks={len(chunks)}, with_masks={with_masks}, "
        f"warmup={WARMUP_FRAMES}, max_fps={max_fps}, symmetric={symmetric}, timing={info.timing}, "
        f"decoder={common['decoder']}) -> {n} frames, "
        f"coverage {track.coverage():.3f}"
    )


def _pad_cols(a: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """Chunks with no detected person report zero profile columns; widen them with NaN to ``k``."""
    if a.shape[1] == k:
        return a
    out = np.full((a.shape[0], k), np.nan)
    out[:, : a.shape[1]] = a
    return out


__all__ = ["ChunkResult", "auto_workers", "chunk_bounds", "extract_track", "n_chunks", "plan_chunks", "track_chunk"]
