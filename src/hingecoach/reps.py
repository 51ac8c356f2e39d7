"""Repetitions: where each hinge starts, bottoms out, comes back up and locks out — from hip flexion alone.

A rep is one excursion of hip flexion away from the top and back: **start** (last frame at the top before the
descent), **bottom** (deepest hip flexion; the middle of a pause there), **end** (first frame back at the top) and
**lockout** (the first frame of the top hold, i.e. ``end``, when the lifter actually stood tall; None when they never
did). So ``descent_s = bottom − start`` and ``ascent_s = end − bottom``.

Why hysteresis with clip-relative thresholds: a single threshold double-counts jitter around it, and absolute angles
differ between lifters, drills and cameras (an oblique camera reads a standing lifter at 25°). A frame is "down" once
hip flexion rises above ``top + 55 %`` of the clip's range and "up" once it falls below ``top + 30 %``, where top and
range come from the 5th and 95th percentiles of the clip. On top of that a rep needs ``MIN_DEPTH_DEG`` of depth and
``MIN_REP_S`` of duration, so setup shuffles, walking in and a swinging arm are not reps, and the trunk must tip
(``MIN_TRUNK_DEG``) or, seen from the front, foreshorten: a hip angle that "moves" while the trunk stays put is a
knee landmark lost behind a plate.

The signal is the image hip flexion in side views; front-on and oblique cameras use the view-independent hip angle
from BlazePose's world landmarks instead (``hip_flexion_3d_deg``), which still shows the hinge when the image angle
does not.

Start positions:

* **standing** (RDL, good morning, swing): a clip that begins or ends mid-rep gives a *partial* rep.
* **floor** (deadlift): the bar starts on the floor, so a clip may begin at the bottom. A first excursion that
  starts at the bottom is a complete pull (start = bottom = lift-off, no descent); the final lowering that ends the
  clip at the bottom is the set-down, not a rep.
* In any mode a pause at the bottom longer than ``SETUP_HOLD_S`` (gripping the bar) is setup, not part of the rep:
  the rep starts at the lift-off.
* **auto**: floor when the clip begins in the "down" state, else standing.

Never locking out (e.g. hip flexion never below ~40° because the lifter stops short, or the knee landmark is lost
behind a plate): the excursion is still reported as a rep, with ``lockout=None`` and ``partial=True`` — counted, so
the user sees it, but flagged, so checks that need the top (lockout, lean-back) do not judge it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach.kinematics import Kinematics
from hingecoach.skeleton import INDEX
from hingecoach.view import classify_view

FloatArray = NDArray[np.float64]

#: Hip flexion (deg) at or below which the top counts as a lockout. Dev clips: standing tall reads −20…+16° in the
#: image (side views) and 12–31° as the world-landmark 3-D angle (unsigned, front/oblique views); lifters who stop
#: short (mattiolato "Bad" clips) top out at 36–59° in the image.
LOCKOUT_MAX_DEG: Final[float] = 30.0
LOCKOUT_MAX_3D_DEG: Final[float] = 40.0
#: Smallest hinge that is a rep: bottom at least this far (deg) above the top it started or ended at.
MIN_DEPTH_DEG: Final[float] = 30.0
#: Shortest complete rep (s).
MIN_REP_S: Final[float] = 0.4
#: Hysteresis levels as fractions of the clip's hip-flexion range above its top.
HIGH_FRAC: Final[float] = 0.55
LOW_FRAC: Final[float] = 0.30
#: Holes in hip flexion up to this long (s) are bridged for segmentation.
MAX_BRIDGE_S: Final[float] = 1.0
#: A pause at the bottom longer than this (s) in floor mode is the setup at the bar, not part of the rep.
SETUP_HOLD_S: Final[float] = 1.5
#: Motion onset: velocity below this share of the excursion's peak velocity counts as still.
ONSET_FRAC: Final[float] = 0.10
#: A hinge tips the trunk: a rep whose trunk incline moves less than this (deg) is a landmark artefact.
MIN_TRUNK_DEG: Final[float] = 15.0
#: ... or, seen from the front, foreshorten the trunk by this share of its length.
MIN_TRUNK_SHORTENING: Final[float] = 0.2

# Phase codes (schema.Phase order).
SETUP, DESCENT, BOTTOM, ASCENT, LOCKOUT = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class RepSegment:
    """One rep, frame indices inclusive; the ``*_s`` fields are the same instants in seconds (NaN if unknown)."""

    start: int
    bottom: int
    end: int
    lockout: int | None
    partial: bool
    start_s: float = math.nan
    bottom_s: float = math.nan
    end_s: float = math.nan
    cut_start: bool = False
    cut_end: bool = False
    peak_hip_flexion_deg: float = math.nan
    top_hip_flexion_deg: float = math.nan

    @property
    def descent_s(self) -> float:
        return self.bottom_s - self.start_s

    @property
    def ascent_s(self) -> float:
        return self.end_s - self.bottom_s


# ---------------------------------------------------------------------------------------------- signal


def _bridge(x: FloatArray, max_gap: int) -> FloatArray:
    """Linear interpolation across interior NaN holes of at most ``max_gap`` samples."""
    out = x.copy()
    ok = np.isfinite(x)
    if ok.sum() < 2:
        return out
    idx = np.arange(x.shape[0])
    d = np.diff(np.concatenate([[0], (~ok).astype(np.int8), [0]]))
    for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
        if s > 0 and e < x.shape[0] and e - s <= max_gap:
            out[s:e] = np.interp(idx[s:e], idx[ok], x[ok])
    return out


def signal_name(kin: Kinematics) -> str:
    """Which hip series segmentation uses: the image (sagittal) angle in side views, the world-landmark 3-D angle
    when the camera is front-on or oblique (where the image angle is meaningless) and world landmarks exist.
    """
    world = kin.series.get("hip_flexion_3d_deg")
    if world is None or np.isfinite(world).mean() < 0.5:
        return "hip_flexion_deg"
    view = classify_view(kin.track).view
    return "hip_flexion_3d_deg" if view in ("front", "oblique") else "hip_flexion_deg"


def hinge_signal(kin: Kinematics) -> FloatArray:
    """The hip flexion series segmentation works on (see :func:`signal_name`): short holes bridged, long left NaN."""
    x = np.asarray(kin.series[signal_name(kin)], dtype=np.float64)
    return _bridge(x, round(MAX_BRIDGE_S * kin.fps))


@dataclass(frozen=True)
class _Levels:
    top: float
    span: float
    high: float
    low: float


def _levels(x: FloatArray) -> _Levels | None:
    finite = x[np.isfinite(x)]
    if finite.size < 5:
        return None
    top, bottom = np.percentile(finite, [5, 95])
    span = float(bottom - top)
    if span < MIN_DEPTH_DEG:
        return None
    return _Levels(float(top), span, float(top + HIGH_FRAC * span), float(top + LOW_FRAC * span))


def _down_state(x: FloatArray, lv: _Levels) -> NDArray[np.bool_]:
    """Hysteresis: True from a frame above ``high`` until the next frame below ``low`` (vectorised forward fill)."""
    event = np.full(x.shape[0], -1, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        event[x > lv.high] = 1
        event[x < lv.low] = 0
    decisive = np.flatnonzero(event >= 0)
    if decisive.size == 0:
        return np.zeros(x.shape[0], dtype=bool)
    first = int(np.flatnonzero(np.isfinite(x))[0])
    initial = 1 if x[first] >= (lv.low + lv.high) / 2 else 0
    last = np.maximum.accumulate(np.where(event >= 0, np.arange(x.shape[0]), -1))
    state = np.where(last >= 0, event[np.maximum(last, 0)], initial)
    return np.asarray(state == 1, dtype=bool)


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _velocity(x: FloatArray, fps: float) -> FloatArray:
    """deg/s, central differences smoothed over 3 frames (NaN-tolerant enough for bridged signals)."""
    v = np.gradient(np.where(np.isfinite(x), x, np.nan)) * fps
    k = np.ones(3) / 3
    padded = np.pad(v, 1, mode="edge")
    return np.asarray(np.convolve(padded, k, mode="valid"), dtype=np.float64)


def _plateau(x: FloatArray, i: int, lo: int, hi: int, tol: float) -> tuple[int, int]:
    """Contiguous frames around ``i`` (within ``[lo, hi]``) whose value stays within ``tol`` of ``x[i]``."""
    a = i
    while a > lo and np.isfinite(x[a - 1]) and x[a - 1] >= x[i] - tol:
        a -= 1
    b = i
    while b < hi and np.isfinite(x[b + 1]) and x[b + 1] >= x[i] - tol:
        b += 1
    return a, b


def _settle(x: FloatArray, vel: FloatArray, i: int, stop: int, step: int, top: float, depth: float, tol: float) -> int:
    """Walk from ``i`` (the steepest frame of a descent or ascent) towards ``stop`` until the motion has settled
    at the top: either hip flexion is within ``tol`` of ``top``, or the speed has dropped below ``ONSET_FRAC`` of
    the steepest speed *and* hip flexion is in the top quarter of the rep. The second clause finds the true onset
    of a slow start; the quarter keeps a mid-rep sticking point (the bar passing the knees) from ending the rep.
    """
    vpeak = max(abs(float(vel[i])), 1e-6)
    j = i
    while j != stop:
        xj = x[j]
        if np.isfinite(xj) and (
            xj <= top + tol or (abs(float(vel[j])) <= ONSET_FRAC * vpeak and xj <= top + 0.25 * depth)
        ):
            return j
        j += step
    return stop


def _steepest(vel: FloatArray, lo: int, hi: int, sign: float) -> int:
    """Index in ``[lo, hi)`` of the largest ``sign``·velocity (finite values only)."""
    seg = sign * vel[lo:hi]
    return lo + int(np.argmax(np.where(np.isfinite(seg), seg, -np.inf)))


def _trunk_length_px(kin: Kinematics) -> FloatArray:
    """Per-frame mid-shoulder to mid-hip distance in the image (foreshortens when hinging towards the camera)."""
    xy = kin.track.xy_px
    sh = (xy[:, INDEX["left_shoulder"]] + xy[:, INDEX["right_shoulder"]]) / 2
    hp = (xy[:, INDEX["left_hip"]] + xy[:, INDEX["right_hip"]]) / 2
    return np.asarray(np.linalg.norm(sh - hp, axis=-1), dtype=np.float64)


def _trunk_moved(trunk_deg: FloatArray | None, trunk_len_px: FloatArray, a: int, b: int) -> bool:
    """Did the trunk actually tip during ``[a, b]``?

    Seen from the side it rotates (≥ ``MIN_TRUNK_DEG``); seen from the front it foreshortens
    (≥ ``MIN_TRUNK_SHORTENING``). Unknown (no data) counts as moved.
    """
    turn = _excursion(trunk_deg, a, b)
    seg = trunk_len_px[a : b + 1]
    seg = seg[np.isfinite(seg)]
    shortening = float(1.0 - seg.min() / seg.max()) if seg.size and seg.max() > 0 else math.nan
    if not np.isfinite(turn) and not np.isfinite(shortening):
        return True
    turned = bool(np.isfinite(turn) and turn >= MIN_TRUNK_DEG)
    return turned or bool(np.isfinite(shortening) and shortening >= MIN_TRUNK_SHORTENING)


def _excursion(series: FloatArray | None, a: int, b: int) -> float:
    """Range (max − min) of a series over ``[a, b]``; NaN when it has no finite value there."""
    if series is None:
        return math.nan
    seg = series[a : b + 1]
    ok = seg[np.isfinite(seg)]
    return float(ok.max() - ok.min()) if ok.size else math.nan


# ---------------------------------------------------------------------------------------------- segmentation


def segment_reps(
    kin: Kinematics, *, start_position: Literal["auto", "standing", "floor"] = "auto"
) -> list[RepSegment]:
    """Find the reps of a clip (see the module docstring for the rules). Returns them in time order."""
    x = hinge_signal(kin)
    lockout_max = LOCKOUT_MAX_3D_DEG if signal_name(kin) == "hip_flexion_3d_deg" else LOCKOUT_MAX_DEG
    n = x.shape[0]
    t = np.asarray(kin.t_s, dtype=np.float64)
    lv = _levels(x)
    if lv is None:
        return []
    runs = _runs(_down_state(x, lv))
    if not runs:
        return []
    finite_idx = np.flatnonzero(np.isfinite(x))
    first_ok, last_ok = int(finite_idx[0]), int(finite_idx[-1])
    mode = start_position
    if mode == "auto":
        mode = "floor" if runs[0][0] <= first_ok else "standing"
    vel = _velocity(x, kin.fps)
    trunk = kin.series.get("trunk_incline_deg")
    trunk_len = _trunk_length_px(kin)
    tol = max(2.0, 0.03 * lv.span)
    setup_hold = round(SETUP_HOLD_S * kin.fps)
    out: list[RepSegment] = []
    for r, (a, b) in enumerate(runs):
        prev_end = runs[r - 1][1] if r > 0 else 0
        next_start = runs[r + 1][0] if r + 1 < len(runs) else n
        cut_start = a <= first_ok
        cut_end = b > last_ok
        peak_i = a + int(np.nanargmax(x[a:b]))
        peak = float(x[peak_i])
        before = x[prev_end:a]
        after = x[b:next_start]
        top_before = float(np.nanmin(before)) if np.isfinite(before).any() else math.nan
        top_after = float(np.nanmin(after)) if np.isfinite(after).any() else math.nan
        tops = [v for v in (top_before, top_after) if np.isfinite(v)]
        ref_top = min(tops) if tops else lv.top
        depth = peak - ref_top
        if depth < MIN_DEPTH_DEG:
            continue
        # Ends of the excursion: from the steepest descent back to the top, from the steepest ascent on to the top.
        # The steepest descent lies between the last frame below ``low`` and the bottom; the steepest ascent between
        # the bottom and the first frame back below ``low`` (= ``b``).
        with np.errstate(invalid="ignore"):
            below = np.flatnonzero(x[prev_end:a] < lv.low)
        entry = prev_end + int(below[-1]) if below.size else prev_end
        exit_ = min(b, n - 1)
        if cut_start:
            start = first_ok
        else:
            start = _settle(x, vel, _steepest(vel, entry, peak_i + 1, 1.0), prev_end, -1, top_before, depth, tol)
        if cut_end:
            end = last_ok
        else:
            end = _settle(x, vel, _steepest(vel, peak_i, exit_ + 1, -1.0), next_start - 1, 1, top_after, depth, tol)
        # Bottom: the middle of the band within 8 % of the depth around the deepest value (steadier than a noisy
        # argmax); a long bottom hold is the setup at the bar (lift-off starts the rep), and so is a clip that opens
        # at the bottom in floor mode.
        p0, p1 = _plateau(x, peak_i, start, end, max(tol, 0.08 * depth))
        bottom = (p0 + p1) // 2
        h0, h1 = _plateau(x, peak_i, start, end, 0.15 * depth)
        floor_pull = False
        opens_at_bottom = cut_start and np.isfinite(x[first_ok]) and x[first_ok] >= peak - 0.25 * depth
        if h1 - h0 >= setup_hold or (mode == "floor" and opens_at_bottom):
            up = _steepest(vel, h1, max(min(exit_, end), h1) + 1, -1.0)
            start = bottom = _lift_off(x, vel, up, h0, tol)
            floor_pull = True
        if mode == "floor" and cut_end and x[last_ok] >= peak - 0.25 * depth:
            continue  # the set-down after the last lockout
        cut_start = cut_start and not floor_pull
        min_s = MIN_REP_S / 2 if floor_pull else MIN_REP_S  # a pull from the floor is an ascent only
        if not cut_start and not cut_end and (end - start) / kin.fps < min_s:
            continue
        if not _trunk_moved(trunk, trunk_len, start, end):
            continue  # the hips "moved" but the trunk did not: a lost knee landmark, not a hinge
        lockout = end if (not cut_end and np.isfinite(top_after) and top_after <= lockout_max) else None
        out.append(
            RepSegment(
                start=int(start),
                bottom=int(bottom),
                end=int(end),
                lockout=None if lockout is None else int(lockout),
                partial=bool(cut_start or cut_end or lockout is None),
                start_s=float(t[start]),
                bottom_s=float(t[bottom]),
                end_s=float(t[end]),
                cut_start=bool(cut_start),
                cut_end=bool(cut_end),
                peak_hip_flexion_deg=peak,
                top_hip_flexion_deg=top_after if np.isfinite(top_after) else math.nan,
            )
        )
    return out


def _lift_off(x: FloatArray, vel: FloatArray, up: int, lo: int, tol: float) -> int:
    """Last still frame before the ascent that starts at ``up``: walking back, the first frame whose speed is below
    ``ONSET_FRAC`` of the ascent's, or whose hip flexion is within ``tol`` of the deepest value before it.
    """
    vpeak = max(abs(float(vel[up])), 1e-6)
    deepest = float(np.nanmax(x[lo : up + 1]))
    j = up
    while j > lo:
        if abs(float(vel[j])) <= ONSET_FRAC * vpeak or (np.isfinite(x[j]) and x[j] >= deepest - tol):
            return j
        j -= 1
    return lo


def phase_labels(kin: Kinematics, reps: Sequence[RepSegment]) -> NDArray[np.int8]:
    """Per-frame phase: 0 setup (outside reps), 1 descent, 2 bottom, 3 ascent, 4 lockout (the top hold after a
    locked-out rep, until the next rep starts or the lifter leaves the top).

    The bottom phase is the plateau around the rep's bottom frame where hip flexion stays within 3 % of the clip's
    range (at least 2°) of the deepest value.
    """
    x = hinge_signal(kin)
    n = x.shape[0]
    labels = np.zeros(n, dtype=np.int8)
    lv = _levels(x)
    span = lv.span if lv is not None else MIN_DEPTH_DEG
    ordered = sorted(reps, key=lambda r: r.start)
    for i, r in enumerate(ordered):
        p0, p1 = _plateau(x, r.bottom, r.start, r.end, max(2.0, 0.03 * span))
        labels[r.start : p0] = DESCENT
        labels[p0 : p1 + 1] = BOTTOM
        labels[p1 + 1 : r.end + 1] = ASCENT
        if r.lockout is not None:
            stop = ordered[i + 1].start if i + 1 < len(ordered) else n
            top = x[r.lockout]
            hold = np.arange(r.lockout, stop)
            with np.errstate(invalid="ignore"):
                leaves = np.flatnonzero(x[hold] > top + LOW_FRAC * span)
            last = hold[leaves[0]] if leaves.size else stop
            labels[r.lockout : last] = LOCKOUT
    return labels
