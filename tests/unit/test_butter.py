"""The NumPy Butterworth design and filter against scipy.signal (which stays a dependency for the tests)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import signal

from hingecoach.butter import butter_lowpass_sos, sosfilt, sosfilt_zi
from hingecoach.filtering import lowpass


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize(("cutoff", "fs"), [(6.0, 30.0), (6.0, 60.0), (3.0, 24.0), (6.0, 15.0), (12.0, 120.0)])
def test_design_and_state_match_scipy(n: int, cutoff: float, fs: float) -> None:
    ref = signal.butter(n, cutoff, btype="low", fs=fs, output="sos")
    sos = butter_lowpass_sos(n, cutoff, fs)
    assert sos.shape == ref.shape
    np.testing.assert_allclose(sos[:, 3:], ref[:, 3:], rtol=0, atol=1e-12)  # the same poles, section by section
    if n % 2 == 0:  # all zeros at -1 in pairs: the same sections
        np.testing.assert_allclose(sos, ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(sosfilt_zi(sos), signal.sosfilt_zi(ref), rtol=0, atol=1e-12)
    else:  # SciPy may seat the odd zero in another section (near Nyquist): the same zeros and gain overall
        prod = functools.reduce(np.convolve, sos[:, :3])
        np.testing.assert_allclose(prod, functools.reduce(np.convolve, ref[:, :3]), rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_sosfilt_matches_scipy_with_state(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(size=(97, 5)).cumsum(axis=0)
    sos = signal.butter(n, 5.0, fs=30.0, output="sos")
    zi = signal.sosfilt_zi(sos)[:, :, None] * x[:1]
    ref, _ = signal.sosfilt(sos, x, axis=0, zi=zi)
    np.testing.assert_allclose(sosfilt(sos, x, zi), ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("order", [2, 4, 6])
@pytest.mark.parametrize(("cutoff", "fps"), [(6.0, 30.0), (6.0, 59.94), (4.0, 25.0)])
@pytest.mark.parametrize("length", [13, 16, 40, 301])
def test_lowpass_matches_scipy_sosfiltfilt(order: int, cutoff: float, fps: float, length: int) -> None:
    rng = np.random.default_rng(length)
    x = 300 + rng.normal(scale=20, size=(length, 4)).cumsum(axis=0)
    sos = signal.butter(max(order // 2, 1), cutoff, fs=fps, output="sos")
    padlen = 3 * (2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum())))
    got = lowpass(x, fps, cutoff_hz=cutoff, order=order)
    if length <= padlen:  # too short for the padding: left as it is
        np.testing.assert_array_equal(got, x)
    else:
        ref = signal.sosfiltfilt(sos, x, axis=0, padtype="odd", padlen=padlen)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * np.abs(x).max())


def test_filtering_does_not_import_scipy_signal() -> None:
    import subprocess
    import sys

    code = "import sys, hingecoach.filtering; print('scipy.signal' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
