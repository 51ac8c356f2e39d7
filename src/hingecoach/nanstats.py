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


def nanmedian(a: NDArray[Any], axis: int | tuple[int, ...]) -> FloatArray:
    """``np.nanmedian`` along ``axis``; NaN (silently) where a slice has no number."""
    return _reduce(np.nanmedian, a, axis)
