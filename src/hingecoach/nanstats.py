"""NaN-ignoring statistics that never warn, so no stage needs to touch the process-wide warning filters.

Why: numpy's ``nanmean``/``nanmedian`` warn ("Mean of empty slice", "All-NaN slice encountered") on a slice with no
finite value, and the usual silencer, ``warnings.catch_warnings()``, swaps the *process-wide* filter list: two
analyses running in threads of one server can restore each other's filters in the wrong order. Here an all-NaN
slice is filled before numpy sees it and reported as NaN after, which is the answer the callers want anyway.
``np.errstate`` is left to the callers: it is thread- and context-local in numpy ≥ 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _reduce(fn: Any, a: NDArray[Any], axis: int | tuple[int, ...]) -> FloatArray:
    x = np.asarray(a, dtype=np.float64)
    empty = np.isnan(x).all(axis=axis, keepdims=True)
    if not empty.any():
        return np.asarray(fn(x, axis=axis), dtype=np.float64)
    out = fn(np.where(empty, 0.0, x), axis=axis)
    return np.asarray(np.where(np.squeeze(empty, axis=axis), np.nan, out), dtype=np.float64)


def nanmean(a: NDArray[Any], axis: int | tuple[int, ...]) -> FloatArray:
    """``np.nanmean`` along ``axis``; NaN (silently) where a slice has no number."""
    return _reduce(np.nanmean, a, axis)


def nanmedian(a: NDArray[Any], axis: int) -> FloatArray:
    """``np.nanmedian`` along ``axis``; NaN (silently) where a slice has no number.

    Sort-based (NaN sorts last; the middle of each slice's finite values is picked), which gives numpy's values
    exactly and is several times faster than ``np.nanmedian`` on the many short windows of a running median.
    """
    x = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    srt = np.sort(x, axis=-1)
    n = np.count_nonzero(~np.isnan(srt), axis=-1)
    lo = np.maximum((n - 1) // 2, 0)[..., None]
    hi = np.maximum(n // 2, 0)[..., None]
    mid = (np.take_along_axis(srt, lo, axis=-1) + np.take_along_axis(srt, hi, axis=-1))[..., 0] / 2.0
    return np.asarray(np.where(n > 0, mid, np.nan), dtype=np.float64)


def rolling_nanmedian(x: NDArray[Any], window: int) -> FloatArray:
    """Centred running median along axis 0 over ``window`` frames (odd), NaNs ignored; the ends see a shorter
    window (padded with NaN), so the output has the input's shape. NaN where a window holds no number.

    Why one helper: the landmark jump test, the angle screen and the overlay's back line all ask "what do the frames
    around this one say", and each must treat a lost frame as missing, not as zero.
    """
    if window < 1 or window % 2 == 0:
        raise ValueError(f"a centred running median needs an odd window, not {window}")
    a = np.asarray(x, dtype=np.float64)
    half = window // 2
    padded = np.pad(a, [(half, half)] + [(0, 0)] * (a.ndim - 1), constant_values=np.nan)
    return nanmedian(sliding_window_view(padded, window, axis=0), axis=-1)
