"""The NaN-ignoring statistics the stages share: the centred running median against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from hingecoach.nanstats import rolling_nanmedian


def _loop(x: np.ndarray, w: int) -> np.ndarray:
    """The running median the slow way: each frame's window, its finite values, their median."""
    cols = x.reshape(x.shape[0], -1)
    half, out = w // 2, np.full(cols.shape, np.nan)
    for i in range(cols.shape[0]):
        for j in range(cols.shape[1]):
            win = cols[max(0, i - half) : i + half + 1, j]
            if np.isfinite(win).any():
                out[i, j] = np.median(win[np.isfinite(win)])
    return out.reshape(x.shape)


@pytest.mark.parametrize("w", [1, 3, 5, 15])
def test_rolling_median_matches_a_loop_with_holes_and_short_ends(w: int) -> None:
    rng = np.random.default_rng(w)
    x = rng.normal(size=(60, 3))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[20:40, 1] = np.nan  # a hole longer than the window: NaN inside it, numbers at its edges
    got = rolling_nanmedian(x, w)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, _loop(x, w), equal_nan=True)
    np.testing.assert_allclose(rolling_nanmedian(x[:, 0], w), _loop(x[:, 0], w), equal_nan=True)
    assert np.isnan(got[30, 1]) == (w < 21)


def test_rolling_median_needs_an_odd_window() -> None:
    with pytest.raises(ValueError, match="odd window"):
        rolling_nanmedian(np.zeros(10), 4)
