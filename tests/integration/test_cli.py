"""The CLI as a user meets it: real subprocesses, exit codes, stderr, and files written (or not)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.fixtures import videos

from hingecoach.devtools.demo import demo_session

CLI = [sys.executable, "-m", "hingecoach"]


def run(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, check=False)


def _only_error_line(stderr: str) -> str:
    """The user-facing error line (native libraries may log their own lines to stderr before it)."""
    lines = [ln for ln in stderr.splitlines() if ln.startswith("hingecoach: error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"") or p, "empty"),
        (videos.write_text_file, "not a video"),
        (videos.write_png, "still image"),
        (videos.write_wav, ""),
        (videos.write_audio_only_mp4, "no video stream"),
    ],
    ids=["empty", "text", "png-named-mp4", "wav-named-mp4", "audio-only"],
)
def test_bad_video_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, make, message: str) -> None:
    bad = tmp_path / "clip.mp4"
    made = make(bad)
    src = Path(made) if made else bad
    if src != bad:
        src.replace(bad)
    out = tmp_path / "out.json"
    res = run("analyze", bad, "--drill", "rdl", "--json", out, "--quiet")
    assert res.returncode == 2, res.stderr
    line = _only_error_line(res.stderr)
    assert message in line
    assert not out.exists()
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))


def test_unknown_drill_fails_before_any_work(tmp_path: Path) -> None:
    res = run("analyze", tmp_path / "missing.mp4", "--drill", "zercher_squat")
    assert res.returncode == 2
    line = _only_error_line(res.stderr)
    assert "unknown drill 'zercher_squat'" in line and "rdl" in line


def test_missing_file(tmp_path: Path) -> None:
    res = run("analyze", tmp_path / "nope.mp4")
    assert res.returncode == 2
    assert "nope.mp4" in _only_error_line(res.stderr)


def test_no_person_video(tmp_path: Path) -> None:
    clip = videos.write_moving_shapes_video(tmp_path / "shapes.mp4")
    res = run("analyze", clip, "--json", tmp_path / "a.json", "--quiet")
    assert res.returncode == 2
    assert "no person" in _only_error_line(res.stderr)
    assert not (tmp_path / "a.json").exists()


def test_analyze_saved_track_writes_the_contract(tmp_path: Path) -> None:
    """The README's re-analysis path: a saved pose track in, analysis@1 JSON out, without the pose model."""
    session = demo_session()
    track = tmp_path / "demo.npz"
    session.track.save(track)
    res = run("analyze", track, "--drill", "rdl", "--json", tmp_path / "a.json", "--quiet")
    assert res.returncode == 0, res.stderr
    doc = json.loads((tmp_path / "a.json").read_text())
    assert doc["schema"] == "hingecoach/analysis@1"
    assert doc["drill"] == "rdl" and doc["camera_view"] == "side"
    assert doc["summary"]["rep_count"] == 4
    faulty = {r["index"] for r in doc["reps"] if any(f["code"] == "rounded_back" for f in r["faults"])}
    assert faulty == {3, 4}  # the generator injected the candy cane into reps 3 and 4 only
    # JSON to stdout for scripts
    res = run("analyze", track, "--drill", "rdl", "--json", "-", "--quiet")
    assert json.loads(res.stdout)["summary"]["rep_count"] == 4


def test_symmetric_on_a_saved_track_is_refused_in_one_line(tmp_path: Path) -> None:
    """A saved track was tracked one way already: recording --symmetric in its result would be false provenance."""
    track = tmp_path / "demo.npz"
    demo_session().track.save(track)
    out = tmp_path / "a.json"
    res = run("analyze", track, "--drill", "rdl", "--symmetric", "--json", out, "--quiet")
    assert res.returncode == 2
    assert "saved track" in _only_error_line(res.stderr) and "pass the video" in res.stderr
    assert not out.exists()


def test_auto_drill_on_saved_track(tmp_path: Path) -> None:
    track = tmp_path / "demo.npz"
    demo_session().track.save(track)
    res = run("analyze", track, "--json", "-", "--quiet")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["drill"] in {"rdl", "hinge_dowel", "good_morning", "band_pull_through", "hinge_wall"}
    assert any(w["code"] == "drill_recognised" for w in doc["warnings"])


@pytest.mark.model
def test_demo_runs_the_real_pipeline_end_to_end(tmp_path: Path) -> None:
    """`make demo`'s command: render the synthetic lifter, track it with the real model, judge, write artefacts."""
    res = run("demo", "--out", tmp_path / "ex", timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    ex = tmp_path / "ex"
    for name in ("demo_rdl.mp4", "analysis.json", "report.html", "overlay.mp4", "frames.csv", "track.npz"):
        assert (ex / name).stat().st_size > 0, name
    doc = json.loads((ex / "analysis.json").read_text())
    assert doc["summary"]["rep_count"] == 4
    clean = [r for r in doc["reps"] if r["index"] in (1, 2)]
    assert all(not r["faults"] for r in clean), clean
    assert any(f["code"] == "rounded_back" for r in doc["reps"] if r["index"] in (3, 4) for f in r["faults"])


def test_drills_lists_the_ladder_and_explains_a_drill() -> None:
    from hingecoach.schema import DRILL_IDS

    res = run("drills")
    assert res.returncode == 0, res.stderr
    listed = res.stdout.replace("\n", " ")
    assert all(d[:12] in listed for d in DRILL_IDS)
    res = run("drills", "rdl")
    assert res.returncode == 0
    assert "rounded_back" in res.stdout and "cue:" in res.stdout and "article:" in res.stdout
    res = run("drills", "zercher")
    assert res.returncode == 2 and "unknown drill" in _only_error_line(res.stderr)
