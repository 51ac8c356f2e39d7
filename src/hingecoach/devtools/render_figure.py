"""Draw a simple human figure from BlazePose landmarks, to make example and test videos with a known pose.

Why: the README example and end-to-end tests need a video whose true pose is known, with no third-party footage.
:mod:`hingecoach.devtools.synth` produces the landmarks a perfect pose model would return; this module paints a figure
on them (filled limbs as rounded capsules, a torso, a head with hair, a skin/clothing palette, a plain wall and floor)
so the real pose model can be run on it and its output compared with the truth.

The figure is deliberately plain (no texture, no lighting model): it is a test card, not a character. Limbs of the
side away from the camera are drawn first and darker, so the near side occludes them as a real body would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

from hingecoach.backline import DORSAL_U, front_normal
from hingecoach.skeleton import INDEX, Side, other
from hingecoach.track import PoseTrack

BGR = tuple[int, int, int]
Frame = NDArray[np.uint8]


@dataclass(frozen=True)
class FigureStyle:
    """Colours (BGR) and segment widths (fractions of standing height) of the drawn figure."""

    skin: BGR = (135, 165, 220)
    shirt: BGR = (120, 72, 38)
    shorts: BGR = (60, 58, 56)
    shoes: BGR = (235, 235, 235)
    hair: BGR = (30, 38, 58)
    wall: BGR = (222, 226, 230)
    floor: BGR = (150, 165, 178)
    far_shade: float = 0.72
    upper_arm_w: float = 0.058
    forearm_w: float = 0.046
    thigh_w: float = 0.092
    shin_w: float = 0.064
    neck_w: float = 0.055
    foot_w: float = 0.04
    torso_depth: float = 0.15
    head_r: float = 0.066


DEFAULT_STYLE: Final[FigureStyle] = FigureStyle()


def _shade(c: BGR, k: float) -> BGR:
    return int(c[0] * k), int(c[1] * k), int(c[2] * k)


def _ip(p: NDArray[np.float64]) -> tuple[int, int]:
    return round(float(p[0])), round(float(p[1]))


def _capsule(img: Frame, a: NDArray[np.float64], b: NDArray[np.float64], width: float, color: BGR) -> None:
    """A limb: a thick line with round ends."""
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return
    w = max(1, round(width))
    cv2.line(img, _ip(a), _ip(b), color, w, cv2.LINE_AA)
    cv2.circle(img, _ip(a), w // 2, color, -1, cv2.LINE_AA)
    cv2.circle(img, _ip(b), w // 2, color, -1, cv2.LINE_AA)


def body_height_px(track: PoseTrack) -> float:
    """Standing height in pixels, from the median shoulder–hip length (the trunk is ~29 % of height)."""
    s = 0.5 * (track.point("left_shoulder") + track.point("right_shoulder"))
    h = 0.5 * (track.point("left_hip") + track.point("right_hip"))
    trunk = np.linalg.norm(s - h, axis=1)
    trunk = trunk[np.isfinite(trunk)]
    return float(np.median(trunk)) / 0.288 if trunk.size else 0.0


def background(size_wh: tuple[int, int], floor_y: float, style: FigureStyle = DEFAULT_STYLE) -> Frame:
    """A plain wall with a slightly darker floor starting at ``floor_y`` and a soft line where they meet."""
    w, h = size_wh
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = style.wall
    y0 = int(np.clip(floor_y, 0, h))
    img[y0:] = style.floor
    if 0 < y0 < h:
        cv2.line(img, (0, y0), (w, y0), _shade(style.floor, 0.85), 2, cv2.LINE_AA)
    return img


def draw_figure(
    img: Frame,
    xy: NDArray[np.float64],
    near: Side,
    height_px: float,
    style: FigureStyle = DEFAULT_STYLE,
    back_profile: NDArray[np.float64] | None = None,
) -> Frame:
    """Paint one figure (landmarks ``xy`` ``(33, 2)`` px) onto ``img`` in place; ``near`` = side facing the camera.

    ``back_profile``: this frame's dorsal profile at :data:`hingecoach.backline.DORSAL_U` (its trunk part shapes the
    back; see :func:`hingecoach.backline.profile_from_mask`).
    """
    if not np.isfinite(xy[[INDEX["left_hip"], INDEX["right_hip"]]]).all():
        return img
    hgt = height_px

    def p(name: str) -> NDArray[np.float64]:
        return np.asarray(xy[INDEX[name]], dtype=np.float64)

    def limbs(side: Side, k: float) -> tuple[list[tuple[str, str, float, BGR]], list[tuple[str, str, float, BGR]]]:
        legs = [
            (f"{side}_hip", f"{side}_knee", style.thigh_w, _shade(style.shorts, k)),
            (f"{side}_knee", f"{side}_ankle", style.shin_w, _shade(style.skin, k)),
            (f"{side}_heel", f"{side}_foot_index", style.foot_w, _shade(style.shoes, k)),
            (f"{side}_ankle", f"{side}_heel", style.foot_w, _shade(style.shoes, k)),
        ]
        arms = [
            (f"{side}_shoulder", f"{side}_elbow", style.upper_arm_w, _shade(style.shirt, k * 1.08)),
            (f"{side}_elbow", f"{side}_wrist", style.forearm_w, _shade(style.skin, k)),
            (f"{side}_wrist", f"{side}_index", style.forearm_w * 0.9, _shade(style.skin, k * 0.95)),
        ]
        return legs, arms

    far = other(near)
    far_legs, far_arms = limbs(far, style.far_shade)
    near_legs, near_arms = limbs(near, 1.0)
    for a, b, w, c in far_arms + far_legs:
        _capsule(img, p(a), p(b), w * hgt, c)

    shoulder = 0.5 * (p("left_shoulder") + p("right_shoulder"))
    hip = 0.5 * (p("left_hip") + p("right_hip"))
    ear = 0.5 * (p("left_ear") + p("right_ear"))
    nose = p("nose")
    # Neck, then the torso: a tapered slab from the hips (seat) to the shoulders (chest). With a dorsal profile
    # (``track.back_profile``: offsets behind the shoulder→hip chord, in chord lengths) the back edge follows it, so
    # a rounded back shows in the silhouette the way :mod:`hingecoach.backline` measures it.
    _capsule(img, shoulder, ear + 0.35 * (shoulder - ear), style.neck_w * hgt, style.skin)
    axis = shoulder - hip
    length = float(np.hypot(*axis))
    if length > 1:
        u = axis / length
        n = np.array([-u[1], u[0]])
        d_s, d_h = 0.5 * style.torso_depth * hgt, 0.46 * style.torso_depth * hgt
        shoulder_top = shoulder + u * 0.02 * hgt
        poly = np.array([hip + n * d_h, shoulder_top + n * d_s, shoulder_top - n * d_s, hip - n * d_h])
        front = front_normal(xy)
        shoulder_r, seat_r = d_s, d_h * 1.05
        trunk_part = (DORSAL_U >= 0.0) & (DORSAL_U <= 1.0)
        prof = None if back_profile is None else back_profile[trunk_part][::-1]  # shoulder (0) → hip (1)
        if prof is not None and np.isfinite(prof).all() and np.isfinite(front).all():
            s_k = (1.0 - DORSAL_U[trunk_part][::-1])[:, None]
            on_chord = shoulder + s_k * (hip - shoulder)
            back = on_chord - front * (prof[:, None] * length)
            chest = on_chord + front * (d_s + s_k * (d_h - d_s))
            poly = np.concatenate([chest, back[::-1]])
            shoulder_r = min(d_s, float(prof[0]) * length)
            seat_r = min(seat_r, float(prof[-1]) * length)
        cv2.fillPoly(img, [np.round(poly).astype(np.int32)], style.shirt, cv2.LINE_AA)
        cv2.circle(img, _ip(shoulder_top), round(shoulder_r), style.shirt, -1, cv2.LINE_AA)
        cv2.circle(img, _ip(hip), round(seat_r), style.shorts, -1, cv2.LINE_AA)
        hem = hip + u * 0.12 * length
        cv2.fillConvexPoly(
            img,
            np.round(np.array([hip + n * d_h, hem + n * d_h, hem - n * d_h, hip - n * d_h])).astype(np.int32),
            style.shorts,
            cv2.LINE_AA,
        )
    # Head: a skin disc centred a little in front of the ears, hair over the back and top.
    if np.isfinite(ear).all():
        r = style.head_r * hgt
        face = nose - ear if np.isfinite(nose).all() else np.zeros(2)
        fl = float(np.hypot(*face))
        fdir = face / fl if fl > 1e-6 else np.array([1.0, 0.0])
        centre = ear + fdir * 0.25 * r
        cv2.circle(img, _ip(centre), round(r), style.skin, -1, cv2.LINE_AA)
        ang = float(np.degrees(np.arctan2(fdir[1], fdir[0])))
        cv2.ellipse(
            img,
            _ip(centre - fdir * 0.08 * r),
            (round(r * 1.04), round(r * 1.04)),
            ang,
            95,
            265,
            style.hair,
            -1,
            cv2.LINE_AA,
        )
        cv2.circle(
            img,
            _ip(centre + fdir * 0.55 * r + np.array([0, -0.2 * r])),
            max(1, round(0.09 * r)),
            (40, 40, 40),
            -1,
            cv2.LINE_AA,
        )
    for a, b, w, c in near_legs + near_arms:
        _capsule(img, p(a), p(b), w * hgt, c)
    return img


def near_side(track: PoseTrack) -> Side:
    """The side facing the camera: the one with the higher mean visibility (synth marks the far side lower)."""
    left = float(np.nanmean(track.visibility[:, [INDEX["left_hip"], INDEX["left_shoulder"]]]))
    right = float(np.nanmean(track.visibility[:, [INDEX["right_hip"], INDEX["right_shoulder"]]]))
    return "left" if left >= right else "right"


def render_frames(track: PoseTrack, style: FigureStyle = DEFAULT_STYLE) -> Iterator[Frame]:
    """Yield one BGR frame per track frame at ``track.image_wh`` (empty background where no landmarks)."""
    hgt = body_height_px(track)
    feet = track.xy_px[:, [INDEX[n] for n in ("left_heel", "right_heel", "left_foot_index", "right_foot_index")], 1]
    floor_y = float(np.nanmax(feet)) + 0.01 * hgt if np.isfinite(feet).any() else track.image_wh[1] * 0.9
    bg = background(track.image_wh, floor_y, style)
    near = near_side(track)
    profiles = track.back_profile
    for i in range(track.n_frames):
        yield draw_figure(bg.copy(), track.xy_px[i], near, hgt, style, None if profiles is None else profiles[i])


def write_figure_video(
    track: PoseTrack,
    path: str | Path,
    *,
    style: FigureStyle = DEFAULT_STYLE,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Render the figure for every frame of ``track`` into a browser-playable H.264 MP4 at the track's fps."""
    from hingecoach.report.video_sink import VideoSink

    with VideoSink(path, track.image_wh, track.fps) as sink:
        for i, frame in enumerate(render_frames(track, style)):
            sink.write(frame)
            if progress is not None:
                progress(i + 1, track.n_frames)
    return Path(path)
