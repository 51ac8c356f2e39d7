"""The synthetic lifter: its ground truth must be exactly what its spec says (everyone's tests rely on it)."""

import numpy as np
import pytest

from hingecoach.backline import DORSAL_U, axis_position, dowel
from hingecoach.devtools.synth import (
    CameraSpec,
    HingeSpec,
    NoiseSpec,
    back_profile_from_curvature,
    generate,
    swap_sides,
)
from hingecoach.skeleton import INDEX, sided


def test_truth_angles_reach_the_spec_at_the_bottom_and_top() -> None:
    r = generate(HingeSpec(reps=2, hip_flexion_deg=85, knee_flexion_deg=25, shin_ratio=0.5))
    a = r.angles
    for rep in r.reps:
        assert a["hip_flexion_deg"][rep.bottom] == pytest.approx(85.0, abs=1e-6)
        assert a["knee_flexion_deg"][rep.bottom] == pytest.approx(25.0, abs=1e-6)
        assert a["shin_angle_deg"][rep.bottom] == pytest.approx(12.5, abs=1e-6)
        # trunk = hip flexion + thigh inclination (shin − knee flexion): 85 + 12.5 − 25
        assert a["trunk_incline_deg"][rep.bottom] == pytest.approx(72.5, abs=1e-6)
        assert a["hip_flexion_deg"][rep.end] == pytest.approx(0.0, abs=1e-6)
    assert np.nanmax(a["hip_flexion_deg"]) == pytest.approx(85.0, abs=1e-6)


def test_timeline_and_rep_truth_follow_the_tempo() -> None:
    spec = HingeSpec(reps=3, descent_s=1.0, bottom_s=0.2, ascent_s=0.8, top_s=0.5, setup_s=1.0, tail_s=0.5)
    r = generate(spec, CameraSpec(fps=50.0))
    assert r.track.n_frames == round((1.0 + 3 * (1.0 + 0.2 + 0.8) + 2 * 0.5 + 0.5) * 50) + 1
    first = r.reps[0]
    assert (first.start, first.bottom, first.end, first.lockout) == (50, 105, 150, 150)
    assert [b.start - a.start for a, b in zip(r.reps, r.reps[1:], strict=False)] == [125, 125]
    assert r.phases[0] == 0 and r.phases[first.start + 5] == 1 and r.phases[first.bottom] == 2
    assert r.phases[first.end - 5] == 3 and r.phases[first.end + 5] == 4


def test_floor_start_begins_at_the_bottom_and_ends_with_a_set_down() -> None:
    r = generate(HingeSpec(reps=2, start="floor", hip_flexion_deg=110, knee_flexion_deg=60))
    h = r.angles["hip_flexion_deg"]
    assert h[0] == pytest.approx(110.0, abs=1e-6)
    assert h[-1] == pytest.approx(110.0, abs=1e-6)
    assert r.reps[0].start == r.reps[0].bottom  # a pull from the floor has no descent
    assert r.reps[1].start < r.reps[1].bottom < r.reps[1].end


def test_lockout_deficit_and_lean_back_change_only_the_top() -> None:
    short = generate(HingeSpec(reps=1, lockout_deficit_deg=45, start="floor"))
    assert short.reps[0].lockout is None
    assert short.reps[0].top_hip_flexion_deg == pytest.approx(45.0)
    lean = generate(HingeSpec(reps=1, lean_back_deg=15))
    assert np.nanmin(lean.angles["hip_flexion_deg"]) == pytest.approx(-15.0, abs=1e-6)
    assert np.nanmax(lean.angles["hip_extension_deg"]) == pytest.approx(15.0, abs=1e-6)


def test_faults_only_in_the_named_reps() -> None:
    r = generate(HingeSpec(reps=3, head_drop_deg=25, trunk_round_deg=30, fault_reps=(2,)))
    head = r.angles["head_offset"]
    bulge = r.angles["dowel_bow"]
    b1, b2 = r.reps[0].bottom, r.reps[1].bottom
    assert head[b1] == pytest.approx(0.0, abs=1e-9) and bulge[b1] == pytest.approx(0.0, abs=1e-9)
    # Rounding tips the neck by half the spinal bend: ear offset = neck × sin(15° + 25°) / chord.
    assert head[b2] == pytest.approx(0.100 * np.sin(np.radians(40)) / (0.288 * np.sin(np.radians(15)) / np.radians(15)))
    assert bulge[b2] > 0.01
    assert bulge[r.reps[2].bottom] == pytest.approx(0.0, abs=1e-9)


def test_back_profile_is_a_circular_arc_in_backline_format() -> None:
    prof = back_profile_from_curvature(np.array([0.0, 20.0, 40.0, -20.0]), thickness=0.2)
    assert prof.shape == (4, DORSAL_U.shape[0])
    trunk = (DORSAL_U >= 0) & (DORSAL_U <= 1)
    assert np.allclose(prof[0][np.isfinite(prof[0])], 0.2)
    # Offset of a circular arc (bend β, unit chord) from its chord at x from mid-chord: sqrt(R² − x²) − R·cos(β/2).
    x = DORSAL_U[trunk] - 0.5
    for row, deg in ((1, 20.0), (2, 40.0)):
        beta = np.radians(deg)
        rc = 1 / (2 * np.sin(beta / 2))
        assert np.allclose(prof[row][trunk] - 0.2, np.sqrt(rc**2 - x**2) - rc * np.cos(beta / 2), atol=1e-12)
    mid = int(np.argmin(np.abs(DORSAL_U - 0.5)))
    assert prof[1, mid] - 0.2 == pytest.approx(np.radians(20) / 8, rel=0.01)  # small-bend sagitta β/8
    assert np.allclose(prof[3][trunk] - 0.2, -(prof[1][trunk] - 0.2))  # an arched back bows the other way
    assert np.isnan(prof[:, DORSAL_U > 1.6]).all()  # nothing above the head
    d = dowel(prof, np.full(4, 1.3))
    assert d.bow[0] == pytest.approx(0.0, abs=1e-9)
    assert d.bow[2] > d.bow[1] > 0.0 and d.bow[3] <= 1e-9  # an arched back does not bow out
    assert d.head_gap[2] > d.head_gap[1] >= -1e-9


def test_back_profile_in_the_track_when_asked() -> None:
    r = generate(HingeSpec(reps=1, trunk_round_deg=30), back_profile_k=1)
    assert r.track.back_profile is not None and r.track.back_profile.shape == (r.track.n_frames, DORSAL_U.shape[0])
    b = r.reps[0].bottom
    got = dowel(r.track.back_profile, axis_position(r.track.xy_px, "ear"))
    assert got.bow[b] == pytest.approx(r.angles["dowel_bow"][b])
    assert generate(HingeSpec(reps=1)).track.back_profile is None



@pytest.mark.parametrize("facing", ["left", "right"])
def test_side_camera_shows_the_facing_side_and_points_the_toes(facing: str) -> None:
    r = generate(HingeSpec(reps=1), CameraSpec(facing=facing))  # type: ignore[arg-type]
    xy = r.track.xy_px
    toe_minus_heel = xy[:, sided("left", "foot_index"), 0] - xy[:, sided("left", "heel"), 0]
    assert np.all(np.sign(toe_minus_heel) == (1 if facing == "right" else -1))
    assert r.side == facing  # facing right in the image shows the right side to the camera
    near, far = sided(facing, "hip"), sided("left" if facing == "right" else "right", "hip")  # type: ignore[arg-type]
    assert np.all(r.track.visibility[:, near] > r.track.visibility[:, far])
    world = r.track.world_m
    assert world is not None
    assert np.all(world[:, near, 2] < world[:, far, 2])  # nearer = smaller z
    mid = world[:, [INDEX["left_hip"], INDEX["right_hip"]]].mean(axis=1)
    assert np.allclose(mid, 0.0, atol=1e-9)  # hip-centred like BlazePose


def test_front_camera_spreads_left_and_right() -> None:
    r = generate(HingeSpec(reps=1), CameraSpec(yaw_deg=90))
    xy = r.track.xy_px
    # Facing the camera, the lifter's left shoulder is on the image right.
    assert np.all(xy[:, INDEX["left_shoulder"], 0] > xy[:, INDEX["right_shoulder"], 0] + 50)


def test_noise_dropouts_gaps_and_swaps_are_where_the_truth_says() -> None:
    noise = NoiseSpec(noise_px=2.0, occlusion_frac=0.05, gaps_s=((1.0, 0.5),), swap_frac=0.05, seed=4)
    r = generate(HingeSpec(reps=2, single_leg=True), CameraSpec(), noise)
    clean = generate(HingeSpec(reps=2, single_leg=True), CameraSpec())
    tr = r.track
    gap = (tr.t_s >= 1.0) & (tr.t_s < 1.5)
    assert np.isnan(tr.xy_px[gap]).all() and (tr.visibility[gap] == 0).all()
    assert tr.n_people is not None and (tr.n_people[gap] == 0).all()
    assert 0.02 < r.swapped.mean() < 0.08
    sel = r.swapped & ~gap
    li, ri = sided("left", "knee"), sided("right", "knee")
    # In swapped frames the left knee sits where the clean right knee is (up to noise/occlusion).
    d_swapped = np.linalg.norm(tr.xy_px[sel, li] - clean.track.xy_px[sel, ri], axis=-1)
    assert np.median(d_swapped) < 10
    low = tr.visibility < 0.35
    assert 0.03 < low[~gap].mean() < 0.08


def test_swap_sides_exchanges_labels() -> None:
    xy = np.arange(2 * 33 * 2, dtype=float).reshape(2, 33, 2)
    out = swap_sides(xy, np.array([False, True]), ("knee",))
    assert np.array_equal(out[0], xy[0])
    assert np.array_equal(out[1, sided("left", "knee")], xy[1, sided("right", "knee")])
    assert np.array_equal(out[1, sided("right", "knee")], xy[1, sided("left", "knee")])


def test_hip_thrust_closes_the_chain_on_bench_and_floor() -> None:
    r = generate(HingeSpec(reps=1, horizontal=True, hip_flexion_deg=80))
    h = r.angles["hip_flexion_deg"]
    assert np.nanmax(h) == pytest.approx(80.0, abs=0.05)
    assert np.nanmin(h) == pytest.approx(0.0, abs=0.05)
    assert np.nanmin(r.angles["knee_flexion_deg"]) == pytest.approx(90.0, abs=0.5)  # shins vertical at the top
    assert np.isnan(r.angles["hand_height"]).all()  # undefined when lying down


def test_single_leg_free_leg_lines_up_with_the_trunk() -> None:
    r = generate(HingeSpec(reps=1, single_leg=True, stance_side="left"), CameraSpec(facing="left"))
    assert r.side == "left"
    assert np.nanmax(r.angles["hip_flexion_deg"]) == pytest.approx(80.0, abs=1e-6)
    assert np.nanmax(np.abs(r.angles["hip_flexion_far_deg"])) == pytest.approx(0.0, abs=1e-6)


def test_valgus_and_pelvis_drop_show_in_the_frontal_plane() -> None:
    r = generate(HingeSpec(reps=1, knee_valgus_deg=15, pelvis_drop_deg=10), CameraSpec(yaw_deg=90))
    b = r.reps[0].bottom
    assert r.angles["pelvis_tilt_deg"][b] == pytest.approx(10.0, abs=1e-6)
    world = r.track.world_m
    assert world is not None
    knee_w = abs(world[b, INDEX["left_knee"], 0] - world[b, INDEX["right_knee"], 0])
    ankle_w = abs(world[b, INDEX["left_ankle"], 0] - world[b, INDEX["right_ankle"], 0])
    assert knee_w < ankle_w - 0.1  # knees caved in by 2 × thigh × sin(15°) ≈ 0.22 m


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="hips_rise_first"):
        HingeSpec(hips_rise_first=1.5)
    with pytest.raises(ValueError, match="durations"):
        HingeSpec(descent_s=0.0)
