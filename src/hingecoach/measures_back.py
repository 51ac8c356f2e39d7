"""Measurements of the back line on one rep: the virtual dowel's readings over the frames of deepest trunk lean.

Why a module of its own: the back line is the article's own test (a stick touching the head, the upper back and the
tailbone) and the part of the coaching that generalises least between lifters, so its frame selection, its
uncertainty band and the captures it refuses to judge (a small trunk, hands or arms over the outline, legs hidden)
sit together here. The quantities come from :func:`hingecoach.backline.dowel` through the kinematics series; the
thresholds and cues are in :mod:`hingecoach.drills`; the rep window and the answer types in
:mod:`hingecoach.measures`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.measures import FloatArray, Measured, NotJudged, RepWindow
from hingecoach.timebase import sample_rate_hz

#: The back line is judged on the frames of deepest trunk lean: at least this many (a single frame's contour is
#: noise, 0.007–0.02 trunk lengths frame to frame).
MIN_BACK_FRAMES: Final[int] = 5
#: A median over fewer frames than this takes the rep's deepest frames (still at least :data:`DEEP_LEAN_MIN_DEG` of
#: lean, and within :data:`TOPUP_SPAN_DEG` of the deep level) up to this many: the note's "median over 15 or more
#: frames", and a fast pull whose deepest 10° lasts only a handful of frames would otherwise be judged on noise (a
#: mirrored copy then read 0.018 where the clip read 0.029).
WANT_BACK_FRAMES: Final[int] = 15
#: The frames that top a brief deepest band up to :data:`WANT_BACK_FRAMES` lean at most this far (deg) less than
#: the deep level. Why: without it a rep whose head outline was lost at the bottom took its top-up from the way up
#: (40° of lean against a deep level of 70°), where the lifter already looks ahead; on a mirrored copy that read the
#: head 0.24 dropped where the clip read 0.04 craned. On the eval manifest it cuts the head gap's original-vs-mirror
#: difference per rep (largest 0.199 → 0.124, p90 0.082 → 0.060), one rounded-back false alarm and one mirror
#: disagreement; spans of 15°, 20° and 25° gave the same figures, 10° one more disagreement.
TOPUP_SPAN_DEG: Final[float] = 20.0
#: The trunk must lean at least this far forward (deg) for its silhouette to show the back line's gaps.
DEEP_LEAN_MIN_DEG: Final[float] = 35.0
#: Consecutive frames' contours are not independent (the mask is smoothed over time): frames within this many
#: seconds count as one sample when the standard error of a median is estimated.
CORRELATED_S: Final[float] = 0.1
#: The check bands assume a median over this many frames; fewer widen the band by sqrt(this / n).
BAND_FRAMES: Final[int] = 10
#: Hands nearer than this (trunk lengths) to the neck cover the back of the head (a bar or stick held behind the
#: neck, hands laced behind the head): the head's outline is theirs, not the head's. Set between the farthest such
#: hands seen (0.39 on a bar held across the shoulders, 0.51 on its mirrored copy: wide hands project beside the neck
#: differently from each side) and the nearest hands at a bar in front of the legs (0.80 on the dev pulls), so that
#: neither copy of a clip sits at the gate.
HANDS_AT_NECK: Final[float] = 0.65
#: Smallest trunk (pixels at the model's working resolution) whose silhouette edge can show a back line: below it
#: 0.02 trunk lengths is about a pixel.
MIN_TRUNK_PX: Final[float] = 80.0
#: How to film so the whole body, feet included, shows through a rep (the head's line is read on such frames).
FILM_LEGS_SHORT: Final[str] = (
    "keep the whole body in the picture, feet included: step the camera back, or turn it 30–45° towards the lifter's "
    "front so the plates do not hide the legs"
)
FILM_BACK: Final[str] = (
    "film from the side (camera at hip height, square to the lifter), whole body in frame, close enough that the "
    "trunk fills at least a fifth of the picture, in a fitted top, hair tied back, hood down"
)


#: The series the rounded-back reading needs: the trunk and its silhouette, not the legs
#: (:func:`hingecoach.judge_inputs.trunk_usable_frames`).
ROUND_SERIES: Final[frozenset[str]] = frozenset(
    {"dowel_bow", "dowel_tail_gap", "dowel_shoulder_drop", "dowel_lumbar_bow"}
)
#: The trunk's incline on the frames where the trunk is seen (the rounded-back reading's deepest frames).
TRUNK_LEAN_SEEN: Final[str] = "trunk_incline_seen_deg"
#: The trunk's incline on the whole-body frames before the planted-feet rule (the head's deepest frames; see
#: :func:`hingecoach.judge_inputs.usable_frames`).
TRUNK_LEAN_BODY: Final[str] = "trunk_incline_body_deg"


def lean_floor_deg(level: float) -> float:
    """The least trunk lean (deg) whose frames may be read for the back line, given the clip's deep level: within
    :data:`TOPUP_SPAN_DEG` of it and never below :data:`DEEP_LEAN_MIN_DEG` (the checks' top-up, the overlay's band).
    """
    return max(DEEP_LEAN_MIN_DEG, level - TOPUP_SPAN_DEG)


def _back_frames(w: RepWindow, name: str) -> NDArray[np.bool_] | NotJudged:
    """Frames of deepest trunk lean with a measured back line, or why there are not enough of them."""
    base = w.baseline
    seen = name in ROUND_SERIES and TRUNK_LEAN_SEEN in w.series
    body = not seen and TRUNK_LEAN_BODY in w.series
    lean = w.get(TRUNK_LEAN_SEEN if seen else TRUNK_LEAN_BODY if body else "trunk_incline_deg")
    level = None if base is None else base.deep_lean_seen_deg if seen else base.deep_lean_deg
    if base is None or level is None:
        if base is not None and base.deep_lean_seen_deg is not None:
            # The trunk did lean, but never on a frame with the whole body seen (plates over the legs throughout).
            return NotJudged(
                "the legs were hidden on every frame of deep lean, and the head's line is read only where the whole "
                "body is seen (at a floor pull's set-up a lifter looks up at the bar)",
                FILM_LEGS_SHORT,
            )
        return NotJudged("the trunk never leaned far enough forward (35°) to judge the back line", None)
    x = w.get(name)
    with np.errstate(invalid="ignore"):
        deep = np.abs(lean) >= level
        floor = np.isfinite(x) & (np.abs(lean) >= lean_floor_deg(level))
    if int((deep & np.isfinite(x)).sum()) < WANT_BACK_FRAMES and int(floor.sum()) > int(deep.sum()):
        order = np.flatnonzero(floor)[np.argsort(-np.abs(lean[floor]), kind="stable")]
        deep = deep.copy()
        deep[order[:WANT_BACK_FRAMES]] = True
    if int(deep.sum()) < MIN_BACK_FRAMES:
        return NotJudged(f"only {int(deep.sum())} frames at the bottom of this rep: too few for a steady back line")
    trunk = w.get("trunk_px")[deep]
    if np.isfinite(trunk).any() and float(np.nanmedian(trunk)) < MIN_TRUNK_PX:
        return NotJudged(
            f"the trunk is only {float(np.nanmedian(trunk)):.0f} px long in the picture: too small to see the back's "
            "outline",
            "move the camera closer or film at a higher resolution",
        )
    sel = deep & np.isfinite(x)
    if int(sel.sum()) < MIN_BACK_FRAMES:
        return NotJudged(
            "the back's outline was not found on enough frames (no silhouette, or something in front of the back)",
            FILM_BACK,
        )
    return np.asarray(sel)


def _back_measure(w: RepWindow, name: str, ref: float | None, *, absolute: bool) -> Measured | NotJudged:
    sel = _back_frames(w, name)
    if isinstance(sel, NotJudged):
        return sel
    x = w.get(name)
    value = float(np.median(x[sel]))
    frames = np.flatnonzero(sel)
    frame = int(frames[np.argmin(np.abs(frames - w.bottom))])
    scale = float(np.sqrt(BAND_FRAMES / frames.size)) if frames.size < BAND_FRAMES else 1.0
    se = median_se(x[sel], sample_rate_hz(w.times, w.fps))  # the rate the frames were seen at
    if ref is not None and np.isfinite(ref):
        delta = value - ref
        return Measured(abs(delta) if absolute else delta, frame, relative=True, band_scale=scale, se=se)
    return Measured(abs(value) if absolute else value, frame, band_scale=scale, se=se)


def median_se(x: FloatArray, fps: float) -> float:
    """Standard error of the median of ``x`` (one value per frame), robustly: 1.2533 · 1.4826 · MAD / sqrt(n_eff).

    ``n_eff`` counts the frames within :data:`CORRELATED_S` of each other as one (the contour's errors persist over a
    few frames). Why it matters: a head outline with hair or a prop behind it jumps by 0.1 trunk lengths from frame
    to frame, so its median can sit past the threshold on one copy of a clip and short of it on a mirrored copy.
    """
    v = np.asarray(x, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return 0.0
    mad = float(np.median(np.abs(v - np.median(v))))
    n_eff = max(1.0, v.size / max(1.0, fps * CORRELATED_S))
    return float(1.2533 * 1.4826 * mad / np.sqrt(n_eff))


def back_line_medians(w: RepWindow) -> dict[str, float | None]:
    """Raw medians of the dowel's three readings over the rep's deepest-lean frames (signed head gap: + dropped,
    − craned), for the rep's metrics and for an athlete's neutral reference; None where not measurable.
    """
    out: dict[str, float | None] = {}
    names = {"dowel_bow": "dowel_bow", "dowel_head_gap": "dowel_head_gap_signed", "dowel_tail_gap": "dowel_tail_gap",
             "dowel_shoulder_drop": "dowel_shoulder_drop", "dowel_lumbar_bow": "dowel_lumbar_bow"}  # fmt: skip
    for name, key in names.items():
        sel = _back_frames(w, name)
        out[key] = None if isinstance(sel, NotJudged) else float(np.median(w.get(name)[sel]))
    return out


def measure_dowel_bow(w: RepWindow) -> Measured | NotJudged:
    """How far the back between the tailbone and upper-back contacts rises above the virtual dowel, median over the
    frames of deepest lean (trunk lengths; :func:`hingecoach.backline.dowel`). With the athlete's own neutral
    reference: the rise over it.
    """
    ref = w.baseline.reference.dowel_bow if w.baseline and w.baseline.reference else None
    return _back_measure(w, "dowel_bow", ref, absolute=False)


def measure_tail_gap(w: RepWindow) -> Measured | NotJudged:
    """The article's test at the tailbone: the dowel held between the shoulder blades and swung down onto the back —
    how far it stays off the tailbone because the back between them bulges (a "candy cane"), median over the frames
    of deepest lean (trunk lengths; :func:`hingecoach.backline.dowel`). With the athlete's own neutral reference:
    the rise over it.

    Why this and not the bow alone: the gap at the tailbone is what the stick shows, and it separated the dev
    lifters' rounded clips from their neutral ones better (leave-one-lifter-out 3 of 5 rounded clips found and no
    neutral clip flagged, against 2 of 5 and 2 for the bow).
    """
    ref = w.baseline.reference.dowel_tail_gap if w.baseline and w.baseline.reference else None
    return _back_measure(w, "dowel_tail_gap", ref, absolute=False)


def _back_measure_hands_away(
    w: RepWindow, name: str, ref: float | None, covered: str, line: str, *, absolute: bool = False
) -> Measured | NotJudged:
    """:func:`_back_measure` of ``name``, or not judged when the hands (a bar, a stick behind the neck) sit at the
    neck on its frames: they change the silhouette exactly where the shoulders and the head are read.
    """
    sel = _back_frames(w, name)
    if isinstance(sel, NotJudged):
        return sel
    hands = w.get("hands_to_neck")[sel]
    if np.isfinite(hands).any() and float(np.nanmedian(hands)) < HANDS_AT_NECK:
        return NotJudged(
            f"the hands (or a bar or stick held behind the neck) cover {covered}",
            f"for the {line}, film a set with the hands away from the neck — arms crossed on the chest, or the "
            "stick held along the spine with one hand at the low back",
        )
    return _back_measure(w, name, ref, absolute=absolute)


#: An elbow this far behind the trunk's axis, at the upper back's height, lies along the upper back (trunk lengths;
#: :func:`hingecoach.backline.elbow_behind_trunk`).
ELBOW_BEHIND_TRUNK: Final[float] = 0.0


def arms_over_back(hands_to_neck: FloatArray, elbow_behind_trunk: FloatArray) -> NDArray[np.bool_]:
    """Per value: the hands at the neck and an elbow behind the trunk at the upper back's height (a bar or stick held
    at the shoulders), where the back's outline at the shoulders is the arm's (:func:`_arms_over_back`).
    """
    with np.errstate(invalid="ignore"):
        return np.asarray((hands_to_neck < HANDS_AT_NECK) & (elbow_behind_trunk > ELBOW_BEHIND_TRUNK))


def _arms_over_back(w: RepWindow, sel: NDArray[np.bool_]) -> NotJudged | None:
    """Not judged when, on the frames read, the hands are at the neck and an elbow lies behind the trunk at the upper
    back's height (a bar or stick held at the shoulders): the outline there is the arm's, and the stick would rest
    on the elbow.

    Measured on the dev clips after looking at them: the one good morning with a bar on the back has an elbow
    +0.17 behind the axis (+0.09 on its mirrored copy), with the hands 0.39–0.50 from the neck. Both conditions are
    needed: with the hands away from the neck a few pulls put a (hidden, guessed) far elbow behind the axis too (up to
    +0.5), and with the hands at the neck most other clips keep the elbows in front. On the manifest the rule fires on
    that clip's two reps only. A hand behind the neck holding a stick raises that elbow beside the head, past the
    upper back, where it does not count.
    """
    hands = w.get("hands_to_neck")[sel]
    elbow = w.get("elbow_behind_trunk")[sel] if "elbow_behind_trunk" in w.series else np.full(int(sel.sum()), np.nan)
    if not (np.isfinite(hands).any() and np.isfinite(elbow).any()):
        return None
    if bool(arms_over_back(np.array([np.nanmedian(hands)]), np.array([np.nanmedian(elbow)]))[0]):
        return NotJudged(
            "the arms lie along the upper back (a bar or stick held at the shoulders), so the outline there is the "
            "arm's, not the back's",
            "for the back line, film a set holding the stick along the spine (one hand at the neck, one at the low "
            "back) or with the arms crossed on the chest",
        )
    return None


def measure_shoulder_drop(w: RepWindow) -> Measured | NotJudged:
    """The article's stick on a rounded upper back: laid on the tailbone and the mid-back, how far the back at the
    shoulder line falls away below it (the "candy cane" curls the shoulders down and forward), median over the frames
    of deepest lean (trunk lengths; :func:`hingecoach.backline.dowel`). With the athlete's own neutral reference: the
    drop beyond it.

    Why this and not the tailbone gap: the lifters the tool had never seen round their upper back with the lower back
    flat, which leaves the tailbone on the stick (tail gap 0.000–0.013 on five such clips) while their shoulders fall
    0.10–0.21 below it; the dev lifter's whole-back rounding drops them 0.08–0.10 too. Unlike the head's line it is
    judged with a hand at the neck: the dowel hinge holds the stick there, and its back line is the drill's point —
    but not where an elbow lies along the upper back as well (:func:`_arms_over_back`).
    """
    ref = w.baseline.reference.dowel_shoulder_drop if w.baseline and w.baseline.reference else None
    sel = _back_frames(w, "dowel_shoulder_drop")
    if isinstance(sel, NotJudged):
        return sel
    covered = _arms_over_back(w, sel)
    if covered is None:
        return _back_measure(w, "dowel_shoulder_drop", ref, absolute=False)
    return _lower_back(w, covered) or covered


def _lower_back(w: RepWindow, covered: NotJudged) -> Measured | None:
    """The lower back's bow below arms that cover the upper back (the rounded-back check's alternate reading), or
    None when it cannot be read either. It can find a rounded lower back but not clear the upper back the arms hide,
    so any answer but a fault stays ``covered`` (not judged).

    Why: the article's good morning holds a stick across the shoulders, and its warning for that drill is the lower
    back: "don't go too far or you'll end up letting your lumbar spine round the wrong direction". The arms hide the
    shoulders' drop, not the lumbar spine.
    """
    m = _back_measure(w, "dowel_lumbar_bow", None, absolute=False)
    return None if isinstance(m, NotJudged) else replace(m, alternate=True, unless_fault=covered)


def measure_head_gap(w: RepWindow) -> Measured | NotJudged:
    """How far the back of the head leaves the dowel's line, either way (dropped below it or craned past it), median
    over the frames of deepest lean (trunk lengths). With the athlete's own reference: the change from it.
    """
    ref = w.baseline.reference.dowel_head_gap if w.baseline and w.baseline.reference else None
    return _back_measure_hands_away(w, "dowel_head_gap", ref, "the back of the head", "head's line", absolute=True)
