"""Drill recognition for ``--drill auto``: each drill from what defines it, squats never as hinges, and "could not
tell" rather than a guess. Synthetic lifters with known drills, and the full pipeline's answer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hingecoach.analysis import analyze_track
from hingecoach.devtools import synth
from hingecoach.drills import DRILLS
from hingecoach.kinematics import compute_kinematics
from hingecoach.recognise import (
    COULD_NOT_TELL,
    DEFAULT_DRILL,
    LYING_TRUNK_DEG,
    MIN_CONFIDENCE,
    NOT_A_HINGE,
    RECLINED_TRUNK_DEG,
    SINGLE_LEG_LIFT,
    recognise,
)
from hingecoach.reps import RepSegment, segment_reps
from hingecoach.skeleton import idx
from hingecoach.track import PoseTrack

SIDE_CAM = synth.CameraSpec(facing="right")
DEADLIFT = {"start": "floor", "hip_flexion_deg": 110.0, "knee_flexion_deg": 70.0, "shin_ratio": 0.2}
HIP_THRUST = {"horizontal": True, "hip_flexion_deg": 70.0, "knee_flexion_deg": 80.0}
# A band from behind pulls the hands back between the legs; the trunk goes past horizontal on soft knees.
PULL_THROUGH = {"arms": "through", "hip_flexion_deg": 115.0, "knee_flexion_deg": 20.0}
NOISE = synth.NoiseSpec(noise_px=1.5, seed=31)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"arms": "bar"}, "rdl"),
        ({"arms": "shoulders"}, "good_morning"),
        (PULL_THROUGH, "band_pull_through"),
        (DEADLIFT, "deadlift"),
        ({**DEADLIFT, "reps": 4}, "deadlift"),
        (HIP_THRUST, "hip_thrust"),
        ({"single_leg": True, "knee_flexion_deg": 15.0}, "single_leg_rdl"),
        ({"squat": True, "hip_flexion_deg": 60.0}, NOT_A_HINGE),
        ({"squat": True, "hip_flexion_deg": 100.0, "arms": "shoulders"}, NOT_A_HINGE),
    ],
)
def test_each_drill_from_what_defines_it(spec: dict[str, object], expected: str) -> None:
    res = synth.generate(synth.HingeSpec(**spec), SIDE_CAM, NOISE)  # type: ignore[arg-type]
    kin = compute_kinematics(res.track)
    rec = recognise(kin, list(res.reps), "side")
    assert rec.result == expected, rec
    assert MIN_CONFIDENCE <= rec.confidence <= 0.95
    assert rec.reason


def test_no_reps_is_could_not_tell() -> None:
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    rec = recognise(compute_kinematics(res.track), [], "side")
    assert rec.result == COULD_NOT_TELL and rec.confidence == 0.0
    assert rec.drill_to_judge == DEFAULT_DRILL


def _join(*parts: PoseTrack) -> PoseTrack:
    p0 = parts[0]
    world = np.concatenate([p.world_m for p in parts if p.world_m is not None])
    return PoseTrack.from_numpy(
        np.concatenate([p.xy_px for p in parts]),
        p0.fps,
        p0.image_wh,
        visibility=np.concatenate([p.visibility for p in parts]),
        world_m=world,
    )


def test_rdls_after_a_pick_up_from_the_floor_are_rdls() -> None:
    """'deadlift it up from the floor into the top position', then RDLs: the one pull does not make a deadlift."""
    pick_up = synth.generate(synth.HingeSpec(reps=1, **DEADLIFT), SIDE_CAM, NOISE)  # type: ignore[arg-type]
    rdls = synth.generate(synth.HingeSpec(reps=4, arms="bar", setup_s=0.3), SIDE_CAM, NOISE)
    kin = compute_kinematics(_join(pick_up.track, rdls.track))
    rec = recognise(kin, segment_reps(kin), "side")
    assert rec.result == "rdl", rec


def test_a_squat_is_reported_not_a_hinge_with_no_hinge_faults() -> None:
    res = synth.generate(synth.HingeSpec(reps=3, squat=True, hip_flexion_deg=100.0), SIDE_CAM, NOISE)
    out = analyze_track(res.track, drill="auto")
    a = out.analysis
    codes = {w.code for w in a.warnings}
    assert "not_a_hinge" in codes
    assert a.recognition is not None and a.recognition.result == NOT_A_HINGE
    assert a.summary.rep_count == 3
    assert not any(r.faults for r in a.reps)
    assert "squat" in a.summary.cues[0].lower() and a.summary.next_drill == "hinge_wall"
    # with the drill named, the wall drill's squat check still says what is wrong
    named = analyze_track(res.track, drill="hinge_wall").analysis
    assert any(f.code == "squat_pattern" for r in named.reps for f in r.faults)


def test_could_not_tell_becomes_a_warning_and_the_safe_default() -> None:
    res = synth.generate(synth.HingeSpec(reps=0, setup_s=3.0), SIDE_CAM, NOISE)
    a = analyze_track(res.track, drill="auto").analysis
    assert a.recognition is not None and a.recognition.result == COULD_NOT_TELL
    assert a.drill == DEFAULT_DRILL and DEFAULT_DRILL in DRILLS
    codes = [w.code for w in a.warnings]
    assert "drill_not_recognised" in codes and "drill_recognised" not in codes  # said once, as what it is


def test_recognised_drill_and_confidence_are_reported() -> None:
    res = synth.generate(synth.HingeSpec(reps=3, arms="bar"), SIDE_CAM, NOISE)
    a = analyze_track(res.track, drill="auto").analysis
    assert a.drill == "rdl" and a.recognition is not None and a.recognition.result == "rdl"
    msg = next(w.message for w in a.warnings if w.code == "drill_recognised")
    assert "confidence" in msg


def _mirror(tr: PoseTrack) -> PoseTrack:
    """The same clip flipped left-right (a selfie camera): image x mirrored, left and right labels unchanged."""
    xy = tr.xy_px.copy()
    xy[..., 0] = tr.image_wh[0] - 1 - xy[..., 0]
    world = None if tr.world_m is None else tr.world_m * np.array([-1.0, 1.0, 1.0])
    return PoseTrack.from_numpy(xy, tr.fps, tr.image_wh, visibility=tr.visibility, world_m=world)


@pytest.mark.parametrize(
    "spec",
    [{"arms": "bar"}, {"arms": "shoulders"}, DEADLIFT, PULL_THROUGH, {"squat": True, "hip_flexion_deg": 100.0}],
)
def test_a_mirrored_clip_is_recognised_the_same(spec: dict[str, object]) -> None:
    res = synth.generate(synth.HingeSpec(**spec), SIDE_CAM, NOISE)  # type: ignore[arg-type]
    a = analyze_track(res.track, drill="auto").analysis
    b = analyze_track(_mirror(res.track), drill="auto").analysis
    assert a.recognition is not None and b.recognition is not None
    assert a.recognition.result == b.recognition.result
    assert a.recognition.confidence == pytest.approx(b.recognition.confidence, abs=0.05)


def _frames(track: PoseTrack, keep: slice) -> PoseTrack:
    """``track`` cut to the frames ``keep``, its time still starting at 0 (a take that opens mid-movement)."""
    part = track.frames(keep)
    return replace(part, t_s=part.t_s - part.t_s[0])


def test_a_take_that_opens_set_up_at_the_bar_and_ends_with_the_set_down_is_a_deadlift() -> None:
    """A close camera behind the plates: the take opens with the lifter already set up at the bar, the ankles and the
    hands are never seen (so neither the knee bend nor the hands' height is known), one pull, and the take ends as
    the bar is set down. 'Deadlift it up from the floor': starting at the bottom is the pull's defining feature, and
    the set-down is not a rep that started from the top."""
    res = synth.generate(synth.HingeSpec(reps=3, **DEADLIFT), SIDE_CAM, NOISE)  # type: ignore[arg-type]
    hip = res.angles["hip_flexion_deg"]
    top = float(np.nanmax(hip))

    def settling(rep: int) -> int:  # on the way down to the floor before ``rep``, 10° short of the bottom
        b = int(res.reps[rep].bottom)
        return b - int(np.argmax(hip[:b][::-1] < top - 10.0)) + 1

    take = _frames(res.track, slice(settling(1), settling(2)))
    vis = take.visibility.copy()
    for part in ("ankle", "heel", "foot_index", "wrist", "pinky", "index", "thumb"):
        for side in ("left", "right"):
            vis[:, idx(f"{side}_{part}")] = 0.05
    kin = compute_kinematics(replace(take, visibility=vis))
    h = np.asarray(kin.series["hip_flexion_deg"])
    n = h.shape[0]
    bottom = int(np.nanargmax(h[: n // 2]))
    stood = bottom + int(np.argmax(h[bottom:] < 20.0))
    t = kin.t_s

    def seg(a: int, b: int, e: int, **cut: bool) -> RepSegment:
        return RepSegment(a, b, e, None, True, float(t[a]), float(t[b]), float(t[e]), **cut)

    # As the rep finder cuts such a take when the hips settle lower after it opens: the rep opens (cut) above its
    # bottom, and the take ends going down into the set-down.
    pull = seg(0, bottom, stood, cut_start=True)
    set_down = seg(stood + 5, n - 1, n - 1, cut_end=True)
    rec = recognise(kin, [pull, set_down], "side")
    assert rec.result == "deadlift", rec
    assert rec.features["floor_share"] == 1.0


def test_the_same_deep_hinge_with_a_bar_in_front_of_the_shins_is_an_rdl_not_a_pull_through() -> None:
    """What tells the pull-through apart is only where the hands are: the same deep, soft-kneed hinge with a bar
    held in front of the shins reads as an RDL, and the hands' place is the feature that decided."""
    through = synth.generate(synth.HingeSpec(**PULL_THROUGH), SIDE_CAM, NOISE)  # type: ignore[arg-type]
    bar = synth.generate(synth.HingeSpec(**{**PULL_THROUGH, "arms": "bar"}), SIDE_CAM, NOISE)  # type: ignore[arg-type]
    rec_t = recognise(compute_kinematics(through.track), list(through.reps), "side")
    rec_b = recognise(compute_kinematics(bar.track), list(bar.reps), "side")
    assert rec_t.result == "band_pull_through" and rec_b.result == "rdl"
    assert rec_t.features["hands_ahead_of_ankle"] < 0.0 < rec_b.features["hands_ahead_of_ankle"]


def test_a_hip_thrust_whose_top_is_lost_is_told_by_the_trunk_lying_back_at_the_bottom() -> None:
    """A render that loses the landmarks over the top of the thrust: the highest frames seen have the trunk only 57°
    from vertical, too close to the lying boundary to tell by the top alone. At the bottom the trunk lies *back*
    (shoulders on the bench behind the hips), which no standing drill does; from either side the same answer."""
    for facing in ("right", "left"):
        cam = synth.CameraSpec(facing=facing)
        res = synth.generate(synth.HingeSpec(**HIP_THRUST), cam, NOISE)  # type: ignore[arg-type]
        hip = res.angles["hip_flexion_deg"]
        vis = res.track.visibility.copy()
        vis[hip < 62.0] = 0.0  # the top of every rep lost
        rec = recognise(compute_kinematics(replace(res.track, visibility=vis)), list(res.reps), "side")
        assert rec.result == "hip_thrust", rec
        assert rec.features["trunk_bottom_signed_deg"] < RECLINED_TRUNK_DEG
        # the top alone would not have been enough: its margin is under MIN_CONFIDENCE
        assert 0.5 + (rec.features["trunk_top_deg"] - LYING_TRUNK_DEG) / 40.0 < MIN_CONFIDENCE


@pytest.mark.parametrize(
    "spec", [{"arms": "bar"}, {"arms": "shoulders"}, DEADLIFT, PULL_THROUGH, {"squat": True, "hip_flexion_deg": 100.0}]
)
def test_every_standing_drill_tips_forward_at_its_bottom(spec: dict[str, object]) -> None:
    """The lying-back rule cannot take a standing drill: each tips forward at its bottom, from either side."""
    for facing in ("right", "left"):
        cam = synth.CameraSpec(facing=facing)
        res = synth.generate(synth.HingeSpec(**spec), cam, NOISE)  # type: ignore[arg-type]
        rec = recognise(compute_kinematics(res.track), list(res.reps), "side")
        assert rec.result != "hip_thrust"
        assert rec.features["trunk_bottom_signed_deg"] > 20.0


class _Series:
    """Kinematics reduced to the series the recogniser reads (no track): hand-built motion."""

    def __init__(self, series: dict[str, np.ndarray]) -> None:
        self.series = series


def test_a_free_foot_that_rises_late_in_the_bottom_phase_is_still_a_single_leg_rdl() -> None:
    """An orbiting camera on a single-leg RDL: over the bottom phase the free foot starts low and rises only in its
    second half. The phase's median lift sits under the boundary; its upper quartile, where the leg is up, does not."""
    n = 90
    t = np.linspace(0.0, 3.0, n)
    hip = 90.0 * np.sin(np.pi * t / 3.0) ** 2  # one rep: standing, hinged at 1.5 s, standing
    phase = np.flatnonzero(hip >= hip.max() - 15.0)
    lift = np.full(n, 0.05)
    lift[phase] = 0.25
    lift[phase[phase.size // 2 + 2 :]] = 0.8  # the free leg up behind in the phase's second half
    series = {
        "hip_flexion_3d_deg": hip,
        "knee_flexion_3d_deg": np.full(n, 15.0),
        "trunk_incline_3d_deg": 0.9 * hip,
        "hand_height": 2.0 - hip / 90.0,
        "ankle_lift": lift,
        "leg_line_deg": np.where(lift > SINGLE_LEG_LIFT, 5.0, np.nan),
    }
    rep = RepSegment(0, int(np.argmax(hip)), n - 1, None, False)
    assert float(np.median(lift[phase])) < SINGLE_LEG_LIFT  # what the phase's median would have read
    rec = recognise(_Series(series), [rep], "oblique")
    assert rec.result == "single_leg_rdl", rec
    assert rec.features["ankle_lift"] > SINGLE_LEG_LIFT + 0.2
    # the same hinge with both feet down stays a two-footed RDL
    flat = {**series, "ankle_lift": np.full(n, 0.05), "leg_line_deg": np.full(n, np.nan)}
    assert recognise(_Series(flat), [rep], "oblique").result == "rdl"


@pytest.mark.parametrize("facing", ["right", "left"])
def test_hands_hidden_between_the_legs_at_the_bottom_are_read_where_last_seen(facing: str) -> None:
    """A small render whose hands vanish behind the near thigh at the bottom of a pull-through: where they were last
    seen on the way down they were already behind the ankles, which is the pull-through's defining place. The same
    hinge holding a bar in front of the shins, hidden the same way, keeps its hands in front."""
    cam = synth.CameraSpec(facing=facing)

    def hidden_at_bottom(spec: dict[str, object]) -> tuple[str, float]:
        res = synth.generate(synth.HingeSpec(**spec), cam, NOISE)  # type: ignore[arg-type]
        hip = res.angles["hip_flexion_deg"]
        vis = res.track.visibility.copy()
        deep = hip >= float(np.nanmax(hip)) - 25.0  # the bottom phase and a little more
        for side in ("left", "right"):
            for part in ("wrist", "pinky", "index", "thumb"):
                vis[deep, idx(f"{side}_{part}")] = 0.05
        rec = recognise(compute_kinematics(replace(res.track, visibility=vis)), list(res.reps), "side")
        return rec.result, rec.features["hands_ahead_of_ankle"]

    result, ahead = hidden_at_bottom(PULL_THROUGH)
    assert result == "band_pull_through" and ahead < 0.0
    result, ahead = hidden_at_bottom({**PULL_THROUGH, "arms": "bar"})
    assert result != "band_pull_through" and ahead > 0.0
