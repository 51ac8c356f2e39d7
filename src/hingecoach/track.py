"""The pose track: one validated structure for a person's landmarks over time, with units explicit.

Axes are named by position and documented once here: ``(frame, landmark, coord)``. Image coordinates are in
pixels of the *source* video (x right, y down), world coordinates in metres (BlazePose's hip-centred frame:
x right, y down, z towards the camera is negative), time in seconds. Missing values are NaN, never zero, so a
lost landmark cannot masquerade as the image corner. ``fps`` is a float (29.97 stays 29.97).

Saved as a compressed ``.npz`` with a JSON header so analysis can be re-run without the pose model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hingecoach.errors import TrackFormatError
from hingecoach.fileio import atomic_path
from hingecoach.skeleton import LANDMARK_NAMES, N_LANDMARKS

FloatArray = NDArray[np.float64]
TRACK_FORMAT = "hingecoach/posetrack@1"


@dataclass(frozen=True)
class PoseTrack:
    """Landmarks of one person over ``T`` frames.

    Attributes:
        xy_px: ``(T, 33, 2)`` image landmarks in source-video pixels; NaN where not detected.
        visibility: ``(T, 33)`` per-landmark confidence in [0, 1] (BlazePose visibility); 0 where not detected.
        t_s: ``(T,)`` timestamps in seconds, strictly increasing.
        fps: nominal frame rate of the source (float).
        image_wh: source frame size ``(width, height)`` in pixels.
        world_m: ``(T, 33, 3)`` world landmarks in metres (hip-centred), or None when the source has none.
        n_people: ``(T,)`` number of people the detector saw in each frame (-1 = unknown).
        back_profile: ``(T, K)`` dorsal silhouette profile (see :mod:`hingecoach.backline`), or None.
        other_person: ``(T, 4)`` centre x, centre y, height and hip y (source pixels) of a second person where the
            people counter saw one (NaN elsewhere), or None: lets the analysis say which of two people it judged.
        source: free text: which software produced the track, and from what.
        log: provenance, one entry per processing step applied (filtering, gap filling...).
        warnings: ``(code, message)`` pairs the analysis must pass on (e.g. ``timing_untrusted``).

    """

    xy_px: FloatArray
    visibility: FloatArray
    t_s: FloatArray
    fps: float
    image_wh: tuple[int, int]
    world_m: FloatArray | None = None
    n_people: NDArray[np.int16] | None = None
    back_profile: FloatArray | None = None
    other_person: FloatArray | None = None
    source: str = ""
    log: tuple[str, ...] = field(default_factory=tuple)
    #: ``(code, message)`` warnings about how the track was made (untrusted timing, which of two people was
    #: tracked); the analysis passes them on to the user.
    warnings: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        t = self.t_s.shape[0]
        if self.xy_px.ndim != 3 or self.xy_px.shape[1:] != (N_LANDMARKS, 2):
            raise TrackFormatError(f"xy_px must be (T, {N_LANDMARKS}, 2), got {self.xy_px.shape}")
        if self.xy_px.shape[0] != t or self.visibility.shape != (t, N_LANDMARKS):
            raise TrackFormatError("xy_px, visibility and t_s disagree on the number of frames")
        if self.world_m is not None and self.world_m.shape != (t, N_LANDMARKS, 3):
            raise TrackFormatError(f"world_m must be (T, {N_LANDMARKS}, 3), got {self.world_m.shape}")
        if self.n_people is not None and self.n_people.shape != (t,):
            raise TrackFormatError("n_people must have one entry per frame")
        if self.back_profile is not None and (self.back_profile.ndim != 2 or self.back_profile.shape[0] != t):
            raise TrackFormatError("back_profile must be (T, K)")
        if self.other_person is not None and self.other_person.shape != (t, 4):
            raise TrackFormatError("other_person must be (T, 4)")
        if not (self.fps > 0 and np.isfinite(self.fps)):
            raise TrackFormatError(f"fps must be a positive number, got {self.fps}")
        if t > 1 and not np.all(np.diff(self.t_s) > 0):
            raise TrackFormatError("timestamps must be strictly increasing")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_numpy(
        cls,
        xy_px: NDArray[Any],
        fps: float,
        image_wh: tuple[int, int],
        *,
        visibility: NDArray[Any] | None = None,
        t_s: NDArray[Any] | None = None,
        world_m: NDArray[Any] | None = None,
        n_people: NDArray[Any] | None = None,
        back_profile: NDArray[Any] | None = None,
        other_person: NDArray[Any] | None = None,
        source: str = "numpy",
        warnings: Sequence[tuple[str, str]] = (),
    ) -> PoseTrack:
        """The single in-memory entry point: arrays in, a validated track out (copies to float64)."""
        xy = np.asarray(xy_px, dtype=np.float64)
        n = xy.shape[0]
        vis = (
            np.asarray(visibility, dtype=np.float64)
            if visibility is not None
            else np.where(np.isfinite(xy).all(axis=-1), 1.0, 0.0)
        )
        ts = np.asarray(t_s, dtype=np.float64) if t_s is not None else np.arange(n, dtype=np.float64) / float(fps)
        return cls(
            xy_px=xy,
            visibility=vis,
            t_s=ts,
            fps=float(fps),
            image_wh=(int(image_wh[0]), int(image_wh[1])),
            world_m=None if world_m is None else np.asarray(world_m, dtype=np.float64),
            n_people=None if n_people is None else np.asarray(n_people, dtype=np.int16),
            back_profile=None if back_profile is None else np.asarray(back_profile, dtype=np.float64),
            other_person=None if other_person is None else np.asarray(other_person, dtype=np.float64),
            source=source,
            warnings=tuple((str(c), str(m)) for c, m in warnings),
        )

    # ------------------------------------------------------------------ views
    @property
    def n_frames(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def duration_s(self) -> float:
        """Seconds the track covers, from its timestamps (right for variable frame rate and thinned tracks too):
        the last frame's time plus one typical frame interval.
        """
        if self.n_frames < 2:
            return float(self.n_frames / self.fps)
        return float(self.t_s[-1] - self.t_s[0] + np.median(np.diff(self.t_s)))

    def detected(self) -> NDArray[np.bool_]:
        """``(T,)`` True where the pose model returned a person."""
        return np.asarray(np.isfinite(self.xy_px).all(axis=-1).any(axis=-1), dtype=np.bool_)

    def coverage(self) -> float:
        """Fraction of frames with a detected person."""
        return float(self.detected().mean()) if self.n_frames else 0.0

    def point(self, name: str) -> FloatArray:
        """``(T, 2)`` pixel track of one landmark by name."""
        return self.xy_px[:, LANDMARK_NAMES.index(name)]

    def frames(self, keep: slice) -> PoseTrack:
        """The track cut to the frames ``keep`` (timestamps kept): every per-frame array sliced alike."""
        def cut(a: Any) -> Any:
            return None if a is None else a[keep]

        return replace(
            self,
            xy_px=self.xy_px[keep],
            visibility=self.visibility[keep],
            t_s=self.t_s[keep],
            world_m=cut(self.world_m),
            n_people=cut(self.n_people),
            back_profile=cut(self.back_profile),
            other_person=cut(self.other_person),
        )

    def with_log(self, entry: str, **changes: Any) -> PoseTrack:
        """A copy with some arrays replaced and ``entry`` appended to the provenance log."""
        return replace(self, log=(*self.log, entry), **changes)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write a compressed ``.npz`` (atomically: a temporary file renamed into place)."""
        path = Path(path)
        header = {
            "format": TRACK_FORMAT,
            "fps": self.fps,
            "image_wh": list(self.image_wh),
            "source": self.source,
            "log": list(self.log),
            "warnings": [list(w) for w in self.warnings],
            "landmarks": list(LANDMARK_NAMES),
        }
        arrays: dict[str, NDArray[Any]] = {
            "xy_px": self.xy_px.astype(np.float32),
            "visibility": self.visibility.astype(np.float32),
            "t_s": self.t_s,
            "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        }
        if self.world_m is not None:
            arrays["world_m"] = self.world_m.astype(np.float32)
        if self.n_people is not None:
            arrays["n_people"] = self.n_people
        if self.back_profile is not None:
            arrays["back_profile"] = self.back_profile.astype(np.float32)
        if self.other_person is not None:
            arrays["other_person"] = self.other_person.astype(np.float32)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path) -> PoseTrack:
        """Read a track written by :meth:`save`; raises :class:`TrackFormatError` on anything else."""
        try:
            with np.load(Path(path), allow_pickle=False) as z:
                header = json.loads(bytes(z["header"]).decode())
                if header.get("format") != TRACK_FORMAT:
                    raise TrackFormatError(f"{path}: not a {TRACK_FORMAT} file")
                optional = ("world_m", "back_profile", "other_person")
                opt = {k: np.asarray(z[k], dtype=np.float64) for k in optional if k in z}
                return cls(
                    xy_px=np.asarray(z["xy_px"], dtype=np.float64),
                    visibility=np.asarray(z["visibility"], dtype=np.float64),
                    t_s=np.asarray(z["t_s"], dtype=np.float64),
                    fps=float(header["fps"]),
                    image_wh=(int(header["image_wh"][0]), int(header["image_wh"][1])),
                    n_people=np.asarray(z["n_people"], dtype=np.int16) if "n_people" in z else None,
                    source=str(header.get("source", "")),
                    log=tuple(header.get("log", ())),
                    warnings=tuple((str(c), str(m)) for c, m in header.get("warnings", ())),
                    **opt,
                )
        except (OSError, ValueError, KeyError) as exc:
            raise TrackFormatError(f"{path}: cannot read pose track ({exc})") from exc
