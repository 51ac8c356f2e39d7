"""MediaPipe Tasks ``PoseLandmarker`` (BlazePose GHUM full) behind the :class:`~hingecoach.pose.PoseBackend` protocol.

Design choices (measured; see ``docs/pose-backend.md``):

* One VIDEO-mode (tracking) landmarker with ``num_poses=1`` follows the lifter: after the first detection it crops
  around the previous frame's pose instead of re-running the person detector, which is both the cheapest mode and
  the one that does not jump between people.
* Counting people needs the detector on the whole frame, and tracking mode never runs it while it holds a person.
  A second, IMAGE-mode landmarker with ``num_poses=2`` runs on one frame per ``count_every_ms`` (default 1 s); every
  other frame reports ``n_people = -1`` (unknown). At 30 fps that adds a few percent to the cost. On a frame much
  wider or taller than square it also runs on overlapping square tiles (:mod:`hingecoach.pose.people`), where
  people are not shrunk to nothing, and the other person's position and size are kept so the analysis can say
  which of two people it judged.
* The count runs in a helper thread (the native calls release the GIL). :meth:`MediaPipePoseBackend.process`
  waits for it; :meth:`MediaPipePoseBackend.process_deferred` (the file path) does not: the count of a 16:9
  frame is four detections (~4x a tracked frame), and waiting for it stalled the tracker for ~14 % of a 1080p
  clip's time while the second core idled. An IMAGE-mode count depends on nothing but its frame, so a deferred
  count is the same number, only later.
* World landmarks (metres, hip-centred) and BlazePose visibility are kept; the segmentation mask is returned only
  when asked for (the back-line check needs it) and is copied, because MediaPipe reuses its buffer.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import ModelMissingError
from hingecoach.pose import FramePose
from hingecoach.pose.model import require_model
from hingecoach.pose.mpimport import import_mediapipe
from hingecoach.pose.people import count_people, detector, other_person, summarise
from hingecoach.skeleton import N_LANDMARKS

DEFAULT_COUNT_EVERY_MS: Final[int] = 1000
# MediaPipe's own defaults; kept explicit so a change of library default cannot silently change our tracks.
MIN_DETECTION_CONFIDENCE: Final[float] = 0.5
MIN_PRESENCE_CONFIDENCE: Final[float] = 0.5
MIN_TRACKING_CONFIDENCE: Final[float] = 0.5

_NAN_XY: Final[NDArray[np.float64]] = np.full((N_LANDMARKS, 2), np.nan)
_NAN_WORLD: Final[NDArray[np.float64]] = np.full((N_LANDMARKS, 3), np.nan)
_ZERO_VIS: Final[NDArray[np.float64]] = np.zeros(N_LANDMARKS)


def _landmark_arrays(landmarks: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(33, 3)`` x, y, z and ``(33,)`` visibility from a list of MediaPipe landmarks."""
    raw = np.array([(p.x, p.y, p.z, p.visibility or 0.0) for p in landmarks], dtype=np.float64)
    return raw[:, :3], raw[:, 3]


_STDERR_LOCK = threading.Lock()
_stderr_users = 0
_stderr_saved: int | None = None


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for a moment: MediaPipe/LiteRT log INFO and WARNING lines from C++ at
    start-up and on the first frames (absl logging, which ``GLOG_minloglevel`` does not reach), and a user should
    see only hingecoach's progress and its one-line errors. ``HINGECOACH_NATIVE_LOGS=1`` keeps them for debugging.
    Python exceptions are unaffected: they are raised after the descriptor is restored.

    The descriptor is the process's, so overlapping uses (two analyses in threads of one server) share one
    redirection, counted under a lock: the first to enter saves the real stderr, the last to leave restores it.
    Without the count, the second would save the first's /dev/null and restore *that* at the end, silencing the
    process for good.
    """
    global _stderr_users, _stderr_saved
    if os.environ.get("HINGECOACH_NATIVE_LOGS") == "1":
        yield
        return
    with _STDERR_LOCK:
        if _stderr_users == 0:
            sys.stderr.flush()
            saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
            finally:
                os.close(devnull)
            _stderr_saved = saved
        _stderr_users += 1
    try:
        yield
    finally:
        with _STDERR_LOCK:
            _stderr_users -= 1
            if _stderr_users == 0 and _stderr_saved is not None:
                os.dup2(_stderr_saved, 2)
                os.close(_stderr_saved)
                _stderr_saved = None


@contextmanager
def opencv_single_threaded() -> Iterator[None]:
    """OpenCV's thread pool off while this process already runs one pose stream per core.

    ``cv2.setNumThreads`` is process-wide; overlapping users are counted under a lock so the setting found before
    the first is the one restored after the last (two analyses at once must not leave OpenCV single-threaded).
    """
    import cv2

    global _cv_users, _cv_saved
    with _CV_LOCK:
        if _cv_users == 0:
            _cv_saved = int(cv2.getNumThreads())
            cv2.setNumThreads(1)
        _cv_users += 1
    try:
        yield
    finally:
        with _CV_LOCK:
            _cv_users -= 1
            if _cv_users == 0 and _cv_saved is not None:
                cv2.setNumThreads(_cv_saved)
                _cv_saved = None


_CV_LOCK = threading.Lock()
_cv_users = 0
_cv_saved: int | None = None


@dataclass(frozen=True)
class PendingCount:
    """A people count still running for one frame, and what is needed to finish that frame's answer."""

    future: Future[list[NDArray[np.float64]]]
    tracked_px: NDArray[np.float64] | None  # (33, 2) the tracked pose in the frame's pixels; None: nobody tracked
    frame_wh: tuple[int, int]

    def done(self) -> bool:
        return self.future.done()

    def result(self) -> tuple[int, NDArray[np.float64] | None]:
        """``(n_people, other_person)`` as :meth:`MediaPipePoseBackend.process` reports them (waits if needed)."""
        people = self.future.result()
        n_people = len(people)
        if self.tracked_px is None:
            return n_people, None
        other = None
        if n_people >= 2:
            w, h = self.frame_wh
            scale = np.array([w, h, h, h], dtype=np.float64)
            other = other_person(people, summarise(self.tracked_px)) / scale
        # The tracker found someone, so at least one person is in view even where the counter saw nobody.
        return max(n_people, 1), other

    def apply(self, pose: FramePose) -> FramePose:
        n_people, other = self.result()
        return replace(pose, n_people=n_people, other_person=other)


# Native start-up chatter ends after the first inferences of each landmarker.
_QUIET_FIRST_CALLS: Final[int] = 3


class MediaPipePoseBackend:
    """Tracks one person through consecutive frames; counts people on a sparse subset of frames.

    Use as a context manager (or call :meth:`close`): native resources are freed deterministically, which also
    avoids MediaPipe's noisy destructor at interpreter exit.
    """

    name = "mediapipe-tasks-blazepose-full"

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        with_masks: bool,
        count_every_ms: int | None = DEFAULT_COUNT_EVERY_MS,
    ) -> None:
        import_mediapipe()
        from mediapipe.tasks.python import BaseOptions, vision

        path = require_model(model_path)
        self.with_masks = with_masks
        self.count_every_ms = count_every_ms
        self._next_count_ms: int | None = None
        common: dict[str, Any] = {
            "min_pose_detection_confidence": MIN_DETECTION_CONFIDENCE,
            "min_pose_presence_confidence": MIN_PRESENCE_CONFIDENCE,
            "min_tracking_confidence": MIN_TRACKING_CONFIDENCE,
        }
        self._tracker: Any = None
        self._counter: Any = None
        self._count_pool: ThreadPoolExecutor | None = None
        self._calls = 0
        self._count_calls = 0
        try:
            with native_stderr_silenced():
                self._create(vision, BaseOptions, path, common)
        except (RuntimeError, ValueError, OSError) as exc:  # MediaPipe's ways of saying "bad model file"
            self.close()
            raise ModelMissingError(
                f"pose model at {path} does not load ({exc}); rebuild it with `hingecoach setup-model --rebuild`"
            ) from exc

    def _create(self, vision: Any, BaseOptions: Any, path: Path, common: dict[str, Any]) -> None:
        """The VIDEO-mode tracker (one person) and, if counting, an IMAGE-mode two-person counter.

        The counter is built in the helper thread that will run it while this thread builds the tracker: the two
        start-ups (~0.2 s each) overlap, which is ~4 % of a 3-second clip's time.
        """

        def landmarker(mode: Any, num_poses: int, masks: bool) -> Any:
            with native_stderr_silenced():
                return vision.PoseLandmarker.create_from_options(
                    vision.PoseLandmarkerOptions(
                        base_options=BaseOptions(model_asset_path=str(path)),
                        running_mode=mode,
                        num_poses=num_poses,
                        output_segmentation_masks=masks,
                        **common,
                    )
                )

        counter: Future[Any] | None = None
        if self.count_every_ms is not None:
            self._count_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hingecoach-count")
            counter = self._count_pool.submit(landmarker, vision.RunningMode.IMAGE, 2, False)
        try:
            self._tracker = landmarker(vision.RunningMode.VIDEO, 1, self.with_masks)
        finally:
            if counter is not None:
                self._counter = counter.result()  # waited for even when the tracker failed: closed with it

    def process(self, frame_rgb: NDArray[np.uint8], t_ms: int) -> FramePose:
        """Landmarks of the tracked person in one RGB frame; ``t_ms`` must strictly increase between calls."""
        pose, pending = self.process_deferred(frame_rgb, t_ms)
        return pose if pending is None else pending.apply(pose)

    def process_deferred(self, frame_rgb: NDArray[np.uint8], t_ms: int) -> tuple[FramePose, PendingCount | None]:
        """Like :meth:`process`, without waiting for a people count due on this frame.

        Returns the frame's pose (``n_people`` -1, ``other_person`` None when a count is pending) and the pending
        count: ``pending.apply(pose)`` gives exactly what :meth:`process` would have returned. The count runs in a
        helper thread while the caller tracks the next frames; at most one count is in flight (a new one waits for
        the previous, in order).
        """
        if self._calls < _QUIET_FIRST_CALLS:
            self._calls += 1
            with native_stderr_silenced():
                return self._process(frame_rgb, t_ms)
        return self._process(frame_rgb, t_ms)

    def _count(self, frame_rgb: NDArray[np.uint8]) -> list[NDArray[np.float64]]:
        """People in one frame (runs in the helper thread; its first calls log natively, like the tracker's)."""
        if self._count_calls < _QUIET_FIRST_CALLS:
            self._count_calls += 1
            with native_stderr_silenced():
                return count_people(frame_rgb, detector(self._counter))
        return count_people(frame_rgb, detector(self._counter))

    def _process(self, frame_rgb: NDArray[np.uint8], t_ms: int) -> tuple[FramePose, PendingCount | None]:
        mp = import_mediapipe()
        pending: Future[list[NDArray[np.float64]]] | None = None
        if self._counter is not None and (self._next_count_ms is None or t_ms >= self._next_count_ms):
            assert self._count_pool is not None  # made with the counter
            pending = self._count_pool.submit(self._count, frame_rgb)
            self._next_count_ms = int(t_ms) + int(self.count_every_ms or 0)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame_rgb))
        result = self._tracker.detect_for_video(image, int(t_ms))
        h, w = frame_rgb.shape[:2]
        if not result.pose_landmarks:
            pose = FramePose(xy_norm=_NAN_XY.copy(), visibility=_ZERO_VIS.copy(), world_m=None, n_people=-1)
            return pose, None if pending is None else PendingCount(pending, None, (w, h))
        xyz, vis = _landmark_arrays(result.pose_landmarks[0])
        world = _landmark_arrays(result.pose_world_landmarks[0])[0] if result.pose_world_landmarks else None
        mask = None
        if self.with_masks and result.segmentation_masks:
            mask = np.array(result.segmentation_masks[0].numpy_view(), dtype=np.float32).reshape(frame_rgb.shape[:2])
        pose = FramePose(xy_norm=xyz[:, :2], visibility=vis, world_m=world, n_people=-1, mask=mask)
        if pending is None:
            return pose, None
        return pose, PendingCount(pending, xyz[:, :2] * np.array([w, h], dtype=np.float64), (w, h))

    def close(self) -> None:
        """Release the native landmarkers (idempotent), after any count still running."""
        pool, self._count_pool = getattr(self, "_count_pool", None), None
        if pool is not None:
            pool.shutdown(wait=True)
        for attr in ("_tracker", "_counter"):
            handle = getattr(self, attr, None)
            if handle is not None:
                with native_stderr_silenced():
                    handle.close()
                setattr(self, attr, None)

    def __enter__(self) -> MediaPipePoseBackend:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


__all__ = [
    "DEFAULT_COUNT_EVERY_MS",
    "MediaPipePoseBackend",
    "PendingCount",
    "native_stderr_silenced",
    "opencv_single_threaded",
]
