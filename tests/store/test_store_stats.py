"""Session figures (usable range, fault frequency, was the back seen), where the database lives, and the report's
progress section rendered from plain points.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.fixtures.store_data import Clip

from hingecoach import schema
from hingecoach.report.html import report_context
from hingecoach.report.inputs import ReportInputs
from hingecoach.report.progress import ProgressPoint, progress_svg, top_faults
from hingecoach.sessionstats import back_line_neutral, rep_back_judged, session_stats
from hingecoach.store.db import resolve_url


def test_usable_range_is_the_median_rep(clips: dict[str, Clip]) -> None:
    a = clips["clean"].analysis
    values = [80.0, 30.0, 60.0, None]
    reps = [
        r.model_copy(update={"metrics": {**r.metrics, "back_held_to_hip_flexion_deg": v}})
        for r, v in zip(a.reps, values, strict=True)
    ]
    st = session_stats(a.model_copy(update={"reps": reps}))
    assert st.usable_range_deg == 60.0  # median of the three measured reps: a range kept, not the lucky rep


def test_fault_frequency_is_a_share_of_judged_reps(clips: dict[str, Clip]) -> None:
    a = clips["rounded"].analysis
    reps = [a.reps[0].model_copy(update={"judged": False}), *a.reps[1:3], a.reps[3].model_copy(update={"faults": []})]
    st = session_stats(a.model_copy(update={"reps": reps}))
    code = a.reps[1].faults[0].code
    assert st.fault_frequency[code] == pytest.approx(2 / 3, abs=1e-3)
    assert len(st.judged) == 3 and st.rep_count == 4


def test_back_seen_from_checks_when_present_else_from_warnings(clips: dict[str, Clip]) -> None:
    side, front = clips["clean"].analysis, clips["front"].analysis
    assert all(rep_back_judged(side, r) for r in side.reps) and back_line_neutral(session_stats(side))
    assert not any(rep_back_judged(front, r) for r in front.reps)  # "not_judged_rounded_back" warning
    assert not back_line_neutral(session_stats(front))
    # the newer per-check results win over the fallbacks
    nj = schema.CheckResult(code="rounded_back", state="not_judged", reason="mask missing")
    rep = side.reps[0].model_copy(update={"checks": [nj]})
    assert rep_back_judged(side, rep) is False
    ok = schema.CheckResult(code="rounded_back", state="clean", value=0.01, threshold=0.035)
    assert rep_back_judged(front, front.reps[0].model_copy(update={"checks": [ok]})) is True


def test_hip_thrust_has_no_back_line(clips: dict[str, Clip]) -> None:
    a = clips["clean"].analysis.model_copy(update={"drill": "hip_thrust"})
    assert rep_back_judged(a, a.reps[0]) is None


def test_where_the_database_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("HINGECOACH_DB", raising=False)
    assert resolve_url().database == str(tmp_path / "xdg" / "hingecoach" / "history.db")
    monkeypatch.setenv("HINGECOACH_DB", str(tmp_path / "env.db"))
    assert resolve_url().database == str(tmp_path / "env.db")
    assert resolve_url("postgresql://u:p@h:5433/db").drivername == "postgresql+psycopg"  # --db beats the env
    assert resolve_url("~/x.db").database == str(Path.home() / "x.db")


def _points() -> list[ProgressPoint]:
    return [
        ProgressPoint("2026-11-02", "rdl", 40.0, 50, 4, 4, {"rounded_back": 1.0}),
        ProgressPoint("2026-11-09", "rdl", 62.0, 85, 4, 4, {"rounded_back": 0.25, "locked_knees": 0.25}),
        ProgressPoint("2026-11-16", "rdl", 80.0, 100, 3, 4, {}, current=True),
    ]


def test_progress_plot_and_rows() -> None:
    svg = progress_svg(_points())
    assert svg.startswith("<svg") and "Usable range" in svg and "rounded back" in svg
    assert top_faults(_points()) == ["rounded_back", "locked_knees"]
    from hingecoach.analysis import analyze_track
    from hingecoach.devtools.synth import generate

    inputs = ReportInputs.from_result(analyze_track(generate().track, drill="rdl"))
    with_history = report_context(inputs, progress=_points())
    assert with_history["progress_svg"] is not None
    assert [r["usable_range"] for r in with_history["progress_rows"]] == ["40°", "62°", "80°"]
    assert (
        with_history["progress_rows"][2]["current"]
        and with_history["progress_rows"][0]["faults"] == "rounded back 100%"
    )
    assert report_context(inputs)["progress_svg"] is None
