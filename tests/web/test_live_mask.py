"""The live page's silhouette: its run-length mask decodes to exactly the thresholded mask, and the server measures
the back line from it with the file path's own per-frame conversion (``pose.stream.frame_arrays``), so a live frame
and a filmed frame of the same silhouette give the same dorsal profile.

The silhouettes are the back-line tests' drawn trunks with a known back shape (a hump, a dropped head), the same
ones :mod:`tests.unit.test_backline` proves the measure on.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest
from tests.unit.test_backline import back, bump, head_shift, silhouette

from hingecoach.backline import MASK_LEVEL, profile_from_mask
from hingecoach.pose import FramePose
from hingecoach.pose.stream import frame_arrays
from hingecoach.web.live import LiveConnection, ProtocolError, core_session, frame_pose
from hingecoach.web.mask import MaskError, decode_mask, encode_mask


def whole(xy_px: np.ndarray) -> np.ndarray:
    """The drawn trunk's landmarks with the ones it does not draw put at the hip (the page always sends all 33)."""
    hip = np.nanmean(xy_px[[23, 24]], axis=0)
    return np.where(np.isfinite(xy_px), xy_px, hip[None, :])


def _frame_msg(mask: np.ndarray, xy_px: np.ndarray, t: float = 1.0) -> dict[str, Any]:
    h, w = mask.shape
    xy = whole(xy_px) / np.array([w, h])
    lm = [[float(x), float(y), 0.99] for x, y in xy]
    return {"type": "frame", "seq": 1, "t": t, "np": 1, "lm": lm, "wl": None, "mk": encode_mask(mask)}


def test_run_lengths_round_trip_to_the_thresholded_mask() -> None:
    mask, _ = silhouette(back(bump(0.6, 0.3, 0.05)))
    mk = encode_mask(mask)
    assert np.array_equal(decode_mask(mk), (mask >= MASK_LEVEL).astype(np.float32))
    assert len(mk["rle"]) < 8000, "a silhouette is a few runs per row: a few kB, not a bitmap"
    # runs longer than 16 bits (an empty top of the frame) are split and still decode
    empty = np.zeros((480, 640), np.float32)
    empty[400:, 300:320] = 1.0
    assert np.array_equal(decode_mask(encode_mask(empty)), empty)
    full = np.ones((300, 400), np.float32)
    assert np.array_equal(decode_mask(encode_mask(full)), full)


@pytest.mark.parametrize(
    "dorsal", [back(), back(bump(0.55, 0.3, 0.05)), back(head_shift(-0.12))], ids=["neutral", "hump", "dropped_head"]
)
def test_live_frames_get_the_file_paths_dorsal_profile(dorsal: Any) -> None:
    mask, drawn = silhouette(dorsal)
    xy = whole(drawn)
    _, pose = frame_pose(_frame_msg(mask, xy))
    live = frame_arrays(pose, with_masks=True).back_profile
    h, w = mask.shape
    filed = frame_arrays(
        FramePose(
            xy_norm=xy / np.array([w, h]), visibility=np.full(33, 0.99), world_m=None, n_people=1,
            mask=(mask >= MASK_LEVEL).astype(np.float32),
        ),
        with_masks=True,
    ).back_profile
    assert live is not None and filed is not None
    assert np.allclose(live, filed, equal_nan=True), "same mask, same function, same profile"
    # Thresholding loses only the soft edge's sub-pixel position: well under the checks' 0.012-0.02 thresholds.
    soft = profile_from_mask(mask, xy)
    both = np.isfinite(soft) & np.isfinite(live)
    assert both.sum() > 0.8 * soft.size
    assert np.nanmax(np.abs(soft[both] - live[both])) < 0.004


def test_the_socket_feeds_the_profile_to_the_live_session() -> None:
    mask, xy = silhouette(back(bump(0.55, 0.3, 0.05)))
    h, w = mask.shape
    conn = LiveConnection(factory=core_session)
    conn.handle(json.dumps({"type": "start", "drill": "rdl", "width": w, "height": h}), 0.0)
    ack = conn.handle(json.dumps(_frame_msg(mask, xy)), 0.0)
    assert ack is not None and ack["back"] is True
    assert conn.session is not None
    ring = conn.session.ring  # type: ignore[attr-defined]
    assert ring.back_profile is not None and np.isfinite(ring.back_profile[0]).sum() > 20
    no_mask = {**_frame_msg(mask, xy, t=2.0), "mk": None}
    assert conn.handle(json.dumps(no_mask), 0.0)["back"] is False  # type: ignore[index]


@pytest.mark.parametrize(
    "mk",
    [
        {"w": 10, "h": 10, "rle": base64.b64encode(np.array([50, 49], "<u2").tobytes()).decode()},  # 99 px, not 100
        {"w": 10, "h": 10, "rle": "not base64!"},
        {"w": 0, "h": 10, "rle": ""},
        {"w": 10, "h": 10, "rle": base64.b64encode(b"\x01").decode()},
        {"w": 5000, "h": 10, "rle": ""},
    ],
)
def test_bad_masks_are_refused(mk: dict[str, Any]) -> None:
    with pytest.raises(MaskError):
        decode_mask(mk)
    mask, xy = silhouette(back())
    with pytest.raises(ProtocolError):
        frame_pose({**_frame_msg(mask, xy), "mk": mk})
