"""HTML report building blocks: metric labels and formats, table selection, ordering, escaping, links."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hingecoach.report.html import (
    HEADLINE_METRICS,
    format_value,
    metric_column,
    render_report,
    render_report_html,
    report_context,
    score_class,
)
from hingecoach.report.inputs import ReportInputs
from hingecoach.schema import Analysis, Fault, Rep, Source, Summary

N = 40


def _inputs(metrics: dict[str, float | None], faults: list[Fault], cues: list[str]) -> ReportInputs:
    rep = Rep(
        index=1,
        start_s=0.1,
        bottom_s=1.0,
        end_s=2.0,
        start_frame=1,
        bottom_frame=10,
        end_frame=20,
        descent_s=0.9,
        ascent_s=1.0,
        metrics=metrics,
        faults=faults,
        score=64,
    )
    counts: dict[str, int] = {}
    for f in faults:
        counts[f.code] = counts.get(f.code, 0) + 1
    analysis = Analysis(
        source=Source(path="/data/clip.mp4", fps=10.0, frame_count=N, width=64, height=48, duration_s=N / 10),
        drill="rdl",
        camera_view="side",
        pose_coverage=0.9,
        reps=[rep],
        summary=Summary(rep_count=1, fault_counts=counts, score=64, cues=cues),
    )
    return ReportInputs(analysis=analysis, t_s=np.arange(N) / 10.0, series={"hip_flexion_deg": np.linspace(0, 80, N)})


def test_metric_names_become_labels_with_units() -> None:
    assert (metric_column("hip_flexion_max_deg").label, metric_column("hip_flexion_max_deg").unit) == (
        "Hip flexion max",
        "°",
    )
    assert (metric_column("back_bulge").label, metric_column("back_bulge").unit) == ("Back bulge", "")
    assert metric_column("descent_s").unit == "s" and metric_column("descent_s").label == "Descent"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(80.4, "°", "80°"), (1.234, "s", "1.23 s"), (0.256, "", "0.26"), (None, "°", "—"), (float("nan"), "", "—")],
)
def test_values_are_formatted_for_a_table(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def test_score_classes() -> None:
    assert [score_class(s) for s in (100, 80, 79, 60, 59, 0, None)] == [
        "good",
        "good",
        "fair",
        "fair",
        "poor",
        "poor",
        "none",
    ]


def test_rep_table_shows_headline_metrics_and_keeps_the_rest_for_all_measurements() -> None:
    names = [*HEADLINE_METRICS, "hand_height_min", "head_offset_bottom", "reliable_share"]
    ctx = report_context(_inputs(dict.fromkeys(names, 1.0), [], []))
    assert [c.key for c in ctx["columns"]] == list(HEADLINE_METRICS[:4])
    assert len(ctx["all_metrics"]) == len(names)
    few = report_context(_inputs({"tempo_ratio": 0.5, "depth_hand_height": 1.0}, [], []))
    assert [c.key for c in few["columns"]] == ["depth_hand_height", "tempo_ratio"] and few["all_columns"] == []


def test_fault_summary_orders_ties_by_first_occurrence() -> None:
    faults = [
        Fault(code="z_first", severity="minor", at_s=0.5, cue="a"),
        Fault(code="a_second", severity="minor", at_s=1.5, cue="b"),
    ]
    ctx = report_context(_inputs({}, faults, ["a", "b"]))
    assert [f["code"] for f in ctx["fault_counts"]] == ["z_first", "a_second"]


def test_user_text_is_escaped() -> None:
    cue = "Keep <b>the</b> stick & <script>alert(1)</script> on"
    html = render_report_html(_inputs({}, [Fault(code="x", severity="major", at_s=1.0, cue=cue)], [cue]))
    assert "<script>alert(1)</script>" not in html
    assert "Keep &lt;b&gt;the&lt;/b&gt; stick &amp; &lt;script&gt;" in html


def test_overlay_link_is_relative_to_the_report(tmp_path: Path) -> None:
    (tmp_path / "videos").mkdir()
    video = tmp_path / "videos" / "overlay.mp4"
    video.write_bytes(b"")
    path = render_report(_inputs({}, [], []), tmp_path / "report" / "r.html", overlay_path=video)
    html = path.read_text()
    assert 'src="../videos/overlay.mp4"' in html and "clip.mp4" in html
    assert list((tmp_path / "report").iterdir()) == [path]


def test_a_rep_without_faults_says_which_checks_were_too_close_to_call_or_not_judged() -> None:
    """ "Clean" only when every check answered clean; a borderline check gets an amber chip with its reason, and the
    checks not judged one grey chip whose tooltip says why and how to film."""
    from dataclasses import replace

    from hingecoach.schema import CheckResult

    inputs = _inputs({}, [], [])
    clean_html = render_report_html(inputs)
    assert 'class="chip clean">clean<' in clean_html
    checks = [
        CheckResult(code="rounded_back", state="borderline", value=0.084, threshold=0.08, band=0.01,
                    reason="0.084 is within ±0.01 of the threshold 0.08: too close to call"),
        CheckResult(code="head_out_of_line", state="not_judged", reason="the head is hidden",
                    how_to_film="film side-on with the whole body in view"),
        CheckResult(code="locked_knees", state="clean", value=20.0, threshold=10.0),
    ]  # fmt: skip
    rep = inputs.analysis.reps[0].model_copy(update={"checks": checks})
    analysis = inputs.analysis.model_copy(update={"reps": [rep]})
    html = render_report_html(replace(inputs, analysis=analysis))
    assert 'class="chip clean"' not in html
    assert "Rounded back: too close to call" in html and "0.084 is within ±0.01" in html
    assert "not judged: head out of line" in html
    assert "the head is hidden — film side-on with the whole body in view" in html
    only_unjudged = inputs.analysis.model_copy(update={"reps": [rep.model_copy(update={"checks": checks[1:]})]})
    html2 = render_report_html(replace(inputs, analysis=only_unjudged))
    assert 'class="chip clean">no fault found<' in html2 and "too close to call" not in html2
