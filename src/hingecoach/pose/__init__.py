"""Pose stage: video frames in, a :class:`~hingecoach.track.PoseTrack` out.

Backends sit behind the small :class:`PoseBackend` protocol so another model can be added without touching
the stages after this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class FramePose:
    """What a backend returns for one frame (the first/tracked person only, plus a head count).

    ``xy_norm`` is ``(33, 2)`` in [0, 1] image-normalised coordinates (NaN when no person), ``visibility``
    ``(33,)``, ``world_m`` ``(33, 3)`` metres or None, ``n_people`` the number of people seen (-1 unknown),
    ``mask`` an optional ``(H, W)`` float32 person-segmentation probability at the *input frame's* size.
    """

    xy_norm: NDArray[np.float64]
    visibility: NDArray[np.float64]
    world_m: NDArray[np.float64] | None
    n_people: int
    mask: NDArray[np.float32] | None = None
    #: ``(4,)`` centre x, centre y, height, hip y of the *other* person when the counter saw two (normalised: x by
    #: the frame width, the rest by its height), else None.
    other_person: NDArray[np.float64] | None = None


class PoseBackend(Protocol):
    """A pose model that tracks one person through consecutive frames of a video."""

    name: str

    def process(self, frame_rgb: NDArray[np.uint8], t_ms: int) -> FramePose:
        """Landmarks for one RGB frame; ``t_ms`` must strictly increase between calls."""
        ...

    def close(self) -> None:
        """Release native resources."""
        ...
