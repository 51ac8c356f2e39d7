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
does not. When hip flexion cannot be trusted — the knee landmark lost, or stuck on the plates so that standing
upright reads like a deep hinge — the reps are found on the trunk's incline (a hinge *is* the trunk tipping at the
hips: "tip forward at the hips"), and from the front on the hip's height.

Takes: a clip joined from several takes is split at each cut (:func:`take_bounds`) and every take is segmented on
its own, so the end of one take and the start of the next never make a rep between them; a rep split by a cut is not
a rep. In a standing drill a long rest at the bottom with the hands at the floor is the weight being set down or
picked up, not a rep.

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

Time: every duration here (``MIN_REP_S``, ``SETUP_HOLD_S``, ``MIN_TAKE_S``, velocities) is read on the frames' own
timestamps (:mod:`hingecoach.timebase`), never a frame count over the nominal fps. The tunables named in
:class:`hingecoach.config.RepConfig` are this module's constants by default; :func:`segment_reps` takes others.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach.kinematics import Kinematics
from hingecoach.rep_signal import (
    LOCKOUT_MAX_3D_DEG as LOCKOUT_MAX_3D_DEG,
)
from hingecoach.rep_signal import (
    LOCKOUT_MAX_DEG as LOCKOUT_MAX_DEG,
)
from hingecoach.rep_signal import (
    MIN_DEPTH_DEG,
    _choose_signal,
    _excursion,
    _Signal,
    hip_drop_pct,
    take_bounds,
)
from hingecoach.rep_signal import (
    hinge_signal as hinge_signal,
)
from hingecoach.rep_signal import (
    hip_unreliable as hip_unreliable,
)
from hingecoach.rep_signal import (
    signal_name as signal_name,
)
from hingecoach.skeleton import INDEX
from hingecoach.timebase import EPS_S, duration_s, lasts_at_least, velocity

if TYPE_CHECKING:
    from hingecoach.config import RepConfig

FloatArray = NDArray[np.float64]

#: Shortest complete rep (s).
MIN_REP_S: Final[float] = 0.4
#: Hysteresis levels as fractions of the clip's hip-flexion range above its top.
HIGH_FRAC: Final[float] = 0.55
LOW_FRAC: Final[float] = 0.30
#: A pause at the bottom longer than this (s) in floor mode is the setup at the bar, not part of the rep.
SETUP_HOLD_S: Final[float] = 1.5
#: Motion onset: velocity below this share of the excursion's peak velocity counts as still.
ONSET_FRAC: Final[float] = 0.10
#: A hinge tips the trunk: a rep whose trunk incline moves less than this (deg) is a landmark artefact.
MIN_TRUNK_DEG: Final[float] = 15.0
#: ... or, seen from the front, foreshorten the trunk by this share of its length.
MIN_TRUNK_SHORTENING: Final[float] = 0.2
#: A rep whose trunk stays upright still counts when the hips sink this much (% of leg length): a squat seen from
#: the front (a knee landmark sliding over a plate moves the hip angle, not the hip's height).
HIPS_SANK_PCT: Final[float] = 20.0
#: A floor pull begins where the knees last were within this (deg) of their deepest set-up bend (twice the knee
#: angle's ~2.5° landmark noise).
KNEE_ONSET_TOL_DEG: Final[float] = 5.0
#: ... and only when the knees had straightened by at least this much (deg) before the hips moved.
KNEE_ONSET_MIN_DEG: Final[float] = 15.0
#: A take shorter than this (s) holds no rep.
MIN_TAKE_S: Final[float] = 0.5
#: Standing drills: a rest at the bottom of ``SETUP_HOLD_S`` or more with the hands at floor level (``hand_height``
#: below ``FLOOR_HAND_HEIGHT``) is setting the weight down or picking it up, not a rep. A bar with 45 cm plates on
#: the floor puts the hands ~0.4 shin lengths above the ankle (kettlebell and dumbbell handles about the same); the
#: article's RDL goes "to about mid-shin" (0.5) and turns round there rather than resting.
FLOOR_HAND_HEIGHT: Final[float] = 0.5
#: ... and the knees bent at least this much (deg): an RDL's "slight bend" is 15–30°.
SET_DOWN_KNEE_DEG: Final[float] = 40.0

# Phase codes (schema.Phase order).
SETUP, DESCENT, BOTTOM, ASCENT, LOCKOUT = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class RepSegment:
    """One rep, frame indices inclusive; the ``*_s`` fields are the same instants in seconds (NaN if unknown).

    ``peak_hip_flexion_deg``/``top_hip_flexion_deg`` are values of the segmentation signal (:func:`signal_name`):
    hip flexion normally, the trunk's incline (deg) or the hip's drop (% of leg length) when hip flexion was not
    trusted.
    """

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


@dataclass(frozen=True)
class _Levels:
    top: float
    span: float
    high: float
    low: float


def _levels(
    x: FloatArray, min_depth: float = MIN_DEPTH_DEG, high_frac: float = HIGH_FRAC, low_frac: float = LOW_FRAC
) -> _Levels | None:
    finite = x[np.isfinite(x)]
    if finite.size < 5:
        return None
    top, bottom = np.percentile(finite, [5, 95])
    span = float(bottom - top)
    if span < min_depth:
        return None
    return _Levels(float(top), span, float(top + high_frac * span), float(top + low_frac * span))


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


def _velocity(x: FloatArray, t_s: FloatArray) -> FloatArray:
    """Units per second on the frames' own timestamps (uneven frames included), central differences smoothed over
    3 frames (NaN-tolerant enough for bridged signals).
    """
    v = velocity(np.where(np.isfinite(x), x, np.nan), t_s)
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


def _settle(
    x: FloatArray,
    vel: FloatArray,
    i: int,
    stop: int,
    step: int,
    top: float,
    depth: float,
    tol: float,
    onset_frac: float = ONSET_FRAC,
) -> int:
    """Walk from ``i`` (the steepest frame of a descent or ascent) towards ``stop`` until the motion has settled
    at the top: either hip flexion is within ``tol`` of ``top``, or the speed has dropped below ``onset_frac`` of
    the steepest speed *and* hip flexion is in the top quarter of the rep. The second clause finds the true onset
    of a slow start; the quarter keeps a mid-rep sticking point (the bar passing the knees) from ending the rep.
    """
    vpeak = max(abs(float(vel[i])), 1e-6)
    j = i
    while j != stop:
        xj = x[j]
        if np.isfinite(xj) and (
            xj <= top + tol or (abs(float(vel[j])) <= onset_frac * vpeak and xj <= top + 0.25 * depth)
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


def _trunk_moved(
    trunk_deg: FloatArray | None,
    trunk_len_px: FloatArray,
    a: int,
    b: int,
    min_deg: float = MIN_TRUNK_DEG,
    min_shortening: float = MIN_TRUNK_SHORTENING,
) -> bool:
    """Did the trunk actually tip during ``[a, b]``?

    Seen from the side it rotates (≥ ``min_deg``, default ``MIN_TRUNK_DEG``); seen from the front it foreshortens
    (≥ ``min_shortening``, default ``MIN_TRUNK_SHORTENING``). Unknown (no data) counts as moved.
    """
    turn = _excursion(trunk_deg, a, b)
    seg = trunk_len_px[a : b + 1]
    seg = seg[np.isfinite(seg)]
    shortening = float(1.0 - seg.min() / seg.max()) if seg.size and seg.max() > 0 else math.nan
    if not np.isfinite(turn) and not np.isfinite(shortening):
        return True
    turned = bool(np.isfinite(turn) and turn >= min_deg)
    return turned or bool(np.isfinite(shortening) and shortening >= min_shortening)


# ---------------------------------------------------------------------------------------------- segmentation


def _rep_config(config: RepConfig | None) -> RepConfig:
    from hingecoach.config import RepConfig  # the config module reads this module's constants for its defaults

    return config if config is not None else RepConfig()


def _signal(kin: Kinematics, cfg: RepConfig) -> _Signal:
    return _choose_signal(
        kin,
        lockout_max_deg=cfg.lockout_max_deg,
        lockout_max_3d_deg=cfg.lockout_max_3d_deg,
        min_depth_deg=cfg.min_depth_deg,
        max_bridge_s=cfg.max_bridge_s,
    )


def segment_reps(
    kin: Kinematics,
    *,
    start_position: Literal["auto", "standing", "floor"] = "auto",
    config: RepConfig | None = None,
) -> list[RepSegment]:
    """Find the reps of a clip (see the module docstring for the rules). Returns them in time order.

    Each take (:func:`take_bounds`) is segmented on its own; a rep that a cut between takes splits is not a rep
    (only the clip's own first and last frames make partial reps). ``config``: the segmentation tunables
    (:class:`hingecoach.config.RepConfig`; None = this module's constants).
    """
    cfg = _rep_config(config)
    sig = _signal(kin, cfg)
    n = sig.x.shape[0]
    takes = take_bounds(kin, max_bridge_s=cfg.max_bridge_s)
    hand = kin.series.get("hand_height")
    drop = hip_drop_pct(kin)
    out: list[RepSegment] = []
    for lo, hi in takes:
        if duration_s(kin.t_s, slice(lo, hi)) < MIN_TAKE_S - EPS_S:
            continue
        ctx = _Take(
            x=sig.x[lo:hi],
            t=np.asarray(kin.t_s, dtype=np.float64)[lo:hi],
            trunk=None if (tr := kin.series.get("trunk_incline_deg")) is None else np.asarray(tr)[lo:hi],
            trunk_len=_trunk_length_px(kin)[lo:hi],
            drop=drop[lo:hi],
            knee=None if (kn := kin.series.get("knee_flexion_deg")) is None else np.asarray(kn)[lo:hi],
            hand=None if hand is None else np.asarray(hand, dtype=np.float64)[lo:hi],
            seam_start=lo > 0,
            seam_end=hi < n,
        )
        for r in _segment_take(ctx, sig, start_position, cfg):
            out.append(_shift(r, lo))
    return out


def _shift(r: RepSegment, lo: int) -> RepSegment:
    if lo == 0:
        return r
    lockout = None if r.lockout is None else r.lockout + lo
    return replace(r, start=r.start + lo, bottom=r.bottom + lo, end=r.end + lo, lockout=lockout)


@dataclass(frozen=True)
class _Take:
    """One take's slices of what segmentation reads; ``seam_*``: the take starts/ends at a cut inside the clip."""

    x: FloatArray
    t: FloatArray
    trunk: FloatArray | None
    trunk_len: FloatArray
    drop: FloatArray
    hand: FloatArray | None
    knee: FloatArray | None
    seam_start: bool
    seam_end: bool


def _weight_on_floor(hand: FloatArray | None, knee: FloatArray | None, a: int, b: int) -> bool:
    """The hands rest at floor level (median ``hand_height`` below :data:`FLOOR_HAND_HEIGHT`) over ``[a, b]`` with
    the knees bent (median ≥ :data:`SET_DOWN_KNEE_DEG`): putting a weight down bends the knees, while a single-leg
    RDL's reach to the floor keeps the standing knee soft.
    """
    if hand is None:
        return False
    seg = hand[a : b + 1]
    seg = seg[np.isfinite(seg)]
    if not (seg.size and float(np.median(seg)) < FLOOR_HAND_HEIGHT):
        return False
    if knee is None:
        return True
    k = knee[a : b + 1]
    k = k[np.isfinite(k)]
    return not k.size or float(np.median(k)) >= SET_DOWN_KNEE_DEG


def _segment_take(
    ctx: _Take, sig: _Signal, start_position: Literal["auto", "standing", "floor"], cfg: RepConfig
) -> list[RepSegment]:
    x = ctx.x
    lockout_max = sig.lockout_max
    n = x.shape[0]
    t = ctx.t
    lv = _levels(x, sig.min_depth, cfg.high_frac, cfg.low_frac)
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
    vel = _velocity(x, t)
    trunk = ctx.trunk
    trunk_len = ctx.trunk_len
    # Angles (hip flexion, trunk incline) settle within 2°; the hips' drop (% of leg length) within 0.5.
    tol = max(2.0, 0.03 * lv.span) if sig.name != "hip_drop_pct" else max(0.5, 0.03 * lv.span)
    onset = cfg.onset_frac
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
        if depth < sig.min_depth:
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
            i = _steepest(vel, entry, peak_i + 1, 1.0)
            start = _settle(x, vel, i, prev_end, -1, top_before, depth, tol, onset)
        if cut_end:
            end = last_ok
        else:
            i = _steepest(vel, peak_i, exit_ + 1, -1.0)
            end = _settle(x, vel, i, next_start - 1, 1, top_after, depth, tol, onset)
        # Bottom: the middle of the band within 8 % of the depth around the deepest value (steadier than a noisy
        # argmax); a long bottom hold is the setup at the bar (lift-off starts the rep), and so is a clip that opens
        # at the bottom in floor mode.
        p0, p1 = _plateau(x, peak_i, start, end, max(tol, 0.08 * depth))
        bottom = (p0 + p1) // 2
        h0, h1 = _plateau(x, peak_i, start, end, 0.15 * depth)
        floor_pull = False
        opens_at_bottom = cut_start and np.isfinite(x[first_ok]) and x[first_ok] >= peak - 0.25 * depth
        long_hold = lasts_at_least(float(t[h1] - t[h0]), cfg.setup_hold_s, t)
        if start_position == "standing" and long_hold and _weight_on_floor(ctx.hand, ctx.knee, h0, h1):
            continue  # a standing drill's weight set down on the floor (or picked up from it): not a rep
        if long_hold or (mode == "floor" and opens_at_bottom):
            up = _steepest(vel, h1, max(min(exit_, end), h1) + 1, -1.0)
            start = bottom = _knees_first(ctx.knee, _lift_off(x, vel, up, h0, tol, onset), h0)
            floor_pull = True
        if mode == "floor" and cut_end and x[last_ok] >= peak - 0.25 * depth:
            continue  # the set-down after the last lockout
        cut_start = cut_start and not floor_pull
        if (cut_start and ctx.seam_start) or (cut_end and ctx.seam_end):
            continue  # split by a cut between takes: neither take shows the whole rep
        min_s = cfg.min_rep_s / 2 if floor_pull else cfg.min_rep_s  # a pull from the floor is an ascent only
        if not cut_start and not cut_end and t[end] - t[start] < min_s - EPS_S:
            continue
        # A floor pull's excursion starts at the set-up (its start moved to lift-off): a pull whose top leaves the
        # picture (the head out of a close frame) may tip the trunk less than the minimum after lift-off alone.
        since = min(start, h0) if floor_pull else start
        moved = _trunk_moved(trunk, trunk_len, since, end, cfg.min_trunk_deg, cfg.min_trunk_shortening)
        if not moved and not _excursion(ctx.drop, since, end) >= HIPS_SANK_PCT:
            continue  # the hip angle "moved" but neither the trunk nor the hips did: a lost knee landmark
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


def _lift_off(x: FloatArray, vel: FloatArray, up: int, lo: int, tol: float, onset_frac: float = ONSET_FRAC) -> int:
    """Last still frame before the ascent that starts at ``up``: walking back, the first frame whose speed is below
    ``onset_frac`` of the ascent's, or whose hip flexion is within ``tol`` of the deepest value before it.
    """
    vpeak = max(abs(float(vel[up])), 1e-6)
    deepest = float(np.nanmax(x[lo : up + 1]))
    j = up
    while j > lo:
        if abs(float(vel[j])) <= onset_frac * vpeak or (np.isfinite(x[j]) and x[j] >= deepest - tol):
            return j
        j -= 1
    return lo


def _knees_first(knee: FloatArray | None, lift_off: int, lo: int) -> int:
    """Move a floor pull's lift-off back to where the knees began to straighten, if they did so first.

    Why: when the hips rise first the hip angle hardly changes while the knees extend and the trunk tips — the pull
    has begun, but the hip signal still reads the set-up. Within ``[lo, lift_off]`` (the hips held at the bottom)
    the pull began at the last frame whose knee bend is within ``KNEE_ONSET_TOL_DEG`` of the deepest; during a still
    set-up that is the end of the hold, i.e. the lift-off itself. Only when the knee is seen on ≥ 80 % of that
    stretch and straightened by :data:`KNEE_ONSET_MIN_DEG` or more.
    """
    if knee is None or lift_off <= lo:
        return lift_off
    seg = knee[lo : lift_off + 1]
    if not np.isfinite(seg).any():
        return lift_off
    deepest = float(np.nanmax(seg))
    with np.errstate(invalid="ignore"):
        near = np.flatnonzero(seg >= deepest - KNEE_ONSET_TOL_DEG)
    onset = lo + int(near[-1])
    stretch = knee[onset : lift_off + 1]
    # only a knee seen throughout that straightened clearly: a landmark lost behind the plates proves nothing
    seen = float(np.isfinite(stretch).mean())
    end = knee[lift_off] if np.isfinite(knee[lift_off]) else np.nan
    if seen < 0.8 or not np.isfinite(end) or deepest - float(end) < KNEE_ONSET_MIN_DEG:
        return lift_off
    return onset


def phase_labels(kin: Kinematics, reps: Sequence[RepSegment], config: RepConfig | None = None) -> NDArray[np.int8]:
    """Per-frame phase: 0 setup (outside reps), 1 descent, 2 bottom, 3 ascent, 4 lockout (the top hold after a
    locked-out rep, until the next rep starts or the lifter leaves the top).

    The bottom phase is the plateau around the rep's bottom frame where hip flexion stays within 3 % of the clip's
    range (at least 2°) of the deepest value. ``config``: the segmentation tunables the reps were found with.
    """
    cfg = _rep_config(config)
    sig = _signal(kin, cfg)
    x = sig.x
    n = x.shape[0]
    labels = np.zeros(n, dtype=np.int8)
    lv = _levels(x, sig.min_depth, cfg.high_frac, cfg.low_frac)
    span = lv.span if lv is not None else sig.min_depth
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
                leaves = np.flatnonzero(x[hold] > top + cfg.low_frac * span)
            last = hold[leaves[0]] if leaves.size else stop
            labels[r.lockout : last] = LOCKOUT
    return labels
