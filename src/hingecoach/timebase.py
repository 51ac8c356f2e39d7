"""Durations and time windows from each frame's own timestamp, never from a frame count and a nominal rate.

Why: frames do not arrive evenly. A phone records at a variable rate, the live page's browser delivers frames when it
can, a tracker capped with ``--max-fps`` keeps every other frame; a duration counted in frames and divided by the
nominal fps is wrong exactly there (15 frames are 0.5 s at 30 fps and 1 s where the phone dropped to 15). Every rule
of the form "held for 0.1 s", "a pause of 1.5 s", "within 0.2 s of the bottom" is measured here on ``t_s``.

A frame stands for the time from half-way to its previous frame to half-way to its next one (the first and last
frame: one whole gap), so ``k`` frames of an even ``fps`` clip last exactly ``k / fps``. A window of ``s`` seconds
reaches the frame *nearest* to ``s`` seconds away, and "lasts at least ``s``" allows half a frame: on an even clip
these give exactly the frame counts ``round(s * fps)`` the rules were written with (so today's clips are judged as
before), and on an uneven clip they follow the true time.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Tolerance (s) of every time comparison: 0.1 s is 3 frames at 30 fps, whatever the float rounding of 3 / 30.
EPS_S: Final[float] = 1e-6


def frame_edges(t_s: ArrayLike) -> FloatArray:
    """``(T + 1,)`` boundaries of the frames' time spans: midpoints between timestamps, one gap beyond each end."""
    t = np.asarray(t_s, dtype=np.float64)
    if t.shape[0] == 0:
        return np.zeros(1)
    if t.shape[0] == 1:
        return np.array([t[0], t[0]])
    mid = (t[1:] + t[:-1]) / 2
    return np.concatenate([[t[0] - (t[1] - t[0]) / 2], mid, [t[-1] + (t[-1] - t[-2]) / 2]])


def frame_dt(t_s: ArrayLike) -> FloatArray:
    """``(T,)`` the time each frame stands for (s): ``1 / fps`` on an even clip."""
    return np.diff(frame_edges(t_s))


def duration_s(t_s: ArrayLike, frames: NDArray[np.bool_] | slice) -> float:
    """Total time (s) the selected frames stand for (a mask or a slice; they need not be contiguous)."""
    return float(frame_dt(t_s)[frames].sum())


def half_frame_s(t_s: ArrayLike) -> float:
    """Half the typical interval between frames (s): the tolerance of "lasts at least" (0 with one frame)."""
    t = np.asarray(t_s, dtype=np.float64)
    return 0.5 * float(np.median(np.diff(t))) if t.shape[0] > 1 else 0.0


def _nearest(t_s: FloatArray, target: float, lo: int, hi: int) -> int:
    """The frame in ``[lo, hi]`` whose time is nearest ``target`` (a tie: the earlier one)."""
    j = int(np.clip(np.searchsorted(t_s, target, side="left"), lo, hi))
    if j > lo and abs(target - t_s[j - 1]) <= abs(t_s[j] - target) + EPS_S:
        return j - 1
    return j


def last_within(t_s: FloatArray, i: int, s: float) -> int:
    """The frame nearest ``s`` seconds after frame ``i`` (never before ``i``; a tie: the earlier of the two)."""
    n = int(np.asarray(t_s).shape[0])
    return _nearest(t_s, float(t_s[i]) + s, int(i), n - 1)


def first_within(t_s: FloatArray, i: int, s: float) -> int:
    """The frame nearest ``s`` seconds before frame ``i`` (never after ``i``; a tie: the later of the two)."""
    target = float(t_s[i]) - s
    j = int(np.clip(np.searchsorted(t_s, target, side="left"), 0, int(i)))
    if j > 0 and abs(target - t_s[j - 1]) < abs(t_s[j] - target) - EPS_S:
        return j - 1
    return j


def lasts_at_least(span_s: float, s: float, t_s: ArrayLike) -> bool:
    """Does a stretch whose ends lie ``span_s`` apart last ``s`` seconds, to the nearest frame (half a frame's
    tolerance: on an even clip, at least ``round(s * fps)`` frame intervals)?
    """
    return span_s >= s - half_frame_s(t_s) + EPS_S if s > 0 else True


def velocity(x: FloatArray, t_s: FloatArray) -> FloatArray:
    """``dx/dt`` per second on the frames' own timestamps (second-order central differences, uneven spacing)."""
    if x.shape[0] < 2:
        return np.zeros(x.shape)
    return np.asarray(np.gradient(x, t_s), dtype=np.float64)


def sample_rate_hz(t_s: ArrayLike, fallback: float) -> float:
    """The frame rate the timestamps show: 1 / their median interval (``fallback`` with fewer than two frames).

    Why not the container's nominal rate: a track analysed at a capped rate (``--max-fps``) keeps the source's
    nominal fps while holding half the frames, and a variable-rate phone clip's nominal rate is an average; filters
    whose parameters are counted in samples (a gap to fill, a running window) need the rate of the samples at hand.
    """
    t = np.asarray(t_s, dtype=np.float64)
    if t.shape[0] < 2:
        return float(fallback)
    dt = float(np.median(np.diff(t)))
    return float(1.0 / dt) if dt > 0 else float(fallback)
