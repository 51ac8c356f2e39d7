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
