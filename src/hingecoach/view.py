"""Camera view: is the lifter seen from the side, the front, or in between?

Why it matters: every sagittal check (hip hinge angle, back line, knee bend) is only meaningful when the camera
looks at the body's side; users of similar tools ask for exactly this warning ("results depend on where the camera
is"). The estimate is the body's *yaw* relative to the camera — 0° side-on, 90° square to the camera (front or
back) — from two independent cues, averaged:

* **image widths**: how wide the shoulder and hip lines appear relative to the trunk length (shoulders ≈ 0.75 and
  hips ≈ 0.43 trunk lengths wide when square to the camera, ≈ 0 side-on: yaw = asin(width / full width)), measured
  on the frames where the trunk looks longest (upright: a hinge towards the camera foreshortens the trunk);
* **world depth**: in BlazePose's world landmarks (metres, camera-aligned) the left→right shoulder and hip lines'
  angle between image-x and depth-z.

Thresholds were set on the dev clips of ``../shared/data`` (raw tracks): true side views read 2–25°, front views
70–90°, oblique (30–45°) views 34–53°. Side < 30° ≤ oblique < 60° ≤ front.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from hingecoach.skeleton import INDEX
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]

SIDE_MAX_DEG: Final[float] = 30.0
FRONT_MIN_DEG: Final[float] = 60.0
#: Apparent shoulder / hip width when square to the camera, in trunk lengths (dev clips' front views: 0.71–0.75 and
#: 0.38–0.44; anthropometry: biacromial ≈ 0.2 H, hip joints ≈ 0.11 H, trunk ≈ 0.29 H).
FULL_SHOULDER_WIDTH: Final[float] = 0.75
FULL_HIP_WIDTH: Final[float] = 0.43
#: Fewer usable frames than this and the view is "unknown".
MIN_FRAMES: Final[int] = 5


@dataclass(frozen=True)
class ViewEstimate:
    """The camera view, how sure we are (0–1), and the body yaw behind it (0 = side-on, 90 = square)."""

    view: Literal["side", "front", "oblique", "unknown"]
    confidence: float
    yaw_deg: float | None
    yaw_image_deg: float | None = None
    yaw_world_deg: float | None = None


def _pair(xy: FloatArray, part: str) -> FloatArray:
    return np.asarray(xy[:, INDEX[f"left_{part}"]] - xy[:, INDEX[f"right_{part}"]], dtype=np.float64)


def yaw_from_image_deg(xy_px: FloatArray) -> FloatArray:
    """``(T,)`` per-frame yaw (deg) from apparent shoulder and hip widths over trunk length; NaN on upright-less frames.

    Only frames whose trunk is at least 85 % of the clip's long (90th-percentile) trunk length are used, so a lifter
    hinging towards the camera does not look wider than they are.
    """
    mid_sh = (xy_px[:, INDEX["left_shoulder"]] + xy_px[:, INDEX["right_shoulder"]]) / 2
    mid_hip = (xy_px[:, INDEX["left_hip"]] + xy_px[:, INDEX["right_hip"]]) / 2
    trunk = np.linalg.norm(mid_sh - mid_hip, axis=-1)
    if not np.isfinite(trunk).any():
        return np.full(xy_px.shape[0], np.nan)
    upright = trunk >= 0.85 * np.nanpercentile(trunk, 90)
    with np.errstate(invalid="ignore", divide="ignore"):
        sh = np.abs(_pair(xy_px, "shoulder")[:, 0]) / trunk / FULL_SHOULDER_WIDTH
        hp = np.abs(_pair(xy_px, "hip")[:, 0]) / trunk / FULL_HIP_WIDTH
    yaw = np.degrees(np.arcsin(np.clip((sh + hp) / 2, 0.0, 1.0)))
    return np.asarray(np.where(upright, yaw, np.nan), dtype=np.float64)


def yaw_from_world_deg(world_m: FloatArray) -> FloatArray:
    """``(T,)`` per-frame yaw (deg) from the left→right shoulder and hip lines in world landmarks (x vs depth z)."""
    sh, hp = _pair(world_m, "shoulder"), _pair(world_m, "hip")
    ys = np.degrees(np.arctan2(np.abs(sh[:, 0]), np.abs(sh[:, 2])))
    yh = np.degrees(np.arctan2(np.abs(hp[:, 0]), np.abs(hp[:, 2])))
    return np.asarray((ys + yh) / 2, dtype=np.float64)


def _view_of(yaw: float) -> Literal["side", "front", "oblique"]:
    if yaw < SIDE_MAX_DEG:
        return "side"
    return "front" if yaw >= FRONT_MIN_DEG else "oblique"


FrameYaws = tuple[FloatArray, FloatArray | None]
"""Per-frame yaw (deg) from the image widths and from the world landmarks (None without world landmarks)."""


def frame_yaws(track: PoseTrack) -> FrameYaws:
    """Both per-frame yaw cues of a track, computed once for the clip's view and every rep's."""
    with np.errstate(invalid="ignore", divide="ignore"):  # thread-local, unlike the warning filters
        img = yaw_from_image_deg(track.xy_px)
        wd = yaw_from_world_deg(track.world_m) if track.world_m is not None else None
    return img, wd


def classify_view(track: PoseTrack, yaws: FrameYaws | None = None) -> ViewEstimate:
    """Side / front / oblique from the clip's median body yaw (image and world cues averaged).

    Confidence falls as the yaw nears a class boundary (full at 10° inside), as the two cues disagree, and with
    fewer than 15 usable frames. Too few usable frames (or no person) gives ``"unknown"``. ``yaws``: the track's
    :func:`frame_yaws` when the caller already has them.
    """
    img, wd = frame_yaws(track) if yaws is None else yaws
    return _estimate(img, wd)


def _estimate(img: FloatArray, wd: FloatArray | None) -> ViewEstimate:
    """The view from per-frame yaw cues (image widths, world depth; NaN where a frame cannot say)."""
    n_img = int(np.isfinite(img).sum())
    yaw_img = float(np.nanmedian(img)) if n_img >= MIN_FRAMES else None
    yaw_world: float | None = None
    n_world = 0
    if wd is not None:
        n_world = int(np.isfinite(wd).sum())
        yaw_world = float(np.nanmedian(wd)) if n_world >= MIN_FRAMES else None
    cues = [y for y in (yaw_img, yaw_world) if y is not None]
    if not cues:
        return ViewEstimate(view="unknown", confidence=0.0, yaw_deg=None)
    yaw = float(np.mean(cues))
    view = _view_of(yaw)
    margin = min(abs(yaw - SIDE_MAX_DEG), abs(yaw - FRONT_MIN_DEG))
    conf = float(np.clip(0.5 + margin / 20.0, 0.0, 1.0))
    if len(cues) == 2:
        conf *= 1.0 - float(np.clip(abs(cues[0] - cues[1]) / 40.0, 0.0, 0.5))
    conf *= min(1.0, max(n_img, n_world) / 15.0)
    return ViewEstimate(
        view=view,
        confidence=round(conf, 3),
        yaw_deg=round(yaw, 2),
        yaw_image_deg=None if yaw_img is None else round(yaw_img, 2),
        yaw_world_deg=None if yaw_world is None else round(yaw_world, 2),
    )


#: How far each view is from side-on: a rep is never judged from a more sagittal view than the clip's.
_AWAY: Final[dict[str, int]] = {"side": 0, "oblique": 1, "front": 2, "unknown": 3}


def span_views(
    track: PoseTrack, spans: list[tuple[int, int]], clip: ViewEstimate, yaws: FrameYaws | None = None
) -> list[ViewEstimate]:
    """The view during each ``(start, end)`` frame span (inclusive): the clip's, unless the body turned further from
    side-on during that span (a phone propped for the first reps, the lifter turning to face it later).

    Why: one clip-wide view judged every rep of a take whose middle reps were filmed from the front as if side-on,
    and read their foreshortened knees as locked. A span only ever moves *away* from side-on (to refuse more),
    never towards it: a few frames seen side-on do not make a front-view clip's sagittal checks trustworthy.
    """
    img, wd = frame_yaws(track) if yaws is None else yaws
    out: list[ViewEstimate] = []
    for a, b in spans:
        est = _estimate(img[a : b + 1], None if wd is None else wd[a : b + 1])
        turned = est.view != "unknown" and _AWAY[est.view] > _AWAY[clip.view]
        out.append(est if turned else clip)
    return out
