"""The series reps are found on, and where a clip's takes begin and end (see :mod:`hingecoach.reps`).

Why a module of its own: choosing the signal (hip flexion when it can be trusted, else the trunk's incline, else the
hip's height) and splitting a clip at its cuts are decisions about the *input* — what the camera and the detector
let us see — and they are tested on their own; :mod:`hingecoach.reps` only segments the series it is given.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.kinematics import Kinematics
from hingecoach.skeleton import INDEX
from hingecoach.timebase import EPS_S, duration_s, frame_dt, half_frame_s
from hingecoach.view import classify_view

FloatArray = NDArray[np.float64]

#: Hip flexion (deg) at or below which the top counts as a lockout. Dev clips: standing tall reads −20…+16° in the
#: image (side views) and 12–31° as the world-landmark 3-D angle (unsigned, front/oblique views); lifters who stop
#: short (mattiolato "Bad" clips) top out at 36–59° in the image.
LOCKOUT_MAX_DEG: Final[float] = 30.0
LOCKOUT_MAX_3D_DEG: Final[float] = 40.0
#: Smallest hinge that is a rep: bottom at least this far (deg) above the top it started or ended at.
MIN_DEPTH_DEG: Final[float] = 30.0
#: Holes in hip flexion up to this long (s) are bridged for segmentation.
MAX_BRIDGE_S: Final[float] = 1.0
#: Hip flexion is not trusted when the lifter stands with the trunk within this of vertical (deg) for
#: ``MIN_UPRIGHT_S`` and the hip still reads more than ``STANDING_HIP_MAX_DEG`` (dev clips standing: −20…+31°).
UPRIGHT_TRUNK_DEG: Final[float] = 15.0
MIN_UPRIGHT_S: Final[float] = 0.3
STANDING_HIP_MAX_DEG: Final[float] = 45.0
#: Trunk-incline fallback: a rep tips the trunk at least this far (deg) and locks out within this of vertical.
MIN_TRUNK_REP_DEG: Final[float] = 30.0
TRUNK_LOCKOUT_MAX_DEG: Final[float] = 20.0
#: Hip-height fallback (% of leg length below standing): a rep drops the hips at least this much; the top is within
#: ``HIP_DROP_LOCKOUT_PCT`` of standing height (walking bobs the hips by ~2–3 %).
MIN_HIP_DROP_PCT: Final[float] = 8.0
HIP_DROP_LOCKOUT_PCT: Final[float] = 4.0
#: Cuts: the hips and shoulders both move more than this many trunk lengths within ``CUT_WINDOW_S``, or the body's
#: image size (the longer of the trunk and the shoulders' width) changes by more than ``CUT_SCALE`` (share) then.
CUT_JUMP: Final[float] = 0.6
CUT_WINDOW_S: Final[float] = 0.1
CUT_SCALE: Final[float] = 0.3


def _bridge(x: FloatArray, t_s: FloatArray, max_gap_s: float) -> FloatArray:
    """Linear interpolation in time across interior NaN holes that last at most ``max_gap_s`` seconds."""
    out = x.copy()
    ok = np.isfinite(x)
    if ok.sum() < 2:
        return out
    t = np.asarray(t_s, dtype=np.float64)
    dt = frame_dt(t)
    longest = max_gap_s + half_frame_s(t) - EPS_S  # to the nearest frame: round(max_gap_s * fps) frames on an even clip
    d = np.diff(np.concatenate([[0], (~ok).astype(np.int8), [0]]))
    for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
        if s > 0 and e < x.shape[0] and float(dt[s:e].sum()) <= longest:
            out[s:e] = np.interp(t[s:e], t[ok], x[ok])
    return out


def _hip_signal_name(kin: Kinematics) -> str:
    world = kin.series.get("hip_flexion_3d_deg")
    if world is None or np.isfinite(world).mean() < 0.5:
        return "hip_flexion_deg"
    view = classify_view(kin.track).view
    return "hip_flexion_3d_deg" if view in ("front", "oblique") else "hip_flexion_deg"


def hip_unreliable(kin: Kinematics, name: str) -> bool:
    """Is this hip-flexion series unusable for finding reps?

    Yes when it is missing on more than half the frames, or when the lifter stands with an upright trunk (trunk
    incline within ``UPRIGHT_TRUNK_DEG`` of vertical for at least ``MIN_UPRIGHT_S``) and the hip still reads more than
    ``STANDING_HIP_MAX_DEG`` of flexion: with the trunk vertical the hip angle is the thigh's angle, which standing is
    near 0. That is the knee landmark placed on a plate (a rounded deadlift behind 20 kg plates read ~80° standing).
    """
    x = np.asarray(kin.series[name], dtype=np.float64)
    if np.isfinite(x).mean() < 0.5:
        return True
    trunk = kin.series.get("trunk_incline_deg")
    if trunk is None:
        return False
    with np.errstate(invalid="ignore"):
        upright = np.isfinite(x) & (np.abs(trunk) <= UPRIGHT_TRUNK_DEG)
    if duration_s(kin.t_s, upright) < MIN_UPRIGHT_S - EPS_S:
        return False
    return bool(np.median(x[upright]) > STANDING_HIP_MAX_DEG)


def hip_drop_pct(kin: Kinematics) -> FloatArray:
    """How far the mid-hip is below its standing height, in % of the leg's length (0 standing, ~40 at a squat).

    The last-resort rep signal: it needs neither knees nor a sagittal view (hip and ankle midpoints in the image).
    """
    xy = kin.track.xy_px
    hip = (xy[:, INDEX["left_hip"]] + xy[:, INDEX["right_hip"]]) / 2
    ankle = (xy[:, INDEX["left_ankle"]] + xy[:, INDEX["right_ankle"]]) / 2
    height = ankle[:, 1] - hip[:, 1]  # image y grows downwards
    finite = height[np.isfinite(height)]
    if finite.size < 5:
        return np.full(height.shape, np.nan)
    leg = float(np.percentile(finite, 95))
    if leg <= 0:
        return np.full(height.shape, np.nan)
    return np.asarray(100.0 * (leg - height) / leg, dtype=np.float64)


@dataclass(frozen=True)
class _Signal:
    """The series reps are found on, with its own lockout level and minimum depth (same units as the series)."""

    name: str
    x: FloatArray
    lockout_max: float
    min_depth: float


def _choose_signal(
    kin: Kinematics,
    *,
    lockout_max_deg: float = LOCKOUT_MAX_DEG,
    lockout_max_3d_deg: float = LOCKOUT_MAX_3D_DEG,
    min_depth_deg: float = MIN_DEPTH_DEG,
    max_bridge_s: float = MAX_BRIDGE_S,
) -> _Signal:
    """Hip flexion when it can be trusted; else the trunk's incline (side/oblique); else the hip's height.

    The keyword values are the hip signal's lockout levels (image and 3-D angle), its smallest rep and the longest
    hole bridged (``hingecoach.config.RepConfig``; defaults: this module's constants).

    Why these fallbacks: a hinge *is* the trunk tipping about the hips, so the trunk incline rises and falls with
    every rep whatever the knees do (standing 0–10°, a deadlift's set-up 40–60°, an RDL 60–90°); from the front the
    incline is not seen, but the hips still drop as the lifter sits back (an RDL ~10–15 %, a pull from the floor
    ~35–45 % of the leg's length).
    """
    t = np.asarray(kin.t_s, dtype=np.float64)
    hip_name = _hip_signal_name(kin)
    lockout = lockout_max_3d_deg if hip_name == "hip_flexion_3d_deg" else lockout_max_deg
    hip_x = _bridge(np.asarray(kin.series[hip_name], dtype=np.float64), t, max_bridge_s)
    hip = _Signal(hip_name, hip_x, lockout, min_depth_deg)
    if not hip_unreliable(kin, hip_name):
        return hip
    trunk = kin.series.get("trunk_incline_deg")
    if trunk is not None and np.isfinite(trunk).mean() >= 0.5 and classify_view(kin.track).view != "front":
        tr = _bridge(np.asarray(trunk, dtype=np.float64), t, max_bridge_s)
        if _excursion(tr, 0, tr.shape[0] - 1) >= MIN_TRUNK_REP_DEG:
            return _Signal("trunk_incline_deg", tr, TRUNK_LOCKOUT_MAX_DEG, MIN_TRUNK_REP_DEG)
    drop = _bridge(hip_drop_pct(kin), t, max_bridge_s)
    if np.isfinite(drop).mean() >= 0.5 and _excursion(drop, 0, drop.shape[0] - 1) >= MIN_HIP_DROP_PCT:
        return _Signal("hip_drop_pct", drop, HIP_DROP_LOCKOUT_PCT, MIN_HIP_DROP_PCT)
    return hip


def signal_name(kin: Kinematics) -> str:
    """Which series segmentation uses: the image (sagittal) hip angle in side views, the world-landmark 3-D angle
    when the camera is front-on or oblique (where the image angle is meaningless) and world landmarks exist, and
    ``trunk_incline_deg`` or ``hip_drop_pct`` when hip flexion is unreliable (:func:`hip_unreliable`).
    """
    return _choose_signal(kin).name


def hinge_signal(kin: Kinematics) -> FloatArray:
    """The series segmentation works on (see :func:`signal_name`): short holes bridged, long left NaN."""
    return _choose_signal(kin).x


def _excursion(series: FloatArray | None, a: int, b: int) -> float:
    """Range (max − min) of a series over ``[a, b]``; NaN when it has no finite value there."""
    if series is None:
        return math.nan
    seg = series[a : b + 1]
    ok = seg[np.isfinite(seg)]
    return float(ok.max() - ok.min()) if ok.size else math.nan


# ---------------------------------------------------------------------------------------------- takes


def take_bounds(kin: Kinematics, *, max_bridge_s: float = MAX_BRIDGE_S) -> list[tuple[int, int]]:
    """The clip's takes as ``[lo, hi)`` frame ranges: split at cuts and at long losses of the person.

    A cut is a frame where the hips *and* the shoulders move more than ``CUT_JUMP`` trunk lengths within
    ``CUT_WINDOW_S`` (no lift moves the body that fast: a deadlift's hips rise at ≤ 1.5 m/s, about 0.3 trunk lengths
    in 0.1 s) or the body's size in the image (the longer of the trunk and the shoulders' width: a hinge towards a
    front camera shortens the trunk, never both) changes by more than ``CUT_SCALE`` (the camera moved or zoomed);
    a loss of the person longer than ``max_bridge_s`` (default ``MAX_BRIDGE_S``) also ends a take. Why: a rep needs
    one continuous view of the lifter; joining the end of one take to the start of the next invents a descent or an
    ascent that never happened.
    """
    xy = kin.track.xy_px
    n = xy.shape[0]
    hip = (xy[:, INDEX["left_hip"]] + xy[:, INDEX["right_hip"]]) / 2
    sh = (xy[:, INDEX["left_shoulder"]] + xy[:, INDEX["right_shoulder"]]) / 2
    trunk = np.linalg.norm(sh - hip, axis=-1)
    ok = np.isfinite(hip).all(axis=1) & np.isfinite(sh).all(axis=1) & (trunk > 0)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return [(0, n)]
    scale = float(np.percentile(trunk[idx], 90))
    t = np.asarray(kin.t_s, dtype=np.float64)
    tv = t[idx]
    half = half_frame_s(t)  # times to the nearest frame: on an even clip, the frame counts round(s * fps)
    cuts: list[int] = []
    gaps = np.flatnonzero(np.diff(tv) > max_bridge_s + half + EPS_S)
    cuts.extend(int(idx[g + 1]) for g in gaps)
    # Jumps: compare each valid frame with the valid frame nearest ``CUT_WINDOW_S`` earlier (at least one step back).
    target = tv - CUT_WINDOW_S
    nxt = np.clip(np.searchsorted(tv, target, side="left"), 1, idx.size - 1)
    later_nearer = (tv[nxt] - target) < (target - tv[nxt - 1]) - EPS_S
    back = np.minimum(np.where(later_nearer, nxt, nxt - 1), np.arange(idx.size) - 1)
    k = np.flatnonzero((back >= 0) & (tv - tv[0] >= CUT_WINDOW_S - half - EPS_S))
    i0, i1 = idx[back[k]], idx[k]
    close = (t[i1] - t[i0]) <= max_bridge_s + half + EPS_S
    d_hip = np.linalg.norm(hip[i1] - hip[i0], axis=-1) / scale
    d_sh = np.linalg.norm(sh[i1] - sh[i0], axis=-1) / scale
    # The body's size in the picture: a zoom or a moved camera scales every length, but a lifter hinging towards a
    # front camera shortens only the trunk (cos of the lean: 60° → 75° halves it) while the shoulders keep their width.
    width = np.linalg.norm(xy[:, INDEX["left_shoulder"]] - xy[:, INDEX["right_shoulder"]], axis=-1)
    size = np.fmax(trunk, width)
    ratio = size[i1] / size[i0]
    jump = close & (((d_hip > CUT_JUMP) & (d_sh > CUT_JUMP)) | (np.abs(np.log(ratio)) > np.log(1.0 + CUT_SCALE)))
    last_s = -math.inf
    for j in np.flatnonzero(jump):
        # the cut lies between i0 and i1: put it at the largest one-step move inside that stretch
        a_i, b_i = int(i0[j]), int(i1[j])
        seg = idx[(idx >= a_i) & (idx <= b_i)]
        steps = np.linalg.norm(np.diff(hip[seg], axis=0), axis=-1) + np.linalg.norm(np.diff(sh[seg], axis=0), axis=-1)
        at = int(seg[int(np.argmax(steps)) + 1]) if steps.size else b_i
        if t[at] - last_s > CUT_WINDOW_S + half + EPS_S:
            cuts.append(at)
            last_s = float(t[at])
    bounds = sorted({0, n, *cuts})
    takes = [(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi - lo >= 2]
    return takes or [(0, n)]
