"""The HTML report as a user sees it, in real headless Chromium: numbers, rows, cues, plot, stills, video."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from chromium_helper import Chromium

from hingecoach.devtools.render_figure import write_figure_video
from hingecoach.devtools.synth import CameraSpec, HingeSpec, SynthResult, generate
from hingecoach.report import OutputFiles, ReportInputs, write_all
from hingecoach.schema import Analysis, Fault, Rep, Source, Summary, Warning

FPS = 30000 / 1001
BACK_CUE = "Keep the stick on all three points: back of the head, between the shoulder blades, tailbone."
KNEE_CUE = "Unlock your knees a little more, then push the hips back."
WARNING = "Loose clothing can hide a rounded back; a fitted top lets the back-line check work."


def build_inputs(res: SynthResult) -> ReportInputs:
    """Two reps: rep 1 clean (score 92), rep 2 with a major back fault and a minor knee fault (score 41)."""
    t = res.track.t_s
    reps = []
    for k, r in enumerate(res.reps, start=1):
        faults = []
        if k == 2:
            faults = [
                Fault(code="rounded_back", severity="major", at_s=float(t[r.bottom]), cue=BACK_CUE, value=0.1),
                Fault(code="locked_knees", severity="minor", at_s=float(t[r.bottom + 3]), cue=KNEE_CUE, value=4.0),
            ]
        reps.append(
            Rep(
                index=k,
                start_s=float(t[r.start]),
                bottom_s=float(t[r.bottom]),
                end_s=float(t[r.end]),
                start_frame=r.start,
                bottom_frame=r.bottom,
                end_frame=r.end,
                descent_s=float(t[r.bottom] - t[r.start]),
                ascent_s=float(t[r.end] - t[r.bottom]),
                faults=faults,
                score=41 if faults else 92,
                metrics={
                    "hip_flexion_max_deg": float(res.angles["hip_flexion_deg"][r.bottom]),
                    "knee_flexion_at_bottom_deg": float(res.angles["knee_flexion_deg"][r.bottom]),
                },
            )
        )
    tr = res.track
    analysis = Analysis(
        source=Source(
            path="/videos/figure.mp4",
            fps=tr.fps,
            frame_count=tr.n_frames,
            width=tr.image_wh[0],
            height=tr.image_wh[1],
            duration_s=tr.duration_s,
        ),
        drill="hinge_dowel",
        camera_view="side",
        facing="right",
        pose_coverage=1.0,
        reps=reps,
        summary=Summary(
            rep_count=2,
            fault_counts={"rounded_back": 1, "locked_knees": 1},
            score=67,
            cues=[BACK_CUE, KNEE_CUE],
            next_drill="hinge_kneeling",
        ),
        warnings=[Warning(code="loose_clothing", message=WARNING)],
    )
    dev = np.full(tr.n_frames, 0.03)
    b2 = res.reps[1].bottom
    dev[b2 - 6 : b2 + 7] = 0.09
    return ReportInputs(
        analysis=analysis,
        t_s=tr.t_s,
        series={k: res.angles[k] for k in ("hip_flexion_deg", "knee_flexion_deg")},
        phases=res.phases,
        back_deviation=dev,
        back_threshold=0.06,
        back_label="Back bulge",
        side=res.side,
        track=tr,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[OutputFiles, SynthResult]:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    res = generate(
        HingeSpec(reps=2, descent_s=0.8, ascent_s=0.7), CameraSpec(facing="right", image_wh=(480, 360), fps=FPS)
    )
    root = tmp_path_factory.mktemp("report")
    write_figure_video(res.track, root / "figure.mp4")
    return write_all(root / "out", build_inputs(res), video_path=root / "figure.mp4"), res


def _text(dom: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*>(.*?)<', dom, re.S)
    assert m is not None, f"#{element_id} not on the page"
    return m.group(1).strip()


def test_report_content_in_chromium(chromium: Chromium, report: tuple[OutputFiles, SynthResult]) -> None:
    files, _ = report
    probe, dom = chromium.probe(files.report_html)
    assert _text(dom, "rep-count") == "2"
    assert _text(dom, "score") == "67"
    assert _text(dom, "fault-total") == "2"
    assert _text(dom, "drill-name") == "Dowel hip hinge"
    assert _text(dom, "next-drill") == "Kneeling hip hinge"
    assert _text(dom, "camera-view") == "side"
    rows = re.findall(r'<tr class="rep" id="rep-(\d+)">(.*?)</tr>', dom, re.S)
    assert [i for i, _ in rows] == ["1", "2"]
    assert "clean" in rows[0][1] and "92" in rows[0][1] and BACK_CUE not in rows[0][1]
    assert "Rounded back" in rows[1][1] and BACK_CUE in rows[1][1] and KNEE_CUE in rows[1][1] and "41" in rows[1][1]
    assert dom.count(BACK_CUE) >= 2  # in "What to work on" and in the rep-2 row
    assert WARNING in dom
    # The plot is an inline SVG of real size with its labels as text.
    big = [s for s in probe["svgs"] if s["w"] > 600 and s["h"] > 250]
    assert len(big) == 1 and big[0]["texts"] > 10
    assert "Rep 2" in dom and "rounded back" in dom
    # Key frames: both stills decoded by the browser at their encoded size.
    assert len(probe["imgs"]) == 2
    assert all(i["complete"] and (i["w"], i["h"]) == (480, 360) for i in probe["imgs"])
    assert {i["alt"].split(":")[0] for i in probe["imgs"]} == {"Best rep", "Worst rep"}


def test_overlay_video_loads_in_chromium(chromium: Chromium, report: tuple[OutputFiles, SynthResult]) -> None:
    files, res = report
    probe, _ = chromium.probe(files.report_html)
    video = probe["video"]
    assert video is not None and video["error"] is None, video
    assert video["canPlay"] in ("probably", "maybe")
    assert video["readyState"] >= 1 and (video["w"], video["h"]) == (480, 360), video
    assert video["duration"] == pytest.approx(res.track.n_frames / FPS, abs=0.05)


def test_report_is_self_contained(report: tuple[OutputFiles, SynthResult]) -> None:
    html = report[0].report_html.read_text()
    # Nothing fetched from the network: no external scripts, styles, fonts or images.
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "url(http" not in html and "@import" not in html and "<link" not in html and "<script" not in html


def test_screenshot_looks_like_a_report(
    chromium: Chromium, report: tuple[OutputFiles, SynthResult], artifacts: Path
) -> None:
    png = chromium.screenshot(report[0].report_html, artifacts / "report.png", size_wh=(1280, 2000))
    img = cv2.imread(str(png))
    assert img is not None and img.shape == (2000, 1280, 3)
    assert float(img.std()) > 20  # not a blank page
    # The session score (67 → "fair") ring is drawn in the amber "fair" colour #d97706 (BGR 6,119,217).
    amber = (np.abs(img[:400].astype(int) - np.array([6, 119, 217])).max(axis=-1) < 30).sum()
    assert amber > 200
    # The plot's red fault band / threshold is visible somewhere on the page.
    red = (np.abs(img.astype(int) - np.array([68, 68, 239])).max(axis=-1) < 30).sum()
    assert red > 50
