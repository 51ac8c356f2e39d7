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
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from hingecoach import schema
from hingecoach.backline import back_bulge
from hingecoach.drills import (
    DRILLS,
    FAULT_CODES,
    LADDER,
    ROUNDED_BACK_THRESHOLD,
    Baseline,
    Check,
    Drill,
    RepWindow,
)
from hingecoach.nanstats import nanmean
from hingecoach.skeleton import Side, idx, sided
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
#: What :func:`recognise_drill` returns for a knee-dominant movement: not a hinge at all.
SQUAT: Final[str] = "squat"
#: The drill a squat is judged as: "using a wall to sit back to" teaches the hips-back hinge a squatter is missing.
SQUAT_DRILL: Final[str] = "hinge_wall"
SQUAT_MESSAGE: Final[str] = (
    "this looks like a squat (knees bend as much as the hips, trunk stays upright), not a hip hinge: "
    "judged as the wall hinge drill"
)

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
        if "back_bulge" not in series and track.back_profile is not None:
            series["back_bulge"] = back_bulge(track.back_profile)
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


def compute_baseline(kin: KinematicsLike) -> Baseline:
    """The lifter's standing values: medians over reliable frames within 5° of the clip's most upright hip.

    Why: the hip line's angle in the image differs between people and cameras (a tilted phone, a leg-length
    difference); the hip-level check compares the lifter with themselves, which cancels both.
    """
    s = _all_series(kin)
    hip = s.get("hip_flexion_deg")
    if hip is None or not np.isfinite(hip).any():
        return Baseline()
    ok = np.asarray(kin.reliable, dtype=bool) & np.isfinite(hip)
    if not ok.any():
        return Baseline()
    upright = ok & (hip <= np.nanpercentile(hip[ok], 10) + 5.0)

    def med(name: str) -> float | None:
        x = s.get(name)
        if x is None:
            return None
        v = x[upright & np.isfinite(x)]
        return float(np.median(v)) if v.size else None

    return Baseline(pelvis_tilt_deg=med("pelvis_tilt_deg"))


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
    )


# ---------------------------------------------------------------------------------------------- one rep
@dataclass(frozen=True)
class JudgedRep:
    """The verdict on one rep.

    ``not_judged``: check codes that could not be measured on this rep (view cannot see them, series missing, top of
    the rep cut off). ``back_held_deg``: hip flexion (deg) down to which the back line held on the way down — the
    article's "work in a range of motion where you can maintain all three points"; None when not judged.
    """

    metrics: dict[str, float | None]
    faults: list[schema.Fault]
    score: int
    judged: bool
    not_judged: tuple[str, ...] = ()
    back_held_deg: float | None = None


def _round(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 3)


def back_held_range(w: RepWindow, threshold: float = ROUNDED_BACK_THRESHOLD) -> float | None:
    """Deepest hip flexion (deg) reached on the way down before the back bulge first stays above ``threshold``.

    Two consecutive frames over the threshold count as the line breaking (one frame is mask noise). Returns the rep's
    deepest hip flexion when the line held throughout, None when the back line was not measured.
    """
    hip = w.get("hip_flexion_deg")[: w.bottom + 1]
    bulge = w.get("back_bulge")[: w.bottom + 1]
    known = np.isfinite(bulge) & np.isfinite(hip)
    if known.sum() < 2:
        return None
    over = np.where(known, bulge > threshold, False)
    broke = over[1:] & over[:-1]
    if not broke.any():
        return float(np.nanmax(hip))
    first = int(np.argmax(broke))
    before = hip[: first + 1][known[: first + 1]]
    return float(np.max(before)) if before.size else 0.0


def score_faults(faults: Sequence[schema.Fault]) -> int:
    """0–100: 100 minus 15 per minor and 35 per major fault (a rep with a major fault cannot score above 65)."""
    return int(max(0, 100 - sum(PENALTY[f.severity] for f in faults)))


def judge_rep(
    drill: Drill,
    kin: KinematicsLike,
    rep: RepLike,
    *,
    baseline: Baseline | None = None,
    view: object = "side",
) -> JudgedRep:
    """Run the drill's checks on one rep.

    ``view``: the camera view (a ``ViewEstimate`` or its name). Checks that view cannot see are skipped and listed in
    ``not_judged`` (pair with :func:`view_warnings` for the user-facing message) — never guessed.
    ``baseline`` None = computed from ``kin`` (pass one to share it across reps).
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
    judged = bool(reliable.size) and float(reliable.mean()) >= MIN_RELIABLE_SHARE
    faults: list[schema.Fault] = []
    skipped: list[str] = []
    for check in drill.checks:
        if vname not in check.views:
            metrics[check.quantity] = None
            skipped.append(check.code)
            continue
        m = check.fn(w) if judged else None
        metrics[check.quantity] = _round(None if m is None else m.value)
        if m is None:
            skipped.append(check.code)
            continue
        sev = check.grade(m.value)
        if sev is not None and check.needs_top_in_view and w.top_lost:
            # A lockout not seen is not a lockout missed: more frames could only have shown it.
            skipped.append(check.code)
            continue
        if sev is not None:
            frame = min(max(int(rep.start) + m.frame, 0), t.shape[0] - 1)
            faults.append(
                schema.Fault(
                    code=check.code,
                    severity=sev,
                    at_s=round(float(t[frame]), 3),
                    cue=check.cue,
                    value=_round(m.value),
                    threshold=check.threshold,
                    unit=check.unit,
                )
            )
    held = None
    rb = drill.check("rounded_back")
    if judged and rb is not None and vname in rb.views:
        held = back_held_range(w, rb.threshold)
    metrics["back_held_to_hip_flexion_deg"] = _round(held)
    return JudgedRep(
        metrics=metrics,
        faults=faults,
        score=score_faults(faults) if judged else 0,
        judged=judged,
        not_judged=tuple(dict.fromkeys(skipped)),
        back_held_deg=_round(held),
    )


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


def summarise(drill: Drill, judged: Sequence[JudgedRep]) -> schema.Summary:
    """Session summary: fault counts, mean score of judged reps, at most two cues, the next drill."""
    counts = Counter(f.code for r in judged for f in r.faults)
    scored = [r.score for r in judged if r.judged]
    nxt = next_drill(drill, judged)
    cues: list[str] = []
    for code in _priority(drill, [r for r in judged if r.judged])[:2]:
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
    """Per-frame ``(back_ok, back_judged)`` for overlays: the back line holds / was measurable on that frame."""
    s = _all_series(kin)
    n = int(np.asarray(kin.t_s).shape[0])
    bulge = s.get("back_bulge", np.full(n, np.nan))
    check = drill.check("rounded_back")
    judged_view = check is not None and view_name(view) in check.views
    threshold = check.threshold if check is not None else ROUNDED_BACK_THRESHOLD
    known = np.isfinite(bulge) & np.asarray(kin.reliable, dtype=bool) & judged_view
    return np.asarray(known & (bulge <= threshold)) | ~known, known


# ---------------------------------------------------------------------------------------------- recognition
def _rep_stat(series: Mapping[str, FloatArray], reps: Sequence[RepLike], name: str, where: str) -> float:
    """Median over reps of a series at the bottom phase (``where="bottom"``) or the top of the rep (``"top"``)."""
    hip = series.get("hip_flexion_deg")
    x = series.get(name)
    if hip is None or x is None:
        return float("nan")
    vals = []
    for r in reps:
        h, v = hip[r.start : r.end + 1], x[r.start : r.end + 1]
        if not np.isfinite(h).any():
            continue
        sel = h >= np.nanmax(h) - 15.0 if where == "bottom" else h <= np.nanmin(h) + 10.0
        sel &= np.isfinite(v)
        if sel.any():
            vals.append(float(np.median(v[sel])))
    return float(np.median(vals)) if vals else float("nan")


def _hands_on_back(track: PoseTrack, reps: Sequence[RepLike], side: Side) -> tuple[float, float]:
    """Distances (trunk lengths) at the bottoms: (nearest wrist → shoulder, other wrist → hip), for dowel vs bar."""
    xy = track.xy_px
    frames = [r.bottom for r in reps]
    sh, hp = xy[frames, sided(side, "shoulder")], xy[frames, sided(side, "hip")]
    trunk = np.linalg.norm(sh - hp, axis=-1)
    wr = xy[frames][:, [idx("left_wrist"), idx("right_wrist")]]
    to_sh = np.linalg.norm(wr - sh[:, None], axis=-1) / trunk[:, None]
    to_hp = np.linalg.norm(wr - hp[:, None], axis=-1) / trunk[:, None]
    filled = np.where(np.isfinite(to_sh), to_sh, np.inf)
    near = np.argmin(filled, axis=1)
    rows = np.arange(near.shape[0])
    near_sh = filled[rows, near]
    other_hp = to_hp[rows, 1 - near]
    ok = np.isfinite(near_sh) & np.isfinite(other_hp)
    if not ok.any():
        return float("nan"), float("nan")
    return float(np.median(near_sh[ok])), float(np.median(other_hp[ok]))


def recognise_drill(kin: KinematicsLike, reps: Sequence[RepLike], view: object) -> tuple[str, float]:
    """Guess the drill for ``--drill auto``: ``(drill_id, confidence in [0, 1])``.

    Rules, in order, on medians over the reps' bottoms and tops:

    1. trunk near horizontal at the top with the knees still bent → hip thrust ("it will be horizontal");
    2. shins flat on the floor and knees bent at the top → kneeling hinge;
    3. knees bending as much as the hips with an upright trunk → :data:`SQUAT` (knee-dominant: not a hinge);
    4. one ankle off the floor, in line with the trunk → single-leg RDL;
    5. a rep that starts at the bottom (bar on the floor), or bent knees with hands below them → deadlift;
    6. hands up at the shoulders → good morning (one hand at the neck and one at the low back → dowel hinge);
    7. otherwise an RDL.

    Confidence grows with the margin from each rule's boundary (0.5 at the boundary, at most 0.95), halved for a
    front view whose sagittal angles are unreliable; 0 without reps.
    """
    if not reps:
        return "hinge_dowel", 0.0
    s = _all_series(kin)
    scale = 0.5 if view_name(view) == "front" else 1.0

    def margin(value: float, edge: float, span: float) -> float:
        conf = float(np.clip(0.5 + abs(value - edge) / span, 0.5, 0.95)) if np.isfinite(value) else 0.3
        return round(conf * scale, 3)

    def stat(name: str, where: str) -> float:
        return _rep_stat(s, reps, name, where)

    trunk_top = abs(stat("trunk_incline_deg", "top"))
    knee_top = stat("knee_flexion_deg", "top")
    if trunk_top > 55.0 and knee_top > 45.0:
        return "hip_thrust", min(margin(trunk_top, 55.0, 40.0), margin(knee_top, 45.0, 60.0))
    shin_top = abs(stat("shin_angle_deg", "top"))
    if shin_top > 55.0 and knee_top > 60.0:
        return "hinge_kneeling", margin(shin_top, 55.0, 40.0)
    knee = stat("knee_flexion_deg", "bottom")
    hip = stat("hip_flexion_deg", "bottom")
    trunk = abs(stat("trunk_incline_deg", "bottom"))
    ratio = knee / hip if np.isfinite(knee) and np.isfinite(hip) and hip > 20 else float("nan")
    if ratio > 0.9 and not trunk >= 50.0:
        return SQUAT, min(margin(ratio, 0.9, 0.4), margin(trunk, 50.0, 30.0))
    lift = stat("ankle_lift", "bottom")
    line = stat("leg_line_deg", "bottom")
    if lift > 0.35 and line < 45.0:
        return "single_leg_rdl", min(margin(lift, 0.35, 0.5), margin(line, 45.0, 40.0))
    hand = stat("hand_height", "bottom")
    floor_start = any(int(r.start) == int(r.bottom) for r in reps)
    if floor_start or (knee >= 40.0 and hand < 1.0):
        return "deadlift", margin(knee, 30.0, 40.0) if not floor_start else max(0.8 * scale, margin(knee, 30.0, 40.0))
    if hand >= 1.6:
        track = getattr(kin, "track", None)
        side: Side = "right" if getattr(kin, "side", "left") == "right" else "left"
        if isinstance(track, PoseTrack):
            to_sh, other_hp = _hands_on_back(track, reps, side)
            if to_sh < 0.5 and other_hp < 0.4:
                return "hinge_dowel", round(0.5 * scale, 3)
        return "good_morning", margin(hand, 1.6, 1.0)
    return "rdl", margin(hand, 1.6, 1.5) if np.isfinite(hand) else round(0.4 * scale, 3)
