import itertools

import numpy as np

from hingecoach.pose.people import judge_lifter, summarise, tiles
from hingecoach.skeleton import N_LANDMARKS


def test_square_frames_are_not_tiled_and_wide_ones_are_covered_by_overlapping_squares() -> None:
    assert tiles(640, 480) == []
    wide = tiles(960, 232)
    assert all(x1 - x0 == 232 and (y0, y1) == (0, 232) for x0, y0, x1, y1 in wide)
    assert wide[0][0] == 0 and wide[-1][2] == 960
    assert all(b[0] - a[0] <= 116 for a, b in itertools.pairwise(wide))  # half a tile apart
    tall = tiles(200, 600)
    assert tall[0] == (0, 0, 200, 200) and tall[-1][3] == 600


def _rows(n: int, cx: float, height: float, hip_amplitude: float) -> np.ndarray:
    t = np.arange(n)
    return np.stack([np.full(n, cx), np.full(n, 240.0), np.full(n, height), 200 + hip_amplitude * np.sin(t)], axis=1)


def test_larger_or_moving_tracked_person_is_clearly_the_lifter_and_lookalikes_are_not() -> None:
    other = _rows(6, 700, 200, 20)
    big = judge_lifter(_rows(6, 200, 320, 20), other, (960, 480))
    assert big is not None and big.clear and big.tracked_side == "left"
    moving = judge_lifter(_rows(6, 800, 200, 30), _rows(6, 100, 200, 0.5), (960, 480))
    assert moving is not None and moving.clear and moving.tracked_side == "right"
    twins = judge_lifter(_rows(6, 200, 200, 20), other, (960, 480))
    assert twins is not None and not twins.clear
    assert judge_lifter(_rows(2, 200, 300, 20), _rows(2, 700, 200, 20), (960, 480)) is None  # too few frames


def test_summary_of_a_pose() -> None:
    xy = np.zeros((N_LANDMARKS, 2))
    xy[:, 0] = np.linspace(10, 30, N_LANDMARKS)
    xy[:, 1] = np.linspace(100, 300, N_LANDMARKS)
    cx, cy, h, _ = summarise(xy)
    assert (cx, cy, h) == (20, 200, 200)
    xy[3] = np.nan
    assert np.isnan(summarise(xy)).all()
