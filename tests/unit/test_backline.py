"""The back line on silhouettes whose dorsal edge is known exactly, plus rounded vs neutral backs on real clips."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hingecoach.backline import (
    LUMBAR_FROM,
    LUMBAR_TO,
    back_bulge,
    front_normal,
    max_bow,
    profile_from_mask,
    profiles_from_masks,
)
from hingecoach.drills import ROUNDED_BACK_THRESHOLD
from hingecoach.skeleton import N_LANDMARKS, idx

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
K = 21
S = np.linspace(0.0, 1.0, K)


def _landmarks(shoulder: np.ndarray, hip: np.ndarray, front: np.ndarray) -> np.ndarray:
    """Shoulders/hips on the chord; face and feet pointing to ``front`` (so the front can be told)."""
    xy = np.full((N_LANDMARKS, 2), np.nan)
    for side in ("left", "right"):
        xy[idx(f"{side}_shoulder")] = shoulder
        xy[idx(f"{side}_hip")] = hip
        xy[idx(f"{side}_ear")] = shoulder + 0.3 * (shoulder - hip)
    xy[idx("nose")] = xy[idx("left_ear")] + 20 * front
    for side in ("left", "right"):
        xy[idx(f"{side}_heel")] = hip + np.array([0.0, 300.0])
        xy[idx(f"{side}_foot_index")] = xy[idx(f"{side}_heel")] + 40 * np.array([np.sign(front[0]) or 1.0, 0.0])
    return xy


def _silhouette(
    offset, *, tilt_deg: float = 45.0, facing: int = 1, length: float = 200.0, wh=(640, 480), front_depth: float = 0.35
):
    """A trunk whose back edge lies ``offset(s)·L`` behind the shoulder→hip chord (s = 0 shoulder … 1 hip).

    The lifter faces image-right (``facing=1``) or left (-1), trunk tipped ``tilt_deg`` from vertical.
    """
    hip = np.array([wh[0] / 2 - facing * 60.0, 300.0])
    a = np.radians(tilt_deg)
    chord = np.array([facing * np.sin(a), -np.cos(a)])
    shoulder = hip + length * chord
    front = np.array([-chord[1], chord[0]]) * facing  # perpendicular to the chord, towards the chest
    if front @ np.array([facing, 0.0]) < 0:
        front = -front
    s = np.linspace(0.0, 1.0, 200)
    base = shoulder[None] + s[:, None] * (hip - shoulder)[None]
    back_edge = base - (np.asarray(offset(s))[:, None] * length) * front[None]
    front_edge = base + front_depth * length * front[None]
    poly = np.concatenate([back_edge, front_edge[::-1]])
    mask = np.zeros((wh[1], wh[0]), np.uint8)
    cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) / 255.0, _landmarks(shoulder, hip, front), front


def test_flat_back_reads_its_constant_distance_behind_the_chord() -> None:
    mask, xy, _ = _silhouette(lambda s: np.full_like(s, 0.2))
    prof = profile_from_mask(mask, xy)
    assert prof.shape == (K,)
    np.testing.assert_allclose(prof, 0.2, atol=0.01)
    assert abs(back_bulge(prof[None])[0]) < 0.005


@pytest.mark.parametrize("h", [0.0, 0.04, 0.08])
def test_bowed_back_bulge_matches_the_geometry(h: float) -> None:
    """Edge = 0.15 + 4h·s(1−s): bulge beyond the 10 %–90 % line, averaged over the lumbar stations, is analytic."""
    mask, xy, _ = _silhouette(lambda s: 0.15 + 4 * h * s * (1 - s))
    prof = profile_from_mask(mask, xy)
    np.testing.assert_allclose(prof, 0.15 + 4 * h * S * (1 - S), atol=0.01)
    lumbar = S[(S >= LUMBAR_FROM - 1e-9) & (S <= LUMBAR_TO + 1e-9)]
    expected = np.mean(4 * h * (lumbar * (1 - lumbar) - 0.1 * 0.9))
    assert back_bulge(prof[None])[0] == pytest.approx(expected, abs=0.004)
    assert max_bow(prof[None])[0] == pytest.approx(4 * h * (0.25 - 0.09), abs=0.004)


def test_facing_left_or_right_gives_the_same_profile() -> None:
    right = profile_from_mask(*_silhouette(lambda s: 0.2 + 0.2 * s * (1 - s), facing=1)[:2])
    left = profile_from_mask(*_silhouette(lambda s: 0.2 + 0.2 * s * (1 - s), facing=-1)[:2])
    np.testing.assert_allclose(left, right, atol=0.01)


def test_front_is_found_from_the_face_even_lying_on_the_back() -> None:
    xy = np.full((N_LANDMARKS, 2), np.nan)
    for side in ("left", "right"):
        xy[idx(f"{side}_shoulder")] = (100.0, 200.0)
        xy[idx(f"{side}_hip")] = (300.0, 200.0)
        xy[idx(f"{side}_ear")] = (60.0, 200.0)
    xy[idx("nose")] = (55.0, 180.0)  # face to the ceiling (image up)
    np.testing.assert_allclose(front_normal(xy), [0.0, -1.0], atol=1e-9)
    xy[idx("nose")] = np.nan  # no face, no feet: undecidable rather than a guess
    assert np.isnan(front_normal(xy)).all()


def test_arms_in_front_of_the_body_do_not_touch_the_back_line() -> None:
    mask, xy, front = _silhouette(lambda s: np.full_like(s, 0.2))
    shoulder = xy[idx("left_shoulder")]
    arm_end = shoulder + 150 * front + np.array([0.0, 80.0])
    with_arm = mask.copy()
    cv2.line(with_arm, tuple(np.round(shoulder).astype(int)), tuple(np.round(arm_end).astype(int)), 1.0, 30)
    np.testing.assert_allclose(profile_from_mask(with_arm, xy), profile_from_mask(mask, xy), atol=1e-9)


def test_back_in_front_of_the_chord_reads_negative() -> None:
    mask, xy, _ = _silhouette(lambda s: np.full_like(s, -0.05))
    np.testing.assert_allclose(profile_from_mask(mask, xy), -0.05, atol=0.01)


def test_edge_outside_the_image_or_missing_landmarks_give_nan() -> None:
    mask, xy, _ = _silhouette(lambda s: np.full_like(s, 0.2))
    w = mask.shape[1]
    # Shift the body so the hip sits 10 px from the left border: the back (40 px behind the chord) is cut off there.
    shift = int(xy[idx("left_hip"), 0]) - 10
    cut = np.zeros_like(mask)
    cut[:, : w - shift] = mask[:, shift:]
    moved = xy - np.array([shift, 0.0])
    prof = profile_from_mask(cut, moved)
    assert np.isnan(prof[-3:]).all() and np.isfinite(prof[:3]).all()
    gone = xy.copy()
    gone[[idx("left_hip"), idx("right_hip")]] = np.nan
    assert np.isnan(profile_from_mask(mask, gone)).all()
    assert np.isnan(profile_from_mask(np.zeros_like(mask), xy)).all()


def test_uint8_masks_and_stacks_are_accepted() -> None:
    mask, xy, _ = _silhouette(lambda s: 0.2 + 0.1 * s)
    as_u8 = np.round(mask * 255).astype(np.uint8)
    np.testing.assert_allclose(profile_from_mask(as_u8.astype(np.float32), xy), profile_from_mask(mask, xy), atol=0.01)
    stack = profiles_from_masks(np.stack([mask, mask]), np.stack([xy, xy]), k=11)
    assert stack.shape == (2, 11)
    with pytest.raises(ValueError, match="at least 3"):
        profile_from_mask(mask, xy, k=2)


def test_bulge_ignores_thickness_and_tilt_but_not_a_bow() -> None:
    rng = np.random.default_rng(3)
    bow = 0.2 * S * (1 - S)
    base = np.stack([bow, bow + 0.3, bow + 0.1 * S - 0.05, bow + rng.uniform(-1, 1)])
    out = back_bulge(base)
    np.testing.assert_allclose(out, out[0], atol=1e-12)
    assert out[0] > 0.01
    assert back_bulge(-base[:1])[0] < 0  # a hollow (arched) back is negative
    holed = base.copy()
    holed[0, 2] = np.nan  # the 10 % anchor
    holed[1, 10:17] = np.nan  # most of the lumbar span
    assert np.isnan(back_bulge(holed)[:2]).all()


# ------------------------------------------------------------------------------------------------ real clips
def _bottom_profiles(clip: Path, n_frames: int) -> np.ndarray:
    """Back profiles of the first frames of a clip (these deadlift clips start in the set-up position)."""
    from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend

    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    rows = []
    with MediaPipePoseBackend(with_masks=True, count_every_ms=None) as backend:
        for i in range(n_frames):
            ok, bgr = cap.read()
            if not ok:
                break
            h, w = bgr.shape[:2]
            scale = min(1.0, 960 / max(h, w))
            bgr = cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
            pose = backend.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), round(i * 1000 / fps))
            if pose.mask is None:
                continue
            mh, mw = pose.mask.shape
            rows.append(profile_from_mask(pose.mask, pose.xy_norm * np.array([mw, mh])))
    cap.release()
    return np.array(rows)


@pytest.mark.real_data
@pytest.mark.model
@pytest.mark.parametrize(
    ("clip", "rounded"),
    [
        ("bichraix/bad/bad007.mp4", True),
        ("bichraix/bad/bad018.mp4", True),
        ("bichraix/good/good014.mp4", False),  # same lifter as the two rounded clips
        ("bichraix/good/good008.mp4", False),  # another lifter
    ],
)
def test_rounded_and_neutral_setups_on_real_side_view_clips(clip: str, rounded: bool) -> None:
    path = DATA / clip
    if not path.exists():
        pytest.skip(f"shared data absent: {path}")
    bulge = float(np.nanmedian(back_bulge(_bottom_profiles(path, 12))))
    assert (bulge > ROUNDED_BACK_THRESHOLD) is rounded, f"{clip}: bulge {bulge:.3f}"
