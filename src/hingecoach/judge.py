"""Judging: each rep against its drill's checks, then the session (score, the one or two cues, the next drill).

Inputs are the kinematics stage's named series and the rep segmenter's frame indices; this module reads them
through small structural protocols so it does not depend on how those stages are built. The rules come from the
seed article: a coach gives one or two cues, not ten; progress along the drill ladder when the pattern is clean
across reps, step back when major faults recur, and "if you do not already have good patterning in the hip hinge you
should definitely improve that first before adding weight".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from hingecoach import schema
from hingecoach.drills import (
    DRILLS,
    FAULT_CODES,
    LADDER,
    BackReference,
    Baseline,
    Check,
    Drill,
    Measured,
    NotJudged,
    RepWindow,
    back_line_medians,
)
from hingecoach.nanstats import nanmean
from hingecoach.skeleton import idx
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]

#: A rep is judged only when at least this share of its frames has reliable landmarks.
MIN_RELIABLE_SHARE: Final[float] = 0.6
#: Points a fault costs on the 0–100 rep score.
PENALTY: Final[Mapping[str, int]] = {"minor": 15, "major": 35}
#: Clean reps needed before moving up the ladder (one good rep is luck, three is a pattern).
MIN_CLEAN_REPS: Final[int] = 3
#: An ankle this high above the other (leg lengths) means a single-leg stance.
SINGLE_LEG_LIFT: Final[float] = 0.3
#: How long after a rep's end the judge still looks for its lockout (the top hold).
TOP_HOLD_S: Final[float] = 1.0
#: Looking back from a floor pull's lift-off for its set-up, stop where the hips are this much straighter (deg).
SETUP_DIP_DEG: Final[float] = 30.0
#: Postures outside these limits are landmark failures (a knee bent backwards by 30°, a trunk folded behind the legs).
MIN_KNEE_DEG: Final[float] = -30.0
MIN_HIP_DEG: Final[float] = -60.0
MAX_HIP_DEG: Final[float] = 170.0
MAX_TRUNK_DEG: Final[float] = 135.0
_NAMES: Final[Mapping[str, str]] = {
    "rounded_back": "a rounded back",
    "head_out_of_line": "the head's line with the back",
    "squat_pattern": "squatting instead of hinging",
    "locked_knees": "locked knees",
    "overextension": "leaning back at the top",
    "incomplete_lockout": "the lockout at the top",
    "too_deep": "the depth of the hinge",
    "hips_rise_first": "the hips rising first",
    "bar_far_from_body": "how close the weight stays",
    "hips_not_level": "whether the hips stay level",
    "body_not_straight": "the head-to-foot line",
    "knees_cave": "knees caving in",
    "incomplete_hip_extension": "the hip extension at the top",
}
_HOW_TO_FILM: Final[Mapping[str, str]] = {
    "side": "film from the side, camera at hip height, whole body in frame (for the back: a fitted top)",
    "front": "film from the front or from behind, whole body in frame",
}


# ---------------------------------------------------------------------------------------------- inputs
class KinematicsLike(Protocol):
    """What the judge reads of ``hingecoach.kinematics.Kinematics``."""

    @property
    def t_s(self) -> FloatArray: ...

    @property
    def fps(self) -> float: ...

    @property
    def series(self) -> Mapping[str, FloatArray]: ...

    @property
    def reliable(self) -> NDArray[np.bool_]: ...


class RepLike(Protocol):
    """What the judge reads of ``hingecoach.reps.RepSegment`` (frame indices)."""

    @property
    def start(self) -> int: ...

    @property
    def bottom(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def lockout(self) -> int | None: ...


def view_name(view: object) -> str:
    """``"side"``/``"front"``/``"oblique"``/``"unknown"`` from a ``ViewEstimate``, a string or None."""
    name = getattr(view, "view", view)
    return str(name) if isinstance(name, str) else "unknown"


# ---------------------------------------------------------------------------------------------- derived series
def _angle_deg(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Unsigned angle at ``b`` (deg), vectorised over frames."""
    u, v = a - b, c - b
    nu, nv = np.linalg.norm(u, axis=-1), np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (u * v).sum(-1) / (nu * nv)
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


def derived_series(track: PoseTrack) -> dict[str, FloatArray]:
    """Series the drill table needs beyond the kinematics contract, computed from the track's landmarks.

    ``ankle_lift``: height of the higher ankle above the lower one ÷ leg length (0 both feet down; ~1 a single-leg
    RDL's free foot at hip height). ``leg_line_deg``: bend of the shoulder→hip→free-ankle line (0 = the straight
    head-to-foot line the single-leg RDL asks for). ``knee_width_ratio``: knee separation ÷ ankle separation across
    the image (a front-view measure; NaN when the ankles overlap, as in a side view).
    """
    xy = track.xy_px
    # Frames where both landmarks of a pair are missing are NaN by design: nanstats says so without a warning, and
    # np.errstate is thread-local (warnings.catch_warnings would swap the process-wide filters under other threads).
    with np.errstate(invalid="ignore", divide="ignore"):
        return _derived(xy)


def _derived(xy: FloatArray) -> dict[str, FloatArray]:
    def mid(part: str) -> FloatArray:
        return nanmean(xy[:, [idx(f"left_{part}"), idx(f"right_{part}")]], axis=1)

    la, ra = xy[:, idx("left_ankle")], xy[:, idx("right_ankle")]
    hip, shoulder = mid("hip"), mid("shoulder")
    leg = nanmean(np.stack([np.linalg.norm(la - hip, axis=-1), np.linalg.norm(ra - hip, axis=-1)]), axis=0)
    lift = np.abs(la[:, 1] - ra[:, 1]) / leg
    free = np.where((la[:, 1] < ra[:, 1])[:, None], la, ra)  # image y grows downwards: the higher ankle is free
    line = 180.0 - _angle_deg(shoulder, hip, free)
    ankle_w = np.abs(la[:, 0] - ra[:, 0])
    knee_w = np.abs(xy[:, idx("left_knee"), 0] - xy[:, idx("right_knee"), 0])
    ratio = np.where(ankle_w > 0.08 * leg, knee_w / np.where(ankle_w > 0, ankle_w, 1.0), np.nan)
    with np.errstate(invalid="ignore"):
        return {
            "ankle_lift": np.asarray(lift, dtype=np.float64),
            "leg_line_deg": np.where(lift > SINGLE_LEG_LIFT, line, np.nan),
            "knee_width_ratio": np.asarray(ratio, dtype=np.float64),
        }


def _all_series(kin: KinematicsLike) -> dict[str, FloatArray]:
    series = {k: np.asarray(v, dtype=np.float64) for k, v in kin.series.items()}
    track = getattr(kin, "track", None)
    if isinstance(track, PoseTrack):
        for k, v in derived_series(track).items():
            series.setdefault(k, v)
    near, far, lift = series.get("hip_flexion_deg"), series.get("hip_flexion_far_deg"), series.get("ankle_lift")
    if near is not None and far is not None and lift is not None:
        # On one leg the near side may be the free leg, whose hip stays straight: the hinge is the stance hip's.
        with np.errstate(invalid="ignore"):
            use_far = (lift > SINGLE_LEG_LIFT) & (near < 30.0) & (far > near + 30.0)
        series["hip_flexion_deg"] = np.where(use_far, far, near)
    return series


def usable_frames(kin: KinematicsLike, series: Mapping[str, FloatArray] | None = None) -> NDArray[np.bool_]:
    """``(T,)`` frames the checks may read: reliable landmarks and a physically possible posture.

    Why the second condition: a detector that flips the skeleton (a video cut, a plate mistaken for a body) can
    report confident landmarks in an impossible pose — knees bent backwards, the trunk folded behind the thighs.
    Those frames are landmark failures, not the lifter's faults.
    """
    s = _all_series(kin) if series is None else series
    n = int(np.asarray(kin.t_s).shape[0])
    ok = np.asarray(kin.reliable, dtype=bool).copy()
    hip = s.get("hip_flexion_deg", np.zeros(n))
    knee = s.get("knee_flexion_deg", np.zeros(n))
    trunk = s.get("trunk_incline_deg", np.zeros(n))
    with np.errstate(invalid="ignore"):
        ok &= ~((knee < MIN_KNEE_DEG) | (hip < MIN_HIP_DEG) | (hip > MAX_HIP_DEG) | (np.abs(trunk) > MAX_TRUNK_DEG))
    return ok


#: The deepest-lean frames, where the back line is judged: within this many degrees of the clip's 95th-percentile
#: trunk lean, and at least :data:`DEEP_LEAN_MIN_DEG` (``/work/shared/notes/virtual-dowel.md``).
DEEP_LEAN_BAND_DEG: Final[float] = 10.0
DEEP_LEAN_MIN_DEG: Final[float] = 35.0


def deep_lean_deg(trunk_incline_deg: FloatArray, usable: NDArray[np.bool_]) -> float | None:
    """Trunk incline (deg) from which a frame counts as the deepest lean; None when the trunk never leaned 35°.

    Why the clip's own percentile and not a rep's bottom: the back line does not need a segmented rep (plates hiding
    the knees can leave a clip with no rep at all, but its bottom frames still show the back).
    """
    lean = np.abs(np.asarray(trunk_incline_deg, dtype=np.float64))
    ok = usable & np.isfinite(lean)
    if int(ok.sum()) < 2:
        return None
    p95 = float(np.percentile(lean[ok], 95))
    if p95 < DEEP_LEAN_MIN_DEG:
        return None
    return max(DEEP_LEAN_MIN_DEG, p95 - DEEP_LEAN_BAND_DEG)


def compute_baseline(kin: KinematicsLike, reference: BackReference | None = None) -> Baseline:
    """The lifter's clip-level values, computed once: standing hip line, deepest-lean level, own back reference.

    Why standing medians: the hip line's angle in the image differs between people and cameras (a tilted phone, a
    leg-length difference); the hip-level check compares the lifter with themselves, which cancels both.
    """
    s = _all_series(kin)
    hip = s.get("hip_flexion_deg")
    trunk = s.get("trunk_incline_deg")
    lean = None if trunk is None else deep_lean_deg(trunk, usable_frames(kin, s))
    if hip is None or not np.isfinite(hip).any():
        return Baseline(deep_lean_deg=lean, reference=reference)
    ok = np.asarray(kin.reliable, dtype=bool) & np.isfinite(hip)
    if not ok.any():
        return Baseline(deep_lean_deg=lean, reference=reference)
    upright = ok & (hip <= np.nanpercentile(hip[ok], 10) + 5.0)

    def med(name: str) -> float | None:
        x = s.get(name)
        if x is None:
            return None
        v = x[upright & np.isfinite(x)]
        return float(np.median(v)) if v.size else None

    return Baseline(pelvis_tilt_deg=med("pelvis_tilt_deg"), deep_lean_deg=lean, reference=reference)


def _top_hold_end(hip: FloatArray | None, end: int, max_frames: int) -> int:
    """Last frame of the top hold after a rep's ``end``: up to ``max_frames`` later, stopping where a new descent
    starts (hip flexion 20° above the lowest value since ``end``).

    Why: a rep ends when the hips are back *near* the top; the lockout (standing tall, or leaning back) comes a few
    frames later, and the lockout checks must see it.
    """
    if hip is None or max_frames <= 0:
        return end
    seg = hip[end : min(end + max_frames, hip.shape[0] - 1) + 1]
    if not np.isfinite(seg).any():
        return end
    low = np.fmin.accumulate(np.where(np.isfinite(seg), seg, np.inf))
    rising = np.flatnonzero(np.isfinite(seg) & (seg > low + 20.0))
    return end + (int(rising[0]) - 1 if rising.size else seg.shape[0] - 1)


def _setup_start(hip: FloatArray | None, start: int, max_frames: int) -> int:
    """First frame of the set-up before a floor pull that starts at lift-off (``start == bottom``): up to
    ``max_frames`` earlier, stopping where the hips are :data:`SETUP_DIP_DEG` straighter than at lift-off (standing
    before walking in to the bar); NaN frames are passed over.

    Why: the set-up at the bar is where a deadlift's back and knees are judged; a lift-off detected a few frames
    late (landmarks jump as the bar breaks from the floor) must not cut it out of the rep.
    """
    if hip is None or max_frames <= 0 or start <= 0 or not np.isfinite(hip[start]):
        return start
    lo = max(0, start - max_frames)
    seg = hip[lo:start][::-1]
    below = np.flatnonzero(np.isfinite(seg) & (seg < hip[start] - SETUP_DIP_DEG))
    return start - (int(below[0]) if below.size else seg.shape[0])


def rep_window(
    kin: KinematicsLike,
    rep: RepLike,
    *,
    baseline: Baseline | None = None,
    series: Mapping[str, FloatArray] | None = None,
    yaw_deg: float | None = None,
) -> RepWindow:
    """Slice every series to the rep ``[start, end]`` (inclusive) and re-base its bottom/lockout indices."""
    s = _all_series(kin) if series is None else series
    n = int(np.asarray(kin.t_s).shape[0])
    a0, b0 = int(rep.start), int(rep.end)
    hold = round(TOP_HOLD_S * float(kin.fps))
    hip = s.get("hip_flexion_deg")
    b = _top_hold_end(hip, b0, hold)
    a = _setup_start(hip, a0, hold) if int(rep.bottom) == a0 else a0
    usable = usable_frames(kin, s)
    keep = usable[a : b + 1]
    # The top is out of view when most frames just after the rep's end are unusable (a cut, the lifter leaving).
    after = usable[b0 + 1 : b0 + 1 + max(1, round(0.3 * float(kin.fps)))]
    top_lost = after.size > 0 and float(after.mean()) < 0.5
    window = {k: np.where(keep, v[a : b + 1], np.nan) for k, v in s.items()}
    bottom = int(rep.bottom) - a
    wh = window.get("hip_flexion_deg")
    if a < a0 and wh is not None and np.isfinite(wh[: a0 - a + 1]).any():
        bottom = int(np.nanargmax(wh[: a0 - a + 1]))  # the set-up position is the bottom of a floor pull
    return RepWindow(
        series=window,
        fps=float(kin.fps),
        bottom=bottom,
        lockout=None if rep.lockout is None else int(rep.lockout) - a,
        cut_start=bool(getattr(rep, "cut_start", False)) or a <= 0,
        cut_end=bool(getattr(rep, "cut_end", False)) or b0 >= n - 1,
        top_lost=top_lost,
        baseline=baseline,
        yaw_deg=yaw_deg,
        offset=a,
    )


# ---------------------------------------------------------------------------------------------- one rep
@dataclass(frozen=True)
class JudgedRep:
    """The verdict on one rep.

    ``checks``: every check's answer — fault, clean, borderline or not judged, with the evidence. ``faults``: the
    checks whose answer is a fault. ``not_judged``: codes that could not be measured (view, hidden landmarks, the top
    cut off, too few frames). ``back_held_deg``: hip flexion (deg) down to which the back line held on the way down —
    the article's "work in a range of motion where you can maintain all three points"; None when not judged.
    """

    metrics: dict[str, float | None]
    faults: list[schema.Fault]
    score: int
    judged: bool
    not_judged: tuple[str, ...] = ()
    back_held_deg: float | None = None
    checks: tuple[schema.CheckResult, ...] = ()


def _round(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 3)


#: The checks that read the back line (the virtual dowel) and so also judge frames outside segmented reps.
BACK_LINE_CODES: Final[tuple[str, ...]] = ("rounded_back", "head_out_of_line")


def back_held_range(w: RepWindow, drill: Drill) -> float | None:
    """Deepest hip flexion (deg) reached on the way down while the dowel still touched all three points.

    The line counts as broken once the bow or the head gap passes its check's threshold on two consecutive frames
    (one frame is mask noise). Returns the rep's deepest hip flexion when the line held throughout, None when the
    back line was not measured.
    """
    hip = w.get("hip_flexion_deg")[: w.bottom + 1]
    over = np.zeros(hip.shape, dtype=bool)
    known = np.zeros(hip.shape, dtype=bool)
    for code, name in (("rounded_back", "dowel_bow"), ("head_out_of_line", "dowel_head_gap")):
        check = drill.check(code)
        if check is None:
            continue
        x = w.get(name)[: w.bottom + 1]
        value = np.abs(x) if code == "head_out_of_line" else x
        finite = np.isfinite(value) & np.isfinite(hip)
        known |= finite
        over |= np.where(finite, value > check.threshold, False)
    if known.sum() < 2:
        return None
    broke = over[1:] & over[:-1]
    if not broke.any():
        return float(np.nanmax(hip))
    first = int(np.argmax(broke))
    before = hip[: first + 1][known[: first + 1]]
    return float(np.max(before)) if before.size else 0.0


def score_faults(faults: Sequence[schema.Fault]) -> int:
    """0–100: 100 minus 15 per minor and 35 per major fault (a rep with a major fault cannot score above 65)."""
    return int(max(0, 100 - sum(PENALTY[f.severity] for f in faults)))


def _view_reason(check: Check, vname: str) -> tuple[str, str]:
    need = "side" if "side" in check.views else "front"
    seen = "an unclear" if vname == "unknown" else "an oblique" if vname == "oblique" else f"a {vname}"
    return f"{_NAMES.get(check.code, check.code)} cannot be judged from {seen} view", _HOW_TO_FILM[need]


def answer(check: Check, m: Measured, *, at_s: float | None = None) -> schema.CheckResult:
    """Fault, clean or borderline for one measured value (the band keeps noise from flipping the answer)."""
    rel = m.relative and check.reference_threshold is not None
    threshold = float(check.reference_threshold) if rel else check.threshold  # type: ignore[arg-type]
    major = float(check.reference_major_at) if rel and check.reference_major_at is not None else check.major_at
    band = (check.reference_band if rel else check.band) * m.band_scale
    v = float(m.value)
    common = {
        "code": check.code,
        "quantity": check.quantity + ("_vs_own_reference" if rel else ""),
        "value": _round(v),
        "threshold": threshold,
        "band": band,
        "unit": check.unit,
        "at_s": None if at_s is None else round(at_s, 3),
    }
    if band > 0 and abs(v - threshold) <= band:
        return schema.CheckResult(
            state="borderline",
            reason=f"{v:.3g} is within ±{band:.3g} of the threshold {threshold:g}: too close to call",
            **common,  # type: ignore[arg-type]
        )
    if not check.past(v, threshold):
        return schema.CheckResult(state="clean", **common)  # type: ignore[arg-type]
    severity: schema.Severity = "major" if check.past(v, major) else "minor"
    return schema.CheckResult(state="fault", severity=severity, **common)  # type: ignore[arg-type]


def _not_judged(check: Check, reason: str, how: str | None = None) -> schema.CheckResult:
    return schema.CheckResult(
        code=check.code, state="not_judged", quantity=check.quantity, unit=check.unit, reason=reason, how_to_film=how
    )


def judge_rep(
    drill: Drill,
    kin: KinematicsLike,
    rep: RepLike,
    *,
    baseline: Baseline | None = None,
    view: object = "side",
) -> JudgedRep:
    """Run the drill's checks on one rep; every check answers fault, clean, borderline or not judged (with why).

    ``view``: the camera view (a ``ViewEstimate`` or its name). Checks that view cannot see are not judged, with the
    view as the reason and how to film instead — never guessed. ``baseline`` None = computed from ``kin`` (pass one
    to share it across reps, and to carry the athlete's own back reference).
    """
    series = _all_series(kin)
    base = baseline if baseline is not None else compute_baseline(kin)
    yaw = getattr(view, "yaw_deg", None)
    w = rep_window(kin, rep, baseline=base, series=series, yaw_deg=float(yaw) if isinstance(yaw, int | float) else None)
    t = np.asarray(kin.t_s, dtype=np.float64)
    reliable = np.asarray(kin.reliable, dtype=bool)[int(rep.start) : int(rep.end) + 1]
    vname = view_name(view)
    hip = w.get("hip_flexion_deg")
    metrics: dict[str, float | None] = {
        "hip_flexion_max_deg": _round(float(np.nanmax(hip)) if np.isfinite(hip).any() else None),
        "knee_flexion_at_bottom_deg": _round(float(w.get("knee_flexion_deg")[w.bottom])),
        "trunk_angle_at_bottom_deg": _round(float(w.get("trunk_incline_deg")[w.bottom])),
        "hand_height_bottom": _round(float(w.get("hand_height")[w.bottom])),
        "reliable_share": _round(float(reliable.mean()) if reliable.size else 0.0),
    }
    share = float(reliable.mean()) if reliable.size else 0.0
    judged = bool(reliable.size) and share >= MIN_RELIABLE_SHARE
    lo, hi = int(rep.start), int(rep.end)
    results: list[schema.CheckResult] = []
    for check in drill.checks:
        if vname not in check.views:
            metrics[check.quantity] = None
            results.append(_not_judged(check, *_view_reason(check, vname)))
            continue
        if not judged:
            metrics[check.quantity] = None
            results.append(
                _not_judged(
                    check,
                    f"the body's landmarks were reliable on only {share:.0%} of this rep's frames",
                    "keep the whole body in frame and in good light, one person in view",
                )
            )
            continue
        m = check.fn(w)
        if m is None or isinstance(m, NotJudged):
            metrics[check.quantity] = None
            reason = m.reason if isinstance(m, NotJudged) else (
                f"the landmarks it needs ({', '.join(check.series)}) were hidden at that point of the rep"
            )
            results.append(_not_judged(check, reason, m.how_to_film if isinstance(m, NotJudged) else None))
            continue
        metrics[check.quantity + ("_vs_own_reference" if m.relative else "")] = _round(m.value)
        frame = min(max(w.offset + m.frame, lo), hi)  # a fault's time lies within its rep
        res = answer(check, m, at_s=float(t[min(frame, t.shape[0] - 1)]))
        if res.state == "fault" and check.needs_top_in_view and w.top_lost:
            # A lockout not seen is not a lockout missed: more frames could only have shown it.
            res = _not_judged(
                check, "the top of the rep is out of view", "keep the camera running until you stand tall"
            )
        results.append(res)
    faults = [
        schema.Fault(
            code=r.code,
            severity=r.severity or "minor",
            at_s=float(r.at_s if r.at_s is not None else t[lo]),
            cue=next(c.cue for c in drill.checks if c.code == r.code),
            value=r.value,
            threshold=r.threshold,
            unit=r.unit,
        )
        for r in results
        if r.state == "fault"
    ]
    held = None
    rb = drill.check("rounded_back")
    if judged and rb is not None and vname in rb.views:
        held = back_held_range(w, drill)
        metrics.update({k: _round(v) for k, v in back_line_medians(w).items()})
    metrics["back_held_to_hip_flexion_deg"] = _round(held)
    return JudgedRep(
        metrics=metrics,
        faults=faults,
        score=score_faults(faults) if judged else 0,
        judged=judged,
        not_judged=tuple(dict.fromkeys(r.code for r in results if r.state == "not_judged")),
        back_held_deg=_round(held),
        checks=tuple(results),
    )


def judge_outside_reps(
    drill: Drill,
    kin: KinematicsLike,
    reps: Sequence[RepLike],
    *,
    baseline: Baseline,
    view: object = "side",
) -> list[schema.CheckResult]:
    """The back-line checks on the deepest-lean frames that no segmented rep contains.

    Why: the back line does not need a rep. Plates that hide the knees can leave a clip with no rep at all (standing
    reads 80° of hip flexion), yet its bottom frames show a gross rounding; those frames are judged here, as one
    stretch, and reported with the clip (``Analysis.clip_checks``).
    """
    series = _all_series(kin)
    n = int(np.asarray(kin.t_s).shape[0])
    if baseline.deep_lean_deg is None or n == 0 or view_name(view) != "side":
        return []
    covered = np.zeros(n, dtype=bool)
    for r in reps:  # the frames each rep's own checks read (its set-up and top hold included)
        w = rep_window(kin, r, baseline=baseline, series=series)
        covered[w.offset : w.offset + w.n] = True
    usable = usable_frames(kin, series)
    trunk = np.abs(series.get("trunk_incline_deg", np.full(n, np.nan)))
    with np.errstate(invalid="ignore"):
        deep = usable & ~covered & (trunk >= baseline.deep_lean_deg)
    idx_deep = np.flatnonzero(deep)
    if idx_deep.size == 0:
        return []
    a, b = int(idx_deep[0]), int(idx_deep[-1])
    window = {k: np.where(deep, v, np.nan)[a : b + 1] for k, v in series.items()}
    hip = window.get("hip_flexion_deg", np.full(b - a + 1, np.nan))
    bottom = int(np.nanargmax(hip)) if np.isfinite(hip).any() else 0
    w = RepWindow(series=window, fps=float(kin.fps), bottom=bottom, baseline=baseline, offset=a)
    t = np.asarray(kin.t_s, dtype=np.float64)
    out: list[schema.CheckResult] = []
    for check in drill.checks:
        if check.code not in BACK_LINE_CODES:
            continue
        m = check.fn(w)
        if isinstance(m, Measured):
            out.append(answer(check, m, at_s=float(t[min(a + m.frame, n - 1)])))
    return out


#: A back-line reading outside every rep belongs to the nearest rep when it lies within this time of it (the set-up
#: at the bar before a floor pull's lift-off, a pause at the bottom the segmenter left out).
ATTACH_WITHIN_S: Final[float] = 2.0


def attach_outside(
    drill: Drill,
    judged: Sequence[JudgedRep],
    reps: Sequence[RepLike],
    outside: Sequence[schema.CheckResult],
    t_s: FloatArray,
) -> tuple[list[JudgedRep], list[schema.CheckResult]]:
    """Give each back-line reading made outside the reps to the nearest rep whose own reading was not judged.

    Returns the updated reps and the readings that stay with the clip: only when no rep was found at all (plates
    hiding the knees). With reps, deep-lean frames far from every rep are a set-down or a walk-off, which carry no
    faults.
    """
    out = list(judged)
    left: list[schema.CheckResult] = []
    t = np.asarray(t_s, dtype=np.float64)
    for res in outside:
        at = res.at_s
        best: tuple[float, int] | None = None
        for i, r in enumerate(reps):
            gap = max(float(t[int(r.start)]) - (at or 0.0), (at or 0.0) - float(t[int(r.end)]), 0.0)
            mine = next((c for c in out[i].checks if c.code == res.code), None)
            near = at is not None and gap <= ATTACH_WITHIN_S and mine is not None and mine.state == "not_judged"
            if near and (best is None or gap < best[0]):
                best = (gap, i)
        if best is None:
            if not reps:  # with reps, deep frames outside them are set-downs and walk-offs: not reps, no faults
                left.append(res)
            continue
        i = best[1]
        note = "measured on the frames of deepest lean next to this rep (its set-up or bottom hold)"
        moved = res.model_copy(update={"reason": res.reason or note})
        checks = tuple(moved if c.code == res.code else c for c in out[i].checks)
        faults = list(out[i].faults)
        if moved.state == "fault":
            check = drill.check(moved.code)
            faults.append(
                schema.Fault(
                    code=moved.code,
                    severity=moved.severity or "minor",
                    at_s=float(t[int(reps[i].start)]),
                    cue=check.cue if check is not None else "",
                    value=moved.value,
                    threshold=moved.threshold,
                    unit=moved.unit,
                )
            )
        not_judged = tuple(c.code for c in checks if c.state == "not_judged")
        score = score_faults(faults) if out[i].judged else 0
        out[i] = replace(out[i], checks=checks, faults=faults, not_judged=not_judged, score=score)
    return out, left


# ---------------------------------------------------------------------------------------------- the session
def _priority(drill: Drill, judged: Sequence[JudgedRep]) -> list[str]:
    """Fault codes ranked: reps affected (a major counts twice), then the safety order of :data:`FAULT_CODES`."""
    weight: Counter[str] = Counter()
    for r in judged:
        for code in dict.fromkeys(f.code for f in r.faults):
            sev = max((2 if f.severity == "major" else 1) for f in r.faults if f.code == code)
            weight[code] += sev
    order = {c: i for i, c in enumerate(FAULT_CODES)}
    return sorted(weight, key=lambda c: (-weight[c], order.get(c, len(order))))


def _level_index(drill_id: str) -> int:
    return next(i for i, level in enumerate(LADDER) if drill_id in level)


def next_drill(drill: Drill, judged: Sequence[JudgedRep]) -> str | None:
    """The drill to do next on the ladder (kneeling → dowel/wall → good morning/pull-through/hip thrust → RDL (or the
    deadlift) → B-stance → single-leg).

    Regress one level when the *same* major fault recurs (≥ 2 reps); progress one level when at least
    :data:`MIN_CLEAN_REPS` reps were judged and every one was clean; otherwise keep practising this drill.
    None when no rep could be judged.
    """
    reps = [r for r in judged if r.judged]
    if not reps:
        return None
    majors = Counter(code for r in reps for code in {f.code for f in r.faults if f.severity == "major"})
    lvl = _level_index(drill.id)
    if any(n >= 2 for n in majors.values()):
        return LADDER[max(lvl - 1, 0)][0]
    if len(reps) >= MIN_CLEAN_REPS and all(not r.faults for r in reps):
        return LADDER[min(lvl + 1, len(LADDER) - 1)][0]
    return drill.id


def summarise(
    drill: Drill, judged: Sequence[JudgedRep], clip_checks: Sequence[schema.CheckResult] = ()
) -> schema.Summary:
    """Session summary: fault counts, mean score of judged reps, at most two cues, the next drill.

    Back-line faults found outside every rep (``clip_checks``) count once each and can earn a cue: a rounded back
    the segmenter could not put in a rep is still the lifter's most important fault.
    """
    counts = Counter(f.code for r in judged for f in r.faults)
    counts.update(c.code for c in clip_checks if c.state == "fault")
    scored = [r.score for r in judged if r.judged]
    nxt = next_drill(drill, judged)
    cues: list[str] = []
    ranked = _priority(drill, [r for r in judged if r.judged])
    ranked += [c.code for c in clip_checks if c.state == "fault" and c.code not in ranked]
    for code in ranked[:2]:
        check: Check | None = drill.check(code)
        if check is not None:
            cues.append(check.cue)
    if nxt is not None and _level_index(nxt) < _level_index(drill.id) and drill.loaded:
        cues = [*cues[:1], "Take the weight off until the pattern is clean: improve the hinge before adding load."]
    if scored and not cues:
        cues = (
            [f"Clean reps: the pattern held every time. Ready for the next step: {DRILLS[nxt].name}."]
            if nxt is not None and nxt != drill.id
            else ["Clean reps: keep the same back line and control on every rep."]
        )
    return schema.Summary(
        rep_count=len(judged),
        fault_counts=dict(sorted(counts.items())),
        score=round(float(np.mean(scored))) if scored else None,
        cues=cues,
        next_drill=nxt,
    )


def not_judged_warnings(
    drill: Drill, judged: Sequence[JudgedRep], existing: Sequence[schema.Warning] = ()
) -> list[tuple[str, str]]:
    """``(code, message)`` for each check left unjudged on some reps for a reason other than the view (which
    :func:`view_warnings` already says): how many reps, the most common reason, and how to film so it can be judged.
    """
    have = {w.code for w in existing}
    out: list[tuple[str, str]] = []
    n = len(judged)
    for check in drill.checks:
        code = f"not_judged_{check.code}"
        if code in have:
            continue
        missing = [c for r in judged for c in r.checks if c.code == check.code and c.state == "not_judged"]
        if not missing:
            continue
        reason, _ = Counter(c.reason or "" for c in missing).most_common(1)[0]
        how = next((c.how_to_film for c in missing if c.reason == reason and c.how_to_film), None)
        name = _NAMES.get(check.code, check.code).capitalize()
        msg = f"{name} not judged on {len(missing)} of {n} reps: {reason}" + (f". To judge it: {how}." if how else ".")
        out.append((code, msg))
    return out


def reference_from_analysis(analysis: schema.Analysis) -> BackReference | None:
    """The athlete's neutral back reference from an earlier analysis: medians of the dowel values of its judged
    side-view reps. None when that analysis has no clean back-line reading (never a reference from a faulty set).
    """
    if analysis.camera_view != "side":
        return None
    bows: list[float] = []
    heads: list[float] = []
    for rep in analysis.reps:
        for c in rep.checks:
            if c.code in BACK_LINE_CODES and c.state == "fault":
                return None
    values = [(r.metrics.get("dowel_bow"), r.metrics.get("dowel_head_gap_signed")) for r in analysis.reps]
    bows = [float(b) for b, _ in values if b is not None]
    heads = [float(h) for _, h in values if h is not None]
    if not bows:
        return None
    return BackReference(
        dowel_bow=float(np.median(bows)),
        dowel_head_gap=float(np.median(heads)) if heads else None,
        source=analysis.source.path,
    )


def view_warnings(drill: Drill, view: object) -> list[tuple[str, str]]:
    """``(code, message)`` for each of the drill's checks the camera view cannot show (said, never guessed)."""
    vname = view_name(view)
    out: list[tuple[str, str]] = []
    blind = {c.code: c for c in drill.checks if vname not in c.views}
    for code, check in blind.items():
        need = "side" if "side" in check.views else "front"
        seen = "an unclear" if vname == "unknown" else f"a {vname}" if vname != "oblique" else "an oblique"
        out.append(
            (
                f"not_judged_{code}",
                f"{_NAMES.get(code, code).capitalize()} cannot be judged from {seen} view: {_HOW_TO_FILM[need]}.",
            )
        )
    return out


def back_line_frames(kin: KinematicsLike, drill: Drill, view: object) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per-frame ``(back_ok, back_judged)`` for overlays: the dowel touches all three points / was measurable.

    A frame's line breaks when its bow or head gap passes the drill's threshold (single frames are noisy: the checks
    themselves use medians; this is what a person watching sees).
    """
    s = _all_series(kin)
    n = int(np.asarray(kin.t_s).shape[0])
    rb, hd = drill.check("rounded_back"), drill.check("head_out_of_line")
    views = (rb.views if rb is not None else frozenset()) | (hd.views if hd is not None else frozenset())
    if view_name(view) not in views:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    bow = s.get("dowel_bow", np.full(n, np.nan))
    head = np.abs(s.get("dowel_head_gap", np.full(n, np.nan)))
    reliable = np.asarray(kin.reliable, dtype=bool)
    known = np.isfinite(bow) & reliable
    with np.errstate(invalid="ignore"):
        broke = (rb is not None) & (bow > (rb.threshold if rb is not None else np.inf))
        broke |= (hd is not None) & np.isfinite(head) & (head > (hd.threshold if hd is not None else np.inf))
    return np.asarray(~(known & broke)), np.asarray(known)


# ---------------------------------------------------------------------------------------------- recognition
def recognise_drill(kin: KinematicsLike, reps: Sequence[RepLike], view: object) -> tuple[str, float]:
    """Moved to :func:`hingecoach.recognise.recognise` (which also says why); ``(result, confidence)``."""
    from hingecoach.recognise import recognise

    rec = recognise(kin, reps, view)
    return rec.result, rec.confidence
