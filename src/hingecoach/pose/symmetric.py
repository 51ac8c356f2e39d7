"""Mirror-symmetric pose: each frame tracked as filmed *and* flipped left-right, the two answers combined.

Why: the pose model is not mirror-symmetric. On the same clip and its horizontally flipped copy it places the head,
the knees and the back outline differently (on the evaluation manifest the head gap differs by 0.02 of a trunk
length at the median and 0.12 at the 90th percentile, the knee by 4.8° / 11.6°), so a lifter filmed from their left
side could get other faults than from their right. Thresholds and uncertainty bands cannot fix that; only making the
estimate itself symmetric can. Tracking the frame and its mirror image with two trackers and averaging the answers,
with the mirror's answer flipped back and its left and right landmarks swapped, gives a pose that is, by
construction, the mirror image of the pose of the mirrored clip: tracker A on the mirrored clip sees what tracker B
saw on the original and vice versa, and the mean does not depend on the order. What is left between a clip and its
mirrored copy is the difference of their pixels (re-encoding), not the model's handedness.

The price is a second model run per frame. :func:`hingecoach.pose.extract.track_chunk` runs the mirror's tracker in
a helper thread (the native call releases the GIL), so a short clip analysed on a 2-core machine uses the second
core for it; where every core already runs its own clip (batch), it costs about twice the pose time.

Everything here is arrays in, arrays out on one frame: :func:`unflip` and :func:`combine`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.pose import FramePose
from hingecoach.skeleton import INDEX, LANDMARK_NAMES


def _mirror_permutation() -> NDArray[np.intp]:
    """Index of each landmark's mirror partner (``left_knee`` <-> ``right_knee``; the nose is its own)."""
    perm = np.arange(len(LANDMARK_NAMES))
    for i, name in enumerate(LANDMARK_NAMES):
        for a, b in (("left", "right"), ("right", "left")):
            if a in name:
                perm[i] = INDEX[name.replace(a, b)]
    return perm


#: ``pose[MIRROR][i]`` is landmark ``i``'s mirror partner.
MIRROR: Final[NDArray[np.intp]] = _mirror_permutation()


def unflip(pose: FramePose) -> FramePose:
    """The answer for a left-right flipped frame, put back into the frame as filmed.

    Image x becomes ``1 - x`` and world x its negative (MediaPipe's world frame has x along the image's x), left and
    right landmarks trade places (the model called the lifter's left side "right" in the mirror image), and the
    mask is flipped back.
    """
    xy = np.array(pose.xy_norm, dtype=np.float64)[MIRROR]
    xy[:, 0] = 1.0 - xy[:, 0]
    world = None
    if pose.world_m is not None:
        world = np.array(pose.world_m, dtype=np.float64)[MIRROR]
        world[:, 0] = -world[:, 0]
    mask = None if pose.mask is None else np.ascontiguousarray(pose.mask[:, ::-1])
    return replace(pose, xy_norm=xy, visibility=np.asarray(pose.visibility, dtype=np.float64)[MIRROR],
                   world_m=world, mask=mask)  # fmt: skip


def _found(pose: FramePose) -> bool:
    return bool(np.isfinite(pose.xy_norm).all())


def _spread(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    return float(np.mean(np.linalg.norm(a - b, axis=-1)))


def combine(filmed: FramePose, mirrored: FramePose) -> FramePose:
    """One frame's pose from the frame's answer and its mirror image's answer (already :func:`unflip`-ped).

    The rule is symmetric in the two answers, so a clip and its mirrored copy get mirror-image poses:

    * both found, and pairing left with left fits at least as well as left with right: the mean of landmarks,
      visibilities, world landmarks and masks (the back profile is then read from the mean mask);
    * both found but one of them swapped the legs or arms (a side view's near and far limbs are easy to confuse):
      a mean would put every limb between the two, so the answer with the higher mean visibility is kept whole;
    * one found: that one. Neither: nobody (the filmed answer, NaN).

    The people count and the other person come from the filmed frame (only its tracker runs the counter).
    """
    a_ok, b_ok = _found(filmed), _found(mirrored)
    if not b_ok:
        return filmed
    if not a_ok:
        return replace(mirrored, n_people=filmed.n_people, other_person=filmed.other_person)
    straight = _spread(filmed.xy_norm, mirrored.xy_norm)
    crossed = _spread(filmed.xy_norm, mirrored.xy_norm[MIRROR])
    if crossed < straight:
        keep = mirrored if float(np.mean(mirrored.visibility)) > float(np.mean(filmed.visibility)) else filmed
        return replace(keep, n_people=filmed.n_people, other_person=filmed.other_person)
    world = filmed.world_m if mirrored.world_m is None else mirrored.world_m
    if filmed.world_m is not None and mirrored.world_m is not None:
        world = 0.5 * (np.asarray(filmed.world_m) + np.asarray(mirrored.world_m))
    mask = filmed.mask if mirrored.mask is None else mirrored.mask
    if filmed.mask is not None and mirrored.mask is not None and filmed.mask.shape == mirrored.mask.shape:
        mask = (0.5 * (filmed.mask + mirrored.mask)).astype(np.float32)
    return replace(
        filmed,
        xy_norm=0.5 * (np.asarray(filmed.xy_norm) + np.asarray(mirrored.xy_norm)),
        visibility=0.5 * (np.asarray(filmed.visibility) + np.asarray(mirrored.visibility)),
        world_m=world,
        mask=mask,
    )


__all__ = ["MIRROR", "combine", "unflip"]
