"""The person mask as the live page sends it: thresholded at the back line's level, run-length encoded.

Why this form: the back-line checks (:func:`hingecoach.backline.profile_from_mask`) need the silhouette's dorsal
edge to a pixel, at the resolution the model ran at — downsampling it would quantise the edge by more than the
checks' thresholds (0.012–0.02 trunk lengths, 2–3 px on a 640×480 camera). A person's silhouette is a few runs per
image row, so the run lengths of the whole thresholded mask, row-major, are a few kB per frame at full resolution,
lossless (the rows without the person collapse into single runs: the crop to the person's box comes for free).
Thresholding at :data:`hingecoach.backline.MASK_LEVEL` keeps exactly the pixels the profile counts as the person;
what is lost is only the soft edge's sub-pixel position (half a pixel at most).

Encoding (``static/mask.js`` writes it): ``{"w": W, "h": H, "rle": base64(uint16 little-endian runs)}``; runs
alternate background, person, background, ... starting with background; a run longer than 65535 is split by a
zero-length run of the other value; the runs sum to ``W * H``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

MAX_SIDE: Final[int] = 4096
MAX_RUNS: Final[int] = 60_000


class MaskError(ValueError):
    """A mask message that is not one the page writes."""


def decode_mask(mk: dict[str, Any]) -> NDArray[np.float32]:
    """The ``(H, W)`` float32 mask (1 = person, 0 = not) from the page's run-length form."""
    w, h, rle = mk.get("w"), mk.get("h"), mk.get("rle")
    if not (isinstance(w, int) and isinstance(h, int) and 0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
        raise MaskError("mask size must be two integers in 1..4096")
    if not isinstance(rle, str) or len(rle) > MAX_RUNS * 3:
        raise MaskError("mask runs must be a base64 string of bounded length")
    try:
        raw = base64.b64decode(rle, validate=True)
    except (binascii.Error, ValueError):
        raise MaskError("mask runs are not base64") from None
    if len(raw) % 2:
        raise MaskError("mask runs must be 16-bit")
    runs = np.frombuffer(raw, dtype="<u2").astype(np.int64)
    if int(runs.sum()) != w * h:
        raise MaskError(f"mask runs cover {int(runs.sum())} pixels, not {w} x {h}")
    values = (np.arange(runs.size) % 2).astype(np.float32)
    return np.repeat(values, runs).reshape(h, w)


def encode_mask(mask: NDArray[np.floating] | NDArray[np.bool_], level: float = 0.5) -> dict[str, Any]:
    """The page's encoding of a mask (for tests and benchmarks that play the page's part)."""
    m = np.asarray(mask)
    h, w = m.shape
    flat = (m >= level).ravel() if m.dtype != np.bool_ else m.ravel()
    change = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    edges = np.concatenate([[0], change, [flat.size]])
    lengths = np.diff(edges)
    if flat.size and flat[0]:
        lengths = np.concatenate([[0], lengths])
    out: list[int] = []
    for n in lengths.tolist():
        while n > 0xFFFF:  # split: 65535 of this value, 0 of the other, then the rest of this value
            out.extend([0xFFFF, 0])
            n -= 0xFFFF
        out.append(n)
    return {"w": int(w), "h": int(h), "rle": base64.b64encode(np.asarray(out, dtype="<u2").tobytes()).decode()}
