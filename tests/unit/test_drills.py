"""The drill table: names, codes, quotes and thresholds are consistent; each measurement has its analytic answer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hingecoach import drills as dr
from hingecoach import measures as ms
from hingecoach import measures_back as mb
from hingecoach.checks_doc import checks_markdown
from hingecoach.kinematics import SERIES_NAMES
from hingecoach.schema import DRILL_IDS

ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = ROOT / ".." / "shared" / "seed"
ALL_CHECKS = {(c.code, c.quantity, c.threshold): c for d in dr.DRILLS.values() for c in d.checks}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_drill_ids_match_the_schema_and_the_ladder() -> None:
    assert set(dr.DRILLS) == set(DRILL_IDS)
    on_ladder = [d for level in dr.LADDER for d in level]
    assert sorted(on_ladder) == sorted(DRILL_IDS)
    for i, level in enumerate(dr.LADDER, start=1):
        for drill_id in level:
            assert dr.DRILLS[drill_id].level == i, drill_id
    assert dr.DRILLS["deadlift"].start_position == "floor"
    assert dr.DRILLS["hip_thrust"].start_position == "supine"


def test_every_check_reads_series_that_exist_and_uses_a_known_code() -> None:
    known = set(SERIES_NAMES) | set(dr.DERIVED_SERIES)
    for drill in dr.DRILLS.values():
        assert drill.checks and drill.instructions and drill.description
        codes = [c.code for c in drill.checks]
        assert len(codes) == len(set(codes)), f"{drill.id}: a fault code twice"
        for c in drill.checks:
            assert c.code in dr.FAULT_CODES, c.code
            assert set(c.series) <= known, (c.code, set(c.series) - known)
            assert c.views and c.views <= {"side", "front", "oblique"}
            assert c.cue.strip() and c.threshold_reason.strip() and c.seed_quote.strip()


def test_every_fault_code_is_checked_by_some_drill() -> None:
    used = {c.code for d in dr.DRILLS.values() for c in d.checks}
    assert used == set(dr.FAULT_CODES)


def test_seed_quotes_are_verbatim_passages_of_the_article() -> None:
    if not SEED_DIR.is_dir():
        pytest.skip(f"shared seed folder absent: {SEED_DIR}")
    article = _norm(" ".join(p.read_text(encoding="utf-8") for p in sorted(SEED_DIR.glob("*.txt"))))
    quotes = [c.seed_quote for c in ALL_CHECKS.values()] + [d.seed_quote for d in dr.DRILLS.values()]
    for q in quotes:
        assert _norm(q) in article, q


@pytest.mark.parametrize("key", sorted(ALL_CHECKS), ids=lambda k: f"{k[0]}-{k[2]:g}")
def test_grading_boundaries(key: tuple[str, str, float]) -> None:
    c = ALL_CHECKS[key]
    sign = 1.0 if c.direction == "above" else -1.0
    assert sign * (c.major_at - c.threshold) > 0, "major must lie beyond the threshold"
    assert c.grade(c.threshold) is None  # at the threshold: not yet past it
    assert c.grade(c.threshold - sign * 1e-6) is None
    assert c.grade(c.threshold + sign * 1e-6) == "minor"
    assert c.grade(c.major_at + sign * 1e-6) == "major"
    assert c.grade(float("nan")) is None
    assert str(c.threshold).rstrip("0").rstrip(".") in c.severity_rule or f"{c.threshold:g}" in c.severity_rule


def test_docs_table_is_in_sync_with_the_code() -> None:
    doc = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert checks_markdown() in doc, "regenerate docs/checks.md from hingecoach.checks_doc.checks_markdown()"


# ------------------------------------------------------------------------------------------------ measurements
N = 41  # frames of the test rep: 6 standing, 15 down, the bottom (frame 20), 15 up, 6 standing
BOTTOM = 20
HIP = 90.0 * np.clip(1 - np.abs(np.arange(N) - BOTTOM) / 15, 0, 1)  # 0 → 90 → 0 deg, bottom phase = frames 18..22
PHASE = np.abs(np.arange(N) - BOTTOM) <= 2


def _window(fps: float = 30.0, **series: np.ndarray) -> ms.RepWindow:
    """A rep with hip flexion ``HIP`` plus whatever series the test gives."""
    return ms.RepWindow(series={"hip_flexion_deg": HIP, **series}, fps=fps, bottom=BOTTOM)


def test_bottom_phase_is_within_15_degrees_of_the_deepest_hip_flexion() -> None:
    np.testing.assert_array_equal(_window().bottom_phase(), PHASE)  # 90·(1−d/15) ≥ 75 ⇔ d ≤ 2


def _lean_window(**series: np.ndarray) -> ms.RepWindow:
    """The test rep with its trunk leaning like its hips (deep lean = within 10° of the top, ≥ 35°)."""
    base = ms.Baseline(deep_lean_deg=60.0)
    return ms.RepWindow(
        series={"hip_flexion_deg": HIP, "trunk_incline_deg": HIP, "trunk_px": np.full(N, 200.0), **series},
        fps=30.0,
        bottom=BOTTOM,
        baseline=base,
    )


DEEP = HIP >= 60.0  # 11 frames


def test_back_line_uses_the_median_over_the_deepest_lean() -> None:
    bow = np.where(DEEP, 0.05, 0.0)
    bow[BOTTOM] = 0.5  # one wild frame at the very bottom does not decide
    head = np.full(N, 0.3)
    head[DEEP] = -0.12  # craned past the line at the bottom: measured as a distance
    w = _lean_window(dowel_bow=bow, dowel_head_gap=head)
    assert mb.measure_dowel_bow(w).value == pytest.approx(0.05)  # type: ignore[union-attr]
    assert mb.measure_head_gap(w).value == pytest.approx(0.12)  # type: ignore[union-attr]
    assert mb.back_line_medians(w)["dowel_head_gap_signed"] == pytest.approx(-0.12)


def test_back_line_says_why_it_cannot_judge() -> None:
    bow = np.where(DEEP, 0.05, 0.0)
    no_lean = ms.RepWindow(series={"hip_flexion_deg": HIP, "dowel_bow": bow}, fps=30.0, bottom=BOTTOM)
    assert isinstance(mb.measure_dowel_bow(no_lean), ms.NotJudged)
    small = _lean_window(dowel_bow=bow, trunk_px=np.full(N, 40.0))
    got = mb.measure_dowel_bow(small)
    assert isinstance(got, ms.NotJudged) and "40 px" in got.reason and got.how_to_film
    few = _lean_window(dowel_bow=np.where(HIP >= 85.0, 0.05, np.nan))
    assert isinstance(mb.measure_dowel_bow(few), ms.NotJudged)
    own = ms.Baseline(deep_lean_deg=60.0, reference=ms.BackReference(dowel_bow=0.04))
    ref = ms.RepWindow(series=_lean_window(dowel_bow=bow).series, fps=30.0, bottom=BOTTOM, baseline=own)
    m = mb.measure_dowel_bow(ref)
    assert isinstance(m, ms.Measured) and m.relative and m.value == pytest.approx(0.01)


def test_knee_to_hip_ratio_and_its_shallow_bend_guard() -> None:
    knee = np.full(N, 45.0)
    # Bottom-phase hip flexion is 78, 84, 90, 84, 78: median 84.
    assert ms.measure_knee_hip_ratio(_window(knee_flexion_deg=knee)).value == pytest.approx(45 / 84)
    shallow = ms.RepWindow(series={"hip_flexion_deg": np.full(N, 25.0), "knee_flexion_deg": knee}, fps=30, bottom=20)
    assert ms.measure_knee_hip_ratio(shallow) is None


def test_held_extremes_ignore_a_one_frame_spike() -> None:
    ext = np.zeros(N)
    ext[10] = 40.0  # one frame: a landmark jump
    ext[35:39] = 12.0  # four frames (0.13 s): a real lean back
    assert ms.measure_lean_back(_window(hip_extension_deg=ext)).value == pytest.approx(12.0)


def test_knee_bend_needs_the_bottom_in_view_and_undoes_oblique_foreshortening() -> None:
    knee = np.where(PHASE, 20.0, 60.0)  # the top of the rep (60) says nothing about the bottom
    w = _window(knee_flexion_deg=knee)
    assert ms.measure_knee_bend(w).value == pytest.approx(20.0)
    hidden = knee.copy()
    hidden[PHASE] = np.nan  # plates hide the knees at the bottom: no verdict rather than a wrong one
    assert ms.measure_knee_bend(_window(knee_flexion_deg=hidden)) is None
    oblique = ms.RepWindow(series=dict(w.series), fps=30.0, bottom=BOTTOM, yaw_deg=40.0)
    expected = np.degrees(np.arctan(np.tan(np.radians(20.0)) / np.cos(np.radians(40.0))))  # 25.4°
    assert ms.measure_knee_bend(oblique).value == pytest.approx(expected)


def test_top_of_the_rep_is_not_judged_when_the_clip_cuts_it_off() -> None:
    w = _window()
    assert ms.measure_top_hip_flexion(w).value == pytest.approx(0.0)
    cut = ms.RepWindow(series=dict(w.series), fps=30.0, bottom=BOTTOM, cut_end=True)
    assert ms.measure_top_hip_flexion(cut) is None
    short = ms.RepWindow(series={"hip_flexion_deg": np.maximum(HIP, 25.0)}, fps=30.0, bottom=BOTTOM)
    assert ms.measure_top_hip_flexion(short).value == pytest.approx(25.0)
    assert w.n == N


def test_hips_first_measures_the_trunk_tipping_while_the_knees_extend() -> None:
    # Knees extend linearly 70 → 0 over frames 10..30; the trunk tips from 50° to 65° by frame 20 (half the knee
    # extension), then rises. The measure is the tip during the first half: 15°.
    n = 41
    t = np.arange(n, dtype=float)
    knee = np.clip(70 - 3.5 * (t - 10), 0, 70)
    trunk = np.where(t <= 20, 50 + 1.5 * np.clip(t - 10, 0, None), 65 - 3.0 * (t - 20))
    w = ms.RepWindow(series={"hip_flexion_deg": 100 - t, "knee_flexion_deg": knee, "trunk_incline_deg": trunk},
                    fps=30.0, bottom=0)  # fmt: skip
    m = ms.measure_hips_first(w)
    assert m.value == pytest.approx(15.0) and m.frame == 20
    flat = ms.RepWindow(series={**w.series, "knee_flexion_deg": np.full(n, 10.0)}, fps=30.0, bottom=0)
    assert ms.measure_hips_first(flat) is None  # knees barely bend: nothing to compare


def test_bar_distance_counts_the_way_down_with_the_hands_below_the_hips() -> None:
    frames = np.arange(N)
    hand = np.where(frames < 5, 2.2, np.where(frames <= BOTTOM + 8, 0.8, 1.5))
    # far in front only above the hips and on the way up (more than 0.2 s past the bottom)
    dist = np.where(frames < 5, 3.0, np.where(frames <= BOTTOM + 6, 0.4, 2.0))
    assert ms.measure_bar_distance(_window(hand_height=hand, hand_to_leg=dist)).value == pytest.approx(0.4)


def test_pelvis_tilt_leg_line_and_knee_width() -> None:
    tilt = np.where(np.abs(np.arange(N) - BOTTOM) <= 3, 17.0, 2.0)
    width = np.linspace(1.0, 0.6, N)
    w = _window(pelvis_tilt_deg=tilt, leg_line_deg=np.full(N, 25.0), knee_width_ratio=width)
    assert ms.measure_pelvis_tilt(w).value == pytest.approx(15.0)  # vs the rep's first frame
    based = ms.RepWindow(series=dict(w.series), fps=30.0, bottom=BOTTOM, baseline=ms.Baseline(pelvis_tilt_deg=0.0))
    assert ms.measure_pelvis_tilt(based).value == pytest.approx(17.0)  # vs the lifter's standing hip line
    assert ms.measure_leg_line(w).value == pytest.approx(25.0)
    assert ms.measure_knee_width(w).value == pytest.approx(width[-3])  # the narrowest value held for 0.1 s (3 frames)


def test_missing_series_means_not_judged() -> None:
    w = _window()
    for fn in (ms.measure_knee_bend, ms.measure_bar_distance,
               ms.measure_pelvis_tilt, ms.measure_knee_width, ms.measure_hips_first):  # fmt: skip
        assert fn(w) is None, fn.__name__
    for fn in (mb.measure_dowel_bow, mb.measure_head_gap):
        assert isinstance(fn(w), ms.NotJudged), fn.__name__


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (dr.rounded_back(), dr.ROUNDED_BACK_THRESHOLD - 0.001, None),
        (dr.rounded_back(), dr.ROUNDED_BACK_THRESHOLD + 0.02, "minor"),
        (dr.rounded_back(), dr.ROUNDED_BACK_THRESHOLD + 0.07, "major"),
        (dr.locked_knees(), 12.0, None),
        (dr.locked_knees(), 8.0, "minor"),
        (dr.locked_knees(), 2.0, "major"),
        (dr.locked_knees(45.0, 25.0), 30.0, "minor"),
    ],
)
def test_direction_of_grading(check: dr.Check, value: float, expected: str | None) -> None:
    assert check.grade(value) == expected


def test_back_line_takes_the_deepest_15_frames_when_the_deepest_band_is_brief() -> None:
    """A fast pull holds its deepest 10° for three frames: the median is taken over the 15 deepest (≥ 35°) instead of
    refusing the rep or trusting three noisy contours."""
    d = np.abs(np.arange(N) - BOTTOM)
    bow = np.where(d <= 1, 0.05, np.where(d <= 7, 0.02, 0.0))  # 3 frames at 0.05, the next 12 deepest at 0.02
    w = ms.RepWindow(
        series={"hip_flexion_deg": HIP, "trunk_incline_deg": HIP, "trunk_px": np.full(N, 200.0), "dowel_bow": bow},
        fps=30.0,
        bottom=BOTTOM,
        baseline=ms.Baseline(deep_lean_deg=84.0),  # only d <= 1 leans this far
    )
    m = mb.measure_dowel_bow(w)
    assert isinstance(m, ms.Measured) and m.value == pytest.approx(0.02)
    shallow = ms.RepWindow(series={**w.series, "trunk_incline_deg": HIP * 0.35}, fps=30.0, bottom=BOTTOM,
                           baseline=ms.Baseline(deep_lean_deg=30.0))  # fmt: skip
    assert isinstance(mb.measure_dowel_bow(shallow), ms.NotJudged)  # never below 35° of lean


def test_back_line_top_up_stays_near_the_deepest_lean() -> None:
    """Five frames at the bottom kept their head outline (in line, 0.02); the rest of the bottom lost it. The top-up
    to 15 frames must not come from the way up (here 42–48° of lean, head 0.30 off the line as the lifter looks
    ahead): the rep's head is read on the bottom's five frames, not outvoted by ten frames of another posture."""
    head = np.full(N, np.nan)
    d = np.abs(np.arange(N) - BOTTOM)
    head[d <= 2] = 0.02  # 78–90° of lean
    head[(d >= 7) & (d <= 8)] = 0.30  # 42–48° of lean, both sides of the bottom: 4 frames
    head[(d >= 9) & (d <= 11)] = 0.30  # 24–36°: the 35° floor already keeps most of these out
    w = ms.RepWindow(
        series={"hip_flexion_deg": HIP, "trunk_incline_deg": HIP, "trunk_px": np.full(N, 200.0),
                "dowel_head_gap": head, "hands_to_neck": np.full(N, 1.3)},
        fps=30.0,
        bottom=BOTTOM,
        baseline=ms.Baseline(deep_lean_deg=75.0),
    )  # fmt: skip
    m = mb.measure_head_gap(w)
    assert isinstance(m, ms.Measured) and m.value == pytest.approx(0.02)


def test_standard_error_of_a_median_counts_correlated_frames_once() -> None:
    x = np.tile([0.1, 0.3], 15)  # 30 frames, median 0.2, MAD 0.1
    expected = 1.2533 * 1.4826 * 0.1 / np.sqrt(30 / 3)  # 30 fps: three frames per 0.1 s count as one
    assert mb.median_se(x, 30.0) == pytest.approx(expected)
    assert mb.median_se(x, 10.0) == pytest.approx(1.2533 * 1.4826 * 0.1 / np.sqrt(30))
    assert mb.median_se(np.full(30, 0.2), 30.0) == 0.0
    assert mb.median_se(np.array([0.2]), 30.0) == 0.0


@pytest.mark.parametrize(("spread", "state"), [(0.0, "fault"), (0.005, "fault"), (0.12, "borderline")])
def test_a_head_outline_that_jumps_between_frames_is_too_close_to_call(spread: float, state: str) -> None:
    """Same median head gap (0.20, threshold 0.15, band 0.02): steady frames say fault; frames that jump by ±0.12
    (hair, a prop behind the head) give a standard error that makes it borderline, so a mirrored copy cannot flip it."""
    from hingecoach import judge

    head = np.full(N, 0.5)
    deep = HIP >= 60.0
    head[deep] = 0.20 + spread * np.where(np.arange(N)[deep] % 2 == 0, 1.0, -1.0)
    w = _lean_window(dowel_head_gap=head, hands_to_neck=np.full(N, 1.3))
    m = mb.measure_head_gap(w)
    assert isinstance(m, ms.Measured) and m.value == pytest.approx(0.20, abs=spread + 1e-9)
    check = dr.DRILLS["rdl"].check("head_out_of_line")
    assert check is not None
    assert judge.answer(check, m).state == state


@pytest.mark.parametrize(("hands", "judged"), [(0.39, False), (0.51, False), (0.80, True), (1.3, True)])
def test_hands_at_the_neck_gate_has_room_on_both_sides(hands: float, judged: bool) -> None:
    """A bar held across the shoulders read 0.39 on a clip and 0.51 on its mirrored copy; hands at a bar in front of
    the legs read 0.80 and more. Both copies of the first must leave the head not judged, and the pulls judged."""
    head = np.full(N, 0.5)
    head[DEEP] = 0.30
    m = mb.measure_head_gap(_lean_window(dowel_head_gap=head, hands_to_neck=np.full(N, hands)))
    assert isinstance(m, ms.Measured) is judged


def test_bottom_phase_follows_the_hips_where_the_legs_are_hidden() -> None:
    """Plates hide the knee at a floor pull's set-up: the usable hip angle starts half-way up. The phase must stay
    where the hips bent most (read wherever the trunk is seen), so the knee check says it could not see the bottom
    instead of reading the way up as the bottom."""
    d = np.abs(np.arange(N) - BOTTOM)
    usable_hip = np.where(d <= 4, np.nan, HIP)  # legs hidden on the deepest nine frames
    knee = np.where(d <= 4, np.nan, 5.0)  # the knee straightens on the way up
    w = ms.RepWindow(series={"hip_flexion_deg": usable_hip, "knee_flexion_deg": knee}, fps=30.0, bottom=BOTTOM)
    assert not w.bottom_phase()[BOTTOM]  # without the phase series: the way up passes for the bottom
    assert ms.measure_knee_bend(w) is not None
    seen = ms.RepWindow(series={**w.series, ms.HIP_PHASE: HIP}, fps=30.0, bottom=BOTTOM)
    np.testing.assert_array_equal(seen.bottom_phase(), PHASE)
    assert ms.measure_knee_bend(seen) is None  # no knee on the bottom's frames: not judged


@pytest.mark.parametrize(("bend", "state"), [(112.0, "clean"), (9.0, None)])
def test_a_knee_seen_on_part_of_the_bottom_bounds_the_answer(bend: float, state: str | None) -> None:
    """The knee seen on 6 of the bottom's 13 frames, not at the bottom itself: a bend of 112° there rules out locked
    knees whatever the hidden frames did; a straight 9° could be the way up, so it is not judged (not a fault)."""
    from hingecoach import judge

    d = np.abs(np.arange(N) - BOTTOM)
    hip = np.where(d <= 6, 90.0, HIP)  # a set-up held 13 frames
    knee = np.where((d >= 4) & (d <= 6), bend, np.nan)
    w = ms.RepWindow(series={"hip_flexion_deg": hip, "knee_flexion_deg": knee}, fps=30.0, bottom=BOTTOM)
    m = ms.measure_knee_bend(w)
    assert isinstance(m, ms.Measured) and m.bound == "at_least" and m.value == pytest.approx(bend)
    check = dr.DRILLS["deadlift"].check("locked_knees")
    assert check is not None and check.direction == "below"
    assert judge._bound_decides(check, m.bound, judge.answer(check, m).state) is (state is not None)
    if state is not None:
        assert judge.answer(check, m).state == state
    rb = dr.DRILLS["deadlift"].check("rounded_back")
    assert rb is not None

    def decides(value: float, bound: str) -> bool:
        return judge._bound_decides(rb, bound, judge.answer(rb, ms.Measured(value, 0)).state)

    assert decides(0.3, "at_least")  # a lower bound past a fault-above threshold
    assert not decides(0.0, "at_least")
    assert decides(0.0, "at_most")


@pytest.mark.parametrize(
    ("hands", "elbow", "judged"),
    [(0.39, 0.17, False), (0.51, 0.09, False), (0.39, -0.2, True), (1.3, 0.17, True), (1.3, -0.5, True)],
)
def test_rounded_back_is_not_judged_where_the_arms_lie_along_the_upper_back(
    hands: float, elbow: float, judged: bool
) -> None:
    """A good morning with the bar on the back (hands at the shoulders, an elbow behind the trunk: +0.17 on the dev
    clip, +0.09 on its mirrored copy) shows the arm where the shoulders' drop is read: not judged, with how to film.
    Hands at the neck with the elbows in front of the trunk, or an elbow behind it with the hands away from the
    neck, are judged as usual."""
    drop = np.where(DEEP, 0.20, 0.0)
    w = _lean_window(dowel_shoulder_drop=drop, hands_to_neck=np.full(N, hands), elbow_behind_trunk=np.full(N, elbow))
    m = dr.DRILLS["good_morning"].check("rounded_back").fn(w)  # type: ignore[union-attr]
    assert isinstance(m, ms.Measured) is judged
    if not judged:
        assert isinstance(m, ms.NotJudged) and "arms lie along the upper back" in m.reason and m.how_to_film
    else:
        assert isinstance(m, ms.Measured) and m.value == pytest.approx(0.20)


def test_a_good_morning_with_the_bar_on_the_back_says_why_its_back_is_not_judged() -> None:
    """End to end on synthetic lifters seen from the side: the same rounded good morning (70° of trunk rounding) is
    flagged when the hands hold a stick behind the neck (elbows raised beside the head), and not judged — with the
    reason and how to film — when the bar sits on the upper back with the elbows back along it."""
    from hingecoach.analysis import analyze_track
    from hingecoach.devtools import synth

    side = synth.CameraSpec(facing="right")

    def rounded_answers(arms: str) -> list[Any]:
        spec = synth.HingeSpec(reps=3, trunk_round_deg=70.0, arms=arms)  # type: ignore[arg-type]
        res = analyze_track(synth.generate(spec, side, back_profile_k=21).track, drill="good_morning")
        return [c for r in res.analysis.reps for c in r.checks if c.code == "rounded_back"]

    assert [c.state for c in rounded_answers("dowel")] == ["fault"] * 3
    answers = rounded_answers("shoulders")
    assert [c.state for c in answers] == ["not_judged"] * 3
    assert all("arms lie along the upper back" in (c.reason or "") and c.how_to_film for c in answers)
    # The synthetic rounding curls the upper back: the lower back below the arms held, which cannot clear the check.
    assert all("what could be read held (dowel_lumbar_bow" in (c.reason or "") for c in answers)


@pytest.mark.parametrize(("lumbar", "state"), [(0.0, "not_judged"), (0.02, "not_judged"), (0.06, "fault")])
def test_a_lower_back_rounding_under_a_bar_on_the_shoulders_is_found(lumbar: float, state: str) -> None:
    """Under a bar on the shoulders the rounded-back check reads the lower back below the arms: a lumbar spine that
    rises 0.06 trunk lengths above a stick on the tailbone and the back below the shoulder blades is a fault (the
    article's warning for the good morning); a flat or barely bowed one (0.02: borderline at most) cannot clear the
    upper back the arms hide, so the check stays not judged. With the stick held behind the neck (elbows up) the
    shoulders' own reading is used as before."""
    from dataclasses import replace

    from hingecoach.analysis import analyze_track
    from hingecoach.backline import DORSAL_U
    from hingecoach.devtools import synth

    def with_lumbar(arms: str) -> Any:
        res = synth.generate(synth.HingeSpec(reps=3, arms=arms), synth.CameraSpec(facing="right"))  # type: ignore[arg-type]
        u = DORSAL_U
        flat = np.where(u > 1.55, np.nan, 0.18)
        # The lumbar spine bowing out between the sacrum and the thoracolumbar junction (u 0.05-0.40), peak mid-way.
        bump = lumbar * np.clip(np.sin(np.pi * (u - 0.05) / 0.35), 0.0, None) * ((u > 0.05) & (u < 0.40))
        prof = np.tile(flat, (res.track.n_frames, 1))
        hip = res.angles["hip_flexion_deg"]
        prof[hip > 0.6 * np.nanmax(hip)] = flat + bump
        track = replace(res.track, back_profile=prof)
        return [c for r in analyze_track(track, drill="good_morning").analysis.reps for c in r.checks
                if c.code == "rounded_back"]  # fmt: skip

    under_bar = with_lumbar("shoulders")
    assert [c.state for c in under_bar] == [state] * 3
    if state == "fault":
        assert all(c.quantity == "dowel_lumbar_bow" and c.threshold == 0.03 for c in under_bar)
        assert all(abs((c.value or 0) - lumbar) < 0.01 for c in under_bar)
    held = with_lumbar("dowel")
    assert all(c.quantity == "dowel_shoulder_drop" for c in held)

