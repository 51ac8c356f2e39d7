"""Coaching overlay on the source video: skeleton, the dowel line, live angles, rep counter, phase and cues.

:class:`OverlayPainter` precomputes every per-frame timeline once (vectorised over frames) and then only looks
values up while the video is decoded, in a single pass, by :func:`render_overlay`; the drawing itself is done by
the annotators of :mod:`hingecoach.report.annotators`.

The dowel line is the article's three-point check ("back of your head, between your shoulder blades, and the
tailbone") drawn from the ear through the shoulder to the hip, or as the stick the checks laid on the silhouette:
green while the back line holds, red where it breaks, amber where the rep's answer is too close to call, grey
where it could not be judged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import VideoError
from hingecoach.report.annotators import (
    AngleLabelAnnotator,
    BackLineAnnotator,
    CueAnnotator,
    DowelAnnotator,
    Frame,
    HudAnnotator,
    SkeletonAnnotator,
    contact_states,
    deg_text,
    dowel_geometry,
)
from hingecoach.report.inputs import (
    BACK_HOLDS,
    BACK_UNKNOWN,
    PHASE_NAMES,
    ReportInputs,
    key_frame_targets,
)
from hingecoach.report.video_sink import VideoSink, output_size
from hingecoach.skeleton import INDEX, Side, sided
from hingecoach.track import PoseTrack

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class OverlayStyle:
    """The annotators an overlay is drawn with (swap one to restyle a single element)."""

    skeleton: SkeletonAnnotator
    back_line: BackLineAnnotator
    angle_label: AngleLabelAnnotator
    hud: HudAnnotator
    cues: CueAnnotator
    dowel: DowelAnnotator = field(default_factory=DowelAnnotator)

    @classmethod
    def default(cls) -> OverlayStyle:
        return cls(
            SkeletonAnnotator(), BackLineAnnotator(), AngleLabelAnnotator(), HudAnnotator(), CueAnnotator(),
            DowelAnnotator(),
        )  # fmt: skip


class OverlayPainter:
    """Draws the full overlay for frame ``i`` of a video; every per-frame value is precomputed in ``__init__``.

    ``scale`` maps the track's source pixels to the frames being drawn on (for a downscaled overlay).
    """

    def __init__(
        self, inputs: ReportInputs, track: PoseTrack, *, scale: float = 1.0, style: OverlayStyle | None = None
    ) -> None:
        if track.n_frames != inputs.n_frames:
            raise ValueError(f"track has {track.n_frames} frames, report inputs have {inputs.n_frames}")
        self.style = style or OverlayStyle.default()
        self.side: Side = inputs.pick_side()
        self.xy = track.xy_px * scale
        self.vis = track.visibility
        self.n = inputs.n_frames
        self.back_state = inputs.back_state()
        self.reps_done = inputs.reps_done()
        self.reps_total = len(inputs.analysis.reps)
        phases = inputs.phases if inputs.phases is not None else np.full(self.n, -1, np.int8)
        self.phase = [PHASE_NAMES[p] if 0 <= p < len(PHASE_NAMES) else None for p in phases.tolist()]
        nan = np.full(self.n, np.nan)
        self.hip_deg = np.asarray(inputs.series.get("hip_flexion_deg", nan), dtype=np.float64)
        self.knee_deg = np.asarray(inputs.series.get("knee_flexion_deg", nan), dtype=np.float64)
        self.cues = inputs.active_cues()
        self.dowel_idx = [sided(self.side, p) for p in ("ear", "shoulder", "hip")]
        self.hip_idx = sided(self.side, "hip")
        self.knee_idx = sided(self.side, "knee")
        # Labels go on the side of the joint away from the body's front, so they do not cover the thighs.
        nose_x = np.nanmedian(self.xy[:, INDEX["nose"], 0]) if np.isfinite(self.xy[:, 0, 0]).any() else np.nan
        hip_x = np.nanmedian(self.xy[:, self.hip_idx, 0]) if np.isfinite(self.xy[:, self.hip_idx, 0]).any() else np.nan
        self.labels_left = bool(np.isfinite(nose_x) and np.isfinite(hip_x) and nose_x > hip_x)
        # The virtual dowel, where the silhouette was measured and the view can show it (else the landmark line).
        line = inputs.back_line
        ends, points, touch = dowel_geometry(
            track,
            bow_max=inputs.bow_max,
            head_max=inputs.head_max,
            lower=line.lower if line is not None else None,
            lower_max=inputs.lower_max,
        )
        judged = self.back_state != BACK_UNKNOWN
        self.dowel_ends = ends * scale
        self.dowel_points = points * scale
        if line is not None:
            bow, head = line.bow, line.head
        else:  # one state for the whole line: the head's contact shows it only where the head lifts on the frame
            bow = self.back_state
            head = np.where(touch[:, 2] & (bow >= 0), BACK_HOLDS, bow).astype(np.int8)
        self.contact_state = contact_states(bow, head, touch)
        self.has_dowel = judged & np.isfinite(ends).all(axis=(1, 2))

    def paint(self, frame: Frame, i: int) -> Frame:
        """Draw frame ``i``'s overlay onto ``frame`` (in place) and return it. Frames past the track get none."""
        if not 0 <= i < self.n:
            return frame
        st = self.style
        xy, vis = self.xy[i], self.vis[i]
        st.skeleton.annotate(frame, xy, vis, near_side=self.side)
        state = int(self.back_state[i])
        if self.has_dowel[i]:
            color = st.back_line.color
            contacts = [(self.dowel_points[i, k], color(int(self.contact_state[i, k]))) for k in range(3)]
            st.dowel.annotate(frame, self.dowel_ends[i], color(state), contacts)
        else:
            st.back_line.annotate(frame, xy[self.dowel_idx], state)
        if np.isfinite(self.hip_deg[i]):
            st.angle_label.annotate(frame, xy[self.hip_idx], f"hip {deg_text(self.hip_deg[i])}", left=self.labels_left)
        if np.isfinite(self.knee_deg[i]):
            st.angle_label.annotate(
                frame, xy[self.knee_idx], f"knee {deg_text(self.knee_deg[i])}", left=self.labels_left
            )
        st.hud.annotate(
            frame,
            reps_done=int(self.reps_done[i]),
            reps_total=self.reps_total,
            phase=self.phase[i],
            hip_deg=float(self.hip_deg[i]),
            knee_deg=float(self.knee_deg[i]),
            back_state=state,
            back_color=st.back_line.color(state),
        )
        st.cues.annotate(frame, self.cues[i])
        return frame


@dataclass(frozen=True)
class OverlayResult:
    """What :func:`render_overlay` wrote: the file, its frame count, size and rate, and the stills it kept."""

    path: Path
    frames: int
    size_wh: tuple[int, int]
    fps: float
    key_frames: Mapping[str, Frame]


def render_overlay(
    video_path: str | Path,
    track: PoseTrack,
    inputs: ReportInputs,
    out_path: str | Path,
    *,
    progress: ProgressFn | None = None,
    max_side: int | None = None,
    style: OverlayStyle | None = None,
) -> OverlayResult:
    """Decode ``video_path`` once, draw the overlay on every frame and encode a browser-playable H.264 MP4.

    The output keeps the source's frame count and rate (as an exact rational); its size is the source's, or a
    downscale with the long side at most ``max_side`` (even dimensions). The annotated bottom frames of the best
    and worst reps are kept during the same pass and returned as ``key_frames`` for the HTML report.

    Raises :class:`~hingecoach.errors.VideoError` when the video cannot be opened or decodes no frame, and
    :class:`~hingecoach.report.video_sink.FfmpegMissingError` without ffmpeg.
    """
    cap = cv2.VideoCapture(str(video_path))
    if not cap.isOpened():
        raise VideoError(f"cannot open video {video_path}")
    try:
        src_w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        src_h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or track.fps
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or track.n_frames
        tw, th = track.image_wh
        if src_w and src_h and tw and th and abs(src_w / src_h - tw / th) > 0.02 * (tw / th):
            raise VideoError(
                f"{Path(video_path).name} decodes to {src_w}x{src_h} but the pose track was made on {tw}x{th} frames"
            )
        out_w, out_h = output_size(src_w, src_h, max_side)
        # Landmarks are in the track's source pixels; the decoded frame may differ (a downscale, rotation handled by
        # the decoder), so scale by the ratio of widths (aspect is preserved by output_size).
        scale = out_w / float(track.image_wh[0]) if track.image_wh[0] else 1.0
        painter = OverlayPainter(inputs, track, scale=scale, style=style)
        wanted = {i: lbl for lbl, i in key_frame_targets(inputs).items()}
        kept: dict[str, Frame] = {}
        # A track made at a reduced analysis rate (``max_fps``) has fewer frames than the video: each video frame is
        # then drawn with the track frame nearest to it in time, not the one with its index.
        by_time = track.n_frames < THINNED_SHARE * total
        with VideoSink(out_path, (out_w, out_h), fps) as sink:
            i = 0
            while True:
                ok, raw = cap.read()
                if not ok:
                    break
                frame: Frame = np.asarray(raw, dtype=np.uint8)
                if frame.shape[1] != out_w or frame.shape[0] != out_h:
                    frame = np.asarray(cv2.resize(frame, (out_w, out_h), interpolation=cv2.INTER_AREA), np.uint8)
                j = _nearest_frame(track.t_s, float(cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0) if by_time else i
                painter.paint(frame, j)
                sink.write(frame)
                if j in wanted and wanted[j] not in kept:
                    kept[wanted[j]] = frame.copy()
                i += 1
                if progress is not None:
                    progress(i, total)
            if i == 0:
                raise VideoError(f"no frame could be decoded from {video_path}")
        return OverlayResult(Path(out_path), i, (out_w, out_h), fps, kept)
    finally:
        cap.release()


#: A track with fewer frames than this share of the video's was made at a reduced analysis rate.
THINNED_SHARE = 0.9


def _nearest_frame(t_s: NDArray[np.float64], t: float) -> int:
    """Index of the track frame nearest in time to ``t``."""
    k = int(np.searchsorted(t_s, t))
    if k <= 0:
        return 0
    if k >= t_s.shape[0]:
        return int(t_s.shape[0] - 1)
    return k if t_s[k] - t < t - t_s[k - 1] else k - 1


def annotate_frames(
    frames: Mapping[int, Frame], inputs: ReportInputs, track: PoseTrack, *, style: OverlayStyle | None = None
) -> dict[int, Frame]:
    """Overlay on a few already-decoded frames (e.g. stills for the report) without writing a video."""
    out: dict[int, Frame] = {}
    painters: dict[int, OverlayPainter] = {}
    for i, frame in frames.items():
        width = int(frame.shape[1])
        if width not in painters:
            painters[width] = OverlayPainter(inputs, track, scale=width / float(track.image_wh[0]), style=style)
        out[i] = painters[width].paint(frame.copy(), i)
    return out


def read_frames(video_path: str | Path, indices: Sequence[int]) -> dict[int, Frame]:
    """Decode only the listed frames (sequential read up to the last one: seeking in H.264 is not frame exact)."""
    wanted = set(int(i) for i in indices)
    if not wanted:
        return {}
    cap = cv2.VideoCapture(str(video_path))
    if not cap.isOpened():
        raise VideoError(f"cannot open video {video_path}")
    out: dict[int, Frame] = {}
    try:
        for i in range(max(wanted) + 1):
            ok = cap.grab()
            if not ok:
                break
            if i in wanted:
                ok, raw = cap.retrieve()
                if ok:
                    out[i] = np.asarray(raw, dtype=np.uint8)
    finally:
        cap.release()
    return out
