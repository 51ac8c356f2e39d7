"""The live session's memory: the last frames in fixed numpy arrays, so an hour costs what a minute does."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from hingecoach.skeleton import N_LANDMARKS
from hingecoach.track import PoseTrack

FloatArray = NDArray[np.float64]


# ---------------------------------------------------------------------------------------------- ring buffer
class FrameRing:
    """The last ``capacity`` frames, in fixed numpy arrays (no allocation per frame).

    Frames are numbered from 0 for the whole session (``count`` frames pushed so far); frame ``i`` is stored at
    ``i % capacity`` while it is among the last ``capacity``.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 2:
            raise ValueError("capacity must be at least 2 frames")
        self.capacity = capacity
        self.t_s = np.zeros(capacity)
        self.xy_px = np.full((capacity, N_LANDMARKS, 2), np.nan)
        self.xy_filtered = np.full((capacity, N_LANDMARKS, 2), np.nan)  # causally filtered (One-Euro)
        self.visibility = np.zeros((capacity, N_LANDMARKS))
        self.world_m = np.full((capacity, N_LANDMARKS, 3), np.nan)
        self.n_people = np.full(capacity, -1, dtype=np.int16)
        self.signal = np.full(capacity, np.nan)
        self.back_profile: FloatArray | None = None
        self.count = 0

    @property
    def oldest(self) -> int:
        """Session index of the oldest frame still held."""
        return max(0, self.count - self.capacity)

    def push(
        self,
        t_s: float,
        xy_px: FloatArray,
        visibility: FloatArray,
        world_m: FloatArray | None,
        n_people: int,
        back_profile: FloatArray | None,
    ) -> int:
        """Store one frame; returns its session index."""
        i = self.count % self.capacity
        self.t_s[i] = t_s
        self.xy_px[i] = xy_px
        self.xy_filtered[i] = np.nan
        self.visibility[i] = visibility
        self.world_m[i] = np.nan if world_m is None else world_m
        self.n_people[i] = n_people
        self.signal[i] = np.nan
        if back_profile is not None and self.back_profile is None:
            self.back_profile = np.full((self.capacity, back_profile.shape[0]), np.nan)
        if self.back_profile is not None:
            if back_profile is not None and back_profile.shape[0] == self.back_profile.shape[1]:
                self.back_profile[i] = back_profile
            else:
                self.back_profile[i] = np.nan
        self.count += 1
        return self.count - 1

    def rows(self, start: int, stop: int) -> NDArray[np.intp]:
        """Storage rows of session frames ``[start, stop)`` (clipped to what is held)."""
        start = max(start, self.oldest)
        stop = min(stop, self.count)
        return np.arange(start, max(start, stop)) % self.capacity

    def track(self, start: int, stop: int, fps: float, image_wh: tuple[int, int]) -> PoseTrack:
        """Session frames ``[start, stop)`` as a :class:`PoseTrack` (copies; timestamps as received)."""
        r = self.rows(start, stop)
        world = self.world_m[r]
        return PoseTrack.from_numpy(
            self.xy_px[r],
            fps,
            image_wh,
            visibility=self.visibility[r],
            t_s=self.t_s[r],
            world_m=world if np.isfinite(world).any() else None,
            n_people=self.n_people[r],
            back_profile=None if self.back_profile is None else self.back_profile[r],
            source="hingecoach.live",
        )
