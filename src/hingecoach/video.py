"""Video input: probe a file (with one specific, actionable message per way it can be bad) and decode frames.

Why so much care at the door: a user who uploads a photo, a voice memo or a half-copied phone video should hear
exactly that in one line, not a decoder stack trace or an empty report. :func:`probe` checks cheap things first
(existence, size, magic bytes), then asks OpenCV, then checks that the container is complete (MP4/MOV box sizes,
or that the last frame decodes), all without decoding the whole file.

:func:`iter_frames` decodes in a background thread into a small bounded queue: OpenCV releases the GIL while
decoding and resizing, so decoding the next frame overlaps the pose model's work on the current one.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import InputTooLargeError, VideoError

DEFAULT_MAX_BYTES: Final[int] = 2 * 1024**3
DEFAULT_MAX_DURATION_S: Final[float] = 20 * 60.0
MAX_PLAUSIBLE_FPS: Final[float] = 1000.0
# A decode that stops before this fraction of the header's frame count means the file is truncated/corrupt. Not
# higher: MP4s with an edit list legitimately present fewer frames than they store (mattiolato "Bad" clips: 75-90 %).
MIN_DECODED_FRACTION: Final[float] = 0.5
# Frames the header may over-count without it being an error (containers estimate counts from the duration).
FRAME_COUNT_SLACK: Final[int] = 3
_QUEUE_FRAMES: Final[int] = 4
_SNIFF_BYTES: Final[int] = 4096
_MP4_CONTAINERS: Final[frozenset[bytes]] = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl"})
_MP4_MAX_MOOV_BYTES: Final[int] = 64 * 1024**2
_MP4_MAX_TOP_BOXES: Final[int] = 1_000_000  # fragmented files have two per fragment; bounds the walk on junk
_MP4_HANDLER_NAMES: Final[dict[str, str]] = {"soun": "audio", "text": "text", "sbtl": "subtitles", "tmcd": "timecode"}

UInt8Image = NDArray[np.uint8]


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video stream (fps kept as a float: 29.97 stays 29.97)."""

    path: Path
    fps: float
    frame_count: int
    width: int
    height: int
    duration_s: float


# ---------------------------------------------------------------------------------------------------- sniffing
def _sniff_kind(head: bytes) -> str | None:
    """Classify a file by its first bytes: "image", "audio", "text", "gif", "mp4" or None (let the decoder decide)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff") or head.startswith(b"BM"):
        return "image"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio"
    if head.startswith((b"ID3", b"fLaC")) or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio"
    if head.startswith(b"GIF8"):
        return "gif"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
            return "image"
        if brand in (b"M4A ", b"M4B ", b"M4P "):
            return "audio"
        return "mp4"
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # A multi-byte character cut at the sniff boundary is still text.
            try:
                head[:-3].decode("utf-8")
            except UnicodeDecodeError:
                return None
        return "text"
    return None


@dataclass(frozen=True)
class _Mp4Summary:
    truncated: bool
    has_moov: bool
    fragmented: bool
    handlers: tuple[str, ...]
    video_samples: int


def _mp4_summary(path: Path, file_size: int) -> _Mp4Summary:
    """Walk an MP4/MOV's top-level boxes (seeking only) and read its small ``moov`` box.

    A box that claims to extend past the end of the file means the file was cut short (the usual result of an
    interrupted copy or upload). The track handlers say whether there is a video track at all; the video track's
    sample count says whether it has any frames.
    """
    truncated = False
    moov: bytes | None = None
    fragmented = False
    with open(path, "rb") as fh:
        pos = 0
        boxes = 0
        while pos + 8 <= file_size and boxes < _MP4_MAX_TOP_BOXES:
            boxes += 1
            fh.seek(pos)
            header = fh.read(16)
            size = int.from_bytes(header[:4], "big")
            kind = header[4:8]
            hdr = 8
            if size == 1:
                size = int.from_bytes(header[8:16], "big")
                hdr = 16
            elif size == 0:
                size = file_size - pos
            if size < hdr:
                truncated = True  # garbage where a box header should be
                break
            if pos + size > file_size:
                truncated = True
            if kind == b"moof":
                fragmented = True
            if kind == b"moov" and moov is None and size <= _MP4_MAX_MOOV_BYTES:
                fh.seek(pos + hdr)
                moov = fh.read(min(size, file_size - pos) - hdr)
            pos += size
    if moov is None:
        return _Mp4Summary(truncated, False, fragmented, (), 0)
    handlers: list[str] = []
    video_samples = 0

    def walk(buf: bytes, parent: bytes, in_video: list[bool]) -> None:
        nonlocal video_samples
        i = 0
        while i + 8 <= len(buf):
            size = int.from_bytes(buf[i : i + 4], "big")
            kind = buf[i + 4 : i + 8]
            if size < 8 or i + size > len(buf):
                return
            body = buf[i + 8 : i + size]
            if kind == b"trak":
                walk(body, kind, [False])
            elif kind in _MP4_CONTAINERS:
                walk(body, kind, in_video)
            elif kind == b"hdlr" and parent == b"mdia" and len(body) >= 12:
                # Only the media handler names the track type (QuickTime also puts a data handler in 'minf').
                handler = body[8:12].decode("latin-1")
                handlers.append(handler)
                in_video[0] = handler == "vide"
            elif kind == b"stsz" and len(body) >= 12 and in_video[0]:
                video_samples += int.from_bytes(body[8:12], "big")
            i += size

    walk(moov, b"", [False])
    return _Mp4Summary(truncated, True, fragmented, tuple(handlers), video_samples)


# ---------------------------------------------------------------------------------------------------- probe
def probe(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
) -> VideoInfo:
    """Check that ``path`` is a decodable video within the limits and return its stream properties.

    Raises :class:`VideoError` (one specific line per failure: missing, empty, text, still image, audio only,
    truncated/corrupt, zero-length) or :class:`InputTooLargeError` (file size or duration over the limits).
    ``frame_count`` is the container's count: the decoder may deliver fewer (MP4 edit lists), never under half.
    """
    p = Path(path)
    name = p.name
    if not p.exists():
        raise VideoError(f"{name}: file not found ({p})")
    if p.is_dir():
        raise VideoError(f"{name}: is a folder, not a video file")
    size = p.stat().st_size
    if size == 0:
        raise VideoError(f"{name}: the file is empty (0 bytes)")
    if size > max_bytes:
        raise InputTooLargeError(
            f"{name}: the file is {size / 1024**3:.2f} GiB; the limit is {max_bytes / 1024**3:.2f} GiB"
        )
    with open(p, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    kind = _sniff_kind(head)
    if kind == "image":
        raise VideoError(f"{name}: is a still image, not a video")
    if kind == "audio":
        raise VideoError(f"{name}: has no video stream (it is an audio file)")
    if kind == "text":
        raise VideoError(f"{name}: is a text file, not a video")
    if kind == "mp4":
        mp4 = _mp4_summary(p, size)
        if not mp4.has_moov:
            reason = "truncated or corrupt" if mp4.truncated else "corrupt"
            raise VideoError(f"{name}: the video is {reason} (its index, the 'moov' box, is missing)")
        if mp4.truncated:
            raise VideoError(f"{name}: the video is truncated (the file ends before the data its header describes)")
        if mp4.handlers and "vide" not in mp4.handlers:
            kinds = sorted({_MP4_HANDLER_NAMES.get(h, h.strip()) for h in mp4.handlers})
            raise VideoError(f"{name}: has no video stream ({' and '.join(kinds)} only)")
        if not mp4.fragmented and mp4.video_samples == 0:
            raise VideoError(f"{name}: the video contains no frames (zero-length video)")

    cap = cv2.VideoCapture(str(p))
    try:
        if not cap.isOpened():
            raise VideoError(f"{name}: cannot be decoded as a video (unknown format or corrupt file)")
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width <= 0 or height <= 0:
            raise VideoError(f"{name}: has no video stream")
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        if not (math.isfinite(fps) and 0.0 < fps <= MAX_PLAUSIBLE_FPS):
            raise VideoError(f"{name}: reports an invalid frame rate ({fps:g} fps)")
        raw_count = float(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        header_count = int(raw_count) if math.isfinite(raw_count) and 0 <= raw_count < 2**31 else -1
        ok, _ = cap.read()
        if not ok:
            if header_count == 0:
                raise VideoError(f"{name}: the video contains no frames (zero-length video)")
            raise VideoError(f"{name}: the video is truncated or corrupt (no frame could be decoded)")
        if header_count <= 0:
            header_count = _count_frames(cap, limit=int(max_duration_s * fps) + 2) + 1
        elif header_count > 1 and kind != "mp4":  # MP4/MOV completeness was checked on its boxes above
            header_count = _check_tail(cap, name, header_count)
    finally:
        cap.release()
    if header_count == 1 and kind == "gif":
        raise VideoError(f"{name}: is a still image, not a video (a one-frame GIF)")
    if header_count == 1:
        raise VideoError(f"{name}: has a single frame; a still image is not a video")
    duration_s = header_count / fps
    if duration_s > max_duration_s:
        raise InputTooLargeError(
            f"{name}: the video is {_duration_text(duration_s)} long; the limit is {_duration_text(max_duration_s)}"
        )
    return VideoInfo(path=p, fps=fps, frame_count=header_count, width=width, height=height, duration_s=duration_s)


def _duration_text(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _count_frames(cap: cv2.VideoCapture, *, limit: int) -> int:
    """Frames left in ``cap`` (decoding them), up to ``limit``: only for containers whose header has no count."""
    n = 0
    while n < limit and cap.grab():
        n += 1
    return n


def _check_tail(cap: cv2.VideoCapture, name: str, header_count: int) -> int:
    """The usable frame count: the header's, once a frame near the end decodes (no full decode needed).

    When that frame does not decode, count by decoding from the start: containers that estimate the count from the
    duration (variable frame rate) may over-count a little, which is fine; a file that decodes less than
    ``MIN_DECODED_FRACTION`` of what its header promises is truncated or corrupt.
    """
    target = max(1, header_count - 1 - FRAME_COUNT_SLACK)
    cap.set(cv2.CAP_PROP_POS_FRAMES, target)
    ok, _ = cap.read()
    if ok:
        return header_count
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    decoded = _count_frames(cap, limit=header_count)
    if decoded < MIN_DECODED_FRACTION * header_count:
        raise VideoError(
            f"{name}: the video is truncated or corrupt (only {decoded} of the {header_count} frames "
            "its header promises decode)"
        )
    return decoded


# ---------------------------------------------------------------------------------------------------- decoding
def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """``(w, h)`` after shrinking so the long side is at most ``max_side`` (never enlarges; None = unchanged)."""
    long_side = max(width, height)
    if max_side is None or long_side <= max_side:
        return width, height
    s = max_side / long_side
    return max(1, round(width * s)), max(1, round(height * s))


class _Stop:
    """Queue sentinel: the decoder finished (``error`` set when it failed)."""

    def __init__(self, n_decoded: int, error: BaseException | None = None) -> None:
        self.n_decoded = n_decoded
        self.error = error


def _decode_worker(
    path: Path,
    max_side: int | None,
    start: int,
    stop: int | None,
    out: queue.Queue[tuple[int, UInt8Image] | _Stop],
    cancel: threading.Event,
) -> None:
    n = 0
    error: BaseException | None = None
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise VideoError(f"{path.name}: cannot be decoded as a video")
        width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        size = scaled_size(width, height, max_side)
        if start > 0:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
            pos = int(cap.get(cv2.CAP_PROP_POS_FRAMES))
            if pos != start:  # inexact seek: restart and skip frame by frame (decode only, no conversion)
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                for _ in range(start):
                    if not cap.grab():
                        break
        index = start
        while not cancel.is_set() and (stop is None or index < stop):
            ok, bgr = cap.read()
            if not ok:
                break
            if (bgr.shape[1], bgr.shape[0]) != size:
                bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
            rgb: UInt8Image = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            while not cancel.is_set():
                try:
                    out.put((index, rgb), timeout=0.1)
                    break
                except queue.Full:
                    continue
            index += 1
            n += 1
    except Exception as exc:  # handed to the consumer thread and re-raised there, never swallowed
        error = exc
    finally:
        cap.release()
        while not cancel.is_set():
            try:
                out.put(_Stop(n, error), timeout=0.1)
                break
            except queue.Full:
                continue


def iter_frames(
    path: str | Path,
    *,
    max_side: int | None = 960,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[tuple[int, UInt8Image]]:
    """Yield ``(frame_index, rgb)`` for frames ``start`` ≤ index < ``stop`` (``stop=None``: to the end).

    Frames are RGB ``uint8`` ``(h, w, 3)``, shrunk with area interpolation so the long side is ≤ ``max_side``.
    The index counts from the start of the file, so a frame's timestamp is ``index / fps``. Decoding runs in a
    background thread a few frames ahead; closing the generator early stops it.
    """
    if start < 0 or (stop is not None and stop < start):
        raise ValueError(f"invalid frame range [{start}, {stop})")
    q: queue.Queue[tuple[int, UInt8Image] | _Stop] = queue.Queue(maxsize=_QUEUE_FRAMES)
    cancel = threading.Event()
    thread = threading.Thread(
        target=_decode_worker,
        args=(Path(path), max_side, start, stop, q, cancel),
        name="hingecoach-decode",
        daemon=True,
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
