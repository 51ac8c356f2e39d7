"""Counting the people in view, and telling which of two is the lifter.

Why tiles: the person detector sees the frame letterboxed into a small square, so on a wide frame (two phone clips
side by side, 3840x926) each person shrinks to a few dozen pixels and is missed: on such a real stack the counter
saw 0 or 1 person in every counted frame and one of the two lifters was judged silently. Counting on overlapping
square tiles as well as on the whole frame finds both; detections of the same person in several tiles are merged
by position.

Which one to judge: when two people are in view for much of the clip, the tracked person is accepted as the lifter
only when that is clear from what the counter saw: clearly larger (nearer the camera), or clearly moving while the
other stands still. Otherwise the analysis refuses rather than guessing. Either way the user hears it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from hingecoach.pose.mpimport import import_mediapipe
from hingecoach.skeleton import sided

#: Frames wider (or taller) than this ratio are also counted on overlapping square tiles.
TILE_ASPECT: Final[float] = 1.4
#: Two detections are one person when this share of the smaller one's box lies inside the other's.
SAME_PERSON_OVERLAP: Final[float] = 0.5
#: The tracked person is clearly the lifter when at least this much taller than the other person ...
CLEARLY_LARGER: Final[float] = 1.4
#: ... or moving (hip height spread relative to body height) at least this many times more than the other.
CLEARLY_MORE_MOTION: Final[float] = 3.0
#: Counted frames with both people needed before judging who is who.
MIN_PAIRED_FRAMES: Final[int] = 3

#: Summary of one person in a frame, in pixels of that frame: centre x, centre y, box height, mean hip y.
PERSON_FIELDS: Final[tuple[str, ...]] = ("cx", "cy", "height", "hip_y")

_HIPS: Final[list[int]] = [sided("left", "hip"), sided("right", "hip")]


def summarise(xy_px: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(4,)`` centre x, centre y, height and mean hip y of one ``(33, 2)`` pixel pose (NaN where undetected)."""
    if not np.isfinite(xy_px).all():
        return np.full(4, np.nan)
    lo, hi = xy_px.min(axis=0), xy_px.max(axis=0)
    return np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[1] - lo[1], xy_px[_HIPS, 1].mean()])


def tiles(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """``(x0, y0, x1, y1)`` overlapping square tiles (half a tile apart) of a frame much wider or taller than square."""
    if width >= TILE_ASPECT * height:
        side, along = height, width
    elif height >= TILE_ASPECT * width:
        side, along = width, height
    else:
        return []
    starts = list(range(0, max(along - side, 0) + 1, max(side // 2, 1)))
    if starts[-1] + side < along:
        starts.append(along - side)
    if width >= height:
        return [(s, 0, s + side, height) for s in starts]
    return [(0, s, width, s + side) for s in starts]


def count_people(
    frame_rgb: NDArray[np.uint8], detect: Callable[[NDArray[np.uint8]], Sequence[NDArray[np.float64]]]
) -> list[NDArray[np.float64]]:
    """Distinct people in a frame, each as a :func:`summarise` row in the frame's pixels.

    ``detect(rgb)`` returns the ``(33, 2)`` normalised poses a multi-person detector finds in an image.
    """
    h, w = frame_rgb.shape[:2]
    found: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []  # (summary, box x0 y0 x1 y1)
    regions = [(0, 0, w, h), *tiles(w, h)]
    for x0, y0, x1, y1 in regions:
        crop = frame_rgb if (x0, y0, x1, y1) == (0, 0, w, h) else np.ascontiguousarray(frame_rgb[y0:y1, x0:x1])
        for pose in detect(crop):
            px = pose * np.array([x1 - x0, y1 - y0], dtype=np.float64) + np.array([x0, y0], dtype=np.float64)
            row = summarise(px)
            if not np.isfinite(row).all():
                continue
            box = np.concatenate([px.min(axis=0), px.max(axis=0)])
            same = [k for k, (_, other) in enumerate(found) if _overlap(box, other) > SAME_PERSON_OVERLAP]
            if not same:
                found.append((row, box))
            elif row[2] > found[same[0]][0][2]:  # keep the fuller view of the person (a tile may cut them)
                found[same[0]] = (row, box)
    return [row for row, _ in found]


def _overlap(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Intersection of two boxes over the smaller one's area: a tile's partial view of a person lies inside the
    whole-frame view of them, so plain intersection-over-union would count them twice.
    """
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(iw * ih / smaller) if smaller > 0 else 0.0


def other_person(people: list[NDArray[np.float64]], tracked: NDArray[np.float64]) -> NDArray[np.float64]:
    """The counted person who is not the tracked one (the farthest from it), or NaNs when there is none."""
    if len(people) < 2 or not np.isfinite(tracked).all():
        return np.full(4, np.nan)
    dist = [float(np.hypot(*(p[:2] - tracked[:2]))) for p in people]
    return people[int(np.argmax(dist))]


@dataclass(frozen=True)
class LifterVerdict:
    """Who the lifter is when two people are in view: the tracked one (``clear``), or nobody can tell."""

    clear: bool
    tracked_side: str  # "left", "right", "front" or "back" of the other person
    reason: str


def judge_lifter(
    tracked: NDArray[np.float64], other: NDArray[np.float64], image_wh: tuple[int, int]
) -> LifterVerdict | None:
    """Decide from ``(T, 4)`` summaries (NaN rows where the counter did not run or saw one person).

    None when too few frames show both people to judge.
    """
    both = np.isfinite(tracked).all(axis=1) & np.isfinite(other).all(axis=1)
    if int(both.sum()) < MIN_PAIRED_FRAMES:
        return None
    t, o = tracked[both], other[both]
    wide = image_wh[0] >= image_wh[1]
    axis = 0 if wide else 1
    side = ("left" if wide else "top") if np.median(t[:, axis]) < np.median(o[:, axis]) else (
        "right" if wide else "bottom"
    )
    size = float(np.median(t[:, 2]) / max(np.median(o[:, 2]), 1e-9))
    motion_t = float(np.std(t[:, 3]) / max(np.median(t[:, 2]), 1e-9))
    motion_o = float(np.std(o[:, 3]) / max(np.median(o[:, 2]), 1e-9))
    moves = motion_t / max(motion_o, 1e-3)
    if size >= CLEARLY_LARGER:
        return LifterVerdict(True, side, f"{size:.1f}x the other person's height, nearer the camera")
    if moves >= CLEARLY_MORE_MOTION and size >= 1 / CLEARLY_LARGER:
        return LifterVerdict(True, side, "the one moving while the other stands still")
    reason = f"the person tracked, on the {side}, is {size:.2f}x the other's height and moves {moves:.1f}x as much"
    return LifterVerdict(False, side, reason)


def detector(counter: Any) -> Callable[[NDArray[np.uint8]], list[NDArray[np.float64]]]:
    """Adapt an IMAGE-mode MediaPipe ``PoseLandmarker`` to :func:`count_people`'s ``detect``."""
    mp = import_mediapipe()

    def detect(rgb: NDArray[np.uint8]) -> list[NDArray[np.float64]]:
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        return [np.array([(p.x, p.y) for p in pose], dtype=np.float64) for pose in counter.detect(image).pose_landmarks]

    return detect
