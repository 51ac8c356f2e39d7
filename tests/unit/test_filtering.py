"""Cleaning steps against inputs whose correct output is known."""

import numpy as np
import pytest

from hingecoach.devtools.synth import CameraSpec, HingeSpec, NoiseSpec, generate
from hingecoach.filtering import (
    OneEuroFilter,
    apply_swaps,
    body_scale_px,
    clean_track,
    detect_swaps,
    fill_gaps,
    gate_visibility,
    is_clean,
    lowpass,
    reject_jumps,
)
from hingecoach.skeleton import N_LANDMARKS, sided
from hingecoach.track import PoseTrack


def test_gate_visibility_blanks_doubtful_landmarks() -> None:
    xy = np.ones((3, N_LANDMARKS, 2))
    vis = np.full((3, N_LANDMARKS), 0.9)
    vis[1, 5] = 0.3
    out = gate_visibility(xy, vis, 0.5)
    assert np.isnan(out[1, 5]).all()
    assert np.isfinite(out).sum() == xy.size - 2


def test_fill_gaps_interpolates_short_holes_only() -> None:
    x = np.arange(20, dtype=float)[:, None] * 2.0
    x[3:5] = np.nan  # 2 samples: filled
    x[8:14] = np.nan  # 6 samples: too long
    x[0] = np.nan  # leading: stays
    out, filled = fill_gaps(x, max_gap=3)
    assert np.allclose(out[3:5, 0], [6.0, 8.0])
    assert np.isnan(out[8:14]).all() and np.isnan(out[0]).all()
    assert filled[:, 0].tolist() == [i in (3, 4) for i in range(20)]


def test_lowpass_keeps_slow_motion_and_removes_fast_jitter() -> None:
    fps = 30.0
    t = np.arange(300) / fps
    slow = 50 * np.sin(2 * np.pi * 0.5 * t)
    fast = 5 * np.sin(2 * np.pi * 12 * t)
    out = lowpass((slow + fast)[:, None], fps, cutoff_hz=6.0, order=4)[:, 0]
    core = slice(30, -30)
    assert np.max(np.abs(out[core] - slow[core])) < 0.5  # 12 Hz attenuated ~100×, 0.5 Hz untouched, no lag


def test_lowpass_runs_per_segment_and_leaves_gaps() -> None:
    x = np.linspace(0, 10, 100)[:, None]
    x[40:45] = np.nan
    x[85:90] = np.nan
    x[95:] = np.nan
    x[90:95] = 3.0  # an isolated 5-sample run: shorter than the filter's padding, left untouched
    out = lowpass(x, 30.0, cutoff_hz=3.0, order=4)
    assert np.isnan(out[40:45]).all() and np.isnan(out[95:]).all()
    assert np.allclose(out[90:95], 3.0)
    assert np.allclose(out[5:35, 0], x[5:35, 0], atol=1e-2)  # a straight line passes a zero-phase low-pass


def test_lowpass_at_nyquist_is_identity() -> None:
    x = np.random.default_rng(0).normal(size=(50, 2))
    assert np.array_equal(lowpass(x, 10.0, cutoff_hz=6.0, order=4), x)


def test_reject_jumps_removes_spikes_but_follows_fast_motion() -> None:
    n = 60
    xy = np.zeros((n, N_LANDMARKS, 2))
    xy[:, :, 0] = np.linspace(0, 600, n)[:, None]  # 10 px/frame: fast but smooth
    xy[20, 3] += [0.0, 80.0]  # one-frame spike
    xy[30:32, 7] += [70.0, 0.0]  # two-frame spike
    bad = reject_jumps(xy, scale_px=100.0)
    assert bad[20, 3] and bad[30, 7] and bad[31, 7]
    assert bad.sum() == 3


def test_swap_bursts_are_found_and_undone(rng: np.random.Generator) -> None:
    spec = HingeSpec(reps=2, single_leg=True)  # legs apart: a swap moves the knee by a thigh length
    noisy = generate(spec, CameraSpec(), NoiseSpec(noise_px=1.0, swap_frac=0.06, seed=int(rng.integers(1000))))
    xy = gate_visibility(noisy.track.xy_px, noisy.track.visibility, 0.5)
    found = detect_swaps(xy, scale_px=body_scale_px(xy), fps=30.0)
    assert noisy.swapped.any()
    assert np.array_equal(found[:, 0], noisy.swapped)  # legs group: every swapped frame, nothing else
    assert not found[:, 1:].any()
    fixed = apply_swaps(noisy.track.xy_px, found)
    truth = generate(spec, CameraSpec(), NoiseSpec(noise_px=1.0)).track.xy_px
    k = sided("right", "knee")
    assert np.max(np.linalg.norm(fixed[:, k] - truth[:, k], axis=-1)) < 12


def test_a_lone_swap_is_not_guessed() -> None:
    r = generate(HingeSpec(reps=1, single_leg=True), CameraSpec(yaw_deg=90))
    xy = r.track.xy_px.copy()
    half = np.arange(xy.shape[0]) >= xy.shape[0] // 2
    from hingecoach.devtools.synth import swap_sides

    xy = swap_sides(xy, half, ("hip", "knee", "ankle", "heel", "foot_index"))
    assert not detect_swaps(xy, scale_px=body_scale_px(xy), fps=30.0).any()


def test_clean_track_logs_each_step_and_marks_the_track() -> None:
    r = generate(HingeSpec(reps=1), CameraSpec(), NoiseSpec(noise_px=1.0, occlusion_frac=0.05, seed=2))
    assert not is_clean(r.track)
    out = clean_track(r.track)
    assert is_clean(out)
    steps = [e.split("(")[0].split(":")[0] for e in out.log]
    assert steps == [
        "clean_track.gate_visibility",
        "clean_track.repair_swaps",
        "clean_track.reject_jumps",
        "clean_track.fill_gaps",
        "clean_track.lowpass",
        "clean_track",
    ]
    # Occluded landmarks were refilled (short interior holes) and flagged with the gate's visibility.
    inner = slice(3, -3)
    assert np.isfinite(out.xy_px[inner]).all()
    assert out.world_m is not None and np.isfinite(out.world_m[inner]).all()
    occluded = r.track.visibility[inner] < 0.5
    assert occluded.sum() > 50
    assert np.array_equal(out.visibility[inner] == 0.5, occluded)


def test_clean_track_leaves_long_gaps_missing() -> None:
    r = generate(HingeSpec(reps=1), CameraSpec(), NoiseSpec(gaps_s=((1.0, 0.6),)))
    out = clean_track(r.track, max_gap_s=0.25)
    gap = (r.track.t_s >= 1.0) & (r.track.t_s < 1.6)
    assert np.isnan(out.xy_px[gap]).all() and (out.visibility[gap] == 0).all()
    assert np.isfinite(out.xy_px[~gap]).all()


def test_clean_track_reduces_noise_on_a_still_person(rng: np.random.Generator) -> None:
    n = 120
    xy = np.tile(rng.uniform(100, 500, size=(1, N_LANDMARKS, 2)), (n, 1, 1))
    noisy = xy + rng.normal(0, 3.0, size=xy.shape)
    out = clean_track(PoseTrack.from_numpy(noisy, 30.0, (640, 480)))
    err_in = np.sqrt(np.mean((noisy - xy) ** 2))
    err_out = np.sqrt(np.mean((out.xy_px[10:-10] - xy[10:-10]) ** 2))
    assert err_out < 0.6 * err_in


def test_one_euro_filter_smooths_still_input_and_follows_motion() -> None:
    rng = np.random.default_rng(1)
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.05)
    still = [f(np.array([100.0, 200.0]) + rng.normal(0, 2.0, 2), i / 30) for i in range(90)]
    assert np.std(np.array(still)[30:], axis=0).max() < 1.0  # input σ = 2 px
    f.reset()
    ramp = [f(np.array([10.0 * i, np.nan]), i / 30) for i in range(60)]
    assert abs(ramp[-1][0] - 590.0) < 15  # little lag at 300 px/s
    assert np.isnan(ramp[-1][1])
    with pytest.raises(ValueError, match="increase"):
        f(np.array([0.0, 0.0]), 0.0)
