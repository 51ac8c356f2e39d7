"""The back line per frame, as the overlay and the report's strip draw it — agreeing with the reps' verdicts.

The judge (:mod:`hingecoach.judge`) answers per rep; a drawing needs a state on every frame. This module reads
the same frames the back-line checks read and then lets each rep's own answer decide what its frames show, so the
picture never says more (or less) than the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hingecoach import schema
from hingecoach.drills import Drill
from hingecoach.judge_inputs import (
    ClipFrames,
    KinematicsLike,
    clip_frames,
    compute_baseline,
    view_name,
    window_span,
)
from hingecoach.measures import Baseline
from hingecoach.measures_back import HANDS_AT_NECK, WANT_BACK_FRAMES, arms_over_back, lean_floor_deg
from hingecoach.nanstats import rolling_nanmedian

FloatArray = NDArray[np.float64]

#: Per-frame states of the back line (:class:`BackLine`): the stick touches, lifts, lifts by too little to call, or
#: could not be read on that frame.
LINE_BREAKS: Final[int] = 0
LINE_HOLDS: Final[int] = 1
LINE_UNKNOWN: Final[int] = -1
LINE_NEAR: Final[int] = 2


@dataclass(frozen=True)
class BackLine:
    """Per frame, ``(T,)`` int8 :data:`LINE_HOLDS` / :data:`LINE_BREAKS` / :data:`LINE_NEAR` / :data:`LINE_UNKNOWN`
    for each back-line reading: ``bow`` the rounded back (tailbone and upper back on the stick), ``head`` the back of
    the head. The overlay colours each contact by its own reading and the stick by :attr:`state`.
    """

    bow: NDArray[np.int8]
    head: NDArray[np.int8]
    #: ``(T,)`` frames whose rounded back is read from the lower back's own stick (the arms lie along the upper
    #: back: the check's alternate reading); None = none.
    lower: NDArray[np.bool_] | None = None

    @property
    def state(self) -> NDArray[np.int8]:
        """The line as a whole: breaks where either reading breaks, else too close to call, else holds."""
        out = np.full(self.bow.shape, LINE_UNKNOWN, dtype=np.int8)
        out[(self.bow >= 0) | (self.head >= 0)] = LINE_HOLDS
        out[(self.bow == LINE_NEAR) | (self.head == LINE_NEAR)] = LINE_NEAR
        out[(self.bow == LINE_BREAKS) | (self.head == LINE_BREAKS)] = LINE_BREAKS
        return out


def back_line(
    kin: KinematicsLike,
    drill: Drill,
    view: object,
    *,
    frames: ClipFrames | None = None,
    baseline: Baseline | None = None,
    reps: Sequence[schema.Rep] = (),
) -> BackLine:
    """Per-frame state of the back line for overlays and the report's strip, agreeing with the reps' verdicts.

    Each reading is drawn on the frames its check reads (:class:`~hingecoach.judge_inputs.ClipFrames`): the rounded
    back wherever the trunk is seen, plates over the shins or not; the head on whole-body frames with the hands away
    from the neck; both only where the trunk leans within the checks' top-up span of the clip's deep level
    (:func:`_deep`). A frame's line breaks where the running median of its reading over
    :data:`~hingecoach.measures_back.WANT_BACK_FRAMES` judged frames passes the drill's threshold: the checks take
    such medians too, and a single frame's contour is noise. Where the arms lie along the upper back
    (:func:`hingecoach.measures_back.arms_over_back`) the rounded back is read as the check reads it there, from the
    lower back's own stick (its alternate reading).

    Inside each of ``reps`` (its window: the rep, its top hold and a floor pull's set-up, the frames its checks read)
    the rep's own answer for the check decides what a break is drawn as: a fault keeps it, a borderline answer draws
    it as too close to call, a clean answer as holding (the rep's median over its deep frames stayed inside the
    threshold), and a check the rep did not judge leaves its frames not judged. Frames outside every rep's window
    are not judged (the report says nothing about a set-down); with no rep at all, the frames' own readings are
    drawn, as the clip's back-line answers outside the reps read them.

    Why: the drawing must say what the report says. Reading only frames with the legs' landmarks left the dowel
    blank where plates hide the shins and the report put a rounded back; every frame's own value drew upright
    lifters' lines broken; and without the reps' answers 3 of 11 clean reps and every borderline one were drawn
    broken while the report called them clean or too close to call.
    """
    n = int(np.asarray(kin.t_s).shape[0])
    rb, hd = drill.check("rounded_back"), drill.check("head_out_of_line")
    views = (rb.views if rb is not None else frozenset()) | (hd.views if hd is not None else frozenset())
    if view_name(view) not in views:
        unknown = np.full(n, LINE_UNKNOWN, dtype=np.int8)
        return BackLine(unknown, unknown.copy())
    f = clip_frames(kin) if frames is None else frames  # the analysis passes the ones its checks read
    s, nan, none = f.series, np.full(n, np.nan), np.zeros(n, dtype=bool)
    hands = s.get("hands_to_neck", nan)
    known_bow, broke_bow, known_head, broke_head, known_low = none, none, none, none, none
    with np.errstate(invalid="ignore"):
        lean = np.abs(s.get("trunk_incline_deg", nan))
        base = compute_baseline(kin, frames=f) if baseline is None else baseline
        if rb is not None:
            bow = s.get(rb.quantity, nan)
            leaning = _deep(lean, base.deep_lean_seen_deg)
            arms = arms_over_back(hands, s.get("elbow_behind_trunk", nan))
            known_bow = np.isfinite(bow) & f.trunk & leaning & ~arms
            broke_bow = known_bow & (_running(bow, known_bow) > rb.threshold)
            if rb.alternate is not None:  # under arms on the upper back, the lower back's own reading
                low = s.get(rb.alternate.quantity, nan)
                known_low = np.isfinite(low) & f.trunk & leaning & arms
                broke_bow = broke_bow | (known_low & (_running(low, known_low) > rb.alternate.threshold))
                known_bow = known_bow | known_low
        if hd is not None:
            head = np.abs(s.get("dowel_head_gap", nan))
            known_head = np.isfinite(head) & f.body & _deep(lean, base.deep_lean_deg) & ~(hands < HANDS_AT_NECK)
            broke_head = known_head & (_running(head, known_head) > hd.threshold)
    spans = [(*window_span(kin, _Frames(r.start_frame, r.bottom_frame, r.end_frame), frames=f), r) for r in reps]

    def drawn(known: NDArray[np.bool_], broke: NDArray[np.bool_], code: str) -> NDArray[np.int8]:
        answers = [(a, b, next((c.state for c in r.checks if c.code == code), None)) for a, b, r in spans]
        return _rep_states(known, broke, answers)

    return BackLine(
        drawn(known_bow, broke_bow, "rounded_back"),
        drawn(known_head, broke_head, "head_out_of_line"),
        lower=known_low if known_low.any() else None,
    )


@dataclass(frozen=True)
class _Frames:
    """A reported rep's frame indices in the shape :func:`~hingecoach.judge_inputs.window_span` reads."""

    start: int
    bottom: int
    end: int
    lockout: int | None = None


def _rep_states(
    known: NDArray[np.bool_], broke: NDArray[np.bool_], spans: Sequence[tuple[int, int, str | None]]
) -> NDArray[np.int8]:
    """One reading's per-frame states; with reps, each rep's window is drawn as its answer (``spans``) says and the
    frames outside every window (walking in, a set-down, a rest between takes) are not judged, as in the report.
    """
    state = np.where(known, np.where(broke, LINE_BREAKS, LINE_HOLDS), LINE_UNKNOWN).astype(np.int8)
    if not spans:
        return state
    out = np.full(state.shape, LINE_UNKNOWN, dtype=np.int8)
    for a, b, answer in spans:
        seg = state[a : b + 1].copy()
        if answer == "borderline":
            seg[seg == LINE_BREAKS] = LINE_NEAR
        elif answer == "clean":
            seg[seg == LINE_BREAKS] = LINE_HOLDS
        elif answer != "fault":
            seg[:] = LINE_UNKNOWN
        keep = out[a : b + 1] == LINE_UNKNOWN  # windows may touch: a frame already drawn keeps its rep's state
        out[a : b + 1][keep] = seg[keep]
    return out


def _running(x: FloatArray, keep: NDArray[np.bool_]) -> FloatArray:
    """Running median of ``x`` over the frames in ``keep`` (the others count as missing)."""
    return rolling_nanmedian(np.where(keep, x, np.nan), WANT_BACK_FRAMES)


def _deep(lean: FloatArray, level: float | None) -> NDArray[np.bool_]:
    """Frames leaning far enough for the back line's reading (:func:`hingecoach.measures_back.lean_floor_deg`)."""
    if level is None:
        return np.zeros(lean.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return np.asarray(lean >= lean_floor_deg(level))
