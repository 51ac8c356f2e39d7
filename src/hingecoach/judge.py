"""Judging: each rep against its drill's checks — fault, clean, borderline or not judged, with the evidence.

Inputs are the kinematics stage's named series and the rep segmenter's frame indices, gathered by
:mod:`hingecoach.judge_inputs` (series, usable frames, baseline, rep windows); this module decides each rep and the
back-line readings outside the reps. The set's summary, cues and next drill are read from these verdicts by
:mod:`hingecoach.coaching`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach import schema
from hingecoach.drills import Check, Drill
from hingecoach.judge_inputs import (
    FILM_TOP_LEGS,
    TOP_OFF_FOOT,
    ClipFrames,
    KinematicsLike,
    RepLike,
    clip_frames,
    compute_baseline,
    hidden_parts,
    hidden_reason,
    rep_window,
    view_name,
)
from hingecoach.measures import (
    BackReference,
    Baseline,
    Measured,
    NotJudged,
    RepWindow,
)
from hingecoach.measures_back import (
    back_line_medians,
)
from hingecoach.timebase import first_within, last_within

FloatArray = NDArray[np.float64]

#: A rep is judged only when at least this share of its frames has reliable landmarks.
MIN_RELIABLE_SHARE: Final[float] = 0.6
#: How far either side of a rep's bottom (s) to look for the landmark that hid a check's reading.
BOTTOM_LOOK_S: Final[float] = 0.25
#: Checks that read only the trunk and its silhouette: judged on the frames where the trunk is seen
#: (:func:`hingecoach.judge_inputs.trunk_usable_frames`), even when the legs are hidden.
TRUNK_ONLY_CODES: Final[frozenset[str]] = frozenset({"rounded_back"})
#: Why the head's line is not judged on a rep whose upper back rounds (:func:`_head_after_rounded_back`).
HEAD_ON_ROUNDED_BACK: Final[str] = (
    "the upper back rounds on this rep, so the stick rests on it and drops away before it reaches the head: the "
    "head's line is read once the back holds flat"
)
#: Points a fault costs on the 0–100 rep score.
PENALTY: Final[Mapping[str, int]] = {"minor": 15, "major": 35}
#: Points a check costs whose reading was too close to call: not a fault, but not a pass the tool saw either, so a
#: rep with an amber "too close to call" never shows the 100 of a rep whose every check answered clean.
BORDERLINE_PENALTY: Final[int] = 5
CHECK_NAMES: Final[Mapping[str, str]] = {
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
HOW_TO_FILM: Final[Mapping[str, str]] = {
    "side": "film from the side, camera at hip height, whole body in frame (for the back: a fitted top)",
    "front": "film from the front or from behind, whole body in frame",
}


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
    for code in BACK_LINE_CODES:
        check = drill.check(code)
        if check is None:
            continue
        x = w.get(check.quantity)[: w.bottom + 1]
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


def score_rep(faults: Sequence[schema.Fault], checks: Sequence[schema.CheckResult] = ()) -> int:
    """0–100: 100 minus 15 per minor and 35 per major fault (a rep with a major fault cannot score above 65), minus
    5 per check too close to call (:data:`BORDERLINE_PENALTY`).
    """
    borderline = sum(1 for c in checks if c.state == "borderline")
    return int(max(0, 100 - sum(PENALTY[f.severity] for f in faults) - BORDERLINE_PENALTY * borderline))


def _view_reason(check: Check, vname: str) -> tuple[str, str]:
    need = "side" if "side" in check.views else "front"
    seen = "an unclear" if vname == "unknown" else "an oblique" if vname == "oblique" else f"a {vname}"
    return f"{CHECK_NAMES.get(check.code, check.code)} cannot be judged from {seen} view", HOW_TO_FILM[need]


#: Standard errors a reading must lie from its threshold to be called fault or clean (about 95 %: a value this
#: close to the threshold would flip on a re-take or a mirrored copy of the clip as often as 1 time in 20).
SE_BAND: Final[float] = 2.0


def answer(check: Check, m: Measured, *, at_s: float | None = None) -> schema.CheckResult:
    """Fault, clean or borderline for one measured value (the band keeps noise from flipping the answer)."""
    rel = m.relative and check.reference_threshold is not None
    alt = check.alternate if m.alternate else None
    threshold = float(check.reference_threshold) if rel else check.threshold  # type: ignore[arg-type]
    major = float(check.reference_major_at) if rel and check.reference_major_at is not None else check.major_at
    documented = check.reference_band if rel else check.band
    quantity = check.quantity + ("_vs_own_reference" if rel else "")
    if alt is not None:  # the check's second reading (e.g. the lower back below arms that cover the upper back)
        threshold, major, documented, quantity = alt.threshold, alt.major_at, alt.band, alt.quantity
    # The check's documented band, widened to cover this reading's own uncertainty (its frames' spread).
    band = max(documented * m.band_scale, SE_BAND * m.se)
    v = float(m.value)
    common = {
        "code": check.code,
        "quantity": quantity,
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


def _bound_decides(check: Check, bound: str, state: str) -> bool:
    """Whether a one-sided reading (:attr:`Measured.bound`) answered ``state`` settles it whatever the hidden frames
    held.

    A lower bound past a fault-above threshold is a fault; a lower bound clear of a fault-below threshold (beyond
    its band) is clean; mirrored for an upper bound. Anything else could be turned by what was not seen.
    """
    return state == ("fault" if (bound == "at_least") == (check.direction == "above") else "clean")


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
    frames: ClipFrames | None = None,
) -> JudgedRep:
    """Run the drill's checks on one rep; every check answers fault, clean, borderline or not judged (with why).

    ``view``: the camera view (a ``ViewEstimate`` or its name). Checks that view cannot see are not judged, with the
    view as the reason and how to film instead — never guessed. ``baseline`` None = computed from ``kin`` (pass one
    to share it across reps, and to carry the athlete's own back reference); ``frames`` likewise (the clip's
    :class:`~hingecoach.judge_inputs.ClipFrames`, built once per clip by the caller).
    """
    f = clip_frames(kin) if frames is None else frames
    base = baseline if baseline is not None else compute_baseline(kin, frames=f)
    yaw = getattr(view, "yaw_deg", None)
    w = rep_window(kin, rep, baseline=base, frames=f, yaw_deg=float(yaw) if isinstance(yaw, int | float) else None)
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
    # The rounded-back reading needs the trunk, not the legs: plates hiding the shins do not stop it.
    seen = f.trunk[int(rep.start) : int(rep.end) + 1]
    seen_share = float(seen.mean()) if seen.size else 0.0
    judged_trunk = bool(seen.size) and seen_share >= MIN_RELIABLE_SHARE
    lo, hi = int(rep.start), int(rep.end)
    results: list[schema.CheckResult] = []
    for check in drill.checks:
        if vname not in check.views:
            metrics[check.quantity] = None
            results.append(_not_judged(check, *_view_reason(check, vname)))
            continue
        trunk_only = check.code in TRUNK_ONLY_CODES
        if not (judged_trunk if trunk_only else judged):
            metrics[check.quantity] = None
            got = seen_share if trunk_only else share
            parts = () if trunk_only else hidden_parts(kin, lo, hi, share=1.0 - MIN_RELIABLE_SHARE)
            reason, how = hidden_reason(
                parts,
                f"the body's landmarks were reliable on only {got:.0%} of this rep's frames",
                where=f"on {1.0 - got:.0%} of this rep's frames",
            )
            results.append(_not_judged(check, reason, how))
            continue
        m = check.fn(w)
        res: schema.CheckResult | None = None
        if isinstance(m, Measured):
            frame = min(max(w.offset + m.frame, lo), hi)  # a fault's time lies within its rep
            res = answer(check, m, at_s=float(t[min(frame, t.shape[0] - 1)]))
            if m.bound is not None and not _bound_decides(check, m.bound, res.state):
                m = None  # part of the frames hidden, and they could change the answer: said as hidden below
            elif m.unless_fault is not None and res.state != "fault":
                # A partial reading (the lower back below arms that hide the upper back) cannot clear the check.
                found = f"; what could be read held ({res.quantity} {res.value:.3g} against {res.threshold:g})"
                m = replace(m.unless_fault, reason=m.unless_fault.reason + found)
        if m is None or isinstance(m, NotJudged) or res is None:
            metrics[check.quantity] = None
            if isinstance(m, NotJudged):
                reason, film = m.reason, m.how_to_film
            else:
                b = int(rep.bottom)
                reason, film = hidden_reason(
                    hidden_parts(kin, first_within(t, b, BOTTOM_LOOK_S), last_within(t, b, BOTTOM_LOOK_S)),
                    f"the landmarks it needs ({', '.join(check.series)}) were hidden at that point of the rep",
                )
            results.append(_not_judged(check, reason, film))
            continue
        metrics[check.quantity + ("_vs_own_reference" if m.relative else "")] = _round(m.value)
        if res.state == "fault" and check.needs_top_in_view and w.top_lost:
            # A lockout not seen is not a lockout missed: more frames could only have shown it.
            res = (
                _not_judged(check, TOP_OFF_FOOT, FILM_TOP_LEGS)
                if w.top_off_foot
                else _not_judged(
                    check, "the top of the rep is out of view", "keep the camera running until you stand tall"
                )
            )
        results.append(res)
    results = _head_after_rounded_back(results, drill)
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
    if judged_trunk and rb is not None and vname in rb.views:
        held = back_held_range(w, drill)
        metrics.update({k: _round(v) for k, v in back_line_medians(w).items()})
    metrics["back_held_to_hip_flexion_deg"] = _round(held)
    return JudgedRep(
        metrics=metrics,
        faults=faults,
        score=score_rep(faults, results) if judged else 0,
        judged=judged,
        not_judged=tuple(dict.fromkeys(r.code for r in results if r.state == "not_judged")),
        back_held_deg=_round(held),
        checks=tuple(results),
    )


def _head_after_rounded_back(results: list[schema.CheckResult], drill: Drill) -> list[schema.CheckResult]:
    """The head's answer made "not judged" on a rep whose rounded back is a fault.

    Why: both are read off one stick, laid on the tailbone and the mid-back. When the upper back curls, the shoulders
    and the neck that carries the head fall below that stick with it, so the head leaves the line because the back
    rounded, not because the neck bent: a held-out lifter with a rounded upper back and the head in line on the
    frames read head gaps of 0.11–0.28 beside shoulder drops of 0.10–0.21 on five clips. The article's stick shows
    the same: on a "candy cane" it touches the hump and misses the head and the tailbone alike. One failure, one cue:
    flatten the back, then the head's line can be read.
    """
    if not any(r.code == "rounded_back" and r.state == "fault" for r in results):
        return results
    head = drill.check("head_out_of_line")
    if head is None:
        return results
    return [
        _not_judged(head, HEAD_ON_ROUNDED_BACK, None) if r.code == head.code and r.state != "not_judged" else r
        for r in results
    ]


def judge_outside_reps(
    drill: Drill,
    kin: KinematicsLike,
    reps: Sequence[RepLike],
    *,
    baseline: Baseline,
    view: object = "side",
    frames: ClipFrames | None = None,
) -> list[schema.CheckResult]:
    """The back-line checks on the deepest-lean frames that no segmented rep contains.

    Why: the back line does not need a rep. Plates that hide the knees can leave a clip with no rep at all (standing
    reads 80° of hip flexion), yet its bottom frames show a gross rounding; those frames are judged here, as one
    stretch, and reported with the clip (``Analysis.clip_checks``). With no rep at all, a reading these frames
    cannot give is reported as not judged with its reason (a clip that ends two frames into the lean says so rather
    than nothing); with reps it is left out, as the reps' own answers already say why.
    """
    n = int(np.asarray(kin.t_s).shape[0])
    if baseline.deep_lean_deg is None or n == 0 or view_name(view) != "side":
        return []
    f = clip_frames(kin) if frames is None else frames
    series = f.series
    covered = np.zeros(n, dtype=bool)
    for r in reps:  # the frames each rep's own checks read (its set-up and top hold included)
        w = rep_window(kin, r, baseline=baseline, frames=f)
        covered[w.offset : w.offset + w.n] = True
    usable = f.body  # back-line readings only: no leg angle is read here
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
    t = np.asarray(kin.t_s, dtype=np.float64)
    w = RepWindow(series=window, fps=float(kin.fps), t_s=t[a : b + 1], bottom=bottom, baseline=baseline, offset=a)
    out: list[schema.CheckResult] = []
    for check in drill.checks:
        if check.code not in BACK_LINE_CODES:
            continue
        m = check.fn(w)
        if isinstance(m, Measured):
            out.append(answer(check, m, at_s=float(t[min(a + m.frame, n - 1)])))
        elif isinstance(m, NotJudged) and not reps:
            out.append(_not_judged(check, m.reason, m.how_to_film))
    return _head_after_rounded_back(out, drill)


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
            # A head left unjudged because the rep's back rounded stays so: the nearby frames share that back.
            open_ = mine is not None and mine.state == "not_judged" and mine.reason != HEAD_ON_ROUNDED_BACK
            near = at is not None and gap <= ATTACH_WITHIN_S and open_
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
        score = score_rep(faults, checks) if out[i].judged else 0
        out[i] = replace(out[i], checks=checks, faults=faults, not_judged=not_judged, score=score)
    return out, left


def reference_from_analysis(analysis: schema.Analysis) -> BackReference | None:
    """The athlete's neutral back reference from an earlier analysis: medians of the dowel values of its judged
    side-view reps. None when that analysis has no clean back-line reading (never a reference from a faulty set).
    """
    if analysis.camera_view != "side":
        return None
    for rep in analysis.reps:
        for c in rep.checks:
            if c.code in BACK_LINE_CODES and c.state == "fault":
                return None

    def median_of(key: str) -> float | None:
        vals = [float(v) for r in analysis.reps if (v := r.metrics.get(key)) is not None]
        return float(np.median(vals)) if vals else None

    bow, tail, drop = median_of("dowel_bow"), median_of("dowel_tail_gap"), median_of("dowel_shoulder_drop")
    if bow is None and tail is None and drop is None:
        return None
    return BackReference(
        dowel_bow=bow,
        dowel_head_gap=median_of("dowel_head_gap_signed"),
        source=analysis.source.path,
        dowel_tail_gap=tail,
        dowel_shoulder_drop=drop,
    )
