"""Pose from any frame source: one frame at a time (:class:`PoseStepper`) or a whole iterable (:func:`track_frames`).

Why beside :mod:`hingecoach.pose.extract`: a file is only one source of frames. A camera, a WebRTC stream, frames a
test decodes itself, or a clip already in memory all yield ``(timestamp, rgb)`` pairs; they get the same model, the
same per-frame conversion (:func:`frame_arrays`, which the file path's chunks use too) and the same
:class:`~hingecoach.track.PoseTrack`, with each frame's own timestamp kept (never ``index / fps``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from hingecoach.backline import profile_from_mask
from hingecoach.pose import FramePose
from hingecoach.skeleton import N_LANDMARKS
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]

_NAN_WORLD = np.full((N_LANDMARKS, 3), np.nan)


@dataclass(frozen=True)
class FrameArrays:
    """One frame's pose as plain arrays: ``xy_norm`` ``(33, 2)`` in [0, 1] of the frame (NaN = nobody),
    ``visibility`` ``(33,)``, ``world_m`` ``(33, 3)`` metres (NaN when none), ``n_people`` (-1 = not counted) and the
    dorsal ``back_profile`` ``(K,)`` from the segmentation mask (None without a mask or a full skeleton).
    """

    xy_norm: FloatArray
    visibility: FloatArray
    world_m: FloatArray
    n_people: int
    back_profile: FloatArray | None

    def xy_px(self, image_wh: tuple[int, int]) -> FloatArray:
        """Landmarks in pixels of an image of size ``image_wh`` (the source's, when the model saw a shrunk copy)."""
        return np.asarray(self.xy_norm * np.array(image_wh, dtype=np.float64), dtype=np.float64)


def frame_arrays(pose: FramePose, *, with_masks: bool) -> FrameArrays:
    """The per-frame conversion of a backend's answer, shared by the file path and every stream.

    The back profile is taken from the mask at the mask's own size (the frame the model saw), with the landmarks
    scaled to that size, and only when the whole skeleton was found (the profile needs hips and shoulders).
    """
    back = None
    if with_masks and pose.mask is not None and np.isfinite(pose.xy_norm).all():
        h, w = pose.mask.shape  # the mask has the (shrunk) input frame's size
        back = profile_from_mask(pose.mask, pose.xy_norm * np.array([w, h], dtype=np.float64))
    return FrameArrays(
        xy_norm=np.asarray(pose.xy_norm, dtype=np.float64),
        visibility=np.asarray(pose.visibility, dtype=np.float64),
        world_m=_NAN_WORLD.copy() if pose.world_m is None else np.asarray(pose.world_m, dtype=np.float64),
        n_people=int(pose.n_people),
        back_profile=back,
    )


class PoseStepper:
    """Runs the pose model on frames a caller hands over one at a time (a camera loop, a server's frame queue).

    ``step(t_s, rgb)`` returns that frame's :class:`FrameArrays`. Timestamps must increase; they go to the tracker in
    whole milliseconds, bumped by 1 ms when two frames fall in the same millisecond. Use as a context manager (or
    call :meth:`close`) so the native model is released.
    """

    def __init__(self, model_path: Path | None = None, *, with_masks: bool = True) -> None:
        from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend  # the model is loaded only when used

        self.with_masks = with_masks
        self._backend: MediaPipePoseBackend | None = MediaPipePoseBackend(model_path, with_masks=with_masks)
        self._last_ms: int | None = None
        self._last_t: float | None = None

    def step(self, t_s: float, rgb: NDArray[np.uint8]) -> FrameArrays:
        if self._backend is None:
            raise RuntimeError("PoseStepper is closed")
        if self._last_t is not None and t_s <= self._last_t:
            raise ValueError(f"timestamps must increase (got {t_s} after {self._last_t})")
        ms = round(float(t_s) * 1000.0)
        if self._last_ms is not None and ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms, self._last_t = ms, float(t_s)
        return frame_arrays(self._backend.process(rgb, ms), with_masks=self.with_masks)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def __enter__(self) -> PoseStepper:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def track_frames(
    frames: Iterable[tuple[float, NDArray[np.uint8]]],
    *,
    model_path: Path | None = None,
    with_masks: bool = True,
    source_wh: tuple[int, int] | None = None,
    fps: float | None = None,
    source: str = "frames",
) -> PoseTrack:
    """Track the person through ``(t_s, rgb)`` frames; a :class:`PoseTrack` with those timestamps.

    ``source_wh``: the size landmarks are reported in (default: the frames' own size; pass the original size when
    the frames were shrunk for speed). ``fps``: the nominal rate (default: 1 / the median frame interval).
    """
    xy: list[FloatArray] = []
    vis: list[FloatArray] = []
    world: list[FloatArray] = []
    people: list[int] = []
    backs: list[FloatArray | None] = []
    times: list[float] = []
    wh = source_wh
    with PoseStepper(model_path, with_masks=with_masks) as stepper:
        for t_s, rgb in frames:
            if wh is None:
                wh = (int(rgb.shape[1]), int(rgb.shape[0]))
            f = stepper.step(float(t_s), rgb)
            times.append(float(t_s))
            xy.append(f.xy_norm)
            vis.append(f.visibility)
            world.append(f.world_m)
            people.append(f.n_people)
            backs.append(f.back_profile)
    n = len(times)
    if wh is None or n == 0:
        raise ValueError("track_frames needs at least one frame")
    t = np.asarray(times, dtype=np.float64)
    nominal = fps if fps is not None else (float(1.0 / np.median(np.diff(t))) if n > 1 else 30.0)
    back = None
    if with_masks:
        k = next((b.shape[0] for b in backs if b is not None), 0)
        back = np.full((n, k), np.nan)
        for i, b in enumerate(backs):
            if b is not None:
                back[i] = b
    track = PoseTrack.from_numpy(
        np.asarray(xy, dtype=np.float64).reshape(n, N_LANDMARKS, 2) * np.array(wh, dtype=np.float64),
        nominal,
        wh,
        visibility=np.asarray(vis, dtype=np.float64).reshape(n, N_LANDMARKS),
        t_s=t,
        world_m=np.asarray(world, dtype=np.float64).reshape(n, N_LANDMARKS, 3),
        n_people=np.asarray(people, dtype=np.int16),
        back_profile=back if back is not None and back.shape[1] > 0 else None,
        source=f"mediapipe PoseLandmarker (BlazePose GHUM full, VIDEO mode) on {source}",
    )
    return track.with_log(f"pose: track_frames(with_masks={with_masks}) -> {n} frames, coverage {track.coverage():.3f}")


__all__ = ["FrameArrays", "PoseStepper", "frame_arrays", "track_frames"]
