"""Measurements on one rep: the quantity each drill check reads, as a pure function of a :class:`RepWindow`.

Why a module of its own: the drill table (:mod:`hingecoach.drills`) says *what* is judged — threshold and why, severity,
cue, the seed passage; this module says *how* each quantity is read off the kinematics series (extremes held for a
moment, bottom-phase medians; the virtual dowel's medians over the frames of deepest lean are in
:mod:`hingecoach.measures_back`), so a threshold and a measurement are changed in different places. A measure returns a
:class:`Measured`, a :class:`NotJudged` (why, and how to film so that it can be judged) or None (the landmarks it needs
were hidden).

Values are in the units of the kinematics contract (:mod:`hingecoach.kinematics`): degrees for angles, ratios of a
body length for distances.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach.timebase import EPS_S, first_within, frame_edges, last_within

FloatArray = NDArray[np.float64]

#: Frames within this many degrees of the rep's deepest hip flexion form its "bottom phase".
BOTTOM_BAND_DEG: Final[float] = 15.0
#: A bottom-phase measurement needs at least this many usable frames (else: not judged).
MIN_PHASE_FRAMES: Final[int] = 3
#: ... and, for extremes (deepest knee bend, farthest bar), this share of the phase's frames: plates and the bar
#: hide knees and shins exactly at the bottom of a floor pull, and the few frames left at the phase's edges say
#: nothing about the bottom (measured on production tracks: knee "max" of 9–29° on conventional pulls).
MIN_PHASE_COVERAGE: Final[float] = 0.5
#: A knee-bend measurement needs the knee seen within this many seconds of the rep's bottom frame.
BOTTOM_SEEN_S: Final[float] = 0.2


#: The hip flexion on every frame where the trunk is seen, legs usable or not: for *when* the bottom is, never for a
#: value (:meth:`RepWindow.bottom_phase`).
HIP_PHASE: Final[str] = "hip_flexion_phase_deg"


# ---------------------------------------------------------------------------------------------- rep window
@dataclass(frozen=True)
class BackReference:
    """The athlete's own neutral back line: dowel medians from a clean set in the same camera set-up.

    Why: clothing and build move a lifter's back-line numbers as much as a rounding does between lifters, while one
    lifter's neutral sets agree within 0.002–0.010 trunk lengths (``/work/shared/notes/virtual-dowel.md``); compared
    with their own reference, every rounded lifter rose by ≥ 0.03. The history store supplies it.
    """

    dowel_bow: float | None = None
    dowel_head_gap: float | None = None
    source: str = ""
    dowel_tail_gap: float | None = None
    dowel_shoulder_drop: float | None = None


@dataclass(frozen=True)
class Baseline:
    """The lifter's clip-level values, computed once and shared by every rep's checks.

    ``pelvis_tilt_deg``: standing hip-line angle (median over the most upright frames). ``deep_lean_deg``: trunk
    incline from which a frame counts as the deepest lean, where the back line is judged (None: the trunk never
    leaned far enough). ``deep_lean_seen_deg``: the same level over every frame where the trunk is seen, legs hidden
    or not (the rounded-back reading's frames; None = use ``deep_lean_deg``). ``reference``: the athlete's own
    neutral back line, when known.
    """

    pelvis_tilt_deg: float | None = None
    deep_lean_deg: float | None = None
    reference: BackReference | None = None
    deep_lean_seen_deg: float | None = None


@dataclass(frozen=True)
class RepWindow:
    """One rep as arrays: every series sliced to ``[start, end]`` (inclusive), plus where the bottom and lockout are.

    ``cut_start``/``cut_end`` say the rep touches the clip's first/last frame (its top may not be in view), so checks
    of the top of the rep refuse to judge it rather than blame the lifter for the camera. ``yaw_deg`` is the body's
    yaw from side-on (from the view estimate) for checks that correct an oblique camera's foreshortening;
    ``top_lost`` says the frames right after the rep's end were mostly unusable (a cut, the lifter leaving the frame;
    ``top_off_foot`` when it was the legs' landmarks drawn off the feet, as a plate at hip height at lockout does).
    ``t_s``: each frame's timestamp (s); every duration a measure uses ("held for 0.1 s", "within 0.2 s of the
    bottom") is read on it, so uneven frames keep their true time. Without it (a window built by hand) the frames are
    taken as evenly spaced at ``fps``.
    """

    series: Mapping[str, FloatArray]
    fps: float
    bottom: int
    lockout: int | None = None
    cut_start: bool = False
    cut_end: bool = False
    baseline: Baseline | None = None
    yaw_deg: float | None = None
    top_lost: bool = False
    #: The top was lost because the leg's landmarks left the foot there (a plate over the legs), not a cut.
    top_off_foot: bool = False
    #: Clip frame index of the window's first frame (the window may start before the rep, at a floor pull's set-up).
    offset: int = 0
    t_s: FloatArray | None = None

    @property
    def n(self) -> int:
        return int(self.get("hip_flexion_deg").shape[0])

    @property
    def times(self) -> FloatArray:
        """``(n,)`` the window's timestamps (s): ``t_s``, or even spacing at ``fps`` for a window built without it."""
        if self.t_s is not None:
            return np.asarray(self.t_s, dtype=np.float64)
        return np.arange(self.n, dtype=np.float64) / self.fps

    def near_bottom(self, within_s: float) -> NDArray[np.bool_]:
        """Frames within ``within_s`` seconds of the bottom frame, to the nearest frame (and its two neighbours)."""
        t = self.times
        frames = np.arange(t.shape[0])
        lo = min(first_within(t, self.bottom, within_s), self.bottom - 1)
        hi = max(last_within(t, self.bottom, within_s), self.bottom + 1)
        return np.asarray((frames >= lo) & (frames <= hi))

    def get(self, name: str) -> FloatArray:
        """A series by name; an all-NaN array when absent (a check then returns None: cannot judge)."""
        arr = self.series.get(name)
        if arr is None:
            first = next(iter(self.series.values()), np.zeros(0))
            return np.full(np.shape(first), np.nan)
        return np.asarray(arr, dtype=np.float64)

    def bottom_phase(self) -> NDArray[np.bool_]:
        """Frames within :data:`BOTTOM_BAND_DEG` of the rep's deepest hip flexion.

        The deepest hip flexion is read on every frame where the trunk is seen (:data:`HIP_PHASE`, when the window
        has it), legs usable or not: plates in front of the shins hide the knee exactly at a floor pull's set-up,
        and the phase taken from the usable frames alone was then the way up (hips 95° against 140° at the set-up),
        whose straighter knee read as locked knees on a correct pull. Values are still read on usable frames only.
        """
        hip = self.get(HIP_PHASE) if HIP_PHASE in self.series else self.get("hip_flexion_deg")
        if not np.isfinite(hip).any():
            return np.zeros(hip.shape, dtype=bool)
        return np.asarray(hip >= np.nanmax(hip) - BOTTOM_BAND_DEG)


@dataclass(frozen=True)
class Measured:
    """A check's measured value and the frame (index into the window) it refers to.

    ``relative``: the value is the change from the athlete's own reference (the check then uses its
    ``reference_threshold``), not an absolute reading.
    """

    value: float
    frame: int
    relative: bool = False
    #: The value is a median over fewer frames than the check's band assumes: widen the band by this factor.
    band_scale: float = 1.0
    #: Standard error of the value, from the spread of the frames it is the median of (0 = not estimated). The judge
    #: widens the check's borderline band to cover it: a reading whose own frames disagree is not called either way.
    se: float = 0.0
    #: The value is an extreme read on only part of the frames that decide it (the rest hidden), so it bounds the
    #: true value from one side: ``"at_least"`` for a maximum (the hidden frames could only raise it), ``"at_most"``
    #: for a minimum. The judge keeps only an answer the hidden frames could not change (a knee seen bent 112° on
    #: part of the bottom is not locked, whatever the rest did) and says "not judged" otherwise.
    bound: Literal["at_least", "at_most"] | None = None
    #: The value is the check's alternate reading (:attr:`hingecoach.drills.Check.alternate`), taken where its own
    #: quantity cannot be seen; the judge then uses that reading's threshold, major level and band.
    alternate: bool = False
    #: A reading that can show the fault but not clear it (it sees only part of what the check is about): any answer
    #: but a fault is this "not judged" instead (the judge adds what the reading found).
    unless_fault: NotJudged | None = None


@dataclass(frozen=True)
class AltReading:
    """A check's second reading, for reps on which its own quantity cannot be seen (e.g. the lower back's bow where
    arms cover the upper back): its quantity, thresholds and band, in its own unit.
    """

    quantity: str
    threshold: float
    major_at: float
    band: float


@dataclass(frozen=True)
class NotJudged:
    """Why a check could not judge this rep, in the user's words, and how to film so that it can."""

    reason: str
    how_to_film: str | None = None


MeasureFn = Callable[[RepWindow], "Measured | NotJudged | None"]


# ---------------------------------------------------------------------------------------------- measurements
#: Beyond this yaw from side-on (deg) a trunk angle is too foreshortened to correct (cos 45° already halves the
#: forward lean's sine... by 0.71; at 60° a 10° error doubles).
MAX_DEOBLIQUE_YAW_DEG: Final[float] = 50.0
#: The bar-path check reads the frames with the hands below this height (0 ankle, 1 knee, 2 hip): below the hips.
BAR_BELOW_HIP: Final[float] = 1.9
#: An extreme must be held this long to count: one- or two-frame landmark spikes are not the lifter's posture.
HOLD_S: Final[float] = 0.1


def _held(x: FloatArray, t_s: FloatArray, pick: Literal["max", "min"]) -> FloatArray:
    """For each frame, the value held from it for :data:`HOLD_S` (the min of those frames for ``max``, their max for
    ``min``); NaN where fewer frames remain or one of them is missing.

    The frames from ``i`` that together last nearest ``HOLD_S`` (each frame standing for the time half-way to its
    neighbours, :func:`hingecoach.timebase.frame_edges`): 3 frames at 30 fps, 6 at 60 — ``round(HOLD_S * fps)`` on an
    even clip — and as many as the time takes where the frames come unevenly. ``x`` unchanged when a single frame
    lasts that long or no run of frames does.
    """
    n = x.shape[0]
    if n == 0:
        return x
    edges = frame_edges(t_s)
    edges = np.append(edges, 2 * edges[-1] - edges[-2])  # one edge past the end: a hold that would run out
    target = edges[:n] + HOLD_S
    k = np.searchsorted(edges, target, side="left")  # first edge at or past the hold's end
    k = np.clip(k, np.arange(n) + 1, n + 1)
    earlier = (k - 1 >= np.arange(n) + 1) & (target - edges[k - 1] <= edges[k] - target + EPS_S)
    stop = np.where(earlier, k - 1, k)  # the window is frames [i, stop): its end edge nearest the hold's end
    if np.all(stop <= np.arange(n) + 1) or not np.any(stop <= n):
        return x
    out = np.full(x.shape, np.nan)
    for i in np.flatnonzero(stop <= n):
        seg = x[i : int(stop[i])]
        if np.isfinite(seg).all():
            out[i] = seg.min() if pick == "max" else seg.max()
    return out


def _at_value(x: FloatArray, pick: Literal["max", "min"], t_s: FloatArray | None = None) -> Measured | None:
    """The largest/smallest value of ``x`` held for :data:`HOLD_S` on the timestamps ``t_s`` (plain extreme when
    None).
    """
    h = x if t_s is None else _held(x, np.asarray(t_s, dtype=np.float64), pick)
    if not np.isfinite(h).any():
        h = x
    if not np.isfinite(h).any():
        return None
    i = int(np.nanargmax(h) if pick == "max" else np.nanargmin(h))
    return Measured(float(h[i]), i)


def _bottom_median(w: RepWindow, name: str) -> Measured | None:
    """Median of a series over the bottom phase (robust to a single bad frame at the deepest point)."""
    x = w.get(name)
    sel = w.bottom_phase() & np.isfinite(x)
    if sel.sum() < MIN_PHASE_FRAMES:
        return None
    frame = int(np.flatnonzero(sel)[np.argmin(np.abs(np.flatnonzero(sel) - w.bottom))])
    return Measured(float(np.median(x[sel])), frame)


def measure_knee_hip_ratio(w: RepWindow) -> Measured | None:
    """Knee flexion ÷ hip flexion over the bottom phase; None for a bend too shallow to tell (< 30° at the hip).

    Both angles are corrected for an oblique camera with the view's yaw (:func:`_deoblique_deg`): foreshortening
    flattens a bent knee more than a deeply bent hip, so a front-oblique squat reads like a hinge uncorrected
    (dev box squat at 52° of yaw: 0.80 uncorrected, 0.87 corrected).
    """
    knee = _bottom_median(w, "knee_flexion_deg")
    hip = _bottom_median(w, "hip_flexion_deg")
    if knee is None or hip is None or hip.value < 30.0:
        return None
    k = _deoblique_deg(max(knee.value, 0.0), w.yaw_deg)
    h = _deoblique_deg(hip.value, w.yaw_deg)
    return Measured(k / h, hip.frame)


def _deoblique_deg(angle_deg: float, yaw_deg: float | None) -> float:
    """Undo the foreshortening of a sagittal joint angle seen ``yaw_deg`` away from side-on.

    Forward components shrink by cos(yaw) while vertical ones do not, so a bend θ reads as
    atan2(cos(yaw)·sin θ, cos θ) (exact when one segment is vertical, e.g. the shin at a deadlift's set-up); this
    inverts it. Without a yaw, or beyond 60° (front-on, where the correction explodes), the value is unchanged.
    """
    if yaw_deg is None or not np.isfinite(yaw_deg) or abs(yaw_deg) < 1.0 or abs(yaw_deg) > 60.0:
        return angle_deg
    a = np.radians(angle_deg)
    c = float(np.cos(np.radians(yaw_deg)))
    return float(np.degrees(np.arctan2(np.sin(a) / c, np.cos(a))))


def measure_knee_bend(w: RepWindow) -> Measured | None:
    """The deepest knee bend in the bottom phase, held for :data:`HOLD_S` (deg), corrected for an oblique camera.

    Why a held maximum: a leg that never bends that far is straight, and one stray frame must not rescue it. Why the
    bottom phase only: frames elsewhere say nothing about the bottom, and plates often hide the knees there — then
    the check does not judge (None) rather than read the top of the rep as the bottom.
    """
    phase = w.bottom_phase()
    all_knee = w.get("knee_flexion_deg")
    knee = np.where(phase, all_knee, np.nan)
    seen = int(np.isfinite(knee).sum())
    if seen < MIN_PHASE_FRAMES:
        return None
    # Seen on too little of the phase, or not at the bottom itself (plates hide it there; the frames left are the
    # way up): the bend seen is only a lower bound of the deepest one.
    at_bottom = bool(np.isfinite(all_knee[w.near_bottom(BOTTOM_SEEN_S)]).any())
    partial = seen < MIN_PHASE_COVERAGE * int(phase.sum()) or not at_bottom
    m = _at_value(knee, "max", w.times)
    if m is None:
        return None
    return Measured(_deoblique_deg(m.value, w.yaw_deg), m.frame, bound="at_least" if partial else None)


def measure_lean_back(w: RepWindow) -> Measured | None:
    """How far the trunk leans back past the leg line at the top of the rep (deg), held for :data:`HOLD_S`.

    The article's "don't let your back arch ... in the top position": at lockout the hips pushed forward past the
    ankles and the shoulders behind the hips. Measured as ``body_arch_deg`` (the angle at the hip between the
    ankle→hip line and the hip→shoulder line), which needs no knee landmark — plates hide the knee exactly at a
    deadlift's lockout; BlazePose's own hip extension is the fallback where the ankle is not seen. Only the frames
    after the rep's bottom count (the way up and the top hold).
    """
    after = slice(w.bottom, None)
    t = w.times[after]
    arch = w.get("body_arch_deg")[after]
    m = _at_value(arch, "max", t) if np.isfinite(arch).any() else None
    if m is None:
        m = _at_value(w.get("hip_extension_deg")[after], "max", t)
    return None if m is None else Measured(m.value, m.frame + w.bottom)


def measure_top_hip_flexion(w: RepWindow) -> Measured | None:
    """Smallest hip flexion after the bottom (how tall the lifter stood); None when the clip cuts the top off."""
    hip = w.get("hip_flexion_deg")
    after = hip[w.bottom :]
    if w.cut_end or not np.isfinite(after).any():
        return None
    m = _at_value(after, "min", w.times[w.bottom :])
    return None if m is None else Measured(m.value, m.frame + w.bottom)


def measure_hand_depth(w: RepWindow) -> Measured | None:
    """Lowest hand height over the rep (0 ankle, 1 knee, 2 hip)."""
    return _at_value(w.get("hand_height"), "min", w.times)


def measure_trunk_depth(w: RepWindow) -> Measured | None:
    """Largest trunk incline (deg from vertical; 90 = torso horizontal)."""
    return _at_value(w.get("trunk_incline_deg"), "max", w.times)


def _deoblique_incline(trunk_deg: FloatArray, yaw_deg: float | None) -> FloatArray:
    """A segment's incline from vertical seen ``yaw_deg`` off side-on, corrected: its forward component shrinks by
    cos(yaw) and its vertical one does not, so tan(seen) = tan(true)·cos(yaw) — the same inversion as
    :func:`_deoblique_deg`, applied per frame.
    """
    if yaw_deg is None or not np.isfinite(yaw_deg) or abs(yaw_deg) < 1.0:
        return trunk_deg
    c = float(np.cos(np.radians(yaw_deg)))
    a = np.radians(trunk_deg)
    return np.asarray(np.degrees(np.arctan2(np.sin(a) / c, np.cos(a))), dtype=np.float64)


def measure_hips_first(w: RepWindow) -> Measured | None:
    """How much the trunk tips *further* forward while the knees make the first half of their extension (deg).

    In a pull the chest and hips rise together; when the knees straighten first the hips shoot up, the trunk goes
    towards horizontal and the back does the lift. None when the knees barely bend (< 20° range: nothing to compare).
    From an oblique camera the trunk's lean is foreshortened by cos(yaw); it is corrected with the view's yaw
    (:func:`_deoblique_incline`), and not judged beyond :data:`MAX_DEOBLIQUE_YAW_DEG` or without a yaw, where the
    correction would be a guess.
    """
    if w.yaw_deg is not None and abs(w.yaw_deg) > MAX_DEOBLIQUE_YAW_DEG:
        return None
    knee = w.get("knee_flexion_deg")
    trunk = _deoblique_incline(w.get("trunk_incline_deg"), w.yaw_deg)
    if not np.isfinite(knee).any() or not np.isfinite(trunk).any():
        return None
    k0 = int(np.nanargmax(knee))
    rest = knee[k0:]
    k_end = k0 + int(np.nanargmin(rest))
    span = knee[k0] - knee[k_end]
    if span < 20.0:
        return None
    half = np.flatnonzero(rest <= knee[k0] - 0.5 * span)
    k_half = k0 + int(half[0]) if half.size else k_end
    seg = trunk[k0 : k_half + 1]
    if not np.isfinite(seg).any() or not np.isfinite(trunk[k0]):
        return None
    i = int(np.nanargmax(seg))
    return Measured(float(seg[i] - trunk[k0]), k0 + i)


def measure_bar_distance(w: RepWindow) -> Measured | None:
    """Largest horizontal hand distance in front of the legs (shin lengths) on the way down and at the bottom, while
    the hands are below the hips: the thigh line above the knee, the shin line below (``hand_to_leg``).

    Why the whole way down, not only below the knee: an RDL's bar drifts away from the thighs first, and most RDLs
    barely pass the knee. Not judged when the legs are seen on fewer than half of those frames.
    """
    hand = w.get("hand_height")
    frames = np.arange(hand.shape[0])
    until = (frames <= w.bottom) | w.near_bottom(BOTTOM_SEEN_S)  # the way down, and the bottom (to BOTTOM_SEEN_S)
    with np.errstate(invalid="ignore"):
        sel = (hand < BAR_BELOW_HIP) & until
    dist = np.where(sel, w.get("hand_to_leg"), np.nan)
    seen = int(np.isfinite(dist).sum())
    if seen < MIN_PHASE_FRAMES or seen < MIN_PHASE_COVERAGE * int(sel.sum()):
        return None
    return _at_value(dist, "max", w.times)


def measure_pelvis_tilt(w: RepWindow) -> Measured | None:
    """Largest tilt of the hip line from its standing angle (deg), i.e. one hip lifting towards the ceiling."""
    tilt = w.get("pelvis_tilt_deg")
    ref = w.baseline.pelvis_tilt_deg if w.baseline is not None else None
    if ref is None or not np.isfinite(ref):
        ref = float(tilt[np.isfinite(tilt)][0]) if np.isfinite(tilt).any() else float("nan")
    return _at_value(np.abs(tilt - ref), "max", w.times) if np.isfinite(ref) else None


def measure_leg_line(w: RepWindow) -> Measured | None:
    """Bend of the shoulder–hip–floating-ankle line over the bottom phase (deg; 0 = one straight line)."""
    return _bottom_median(w, "leg_line_deg")


def measure_knee_width(w: RepWindow) -> Measured | None:
    """Narrowest knee separation over the rep, as a share of the ankle separation."""
    return _at_value(w.get("knee_width_ratio"), "min", w.times)
