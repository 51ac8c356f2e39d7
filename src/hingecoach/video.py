"""Video input: probe a file (with one specific, actionable message per way it can be bad) and decode frames.

Why so much care at the door: a user who uploads a photo, a voice memo or a half-copied phone video should hear
exactly that in one line, not a decoder stack trace or an empty report. :func:`probe` checks cheap things first
(existence, size, magic bytes), then asks OpenCV, then checks that the container is complete (MP4/MOV box sizes,
or that the last frame decodes), all without decoding the whole file.

:func:`iter_frames` decodes in a background thread into a small bounded queue: OpenCV releases the GIL while
decoding and resizing, so decoding the next frame overlaps the pose model's work on the current one.
"""

from __future__ import annotations

import itertools
import math
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Final

import cv2

from hingecoach.decode import TimedFrame, TimingMode, UInt8Image, iter_frames, iter_timed_frames, scaled_size
from hingecoach.errors import InputTooLargeError, VideoError

DEFAULT_MAX_BYTES: Final[int] = 2 * 1024**3
DEFAULT_MAX_DURATION_S: Final[float] = 20 * 60.0
MAX_PLAUSIBLE_FPS: Final[float] = 1000.0
# A decode that stops before this fraction of the header's frame count means the file is truncated/corrupt. Not
# higher: MP4s with an edit list legitimately present fewer frames than they store (mattiolato "Bad" clips: 75-90 %).
MIN_DECODED_FRACTION: Final[float] = 0.5
# Frames the header may over-count without it being an error (containers estimate counts from the duration).
FRAME_COUNT_SLACK: Final[int] = 3
_SNIFF_BYTES: Final[int] = 4096
_MP4_CONTAINERS: Final[frozenset[bytes]] = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl"})
_MP4_MAX_MOOV_BYTES: Final[int] = 64 * 1024**2
_MP4_MAX_TOP_BOXES: Final[int] = 1_000_000  # fragmented files have two per fragment; bounds the walk on junk
_MP4_HANDLER_NAMES: Final[dict[str, str]] = {"soun": "audio", "text": "text", "sbtl": "subtitles", "tmcd": "timecode"}

#: Frames whose timestamps probe reads to judge the container's timing.
PROBE_TIMING_FRAMES: Final[int] = 4
#: A gap between consecutive frames longer than this is not plausible timing (GIFs may hold a frame for seconds).
MAX_PLAUSIBLE_FRAME_GAP_S: Final[float] = 10.0


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video stream (fps kept as a float: 29.97 stays 29.97)."""

    path: Path
    fps: float
    frame_count: int
    width: int
    height: int
    duration_s: float
    #: "container": frames are timed by their presentation timestamps (variable frame rate is fine); "nominal": the
    #: container's timing is missing or implausible and frames are timed ``index / fps`` from the rate it could trust.
    timing: TimingMode = "container"
    #: When set, times came from a fallback and the user must hear so: ``(code, message)`` for the warnings.
    timing_warning: tuple[str, str] | None = None
    #: For a zeroed timing table: the video track's duration from its header, over which frames are spread evenly.
    spread_over_s: float | None = None


# ---------------------------------------------------------------------------------------------------- sniffing
def _sniff_kind(head: bytes) -> str | None:
    """Classify a file by its first bytes: "image", "audio", "text", "gif", "mp4", "annexb" (a raw H.264/HEVC
    stream) or None (let the decoder decide).
    """
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
    if head.startswith((b"\x00\x00\x00\x01", b"\x00\x00\x01")) and len(head) > 4:
        return "annexb"  # a raw H.264/HEVC elementary stream: start code, then a NAL unit
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
    movie_timescale: int | None = None  # mvhd
    video_timescale: int | None = None  # the video track's mdhd
    video_duration: int | None = None  # the video track's mdhd duration, in its timescale's units
    video_stts_total: int | None = None  # sum of the video track's sample durations (0: a zeroed timing table)


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
    movie_timescale: int | None = None
    track_times: list[tuple[int, int]] = []  # (timescale, duration) of each track's mdhd, in track order
    video_times: tuple[int, int] | None = None
    stts_total: int | None = None

    def walk(buf: bytes, parent: bytes, in_video: list[bool]) -> None:
        nonlocal video_samples, movie_timescale, video_times, stts_total
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
                if in_video[0] and track_times and video_times is None:
                    video_times = track_times[-1]  # mdhd precedes hdlr inside 'mdia'
            elif kind == b"stsz" and len(body) >= 12 and in_video[0]:
                video_samples += int.from_bytes(body[8:12], "big")
            elif kind == b"mvhd" and len(body) >= 24:
                movie_timescale = _header_timescale(body)[0]
            elif kind == b"mdhd" and parent == b"mdia" and len(body) >= 24:
                track_times.append(_header_timescale(body))
            elif kind == b"stts" and in_video[0] and stts_total is None and len(body) >= 8:
                entries = int.from_bytes(body[4:8], "big")
                total = 0
                for k in range(min(entries, (len(body) - 8) // 8)):
                    off = 8 + 8 * k
                    total += int.from_bytes(body[off : off + 4], "big") * int.from_bytes(body[off + 4 : off + 8], "big")
                stts_total = total
            i += size

    walk(moov, b"", [False])
    return _Mp4Summary(
        truncated,
        True,
        fragmented,
        tuple(handlers),
        video_samples,
        movie_timescale=movie_timescale,
        video_timescale=None if video_times is None else video_times[0],
        video_duration=None if video_times is None else video_times[1],
        video_stts_total=stts_total,
    )


def _header_timescale(body: bytes) -> tuple[int, int]:
    """``(timescale, duration)`` of an ``mvhd``/``mdhd`` box body (version 0: 32-bit times, version 1: 64-bit)."""
    if body[0] == 1 and len(body) >= 32:
        return int.from_bytes(body[20:24], "big"), int.from_bytes(body[24:32], "big")
    return int.from_bytes(body[12:16], "big"), int.from_bytes(body[16:20], "big")


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
    mp4: _Mp4Summary | None = None
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
        # Checked before the decoder sees the file: it would log to stderr and invent a rate of 1/512 fps.
        if mp4.video_timescale == 0 or mp4.movie_timescale == 0:
            raise VideoError(f"{name}: the file's timing is broken (its header's timescale is 0); re-export the video")

    with _quiet_native_logs():
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
        first_s = [float(cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0]
        while len(first_s) < PROBE_TIMING_FRAMES and cap.grab():
            first_s.append(float(cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0)
        if header_count <= 0:
            header_count = _count_frames(cap, limit=int(max_duration_s * fps) + 2) + len(first_s)
        elif header_count > 1 and kind != "mp4":  # MP4/MOV completeness was checked on its boxes above
            header_count = _check_tail(cap, name, header_count)
    finally:
        cap.release()
    if header_count == 1 and kind == "gif":
        raise VideoError(f"{name}: is a still image, not a video (a one-frame GIF)")
    if header_count == 1:
        raise VideoError(f"{name}: has a single frame; a still image is not a video")
    timing = _judge_timing(p, kind, mp4, fps, first_s)
    if timing.fps is not None:
        fps = timing.fps
    duration_s = timing.spread_over_s if timing.spread_over_s is not None else header_count / fps
    if duration_s > max_duration_s:
        raise InputTooLargeError(
            f"{name}: the video is {_duration_text(duration_s)} long; the limit is {_duration_text(max_duration_s)}"
        )
    return VideoInfo(
        path=p,
        fps=fps,
        frame_count=header_count,
        width=width,
        height=height,
        duration_s=duration_s,
        timing=timing.mode,
        timing_warning=timing.warning,
        spread_over_s=timing.spread_over_s,
    )


# ---------------------------------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class _Timing:
    mode: TimingMode
    fps: float | None = None  # the rate to use instead of the decoder's, when the timestamps are not trusted
    warning: tuple[str, str] | None = None
    spread_over_s: float | None = None


def _judge_timing(p: Path, kind: str | None, mp4: _Mp4Summary | None, fps: float, first_s: list[float]) -> _Timing:
    """Trust the container's timestamps, or say why not and which rate the times fall back on.

    Untrusted: a raw video stream (no container, so no timestamps: the decoder assumes 25 fps whatever the camera
    did), an MP4 whose timing table (``stts``) is zeroed, or first frames whose times do not increase plausibly.
    The fallback rate is, in order of trust: the video track's sample count over its header duration, the rate the
    stream itself declares (ffprobe's ``r_frame_rate``, which reads the H.264/HEVC timing info), the decoder's guess.
    """
    steps = [b - a for a, b in itertools.pairwise(first_s)]
    plausible = all(0.0 < d <= MAX_PLAUSIBLE_FRAME_GAP_S for d in steps)
    zeroed = mp4 is not None and mp4.video_stts_total == 0 and mp4.video_samples > 0
    if kind != "annexb" and not zeroed and plausible:
        return _Timing("container")
    if kind == "annexb":
        what = "missing: it is a raw video stream without a container (no frame times)"
    elif zeroed:
        what = "missing: its timing table is zeroed"
    else:
        what = "implausible: its first frame times do not increase"
    spread: float | None = None
    rate: float | None = None
    basis = ""
    if mp4 is not None and mp4.video_timescale and mp4.video_duration and mp4.video_samples > 1:
        spread = mp4.video_duration / mp4.video_timescale
        rate = mp4.video_samples / spread
        basis = f"its {mp4.video_samples} frames spread evenly over the track's {spread:.2f} s"
    if rate is None:
        declared = _declared_rate(p)
        if declared is not None:
            rate, basis = declared, f"{declared:.3g} fps, the rate the stream itself declares"
    if rate is None or not (0.0 < rate <= MAX_PLAUSIBLE_FPS):
        rate, basis, spread = fps, f"{fps:.3g} fps, the decoder's guess", None
    message = f"{p.name}: the file's frame timing is {what}; times assume {basis} and may be off"
    return _Timing("nominal", fps=rate, warning=("timing_untrusted", message), spread_over_s=spread)


def _declared_rate(p: Path) -> float | None:
    """The stream's own frame rate as ffprobe reads it (from the codec's timing info), or None when unknown."""
    exe = shutil.which("ffprobe")
    if exe is None:
        return None
    cmd = [exe, "-v", "quiet", "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate", "-of", "csv=p=0"]
    try:
        done = subprocess.run([*cmd, str(p)], capture_output=True, text=True, timeout=30, check=False)
        rate = float(Fraction(done.stdout.strip().splitlines()[0]))
    except (OSError, subprocess.SubprocessError, ValueError, ZeroDivisionError, IndexError):
        return None
    return rate if math.isfinite(rate) and rate > 0 else None


@contextmanager
def _quiet_native_logs() -> Iterator[None]:
    """Hide the decoder's native log lines (FFmpeg writes to file descriptor 2) while a file is opened.

    The user gets one line per problem from hingecoach; FFmpeg's "[mov @ 0x...] ..." lines are noise on top of it.
    ``HINGECOACH_NATIVE_LOGS=1`` keeps them for debugging.
    """
    from hingecoach.pose.mediapipe_backend import native_stderr_silenced

    with native_stderr_silenced():
        yield


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


__all__ = [
    "TimedFrame",
    "TimingMode",
    "UInt8Image",
    "VideoInfo",
    "iter_frames",
    "iter_timed_frames",
    "probe",
    "scaled_size",
]
