"""Which drill is this? ``--drill auto`` from what *defines* each drill of the seed article, or "could not tell".

Each drill is told apart by the one thing the article says makes it that drill, measured on the clip's reps:

* **hip thrust** — "it will be horizontal": at the top of every rep the trunk lies near horizontal (on a bench or
  the floor) with the knees bent; every standing drill is upright at the top. When the top is not seen, the trunk
  lying *back* at the bottom (shoulders behind the hips, on the bench) says the same: every standing drill tips
  forward at its bottom.
* **kneeling hinge** — "try from a kneeling position": the shins lie on the floor at the top.
* **single-leg RDL** — "elevate that back leg": one ankle well off the floor at the bottom (its upper quartile
  over the bottom phase: the free leg rises as the trunk tips, so the phase's first frames still have it low).
* **a squat is not a hinge** — "Slight bend in the knees, big bend at the hips": when the knees bend as much as the
  hips (and the hands are not down at the shins holding a bar from the floor) it is a squat, reported as
  :data:`NOT_A_HINGE` and never judged as a hinge.
* **deadlift** — "deadlift it up from the floor": most reps start from, or return to, the floor with the knees bent
  (a single pick-up before RDLs does not make the set a deadlift). A take that opens with the lifter already set up
  at the bar counts as a start from the floor; the bar set down after the last lockout is not a rep to count.
* **band pull-through** — "the resistance is coming from behind": at the bottom the hands are pulled back between
  the legs, behind the ankles (side view; every bar or bell of the other pulls hangs in front of the shins). Hands
  that vanish behind the near thigh at the bottom are read where they were last seen on the way down.
* **dowel hinge** — "hold it against your back": one hand behind the neck, the other at the low back.
* **good morning** — the load "on top", hands at the shoulders.
* **RDL** — "from the top", knees slightly bent, the hands travelling down the legs to about mid-shin.

Confidence is the smallest margin of the deciding features from their boundaries (0.5 at a boundary, 0.95 well
clear of it); below :data:`MIN_CONFIDENCE`, with no reps, or with the deciding features unmeasured, the answer is
:data:`COULD_NOT_TELL` — a distinct result the pipeline turns into a warning and a safe default, never a guess.
Sagittal image angles are meaningless from the front, so front and oblique views read the knee and hip from the
world landmarks (``*_3d_deg``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from hingecoach.nanstats import nanmean
from hingecoach.skeleton import Side, idx, sided
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]

#: The answer for a knee-dominant movement: not a hinge at all.
NOT_A_HINGE: Final[str] = "not_a_hinge"
#: The answer when the defining features are missing or too close to their boundaries.
COULD_NOT_TELL: Final[str] = "could_not_tell"
#: Below this confidence the recogniser says it could not tell.
MIN_CONFIDENCE: Final[float] = 0.6
#: The drill judged when recognition could not tell: the plain standing hinge, whose checks apply to every hinge.
DEFAULT_DRILL: Final[str] = "hinge_dowel"
#: The drill to practise instead of a squat: "using a wall to sit back to" teaches the hips-back hinge.
SQUAT_REMEDY_DRILL: Final[str] = "hinge_wall"

#: Trunk incline at the top of a rep (deg) above which the lifter lies down (standing drills: −30…+27° on dev clips;
#: glute bridges 93–116°).
LYING_TRUNK_DEG: Final[float] = 55.0
#: Signed image trunk incline at the bottom (deg; positive = tipped forward, the way the lifter faces) below which
#: the lifter lies back, shoulders behind the hips, on a bench or the floor: the hip thrust's "horizontal" seen even
#: when the top itself is lost. Every hinge, squat and pull tips *forward* at its bottom (side and oblique dev clips,
#: mirrored copies included: +6.8° or more); dev hip thrusts and bridges lie back −20…−99° at theirs. Side and
#: oblique views only: a trunk tipped towards the camera reads anything in the image. A flipped facing estimate
#: would also flip the knee's sign, so the knee-bend condition that goes with this rule fails with it. The rule only
#: adds hip thrusts: the facing of a lifter lying face up is a guess (one mirrored render reads +14° and is taken by
#: its horizontal top instead).
RECLINED_TRUNK_DEG: Final[float] = -7.0
#: Knee bend at the top (deg) above which the feet are planted ahead of bent knees, as on a bench (dev hip thrusts
#: 64–104°; standing tops of side and oblique clips up to 61°, 3-D front-view readings up to 107°).
LYING_KNEE_DEG: Final[float] = 45.0
#: Knee flexion at the bottom ÷ hip flexion at the bottom above which the knees do a squat's share (dev: RDLs and
#: good mornings 0.05–0.35 side-on, up to 0.74 oblique; floor deadlifts 0.46–0.88; squats 0.88–1.02).
SQUAT_RATIO: Final[float] = 0.85
#: Knee bend at the bottom (deg) that with an upright trunk and the hands up is a squat (dev squats 80–138°; good
#: mornings −12…36°, i.e. "unlock the knee").
SQUAT_KNEE_DEG: Final[float] = 60.0
#: ... and above this ratio a squat whatever the trunk and hands do (the highest dev deadlift reads 0.91).
SQUAT_RATIO_ANY: Final[float] = 0.95
#: Trunk incline at the bottom (deg) below which a knee-dominant rep is a squat even with the hands hanging low
#: (dev squats 21–33°; floor deadlifts 45–85°, so a knees-forward pull with the bar in the hands is not taken for one).
SQUAT_TRUNK_DEG: Final[float] = 45.0
#: Hands at the bottom (0 ankle, 1 knee, 2 hip) below which the weight is held down the legs (a bar or bell): below
#: mid-thigh (dev RDLs 0.45–0.92, deadlifts −0.1…1.6; good mornings and squats with the hands up 2.5–9).
HANDS_DOWN: Final[float] = 1.5
#: Hands at floor level with a bar or bell in them (a 45 cm plate puts the bar ~0.4 shin above the ankle).
HANDS_AT_FLOOR: Final[float] = 0.6
#: Knee bend at the bottom (deg) from which a pull is a floor deadlift rather than an RDL's "slight bend" (15–30°):
#: a rep that reaches the floor needs this much; dev floor pulls read 42–112°.
DEADLIFT_KNEE_DEG: Final[float] = 45.0
#: ... and a rep that starts from a rest at the bottom with less than this (deg) is an RDL's or pull-through's soft
#: knee held at the bottom, not a set-up at the bar (synthetic pull-throughs 22–23°, the shallowest dev pull 42°).
SOFT_KNEE_MAX_DEG: Final[float] = 35.0
#: Hands at or above this height at the bottom are at the shoulders (a bar, stick or bell on the upper back).
HANDS_AT_SHOULDERS: Final[float] = 1.8
#: One ankle this high above the other (leg lengths) means a single-leg stance: read as the upper quartile of the
#: bottom phase's frames (:data:`SINGLE_LEG_QUANTILE`), where the free leg is up, whatever the frames on the way
#: there. Dev single-leg RDLs 0.46–1.04; every two-footed standing clip 0.30 or less (hip thrusts, which the lying
#: rule takes first, up to 0.42; one deadlift whose lost ankle reads 1.1 fails the free leg's line, 67° > 45°).
SINGLE_LEG_LIFT: Final[float] = 0.35
#: Percentile of the bottom phase's ankle lift compared with :data:`SINGLE_LEG_LIFT` (the median read 0.35 on a
#: single-leg RDL whose free foot rises only in the second half of the phase).
SINGLE_LEG_QUANTILE: Final[float] = 75.0
#: Hands at the bottom this far in front of the ankle (trunk lengths) or less are behind the legs' line: a band or
#: cable pulling from behind, between the legs (dev pull-throughs −0.10 and −0.07; every standing pull with a bar or
#: bell in front of the shins +0.08 or more).
HANDS_BEHIND_ANKLE: Final[float] = 0.0
#: Where the hands are hidden at the bottom (between the legs, behind the near thigh), their place is read at the
#: deepest frames they are seen, if those lie at least this share of the rep's depth down: a band pulls the hands
#: back between the legs all the way down (the tandorost render: −0.12…−0.14 trunk lengths behind the ankle from
#: 55° of hip flexion to 96°, hidden beyond), while a bar or bell hangs in front of the shins all the way down.
SEEN_DEPTH_SHARE: Final[float] = 0.5
#: A take's first (last) frame within this many degrees of a rep's deepest hip angle opens (ends) at the bottom.
BOTTOM_BAND_DEG: Final[float] = 15.0


class RepLike(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def bottom(self) -> int: ...

    @property
    def end(self) -> int: ...


class KinematicsLike(Protocol):
    @property
    def series(self) -> Mapping[str, FloatArray]: ...


@dataclass(frozen=True)
class Recognition:
    """The recogniser's answer: a drill id, :data:`NOT_A_HINGE` or :data:`COULD_NOT_TELL`, how sure, and why.

    ``guess`` is the best candidate even when the answer is "could not tell" (for the message, never for judging).
    """

    result: str
    confidence: float
    reason: str
    guess: str | None = None
    features: Mapping[str, float] = field(default_factory=dict)

    @property
    def drill_to_judge(self) -> str:
        """The drill the checks run as: the recognised one, the squat's remedy, or the safe default."""
        if self.result == NOT_A_HINGE:
            return SQUAT_REMEDY_DRILL
        if self.result == COULD_NOT_TELL:
            return DEFAULT_DRILL
        return self.result


def _margin(value: float, edge: float, span: float) -> float:
    """0.5 at the boundary, rising with the distance from it, at most 0.95; NaN features give 0."""
    if not np.isfinite(value):
        return 0.0
    return float(np.clip(0.5 + abs(value - edge) / span, 0.5, 0.95))


def _rep_stat(
    series: Mapping[str, FloatArray],
    reps: Sequence[RepLike],
    name: str,
    where: str,
    hip: str,
    q: float = 50.0,
    *,
    deepest_seen: bool = False,
) -> float:
    """Median over reps of a series at the bottom phase (within 15° of the deepest ``hip``) or the top (within
    10° of the most open); within each rep's phase the ``q``-th percentile of its frames (50: their median).

    ``deepest_seen``: a rep whose bottom phase never shows the series reads it at the deepest frames where it is
    seen instead (within 15° of the deepest such hip angle), provided those lie at least :data:`SEEN_DEPTH_SHARE`
    of the way down the rep; otherwise the rep gives nothing.
    """
    h_all, x = series.get(hip), series.get(name)
    if h_all is None or x is None:
        return float("nan")
    vals = []
    for r in reps:
        h, v = h_all[r.start : r.end + 1], x[r.start : r.end + 1]
        if not np.isfinite(h).any():
            continue
        sel = h >= np.nanmax(h) - 15.0 if where == "bottom" else h <= np.nanmin(h) + 10.0
        sel &= np.isfinite(v)
        both = np.isfinite(h) & np.isfinite(v)
        if not sel.any() and deepest_seen and where == "bottom" and both.any():
            top, deep = float(np.nanmin(h)), float(np.max(h[both]))
            if deep >= top + SEEN_DEPTH_SHARE * (float(np.nanmax(h)) - top):
                sel = both & (h >= deep - 15.0)
        if sel.any():
            vals.append(float(np.percentile(v[sel], q)))
    return float(np.median(vals)) if vals else float("nan")


def _hands_on_back(track: PoseTrack, reps: Sequence[RepLike], side: Side) -> tuple[float, float]:
    """Distances (trunk lengths) at the bottoms: (nearest wrist → shoulder, other wrist → hip), for dowel vs bar."""
    xy = track.xy_px
    frames = [r.bottom for r in reps]
    sh, hp = xy[frames, sided(side, "shoulder")], xy[frames, sided(side, "hip")]
    trunk = np.linalg.norm(sh - hp, axis=-1)
    wr = xy[frames][:, [idx("left_wrist"), idx("right_wrist")]]
    with np.errstate(invalid="ignore", divide="ignore"):
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


def _cut_at_bottom(hip: FloatArray | None, rep: RepLike, end: str) -> bool:
    """The take is cut at this rep's ``end`` ("start" or "end") with the lifter at the bottom there: that end's
    first (last) seen frame within :data:`BOTTOM_BAND_DEG` of the rep's deepest hip angle.
    """
    if hip is None or not bool(getattr(rep, f"cut_{end}", False)):
        return False
    h = hip[int(rep.start) : int(rep.end) + 1]
    seen = h[np.isfinite(h)]
    return bool(seen.size) and float(seen[0 if end == "start" else -1]) >= float(np.nanmax(h)) - BOTTOM_BAND_DEG


def _opens_at_bottom(hip: FloatArray | None, rep: RepLike) -> bool:
    """The take opens with the lifter already set up at the bar (the camera started after the set-up)."""
    return _cut_at_bottom(hip, rep, "start")


def _set_down(hip: FloatArray | None, rep: RepLike) -> bool:
    """The take ends with the bar set down after the last lockout: not a rep to recognise from."""
    return _cut_at_bottom(hip, rep, "end")


def _hands_behind_ankles(
    track: PoseTrack, series: Mapping[str, FloatArray], reps: Sequence[RepLike], side: Side, facing: str
) -> float:
    """How far the hands sit in front of the camera-side ankle over the bottom phase, along the way the lifter faces
    (trunk lengths; negative = behind it, between the legs). Median over reps of each bottom phase's median (as
    :func:`_rep_stat`); NaN when not seen.
    """
    xy = track.xy_px
    wrist = nanmean(xy[:, [idx("left_wrist"), idx("right_wrist")], 0], axis=1)
    trunk = np.linalg.norm(xy[:, sided(side, "shoulder")] - xy[:, sided(side, "hip")], axis=-1)
    ahead = 1.0 if facing == "right" else -1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        v = (wrist - xy[:, sided(side, "ankle"), 0]) * ahead / trunk
    named = {**series, "_hands_ahead": v}
    return _rep_stat(named, reps, "_hands_ahead", "bottom", "hip_flexion_deg", deepest_seen=True)


def _features(series: Mapping[str, FloatArray], reps: Sequence[RepLike], view: str) -> dict[str, float]:
    sagittal = view == "side"
    hip_name = "hip_flexion_deg" if sagittal else "hip_flexion_3d_deg"
    knee_name = "knee_flexion_deg" if sagittal else "knee_flexion_3d_deg"
    trunk_name = "trunk_incline_deg" if sagittal else "trunk_incline_3d_deg"
    if not np.isfinite(series.get(hip_name, np.zeros(1) * np.nan)).any():
        hip_name, knee_name, trunk_name = "hip_flexion_deg", "knee_flexion_deg", "trunk_incline_deg"

    def stat(name: str, where: str, q: float = 50.0) -> float:
        return _rep_stat(series, reps, name, where, hip_name, q)

    hip = stat(hip_name, "bottom")
    knee = stat(knee_name, "bottom")
    hand = stat("hand_height", "bottom")
    # Does each rep start from the floor (a set-up at the bar)? The first rep's pick-up alone does not count.
    counted = [r for r in reps if not _set_down(series.get(hip_name), r)]
    floor_reps = sum(int(r.start) == int(r.bottom) or _opens_at_bottom(series.get(hip_name), r) for r in counted)
    hand_series = series.get("hand_height")
    lows = []
    for r in reps:
        seg = hand_series[r.start : r.end + 1] if hand_series is not None else np.zeros(0)
        seg = seg[np.isfinite(seg)]
        if seg.size:
            lows.append(float(np.min(seg)))
    return {
        "trunk_top_deg": abs(stat("trunk_incline_deg", "top")) if sagittal else stat(trunk_name, "top"),
        "knee_top_deg": stat(knee_name, "top"),
        "shin_top_deg": abs(stat("shin_angle_deg", "top")) if sagittal else float("nan"),
        "hip_bottom_deg": hip,
        "knee_bottom_deg": knee,
        "knee_hip_ratio": knee / hip if np.isfinite(knee) and np.isfinite(hip) and hip > 20 else float("nan"),
        "trunk_bottom_deg": abs(stat(trunk_name, "bottom")),
        "trunk_bottom_signed_deg": stat("trunk_incline_deg", "bottom") if view in ("side", "oblique") else float("nan"),
        "hand_bottom": hand,
        "ankle_lift": stat("ankle_lift", "bottom", SINGLE_LEG_QUANTILE),
        "leg_line_deg": stat("leg_line_deg", "bottom"),
        "floor_share": floor_reps / len(counted) if counted else float("nan"),
        "hand_lowest": float(np.median(lows)) if lows else float("nan"),
    }


def recognise(kin: KinematicsLike, reps: Sequence[RepLike], view: object) -> Recognition:
    """Recognise the drill (see the module docstring for the rules and their order)."""
    from hingecoach.judge_inputs import all_series, view_name  # the judge's series (derived ones included)

    vname = view_name(view)
    if not reps:
        return Recognition(COULD_NOT_TELL, 0.0, "no complete repetition was found to recognise the drill from")
    series = all_series(kin)  # type: ignore[arg-type]
    f = _features(series, reps, vname)

    def answer(result: str, conf: float, reason: str) -> Recognition:
        conf = round(float(conf), 3)
        if conf < MIN_CONFIDENCE:
            return Recognition(COULD_NOT_TELL, conf, f"not sure enough: {reason}", guess=result, features=f)
        return Recognition(result, conf, reason, guess=result, features=f)

    lying_top = f["trunk_top_deg"] > LYING_TRUNK_DEG
    reclined = f["trunk_bottom_signed_deg"] < RECLINED_TRUNK_DEG  # NaN (front view, unseen) is never reclined
    if (lying_top or reclined) and f["knee_top_deg"] > LYING_KNEE_DEG:
        lying = max(
            _margin(f["trunk_top_deg"], LYING_TRUNK_DEG, 40.0) if lying_top else 0.0,
            _margin(f["trunk_bottom_signed_deg"], RECLINED_TRUNK_DEG, 30.0) if reclined else 0.0,
        )
        conf = min(lying, _margin(f["knee_top_deg"], LYING_KNEE_DEG, 60.0))
        why = "near horizontal at the top of each rep" if lying_top else "lying back at the bottom of each rep"
        return answer("hip_thrust", conf, f"the trunk lies {why}, knees bent")
    if f["shin_top_deg"] > 55.0 and f["knee_top_deg"] > 60.0:
        return answer("hinge_kneeling", _margin(f["shin_top_deg"], 55.0, 40.0), "the shins lie on the floor")
    ratio, hand = f["knee_hip_ratio"], f["hand_bottom"]
    hands_down = np.isfinite(hand) and hand < HANDS_DOWN
    if f["ankle_lift"] > SINGLE_LEG_LIFT and f["leg_line_deg"] < 45.0:
        conf = min(_margin(f["ankle_lift"], SINGLE_LEG_LIFT, 0.5), _margin(f["leg_line_deg"], 45.0, 40.0))
        return answer("single_leg_rdl", conf, "one foot leaves the floor and the free leg stays in line")
    knee = f["knee_bottom_deg"]
    track = getattr(kin, "track", None)
    side: Side = "right" if getattr(kin, "side", "left") == "right" else "left"
    behind = float("nan")
    if vname == "side" and isinstance(track, PoseTrack):
        behind = _hands_behind_ankles(track, series, reps, side, str(getattr(kin, "facing", "right")))
    f = {**f, "hands_ahead_of_ankle": behind}
    soft_or_unseen = not (np.isfinite(knee) and knee >= DEADLIFT_KNEE_DEG)
    if np.isfinite(behind) and behind < HANDS_BEHIND_ANKLE and soft_or_unseen:
        conf = _margin(behind, HANDS_BEHIND_ANKLE, 0.15)
        return answer("band_pull_through", conf, "the hands pull back between the legs, behind the ankles")
    bent = np.isfinite(knee) and knee >= DEADLIFT_KNEE_DEG
    hands_ok = hands_down or not np.isfinite(hand)  # plates hide the knees, so the hands' height is unknown
    to_floor = np.isfinite(f["hand_lowest"]) and f["hand_lowest"] < HANDS_AT_FLOOR
    not_up = not (np.isfinite(hand) and hand >= HANDS_AT_SHOULDERS)
    soft = np.isfinite(knee) and knee < SOFT_KNEE_MAX_DEG  # an RDL's or pull-through's bend, not a floor set-up
    if (not_up and not soft and f["floor_share"] > 0.5) or (hands_ok and (f["floor_share"] > 0 or to_floor) and bent):
        # before the squat rule: a squat-like pull from the floor is still a pull (its squat_pattern check says so)
        conf = _margin(f["floor_share"], 0.0, 0.5) if f["floor_share"] > 0.5 else 0.5
        if np.isfinite(knee):
            conf = max(conf, _margin(knee, DEADLIFT_KNEE_DEG - 15.0, 40.0)) if bent else conf
        return answer("deadlift", conf, "the reps start from the floor with the knees bent")
    upright = np.isfinite(f["trunk_bottom_deg"]) and f["trunk_bottom_deg"] < SQUAT_TRUNK_DEG
    knees_lead = np.isfinite(ratio) and (
        ratio > SQUAT_RATIO_ANY or (ratio > SQUAT_RATIO and (upright or not hands_down))
    )
    # ... or, from an oblique camera that shrinks the ratio, knees bent like a squat's under an upright trunk
    knees_lead = knees_lead or (upright and not hands_down and np.isfinite(knee) and knee >= SQUAT_KNEE_DEG)
    if knees_lead:
        conf = _margin(ratio, SQUAT_RATIO, 0.3)
        return answer(NOT_A_HINGE, max(conf, 0.6), "the knees bend as much as the hips: a squat, not a hinge")
    if np.isfinite(hand) and hand >= HANDS_AT_SHOULDERS:
        if isinstance(track, PoseTrack):
            to_sh, other_hp = _hands_on_back(track, reps, side)
            if to_sh < 0.5 and other_hp < 0.4:
                why = "one hand behind the neck and one at the low back: a stick on the back"
                return answer("hinge_dowel", 0.7, why)
        return answer("good_morning", _margin(hand, HANDS_AT_SHOULDERS, 1.0), "the hands stay up at the shoulders")
    if hands_down:
        conf = _margin(hand, HANDS_DOWN, 0.5)
        return answer("rdl", conf, "from the top with soft knees, the hands travel down the legs")
    return Recognition(COULD_NOT_TELL, 0.0, "none of the drills' defining features was seen", features=f)
