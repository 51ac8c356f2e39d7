"""PyAV's reader for the sources OpenCV converts slowly: more than 8 bits per sample (HDR phone video).

Same contract as OpenCV's reader in :mod:`hingecoach.decode` (grab a frame, read its presentation time, convert it
only when it is kept), with what OpenCV does for us done here: the display rotation a phone writes into the file
is applied to the picture, and times count from the stream's start. Decoding, the 10-bit to 8-bit RGB conversion
and the shrink to the analysis size are one FFmpeg ``sws_scale`` call per kept frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import VideoError

UInt8Image = NDArray[np.uint8]


def high_bit_depth(path: Path) -> bool:
    """Whether the first video stream of ``path`` stores more than 8 bits per sample (False when PyAV cannot say)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            fmt = stream.codec_context.format
            return fmt is not None and max(c.bits for c in fmt.components) > 8
    except (av.FFmpegError, IndexError, ValueError):
        return False


class AvReader:
    """A cursor over the decoded frames of one file's first video stream."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._container: Any = av.open(str(path))
            self._stream: Any = self._container.streams.video[0]
        except (av.FFmpegError, IndexError) as exc:
            raise VideoError(f"{path.name}: cannot be decoded as a video") from exc
        self._stream.thread_type = "AUTO"  # frame threads: the decoder runs beside the model, as OpenCV's does
        self._base: Fraction = self._stream.time_base or Fraction(1, 90000)
        self._start = int(self._stream.start_time or 0)
        self._frames: Iterator[Any] = self._container.decode(self._stream)
        self._frame: Any = None
        self._last_t = -math.inf
        # The display rotation is a property of the decoded frames: the first one is decoded here and handed out by
        # the first grab, so the file is opened once.
        self._ahead: Any = self._next()
        rotation = float(getattr(self._ahead, "rotation", 0) or 0) if self._ahead is not None else 0.0
        self._turns = round(rotation / 90.0) % 4
        w, h = int(self._stream.codec_context.width), int(self._stream.codec_context.height)
        self.size = (h, w) if self._turns % 2 else (w, h)

    def _next(self) -> Any:
        """The next decoded frame, or None at the end or where the data stops decoding."""
        try:
            return next(self._frames, None)
        except av.FFmpegError:
            return None

    def grab(self) -> bool:
        """The next frame; False at the end — or where the data stops decoding, as OpenCV's reader does (the caller
        counts the frames it got against the header's and says when a file is truncated).
        """
        if self._ahead is not None:
            self._frame, self._ahead = self._ahead, None
        else:
            self._frame = self._next()
        return self._frame is not None

    def time_s(self) -> float:
        """The grabbed frame's presentation time from the stream's start (the previous one's when it has none)."""
        pts = self._frame.pts if self._frame is not None else None
        if pts is None:
            return self._last_t
        self._last_t = float((int(pts) - self._start) * self._base)
        return self._last_t

    def rgb(self, size: tuple[int, int]) -> UInt8Image:
        if self._frame is None:
            raise VideoError(f"{self.path.name}: a frame could not be decoded")
        w, h = (size[1], size[0]) if self._turns % 2 else size  # the stored picture is the unrotated one
        img = self._frame.to_ndarray(width=w, height=h, format="rgb24", interpolation="AREA")
        return np.ascontiguousarray(np.rot90(img, self._turns)) if self._turns else np.asarray(img, dtype=np.uint8)

    def seek_frame(self, index: int) -> bool:
        """Seek to the keyframe at or before the nominal time of frame ``index``; the caller checks where it landed."""
        rate = self._stream.average_rate or self._stream.guessed_rate
        if not rate:
            return False
        target = self._start + int(Fraction(index) / Fraction(rate) / self._base)
        try:
            self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        except av.FFmpegError:
            return False
        self._frames = self._container.decode(self._stream)
        self._frame = self._ahead = None
        return False  # never exact by index: a by-index caller reads on from the start instead

    def release(self) -> None:
        self._container.close()
