"""The re-examined measures on synthetic motion with the fault injected at known sizes: below the threshold no fault,
past it a fault (bar drifting off the legs, hands taken to the floor, hips rising first from an oblique camera, an
arched lockout with the knees hidden behind plates)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hingecoach import judge
from hingecoach.devtools import synth
from hingecoach.drills import DRILLS, Drill
from hingecoach.kinematics import compute_kinematics
from hingecoach.skeleton import INDEX
from hingecoach.track import PoseTrack
from hingecoach.view import classify_view

SIDE_CAM = synth.CameraSpec(facing="right")
DEADLIFT = {"start": "floor", "hip_flexion_deg": 110.0, "knee_flexion_deg": 70.0, "shin_ratio": 0.2}


def _only(code: str, drill_id: str) -> Drill:
    d = DRILLS[drill_id]
    check = d.check(code)
    assert check is not None
    return replace(d, checks=(check,))


def _faults(track: PoseTrack, reps: tuple[synth.RepTruth, ...], drill: Drill) -> list[tuple[str, float | None]]:
    kin = compute_kinematics(track)
    view = classify_view(kin.track)
    return [(f.code, f.value) for r in reps for f in judge.judge_rep(drill, kin, r, view=view).faults]


def _drift(r: synth.SynthResult, shins: float) -> PoseTrack:
    """Move the wrists forward by ``shins`` shin lengths, growing with the hinge (0 standing, full at the bottom)."""
    tr = r.track
    xy = tr.xy_px.copy()
    shin = float(np.nanmedian(np.linalg.norm(xy[:, INDEX["right_knee"]] - xy[:, INDEX["right_ankle"]], axis=-1)))
    depth = r.angles["hip_flexion_deg"] / np.nanmax(r.angles["hip_flexion_deg"])
    for side in ("left", "right"):
        for part in ("wrist", "pinky", "index", "thumb"):
            xy[:, INDEX[f"{side}_{part}"], 0] += shins * shin * np.clip(depth, 0, 1)  # facing right: +x is forward
    return PoseTrack.from_numpy(xy, tr.fps, tr.image_wh, visibility=tr.visibility, world_m=tr.world_m)


@pytest.mark.parametrize(("shins", "fault"), [(0.0, False), (0.25, False), (0.7, True)])
def test_bar_drifting_away_from_the_legs(shins: float, fault: bool) -> None:
    r = synth.generate(synth.HingeSpec(reps=2, arms="bar", hip_flexion_deg=90.0), SIDE_CAM)
    got = _faults(_drift(r, shins), r.reps, _only("bar_far_from_body", "rdl"))
    assert bool(got) == fault, got


@pytest.mark.parametrize(("hip", "fault"), [(80.0, False), (105.0, False), (140.0, True)])
def test_hands_taken_to_the_floor_are_too_deep(hip: float, fault: bool) -> None:
    spec = synth.HingeSpec(reps=2, arms="bar", hip_flexion_deg=hip, knee_flexion_deg=30.0)
    r = synth.generate(spec, SIDE_CAM)
    kin = compute_kinematics(r.track)
    low = float(np.nanmin(kin.series["hand_height"]))
    got = _faults(r.track, r.reps, _only("too_deep", "rdl"))
    assert bool(got) == fault, (low, got)


@pytest.mark.parametrize("yaw", [0.0, 40.0])
def test_hips_rising_first_from_side_and_oblique_cameras(yaw: float) -> None:
    cam = synth.CameraSpec(facing="right", yaw_deg=yaw)
    drill = _only("hips_rise_first", "deadlift")
    for share, fault in ((0.0, False), (0.5, True)):
        r = synth.generate(synth.HingeSpec(reps=2, hips_rise_first=share, **DEADLIFT), cam)  # type: ignore[arg-type]
        got = _faults(r.track, r.reps, drill)
        assert bool(got) == fault, (yaw, share, got)


def test_hips_first_is_not_judged_beyond_the_correctable_yaw() -> None:
    cam = synth.CameraSpec(facing="right", yaw_deg=55.0)
    r = synth.generate(synth.HingeSpec(reps=1, hips_rise_first=0.5, **DEADLIFT), cam)  # type: ignore[arg-type]
    kin = compute_kinematics(r.track)
    view = classify_view(kin.track)
    j = judge.judge_rep(_only("hips_rise_first", "deadlift"), kin, r.reps[0], view=view)
    assert not j.faults and "hips_rise_first" in j.not_judged


def _knees_on_plates(tr: PoseTrack) -> PoseTrack:
    xy = tr.xy_px.copy()
    for side in ("left", "right"):
        h, k = INDEX[f"{side}_hip"], INDEX[f"{side}_knee"]
        leg = np.linalg.norm(xy[:, h] - xy[:, INDEX[f"{side}_ankle"]], axis=-1)[:, None]
        xy[:, k] = xy[:, h] + np.concatenate([0.35 * leg, 0.1 * leg], axis=1)
    return PoseTrack.from_numpy(xy, tr.fps, tr.image_wh, visibility=tr.visibility, world_m=tr.world_m)


@pytest.mark.parametrize(("lean", "fault"), [(15.0, False), (45.0, True)])
def test_arched_lockout_is_seen_with_the_knees_behind_plates(lean: float, fault: bool) -> None:
    r = synth.generate(synth.HingeSpec(reps=2, lean_back_deg=lean), SIDE_CAM)
    got = _faults(_knees_on_plates(r.track), r.reps, _only("overextension", "rdl"))
    assert bool(got) == fault, got
