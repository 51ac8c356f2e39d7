"""Mirror-averaged pose (hingecoach.pose.symmetric): the combination does not depend on which way the clip faces.

The property that matters: on a clip, the filmed frame's tracker answers F and the mirror image's tracker answers R
(in the mirror image's coordinates); on the mirrored copy of the clip the roles swap (the filmed tracker sees what R
saw, the mirror tracker what F saw). The two combined poses must then be exact mirror images of each other.
"""

from __future__ import annotations

import numpy as np
import pytest

from hingecoach.pose import FramePose
from hingecoach.pose.symmetric import MIRROR, combine, unflip
from hingecoach.skeleton import INDEX, N_LANDMARKS


def _pose(rng: np.random.Generator, *, mask: bool = True) -> FramePose:
    xy = rng.uniform(0.2, 0.8, (N_LANDMARKS, 2))
    return FramePose(
        xy_norm=xy,
        visibility=rng.uniform(0.3, 1.0, N_LANDMARKS),
        world_m=rng.normal(0.0, 0.4, (N_LANDMARKS, 3)),
        n_people=1,
        mask=rng.uniform(0.0, 1.0, (24, 32)).astype(np.float32) if mask else None,
    )


def _jitter(p: FramePose, rng: np.random.Generator, sd: float = 0.005) -> FramePose:
    """Another estimate of the same pose: every landmark moved a little."""
    return FramePose(
        xy_norm=p.xy_norm + rng.normal(0.0, sd, p.xy_norm.shape),
        visibility=np.clip(p.visibility + rng.normal(0.0, 0.05, N_LANDMARKS), 0.0, 1.0),
        world_m=None if p.world_m is None else p.world_m + rng.normal(0.0, sd, p.world_m.shape),
        n_people=p.n_people,
        mask=p.mask,
    )


def _assert_same(a: FramePose, b: FramePose) -> None:
    np.testing.assert_allclose(a.xy_norm, b.xy_norm, atol=1e-12)
    np.testing.assert_allclose(a.visibility, b.visibility, atol=1e-12)
    assert (a.world_m is None) == (b.world_m is None)
    if a.world_m is not None and b.world_m is not None:
        np.testing.assert_allclose(a.world_m, b.world_m, atol=1e-12)
    assert (a.mask is None) == (b.mask is None)
    if a.mask is not None and b.mask is not None:
        np.testing.assert_allclose(a.mask, b.mask, atol=1e-6)


def test_mirror_permutation_swaps_sides_and_keeps_the_nose() -> None:
    assert MIRROR[INDEX["left_knee"]] == INDEX["right_knee"]
    assert MIRROR[INDEX["right_eye_outer"]] == INDEX["left_eye_outer"]
    assert MIRROR[INDEX["mouth_left"]] == INDEX["mouth_right"]
    assert MIRROR[INDEX["nose"]] == INDEX["nose"]
    np.testing.assert_array_equal(MIRROR[MIRROR], np.arange(N_LANDMARKS))


def test_unflip_twice_is_the_identity_and_moves_x_only() -> None:
    p = _pose(np.random.default_rng(0))
    _assert_same(unflip(unflip(p)), p)
    q = unflip(p)
    knee, other = INDEX["left_knee"], INDEX["right_knee"]
    assert q.xy_norm[knee, 0] == pytest.approx(1.0 - p.xy_norm[other, 0])
    assert q.xy_norm[knee, 1] == pytest.approx(p.xy_norm[other, 1])
    assert p.world_m is not None and q.world_m is not None
    assert q.world_m[knee, 0] == pytest.approx(-p.world_m[other, 0])
    assert q.world_m[knee, 2] == pytest.approx(p.world_m[other, 2])


@pytest.mark.parametrize("seed", range(5))
def test_a_clip_and_its_mirrored_copy_get_mirror_image_poses(seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = _pose(rng)
    filmed = _jitter(truth, rng)  # the filmed frame's answer
    raw_mirror = unflip(_jitter(truth, rng))  # the mirror image's answer, in the mirror image's coordinates
    on_clip = combine(filmed, unflip(raw_mirror))
    # The mirrored copy: its filmed tracker sees the mirror image, its mirror tracker the frame as filmed.
    on_copy = combine(raw_mirror, unflip(filmed))
    _assert_same(unflip(on_copy), on_clip)
    # ... and the mean is closer to the truth than either answer on its own, on average.
    err = [float(np.abs(x.xy_norm - truth.xy_norm).mean()) for x in (on_clip, filmed, unflip(raw_mirror))]
    assert err[0] < max(err[1:])


def test_a_swapped_pair_of_legs_is_never_averaged() -> None:
    """One tracker confused the near and far limbs: a mean would put each leg between the two; keep one answer whole."""
    rng = np.random.default_rng(7)
    truth = _pose(rng)
    truth.xy_norm[INDEX["left_knee"]] = (0.3, 0.6)
    truth.xy_norm[INDEX["right_knee"]] = (0.7, 0.6)
    crossed = FramePose(
        xy_norm=truth.xy_norm[MIRROR],  # every left landmark labelled right and vice versa
        visibility=truth.visibility[MIRROR] * 0.5,
        world_m=None,
        n_people=1,
    )
    got = combine(truth, crossed)
    np.testing.assert_array_equal(got.xy_norm, truth.xy_norm)  # the more visible answer, untouched
    got2 = combine(crossed, truth)
    np.testing.assert_array_equal(got2.xy_norm, truth.xy_norm)


def test_one_tracker_lost_the_person() -> None:
    rng = np.random.default_rng(3)
    found = _pose(rng)
    nobody = FramePose(
        xy_norm=np.full((N_LANDMARKS, 2), np.nan), visibility=np.zeros(N_LANDMARKS), world_m=None, n_people=2
    )
    _assert_same(combine(found, nobody), found)
    got = combine(nobody, found)
    np.testing.assert_array_equal(got.xy_norm, found.xy_norm)
    assert got.n_people == 2  # the count is the filmed frame's
    assert not np.isfinite(combine(nobody, nobody).xy_norm).any()
