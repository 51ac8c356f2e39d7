"""Anti-aliased text and rounded panels for video overlays, rendered once and alpha-blended many times.

OpenCV's Hershey fonts have no degree sign and look dated; Pillow renders TrueType text well but converting every
video frame to a Pillow image costs milliseconds. So each distinct label (text, size, colours) is rendered once by
Pillow into a small RGBA patch, cached, and blended into frames with NumPy. An overlay has a few hundred distinct
labels at most (angles are whole degrees), so the cache stays small.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

BGR = tuple[int, int, int]
BGRA = tuple[int, int, int, int]
Patch = tuple[NDArray[np.uint8], NDArray[np.float32]]
"""A rendered label: ``(h, w, 3)`` BGR pixels and ``(h, w)`` alpha in [0, 1]."""

FontLike = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font_path(bold: bool) -> Path | None:
    """DejaVu Sans ships inside matplotlib (a dependency), so the same font is available everywhere."""
    import matplotlib  # local: only needed for its bundled font files

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    return path if path.is_file() else None


@lru_cache(maxsize=64)
def font(size_px: int, bold: bool = False) -> FontLike:
    """A TrueType font at ``size_px`` (Pillow's built-in font when DejaVu is not found)."""
    path = _font_path(bold)
    if path is None:
        return ImageFont.load_default(size=size_px)
    return ImageFont.truetype(str(path), size_px)


@lru_cache(maxsize=256)
def wrap(text: str, size_px: int, max_width_px: int, bold: bool = False) -> tuple[str, ...]:
    """Greedy word wrap so no line is wider than ``max_width_px`` (a single over-long word stays on its own line)."""
    f = font(size_px, bold)
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and f.getlength(trial) > max_width_px:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return tuple(lines)


@lru_cache(maxsize=4096)
def label(
    text: str,
    size_px: int,
    fg: BGR,
    bg: BGRA | None = None,
    *,
    bold: bool = False,
    pad_px: int = 0,
    radius_px: int = 0,
    line_gap: float = 0.25,
    accent: BGR | None = None,
) -> Patch:
    """Render ``text`` (a newline separates lines) on an optional rounded background; cached.

    ``accent`` draws a coloured bar down the left edge (used for cue banners).
    """
    f = font(size_px, bold)
    lines = text.split("\n")
    ascent, descent = f.getmetrics() if isinstance(f, ImageFont.FreeTypeFont) else (size_px, size_px // 4)
    line_h = ascent + descent
    gap = round(line_gap * size_px)
    text_w = int(np.ceil(max((f.getlength(s) for s in lines), default=0)))
    text_h = line_h * len(lines) + gap * (len(lines) - 1)
    bar = max(3, size_px // 5) if accent is not None else 0
    w = text_w + 2 * pad_px + bar
    h = text_h + 2 * pad_px
    img = Image.new("RGBA", (max(w, 1), max(h, 1)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if bg is not None:
        b, g, r, a = bg
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=radius_px, fill=(r, g, b, a))
    if accent is not None:
        b, g, r = accent
        draw.rounded_rectangle((0, 0, bar + radius_px, h - 1), radius=radius_px, fill=(r, g, b, 255))
        if bg is not None:
            bb, bgg, br, ba = bg
            draw.rectangle((bar, 0, bar + radius_px, h - 1), fill=(br, bgg, bb, ba))
    b, g, r = fg
    y = pad_px
    for line in lines:
        draw.text((pad_px + bar, y), line, font=f, fill=(r, g, b, 255))
        y += line_h + gap
    rgba = np.asarray(img, dtype=np.uint8)
    bgr = np.ascontiguousarray(rgba[..., 2::-1])
    alpha = rgba[..., 3].astype(np.float32) / 255.0
    bgr.setflags(write=False)
    alpha.setflags(write=False)
    return bgr, alpha


def blit(frame: NDArray[np.uint8], patch: Patch, x: int, y: int) -> NDArray[np.uint8]:
    """Alpha-blend ``patch`` into ``frame`` (in place) with its top-left corner at ``(x, y)``; clipped to the frame."""
    pix, alpha = patch
    h, w = alpha.shape
    fh, fw = frame.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, fw), min(y + h, fh)
    if x0 >= x1 or y0 >= y1:
        return frame
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    src = pix[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)
    dst = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (dst + (src - dst) * a + 0.5).astype(np.uint8)
    return frame


def size(patch: Patch) -> tuple[int, int]:
    """``(width, height)`` of a rendered patch."""
    return int(patch[1].shape[1]), int(patch[1].shape[0])
