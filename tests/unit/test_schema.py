import json

import pytest
from pydantic import ValidationError

from hingecoach.schema import SCHEMA_ID, Analysis, Fault, Rep, Source, Summary


def _analysis() -> Analysis:
    rep = Rep(
        index=1, start_s=0.5, bottom_s=1.5, end_s=2.6, start_frame=15, bottom_frame=45, end_frame=78,
        descent_s=1.0, ascent_s=1.1, metrics={"hip_flexion_max_deg": 82.0, "knee_flexion_at_bottom_deg": None},
        faults=[Fault(code="rounded_back", severity="major", at_s=1.5, cue="Head, upper back, tailbone on one line.")],
        score=60,
    )
    return Analysis(
        source=Source(path="x.mp4", fps=30.0, frame_count=90, width=640, height=480, duration_s=3.0),
        drill="rdl", camera_view="side", pose_coverage=0.97, reps=[rep],
        summary=Summary(rep_count=1, fault_counts={"rounded_back": 1}, score=60, cues=["Keep your back flat."]),
    )


def test_json_uses_contract_field_names() -> None:
    doc = json.loads(_analysis().to_json())
    assert doc["schema"] == SCHEMA_ID == "hingecoach/analysis@1"
    assert set(doc) >= {"schema", "source", "drill", "camera_view", "pose_coverage", "reps", "summary", "warnings"}
    assert set(doc["source"]) >= {"path", "fps", "frame_count", "width", "height", "duration_s"}
    rep = doc["reps"][0]
    assert {"index", "start_s", "bottom_s", "end_s", "metrics", "faults", "score"} <= set(rep)
    assert set(rep["faults"][0]) >= {"code", "severity", "at_s", "cue"}
    assert set(doc["summary"]) >= {"rep_count", "fault_counts", "score", "cues"}


def test_roundtrip_and_validation() -> None:
    a = _analysis()
    assert Analysis.model_validate_json(a.to_json()) == a
    with pytest.raises(ValidationError):
        Fault(code="x", severity="catastrophic", at_s=0.0, cue="")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Analysis.model_validate({**json.loads(a.to_json()), "camera_view": "top"})
