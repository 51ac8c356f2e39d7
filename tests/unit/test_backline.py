"""The virtual dowel on silhouettes whose back is known exactly: each gap at its size, and nothing where there is none.

Silhouettes are drawn in the trunk frame (u along hip→shoulder, v dorsal, trunk lengths) and rendered into an image
mask at any tilt and facing; the profile read back from the mask and the dowel laid on it must give the injected
shapes: a thoracic hump, a dropped head, a craned head, a flexed lumbar spine, loose and fitted clothing.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from hingecoach.backline import (
    DORSAL_U,
    axis_position,
    dowel,
    front_normal,
    is_dorsal_profile,
    profile_from_mask,
    profiles_from_masks,
    to_image,
)
from hingecoach.skeleton import N_LANDMARKS, idx

Shape = Callable[[np.ndarray], np.ndarray]
EAR_U = 1.3
TOP_U = 1.55


def bump(centre: float, half_width: float, height: float) -> Shape:
    """A smooth cosine bump of ``height`` trunk lengths centred at ``centre`` (zero outside ±half_width)."""

    def f(u: np.ndarray) -> np.ndarray:
        x = np.clip((u - centre) / half_width, -1.0, 1.0)
        return height * 0.5 * (1 + np.cos(np.pi * x))

    return f


def head_shift(d: float) -> Shape:
    """Everything above the neck moved by ``d`` (negative = dropped towards the chest, positive = craned back)."""

    def f(u: np.ndarray) -> np.ndarray:
        return d * np.clip((u - 1.05) / 0.15, 0.0, 1.0)

    return f


def back(*parts: Shape, thickness: float = 0.18) -> Shape:
    def f(u: np.ndarray) -> np.ndarray:
        return thickness + sum((p(u) for p in parts), np.zeros_like(u))

    return f


def silhouette(
    dorsal: Shape,
    *,
    tilt_deg: float = 60.0,
    facing: int = 1,
    length: float = 180.0,
    wh: tuple[int, int] = (800, 600),
    ear_shift: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Mask and landmarks of a trunk+head whose back edge is ``dorsal(u)`` trunk lengths behind the axis."""
    hip = np.array([wh[0] / 2 - facing * 120.0, 380.0])
    a = np.radians(tilt_deg)
    axis = np.array([facing * np.sin(a), -np.cos(a)])  # hip → shoulder, leaning towards the facing direction
    shoulder = hip + length * axis
    front = np.array([-axis[1], axis[0]])
    if front @ np.array([facing, 0.0]) < 0:
        front = -front
    u = np.linspace(-0.30, TOP_U, 400)
    centre = hip[None] + u[:, None] * (shoulder - hip)[None]
    back_edge = centre - (dorsal(u)[:, None] * length) * front[None]
    front_edge = centre + 0.30 * length * front[None]
    poly = np.concatenate([back_edge, front_edge[::-1]])
    mask = np.zeros((wh[1], wh[0]), np.uint8)
    cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=4)
    xy = np.full((N_LANDMARKS, 2), np.nan)
    ear = hip + EAR_U * (shoulder - hip) - ear_shift * length * front
    for side in ("left", "right"):
        xy[idx(f"{side}_shoulder")] = shoulder
        xy[idx(f"{side}_hip")] = hip
        xy[idx(f"{side}_ear")] = ear
        xy[idx(f"{side}_heel")] = hip + np.array([0.0, 200.0])
        xy[idx(f"{side}_foot_index")] = xy[idx(f"{side}_heel")] + np.array([40.0 * facing, 0.0])
    xy[idx("nose")] = ear + 25 * front
    return mask.astype(np.float32) / 255.0, xy


def measure(dorsal: Shape, **kw: float) -> tuple[np.ndarray, object]:
    mask, xy = silhouette(dorsal, **kw)  # type: ignore[arg-type]
    prof = profile_from_mask(mask, xy)
    return prof, dowel(prof[None], axis_position(xy[None], "ear"))


def test_profile_reads_the_drawn_back_edge_from_tailbone_to_head() -> None:
    shape = back(bump(0.45, 0.25, 0.05))
    prof, _ = measure(shape)
    assert prof.shape == DORSAL_U.shape
    inside = DORSAL_U <= 1.5
    np.testing.assert_allclose(prof[inside], shape(DORSAL_U[inside]), atol=0.012)
    assert np.isnan(prof[DORSAL_U > 1.6]).all()  # above the top of the head: nothing, not a guess


def test_neutral_back_touches_all_three_points() -> None:
    _, d = measure(back())
    assert abs(d.bow[0]) < 0.01 and d.tail_gap[0] < 0.01 and abs(d.head_gap[0]) < 0.015  # type: ignore[attr-defined]


@pytest.mark.parametrize("h", [0.0, 0.02, 0.04, 0.08])
def test_mid_back_hump_reads_its_height_and_lifts_the_stick_off_the_tailbone(h: float) -> None:
    _, d = measure(back(bump(0.40, 0.12, h)))
    assert d.bow[0] == pytest.approx(h, abs=0.01)  # type: ignore[attr-defined]
    if h >= 0.04:
        assert d.tail_gap[0] > 0.3 * h  # type: ignore[attr-defined]


@pytest.mark.parametrize("drop", [0.0, 0.05, 0.10, 0.15])
def test_dropped_head_opens_the_head_gap_by_its_size(drop: float) -> None:
    _, d = measure(back(head_shift(-drop)), ear_shift=-drop)
    assert d.head_gap[0] == pytest.approx(drop, abs=0.015)  # type: ignore[attr-defined]
    assert abs(d.bow[0]) < 0.01  # type: ignore[attr-defined]


def test_craned_head_pushes_past_the_line() -> None:
    _, d = measure(back(head_shift(+0.08)), ear_shift=0.08)
    assert d.head_gap[0] == pytest.approx(-0.08, abs=0.015)  # type: ignore[attr-defined]


def test_flexed_lumbar_spine_is_a_bow_whatever_the_clothing_thickness() -> None:
    fitted = measure(back(bump(0.35, 0.18, 0.05), thickness=0.15))[1]
    loose = measure(back(bump(0.35, 0.18, 0.05), thickness=0.30))[1]
    assert fitted.bow[0] == pytest.approx(0.05, abs=0.012)  # type: ignore[attr-defined]
    assert loose.bow[0] == pytest.approx(fitted.bow[0], abs=0.01)  # type: ignore[attr-defined]


def test_a_loose_shirt_over_the_shoulder_blades_is_a_contact_not_a_bow() -> None:
    """A shirt ballooning over the upper back moves the upper contact, it does not bow the back below it."""
    _, d = measure(back(bump(0.85, 0.12, 0.05)))
    assert d.bow[0] < 0.015  # type: ignore[attr-defined]


@pytest.mark.parametrize(("tilt", "facing"), [(20.0, 1), (60.0, -1), (85.0, 1), (85.0, -1)])
def test_same_answer_at_any_lean_and_facing(tilt: float, facing: int) -> None:
    ref = measure(back(bump(0.40, 0.12, 0.05), head_shift(-0.08)), ear_shift=-0.08)[1]
    got = measure(back(bump(0.40, 0.12, 0.05), head_shift(-0.08)), ear_shift=-0.08, tilt_deg=tilt, facing=facing)[1]
    for name in ("bow", "head_gap", "tail_gap"):
        assert getattr(got, name)[0] == pytest.approx(getattr(ref, name)[0], abs=0.012), name


def test_arms_in_front_of_the_body_do_not_touch_the_back_line() -> None:
    mask, xy = silhouette(back())
    shoulder = xy[idx("left_shoulder")]
    front = front_normal(xy)
    arm_end = shoulder + 150 * front + np.array([0.0, 120.0])
    with_arm = mask.copy()
    cv2.line(with_arm, tuple(np.round(shoulder).astype(int)), tuple(np.round(arm_end).astype(int)), 1.0, 30)
    trunk = DORSAL_U <= 1.0
    np.testing.assert_allclose(profile_from_mask(with_arm, xy)[trunk], profile_from_mask(mask, xy)[trunk], atol=1e-9)


def test_missing_landmarks_empty_masks_and_old_layouts_give_nan() -> None:
    mask, xy = silhouette(back())
    gone = xy.copy()
    gone[[idx("left_hip"), idx("right_hip")]] = np.nan
    assert np.isnan(profile_from_mask(mask, gone)).all()
    assert np.isnan(profile_from_mask(np.zeros_like(mask), xy)).all()
    old = np.zeros((3, 21))
    assert not is_dorsal_profile(old)
    assert np.isnan(dowel(old).bow).all()


def test_uint8_masks_and_stacks_are_accepted() -> None:
    mask, xy = silhouette(back())
    as_u8 = np.round(mask * 255).astype(np.float32)
    np.testing.assert_allclose(profile_from_mask(as_u8, xy), profile_from_mask(mask, xy), atol=0.01, equal_nan=True)
    stack = profiles_from_masks(np.stack([mask, mask]), np.stack([xy, xy]))
    assert stack.shape == (2, DORSAL_U.shape[0]) and is_dorsal_profile(stack)


def test_dowel_maps_back_onto_the_image_where_the_back_is() -> None:
    mask, xy = silhouette(back())
    prof = profile_from_mask(mask, xy)
    d = dowel(prof[None], axis_position(xy[None], "ear"))
    u = np.array([d.tail_u[0], d.upper_u[0]])
    pts = to_image(xy, u, d.line_at_hip[0] + d.line_slope[0] * u)
    edge = cv2.Canny((mask * 255).astype(np.uint8), 50, 150)
    ys, xs = np.nonzero(edge)
    for x, y in pts:
        assert np.min(np.hypot(xs - x, ys - y)) < 2.5


@pytest.mark.parametrize("curl", [0.0, 0.05, 0.1, 0.2])
def test_shoulder_drop_reads_an_upper_back_curling_off_the_stick(curl: float) -> None:
    """A back flat up to u = 0.7 that then curls over (a rounded upper back, lower back flat): the stick rests on the
    tailbone and the mid-back, the tailbone stays on it, and the shoulders fall below it by exactly the curl."""
    from hingecoach.backline import DORSAL_U, dowel

    u = DORSAL_U
    prof = np.where(u > 1.55, np.nan, 0.18 - curl * np.clip((u - 0.70) / 0.30, 0.0, None))[None, :]
    d = dowel(prof)
    assert d.shoulder_drop[0] == pytest.approx(curl, abs=1e-9)
    assert d.tail_gap[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(("tilt", "facing"), [(45.0, 1), (70.0, -1), (85.0, 1)])
def test_an_arm_along_the_upper_back_puts_the_elbow_behind_the_trunk(tilt: float, facing: int) -> None:
    """A bar held at the shoulders (good morning): the upper arm runs back along the upper back and the elbow lies
    behind the trunk's axis by its injected offset, at any lean and facing; an arm hanging in front of the body (a
    deadlift) reads in front of it; an elbow raised beside the head (a stick behind the neck) is past the shoulder
    line and not counted; without a front (no face, no feet) nothing is said."""
    from hingecoach.backline import elbow_behind_trunk

    _, xy = silhouette(back(), tilt_deg=tilt, facing=facing)
    hip, shoulder = xy[idx("left_hip")], xy[idx("left_shoulder")]
    front = front_normal(xy)
    length = float(np.hypot(*(shoulder - hip)))

    def at(u: float, v: float) -> np.ndarray:
        return hip + u * (shoulder - hip) - v * length * front

    poses = {name: xy.copy() for name in ("on_back", "one_back", "hanging", "raised", "blind")}
    for side in ("left", "right"):
        poses["on_back"][idx(f"{side}_elbow")] = at(0.8, 0.15)
        poses["one_back"][idx(f"{side}_elbow")] = at(0.8, 0.15) if side == "right" else at(0.7, -0.5)
        poses["hanging"][idx(f"{side}_elbow")] = at(0.7, -0.45)
        poses["raised"][idx(f"{side}_elbow")] = at(1.3, 0.25)
    poses["blind"][idx("left_elbow")] = poses["blind"][idx("right_elbow")] = at(0.8, 0.15)
    for part in ("nose", "left_heel", "right_heel", "left_foot_index", "right_foot_index"):
        poses["blind"][idx(part)] = np.nan
    got = {k: elbow_behind_trunk(v[None])[0] for k, v in poses.items()}
    assert got["on_back"] == pytest.approx(0.15, abs=1e-9)
    assert got["one_back"] == pytest.approx(0.15, abs=1e-9)  # the further-back elbow counts
    assert got["hanging"] == pytest.approx(-0.45, abs=1e-9)
    assert np.isnan(got["raised"]) and np.isnan(got["blind"])


def test_front_normals_for_all_frames_equal_the_single_frame_answer() -> None:
    """The vectorised front (used for every frame of a clip) gives exactly the single-frame vote, with landmarks
    missing at random, for each known side and none; frames with no face and no feet have no front."""
    from hingecoach.backline import front_normals

    rng = np.random.default_rng(7)
    frames = []
    for tilt in np.linspace(0.0, 95.0, 12):
        for facing in (1, -1):
            _, xy = silhouette(back(), tilt_deg=float(tilt), facing=facing)
            xy = xy + rng.normal(0.0, 3.0, xy.shape)
            xy[rng.integers(0, N_LANDMARKS, 3)] = np.nan
            frames.append(xy)
    blind = frames[0].copy()
    for part in ("nose", "left_heel", "right_heel", "left_foot_index", "right_foot_index"):
        blind[idx(part)] = np.nan
    stack = np.stack([*frames, blind])
    for side in (None, "left", "right"):
        many = front_normals(stack, side=side)  # type: ignore[arg-type]
        one = np.stack([front_normal(f, side=side) for f in stack])  # type: ignore[arg-type]
        np.testing.assert_array_equal(np.isnan(many), np.isnan(one))
        np.testing.assert_allclose(np.nan_to_num(many), np.nan_to_num(one), atol=1e-12)
    assert np.isnan(front_normals(stack)[-1]).all()


@pytest.mark.parametrize("h", [0.0, 0.02, 0.05])
def test_the_lower_back_stick_reads_a_lumbar_bow_of_known_size_and_ignores_the_upper_back(h: float) -> None:
    """A stick on the sacrum and the back below the shoulder blades rises off a lumbar bow of height ``h`` by ``h``
    (stations every 0.05: within 0.003), and a curl of the upper back alone (shoulders dropping 0.1 below the main
    stick) leaves it at 0: the lower back's reading is the lumbar spine's, whatever the arms cover above it."""
    u = DORSAL_U
    flat = np.where(u > 1.55, np.nan, 0.18)
    lumbar = h * np.clip(np.sin(np.pi * (u - 0.05) / 0.35), 0.0, None) * ((u > 0.05) & (u < 0.40))
    curl = -0.1 * np.clip((u - 0.7) / 0.3, 0.0, None)
    d = dowel(np.stack([flat + lumbar, flat + curl]))
    assert abs(d.lumbar_bow[0] - h) < 0.003
    assert abs(d.lumbar_bow[1]) < 1e-9 and d.shoulder_drop[1] > 0.09
