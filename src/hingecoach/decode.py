"""Frame decoding with true timestamps, in a background thread.

Why timestamps from the container and not ``index / fps``: phones record variable frame rate (60 fps in good
light, 20 in a dim gym; a 60 → 20 fps file timed by its mean rate was off by 5 s). OpenCV's ``CAP_PROP_POS_MSEC``
after a sequential read is the decoded frame's presentation timestamp (measured on a 60 → 20 fps H.264 file:
within 0.001 ms of ffprobe's ``pts_time`` for all 274 frames), so every frame carries its own time.

Why chunks are cut in *time*: OpenCV's frame seek converts the frame number to a time with the mean rate, so on a
variable-rate file it lands frames away from the one asked for (seeking to frame 230 of that file gave frame ~229,
and a seek to 5.0 s gave 3.45 s). :func:`iter_timed_frames` therefore seeks a little early, checks the time of the
frame it landed on, re-seeks earlier (finally from the start) if it landed late, and then keeps exactly the frames
whose timestamps fall in ``[from_s, until_s)``. Two chunks that share a boundary thus never miss or repeat a frame,
whatever the seek did.

OpenCV releases the GIL while decoding and resizing, so decoding the next frame overlaps the pose model's work on
the current one. Memory is bounded by the queue (a few frames) and the warm-up ring (``lead`` frames).
"""

from __future__ import annotations

import math
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import VideoError

UInt8Image = NDArray[np.uint8]
#: "container": each frame's presentation timestamp; "nominal": ``index / fps`` (the container's timing is missing
#: or implausible, see :func:`hingecoach.video.probe`).
TimingMode = Literal["container", "nominal"]
#: Which library decodes: "auto" picks by the source's bit depth (:func:`open_reader`).
Decoder = Literal["auto", "opencv", "pyav"]

_QUEUE_FRAMES: Final[int] = 4
#: How far before the wanted start a seek aims (seconds), so that landing a little late still lands early enough.
_SEEK_MARGIN_S: Final[float] = 1.0
#: Two frames whose timestamps differ by less than this are the same frame (OpenCV reports milliseconds as floats).
TIME_EPS_S: Final[float] = 1e-4


@dataclass(frozen=True)
class TimedFrame:
    """One decoded RGB frame and its time in seconds from the start of the video stream.

    ``lead`` marks a warm-up frame: one of the frames just before the requested range, delivered so a tracker can
    lock on before the first frame that counts.
    """

    t_s: float
    rgb: UInt8Image
    lead: bool = False


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """``(w, h)`` after shrinking so the long side is at most ``max_side`` (never enlarges; None = unchanged)."""
    long_side = max(width, height)
    if max_side is None or long_side <= max_side:
        return width, height
    s = max_side / long_side
    return max(1, round(width * s)), max(1, round(height * s))


class _Stop:
    """Queue sentinel: the decoder finished (``error`` set when it failed)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


@dataclass(frozen=True)
class _Range:
    """Which frames to deliver: by index (``start``/``stop``) or by time (``from_s``/``until_s`` plus ``lead``)."""

    by_time: bool
    start: int = 0
    stop: int | None = None
    from_s: float = 0.0
    until_s: float | None = None
    lead: int = 0
    timing: TimingMode = "container"
    fps: float = 30.0
    min_interval_s: float = 0.0
    decoder: Decoder = "auto"


class FrameReader(Protocol):
    """One decoder's cursor over a file's frames: ``grab`` the next one, read its time, convert it only if kept.

    Why grab and convert apart: thinning (``max_fps``) and the frames before a chunk's start must be decoded (each
    frame depends on the ones before it) but never converted to RGB, which is most of a decoder's cost at 1080p.
    """

    size: tuple[int, int]  # (w, h) of the frames as displayed (rotation applied)

    def grab(self) -> bool: ...
    def time_s(self) -> float: ...
    def rgb(self, size: tuple[int, int]) -> UInt8Image: ...
    def seek_frame(self, index: int) -> bool: ...
    def release(self) -> None: ...


class _CvReader:
    """OpenCV's FFmpeg reader: every frame decoded, for comparisons and benchmarks (``decoder="opencv"``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cap = cv2.VideoCapture(str(path))
        if not self.cap.isOpened():
            raise VideoError(f"{path.name}: cannot be decoded as a video")
        self.size = (int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))

    def grab(self) -> bool:
        return bool(self.cap.grab())

    def time_s(self) -> float:
        return float(self.cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0

    def rgb(self, size: tuple[int, int]) -> UInt8Image:
        ok, bgr = self.cap.retrieve()
        if not ok:
            raise VideoError(f"{self.path.name}: a frame could not be decoded")
        if (bgr.shape[1], bgr.shape[0]) != size:
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)

    def seek_frame(self, index: int) -> bool:
        """Position before frame ``index``; False when the container could not (then read from the start)."""
        self.cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        return int(self.cap.get(cv2.CAP_PROP_POS_FRAMES)) == index

    def release(self) -> None:
        self.cap.release()


def open_reader(path: Path, decoder: Decoder = "auto") -> FrameReader:
    """A reader for ``path``: PyAV (``"auto"``, :mod:`hingecoach.decode_av`) or OpenCV (``"opencv"``).

    Why PyAV by default: it leaves the frames that thinning drops undecoded where no other frame refers to them,
    and it converts full-range and 10-bit phone video fast, where OpenCV's conversion costs four times the pose
    model (83-84 CPU-ms a frame); on 8-bit limited-range video its pixels are OpenCV's, bit for bit. OpenCV's
    reader stays for comparisons and benchmarks.
    """
    if decoder_for(path, decoder) == "opencv":
        return _CvReader(path)
    from hingecoach.decode_av import AvReader

    return AvReader(path)


def decoder_for(path: Path, decoder: Decoder = "auto") -> Literal["opencv", "pyav"]:
    """The library :func:`open_reader` decodes ``path`` with (recorded in a track's log)."""
    return "pyav" if decoder == "auto" else decoder


def _land(path: Path, want: _Range) -> tuple[FrameReader, bool, float, int]:
    """Open ``path`` positioned at or before the wanted start; returns ``(reader, grabbed, t_first, index_first)``.

    ``grabbed`` says whether the first frame has already been grabbed (its time is ``t_first``). By index, an
    inexact seek falls back to skipping frame by frame; by time, a seek that lands after ``from_s`` is retried from
    further back and finally from the start, so no frame of the range can be skipped.
    """
    decoder = decoder_for(path, want.decoder)  # probed once: a re-open below must not probe the file again
    reader = open_reader(path, decoder)
    if not want.by_time:
        if want.start > 0 and not reader.seek_frame(want.start):
            reader.release()
            reader = open_reader(path, decoder)
            for _ in range(want.start):
                if not reader.grab():
                    break
        return reader, False, math.nan, want.start
    if want.from_s <= 0 or want.timing != "container":
        return reader, False, math.nan, 0
    fps = max(want.fps, 1.0)
    for margin_s in (_SEEK_MARGIN_S + want.lead / fps, 4 * _SEEK_MARGIN_S + want.lead / fps):
        target = math.floor((want.from_s - margin_s) * fps)
        if target <= 0:
            break
        reader.seek_frame(target)
        if reader.grab():
            t = reader.time_s()
            if t < want.from_s - TIME_EPS_S:
                return reader, True, t, -1
        reader.release()
        reader = open_reader(path, decoder)
    return reader, False, math.nan, 0


#: A source at most this much faster than the cap is tracked whole (:func:`thinning_interval`).
NEAR_CAP: Final[float] = 1.1


def thinning_interval(source_fps: float, max_fps: float | None) -> float:
    """Seconds per kept frame when a ``source_fps`` clip is tracked at most ``max_fps`` times a second; 0.0 keeps all.

    Why a source within :data:`NEAR_CAP` of the cap is kept whole: it is at the cap's rate already, and thinning it
    drops only the frames its timestamp jitter pushes into a neighbour's slot. Phone clips of 29.8-30.1 fps lost one
    frame each at a 30 fps cap that way, at random places, and their reps moved by 5-8 frames.
    """
    if max_fps is None or not source_fps > max_fps * NEAR_CAP:
        return 0.0
    return 1.0 / max_fps


def _same_slot(earlier: float, t: float, interval: float, phase: float = 0.0) -> bool:
    """Whether ``t`` falls in the same ``interval``-long slot of the clock as the frame before it (``earlier``).

    Thinning keeps the first frame of every slot. The slots are fixed on the clock, not counted from a chunk's
    start, so every chunk of a parallel run keeps exactly the frames a single pass would. ``phase`` (half the
    source's frame interval) moves the slot edges between frames: on an exact 60 fps clock every other frame
    falls on an edge, and a timestamp a hair early would move it into the slot before and change which frames are
    kept from there on.
    """
    if not math.isfinite(earlier):
        return False
    return math.floor((t + phase) / interval + 1e-6) == math.floor((earlier + phase) / interval + 1e-6)


def _unused(want: _Range, lead_window_s: float, phase: float) -> Callable[[float, float], bool]:
    """``drop(t, t_before)`` for :meth:`hingecoach.decode_av.AvReader.drop_when`: True for a frame the loop of
    :func:`_decode_worker` will surely throw away — before the range and its warm-up frames, after the range, or
    thinned (not the first of its slot). Frames at the edges are kept (a margin of ``TIME_EPS_S``): decoding one
    frame too many costs little, skipping one that is used would lose it.
    """
    first = want.from_s - (lead_window_s if want.lead > 0 else 0.0)
    interval = want.min_interval_s

    def drop(t: float, before: float) -> bool:
        if want.from_s > 0 and t < first - TIME_EPS_S:
            return True
        if want.until_s is not None and t > want.until_s + TIME_EPS_S:
            return True
        return interval > 0 and t > want.from_s + TIME_EPS_S and _same_slot(before, t, interval, phase)

    return drop


def _decode_worker(
    path: Path,
    max_side: int | None,
    want: _Range,
    out: queue.Queue[tuple[int, TimedFrame] | _Stop],
    cancel: threading.Event,
) -> None:
    error: BaseException | None = None
    reader: FrameReader | None = None

    def put(item: tuple[int, TimedFrame] | _Stop) -> None:
        while not cancel.is_set():
            try:
                out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    try:
        reader, grabbed, t_grabbed, index = _land(path, want)
        size = scaled_size(*reader.size, max_side)
        fps = max(want.fps, 1e-6)
        lead_window_s = 2.0 * (want.lead + 1) / fps
        drop_when = getattr(reader, "drop_when", None)
        if drop_when is not None and want.by_time and want.timing == "container":
            drop_when(_unused(want, lead_window_s, 0.5 / fps))
        ring: deque[TimedFrame] = deque(maxlen=max(want.lead, 1))
        prev_t = -math.inf
        started = not want.by_time or want.from_s <= 0

        def rgb_of() -> UInt8Image:
            assert reader is not None
            return reader.rgb(size)

        while not cancel.is_set():
            if grabbed:
                grabbed, t = False, t_grabbed
            else:
                if not want.by_time and want.stop is not None and index >= want.stop:
                    break
                if not reader.grab():
                    break
                t = reader.time_s()
            if want.timing != "container" or (index >= 0 and not want.by_time):
                t = (index if index >= 0 else 0) / fps
            if not t > prev_t:  # a repeated or backwards timestamp: keep the order, nudge the time forward
                t = prev_t + TIME_EPS_S
            earlier, prev_t = prev_t, t
            if want.by_time:
                if want.until_s is not None and t >= want.until_s - TIME_EPS_S:
                    break
                if not started:
                    if t < want.from_s - TIME_EPS_S:
                        if want.lead > 0 and t >= want.from_s - lead_window_s:
                            ring.append(TimedFrame(t, rgb_of(), lead=True))
                        index += 1 if index >= 0 else 0
                        continue
                    started = True
                    if want.lead > 0:
                        for lead_frame in ring:
                            put((-1, lead_frame))
                        ring.clear()
                if want.min_interval_s > 0 and _same_slot(earlier, t, want.min_interval_s, 0.5 / fps):
                    index += 1 if index >= 0 else 0
                    continue
            put((index, TimedFrame(t, rgb_of())))
            if index >= 0:
                index += 1
    except Exception as exc:  # handed to the consumer thread and re-raised there, never swallowed
        error = exc
    finally:
        if reader is not None:
            reader.release()
        put(_Stop(error))


def _iterate(path: Path, max_side: int | None, want: _Range) -> Iterator[tuple[int, TimedFrame]]:
    q: queue.Queue[tuple[int, TimedFrame] | _Stop] = queue.Queue(maxsize=_QUEUE_FRAMES)
    cancel = threading.Event()
    thread = threading.Thread(
        target=_decode_worker, args=(path, max_side, want, q, cancel), name="hingecoach-decode", daemon=True
    )
    thread.start()
    try:
        while True:
            item = q.get()
            if isinstance(item, _Stop):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        cancel.set()
        thread.join(timeout=5.0)


def iter_frames(
    path: str | Path,
    *,
    max_side: int | None = 960,
    start: int = 0,
    stop: int | None = None,
    decoder: Decoder = "auto",
) -> Iterator[tuple[int, UInt8Image]]:
    """Yield ``(frame_index, rgb)`` for frames ``start`` ≤ index < ``stop`` (``stop=None``: to the end).

    Frames are RGB ``uint8`` ``(h, w, 3)``, shrunk with area interpolation so the long side is ≤ ``max_side``.
    The index counts decoded frames from the start of the file. For a frame's *time* use
    :func:`iter_timed_frames`: on a variable-frame-rate file ``index / fps`` is wrong. ``decoder``: see
    :func:`open_reader`.
    """
    if start < 0 or (stop is not None and stop < start):
        raise ValueError(f"invalid frame range [{start}, {stop})")
    for index, frame in _iterate(Path(path), max_side, _Range(by_time=False, start=start, stop=stop, decoder=decoder)):
        yield index, frame.rgb


def iter_timed_frames(
    path: str | Path,
    *,
    fps: float,
    timing: TimingMode = "container",
    max_side: int | None = 960,
    from_s: float = 0.0,
    until_s: float | None = None,
    lead: int = 0,
    max_fps: float | None = None,
    decoder: Decoder = "auto",
) -> Iterator[TimedFrame]:
    """Yield the frames whose timestamps lie in ``[from_s, until_s)``, preceded by up to ``lead`` warm-up frames.

    ``fps`` is the container's (mean) rate: it aims the seek and, with ``timing="nominal"``, times the frames as
    ``index / fps`` (only from the start: a file without trustworthy timestamps cannot be cut in time).
    ``max_fps`` thins the frames: the first frame of every ``1 / max_fps`` slot of the clock is kept (every other
    frame of a 60 fps clip for 30), whichever chunk decodes it; warm-up frames are not thinned, nor is a clip at
    most :data:`NEAR_CAP` times faster than the cap (:func:`thinning_interval`). ``decoder``: see :func:`open_reader`.
    """
    if timing != "container" and from_s > 0:
        raise ValueError("a video without trustworthy timestamps can only be decoded from its start")
    if until_s is not None and until_s < from_s:
        raise ValueError(f"invalid time range [{from_s}, {until_s})")
    want = _Range(
        by_time=True,
        from_s=from_s,
        until_s=until_s,
        lead=max(0, lead),
        timing=timing,
        fps=fps,
        min_interval_s=thinning_interval(fps, max_fps),
        decoder=decoder,
    )
    for _, frame in _iterate(Path(path), max_side, want):
        yield frame


__all__ = [
    "NEAR_CAP",
    "Decoder",
    "FrameReader",
    "TimedFrame",
    "TimingMode",
    "decoder_for",
    "iter_frames",
    "iter_timed_frames",
    "open_reader",
    "scaled_size",
    "thinning_interval",
]
