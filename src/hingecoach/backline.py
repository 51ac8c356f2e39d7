"""The back line as the article's own test: a virtual dowel laid on the silhouette's back.

BlazePose has no spine landmarks, and the shoulder and hip landmarks barely move when the spine flexes, so landmark
geometry alone cannot see a rounded back (``/work/shared/notes/back-line-probe.md``). The silhouette can: in a side
view the dorsal edge of the person mask *is* the surface a dowel held along the spine rests on. The seed article's
test is literal — "Maintain three points of contact – Back of your head, between your shoulder blades, and the
tailbone … If the stick lifts off of one of those three points" — so that is what is measured
(``/work/shared/notes/virtual-dowel.md``):

1. :func:`profile_from_mask` samples the dorsal edge along the trunk axis, from below the hip (tailbone, glutes)
   through the upper back to the back of the head, at the stations :data:`DORSAL_U` (trunk lengths from the hip
   landmark, 1 = the shoulder landmark), as signed offsets behind the hip→shoulder line in trunk lengths, so the
   numbers do not depend on the lifter's size or distance from the camera.
2. :func:`dowel` lays the stick: the line resting on the tailbone region and on the upper back (the bridge of the
   profile's upper convex hull between the two regions), then measures
   * **bow** — how far the back between those two contacts rises above the stick (a "candy cane": the stick would
     rest on the hump and lift off the tailbone);
   * **tail gap** — the stick held on the upper back and pivoted onto the profile: how far it lifts off the tailbone;
   * **head gap** — the back of the head against the stick's line: positive = the head hangs below it (dropped),
     negative = it pushes past it (craned up, the stick would lift off the shoulder blades).

Only a side view shows the sagittal profile; the checks refuse to judge it from other views (:mod:`hingecoach.drills`).
A single frame's contour is noise (0.007–0.02 trunk lengths frame to frame): the checks take medians over the frames
of deepest trunk lean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

from hingecoach.skeleton import Side, idx, sided

FloatArray = NDArray[np.float64]

#: Version of the stored profile format (tracks from older versions carry another layout and are not judged).
PROFILE_VERSION: Final[int] = 2
#: Stations of the dorsal profile along the hip→shoulder axis (trunk lengths; 0 = hip landmark, 1 = shoulder).
DORSAL_U: Final[FloatArray] = np.round(np.arange(-0.30, 1.70 + 1e-9, 0.05), 3)
#: Where the dowel touches: the tailbone region and the upper back "between your shoulder blades" (trunk lengths).
TAIL_REGION: Final[tuple[float, float]] = (-0.10, 0.15)
UPPER_REGION: Final[tuple[float, float]] = (0.60, 1.00)
#: The lower back's own stick, for when the arms cover the upper back (a bar or stick held at the shoulders): laid on
#: the sacrum and the back just below the shoulder blades, under where an elbow can lie (:data:`ARM_OVER_U` starts at
#: 0.50), it spans the lumbar spine (u ≈ 0.05–0.40) and shows it rounding (trunk lengths).
SACRUM_REGION: Final[tuple[float, float]] = (-0.10, 0.05)
LOWER_REGION: Final[tuple[float, float]] = (0.40, 0.50)
#: The back of the head: stations from just below the ear's level to towards the crown (trunk lengths from the ear).
HEAD_REGION: Final[tuple[float, float]] = (-0.05, 0.15)
#: A point may stand this far above the stick and still count as under it (trunk lengths; the contour's own noise).
CONTACT_TOL: Final[float] = 0.004
#: Shortest lever (trunk lengths below the upper contact) that may tip the stick held on the upper back.
PIVOT_LEVER: Final[float] = 0.3
#: A region needs this share of finite stations to be trusted.
MIN_FINITE_SHARE: Final[float] = 0.6
#: Segmentation probability above which a pixel counts as the person (MediaPipe's masks are soft at the edge).
MASK_LEVEL: Final[float] = 0.5
#: How far behind (and in front of) the axis to look for the edge, in trunk lengths. In front reaches further above
#: the shoulder, where a dropped head lies in front of the trunk line.
_REACH_BACK: Final[float] = 0.9
_REACH_FRONT: Final[float] = 0.3
_REACH_FRONT_HEAD: Final[float] = 0.6
#: Smallest usable trunk, in mask pixels: below this the mask edge is too coarse to say anything.
MIN_CHORD_PX: Final[float] = 8.0
#: The profile station at the shoulder line (u = 1), where a rounded upper back falls away from the stick.
SHOULDER_STATION: Final[int] = int(np.flatnonzero(np.isclose(DORSAL_U, 1.0))[0])


def _midpoint(xy_px: FloatArray, part: str, side: Side | None) -> FloatArray:
    """One landmark (``side`` given) or the mean of both sides' landmarks, ignoring a missing one."""
    if side is not None:
        return np.asarray(xy_px[sided(side, part)], dtype=np.float64)
    pair = xy_px[[idx(f"left_{part}"), idx(f"right_{part}")]]
    ok = np.isfinite(pair).all(axis=1)
    if not ok.any():
        return np.full(2, np.nan)
    return np.asarray(pair[ok].mean(axis=0), dtype=np.float64)


def front_normal(xy_px: FloatArray, *, side: Side | None = None) -> FloatArray:
    """Unit vector perpendicular to the shoulder→hip chord pointing to the *front* (chest side) of the body.

    Why a vote: the chest side is where the face points (nose ahead of the ears) and where the toes point. The face
    works whatever the trunk's orientation (standing, hinged, lying on a bench); the feet help when the face is lost.
    With a known camera-facing ``side`` a last-resort guess is the profile rule (left side seen ⇒ facing image left).
    Returns NaNs when the front cannot be told, rather than guessing the belly for the back.
    """
    return np.asarray(front_normals(np.asarray(xy_px, dtype=np.float64)[None], side=side)[0], dtype=np.float64)


def _bilinear(img: NDArray[np.float32], x: FloatArray, y: FloatArray) -> FloatArray:
    """Bilinear samples of ``img`` at float pixel coordinates; NaN outside the image (vectorised)."""
    h, w = img.shape
    inside = (x >= 0) & (y >= 0) & (x <= w - 1) & (y <= h - 1)
    xc = np.clip(x, 0, w - 1)
    yc = np.clip(y, 0, h - 1)
    x0 = np.minimum(np.floor(xc).astype(np.intp), max(w - 2, 0))
    y0 = np.minimum(np.floor(yc).astype(np.intp), max(h - 2, 0))
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = xc - x0
    fy = yc - y0
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    out = top * (1 - fy) + bottom * fy
    return np.where(inside, out, np.nan)


def _edge_offsets(
    m: NDArray[np.float32], base: FloatArray, back: FloatArray, length: float, reach_front: FloatArray
) -> FloatArray:
    """Signed distance (px) from each ``base`` point along ``back`` to the person's dorsal edge; NaN where none.

    Why rays from the axis: the axis is inside the trunk, so walking away from the chest and stopping at the first
    pixel that is no longer the person finds the back's surface, not the far side of an arm or a plate. Where the
    axis point is already outside the person (above the shoulders: a head hanging in front of the line), the walk
    goes forward to the first person pixel instead, up to ``reach_front`` trunk lengths.
    """
    k = base.shape[0]
    step = 0.5
    t = np.arange(-float(reach_front.max()) * length, _REACH_BACK * length + step, step)  # (M,) px along `back`
    px = base[:, None, 0] + t[None, :] * back[0]
    py = base[:, None, 1] + t[None, :] * back[1]
    val = _bilinear(m, px, py)  # (k, M), NaN outside the image
    val = np.where(t[None, :] < -reach_front[:, None] * length, 0.0, val)  # beyond the per-station reach: not person
    inside = val >= MASK_LEVEL
    i0 = int(np.searchsorted(t, 0.0))
    beh_in, beh_val = inside[:, i0:], val[:, i0:]
    leaves = ~beh_in
    first_out = np.argmax(leaves, axis=1)
    has_out = leaves.any(axis=1)
    start_in = beh_in[:, 0]
    fr_in, fr_val = inside[:, i0::-1], val[:, i0::-1]
    first_in = np.argmax(fr_in, axis=1)
    has_in = fr_in.any(axis=1)
    rows = np.arange(k)
    # Sub-pixel edge: linear interpolation of the probability between the two samples straddling MASK_LEVEL.
    j = np.clip(first_out, 1, beh_val.shape[1] - 1)
    v_in, v_out = beh_val[rows, j - 1], beh_val[rows, j]
    frac = np.clip((v_in - MASK_LEVEL) / np.where(v_in - v_out == 0, 1.0, v_in - v_out), 0.0, 1.0)
    edge_back = t[i0 + j - 1] + frac * step
    ok_back = start_in & has_out & np.isfinite(v_out)
    jf = np.clip(first_in, 1, fr_val.shape[1] - 1)
    f_out, f_in = fr_val[rows, jf - 1], fr_val[rows, jf]
    ffrac = np.clip((MASK_LEVEL - f_out) / np.where(f_in - f_out == 0, 1.0, f_in - f_out), 0.0, 1.0)
    edge_front = t[i0 - jf + 1] - ffrac * step
    ok_front = ~start_in & np.isfinite(beh_val[:, 0]) & has_in & np.isfinite(f_out)
    return np.asarray(np.where(ok_back, edge_back, np.where(ok_front, edge_front, np.nan)), dtype=np.float64)


def profile_from_mask(
    mask: NDArray[np.float32],
    xy_px: NDArray[np.float64],
    *,
    side: Side | None = None,
) -> FloatArray:
    """The dorsal edge of the silhouette at the stations :data:`DORSAL_U`, tailbone to the back of the head.

    Args:
        mask: ``(H, W)`` person-segmentation probability in [0, 1] (a uint8 0–255 mask is rescaled).
        xy_px: ``(33, 2)`` BlazePose landmarks in the *mask's* pixel coordinates (NaN where missing).
        side: which side's shoulder and hip define the axis; None = the mean of both (robust in a true side view).

    Returns:
        ``(len(DORSAL_U),)`` signed offsets of the back edge behind the hip→shoulder axis, in trunk lengths
        (positive = away from the chest). NaN at stations where no edge was found (ray leaves the image, mask
        missing, front of the body undecidable, trunk too short, above the top of the head).

    """
    out = np.full(DORSAL_U.shape[0], np.nan)
    m = np.asarray(mask, dtype=np.float32)
    if m.ndim != 2 or m.size == 0:
        return out
    if m.max(initial=0.0) > 1.5:  # a 0-255 mask
        m = m / 255.0
    xy = np.asarray(xy_px, dtype=np.float64)
    shoulder = _midpoint(xy, "shoulder", side)
    hip = _midpoint(xy, "hip", side)
    length = float(np.hypot(*(shoulder - hip)))
    if not np.isfinite(length) or length < MIN_CHORD_PX:
        return out
    front = front_normal(xy, side=side)
    if not np.isfinite(front).all():
        return out
    base = hip[None, :] + DORSAL_U[:, None] * (shoulder - hip)[None, :]
    reach = np.where(DORSAL_U > 1.0, _REACH_FRONT_HEAD, _REACH_FRONT)
    return _edge_offsets(m, base, -front, length, reach) / length


def profiles_from_masks(
    masks: NDArray[np.float32] | NDArray[np.uint8],
    xy_px: NDArray[np.float64],
    *,
    side: Side | None = None,
) -> FloatArray:
    """``(T, K)`` :func:`profile_from_mask` over a stack of masks ``(T, H, W)`` with landmarks ``(T, 33, 2)``."""
    if len(masks) == 0:
        return np.zeros((0, DORSAL_U.shape[0]))
    pairs = zip(masks, xy_px, strict=True)
    return np.stack([profile_from_mask(np.asarray(m, dtype=np.float32), xy, side=side) for m, xy in pairs])


def is_dorsal_profile(profile: FloatArray | None) -> bool:
    """Whether a stored profile has this version's layout (older tracks carry a shoulder→hip-only profile)."""
    return profile is not None and profile.ndim == 2 and profile.shape[1] == DORSAL_U.shape[0]


def pair_mean(xy_px: FloatArray, part: str) -> FloatArray:
    """``(T, 2)`` mean of the left and right landmark of ``part`` per frame, ignoring a missing one (NaN if both)."""
    pair = np.asarray(xy_px, dtype=np.float64)[:, [idx(f"left_{part}"), idx(f"right_{part}")]]
    finite = np.isfinite(pair).all(axis=-1, keepdims=True)
    total = np.where(finite, pair, 0.0).sum(axis=1)
    count = finite.sum(axis=1)
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan), dtype=np.float64)


def axis_position(xy_px: FloatArray, part: str) -> FloatArray:
    """``(T,)`` where a landmark lies along the hip→shoulder axis, in trunk lengths (0 hip, 1 shoulder).

    ``part`` is a paired name without its side (``"ear"``): the mean of the two, like the axis itself.
    """
    xy = np.asarray(xy_px, dtype=np.float64)
    hip, shoulder, point = pair_mean(xy, "hip"), pair_mean(xy, "shoulder"), pair_mean(xy, part)
    axis = shoulder - hip
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(((point - hip) * axis).sum(-1) / (axis * axis).sum(-1), dtype=np.float64)


@dataclass(frozen=True)
class Dowel:
    """The virtual dowel on every frame, in trunk lengths (all ``(T,)``; NaN where the profile cannot say).

    The stick's line is ``v = line_at_hip + line_slope · u`` in the trunk frame (u along hip→shoulder, v dorsal).
    """

    bow: FloatArray
    tail_gap: FloatArray
    head_gap: FloatArray
    #: How far the back at the shoulder line (u = 1) falls below the stick: a rounded upper back curls the shoulders
    #: down and forward off the line the tailbone and the mid-back set (0 or a little above on a flat back).
    shoulder_drop: FloatArray
    #: The lower back's bow: a stick laid on the tailbone region and :data:`LOWER_REGION`, how far the back between
    #: rises above it (the lumbar spine rounding; a neutral lower back curves in, below the stick: ≤ 0).
    lumbar_bow: FloatArray
    tail_u: FloatArray
    upper_u: FloatArray
    head_u: FloatArray
    line_at_hip: FloatArray
    line_slope: FloatArray
    #: The lower back's stick (:data:`SACRUM_REGION` to :data:`LOWER_REGION`), drawn where it is the reading.
    lumbar_stick: Stick


class Stick(NamedTuple):
    """A stick resting on two regions of the profile, per frame ``(T,)``: whether it rests on both (``ok``), its
    contacts' positions and heights, its slope, how far the back between the contacts rises above it (``bow``) and
    where along the axis it rises most (``peak_u``; NaN without a bow).
    """

    ok: NDArray[np.bool_]
    lower_u: FloatArray
    upper_u: FloatArray
    lower_v: FloatArray
    upper_v: FloatArray
    slope: FloatArray
    bow: FloatArray
    peak_u: FloatArray

    @property
    def line_at_hip(self) -> FloatArray:
        """The stick's height at the hip (u = 0): its line is ``v = line_at_hip + slope · u``."""
        return np.asarray(self.lower_v - self.slope * self.lower_u, dtype=np.float64)


def _region(lo: float, hi: float) -> NDArray[np.intp]:
    u = DORSAL_U
    return np.flatnonzero((u >= lo - 1e-9) & (u <= hi + 1e-9))


def _bridge(p: FloatArray, ti: NDArray[np.intp], si: NDArray[np.intp]) -> Stick:
    """The stick resting on the stations ``ti`` (below) and ``si`` (above) of profiles ``p`` ``(T, K)``."""
    n = p.shape[0]
    vt, vs = p[:, ti], p[:, si]
    ut, us = DORSAL_U[ti], DORSAL_U[si]
    ok = (np.isfinite(vt).mean(axis=1) >= MIN_FINITE_SHARE) & (np.isfinite(vs).mean(axis=1) >= MIN_FINITE_SHARE)
    # Every (tail, upper) pair of stations as a candidate stick; the stick is the one with no point of either region
    # above it (the bridge of the upper convex hull). NaN stations neither support nor block it.
    grid_a, grid_b = np.meshgrid(np.arange(ti.size), np.arange(si.size), indexing="ij")
    a_i, b_i = grid_a.ravel(), grid_b.ravel()
    va, vb = vt[:, a_i], vs[:, b_i]  # (T, P)
    slope = (vb - va) / (us[b_i] - ut[a_i])[None, :]
    cand_u = np.concatenate([ut, us])
    cand_v = np.concatenate([vt, vs], axis=1)  # (T, C)
    line = va[:, :, None] + slope[:, :, None] * (cand_u[None, None, :] - ut[a_i][None, :, None])  # (T, P, C)
    with np.errstate(invalid="ignore"):
        above = np.where(np.isfinite(cand_v)[:, None, :], cand_v[:, None, :] > line + CONTACT_TOL, False).any(axis=2)
    feasible = ~above & np.isfinite(slope)
    # Of the sticks that rest on both regions, the longest: a dowel is held along the whole back, so on a flat stretch
    # it touches the outermost points (the tailbone and between the shoulder blades), not two neighbours of a hump.
    span = (us[b_i] - ut[a_i])[None, :]
    best = np.argmax(np.where(feasible, span, -1.0), axis=1)
    ok &= feasible.any(axis=1)
    rows = np.arange(n)
    pick_a, pick_b = a_i[best], b_i[best]
    tail_u, upper_u = ut[pick_a], us[pick_b]
    tail_v, upper_v = vt[rows, pick_a], vs[rows, pick_b]
    k = slope[rows, best]
    line_at_hip = tail_v - k * tail_u
    # Bow: the back between the two contacts above the stick.
    dev = p - (line_at_hip[:, None] + k[:, None] * DORSAL_U[None, :])
    between = (DORSAL_U[None, :] > tail_u[:, None] + 1e-9) & (DORSAL_U[None, :] < upper_u[:, None] - 1e-9)
    seg = np.where(between & np.isfinite(dev), dev, -np.inf)
    enough = (between & np.isfinite(dev)).sum(axis=1) >= MIN_FINITE_SHARE * np.maximum(between.sum(axis=1), 1)
    has_bow = ok & enough
    bow = np.where(has_bow, np.max(seg, axis=1), np.nan)
    peak_u = np.where(has_bow, DORSAL_U[np.argmax(seg, axis=1)], np.nan)
    return Stick(ok, tail_u, upper_u, tail_v, upper_v, k, bow, peak_u)


def dowel(profile: FloatArray, head_u: FloatArray | None = None) -> Dowel:
    """Lay the virtual dowel on dorsal profiles ``(T, K)`` (vectorised over frames) and measure its three contacts.

    ``head_u``: ``(T,)`` the ear's position along the axis (:func:`axis_position`); the back of the head is read
    from :data:`HEAD_REGION` around it. Without it, the head gap is NaN.
    """
    p = np.atleast_2d(np.asarray(profile, dtype=np.float64))
    n = p.shape[0]
    nan = np.full(n, np.nan)
    if p.shape[1] != DORSAL_U.shape[0]:
        no = np.zeros(n, dtype=bool)
        return Dowel(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, Stick(no, nan, nan, nan, nan, nan, nan, nan))
    ok, tail_u, upper_u, tail_v, upper_v, k, bow, _ = _bridge(p, _region(*TAIL_REGION), _region(*UPPER_REGION))
    line_at_hip = tail_v - k * tail_u
    lumbar = _bridge(p, _region(*SACRUM_REGION), _region(*LOWER_REGION))
    lumbar_bow = np.where(lumbar.ok, lumbar.bow, np.nan)
    # Tail gap: hold the stick on the upper-back contact and let it pivot down onto the profile below.
    # Points near the pivot are left out: there the contour's noise, divided by a short lever, would tip the stick.
    below = (DORSAL_U[None, :] >= TAIL_REGION[0] - 1e-9) & (DORSAL_U[None, :] <= upper_u[:, None] - PIVOT_LEVER)
    with np.errstate(invalid="ignore", divide="ignore"):
        pivot = (upper_v[:, None] - p) / (upper_u[:, None] - DORSAL_U[None, :])
    pivot = np.where(below & np.isfinite(pivot), pivot, np.inf)
    k2 = np.min(pivot, axis=1)
    tail_gap = np.where(ok & np.isfinite(k2), upper_v + k2 * (tail_u - upper_u) - tail_v, np.nan)
    tail_gap = np.maximum(tail_gap, 0.0)
    # Head gap: the back of the head against the stick's line.
    head_gap = nan.copy()
    hu = nan.copy()
    if head_u is not None:
        hu = np.asarray(head_u, dtype=np.float64).reshape(n)
        near = (DORSAL_U[None, :] >= hu[:, None] + HEAD_REGION[0] - 1e-9) & (
            DORSAL_U[None, :] <= hu[:, None] + HEAD_REGION[1] + 1e-9
        )
        vals = np.where(near & np.isfinite(p), p, -np.inf)
        back_of_head = np.max(vals, axis=1)
        has = np.isfinite(back_of_head) & np.isfinite(hu) & (hu > UPPER_REGION[1])
        head_gap = np.where(ok & has, line_at_hip + k * hu - back_of_head, np.nan)
    bad = ~ok
    shoulder = p[:, SHOULDER_STATION]
    shoulder_drop = line_at_hip + k * DORSAL_U[SHOULDER_STATION] - shoulder
    return Dowel(
        bow=bow,
        lumbar_bow=lumbar_bow,
        tail_gap=np.where(bad, np.nan, tail_gap),
        head_gap=head_gap,
        shoulder_drop=np.where(bad | ~np.isfinite(shoulder), np.nan, shoulder_drop),
        tail_u=np.where(bad, np.nan, tail_u),
        upper_u=np.where(bad, np.nan, upper_u),
        head_u=hu,
        line_at_hip=np.where(bad, np.nan, line_at_hip),
        line_slope=np.where(bad, np.nan, k),
        lumbar_stick=lumbar,
    )


#: Where along the axis an elbow lies over the upper back (trunk lengths): from below the shoulder blades to the
#: shoulder line, where the stick's upper contact and the shoulders' drop are read.
ARM_OVER_U: Final[tuple[float, float]] = (0.50, 1.05)


def front_normals(xy_px: FloatArray, *, side: Side | None = None) -> FloatArray:
    """:func:`front_normal` for every frame of ``(T, 33, 2)`` at once: ``(T, 2)``, NaN where the front cannot be told
    (vectorised over frames: the per-frame loop cost half of the kinematics' time on a 500-frame clip).
    """
    xy = np.asarray(xy_px, dtype=np.float64)
    if side is None:
        chord = pair_mean(xy, "shoulder") - pair_mean(xy, "hip")
    else:
        chord = xy[:, sided(side, "shoulder")] - xy[:, sided(side, "hip")]
    with np.errstate(invalid="ignore", divide="ignore"):
        chord = chord / np.linalg.norm(chord, axis=-1, keepdims=True)
        normal = np.stack([-chord[:, 1], chord[:, 0]], axis=-1)

        def unit(v: FloatArray) -> FloatArray:
            n = np.linalg.norm(v, axis=-1, keepdims=True)
            return np.where((n > 0) & np.isfinite(n), v / n, np.nan)

        face = unit(xy[:, idx("nose")] - pair_mean(xy, "ear"))
        foot = unit(pair_mean(xy, "foot_index") - pair_mean(xy, "heel"))
        face_vote = 2.0 * (face * normal).sum(-1)
        foot_vote = (foot * normal).sum(-1)
    vote = np.where(np.isfinite(face_vote), face_vote, 0.0) + np.where(np.isfinite(foot_vote), foot_vote, 0.0)
    if side is not None:  # last resort, the profile rule: left side seen => facing image left
        with np.errstate(invalid="ignore"):
            guess = 0.5 * (-1.0 if side == "left" else 1.0) * normal[:, 0]
        vote = np.where(np.abs(vote) < 0.2, vote + guess, vote)
    known = np.isfinite(chord).all(axis=-1) & (np.abs(vote) >= 0.2)
    return np.where(known[:, None], normal * np.sign(vote)[:, None], np.nan)


def elbow_behind_trunk(xy_px: FloatArray) -> FloatArray:
    """``(T,)`` how far behind the hip→shoulder axis the further-back elbow lies, in trunk lengths (dorsal +), among
    the elbows at the upper back's height (:data:`ARM_OVER_U`); NaN when neither is there or the front is unknown.

    Why: with a bar or a stick held at the shoulders (a good morning's "hands just outside the shoulders") the upper
    arms run back from the shoulders along the upper back, and the silhouette's edge there is the arm's, not the
    back's. Arms that hang or hold a bar in front keep the elbows in front of the axis (−0.2 to −0.7 on most dev
    clips; a hidden far elbow is sometimes guessed behind it, so the check also asks for the hands at the neck); a
    hand behind the neck raises the elbow beside the head, past the shoulder line. The axis is used, not
    the outline: the elbow landmark moved 0.1 trunk lengths between a clip and its mirrored copy, the axis did not.
    """
    xy = np.asarray(xy_px, dtype=np.float64)
    hip, shoulder = pair_mean(xy, "hip"), pair_mean(xy, "shoulder")
    axis = shoulder - hip
    length2 = (axis * axis).sum(-1)
    front = front_normals(xy)
    elbows = xy[:, [idx("left_elbow"), idx("right_elbow")]] - hip[:, None, :]  # (T, 2, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = (elbows * axis[:, None, :]).sum(-1) / length2[:, None]
        behind = -(elbows * front[:, None, :]).sum(-1) / np.sqrt(length2)[:, None]
        over = np.isfinite(u) & (u >= ARM_OVER_U[0]) & (u <= ARM_OVER_U[1]) & np.isfinite(behind)
    best = np.where(over, behind, -np.inf).max(axis=1)
    return np.asarray(np.where(over.any(axis=1), best, np.nan), dtype=np.float64)


def to_image(xy_px: FloatArray, u: FloatArray, v: FloatArray, *, side: Side | None = None) -> FloatArray:
    """Trunk-frame points ``(u, v)`` (trunk lengths) of one frame back to image pixels ``(N, 2)`` (NaN if unknown).

    The inverse of how :func:`profile_from_mask` measures, for drawing the dowel over the video.
    """
    xy = np.asarray(xy_px, dtype=np.float64)
    shoulder, hip = _midpoint(xy, "shoulder", side), _midpoint(xy, "hip", side)
    front = front_normal(xy, side=side)
    length = float(np.hypot(*(shoulder - hip)))
    uu, vv = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if not np.isfinite(length) or not np.isfinite(front).all():
        return np.full((uu.size, 2), np.nan)
    pts = hip[None, :] + uu.reshape(-1)[:, None] * (shoulder - hip)[None, :]
    return np.asarray(pts - vv.reshape(-1)[:, None] * length * front[None, :], dtype=np.float64)
