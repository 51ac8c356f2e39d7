"""H.264 MP4 output that plays in every browser: raw BGR frames piped to the ``ffmpeg`` binary.

Why ffmpeg and not ``cv2.VideoWriter``: OpenCV's wheels write MPEG-4 Part 2 (``mp4v``), which Chrome, Firefox and
Safari refuse to play. Browsers need H.264 in yuv420p with the ``moov`` atom at the front (``+faststart``) so the
video starts before it has fully downloaded. The source frame rate is passed as an exact rational (29.97 is
30000/1001, never rounded to 29 or 30) so the overlay stays in sync with the source and with ``t_s``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import HingecoachError
from hingecoach.fileio import temp_sibling


class FfmpegMissingError(HingecoachError):
    """The ``ffmpeg`` binary is not installed (``apt-get install ffmpeg``), so no overlay video can be written."""

    code = "ffmpeg_missing"


class EncodeError(HingecoachError):
    """ffmpeg refused the frames or failed while writing (disk full, bad size...)."""

    code = "encode_failed"


def fps_fraction(fps: float) -> Fraction:
    """The exact rational a float frame rate stands for: NTSC rates become n·1000/1001, others a small fraction.

    >>> fps_fraction(29.97002997), fps_fraction(25.0), fps_fraction(59.94)
    (Fraction(30000, 1001), Fraction(25, 1), Fraction(60000, 1001))
    """
    if not (fps > 0 and np.isfinite(fps)):
        raise ValueError(f"fps must be a positive number, got {fps}")
    if abs(fps - round(fps)) < 1e-3:
        return Fraction(round(fps))
    ntsc = round(fps * 1.001)
    if abs(fps - ntsc / 1.001) < 2e-3:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(fps).limit_denominator(1000)


def even_size(width: int, height: int) -> tuple[int, int]:
    """The encoded size: yuv420p needs even dimensions, so odd ones gain one black pixel row/column."""
    return width + (width % 2), height + (height % 2)


def output_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Size frames are drawn at: the source size, or a downscale so the long side is at most ``max_side``.

    The scaled size keeps the aspect ratio and is rounded to even numbers (an H.264/yuv420p requirement).
    """
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    w = max(2, round(width * scale / 2) * 2)
    h = max(2, round(height * scale / 2) * 2)
    return w, h


def ffmpeg_binary() -> str:
    """Path of ``ffmpeg``; raises :class:`FfmpegMissingError` with the fix when it is absent."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise FfmpegMissingError("ffmpeg is not installed; install it (Debian: apt-get install ffmpeg) to write videos")
    return exe


class VideoSink:
    """Context manager that encodes BGR ``uint8`` frames of one fixed size to a browser-playable MP4.

    The file appears at ``path`` only after :meth:`close` succeeded (written to a temporary sibling, then renamed);
    on an exception inside the ``with`` block the partial file is deleted.

    Args:
        path: output ``.mp4``.
        size_wh: frame size every :meth:`write` call must match.
        fps: source frame rate (float; converted to an exact rational).
        crf: x264 constant-rate factor (lower = better quality, bigger file; 18–23 is visually clean).
        preset: x264 speed preset; ``veryfast`` keeps encoding well below pose-model cost on 2 cores.

    """

    def __init__(
        self,
        path: str | Path,
        size_wh: tuple[int, int],
        fps: float,
        *,
        crf: int = 21,
        preset: str = "veryfast",
    ) -> None:
        self.path = Path(path)
        self.size_wh = (int(size_wh[0]), int(size_wh[1]))
        self.fps = fps_fraction(fps)
        self.crf = crf
        self.preset = preset
        self.frames_written = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._tmp = temp_sibling(self.path)

    def command(self) -> list[str]:
        """The ffmpeg command line (exposed for logging and tests)."""
        w, h = self.size_wh
        ew, eh = even_size(w, h)
        pad = [] if (ew, eh) == (w, h) else ["-vf", f"pad={ew}:{eh}:0:0:black"]
        return [
            ffmpeg_binary(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
            "-s",
            f"{w}x{h}",
            "-framerate",
            f"{self.fps.numerator}/{self.fps.denominator}",
            "-i",
            "pipe:0",
            *pad,
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            self.preset,
            "-crf",
            str(self.crf),
            "-pix_fmt",
            "yuv420p",
            "-profile:v",
            "high",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            str(self._tmp),
        ]

    def __enter__(self) -> VideoSink:
        cmd = self.command()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr)
        return self

    def write(self, frame_bgr: NDArray[np.uint8]) -> None:
        """Encode one frame (``(H, W, 3)`` uint8, BGR, exactly ``size_wh``)."""
        if self._proc is None or self._proc.stdin is None:
            raise RuntimeError("VideoSink.write called outside its `with` block")
        w, h = self.size_wh
        if frame_bgr.shape != (h, w, 3) or frame_bgr.dtype != np.uint8:
            raise ValueError(f"frame must be ({h}, {w}, 3) uint8, got {frame_bgr.shape} {frame_bgr.dtype}")
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame_bgr).data)
        except BrokenPipeError as exc:
            raise EncodeError(f"ffmpeg stopped accepting frames: {self._error_text()}") from exc
        self.frames_written += 1

    def close(self) -> Path:
        """Finish the stream, check ffmpeg succeeded and move the file into place; returns the final path."""
        proc = self._proc
        if proc is None:
            raise RuntimeError("VideoSink.close called before the sink was opened")
        self._proc = None
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            rc = proc.wait()
        except BrokenPipeError:
            rc = proc.wait()
        if rc != 0 or self.frames_written == 0:
            msg = self._error_text() or ("no frames were written" if self.frames_written == 0 else f"exit {rc}")
            self._cleanup()
            raise EncodeError(f"ffmpeg could not write {self.path.name}: {msg}")
        self._tmp.replace(self.path)
        self._cleanup()
        return self.path

    def _error_text(self) -> str:
        """Last line ffmpeg wrote to stderr (its error message), or ''."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else ""

    def _cleanup(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._tmp.unlink(missing_ok=True)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
            return
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None
        self._cleanup()
