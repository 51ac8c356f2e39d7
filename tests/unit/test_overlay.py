"""Overlay annotators and the per-frame timelines they draw from, on synthetic frames with known answers."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hingecoach.report import _text
from hingecoach.report.annotators import (
    AMBER,
    GREEN,
    GREY,
    RED,
    BackLineAnnotator,
    CueAnnotator,
    HudAnnotator,
    SkeletonAnnotator,
)
from hingecoach.report.inputs import (
    BACK_BREAKS,
    BACK_HOLDS,
    BACK_NEAR,
    BACK_UNKNOWN,
    ReportInputs,
    best_and_worst,
    key_frame_targets,
)
from hingecoach.report.video_sink import even_size, fps_fraction, output_size
from hingecoach.schema import Analysis, Fault, Rep, Source, Summary
from hingecoach.skeleton import INDEX, N_LANDMARKS

FPS = 10.0


def _fault(code: str, at_s: float, severity: str = "minor") -> Fault:
    return Fault(code=code, severity=severity, at_s=at_s, cue=f"cue for {code}")  # type: ignore[arg-type]


def _rep(index: int, s: int, b: int, e: int, score: int, faults: list[Fault] | None = None, **kw: bool) -> Rep:
    return Rep(
        index=index,
        start_s=s / FPS,
        bottom_s=b / FPS,
        end_s=e / FPS,
        start_frame=s,
        bottom_frame=b,
        end_frame=e,
        descent_s=(b - s) / FPS,
        ascent_s=(e - b) / FPS,
        metrics={},
        faults=faults or [],
        score=score,
        **kw,
    )


def _analysis(reps: list[Rep], n: int) -> Analysis:
    return Analysis(
        source=Source(path="x.mp4", fps=FPS, frame_count=n, width=64, height=48, duration_s=n / FPS),
        drill="rdl",
        camera_view="side",
        pose_coverage=1.0,
        reps=reps,
        summary=Summary(rep_count=len(reps), fault_counts={}, score=None, cues=[]),
    )


def _inputs(**kw: object) -> ReportInputs:
    n = 60
    reps = [
        _rep(1, 5, 12, 20, 90),
        _rep(2, 25, 32, 40, 40, [_fault("late", 3.3), _fault("early_major", 3.5, "major")]),
        _rep(3, 45, 50, 55, 70),
    ]
    return ReportInputs(analysis=_analysis(reps, n), t_s=np.arange(n) / FPS, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- video sink helpers
def test_fps_fraction_keeps_ntsc_rates_exact() -> None:
    assert fps_fraction(29.97002997) == Fraction(30000, 1001)
    assert fps_fraction(59.94) == Fraction(60000, 1001)
    assert fps_fraction(23.976) == Fraction(24000, 1001)
    assert fps_fraction(25.0) == Fraction(25)
    assert fps_fraction(12.5) == Fraction(25, 2)
    with pytest.raises(ValueError, match="positive"):
        fps_fraction(0.0)


def test_output_size_downscales_to_even_dimensions() -> None:
    assert output_size(1920, 1080, None) == (1920, 1080)
    assert output_size(1920, 1080, 960) == (960, 540)
    assert output_size(1080, 1920, 640) == (360, 640)
    w, h = output_size(1001, 333, 500)
    assert w % 2 == 0 and h % 2 == 0 and w == 500
    assert output_size(640, 480, 1000) == (640, 480)
    assert even_size(641, 481) == (642, 482)


# ---------------------------------------------------------------------------------------------- per-frame timelines
def test_rep_counter_and_rep_number_follow_rep_frames() -> None:
    inp = _inputs()
    done = inp.reps_done()
    assert done[19] == 0 and done[20] == 1 and done[39] == 1 and done[40] == 2 and done[-1] == 3
    num = inp.rep_number()
    assert num[4] == 0 and num[5] == 1 and num[20] == 1 and num[21] == 0 and num[32] == 2 and num[55] == 3


def test_fault_cues_show_within_one_second_and_major_first() -> None:
    inp = _inputs()
    win = inp.fault_windows()
    # faults sorted by time: "late" at 3.3 s then "early_major" at 3.5 s; ±1 s at 10 fps = frames 23..43 and 25..45.
    assert np.flatnonzero(win[0]).tolist() == list(range(23, 44))
    assert np.flatnonzero(win[1]).tolist() == list(range(25, 46))
    cues = inp.active_cues()
    assert cues[22] == ()
    assert cues[23] == ("cue for late",)
    assert cues[34] == ("cue for early_major", "cue for late")  # major first, although later in time
    assert cues[45] == ("cue for early_major",)
    assert cues[46] == ()
    assert inp.active_cues(max_cues=1)[34] == ("cue for early_major",)


def test_back_state_from_threshold_mask_and_judged() -> None:
    n = 60
    dev = np.full(n, 0.02)
    dev[10:15] = 0.09
    dev[40:42] = np.nan
    st = _inputs(back_deviation=dev, back_threshold=0.06).back_state()
    assert (st[10:15] == BACK_BREAKS).all() and (st[40:42] == BACK_UNKNOWN).all()
    assert (st[:10] == BACK_HOLDS).all() and (st[15:40] == BACK_HOLDS).all()
    ok = np.ones(n, bool)
    ok[3] = False
    judged = np.ones(n, bool)
    judged[50:] = False
    st2 = _inputs(back_ok=ok, back_judged=judged, back_deviation=dev, back_threshold=0.06).back_state()
    assert st2[3] == BACK_BREAKS and st2[10] == BACK_HOLDS  # an explicit mask wins over the threshold
    assert (st2[50:] == BACK_UNKNOWN).all()
    assert (_inputs().back_state() == BACK_UNKNOWN).all()


def test_inputs_reject_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="series 'hip_flexion_deg' has shape"):
        _inputs(series={"hip_flexion_deg": np.zeros(5)})
    with pytest.raises(ValueError, match="phases has shape"):
        _inputs(phases=np.zeros(3, np.int8))


def test_key_frames_are_bottoms_of_best_and_worst_rep() -> None:
    inp = _inputs()
    best, worst = best_and_worst(inp.analysis)
    assert best is not None and worst is not None and (best.index, worst.index) == (1, 2)
    targets = key_frame_targets(inp)
    assert sorted(targets.values()) == [12, 32]
    assert any("Best rep" in k and "rep 1" in k for k in targets)
    one = ReportInputs(analysis=_analysis([_rep(1, 0, 5, 9, 80)], 10), t_s=np.arange(10) / FPS)
    assert list(key_frame_targets(one).values()) == [5]
    unjudged = _analysis([_rep(1, 0, 5, 9, 80, judged=False)], 10)
    assert best_and_worst(unjudged) == (None, None)


# ---------------------------------------------------------------------------------------------- annotators
def _color_share(pixels: np.ndarray, color: tuple[int, int, int], tol: int = 40) -> float:
    return float((np.abs(pixels.astype(int) - np.array(color)).max(axis=-1) <= tol).mean())


@pytest.mark.parametrize(("state", "color"), [(BACK_HOLDS, GREEN), (BACK_BREAKS, RED), (BACK_UNKNOWN, GREY)])
def test_back_line_is_drawn_in_the_state_colour(state: int, color: tuple[int, int, int]) -> None:
    frame = np.full((540, 540, 3), 255, np.uint8)
    pts = np.array([[100.0, 100.0], [200.0, 150.0], [420.0, 300.0]])
    BackLineAnnotator().annotate(frame, pts, state)
    # Sample the middle of both segments (away from the contact dots).
    samples = np.array([frame[125, 150], frame[225, 310]])
    assert _color_share(samples, color) == 1.0
    assert frame[500, 500].tolist() == [255, 255, 255]


def test_back_line_skips_missing_points() -> None:
    frame = np.zeros((100, 100, 3), np.uint8)
    pts = np.array([[10.0, 10.0], [np.nan, np.nan], [90.0, 90.0]])
    BackLineAnnotator().annotate(frame, pts, BACK_HOLDS)
    assert not frame.any()


def test_skeleton_draws_only_visible_landmarks() -> None:
    frame = np.zeros((400, 400, 3), np.uint8)
    xy = np.full((N_LANDMARKS, 2), np.nan)
    xy[INDEX["left_hip"]] = (100, 100)
    xy[INDEX["left_knee"]] = (100, 300)
    xy[INDEX["right_hip"]] = (300, 100)
    xy[INDEX["right_knee"]] = (300, 300)
    vis = np.zeros(N_LANDMARKS)
    vis[[INDEX["left_hip"], INDEX["left_knee"]]] = 0.9
    vis[[INDEX["right_hip"], INDEX["right_knee"]]] = 0.2  # below min_visibility: not drawn
    SkeletonAnnotator(min_visibility=0.5).annotate(frame, xy, vis, near_side="left")
    assert frame[200, 100].min() > 200  # the visible thigh, bright (near side)
    assert not frame[200, 300].any()
    assert not frame[:, 200:].any()


def _drawn_box(frame: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(frame.any(axis=-1))
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def test_hud_panel_does_not_change_size_between_frames() -> None:
    boxes = []
    for state, hip in ((BACK_HOLDS, 5.0), (BACK_BREAKS, 123.0), (BACK_UNKNOWN, float("nan"))):
        frame = np.zeros((720, 1280, 3), np.uint8)
        HudAnnotator().annotate(
            frame,
            reps_done=2,
            reps_total=5,
            phase="descent",
            hip_deg=hip,
            knee_deg=20.0,
            back_state=state,
            back_color=GREEN,
        )
        boxes.append(_drawn_box(frame))
    assert boxes[0] == boxes[1] == boxes[2]
    _, _, x1, y1 = boxes[0]
    assert x1 < 1280 // 2 and y1 < 720 // 2  # a corner panel, not a banner


def test_cue_banner_wraps_inside_the_frame() -> None:
    frame = np.zeros((360, 480, 3), np.uint8)
    cue = "Keep the stick on all three points: back of the head, between the shoulder blades, and the tailbone."
    CueAnnotator().annotate(frame, [cue])
    x0, y0, x1, y1 = _drawn_box(frame)
    assert x0 > 0 and x1 < 479 and y1 < 359 and y0 > 360 // 2
    assert len(_text.wrap(cue, 18, 400, bold=True)) >= 2
    untouched = np.zeros_like(frame)
    CueAnnotator().annotate(untouched, [])
    assert not untouched.any()


def test_text_labels_are_cached_and_blend_inside_bounds() -> None:
    a = _text.label("hip 63°", 20, (255, 255, 255), (90, 90, 90, 255), bold=True, pad_px=4)
    assert _text.label("hip 63°", 20, (255, 255, 255), (90, 90, 90, 255), bold=True, pad_px=4) is a
    wide = _text.label("hip 63° knee 21°", 20, (255, 255, 255))
    assert _text.size(wide)[0] > _text.size(_text.label("hip 63°", 20, (255, 255, 255)))[0]
    frame = np.zeros((30, 30, 3), np.uint8)
    _text.blit(frame, a, 20, 20)  # mostly outside: clipped, no error
    assert frame[25, 25].any() and not frame[5, 5].any()


def _hump_track(hump: float) -> tuple[object, object]:
    """A clean synthetic RDL seen from the side whose silhouette curls over on its deep frames: from u = 0.7 up the
    back falls away below the stick, by ``hump`` at the shoulder line (a rounded upper back)."""
    from dataclasses import replace

    from hingecoach.backline import DORSAL_U
    from hingecoach.devtools import synth

    res = synth.generate(synth.HingeSpec(reps=1), synth.CameraSpec(facing="right", image_wh=(640, 480)))
    u = DORSAL_U
    base = np.where(u > 1.55, np.nan, 0.18)
    bumped = base - hump * np.clip((u - 0.70) / 0.30, 0.0, None)
    prof = np.tile(base, (res.track.n_frames, 1))
    hip = res.angles["hip_flexion_deg"]
    prof[hip > 0.6 * np.nanmax(hip)] = bumped
    return res, replace(res.track, back_profile=prof)


@pytest.mark.parametrize(("hump", "colour"), [(0.0, GREEN), (0.2, RED)])
def test_the_virtual_dowel_is_drawn_where_it_touches_and_lifts(hump: float, colour: tuple[int, int, int]) -> None:
    """The overlay draws the same dowel the check measured: green contacts on a flat back, red over a hump."""
    from hingecoach.analysis import analyze_track
    from hingecoach.report.overlay import OverlayPainter

    res, track = _hump_track(hump)
    result = analyze_track(track, drill="rdl")  # type: ignore[arg-type]
    inputs = ReportInputs.from_result(result)
    painter = OverlayPainter(inputs, track)  # type: ignore[arg-type]
    bottom = res.reps[0].bottom  # type: ignore[attr-defined]
    assert painter.has_dowel[bottom]
    frame = np.zeros((480, 640, 3), np.uint8)
    painter.paint(frame, bottom)
    hump_point = painter.dowel_points[bottom, 1]
    x, y = np.round(hump_point).astype(int)
    patch = frame[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3)
    assert (np.abs(patch.astype(int) - np.array(colour)).sum(axis=1) < 40).any()
    codes = {f.code for r in result.analysis.reps for f in r.faults}
    assert ("rounded_back" in codes) is (hump > 0)


def test_a_rep_too_close_to_call_is_drawn_amber_where_the_stick_lifts() -> None:
    """A borderline rounded back is neither red nor green: the stick and the upper-back contact (where the stick
    lifts) are amber, the head's contact keeps its own reading's colour, and the panel says "too close to call"."""
    from dataclasses import replace as dc_replace

    from hingecoach.analysis import analyze_track
    from hingecoach.backline_frames import LINE_HOLDS, LINE_NEAR, BackLine
    from hingecoach.report.overlay import OverlayPainter

    res, track = _hump_track(0.2)
    inputs = ReportInputs.from_result(analyze_track(track, drill="rdl"))  # type: ignore[arg-type]
    assert inputs.back_line is not None
    bottom = res.reps[0].bottom  # type: ignore[attr-defined]
    assert inputs.back_line.bow[bottom] == BACK_BREAKS  # the analysis itself: a fault, drawn red
    bow = np.where(inputs.back_line.bow == BACK_BREAKS, LINE_NEAR, inputs.back_line.bow).astype(np.int8)
    head = np.full(bow.shape, LINE_HOLDS, dtype=np.int8)
    painter = OverlayPainter(dc_replace(inputs, back_line=BackLine(bow, head)), track)  # type: ignore[arg-type]
    assert painter.back_state[bottom] == BACK_NEAR
    frame = np.zeros((480, 640, 3), np.uint8)
    painter.paint(frame, bottom)

    def colour_at(point: np.ndarray) -> np.ndarray:
        x, y = np.round(point).astype(int)
        return frame[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3).astype(int)

    assert (np.abs(colour_at(painter.dowel_points[bottom, 1]) - np.array(AMBER)).sum(axis=1) < 40).any()
    assert (np.abs(colour_at(painter.dowel_points[bottom, 2]) - np.array(GREEN)).sum(axis=1) < 40).any()
    ends = painter.dowel_ends[bottom]
    mid = ends[0] + 0.15 * (ends[1] - ends[0])  # on the stick, away from the contacts
    assert (np.abs(colour_at(mid) - np.array(AMBER)).sum(axis=1) < 40).any()


@pytest.mark.parametrize(("lumbar", "colour"), [(0.06, RED), (0.0, None)])
def test_under_a_bar_on_the_shoulders_the_lower_back_stick_is_drawn(
    lumbar: float, colour: tuple[int, int, int] | None
) -> None:
    """A good morning with the bar on the upper back (elbows back along it): the rounded back is read from the lower
    back's own stick, so that short stick is drawn — from the sacrum to below the shoulder blades, not along the
    arms — with a red dot where a lumbar bow of 0.06 trunk lengths rises above it. A flat lower back cannot clear
    the upper back the arms hide, so its frames stay not judged (no stick drawn on them). With a stick behind the
    neck (elbows up) the full dowel is drawn as before."""
    from dataclasses import replace

    from hingecoach.analysis import analyze_track
    from hingecoach.backline import DORSAL_U
    from hingecoach.devtools import synth
    from hingecoach.report.overlay import OverlayPainter
    from hingecoach.skeleton import sided

    def painted(arms: str) -> tuple[object, OverlayPainter]:
        cam = synth.CameraSpec(facing="right", image_wh=(640, 480))
        res = synth.generate(synth.HingeSpec(reps=1, arms=arms), cam)  # type: ignore[arg-type]
        u = DORSAL_U
        flat = np.where(u > 1.55, np.nan, 0.18)
        bump = lumbar * np.clip(np.sin(np.pi * (u - 0.05) / 0.35), 0.0, None) * ((u > 0.05) & (u < 0.40))
        prof = np.tile(flat, (res.track.n_frames, 1))
        hip = res.angles["hip_flexion_deg"]
        prof[hip > 0.6 * np.nanmax(hip)] = flat + bump
        track = replace(res.track, back_profile=prof)
        inputs = ReportInputs.from_result(analyze_track(track, drill="good_morning"))
        return res, OverlayPainter(inputs, track)  # type: ignore[arg-type]

    res, painter = painted("shoulders")
    bottom = res.reps[0].bottom  # type: ignore[attr-defined]
    hip_px = painter.xy[bottom, sided(painter.side, "hip")]
    trunk = float(np.hypot(*(painter.xy[bottom, sided(painter.side, "shoulder")] - hip_px)))
    if colour is None:
        assert not painter.has_dowel[bottom]
        return
    assert painter.has_dowel[bottom]
    ends = painter.dowel_ends[bottom]
    # the stick's upper end lies just past the lower region (u 0.5 + 0.1), far short of the shoulders (u 1)
    reach = max(float(np.hypot(*(e - hip_px))) for e in ends)
    assert 0.45 * trunk < reach < 0.8 * trunk
    assert not np.isfinite(painter.dowel_points[bottom, 2]).any()  # no head contact with the hands at the neck
    frame = np.zeros((480, 640, 3), np.uint8)
    painter.paint(frame, bottom)
    x, y = np.round(painter.dowel_points[bottom, 1]).astype(int)
    patch = frame[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3).astype(int)
    assert (np.abs(patch - np.array(colour)).sum(axis=1) < 40).any()
    _, held = painted("dowel")
    full = max(float(np.hypot(*(e - held.xy[bottom, sided(held.side, "hip")]))) for e in held.dowel_ends[bottom])
    assert full > 1.2 * trunk  # the whole dowel, tailbone past the head
