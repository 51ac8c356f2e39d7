"""A set whose camera angle changes: each rep is judged from the view it was actually seen from."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hingecoach.analysis import view_change_warnings
from hingecoach.devtools import synth
from hingecoach.view import classify_view, span_views

SIDE = synth.CameraSpec(facing="right")
FRONT = synth.CameraSpec(facing="right", yaw_deg=90.0)


def _turned_track() -> tuple[synth.SynthResult, np.ndarray]:
    """The same three reps filmed side-on, except that the last rep is filmed from the front."""
    side, front = synth.generate(synth.HingeSpec(), SIDE), synth.generate(synth.HingeSpec(), FRONT)
    last = side.reps[-1]
    turned = np.zeros(side.track.n_frames, dtype=bool)
    turned[last.start : last.end + 1] = True
    xy = np.where(turned[:, None, None], front.track.xy_px, side.track.xy_px)
    world = None
    if side.track.world_m is not None and front.track.world_m is not None:
        world = np.where(turned[:, None, None], front.track.world_m, side.track.world_m)
    return replace(side, track=replace(side.track, xy_px=xy, world_m=world)), turned


def test_a_rep_seen_from_the_front_is_not_judged_as_side_on() -> None:
    res, _ = _turned_track()
    clip = classify_view(res.track)
    assert clip.view == "side"
    views = span_views(res.track, [(r.start, r.end) for r in res.reps], clip)
    assert [v.view for v in views] == ["side", "side", "front"]
    assert views[0] is clip and views[2].yaw_deg is not None and views[2].yaw_deg > 60
    (warning,) = view_change_warnings(clip, views)
    assert warning[0] == "view_changed" and "3 (front)" in warning[1] and "side" in warning[1]
    assert view_change_warnings(clip, [clip, clip]) == []


def test_a_span_never_makes_a_clip_more_side_on() -> None:
    """A front-view clip with one rep that looks side-on stays front for that rep: refuse more, never less."""
    front = synth.generate(synth.HingeSpec(), FRONT)
    clip = classify_view(front.track)
    side_clip = replace(clip, view="front")
    views = span_views(front.track, [(r.start, r.end) for r in front.reps], side_clip)
    assert {v.view for v in views} == {"front"}
    side = synth.generate(synth.HingeSpec(), SIDE)
    from_front = span_views(side.track, [(r.start, r.end) for r in side.reps], side_clip)
    assert {v.view for v in from_front} == {"front"}
