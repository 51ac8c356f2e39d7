"""Judging reps, sessions and drills on synthetic lifters with faults of known size, plus the st17086ts knee takes."""

from __future__ import annotations

import json
import re
import tarfile
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from hingecoach import backline_frames, coaching, judge, judge_inputs, schema
from hingecoach.backline import DORSAL_U
from hingecoach.devtools import synth
from hingecoach.drills import DRILLS, LADDER, Drill
from hingecoach.kinematics import compute_kinematics
from hingecoach.measures import BackReference
from hingecoach.measures_back import DEEP_LEAN_MIN_DEG
from hingecoach.skeleton import idx
from hingecoach.track import PoseTrack

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SIDE_CAM = synth.CameraSpec(facing="right")
FRONT_CAM = synth.CameraSpec(facing="right", yaw_deg=90.0)
# A balanced floor pull (bar near the shins): hip 110°, knee 70°, shins tipped 14° (hand_to_shin ≈ 0.15).
DEADLIFT = {"start": "floor", "hip_flexion_deg": 110.0, "knee_flexion_deg": 70.0, "shin_ratio": 0.2}
HIP_THRUST = {"horizontal": True, "hip_flexion_deg": 70.0, "knee_flexion_deg": 80.0}


def _run(
    drill: Drill, view: str = "side", camera: synth.CameraSpec = SIDE_CAM, **spec: object
) -> list[judge.JudgedRep]:
    res = synth.generate(synth.HingeSpec(**spec), camera, back_profile_k=21)  # type: ignore[arg-type]
    kin = compute_kinematics(res.track)
    return [judge.judge_rep(drill, kin, r, view=view) for r in res.reps]


def _only(code: str, drill_id: str = "rdl") -> Drill:
    """The drill with only the check under test (other checks have their own tests)."""
    d = DRILLS[drill_id]
    check = d.check(code)
    assert check is not None
    return replace(d, checks=(check,))


def _severity(reps: list[judge.JudgedRep], code: str) -> str | None:
    sev = {f.severity for r in reps for f in r.faults if f.code == code}
    return "major" if "major" in sev else "minor" if sev else None


@pytest.mark.parametrize(
    ("drill_id", "spec"),
    [
        ("rdl", {"arms": "bar"}),  # an RDL's bar slides down the legs (hanging arms would hold it off them)
        ("b_stance_rdl", {"arms": "bar"}),
        ("hinge_wall", {}),
        ("band_pull_through", {}),
        ("good_morning", {"arms": "shoulders"}),
        ("hinge_dowel", {"arms": "shoulders"}),
        ("hinge_kneeling", {}),
        ("deadlift", DEADLIFT),
        ("hip_thrust", HIP_THRUST),
        ("single_leg_rdl", {"single_leg": True, "knee_flexion_deg": 15.0}),
    ],
)
def test_clean_synthetic_reps_raise_no_fault(drill_id: str, spec: dict[str, object]) -> None:
    reps = _run(DRILLS[drill_id], **spec)
    assert len(reps) == 3
    for r in reps:
        assert r.judged and r.faults == [] and r.score == 100, [(f.code, f.value) for f in r.faults]


# Each case: check under test, the synthetic fault parameter at three sizes, and the expected severity for each.
# The sizes are chosen from the analytic mapping of the parameter to the measured quantity (given in the comment),
# away from the boundaries; (None, minor, major) means below the threshold, between it and major, beyond major.
FAULT_CASES = [
    # knee flexion at a fixed 80° hip: ratio 40/80 0.5, 72/80 0.9, 88/80 1.1 (0.8 / 1.0)
    ("squat_pattern", "rdl", "knee_flexion_deg", (40.0, 72.0, 88.0), {}),
    # knee flexion at the bottom: 20 (bent), 7, 2 (threshold 10, major 5)
    ("locked_knees", "rdl", "knee_flexion_deg", (20.0, 7.0, 2.0), {}),
    # floor pull: 60° (bent), 35°, 15° (threshold 45, major 25)
    ("locked_knees", "deadlift", "knee_flexion_deg", (60.0, 35.0, 15.0), {**DEADLIFT, "shin_ratio": 0.5}),
    # hip hyperextension at the top = lean_back; the body arch reads it within 0.2° (threshold 35, major 45)
    ("overextension", "rdl", "lean_back_deg", (20.0, 40.0, 55.0), {}),
    # hip flexion left at the top = lockout deficit (threshold 15, major 30)
    ("incomplete_lockout", "rdl", "lockout_deficit_deg", (10.0, 20.0, 40.0), {}),
    ("incomplete_hip_extension", "hip_thrust", "lockout_deficit_deg", (10.0, 20.0, 40.0), HIP_THRUST),
    # share of the ascent the knees lead: trunk tip 1°, 13.5°, 30° (threshold 10, major 20)
    ("hips_rise_first", "deadlift", "hips_rise_first", (0.1, 0.3, 0.5), DEADLIFT),
]


@pytest.mark.parametrize(("code", "drill_id", "param", "sizes", "base"), FAULT_CASES, ids=lambda x: str(x)[:24])
def test_fault_fires_above_its_threshold_and_not_below(
    code: str, drill_id: str, param: str, sizes: tuple[float, float, float], base: dict[str, object]
) -> None:
    drill = _only(code, drill_id)
    got = [_severity(_run(drill, **{**base, param: size}), code) for size in sizes]
    assert got == [None, "minor", "major"]


def _with_back(res: synth.SynthResult, hump: float = 0.0, head: float = 0.0) -> PoseTrack:
    """The clean synthetic track with a dorsal profile whose upper back curls over (from u = 0.7 the back falls away
    below the stick, by ``hump`` at the shoulder line) and a head shift of known size (trunk lengths), on the frames
    of the reps' descent and bottom — what the silhouette of a rounded back would show."""
    u = DORSAL_U
    base = np.full(u.shape, 0.18)
    bumped = base - hump * np.clip((u - 0.70) / 0.30, 0.0, None)  # the stick rests flat on u <= 0.7
    bumped = bumped - head * np.clip((u - 1.05) / 0.15, 0.0, 1.0)
    bumped[u > 1.55] = np.nan
    n = res.track.n_frames
    prof = np.tile(np.where(u > 1.55, np.nan, base), (n, 1))
    hip = res.angles["hip_flexion_deg"]
    deep = hip > 0.6 * np.nanmax(hip)
    prof[deep] = bumped
    return replace(res.track, back_profile=prof)


def _back_reps(code: str, *, hump: float = 0.0, head: float = 0.0) -> list[judge.JudgedRep]:
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    kin = compute_kinematics(_with_back(res, hump, head))
    return [judge.judge_rep(_only(code), kin, r, view="side") for r in res.reps]


def _states(reps: list[judge.JudgedRep], code: str) -> set[str]:
    return {c.state for r in reps for c in r.checks if c.code == code}


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_back_line_faults_fire_at_their_size_and_not_below(sign: float) -> None:
    """A hump of known height on the silhouette's back, and the head dropped (+) or craned (−) off the dowel line by
    a known distance: clean below threshold − band, borderline inside the band, minor then major beyond it."""
    for code, key in (("rounded_back", "hump"), ("head_out_of_line", "head")):
        if code == "rounded_back" and sign < 0:
            continue
        check = DRILLS["rdl"].check(code)
        assert check is not None and check.fitted and check.band > 0
        thr, band, major = check.threshold, check.band, check.major_at
        sizes = {"clean": thr - 2 * band, "borderline": thr, "minor": (thr + band + major) / 2, "major": major + band}
        for expected, size in sizes.items():
            # The stick rests flat on the tailbone and the mid-back (u <= 0.7): the shoulders' drop is the curl.
            injected = size
            reps = _back_reps(code, **{key: sign * injected})
            states = _states(reps, code)
            if expected in ("minor", "major"):
                assert states == {"fault"}, (code, expected, size, states)
                assert _severity(reps, code) == expected
            else:
                assert states == {expected}, (code, expected, size, states)
            # The score says the same: a borderline reading costs less than a fault and is never a clean 100.
            n_close = [sum(c.state == "borderline" for c in r.checks) for r in reps]
            want = [100 - judge.BORDERLINE_PENALTY * n - sum(judge.PENALTY[f.severity] for f in r.faults)
                    for r, n in zip(reps, n_close, strict=True)]
            assert [r.score for r in reps] == want
            if expected == "borderline":
                assert all(r.score < 100 for r in reps) and all(r.score > 100 - judge.PENALTY["minor"] for r in reps)


def test_rounded_back_is_read_with_the_shins_hidden_but_the_head_is_not() -> None:
    """Plates in front of the shins hide the knees and ankles on exactly the deepest frames. The rounded-back reading
    needs only the trunk and its silhouette, so it still finds a major hump; the head's reading keeps the frames where
    the whole body is seen (at a floor pull's set-up a lifter looks up at the bar with the ankles hidden)."""
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    check = DRILLS["rdl"].check("rounded_back")
    assert check is not None
    track = _with_back(res, hump=check.major_at + check.band, head=0.4)
    hip = res.angles["hip_flexion_deg"]
    deep = hip > 0.6 * np.nanmax(hip)
    vis = track.visibility.copy()
    for name in ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel"):
        vis[deep, idx(name)] = 0.05
    kin = compute_kinematics(replace(track, visibility=vis))
    assert not kin.reliable[deep].any()
    reps = [judge.judge_rep(DRILLS["rdl"], kin, r, view="side") for r in res.reps]
    assert _states(reps, "rounded_back") == {"fault"} and _severity(reps, "rounded_back") == "major"
    assert "fault" not in _states(reps, "head_out_of_line")
    # The same track with the legs seen raises the head too: it is the hidden legs, not the head's size, that stop it.
    # (The head check alone: beside the rounded back it would not be judged, see the next test.)
    seen = [judge.judge_rep(_only("head_out_of_line"), compute_kinematics(track), r, view="side") for r in res.reps]
    assert _states(seen, "head_out_of_line") == {"fault"}


def test_a_rounded_upper_back_leaves_the_head_unjudged_instead_of_a_second_fault() -> None:
    """An upper back that curls carries the neck and head below the stick with it: the head check alone reads a gap
    from the curl only (no neck bend injected), so beside a rounded-back fault the head is "not judged" with the
    reason, one cue instead of two. A flat back with a dropped head still raises the head; a curl inside the
    rounded back's band leaves the head's own answer alone."""
    check = DRILLS["rdl"].check("rounded_back")
    head = DRILLS["rdl"].check("head_out_of_line")
    assert check is not None and head is not None
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    curled = compute_kinematics(_with_back(res, hump=(check.threshold + check.band + check.major_at) / 2))
    alone = [judge.judge_rep(_only("head_out_of_line"), curled, r, view="side") for r in res.reps]
    assert _states(alone, "head_out_of_line") == {"fault"}  # the curl alone opens the head's gap
    both = [judge.judge_rep(DRILLS["rdl"], curled, r, view="side") for r in res.reps]
    assert _states(both, "rounded_back") == {"fault"}
    heads = [c for r in both for c in r.checks if c.code == "head_out_of_line"]
    assert heads and all(c.state == "not_judged" and c.reason == judge.HEAD_ON_ROUNDED_BACK for c in heads)
    assert not any(f.code == "head_out_of_line" for r in both for f in r.faults)
    assert all("head_out_of_line" in r.not_judged for r in both)
    flat = compute_kinematics(_with_back(res, head=head.major_at + head.band))
    dropped = [judge.judge_rep(DRILLS["rdl"], flat, r, view="side") for r in res.reps]
    assert _states(dropped, "rounded_back") == {"clean"} and _states(dropped, "head_out_of_line") == {"fault"}
    near = compute_kinematics(_with_back(res, hump=check.threshold, head=head.major_at + head.band))
    kept = [judge.judge_rep(DRILLS["rdl"], near, r, view="side") for r in res.reps]
    assert _states(kept, "rounded_back") == {"borderline"} and _states(kept, "head_out_of_line") == {"fault"}
    # A head fault read on the set-up frames next to the rep is not handed to it either: they share its back.
    at = float(curled.t_s[int(res.reps[0].start)])
    outside = schema.CheckResult(code="head_out_of_line", state="fault", value=0.3, threshold=0.15, at_s=at)
    attached, left = judge.attach_outside(DRILLS["rdl"], both, res.reps, [outside], curled.t_s)
    assert not left and all(f.code != "head_out_of_line" for r in attached for f in r.faults)
    hidden = tuple(
        c.model_copy(update={"reason": "landmarks hidden"}) if c.code == "head_out_of_line" else c
        for c in both[0].checks
    )
    unjudged = replace(both[0], checks=hidden)
    opened, _ = judge.attach_outside(DRILLS["rdl"], [unjudged, *both[1:]], res.reps, [outside], curled.t_s)
    assert any(f.code == "head_out_of_line" for f in opened[0].faults)  # any other not-judged head takes it


@pytest.mark.parametrize("hidden_from", [0.8, 0.3])
def test_a_knee_check_names_the_hidden_landmark_and_how_to_film_it(hidden_from: float) -> None:
    """When plates hide the ankle at the bottom (a short stretch: the check's own reading; most of the rep: the rep's
    reliability gate), the knee check cannot read the shin: the answer names the ankle and says how to film so the
    legs show, instead of a generic "landmarks hidden"."""
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    hip = res.angles["hip_flexion_deg"]
    deep = hip > hidden_from * np.nanmax(hip)
    vis = res.track.visibility.copy()
    for name in ("left_ankle", "right_ankle"):
        vis[deep, idx(name)] = 0.05
    kin = compute_kinematics(replace(res.track, visibility=vis))
    reps = [judge.judge_rep(_only("locked_knees"), kin, r, view="side") for r in res.reps]
    assert all(r.judged for r in reps) == (hidden_from > 0.5)
    checks = [c for r in reps for c in r.checks]
    assert checks and all(c.state == "not_judged" for c in checks)
    assert all(re.match(r"the ankle nearer the camera was hidden", c.reason or "") for c in checks), checks[0].reason
    assert all(c.how_to_film == judge_inputs.FILM_LEGS for c in checks)


def test_faults_are_judged_per_rep() -> None:
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    check = DRILLS["rdl"].check("rounded_back")
    assert check is not None
    track = _with_back(res, check.major_at + 0.02)
    prof = track.back_profile
    assert prof is not None
    clean_rows = np.zeros(track.n_frames, dtype=bool)
    clean_rows[res.reps[0].start : res.reps[0].end + 1] = True
    clean_rows[res.reps[2].start : res.reps[2].end + 1] = True
    prof = prof.copy()
    prof[clean_rows] = np.where(DORSAL_U > 1.55, np.nan, 0.18)
    kin = compute_kinematics(replace(track, back_profile=prof))
    reps = [judge.judge_rep(_only("rounded_back"), kin, r, view="side") for r in res.reps]
    assert [bool(r.faults) for r in reps] == [False, True, False]
    assert reps[1].score == 100 - judge.PENALTY[reps[1].faults[0].severity]
    fault = reps[1].faults[0]
    assert fault.threshold == pytest.approx(check.threshold) and fault.unit == "trunk" and fault.value > check.major_at
    assert "candy cane" in fault.cue
    r1 = res.reps[1]
    assert float(kin.t_s[r1.start]) <= fault.at_s <= float(kin.t_s[r1.end])  # a fault's time lies within its rep


def test_own_neutral_reference_replaces_the_population_threshold() -> None:
    """A lifter whose neutral back already reads a bow near the population threshold (a loose shirt) is clean against
    their own reference, and the same lifter rounding by the reference threshold and its band more is a fault."""
    check = DRILLS["rdl"].check("rounded_back")
    assert check is not None and check.reference_threshold is not None
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    shirt = check.threshold + 2 * check.band  # the shoulders' drop below the stick of this lifter's neutral back
    loose = compute_kinematics(_with_back(res, shirt))
    pop = [judge.judge_rep(_only("rounded_back"), loose, r, view="side") for r in res.reps]
    assert _states(pop, "rounded_back") == {"fault"}
    ref = BackReference(dowel_shoulder_drop=shirt)
    base = judge_inputs.compute_baseline(loose, ref)
    own = [judge.judge_rep(_only("rounded_back"), loose, r, view="side", baseline=base) for r in res.reps]
    assert _states(own, "rounded_back") == {"clean"}
    assert all(c.quantity == "dowel_shoulder_drop_vs_own_reference" for r in own for c in r.checks)
    more = check.reference_threshold + 2 * (check.reference_band or 0.0)
    rounder = compute_kinematics(_with_back(res, shirt + more))
    base = judge_inputs.compute_baseline(rounder, ref)
    worse = [judge.judge_rep(_only("rounded_back"), rounder, r, view="side", baseline=base) for r in res.reps]
    assert _states(worse, "rounded_back") == {"fault"}


def test_back_line_judged_without_any_rep() -> None:
    """Frames of deepest lean that no segmented rep contains are still judged (plates can hide every rep)."""
    res = synth.generate(synth.HingeSpec(reps=1), SIDE_CAM)
    kin = compute_kinematics(_with_back(res, 0.2))
    base = judge_inputs.compute_baseline(kin)
    out = judge.judge_outside_reps(DRILLS["rdl"], kin, [], baseline=base, view="side")
    assert {c.code: c.state for c in out}["rounded_back"] == "fault"
    assert judge.judge_outside_reps(DRILLS["rdl"], kin, res.reps, baseline=base, view="side") == []


def test_without_any_rep_a_back_line_that_cannot_be_read_says_why() -> None:
    """No rep and no readable outline at the deepest lean: the clip says the back was not judged, and how to film,
    instead of saying nothing; with reps, their own answers say it and nothing is added."""
    res = synth.generate(synth.HingeSpec(reps=1), SIDE_CAM)
    track = _with_back(res, 0.2)
    assert track.back_profile is not None
    kin = compute_kinematics(replace(track, back_profile=np.full_like(track.back_profile, np.nan)))
    base = judge_inputs.compute_baseline(kin)
    out = {c.code: c for c in judge.judge_outside_reps(DRILLS["rdl"], kin, [], baseline=base, view="side")}
    rb = out["rounded_back"]
    assert rb.state == "not_judged" and rb.value is None
    assert rb.reason and "outline was not found" in rb.reason and rb.how_to_film
    assert judge.judge_outside_reps(DRILLS["rdl"], kin, res.reps, baseline=base, view="side") == []
    said = dict(coaching.not_judged_warnings(DRILLS["rdl"], [], (), list(out.values())))
    assert "no rep was found" in said["not_judged_rounded_back"] and rb.how_to_film in said["not_judged_rounded_back"]


def test_every_check_answers_on_every_rep() -> None:
    reps = _run(DRILLS["rdl"], view="front", camera=FRONT_CAM)
    for r in reps:
        assert [c.code for c in r.checks] == [c.code for c in DRILLS["rdl"].checks]
        for c in r.checks:
            assert c.state in ("fault", "clean", "borderline", "not_judged")
            if c.state == "not_judged":
                assert c.reason and c.value is None
    side = _run(DRILLS["rdl"])
    assert {c.state for r in side for c in r.checks if c.code == "squat_pattern"} == {"clean"}


@pytest.mark.parametrize(("code", "param", "sizes"), [("hips_not_level", "pelvis_drop_deg", (5.0, 15.0, 25.0)),
                                                       ("knees_cave", "knee_valgus_deg", (1.0, 4.5, 8.0))])  # fmt: skip
def test_frontal_faults_in_a_front_view(code: str, param: str, sizes: tuple[float, float, float]) -> None:
    """Pelvis tilt is the drop itself (threshold 10, major 20); knee width ÷ ankle width = 1 − 4.45·sin(valgus):
    1° 0.92, 3.5° 0.73, 8° 0.38 (threshold 0.8, major 0.6)."""
    drill = _only(code, "single_leg_rdl" if code == "hips_not_level" else "hip_thrust")
    got = [_severity(_run(drill, view="front", camera=FRONT_CAM, **{param: s}), code) for s in sizes]
    assert got == [None, "minor", "major"]


@pytest.mark.parametrize(("depth", "expected"), [(80.0, None), (120.0, "minor"), (150.0, "major")])
def test_too_deep_follows_the_hands_against_mid_shin(depth: float, expected: str | None) -> None:
    """Hand height truth from the generator's own sagittal geometry decides the expected verdict (0.25 / 0.0)."""
    res = synth.generate(synth.HingeSpec(hip_flexion_deg=depth), SIDE_CAM)
    lowest = float(np.min(res.angles["hand_height"]))
    truth = None if lowest >= 0.25 else "minor" if lowest >= 0.0 else "major"
    assert truth == expected, lowest  # the sizes straddle the thresholds by construction
    assert _severity(_run(_only("too_deep"), hip_flexion_deg=depth), "too_deep") == expected


def test_back_line_held_range_ends_where_the_line_breaks() -> None:
    """The back holds through the whole of a clean rep; with a hump injected over the deep frames (hip flexion past
    60 % of its maximum) the line breaks there, so the usable range ends near 60 % of the depth."""
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    clean = [judge.judge_rep(DRILLS["rdl"], compute_kinematics(_with_back(res)), r, view="side") for r in res.reps]
    assert clean[0].back_held_deg == pytest.approx(80.0, abs=1.0)
    humped = compute_kinematics(_with_back(res, 0.2))
    held = judge.judge_rep(DRILLS["rdl"], humped, res.reps[0], view="side").back_held_deg
    assert held is not None and 0.5 * 80 < held < 0.7 * 80


def test_a_front_view_does_not_guess_the_back_and_says_why() -> None:
    reps = _run(DRILLS["rdl"], view="front", camera=FRONT_CAM, trunk_round_deg=70.0)
    assert all("rounded_back" not in [f.code for f in r.faults] for r in reps)
    assert all("rounded_back" in r.not_judged for r in reps)
    warnings = dict(coaching.view_warnings(DRILLS["rdl"], "front"))
    assert "cannot be judged from a front view" in warnings["not_judged_rounded_back"]
    assert "side" in warnings["not_judged_rounded_back"]
    assert coaching.view_warnings(DRILLS["rdl"], "side") == []
    oblique = dict(coaching.view_warnings(DRILLS["rdl"], "oblique"))
    assert "not_judged_rounded_back" in oblique and "not_judged_squat_pattern" not in oblique


def test_unreliable_reps_are_not_judged() -> None:
    """Landmarks seen with low confidence throughout (a dark room, a blurred phone): not even the trunk-only back line
    is read — its frames need the shoulder and hip confidently seen, as the rep's gate needs the whole side."""
    res = synth.generate(synth.HingeSpec(reps=2, trunk_round_deg=70.0), SIDE_CAM, back_profile_k=21)
    track = replace(res.track, visibility=np.full_like(res.track.visibility, 0.3))
    kin = compute_kinematics(track)
    assert not kin.reliable.any()
    out = judge.judge_rep(DRILLS["rdl"], kin, res.reps[0], view="side")
    assert not out.judged and out.faults == [] and out.score == 0
    assert coaching.summarise(DRILLS["rdl"], [out]).score is None


# ------------------------------------------------------------------------------------------------ session
def _rep(*faults: tuple[str, str]) -> judge.JudgedRep:
    fs = [schema.Fault(code=c, severity=s, at_s=1.0, cue=f"cue {c}") for c, s in faults]  # type: ignore[arg-type]
    return judge.JudgedRep(metrics={}, faults=fs, score=judge.score_rep(fs), judged=True)


def test_a_rounded_back_on_a_rep_whose_legs_were_hidden_still_earns_its_cue() -> None:
    """Plates over the shins leave a rep unjudged for the leg checks (no score), but the rounded back is read on the
    trunk alone: a fault the report lists must come with the coach's cue, not an empty list of cues."""
    drill = DRILLS["deadlift"]
    fs = [schema.Fault(code="rounded_back", severity="major", at_s=1.0, cue="x")]
    legs_hidden = judge.JudgedRep(metrics={}, faults=fs, score=0, judged=False)
    s = coaching.summarise(drill, [legs_hidden])
    assert s.fault_counts == {"rounded_back": 1} and s.score is None
    assert s.cues == [drill.check("rounded_back").cue]  # type: ignore[union-attr]
    assert s.next_drill is None  # no rep was judged whole: neither progress nor regress on it


def test_summary_gives_at_most_two_cues_ranked_by_reps_affected() -> None:
    drill = DRILLS["rdl"]
    reps = [
        _rep(("locked_knees", "minor"), ("rounded_back", "minor")),
        _rep(("locked_knees", "minor")),
        _rep(("locked_knees", "minor"), ("head_out_of_line", "minor")),
        _rep(("rounded_back", "minor")),
    ]
    s = coaching.summarise(drill, reps)
    assert s.rep_count == 4
    assert s.fault_counts == {"head_out_of_line": 1, "locked_knees": 3, "rounded_back": 2}
    assert s.cues == [drill.check("locked_knees").cue, drill.check("rounded_back").cue]  # type: ignore[union-attr]
    assert s.score == round(np.mean([70, 85, 70, 85]))
    assert s.next_drill == "rdl"  # minor faults: keep practising


def test_ladder_progress_regress_and_stay() -> None:
    clean = [_rep() for _ in range(3)]
    assert coaching.next_drill(DRILLS["hinge_kneeling"], clean) == "hinge_dowel"
    assert coaching.next_drill(DRILLS["hinge_dowel"], clean) == "good_morning"
    assert coaching.next_drill(DRILLS["good_morning"], clean) == "rdl"
    assert coaching.next_drill(DRILLS["rdl"], clean) == "b_stance_rdl"
    assert coaching.next_drill(DRILLS["deadlift"], clean) == "b_stance_rdl"
    assert coaching.next_drill(DRILLS["single_leg_rdl"], clean) == "single_leg_rdl"
    assert coaching.next_drill(DRILLS["rdl"], clean[:2]) == "rdl"  # two clean reps are not yet a pattern
    majors = [_rep(("rounded_back", "major")), _rep(("rounded_back", "major")), _rep()]
    assert coaching.next_drill(DRILLS["rdl"], majors) == "good_morning"
    assert coaching.next_drill(DRILLS["hinge_kneeling"], majors) == "hinge_kneeling"
    mixed = [_rep(("rounded_back", "major")), _rep(("locked_knees", "major"))]
    assert coaching.next_drill(DRILLS["rdl"], mixed) == "rdl"  # different majors once each: not yet recurring
    assert coaching.next_drill(DRILLS["rdl"], []) is None
    s = coaching.summarise(DRILLS["rdl"], majors)
    assert len(s.cues) == 2 and "before adding load" in s.cues[1]
    assert "Clean reps" in coaching.summarise(DRILLS["rdl"], clean).cues[0]
    assert LADDER[0] == ("hinge_kneeling",)


def _line(kin: object, drill: object, view: str, reps: tuple[schema.Rep, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """``(ok, known)`` per frame from :func:`backline_frames.back_line`: not drawn broken / judged at all."""
    state = backline_frames.back_line(kin, drill, view, reps=reps).state  # type: ignore[arg-type]
    return state != backline_frames.LINE_BREAKS, state != backline_frames.LINE_UNKNOWN


def test_back_line_frames_mark_breaks_only_where_the_view_can_see() -> None:
    """From the side the rounded bottom is drawn broken and the standing frames are not judged (the back line is
    read only where the trunk leans, as the checks read it); from the front nothing is judged."""
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    kin = compute_kinematics(_with_back(res, 0.2))
    ok, known = _line(kin, DRILLS["rdl"], "side")
    assert ok.shape == known.shape == kin.t_s.shape
    bottoms = [r.bottom for r in res.reps]
    assert known[bottoms].all() and not ok[bottoms].any()
    lean = np.abs(judge_inputs.all_series(kin)["trunk_incline_deg"])
    assert not known[lean < DEEP_LEAN_MIN_DEG].any() and ok[lean < DEEP_LEAN_MIN_DEG].all() and not known[0]
    ok_f, known_f = _line(kin, DRILLS["rdl"], "front")
    assert not known_f.any() and ok_f.all()


def test_back_line_frames_are_not_judged_where_the_arms_lie_along_the_upper_back() -> None:
    """The overlay shows what the check says: with a bar held on the upper back (hands at the neck, elbows behind
    the trunk) an upper-back curl is not judged — the lower back below the arms held, which cannot clear it — so its
    frames are not drawn as a broken line either; the same rounded back with the hands holding a stick behind the
    neck is drawn broken at the bottom. Frame by frame (no rep answers) the bar's frames read the lower back: whole."""
    from hingecoach.analysis import analyze_track

    for arms, judged in (("shoulders", False), ("dowel", True)):
        res = synth.generate(synth.HingeSpec(arms=arms), SIDE_CAM)  # type: ignore[arg-type]
        track = _with_back(res, 0.2)
        kin = compute_kinematics(track)
        reps = tuple(analyze_track(track, drill="good_morning").analysis.reps)
        ok, known = _line(kin, DRILLS["good_morning"], "side", reps)
        bottom = res.reps[0].bottom
        assert bool(known[bottom]) is judged
        assert bool(ok[bottom]) is not judged
        frame_ok, frame_known = _line(kin, DRILLS["good_morning"], "side")
        assert frame_known[bottom] and bool(frame_ok[bottom]) is not judged


def test_back_line_frames_draw_the_rounded_back_where_plates_hide_the_legs() -> None:
    """The overlay reads each back-line check's own frames: with the ankles hidden on the deepest frames (plates
    over the shins) the rounded back is still judged there, by the check and on the drawing alike, while the head's
    line (read on whole-body frames only) is not drawn there."""
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    check = DRILLS["rdl"].check("rounded_back")
    assert check is not None
    track = _with_back(res, check.major_at + 0.02)
    hip = res.angles["hip_flexion_deg"]
    deep = hip > 0.6 * np.nanmax(hip)
    vis = track.visibility.copy()
    for name in ("left_ankle", "right_ankle"):
        vis[deep, idx(name)] = 0.05
    kin = compute_kinematics(replace(track, visibility=vis))
    assert not np.asarray(kin.reliable)[deep].any()  # the legs' landmarks are lost on exactly those frames
    reps = [judge.judge_rep(DRILLS["rdl"], kin, r, view="side") for r in res.reps]
    assert all("rounded_back" in {f.code for f in r.faults} for r in reps)
    ok, known = _line(kin, DRILLS["rdl"], "side")
    bottoms = [r.bottom for r in res.reps]
    assert known[bottoms].all() and not ok[bottoms].any()
    head_only = replace(DRILLS["rdl"], checks=tuple(c for c in DRILLS["rdl"].checks if c.code != "rounded_back"))
    _, head_known = _line(kin, head_only, "side")
    assert not head_known[deep].any()


def _answered(r: synth.RepTruth, t_s: np.ndarray, index: int, state: str) -> schema.Rep:
    """A rep of the analysis whose rounded-back check answered ``state`` (the other checks left out)."""
    check = schema.CheckResult(code="rounded_back", state=state)  # type: ignore[arg-type]
    return schema.Rep(
        index=index,
        start_s=float(t_s[r.start]),
        bottom_s=float(t_s[r.bottom]),
        end_s=float(t_s[r.end]),
        start_frame=r.start,
        bottom_frame=r.bottom,
        end_frame=r.end,
        descent_s=0.0,
        ascent_s=0.0,
        metrics={},
        score=100,
        checks=[check],
    )


@pytest.mark.parametrize(
    ("answer", "drawn"),
    [
        ("fault", backline_frames.LINE_BREAKS),
        ("borderline", backline_frames.LINE_NEAR),
        ("clean", backline_frames.LINE_HOLDS),
        ("not_judged", backline_frames.LINE_UNKNOWN),
    ],
)
def test_back_line_draws_each_rep_as_its_answer_says(answer: str, drawn: int) -> None:
    """The same rounded bottom (0.2 trunk lengths, past the threshold on every deep frame) is drawn broken, too close
    to call, holding or not judged as the rep's rounded-back answer says; the other reps, answered fault, stay
    broken, and without any rep answers every deep frame is drawn broken (the frames' own readings)."""
    res = synth.generate(synth.HingeSpec(reps=3), SIDE_CAM)
    kin = compute_kinematics(_with_back(res, 0.2))
    t = np.asarray(kin.t_s)
    reps = tuple(_answered(r, t, i + 1, answer if i == 1 else "fault") for i, r in enumerate(res.reps))
    line = backline_frames.back_line(kin, DRILLS["rdl"], "side", reps=reps)
    bottoms = [r.bottom for r in res.reps]
    assert line.bow[bottoms[1]] == drawn and line.state[bottoms[1]] == drawn
    assert (line.bow[[bottoms[0], bottoms[2]]] == backline_frames.LINE_BREAKS).all()
    middle = slice(res.reps[1].start, res.reps[1].end + 1)
    assert not (line.bow[middle] == backline_frames.LINE_BREAKS).any() or answer == "fault"
    bare = backline_frames.back_line(kin, DRILLS["rdl"], "side")
    assert (bare.bow[bottoms] == backline_frames.LINE_BREAKS).all()


def test_back_line_leaves_frames_outside_every_rep_not_judged() -> None:
    """A deep, rounded stretch that is no rep of the analysis (a set-down, a rest between takes) is drawn not judged
    when the clip has reps — the report says nothing about it — and by its own frames when the clip has none."""
    res = synth.generate(synth.HingeSpec(reps=3), SIDE_CAM)
    kin = compute_kinematics(_with_back(res, 0.2))
    t = np.asarray(kin.t_s)
    reps = (_answered(res.reps[0], t, 1, "fault"), _answered(res.reps[2], t, 2, "fault"))  # the middle one is not a rep
    line = backline_frames.back_line(kin, DRILLS["rdl"], "side", reps=reps)
    middle = res.reps[1].bottom
    assert line.state[middle] == backline_frames.LINE_UNKNOWN
    assert line.state[res.reps[0].bottom] == line.state[res.reps[2].bottom] == backline_frames.LINE_BREAKS
    assert backline_frames.back_line(kin, DRILLS["rdl"], "side").state[middle] == backline_frames.LINE_BREAKS


# ------------------------------------------------------------------------------------------------ real data
# OpenPose BODY_25 → BlazePose-33 names (the st17086ts takes come as BODY_25 JSON keypoints).
BODY25 = {0: "nose", 2: "right_shoulder", 3: "right_elbow", 4: "right_wrist", 5: "left_shoulder", 6: "left_elbow",
          7: "left_wrist", 9: "right_hip", 10: "right_knee", 11: "right_ankle", 12: "left_hip", 13: "left_knee",
          14: "left_ankle", 15: "right_eye", 16: "left_eye", 17: "right_ear", 18: "left_ear", 19: "left_foot_index",
          21: "left_heel", 22: "right_foot_index", 24: "right_heel"}  # fmt: skip


@dataclass(frozen=True)
class _Take:
    label: str
    subject: str
    track: PoseTrack


ST_ARCHIVE = DATA / "st17086ts" / "judge" / "knee_joint_graph_keypoints.tar.gz"


@pytest.fixture(scope="module")
def st17086ts_takes() -> list[_Take]:
    if not ST_ARCHIVE.exists():
        pytest.skip(f"shared data absent: {ST_ARCHIVE}")
    return load_takes(ST_ARCHIVE)


def load_takes(archive: Path) -> list[_Take]:
    """Every take of the archive as a pose track (BODY_25 mapped to BlazePose names; 30 fps, portrait 1080×1920)."""
    frames: dict[tuple[str, str], dict[int, list[float] | None]] = defaultdict(dict)
    with tarfile.open(archive) as tf:
        for member in tf:
            m = re.search(r"/(正しい|膝悪い)/([^/]+)/[^/]*_(\d+)_keypoints\.json$", member.name)
            fh = tf.extractfile(member) if m else None
            if m is None or fh is None:
                continue
            people = json.load(fh)["people"]
            frames[(m.group(1), m.group(2))][int(m.group(3))] = people[0]["pose_keypoints_2d"] if people else None
    takes = []
    for (label, subject), fr in sorted(frames.items()):
        n = max(fr) + 1
        xy = np.full((n, 33, 2), np.nan)
        vis = np.zeros((n, 33))
        for i, kp in fr.items():
            if kp is None:
                continue
            a = np.asarray(kp, dtype=float).reshape(25, 3)
            for j, name in BODY25.items():
                if a[j, 2] > 0:
                    xy[i, idx(name)] = a[j, :2]
                    vis[i, idx(name)] = a[j, 2]
        takes.append(_Take(label, subject, PoseTrack.from_numpy(xy, 30.0, (1080, 1920), visibility=vis)))
    return takes


@pytest.mark.real_data
def test_st17086ts_near_straight_knees_vs_correct_pulls(st17086ts_takes: list[_Take]) -> None:
    """Five lifters pulled with near-straight knees ('膝悪い'); two of them also pulled correctly ('正しい').

    Oblique camera (~35–40° yaw). Expect: locked knees on nearly every rep of the bad takes, on no rep of 鈴木's
    correct take, and on fewer reps of 佐藤's correct take than of his bad take (by the authors' own knee angles his
    correct take stiffens in its later reps).
    """
    from hingecoach.reps import segment_reps
    from hingecoach.view import classify_view

    share: dict[tuple[str, str], float] = {}
    for take in st17086ts_takes:
        kin = compute_kinematics(take.track)
        view = classify_view(take.track)
        reps = segment_reps(kin, start_position="auto")
        assert len(reps) >= 5, (take.subject, len(reps))
        judged = [judge.judge_rep(DRILLS["deadlift"], kin, r, view=view) for r in reps]
        flagged = ["locked_knees" in [f.code for f in j.faults] for j in judged]
        share[(take.label, take.subject)] = float(np.mean(flagged))
    bad = {s: v for (label, s), v in share.items() if label == "膝悪い"}
    assert len(bad) == 5 and min(bad.values()) >= 0.8, bad
    assert share[("正しい", "鈴木")] == 0.0
    assert share[("正しい", "佐藤")] < share[("膝悪い", "佐藤")]


def _legs_drawn_up(track: PoseTrack, frames: np.ndarray) -> PoseTrack:
    """``track`` with both legs drawn up on ``frames`` as BlazePose draws them behind a plate at lockout: the thigh
    level with the hip (pointing the way the lifter faces) and the ankle a shin below the knee — a confident skeleton
    sitting on a chair while the lifter stands tall."""
    xy = track.xy_px.copy()
    for side in ("left", "right"):
        hip, knee, ankle = idx(f"{side}_hip"), idx(f"{side}_knee"), idx(f"{side}_ankle")
        thigh = np.linalg.norm(xy[frames, knee] - xy[frames, hip], axis=1)
        shin = np.linalg.norm(xy[frames, ankle] - xy[frames, knee], axis=1)
        xy[frames, knee] = xy[frames, hip] + np.stack([thigh, np.zeros_like(thigh)], axis=1)  # facing right: +x
        xy[frames, ankle] = xy[frames, knee] + np.stack([np.zeros_like(shin), shin], axis=1)
        for part in ("heel", "foot_index"):
            xy[frames, idx(f"{side}_{part}")] = xy[frames, ankle]
    return replace(track, xy_px=xy)


def test_ankle_drift_reads_a_drawn_up_ankle_in_shin_lengths_and_follows_a_new_spot() -> None:
    """The feet stay where they were put: a planted ankle reads 0, one drawn up by a shin reads 1. A lifter who walks
    to a new spot between sets stands somewhere else, which is not a lost ankle."""
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    track = res.track
    n = track.n_frames
    a, k = idx("right_ankle"), idx("right_knee")
    shin = float(np.median(np.linalg.norm(track.xy_px[:, k] - track.xy_px[:, a], axis=1)))
    assert np.nanmax(np.abs(judge_inputs.ankle_drift(track, "right"))) < 0.05
    raised = track.xy_px.copy()
    mid = slice(n // 2, n // 2 + 5)  # a short stretch: the foot's level comes from the frames around it
    raised[mid, a, 1] -= shin
    drift = judge_inputs.ankle_drift(replace(track, xy_px=raised), "right")
    assert drift[mid] == pytest.approx(1.0, abs=0.05)
    moved = track.xy_px.copy()
    moved[n // 2 :, :, 1] += 2 * shin  # the whole body lower in the picture from half-way: a new spot
    drift = judge_inputs.ankle_drift(replace(track, xy_px=moved), "right")
    t = track.t_s
    away = np.abs(t - t[n // 2]) > judge_inputs.PLANTED_WINDOW_S
    assert np.nanmax(np.abs(drift[away])) < 0.05


def test_a_lockout_whose_legs_left_the_feet_is_not_judged_and_says_why() -> None:
    """A plate at hip height at lockout: BlazePose keeps a confident skeleton but sits it on a chair (thigh level,
    ankle drawn a thigh's length up off the floor), so the hips read 90° bent while the lifter stands tall. That is
    the landmarks' failure, not an unfinished rep: the lockout is not judged, and the answer says why and how to
    film."""
    res = synth.generate(synth.HingeSpec(), SIDE_CAM)
    drill = _only("incomplete_lockout")
    clean = [judge.judge_rep(drill, compute_kinematics(res.track), r, view="side") for r in res.reps]
    assert _states(clean, "incomplete_lockout") == {"clean"}
    hip = res.angles["hip_flexion_deg"]
    standing = np.flatnonzero(hip < 0.15 * np.nanmax(hip))
    kin = compute_kinematics(_legs_drawn_up(res.track, standing))
    assert np.nanmin(np.asarray(kin.series["hip_flexion_deg"])[standing]) > 45.0  # what the drawn-up legs read
    reps = [judge.judge_rep(drill, kin, r, view="side") for r in res.reps]
    checks = [c for r in reps for c in r.checks if c.code == "incomplete_lockout"]
    assert checks and all(c.state == "not_judged" for c in checks), [(c.state, c.value) for c in checks]
    assert all(c.reason == judge_inputs.TOP_OFF_FOOT and c.how_to_film == judge_inputs.FILM_TOP_LEGS for c in checks)


def test_an_unfinished_lockout_needs_the_top_held_on_camera() -> None:
    """Hips still bent at the rep's end are an unfinished rep only if the clip goes on long enough to show the lifter
    stopped there: a clip that stops on that frame may have cut a lifter still rising (a tutorial clip that ends
    with the bar at the knees). Not judged then, with how to film; the same rep filmed a second longer is a fault."""
    res = synth.generate(synth.HingeSpec(reps=1, lockout_deficit_deg=40.0), SIDE_CAM)
    drill = _only("incomplete_lockout")
    rep = res.reps[0]
    full = judge.judge_rep(drill, compute_kinematics(res.track), rep, view="side")
    assert _states([full], "incomplete_lockout") == {"fault"}
    cut = res.track.frames(slice(0, int(rep.end) + 2))
    short = judge.judge_rep(drill, compute_kinematics(cut), rep, view="side")
    (answer,) = [c for c in short.checks if c.code == "incomplete_lockout"]
    assert answer.state == "not_judged" and answer.reason == "the top of the rep is out of view", answer
    assert answer.how_to_film == "keep the camera running until you stand tall"


def _verdict_rep(*checks: schema.CheckResult, judged: bool = True, faults: tuple[schema.Fault, ...] = ()) -> schema.Rep:
    return schema.Rep(
        index=3, start_s=0.0, bottom_s=1.0, end_s=2.0, start_frame=0, bottom_frame=10, end_frame=20, descent_s=1.0,
        ascent_s=1.0, metrics={}, score=100, judged=judged, checks=list(checks), faults=list(faults),
    )  # fmt: skip


def test_good_rep_is_said_only_when_the_back_line_was_judged_and_nothing_was_too_close_to_call() -> None:
    """A live rep without a fault is "good" only when its back line was seen and no check sat on its threshold; else
    the verdict says which check was too close to call, or which could not be judged and how to film for it."""
    clean = schema.CheckResult(code="rounded_back", state="clean", value=0.02, threshold=0.08)
    knees = schema.CheckResult(code="locked_knees", state="clean", value=20.0, threshold=10.0)
    assert coaching.rep_verdict(_verdict_rep(clean, knees)) == "Rep 3: good rep."
    assert coaching.is_good_rep(_verdict_rep(clean, knees))
    near = schema.CheckResult(code="rounded_back", state="borderline", value=0.084, threshold=0.08)
    text = coaching.rep_verdict(_verdict_rep(near, knees))
    assert text == "Rep 3: no clear fault, but a rounded back was too close to call."
    assert not coaching.is_good_rep(_verdict_rep(near, knees))
    unseen = schema.CheckResult(
        code="rounded_back", state="not_judged", reason="a rounded back cannot be judged from a front view",
        how_to_film=judge.HOW_TO_FILM["side"],
    )  # fmt: skip
    text = coaching.rep_verdict(_verdict_rep(unseen, knees))
    assert text.startswith("Rep 3: no fault seen, but a rounded back could not be judged: ")
    assert judge.HOW_TO_FILM["side"] in text
    side_blind = schema.CheckResult(code="knees_cave", state="not_judged", reason="cannot be judged from a side view")
    assert coaching.is_good_rep(_verdict_rep(clean, side_blind))  # a check the drill's view never shows is no doubt
    lost = schema.CheckResult(code="rounded_back", state="not_judged", reason="the landmarks were lost on this rep")
    lost_rep = _verdict_rep(lost, judged=False)
    assert coaching.rep_verdict(lost_rep) == "Rep 3: not judged: the landmarks were lost on this rep."
    fault = schema.Fault(code="rounded_back", severity="major", at_s=1.0, cue="Keep the three points.", value=0.2)
    assert coaching.rep_verdict(_verdict_rep(clean, faults=(fault,))) == "Rep 3: watch a rounded back."


def test_lists_read_as_a_sentence() -> None:
    from hingecoach.wording import and_list

    assert [and_list(x) for x in ([], ["knees"], ["knees", "feet"], ["hips", "knees", "feet"])] == [
        "",
        "knees",
        "knees and feet",
        "hips, knees and feet",
    ]
