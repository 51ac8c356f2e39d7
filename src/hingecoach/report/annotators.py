"""The overlay's annotators: skeleton, the dowel (ear–shoulder–hip line or the measured stick), angle labels, the
panel and the cue banner.

They follow one pattern (as in roboflow/supervision): style goes in ``__init__``, and
``annotate(frame, ...) -> frame`` draws in place on a BGR ``uint8`` frame and returns it. They hold no per-video
state; :class:`hingecoach.report.overlay.OverlayPainter` looks each frame's values up and hands them over.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

from hingecoach.backline import Dowel, axis_position, dowel, is_dorsal_profile, to_image
from hingecoach.report import _text
from hingecoach.report._text import BGR, BGRA
from hingecoach.report.inputs import BACK_BREAKS, BACK_HOLDS, BACK_NEAR, BACK_UNKNOWN
from hingecoach.skeleton import BONES, INDEX, Side, other
from hingecoach.track import PoseTrack

Frame = NDArray[np.uint8]

GREEN: Final[BGR] = (70, 200, 40)
RED: Final[BGR] = (40, 40, 235)
GREY: Final[BGR] = (170, 170, 170)
WHITE: Final[BGR] = (245, 245, 245)
INK: Final[BGR] = (30, 30, 30)
PANEL: Final[BGRA] = (28, 24, 22, 200)
AMBER: Final[BGR] = (20, 170, 250)
PHASE_COLORS: Final[dict[str, BGR]] = {
    "setup": (150, 150, 150),
    "descent": (235, 160, 60),
    "bottom": (200, 90, 150),
    "ascent": (200, 180, 40),
    "lockout": (230, 230, 230),
}


def unit_px(frame: Frame) -> float:
    """Drawing unit: 1.0 on a 540-px short side, so strokes and text keep their look at any resolution."""
    return max(0.75, float(min(frame.shape[:2])) / 540.0)


def _pt(xy: NDArray[np.float64]) -> tuple[int, int]:
    return round(float(xy[0])), round(float(xy[1]))


class SkeletonAnnotator:
    """BlazePose bones and joints; the side facing the camera bright, the far side dimmed.

    Args:
        near_color / far_color: bone colours (BGR) of the near and far side (the midline uses ``near_color``).
        min_visibility: landmarks below this BlazePose visibility are not drawn (no guessing on screen).
        thickness: bone width in px at a 540-px short side (scaled with the frame).

    """

    def __init__(
        self,
        near_color: BGR = WHITE,
        far_color: BGR = (150, 150, 150),
        *,
        min_visibility: float = 0.5,
        thickness: float = 2.5,
    ) -> None:
        self.near_color = near_color
        self.far_color = far_color
        self.min_visibility = min_visibility
        self.thickness = thickness

    def annotate(
        self, frame: Frame, xy_px: NDArray[np.float64], visibility: NDArray[np.float64], near_side: Side | None = None
    ) -> Frame:
        u = unit_px(frame)
        ok = np.isfinite(xy_px).all(axis=1) & (visibility >= self.min_visibility)
        far_prefix = f"{other(near_side)}_" if near_side else "\0"
        t = max(1, round(self.thickness * u))
        for layer in ("far", "near"):
            for a, b in BONES:
                ia, ib = INDEX[a], INDEX[b]
                if not (ok[ia] and ok[ib]):
                    continue
                is_far = a.startswith(far_prefix) or b.startswith(far_prefix)
                if is_far != (layer == "far"):
                    continue
                color = self.far_color if is_far else self.near_color
                cv2.line(frame, _pt(xy_px[ia]), _pt(xy_px[ib]), INK, t + 2, cv2.LINE_AA)
                cv2.line(frame, _pt(xy_px[ia]), _pt(xy_px[ib]), color, t, cv2.LINE_AA)
        r = max(2, round(2.2 * u))
        for i in np.flatnonzero(ok[11:]) + 11:  # body joints only; the face points would clutter the head
            is_far = near_side is not None and str(_NAMES[i]).startswith(far_prefix)
            cv2.circle(frame, _pt(xy_px[i]), r + 1, INK, -1, cv2.LINE_AA)
            cv2.circle(frame, _pt(xy_px[i]), r, self.far_color if is_far else self.near_color, -1, cv2.LINE_AA)
        return frame


_NAMES: Final[tuple[str, ...]] = tuple(INDEX)


class BackLineAnnotator:
    """The dowel: ear → shoulder → hip as one thick line with the three contact points marked.

    Args:
        holds_color / breaks_color / near_color / unknown_color: BGR colour for back-line state 1 / 0 / 2 / -1.
        thickness: line width in px at a 540-px short side.

    """

    def __init__(
        self,
        holds_color: BGR = GREEN,
        breaks_color: BGR = RED,
        unknown_color: BGR = GREY,
        near_color: BGR = AMBER,
        *,
        thickness: float = 7.0,
    ) -> None:
        self.colors = {BACK_HOLDS: holds_color, BACK_BREAKS: breaks_color, BACK_NEAR: near_color}
        self.unknown_color = unknown_color
        self.thickness = thickness

    def color(self, state: int) -> BGR:
        return self.colors.get(int(state), self.unknown_color)

    def annotate(self, frame: Frame, points_px: NDArray[np.float64], state: int) -> Frame:
        """``points_px``: ``(3, 2)`` ear, shoulder, hip; nothing is drawn if any is missing."""
        if not np.isfinite(points_px).all():
            return frame
        u = unit_px(frame)
        t = max(2, round(self.thickness * u))
        pts = np.round(points_px).astype(np.int32).reshape(-1, 1, 2)
        color = self.color(state)
        cv2.polylines(frame, [pts], False, INK, t + max(2, t // 2), cv2.LINE_AA)
        cv2.polylines(frame, [pts], False, color, t, cv2.LINE_AA)
        for p in points_px:
            cv2.circle(frame, _pt(p), t, INK, -1, cv2.LINE_AA)
            cv2.circle(frame, _pt(p), max(2, t - 2), color, -1, cv2.LINE_AA)
        return frame


class DowelAnnotator:
    """The virtual dowel as the tool measured it: the stick laid on the silhouette's back, from the tailbone past
    the head, with its three contacts — each in its reading's colour (green while the back touches the stick there,
    red where it lifts off, amber where it lifts by too little to call), the stick in the line's colour.

    Args:
        thickness: stick width in px at a 540-px short side.

    """

    def __init__(self, *, thickness: float = 5.0) -> None:
        self.thickness = thickness

    def annotate(
        self,
        frame: Frame,
        stick_px: NDArray[np.float64],
        color: BGR,
        contacts: Sequence[tuple[NDArray[np.float64], BGR]],
    ) -> Frame:
        """``stick_px``: ``(2, 2)`` the stick's ends; ``contacts``: (point, colour) for tailbone, upper back, head."""
        if not np.isfinite(stick_px).all():
            return frame
        u = unit_px(frame)
        t = max(2, round(self.thickness * u))
        a, b = _pt(stick_px[0]), _pt(stick_px[1])
        cv2.line(frame, a, b, INK, t + max(2, t // 2), cv2.LINE_AA)
        cv2.line(frame, a, b, color, t, cv2.LINE_AA)
        for point, dot in contacts:
            if not np.isfinite(point).all():
                continue
            r = max(3, round(1.6 * t))
            cv2.circle(frame, _pt(point), r + 2, INK, -1, cv2.LINE_AA)
            cv2.circle(frame, _pt(point), r, dot, -1, cv2.LINE_AA)
        return frame


def contact_states(bow: NDArray[np.int8], head: NDArray[np.int8], touch: NDArray[np.bool_]) -> NDArray[np.int8]:
    """``(T, 3)`` state of each contact (tailbone, upper back, head) from the readings' states and the geometry.

    A contact shows its reading's break (or too-close-to-call) only where the stick lifts there on that frame; when
    the rounded-back reading breaks but neither of its contacts lifts on the frame (the median over frames passed,
    this frame's contour did not), the upper back carries it, since that is where the reading is taken. Elsewhere a
    contact holds where its reading holds and is not judged where its reading was not.
    """
    bad_bow = (bow == BACK_BREAKS) | (bow == BACK_NEAR)
    out = np.empty(touch.shape, dtype=np.int8)
    for k in (0, 1):
        out[:, k] = np.where(bad_bow & ~touch[:, k], bow, np.where(bow == BACK_UNKNOWN, BACK_UNKNOWN, BACK_HOLDS))
    neither = bad_bow & touch[:, 0] & touch[:, 1]
    out[neither, 1] = bow[neither]
    out[:, 2] = head
    return out


def dowel_geometry(
    track: PoseTrack,
    *,
    bow_max: float,
    head_max: float,
    lower: NDArray[np.bool_] | None = None,
    lower_max: float | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Per frame, in the track's pixels: the stick's ends ``(T, 2, 2)``, the contact points ``(T, 3, 2)`` (tailbone,
    the back at the shoulder line, head) and whether the back touches the stick at each ``(T, 3)`` — the same dowel
    the checks measure (:func:`hingecoach.backline.dowel`), thresholded like them (``bow_max``: the rounded-back
    threshold on the shoulders' drop). NaN where the dorsal profile says nothing.

    On the frames of ``lower`` (where the arms lie along the upper back and the rounded back is read from the lower
    back's own stick, :attr:`hingecoach.backline_frames.BackLine.lower`) that short stick is drawn instead, from the
    sacrum to below the shoulder blades: the tailbone's contact, the point where the lower back rises most above it
    (in the upper-back slot, which carries the rounded back's reading; lifted when it passes ``lower_max``) and no
    head, which is not read with the hands at the neck. A stick drawn on the arms would show what was not measured.
    """
    n = track.n_frames
    ends = np.full((n, 2, 2), np.nan)
    points = np.full((n, 3, 2), np.nan)
    touch = np.ones((n, 3), dtype=bool)
    if not is_dorsal_profile(track.back_profile):
        return ends, points, touch
    assert track.back_profile is not None
    d = dowel(track.back_profile, axis_position(track.xy_px, "ear"))
    for i in np.flatnonzero(np.isfinite(d.line_slope)):
        head_u = d.head_u[i] if np.isfinite(d.head_u[i]) else 1.3
        us = np.array([d.tail_u[i] - 0.15, head_u + 0.1, d.tail_u[i], 1.0, head_u])
        vs = d.line_at_hip[i] + d.line_slope[i] * us
        if np.isfinite(d.head_gap[i]):
            vs[4] -= d.head_gap[i]  # the back of the head itself, off the stick by its gap
        drop = float(d.shoulder_drop[i]) if np.isfinite(d.shoulder_drop[i]) else 0.0
        vs[3] -= max(drop, 0.0)  # the back at the shoulder line, fallen away below the stick
        img = to_image(track.xy_px[i], us, vs)
        ends[i] = img[:2]
        points[i] = img[2:]
        touch[i] = (
            not (np.isfinite(d.tail_gap[i]) and d.tail_gap[i] > bow_max),
            not (np.isfinite(d.shoulder_drop[i]) and d.shoulder_drop[i] > bow_max),
            not (np.isfinite(d.head_gap[i]) and abs(d.head_gap[i]) > head_max),
        )
    if lower is not None and lower_max is not None:
        _lower_stick(track, d, lower, lower_max, ends, points, touch)
    return ends, points, touch


def _lower_stick(
    track: PoseTrack,
    d: Dowel,
    lower: NDArray[np.bool_],
    lower_max: float,
    ends: NDArray[np.float64],
    points: NDArray[np.float64],
    touch: NDArray[np.bool_],
) -> None:
    """Replace, in place, the stick on the ``lower`` frames by the lower back's (:func:`dowel_geometry`)."""
    st = d.lumbar_stick
    for i in np.flatnonzero(lower & st.ok & np.isfinite(st.slope)):
        rise = float(st.bow[i]) if np.isfinite(st.bow[i]) else 0.0
        peak = float(st.peak_u[i]) if np.isfinite(st.peak_u[i]) else (st.lower_u[i] + st.upper_u[i]) / 2
        us = np.array([st.lower_u[i] - 0.15, st.upper_u[i] + 0.1, st.lower_u[i], peak])
        vs = st.line_at_hip[i] + st.slope[i] * us
        vs[3] += max(rise, 0.0)  # the back itself where it rises above the stick
        img = to_image(track.xy_px[i], us, vs)
        ends[i] = img[:2]
        points[i, :2] = img[2:]
        points[i, 2] = np.nan
        touch[i] = (True, not rise > lower_max, True)


class AngleLabelAnnotator:
    """A small rounded label with a joint angle (``"hip 63°"``) placed beside the joint."""

    def __init__(self, text_color: BGR = WHITE, background: BGRA = PANEL, size: float = 15.0) -> None:
        self.text_color = text_color
        self.background = background
        self.size = size

    def annotate(self, frame: Frame, anchor_px: NDArray[np.float64], text: str, *, left: bool = False) -> Frame:
        if not np.isfinite(anchor_px).all():
            return frame
        u = unit_px(frame)
        s = round(self.size * u)
        patch = _text.label(text, s, self.text_color, self.background, bold=True, pad_px=s // 3, radius_px=s // 3)
        w, h = _text.size(patch)
        off = round(14 * u)
        x = int(anchor_px[0]) - w - off if left else int(anchor_px[0]) + off
        return _text.blit(frame, patch, x, int(anchor_px[1]) - h // 2)


_BACK_TEXT: Final[dict[int, str]] = {
    BACK_HOLDS: "Back line holds",
    BACK_BREAKS: "Back line breaks",
    BACK_NEAR: "Back line: too close to call",
    BACK_UNKNOWN: "Back line: not judged",
}


class HudAnnotator:
    """Top-left panel: rep counter, phase, live hip/knee angles and the back-line state, readable at a glance."""

    def __init__(self, size: float = 17.0, background: BGRA = PANEL) -> None:
        self.size = size
        self.background = background

    def annotate(
        self,
        frame: Frame,
        *,
        reps_done: int,
        reps_total: int,
        phase: str | None,
        hip_deg: float,
        knee_deg: float,
        back_state: int,
        back_color: BGR,
    ) -> Frame:
        u = unit_px(frame)
        s = round(self.size * u)
        m = round(12 * u)
        count = _text.label(f"{reps_done}", int(s * 2.4), WHITE, bold=True)
        count_lbl = _text.label(f"REPS  / {reps_total}", int(s * 0.8), (200, 200, 200), bold=True)
        phase_txt = phase.upper() if phase else "—"
        phase_patch = _text.label(
            phase_txt,
            int(s * 0.8),
            INK,
            (*PHASE_COLORS.get(phase or "", GREY), 255),
            bold=True,
            pad_px=s // 4,
            radius_px=s // 3,
        )
        angles = _text.label(f"Hip {deg_text(hip_deg)}   Knee {deg_text(knee_deg)}", s, WHITE)
        back_txt = _BACK_TEXT.get(back_state, _BACK_TEXT[BACK_UNKNOWN])
        back = _text.label(back_txt, s, WHITE, bold=back_state == BACK_BREAKS)
        dot_r = max(4, s // 3)
        # The panel is sized for the widest text it can ever show, so it does not jitter from frame to frame.
        widest_angles = _text.label("Hip 180°   Knee 180°", s, WHITE)
        widest_back = max(
            (_text.label(txt, s, WHITE, bold=txt.endswith("breaks")) for txt in _BACK_TEXT.values()),
            key=lambda p: _text.size(p)[0],
        )
        parts_w = [
            _text.size(count)[0] + m + max(_text.size(count_lbl)[0], _text.size(phase_patch)[0]),
            max(_text.size(angles)[0], _text.size(widest_angles)[0]),
            2 * dot_r + m // 2 + max(_text.size(back)[0], _text.size(widest_back)[0]),
        ]
        w = max(parts_w) + 2 * m
        h_top = max(_text.size(count)[1], _text.size(count_lbl)[1] + _text.size(phase_patch)[1] + m // 2)
        h = m + h_top + m // 2 + _text.size(angles)[1] + m // 2 + _text.size(back)[1] + m
        x0 = y0 = m
        _blend_rect(frame, x0, y0, w, h, self.background, radius=m)
        y = y0 + m
        _text.blit(frame, count, x0 + m, y)
        cx = x0 + m + _text.size(count)[0] + m
        _text.blit(frame, count_lbl, cx, y + int(0.15 * s))
        _text.blit(frame, phase_patch, cx, y + int(0.15 * s) + _text.size(count_lbl)[1] + m // 2)
        y += h_top + m // 2
        _text.blit(frame, angles, x0 + m, y)
        y += _text.size(angles)[1] + m // 2
        cy = y + _text.size(back)[1] // 2
        cv2.circle(frame, (x0 + m + dot_r, cy), dot_r, back_color, -1, cv2.LINE_AA)
        _text.blit(frame, back, x0 + m + 2 * dot_r + m // 2, y)
        return frame


class CueAnnotator:
    """Coaching cues as banners along the bottom of the frame (wrapped to the frame width)."""

    def __init__(self, size: float = 18.0, background: BGRA = PANEL, accent: BGR = AMBER) -> None:
        self.size = size
        self.background = background
        self.accent = accent

    def annotate(self, frame: Frame, cues: Sequence[str]) -> Frame:
        if not cues:
            return frame
        u = unit_px(frame)
        s = round(self.size * u)
        m = round(12 * u)
        max_w = frame.shape[1] - 2 * m - 2 * (s // 2) - s
        y = frame.shape[0] - m
        for cue in reversed(list(cues)):
            text = "\n".join(_text.wrap(cue, s, max_w, bold=True))
            patch = _text.label(
                text, s, WHITE, self.background, bold=True, pad_px=s // 2, radius_px=s // 3, accent=self.accent
            )
            w, h = _text.size(patch)
            y -= h
            _text.blit(frame, patch, (frame.shape[1] - w) // 2, y)
            y -= m // 2
        return frame


def deg_text(value: float) -> str:
    return f"{value:.0f}°" if np.isfinite(value) else "–"


def _blend_rect(frame: Frame, x: int, y: int, w: int, h: int, color: BGRA, radius: int) -> None:
    """Semi-transparent rounded rectangle (alpha from ``color[3]``), blended in place."""
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, frame.shape[1]), min(y + h, frame.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    r = max(0, min(radius, (x1 - x0) // 2, (y1 - y0) // 2))
    cv2.rectangle(mask, (r, 0), (x1 - x0 - 1 - r, y1 - y0 - 1), 255, -1)
    cv2.rectangle(mask, (0, r), (x1 - x0 - 1, y1 - y0 - 1 - r), 255, -1)
    for cx, cy in ((r, r), (x1 - x0 - 1 - r, r), (r, y1 - y0 - 1 - r), (x1 - x0 - 1 - r, y1 - y0 - 1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, cv2.LINE_AA)
    a = (mask.astype(np.float32) * (color[3] / 255.0 / 255.0))[..., None]
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (roi + (np.array(color[:3], np.float32) - roi) * a + 0.5).astype(np.uint8)
