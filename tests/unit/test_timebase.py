"""Time from timestamps: a variable-frame-rate clip keeps its true rep times, velocities and holds.

Every test builds an uneven clip from a fine synthetic one (120 fps) by keeping frames at changing intervals, and
labels it with the *nominal* rate a phone's container would claim (30 fps). Counting frames and dividing by that rate
gives wrong times exactly there; the pipeline must read each frame's own timestamp.
"""

from __future__ import annotations

import numpy as np
import pytest

from hingecoach import measures, reps, timebase
from hingecoach.analysis import analyze_track
from hingecoach.devtools.synth import CameraSpec, HingeSpec, NoiseSpec, SynthResult, generate
from hingecoach.kinematics import compute_kinematics
from hingecoach.reps import segment_reps
from hingecoach.track import PoseTrack

FINE_FPS = 120.0
NOMINAL_FPS = 30.0


def _keep(track: PoseTrack, keep: np.ndarray, fps: float = NOMINAL_FPS) -> PoseTrack:
    """The frames ``keep`` of ``track``, with their true timestamps, labelled with a nominal rate."""
    return PoseTrack.from_numpy(
        track.xy_px[keep],
        fps,
        track.image_wh,
        visibility=track.visibility[keep],
        t_s=track.t_s[keep],
        world_m=None if track.world_m is None else track.world_m[keep],
        n_people=None if track.n_people is None else track.n_people[keep],
        back_profile=None if track.back_profile is None else track.back_profile[keep],
        source="uneven " + track.source,
    )


def _uneven(r: SynthResult, rng_seed: int = 0) -> np.ndarray:
    """Frame indices of the fine clip at intervals of 1/60, 1/30 and 1/12 s in random stretches (mean ≈ 22 fps)."""
    rng = np.random.default_rng(rng_seed)
    n = r.track.n_frames
    idx = [0]
    while True:
        step = int(rng.choice([2, 4, 10], p=[0.3, 0.4, 0.3]))
        for _ in range(int(rng.integers(3, 12))):
            if idx[-1] + step >= n:
                return np.asarray(idx)
            idx.append(idx[-1] + step)


def test_frame_durations_are_one_over_fps_on_an_even_clip_and_true_time_on_an_uneven_one() -> None:
    t = np.arange(10) / 30.0
    assert np.allclose(timebase.frame_dt(t), 1 / 30)
    assert timebase.duration_s(t, slice(0, 9)) == pytest.approx(9 / 30)
    assert timebase.last_within(t, 2, 0.1) == 5 and timebase.first_within(t, 5, 0.1) == 2
    # To the nearest frame: 1 s at 29.97 fps reaches 30 frames on (1.001 s), as round(1.0 * 29.97) frames did.
    ntsc = np.arange(100) / (30000 / 1001)
    assert timebase.last_within(ntsc, 10, 1.0) == 40 and timebase.first_within(ntsc, 40, 1.0) == 10
    assert timebase.lasts_at_least(float(ntsc[45] - ntsc[0]), 1.5, ntsc)  # 45 frames: 1.5015 s
    assert not timebase.lasts_at_least(float(ntsc[44] - ntsc[0]), 1.5, ntsc)
    uneven = np.array([0.0, 0.1, 0.2, 0.25, 0.3, 1.3])
    assert timebase.duration_s(uneven, slice(None)) == pytest.approx(1.3 + 0.1 / 2 + 1.0 / 2)
    assert timebase.last_within(uneven, 1, 0.2) == 4 and timebase.last_within(uneven, 4, 0.5) == 4


def test_velocity_uses_the_timestamps() -> None:
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.choice([1 / 60, 1 / 30, 1 / 10], size=200))
    x = 40.0 * np.sin(2 * np.pi * 0.5 * t)
    truth = 40.0 * 2 * np.pi * 0.5 * np.cos(2 * np.pi * 0.5 * t)
    v = reps._velocity(x, t)
    inner = slice(3, -3)
    assert np.max(np.abs(v[inner] - truth[inner])) < 0.12 * np.max(np.abs(truth))
    counted = np.gradient(x) * NOMINAL_FPS  # what a frame count at the nominal rate says
    assert np.max(np.abs(counted[inner] - truth[inner])) > 0.5 * np.max(np.abs(truth))


def test_rep_times_on_an_uneven_clip_match_the_truth() -> None:
    fine = generate(HingeSpec(reps=4), CameraSpec(fps=FINE_FPS), NoiseSpec(noise_px=1.0, seed=4))
    keep = _uneven(fine)
    track = _keep(fine.track, keep)
    found = segment_reps(compute_kinematics(track))
    assert len(found) == len(fine.reps) == 4
    for f, g in zip(found, fine.reps, strict=True):
        assert f.start_s == pytest.approx(g.start / FINE_FPS, abs=0.25)
        assert f.bottom_s == pytest.approx(g.bottom / FINE_FPS, abs=0.25)
        assert f.end_s == pytest.approx(g.end / FINE_FPS, abs=0.25)
        true_descent = (g.bottom - g.start) / FINE_FPS
        assert f.descent_s == pytest.approx(true_descent, abs=0.3)
    # Counting the frames at the nominal 30 fps would shrink every rep by about a quarter.
    counted = [(f.end - f.start) / track.fps for f in found]
    true = [(g.end - g.start) / FINE_FPS for g in fine.reps]
    assert all(c < 0.9 * t for c, t in zip(counted, true, strict=True))
    # The whole analysis reports the true times too.
    a = analyze_track(track, drill="rdl").analysis
    assert [r.start_s for r in a.reps] == pytest.approx([f.start_s for f in found], abs=1e-3)


def test_a_long_setup_hold_filmed_at_a_low_frame_rate_is_still_the_setup() -> None:
    # A 2 s grip at the bar before the pull; the phone drops to 12 fps during it (about 22 frames: 0.7 s at a nominal
    # 30 fps, below the 1.5 s set-up hold) and films at 30 fps otherwise. The truth's bottom is the hold's middle.
    spec = HingeSpec(reps=1, hip_flexion_deg=110, knee_flexion_deg=55, bottom_s=2.0)
    fine = generate(spec, CameraSpec(fps=FINE_FPS), NoiseSpec(noise_px=1.0, seed=4))
    g = fine.reps[0]
    hold_lo, hold_hi = g.bottom - int(0.9 * FINE_FPS), g.bottom + int(0.9 * FINE_FPS)
    t_fine = np.arange(fine.track.n_frames)
    keep = np.sort(
        np.concatenate(
            [t_fine[:hold_lo:4], t_fine[hold_lo:hold_hi:10], t_fine[hold_hi::4]]  # 30 fps, 12 fps, 30 fps
        )
    )
    track = _keep(fine.track, keep)
    (f,) = segment_reps(compute_kinematics(track))
    lift_off_s = g.bottom / FINE_FPS + 1.0
    assert f.start == f.bottom  # the hold is the set-up: the rep starts at lift-off
    assert f.start_s == pytest.approx(lift_off_s, abs=0.25)
    held = track.t_s[(track.t_s > lift_off_s - 2.0) & (track.t_s < lift_off_s)]
    assert held.size / track.fps < reps.SETUP_HOLD_S  # counted in frames, the hold would look too short


def test_an_extreme_is_held_for_its_true_time() -> None:
    # Hands dip to 0.2 for two frames 1/15 s apart (held 0.13 s): on the timestamps that is held (HOLD_S 0.1 s);
    # counted at a nominal 60 fps the two frames would be 0.033 s, a spike.
    t = np.concatenate([np.arange(10) / 60, 10 / 60 + np.arange(1, 3) / 15, 10 / 60 + 2 / 15 + np.arange(1, 11) / 60])
    hand = np.full(t.shape, 0.6)
    hand[10:12] = 0.2
    series = {"hip_flexion_deg": np.full(t.shape, 80.0), "hand_height": hand}
    timed = measures.RepWindow(series=series, fps=60.0, bottom=10, t_s=t)
    counted = measures.RepWindow(series=series, fps=60.0, bottom=10)
    m_timed, m_counted = measures.measure_hand_depth(timed), measures.measure_hand_depth(counted)
    assert m_timed is not None and m_timed.value == pytest.approx(0.2)
    assert m_counted is not None and m_counted.value == pytest.approx(0.6)


def test_even_clips_keep_their_frame_rules() -> None:
    # 3 frames hold 0.1 s at 30 fps, 6 at 60: the time rule gives the frame counts the constants were written for.
    for fps, n in ((30.0, 3), (60.0, 6)):
        t = np.arange(40) / fps
        x = np.zeros(40)
        x[10 : 10 + n] = 5.0
        held = measures._held(x, t, "max")
        assert np.nanmax(held) == 5.0
        x[10 + n - 1] = 0.0
        assert np.nanmax(measures._held(x, t, "max")) == 0.0
