"""The back line: what a dowel held along the spine would show, measured on the person-segmentation silhouette.

BlazePose has no spine landmarks, and the shoulder and hip landmarks barely move when the spine flexes, so landmark
geometry alone cannot see a rounded back (``/work/shared/notes/back-line-probe.md``). The silhouette can: in a side
view the dorsal edge of the person mask *is* the back line the seed article's dowel drill checks ("Maintain three
points of contact – Back of your head, between your shoulder blades, and the tailbone").

:func:`profile_from_mask` samples that edge at ``k`` stations between the shoulder and the hip, as signed offsets from
the straight shoulder→hip chord (divided by the chord length so the number does not depend on the lifter's size or
distance from the camera). :func:`back_bulge` turns a profile into one number per frame: how far the back line bows
away from a straight line ("If you look like a candy cane after trying this, you've probably missed the mark").

Only a side view shows the sagittal profile; in oblique and front views the silhouette edge is something else, and
the drill checks refuse to judge it (see :mod:`hingecoach.drills`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.skeleton import Side, idx, sided

FloatArray = NDArray[np.float64]

DEFAULT_STATIONS: Final[int] = 21
#: The fit of :func:`back_bulge` ignores the ends of the profile (shoulder blade and buttock shapes dominate there).
BULGE_FROM: Final[float] = 0.10
BULGE_TO: Final[float] = 0.90
#: The lower-back stretch of the profile that :func:`back_bulge` averages (share of the shoulder→hip span).
LUMBAR_FROM: Final[float] = 0.50
LUMBAR_TO: Final[float] = 0.85
#: A profile needs this share of finite stations in the fitted span to be summarised (else NaN).
MIN_FINITE_SHARE: Final[float] = 0.6
#: Segmentation probability above which a pixel counts as the person (MediaPipe's masks are soft at the edge).
MASK_LEVEL: Final[float] = 0.5
#: How far behind (and in front of) the chord to look for the edge, in chord lengths.
_REACH_BACK: Final[float] = 0.9
_REACH_FRONT: Final[float] = 0.3
#: Smallest usable chord, in mask pixels: below this the mask edge is too coarse to say anything.
MIN_CHORD_PX: Final[float] = 8.0


def _midpoint(xy_px: FloatArray, part: str, side: Side | None) -> FloatArray:
    """One landmark (``side`` given) or the mean of both sides' landmarks, ignoring a missing one."""
    if side is not None:
        return np.asarray(xy_px[sided(side, part)], dtype=np.float64)
    pair = xy_px[[idx(f"left_{part}"), idx(f"right_{part}")]]
    ok = np.isfinite(pair).all(axis=1)
    if not ok.any():
        return np.full(2, np.nan)
    return np.asarray(pair[ok].mean(axis=0), dtype=np.float64)


def _unit(v: FloatArray) -> FloatArray:
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 0 and np.isfinite(n) else np.full(2, np.nan)


def front_normal(xy_px: FloatArray, *, side: Side | None = None) -> FloatArray:
    """Unit vector perpendicular to the shoulder→hip chord pointing to the *front* (chest side) of the body.

    Why a vote: the chest side is where the face points (nose ahead of the ears) and where the toes point. The face
    works whatever the trunk's orientation (standing, hinged, lying on a bench); the feet help when the face is lost.
    With a known camera-facing ``side`` a last-resort guess is the profile rule (left side seen ⇒ facing image left).
    Returns NaNs when the front cannot be told, rather than guessing the belly for the back.
    """
    shoulder = _midpoint(xy_px, "shoulder", side)
    hip = _midpoint(xy_px, "hip", side)
    chord = _unit(shoulder - hip)
    if not np.isfinite(chord).all():
        return np.full(2, np.nan)
    normal = np.array([-chord[1], chord[0]])
    votes: list[float] = []
    ears = _midpoint(xy_px, "ear", None)
    face = _unit(np.asarray(xy_px[idx("nose")], dtype=np.float64) - ears)
    if np.isfinite(face).all():
        votes.append(2.0 * float(face @ normal))
    toes = _midpoint(xy_px, "foot_index", None)
    heels = _midpoint(xy_px, "heel", None)
    foot = _unit(toes - heels)
    if np.isfinite(foot).all():
        votes.append(float(foot @ normal))
    vote = float(np.sum(votes)) if votes else 0.0
    if abs(vote) < 0.2 and side is not None:
        vote += 0.5 * float(np.array([-1.0 if side == "left" else 1.0, 0.0]) @ normal)
    if abs(vote) < 0.2:
        return np.full(2, np.nan)
    return normal if vote > 0 else -normal


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


def profile_from_mask(
    mask: NDArray[np.float32],
    xy_px: NDArray[np.float64],
    *,
    side: Side | None = None,
    k: int = DEFAULT_STATIONS,
) -> FloatArray:
    """Dorsal silhouette contour at ``k`` evenly spaced stations from the shoulder (0) to the hip (k−1).

    Args:
        mask: ``(H, W)`` person-segmentation probability in [0, 1] (a uint8 0–255 mask is rescaled).
        xy_px: ``(33, 2)`` BlazePose landmarks in the *mask's* pixel coordinates (NaN where missing).
        side: which side's shoulder and hip define the chord; None = the mean of both (robust in a true side view).
        k: number of stations (≥ 3).

    Returns:
        ``(k,)`` signed offsets of the back edge from the shoulder→hip chord, divided by the chord length;
        positive = behind the chord (away from the chest). NaN at stations where no edge was found (ray leaves
        the image, mask missing, front of the body undecidable, chord too short).

    Why rays from the chord: the chord is inside the trunk, so walking from it away from the chest and stopping at
    the first pixel that is no longer the person finds the back's surface, not the far side of an arm or a plate.

    """
    if k < 3:
        raise ValueError(f"k must be at least 3, got {k}")
    out = np.full(k, np.nan)
    m = np.asarray(mask, dtype=np.float32)
    if m.ndim != 2 or m.size == 0:
        return out
    if m.max(initial=0.0) > 1.5:  # a 0-255 mask
        m = m / 255.0
    xy = np.asarray(xy_px, dtype=np.float64)
    shoulder = _midpoint(xy, "shoulder", side)
    hip = _midpoint(xy, "hip", side)
    length = float(np.hypot(*(hip - shoulder)))
    if not np.isfinite(length) or length < MIN_CHORD_PX:
        return out
    front = front_normal(xy, side=side)
    if not np.isfinite(front).all():
        return out
    back = -front
    step = 0.5
    t = np.arange(-_REACH_FRONT * length, _REACH_BACK * length + step, step)  # (M,) px along `back`
    s = np.linspace(0.0, 1.0, k)
    base = shoulder[None, :] + s[:, None] * (hip - shoulder)[None, :]  # (k, 2)
    px = base[:, None, 0] + t[None, :] * back[0]
    py = base[:, None, 1] + t[None, :] * back[1]
    val = _bilinear(m, px, py)  # (k, M), NaN outside the image
    inside = val >= MASK_LEVEL
    i0 = int(np.searchsorted(t, 0.0))  # the chord point's sample
    # Dorsal walk: first sample at or beyond the chord that is not the person.
    beh_in = inside[:, i0:]
    beh_val = val[:, i0:]
    leaves = ~beh_in
    first_out = np.argmax(leaves, axis=1)
    has_out = leaves.any(axis=1)
    start_in = beh_in[:, 0]
    # Frontal walk (chord point outside the mask: back line in front of the chord): first inside sample going forward.
    fr_in = inside[:, i0::-1]
    fr_val = val[:, i0::-1]
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
    out = np.where(ok_back, edge_back, np.where(ok_front, edge_front, np.nan)) / length
    return np.asarray(out, dtype=np.float64)


def _span(k: int) -> NDArray[np.bool_]:
    s = np.linspace(0.0, 1.0, k)
    return np.asarray((s >= BULGE_FROM - 1e-9) & (s <= BULGE_TO + 1e-9))


def back_curvature(profile: FloatArray) -> FloatArray:
    """``(T,)`` bend of the back line: −2a of a quadratic ``a·s² + b·s + c`` fitted to the profile over 10–90 %.

    Positive = the back bows out behind the chord (a "candy cane"); a straight or evenly tilted back gives 0 whatever
    the trunk thickness (thickness only shifts ``c``), which is why this, not the raw offset, is compared. Units:
    per chord length (a circular bow of height h over the chord reads ≈ 8·h). Rows with too few finite stations → NaN.
    """
    p = np.atleast_2d(np.asarray(profile, dtype=np.float64))
    k = p.shape[1]
    use = _span(k)
    s = np.linspace(0.0, 1.0, k)[use]
    y = p[:, use]
    w = np.isfinite(y).astype(np.float64)
    y0 = np.where(w > 0, y, 0.0)
    design = np.stack([s**2, s, np.ones_like(s)], axis=1)  # (n, 3)
    ata = np.einsum("ni,tn,nj->tij", design, w, design)
    aty = np.einsum("ni,tn->ti", design, w * y0)
    enough = w.mean(axis=1) >= MIN_FINITE_SHARE
    ata[~enough] = np.eye(3)
    coef = np.linalg.solve(ata, aty[..., None])[..., 0]
    return np.where(enough, -2.0 * coef[:, 0], np.nan)


def _bow(profile: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Offsets beyond the straight line joining the profile at 10 % and 90 % (the dowel's upper-back and tailbone
    contacts), and which rows have both ends and enough stations to be summarised.
    """
    p = np.atleast_2d(np.asarray(profile, dtype=np.float64))
    k = p.shape[1]
    s = np.linspace(0.0, 1.0, k)
    use = _span(k)
    lo, hi = int(np.argmax(use)), int(k - 1 - np.argmax(use[::-1]))
    a, b = p[:, lo], p[:, hi]
    line = a[:, None] + (b - a)[:, None] * ((s - s[lo]) / (s[hi] - s[lo]))[None, :]
    dev = p - line
    ok = np.isfinite(a) & np.isfinite(b) & (np.isfinite(dev[:, use]).mean(axis=1) >= MIN_FINITE_SHARE)
    return dev, ok


def back_bulge(profile: FloatArray) -> FloatArray:
    """``(T,)`` the headline back-line number: how far the *lower* back bows out behind the dowel line (chord lengths).

    The dowel line joins the profile at 10 % and 90 % of the shoulder→hip span (upper back and tailbone contacts);
    the bulge is the mean offset beyond it over 50–85 % of the span (the lumbar region). Why this and not the raw
    distance from the landmark chord: trunk thickness and clothing move the whole profile, not its bow (probe: AUC
    0.95 vs 0.85). Why the lower half: on the dev clips a loose T-shirt balloons over the shoulder blades (bow up
    to 0.05 there on neutral backs) while a rounded back bows through the lumbar spine ("letting your lumbar spine
    round"): lower-half mean 0.047–0.057 rounded vs ≤ 0.030 neutral. A circular bow of sagitta h reads ≈ 0.48·h.
    A missing end station, or too few finite stations, gives NaN.
    """
    dev, ok = _bow(profile)
    k = dev.shape[1]
    s = np.linspace(0.0, 1.0, k)
    lumbar = (s >= LUMBAR_FROM - 1e-9) & (s <= LUMBAR_TO + 1e-9)
    seg = dev[:, lumbar]
    finite = np.isfinite(seg)
    count = finite.sum(axis=1)
    enough = count >= MIN_FINITE_SHARE * max(seg.shape[1], 1)
    mean = np.where(finite, seg, 0.0).sum(axis=1) / np.maximum(count, 1)
    return np.where(ok & enough & (count > 0), mean, np.nan)


def max_bow(profile: FloatArray) -> FloatArray:
    """``(T,)`` largest offset beyond the 10 %–90 % dowel line anywhere in between (chord lengths): the whole-back
    bow, upper back included (reported for context; :func:`back_bulge` is what the rounded-back check uses).
    """
    dev, ok = _bow(profile)
    use = _span(dev.shape[1])
    seg = dev[:, use]
    best = np.max(np.where(np.isfinite(seg), seg, -np.inf), axis=1)
    return np.where(ok, best, np.nan)


def profiles_from_masks(
    masks: NDArray[np.float32] | NDArray[np.uint8],
    xy_px: NDArray[np.float64],
    *,
    side: Side | None = None,
    k: int = DEFAULT_STATIONS,
) -> FloatArray:
    """``(T, k)`` :func:`profile_from_mask` over a stack of masks ``(T, H, W)`` with landmarks ``(T, 33, 2)``."""
    if len(masks) == 0:
        return np.zeros((0, k))
    pairs = zip(masks, xy_px, strict=True)
    rows = [profile_from_mask(np.asarray(m, dtype=np.float32), xy, side=side, k=k) for m, xy in pairs]
    return np.stack(rows)
