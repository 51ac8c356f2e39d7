"""What the checks read, built once per clip: the judge's series, usable frames, the lifter's baseline, rep windows.

Why apart from :mod:`hingecoach.judge`: this is the seam between the pipeline's stages and the drill table — the
kinematics series plus the few the table derives from the landmarks, the frames whose posture is physically possible,
the clip-level baseline (standing hip line, the deepest-lean level where the back line is judged) and each rep's
:class:`~hingecoach.measures.RepWindow` (the rep with its set-up and top hold). The judge and drill recognition read
the same inputs; the judge only decides. Stages are read through small structural protocols so this module does not
depend on how they are built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import percentile_filter

from hingecoach.kinematics import RELIABLE_VISIBILITY, SAGITTAL_PARTS
from hingecoach.measures import HIP_PHASE, BackReference, Baseline, RepWindow
from hingecoach.measures_back import DEEP_LEAN_MIN_DEG, ROUND_SERIES, TRUNK_LEAN_BODY, TRUNK_LEAN_SEEN
from hingecoach.nanstats import nanmean
from hingecoach.skeleton import idx, sided
from hingecoach.timebase import first_within, half_frame_s, last_within
from hingecoach.track import PoseTrack
from hingecoach.wording import and_list

FloatArray = NDArray[np.float64]

#: An ankle this high above the other (leg lengths) means a single-leg stance.
SINGLE_LEG_LIFT: Final[float] = 0.3
#: How long after a rep's end the judge still looks for its lockout (the top hold).
TOP_HOLD_S: Final[float] = 1.0
#: The top counts as out of view when most frames within this time after a rep's end are unusable.
TOP_LOST_S: Final[float] = 0.3
#: Looking back from a floor pull's lift-off for its set-up, stop where the hips are this much straighter (deg).
SETUP_DIP_DEG: Final[float] = 30.0
#: Postures outside these limits are landmark failures (a knee bent backwards by 30°, a trunk folded behind the legs).
MIN_KNEE_DEG: Final[float] = -30.0
MIN_HIP_DEG: Final[float] = -60.0
MAX_HIP_DEG: Final[float] = 170.0
MAX_TRUNK_DEG: Final[float] = 135.0
#: The camera-side ankle this far (shin lengths) from where it stands planted means the leg's landmarks have been
#: drawn off the foot (a plate over the shin, the leg's outline lost against the bar): the feet do not move in a hinge.
MAX_ANKLE_DRIFT: Final[float] = 0.5
#: Series read on the whole-body frames without the planted-feet rule (:func:`usable_frames`).
HEAD_SERIES: Final[frozenset[str]] = frozenset({"dowel_head_gap"})
#: A foot up counts as a single-leg stance only with the trunk tipped forward past this (deg from vertical).
SINGLE_LEG_TRUNK_DEG: Final[float] = 30.0
#: Where the foot stands: this percentile of the confident ankle's image height over this long around each frame.
PLANTED_PERCENTILE: Final[float] = 90.0
PLANTED_WINDOW_S: Final[float] = 1.5
#: At least this many confidently seen frames fix where the foot stands.
MIN_PLANTED_FRAMES: Final[int] = 10

#: Why a lockout was not judged when the legs' landmarks left the feet at the top, and how to film it.
TOP_OFF_FOOT: Final[str] = (
    "at the top of this rep the legs' landmarks left the feet (the ankle was drawn up the leg, as when a plate covers "
    "the hips and knees at lockout), so how tall you stood could not be read"
)
FILM_TOP_LEGS: Final[str] = (
    "keep the hips and knees clear of the plates at lockout: turn the camera 30–45° towards the lifter's front, or "
    "raise it to about chest height"
)


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


def ankle_drift(track: PoseTrack, side: str) -> FloatArray:
    """``(T,)`` how far the ``side`` ankle sits above where that foot stands, in shin lengths (NaN unseen).

    Why: in every drill of the table the feet stay where they were put (the single-leg RDL's free foot aside, which
    :func:`usable_frames` leaves alone). When plates cover the shins BlazePose keeps a confident ankle but draws it
    up the leg: one pink-shirt deadlift read its ankle 190 px above the floor at lockout, the knee level with the
    hip, and so 60° of hip flexion while the lifter stood tall. A drawn-up ankle always sits *above* the foot, on
    some clips on half the frames, so the foot's level is the lowest the confident ankle gets in the picture
    (:data:`PLANTED_PERCENTILE`), taken over :data:`PLANTED_WINDOW_S` around each frame: a lifter who walks to a new
    spot between sets stands somewhere else. The shin length is the median knee-to-ankle distance.
    """
    n = track.xy_px.shape[0]
    if side not in ("left", "right") or n == 0:
        return np.full(n, np.nan)
    a = track.xy_px[:, idx(f"{side}_ankle")]
    knee = track.xy_px[:, idx(f"{side}_knee")]
    ok = (track.visibility[:, idx(f"{side}_ankle")] >= RELIABLE_VISIBILITY) & np.isfinite(a).all(axis=1)
    shin = np.linalg.norm(knee - a, axis=1)
    ok_shin = ok & np.isfinite(shin)
    if int(ok_shin.sum()) < MIN_PLANTED_FRAMES:
        return np.full(n, np.nan)
    length = float(np.median(shin[ok_shin]))
    if length <= 0.0:
        return np.full(n, np.nan)
    t = np.asarray(track.t_s, dtype=np.float64)
    fps = (n - 1) / float(t[-1] - t[0]) if n > 1 and t[-1] > t[0] else 30.0
    size = max(3, round(PLANTED_WINDOW_S * fps) | 1)
    unseen = -1e12  # sorts below every real image height, so it never sets the foot's level
    y = np.where(ok, a[:, 1], unseen)
    floor_y = percentile_filter(y, PLANTED_PERCENTILE, size=size, mode="nearest")
    floor_y = np.where(floor_y > unseen / 2, floor_y, np.nan)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.where(ok, (floor_y - a[:, 1]) / length, np.nan), dtype=np.float64)


def all_series(kin: KinematicsLike) -> dict[str, FloatArray]:
    series = {k: np.asarray(v, dtype=np.float64) for k, v in kin.series.items()}
    track = getattr(kin, "track", None)
    if isinstance(track, PoseTrack):
        for k, v in derived_series(track).items():
            series.setdefault(k, v)
        series.setdefault("ankle_drift", ankle_drift(track, str(getattr(kin, "side", ""))))
    near, far, lift = series.get("hip_flexion_deg"), series.get("hip_flexion_far_deg"), series.get("ankle_lift")
    if near is not None and far is not None and lift is not None:
        # On one leg the near side may be the free leg, whose hip stays straight: the hinge is the stance hip's.
        with np.errstate(invalid="ignore"):
            use_far = (lift > SINGLE_LEG_LIFT) & (near < 30.0) & (far > near + 30.0)
        series["hip_flexion_deg"] = np.where(use_far, far, near)
    return series


def usable_frames(
    kin: KinematicsLike, series: Mapping[str, FloatArray] | None = None, *, planted: bool = True
) -> NDArray[np.bool_]:
    """``(T,)`` frames the checks may read: reliable landmarks and a physically possible posture.

    Why the second condition: a detector that flips the skeleton (a video cut, a plate mistaken for a body) can
    report confident landmarks in an impossible pose — knees bent backwards, the trunk folded behind the thighs.
    Those frames are landmark failures, not the lifter's faults. So are frames whose camera-side ankle has left the
    place where the foot stands (:func:`ankle_drift`), unless one foot is up behind a forward-tipped trunk (a
    single-leg stance). ``planted=False`` leaves that last rule out: for readings that use the whole-body frames only
    to know the lifter is past the set-up (the head's line, the deepest-lean level), not for the legs' angles.
    """
    s = all_series(kin) if series is None else series
    n = int(np.asarray(kin.t_s).shape[0])
    trunk = s.get("trunk_incline_deg", np.zeros(n))
    drift = s.get("ankle_drift", np.full(n, np.nan))
    lift = s.get("ankle_lift", np.zeros(n))
    with np.errstate(invalid="ignore"):
        bent_too_far = np.abs(trunk) > MAX_TRUNK_DEG
        # One foot up behind a trunk tipped forward is the single-leg RDL's T, not a lost ankle; an ankle raised
        # under an upright trunk is the lost one (a lifter does not stand tall on one leg with the other knee up).
        one_leg = (lift > SINGLE_LEG_LIFT) & (trunk > SINGLE_LEG_TRUNK_DEG)
        off_foot = (drift > MAX_ANKLE_DRIFT) & ~one_leg & planted
    return np.asarray(kin.reliable, dtype=bool) & ~_impossible_legs(s, n) & ~bent_too_far & ~off_foot


def _impossible_legs(s: Mapping[str, FloatArray], n: int) -> NDArray[np.bool_]:
    """Frames whose hip or knee angle no body can take (a flipped skeleton); NaN angles are not impossible."""
    hip = s.get("hip_flexion_deg", np.zeros(n))
    knee = s.get("knee_flexion_deg", np.zeros(n))
    with np.errstate(invalid="ignore"):
        return np.asarray((knee < MIN_KNEE_DEG) | (hip < MIN_HIP_DEG) | (hip > MAX_HIP_DEG))


def trunk_usable_frames(kin: KinematicsLike, series: Mapping[str, FloatArray] | None = None) -> NDArray[np.bool_]:
    """``(T,)`` frames the rounded-back reading may use: the trunk seen (its incline known) in a possible posture.

    Why not :func:`usable_frames`: that one needs the camera-side knee and ankle too, and plates in front of the
    shins at the bottom of a pull hide exactly those on exactly the frames the back is judged on (a mirrored copy
    of one rounded pull kept 10 of its 26 deepest frames, and its verdict flipped). The head's reading keeps the
    stricter frames: at the set-up, with the ankles hidden, a lifter looks up at the bar before the pull. "Seen"
    means the camera-side shoulder and hip confidently seen, as :attr:`Kinematics.reliable` asks of the whole side.
    """
    s = all_series(kin) if series is None else series
    n = int(np.asarray(kin.t_s).shape[0])
    trunk = s.get("trunk_incline_deg", np.full(n, np.nan))
    with np.errstate(invalid="ignore"):
        seen = np.isfinite(trunk) & (np.abs(trunk) <= MAX_TRUNK_DEG)
    track, side = getattr(kin, "track", None), getattr(kin, "side", None)
    if isinstance(track, PoseTrack) and side in ("left", "right"):
        vis = track.visibility
        seen &= (vis[:, sided(side, "shoulder")] >= RELIABLE_VISIBILITY) & (
            vis[:, sided(side, "hip")] >= RELIABLE_VISIBILITY
        )
    # A flipped skeleton (a video glitch) still shows where the legs are seen: an impossible hip or knee.
    return np.asarray(seen & ~_impossible_legs(s, n))


@dataclass(frozen=True)
class ClipFrames:
    """What every check of a clip reads, computed once per clip: the judge's series and which frames each kind of
    reading may use (``(T,)`` masks).

    ``legs``: :func:`usable_frames` — reliable landmarks, a possible posture, the feet planted (leg angles);
    ``body``: the same without the planted-feet rule (the head's line, the deepest-lean level);
    ``trunk``: :func:`trunk_usable_frames` (the rounded back).
    """

    series: Mapping[str, FloatArray]
    legs: NDArray[np.bool_]
    body: NDArray[np.bool_]
    trunk: NDArray[np.bool_]


def clip_frames(kin: KinematicsLike) -> ClipFrames:
    """The clip's :class:`ClipFrames`: build it once and pass it to the baseline, each rep's window and the judge."""
    s = all_series(kin)
    return ClipFrames(
        series=s,
        legs=usable_frames(kin, s),
        body=usable_frames(kin, s, planted=False),
        trunk=trunk_usable_frames(kin, s),
    )


#: The deepest-lean frames, where the back line is judged: within this many degrees of the clip's 95th-percentile
#: trunk lean, and at least :data:`DEEP_LEAN_MIN_DEG` (``/work/shared/notes/virtual-dowel.md``).
DEEP_LEAN_BAND_DEG: Final[float] = 10.0


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


def compute_baseline(
    kin: KinematicsLike, reference: BackReference | None = None, *, frames: ClipFrames | None = None
) -> Baseline:
    """The lifter's clip-level values, computed once: standing hip line, deepest-lean level, own back reference.

    Why standing medians: the hip line's angle in the image differs between people and cameras (a tilted phone, a
    leg-length difference); the hip-level check compares the lifter with themselves, which cancels both.
    ``frames``: the clip's :class:`ClipFrames` when the caller has them (built here otherwise).
    """
    f = clip_frames(kin) if frames is None else frames
    s = f.series
    hip = s.get("hip_flexion_deg")
    trunk = s.get("trunk_incline_deg")
    lean = None if trunk is None else deep_lean_deg(trunk, f.body)
    seen = None if trunk is None else deep_lean_deg(trunk, f.trunk)
    if hip is None or not np.isfinite(hip).any():
        return Baseline(deep_lean_deg=lean, reference=reference, deep_lean_seen_deg=seen)
    ok = np.asarray(kin.reliable, dtype=bool) & np.isfinite(hip)
    if not ok.any():
        return Baseline(deep_lean_deg=lean, reference=reference, deep_lean_seen_deg=seen)
    upright = ok & (hip <= np.nanpercentile(hip[ok], 10) + 5.0)

    def med(name: str) -> float | None:
        x = s.get(name)
        if x is None:
            return None
        v = x[upright & np.isfinite(x)]
        return float(np.median(v)) if v.size else None

    return Baseline(
        pelvis_tilt_deg=med("pelvis_tilt_deg"), deep_lean_deg=lean, reference=reference, deep_lean_seen_deg=seen
    )


def _top_hold_end(hip: FloatArray | None, end: int, stop: int) -> int:
    """Last frame of the top hold after a rep's ``end``: up to frame ``stop``, stopping where a new descent
    starts (hip flexion 20° above the lowest value since ``end``).

    Why: a rep ends when the hips are back *near* the top; the lockout (standing tall, or leaning back) comes a few
    frames later, and the lockout checks must see it.
    """
    if hip is None or stop <= end:
        return end
    seg = hip[end : min(stop, hip.shape[0] - 1) + 1]
    if not np.isfinite(seg).any():
        return end
    low = np.fmin.accumulate(np.where(np.isfinite(seg), seg, np.inf))
    rising = np.flatnonzero(np.isfinite(seg) & (seg > low + 20.0))
    return end + (int(rising[0]) - 1 if rising.size else seg.shape[0] - 1)


def _setup_start(hip: FloatArray | None, start: int, lo: int) -> int:
    """First frame of the set-up before a floor pull that starts at lift-off (``start == bottom``): back to frame
    ``lo`` at the earliest, stopping where the hips are :data:`SETUP_DIP_DEG` straighter than at lift-off (standing
    before walking in to the bar); NaN frames are passed over.

    Why: the set-up at the bar is where a deadlift's back and knees are judged; a lift-off detected a few frames
    late (landmarks jump as the bar breaks from the floor) must not cut it out of the rep.
    """
    if hip is None or lo >= start or start <= 0 or not np.isfinite(hip[start]):
        return start
    lo = max(0, lo)
    seg = hip[lo:start][::-1]
    below = np.flatnonzero(np.isfinite(seg) & (seg < hip[start] - SETUP_DIP_DEG))
    return start - (int(below[0]) if below.size else seg.shape[0])


def window_span(kin: KinematicsLike, rep: RepLike, *, frames: ClipFrames | None = None) -> tuple[int, int]:
    """First and last frame (inclusive) of the rep's window as :func:`rep_window` cuts it: the rep, its top hold and,
    for a floor pull, its set-up — the frames the rep's checks read, which the overlay draws as the rep's answer.
    """
    f = clip_frames(kin) if frames is None else frames
    return _span(f.series.get("hip_flexion_deg"), np.asarray(kin.t_s, dtype=np.float64), rep)


def _span(hip: FloatArray | None, t: FloatArray, rep: RepLike) -> tuple[int, int]:
    a0, b0 = int(rep.start), int(rep.end)
    b = _top_hold_end(hip, b0, last_within(t, b0, TOP_HOLD_S))
    a = _setup_start(hip, a0, first_within(t, a0, TOP_HOLD_S)) if int(rep.bottom) == a0 else a0
    return a, b


def rep_window(
    kin: KinematicsLike,
    rep: RepLike,
    *,
    baseline: Baseline | None = None,
    frames: ClipFrames | None = None,
    yaw_deg: float | None = None,
) -> RepWindow:
    """Slice every series to the rep ``[start, end]`` (inclusive) and re-base its bottom/lockout indices.

    The window reaches :data:`TOP_HOLD_S` past the rep's end (its top hold) and, for a floor pull, as long before its
    lift-off (the set-up); both measured on the frames' timestamps, which the window carries for its checks. Each
    series is masked by the frames its kind of reading may use (:class:`ClipFrames`; built here when not given).
    """
    f = clip_frames(kin) if frames is None else frames
    s = f.series
    t = np.asarray(kin.t_s, dtype=np.float64)
    n = int(t.shape[0])
    a0, b0 = int(rep.start), int(rep.end)
    a, b = _span(s.get("hip_flexion_deg"), t, rep)
    keep = f.legs[a : b + 1]
    # The top is out of view when most frames just after the rep's end are unusable (a cut, the lifter leaving).
    after = f.legs[b0 + 1 : max(b0 + 1, last_within(t, b0, TOP_LOST_S)) + 1]
    top_hidden = after.size > 0 and float(after.mean()) < 0.5
    on_foot = f.body[b0 + 1 : b0 + 1 + after.size]
    top_off_foot = top_hidden and float(on_foot.mean()) >= 0.5
    # ... or the clip stops before the top could be held: hips still bent on the last frames may be a lifter still
    # rising, and only more frames could tell a finished lockout from an unfinished one.
    ends_at_top = float(t[n - 1] - t[b0]) < TOP_LOST_S - half_frame_s(t)
    top_lost = top_hidden or ends_at_top
    seen = f.trunk[a : b + 1]
    body = f.body[a : b + 1]

    def mask(name: str) -> NDArray[np.bool_]:
        return seen if name in ROUND_SERIES else body if name in HEAD_SERIES else keep

    window = {k: np.where(mask(k), v[a : b + 1], np.nan) for k, v in s.items()}
    if "hip_flexion_deg" in s:
        window[HIP_PHASE] = np.where(seen, s["hip_flexion_deg"][a : b + 1], np.nan)
    if "trunk_incline_deg" in s:
        window[TRUNK_LEAN_SEEN] = np.where(seen, s["trunk_incline_deg"][a : b + 1], np.nan)
        window[TRUNK_LEAN_BODY] = np.where(body, s["trunk_incline_deg"][a : b + 1], np.nan)
    bottom = int(rep.bottom) - a
    wh = window.get("hip_flexion_deg")
    if a < a0 and wh is not None and np.isfinite(wh[: a0 - a + 1]).any():
        bottom = int(np.nanargmax(wh[: a0 - a + 1]))  # the set-up position is the bottom of a floor pull
    return RepWindow(
        series=window,
        fps=float(kin.fps),
        t_s=t[a : b + 1],
        bottom=bottom,
        lockout=None if rep.lockout is None else int(rep.lockout) - a,
        cut_start=bool(getattr(rep, "cut_start", False)) or a <= 0,
        cut_end=bool(getattr(rep, "cut_end", False)) or b0 >= n - 1,
        top_lost=top_lost,
        top_off_foot=top_off_foot,
        baseline=baseline,
        yaw_deg=yaw_deg,
        offset=a,
    )


#: A landmark counts as hidden over a stretch when it was below the reliable visibility on more than this share of it.
HIDDEN_SHARE: Final[float] = 0.5
#: How to film when the knee or ankle is hidden at the bottom (plates in front of the shins, most often).
FILM_LEGS: Final[str] = (
    "keep the knee and ankle in view at the bottom of the rep: with plates on the bar, raise the camera to about hip "
    "height so the knee shows above the plates, or turn it 30–45° towards the lifter's front so the shins show "
    "between them"
)


def hidden_parts(kin: KinematicsLike, lo: int, hi: int, share: float = HIDDEN_SHARE) -> tuple[str, ...]:
    """The camera-side landmarks (shoulder, hip, knee, ankle) hidden on more than ``share`` of frames ``[lo, hi]``.

    Why: a check that could not read its landmarks should name what the camera missed, so the user knows what to
    change (an empty tuple when the track says nothing was hidden).
    """
    track = getattr(kin, "track", None)
    side = getattr(kin, "side", None)
    if not isinstance(track, PoseTrack) or side not in ("left", "right"):
        return ()
    vis = track.visibility[max(0, lo) : hi + 1]
    if vis.shape[0] == 0:
        return ()
    out = []
    for part in SAGITTAL_PARTS:
        seen = vis[:, sided(side, part)] >= RELIABLE_VISIBILITY
        if float(1.0 - seen.mean()) > share:
            out.append(part)
    return tuple(out)


def hidden_reason(parts: Sequence[str], fallback: str, where: str = "at the bottom of this rep") -> tuple[str, str]:
    """The not-judged reason and how to film, for a check whose landmarks were hidden ``where``."""
    if not parts:
        return fallback, "keep the whole body in frame and in good light, one person in view"
    names = and_list(parts)
    verb = "were" if len(parts) > 1 else "was"
    legs = any(p in ("knee", "ankle") for p in parts)
    return (
        f"the {names} nearer the camera {verb} hidden {where}"
        + (f"; plates in front of the shins most often hide {'them' if len(parts) > 1 else 'it'}" if legs else ""),
        FILM_LEGS if legs else "keep the whole body in frame, side-on, in good light",
    )
