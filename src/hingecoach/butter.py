"""Butterworth low-pass design and second-order-section filtering in NumPy alone.

Why not ``scipy.signal``: importing it costs a fresh process ~1.5 s (it pulls in most of SciPy's linear algebra
and special functions), which every batch and chunk worker paid for three functions — ``butter``,
``sosfilt_zi`` and ``sosfilt``. A low-pass Butterworth of the orders the project uses is a few lines: the same
steps as SciPy (analog poles, pre-warped, bilinear transform, conjugate pairs as sections, gain in the first
section), so the coefficients and the filtered samples agree with SciPy's to rounding (a test compares them).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def butter_lowpass_sos(n: int, cutoff_hz: float, fs: float) -> FloatArray:
    """``scipy.signal.butter(n, cutoff_hz, btype="low", fs=fs, output="sos")``: ``(ceil(n/2), 6)`` sections.

    Sections hold pole pairs ordered as SciPy's ``zpk2sos`` orders them (the poles nearest the unit circle last);
    for odd ``n`` the real pole gets the first section, and the last pair the odd zero at -1 (with one at the origin).
    """
    if n < 1 or not 0 < cutoff_hz < 0.5 * fs:
        raise ValueError(f"need n >= 1 and 0 < cutoff < fs/2 (got n={n}, cutoff={cutoff_hz}, fs={fs})")
    wn = 2.0 * cutoff_hz / fs  # normalised to Nyquist, as SciPy does before designing at fs = 2
    warped = 2.0 * 2.0 * np.tan(np.pi * wn / 2.0)
    m = np.arange(-n + 1, n, 2)
    p = -np.exp(1j * np.pi * m / (2 * n)) * warped  # analog prototype, scaled to the warped cut-off
    k = warped**n
    pz = (4.0 + p) / (4.0 - p)  # bilinear transform at fs = 2; the n zeros go to -1
    kz = float(k * np.real(1.0 / np.prod(4.0 - p)))
    # Pair poles as zpk2sos does: take the pole nearest the unit circle with its conjugate, building from the end.
    upper = [q for q in pz if q.imag > 0]
    real = [q.real for q in pz if abs(q.imag) == 0]
    upper.sort(key=lambda q: abs(1 - abs(q)))  # nearest the unit circle first
    sections: list[list[float]] = []
    for q in upper:
        sections.insert(0, [1.0, 2.0, 1.0, 1.0, -2.0 * q.real, abs(q) ** 2])
    for r in real:
        sections.insert(0, [1.0, 2.0, 1.0, 1.0, -r, 0.0])
    sos = np.array(sections, dtype=np.float64)
    if real:  # SciPy's pairing: the odd zero (with the padded one at the origin) goes with the last pole pair
        sos[-1, :3] = (1.0, 1.0, 0.0)
    sos[0, :3] *= kz
    return sos


def sosfilt_zi(sos: FloatArray) -> FloatArray:
    """``scipy.signal.sosfilt_zi``: the ``(n_sections, 2)`` state of a step response's steady state (unit input)."""
    zi = np.empty((sos.shape[0], 2))
    scale = 1.0
    for s, sec in enumerate(sos):
        b, a = sec[:3] / sec[3], sec[3:] / sec[3]
        i_minus_a = np.eye(2) - np.array([[-a[1], -a[2]], [1.0, 0.0]]).T
        zi[s] = scale * np.linalg.solve(i_minus_a, b[1:] - a[1:] * b[0])
        scale *= b.sum() / a.sum()
    return zi


def sosfilt(sos: FloatArray, x: FloatArray, zi: FloatArray) -> FloatArray:
    """``scipy.signal.sosfilt(sos, x, axis=0, zi=zi)[0]`` (direct form II transposed), vectorised over columns.

    ``zi`` is ``(n_sections, 2, *x.shape[1:])``. The loop runs over samples (hundreds to a few thousand per clip),
    each step one NumPy operation on all columns at once.
    """
    y = np.array(x, dtype=np.float64, copy=True)
    for s, (b0, b1, b2, a0, a1, a2) in enumerate(sos):
        b0, b1, b2, a1, a2 = b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0
        z0 = np.array(zi[s, 0], dtype=np.float64, copy=True)
        z1 = np.array(zi[s, 1], dtype=np.float64, copy=True)
        for t in range(y.shape[0]):
            xt = y[t].copy()
            yt = b0 * xt + z0
            z0 = b1 * xt - a1 * yt + z1
            z1 = b2 * xt - a2 * yt
            y[t] = yt
    return y
