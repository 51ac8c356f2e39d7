"""PyAV's reader: the frames of a file as FFmpeg decodes them, with the frames nobody will use never decoded.

Same contract as OpenCV's reader in :mod:`hingecoach.decode` (grab a frame, read its presentation time, convert it
only when it is kept), with what OpenCV does for us done here: the display rotation a phone writes into the file
is applied to the picture, and times count from the stream's start.

Why PyAV and not OpenCV (measured, ``docs/batch.md``):

* **It can leave frames undecoded.** Tracking a 60 fps clip at 30 fps keeps every other frame, yet OpenCV decodes
  all of them. Most phone and web H.264/HEVC streams put B-frames that no other frame refers to between the
  reference frames; told which frames will not be kept (:meth:`AvReader.drop_when`), the decoder skips those
  (FFmpeg's ``skip_frame = NONREF``, set packet by packet). On a 120 fps clip capped at 30, 304 of 600 frames are
  decoded instead of 600.
* **Full-range ("yuvj") and 10-bit sources convert fast.** OpenCV converts them to BGR on a slow path: 83 CPU-ms
  per 1440x1920 full-range frame and 84 per 10-bit 1080x1920 frame, four times the pose model's cost.
* **Same frames, and FFmpeg's own pixels.** On all 84 manifest clips (full rate, capped at 30 fps, and a chunk with
  warm-up frames) PyAV gives OpenCV's frame count and times; an 8-bit picture converted whole and shrunk with
  OpenCV's box filter is OpenCV's, bit for bit, on 80 of them, so the tracks made with OpenCV stay valid. Where they
  differ, PyAV's picture is the one ``ffmpeg -i clip frame.png`` writes and OpenCV's is not: a full-range
  1440x1920 clip (1.8 grey levels apart on average), one with unusual colour tags (3.2) and the 10-bit HLG clips
  (30). A 10-bit picture is converted and shrunk in one ``sws_scale`` call, as its stored tracks were made.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import VideoError

UInt8Image = NDArray[np.uint8]
#: Packets read ahead of the decoder, so a frame's predecessor in display order is known before the frame is decoded
#: (H.264 and HEVC reorder at most 16 frames).
LOOKAHEAD_PACKETS: Final[int] = 24
#: Presentation times of packets already sent, kept to find a frame's predecessor.
_SENT_KEPT: Final[int] = 32
#: ``drop(t, t_before)``: True when the frame at ``t`` s, whose predecessor in display order is at ``t_before`` s,
#: will surely not be used (it may then be left undecoded).
DropRule = Callable[[float, float], bool]


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
        fmt = self._stream.codec_context.format
        #: More than 8 bits per sample (HDR phone video): converted and shrunk in one ``sws_scale`` call.
        self.high_bit_depth = fmt is not None and max(c.bits for c in fmt.components) > 8
        self._drop: DropRule | None = None
        #: Packets sent with ``skip_frame = NONREF``: the decoder skips those no other frame refers to.
        self.marked_packets = 0
        self._frames: Iterator[Any] = self._decoded()
        self._frame: Any = None
        self._last_t = -math.inf
        # The display rotation is a property of the decoded frames: the first one is decoded here and handed out by
        # the first grab, so the file is opened once.
        self._ahead: Any = self._next()
        rotation = float(getattr(self._ahead, "rotation", 0) or 0) if self._ahead is not None else 0.0
        self._turns = round(rotation / 90.0) % 4
        w, h = int(self._stream.codec_context.width), int(self._stream.codec_context.height)
        self.size = (h, w) if self._turns % 2 else (w, h)

    def drop_when(self, rule: DropRule | None) -> None:
        """Let the decoder skip the non-reference frames ``rule`` says will not be used (None: decode all).

        Only frames no other frame refers to are ever skipped, so every frame that is used decodes exactly as it
        would have. A frame whose predecessor is not known (the first after opening or a seek) is decoded.
        """
        self._drop = rule

    def _t(self, pts: int) -> float:
        return float((int(pts) - self._start) * self._base)

    def _decoded(self) -> Iterator[Any]:
        """Decoded frames in display order, each packet sent with ``skip_frame`` set by :attr:`_drop`."""
        cc = self._stream.codec_context
        ahead: deque[Any] = deque()
        sent: deque[int] = deque(maxlen=_SENT_KEPT)
        packets = self._container.demux(self._stream)
        while True:
            pkt = next(packets, None)
            if pkt is not None:
                ahead.append(pkt)
                if len(ahead) < LOOKAHEAD_PACKETS:
                    continue
            if not ahead:
                return
            head = ahead.popleft()
            skip = False
            if head.pts is not None:
                p = int(head.pts)
                if self._drop is not None:
                    before = [q for q in sent if q < p]
                    before += [int(a.pts) for a in ahead if a.pts is not None and a.pts < p]
                    skip = bool(before) and self._drop(self._t(p), self._t(max(before)))
                sent.append(p)
            cc.skip_frame = "NONREF" if skip else "DEFAULT"
            self.marked_packets += int(skip)
            yield from head.decode()

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
        if self.high_bit_depth:  # one sws_scale: convert and shrink (how the stored 10-bit tracks were made)
            w, h = (size[1], size[0]) if self._turns % 2 else size  # the stored picture is the unrotated one
            img = self._frame.to_ndarray(width=w, height=h, format="rgb24", interpolation="AREA")
            return np.ascontiguousarray(np.rot90(img, self._turns)) if self._turns else np.asarray(img, dtype=np.uint8)
        # Converted whole, turned, then shrunk with OpenCV's box filter: OpenCV's reader's pixels, bit for bit.
        img = self._frame.to_ndarray(format="rgb24")
        if self._turns:
            img = np.ascontiguousarray(np.rot90(img, self._turns))
        if (img.shape[1], img.shape[0]) != size:
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        return np.asarray(img, dtype=np.uint8)

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
        self._frames = self._decoded()
        self._frame = self._ahead = None
        return False  # never exact by index: a by-index caller reads on from the start instead

    def release(self) -> None:
        self._container.close()
