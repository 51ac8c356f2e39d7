"""Output targets that cannot be written are refused before any work starts (issue 12): one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "hingecoach"]
KB = "to-be-frank/videos/kb-deadlift.mp4"


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=300, check=False, env=env
    )


@pytest.fixture
def clip(shared_data: Path) -> Path:
    path = shared_data / KB
    if not path.exists():
        pytest.skip(f"{KB} is absent")
    return path


def _targets(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    blocker = tmp_path / "a_file.txt"
    blocker.write_text("not a folder")
    return {
        "json-read-only-fs": (["--json", "/proc/hingecoach.json"], "/proc does not accept files"),
        "json-under-a-file": (["--json", str(blocker / "out.json")], "a_file.txt is a file, not a folder"),
        "json-is-a-folder": (["--json", str(tmp_path)], "it is a folder"),
        "out-is-a-file": (["--out", str(blocker)], "it is a file, not a folder"),
        "report-read-only": (["--report", "/sys/report.html"], "/sys does not accept files"),
    }


@pytest.mark.real_data
@pytest.mark.parametrize(
    "case",
    ["json-read-only-fs", "json-under-a-file", "json-is-a-folder", "out-is-a-file", "report-read-only"],
)
def test_unwritable_target_fails_in_one_line_before_the_analysis(clip: Path, tmp_path: Path, case: str) -> None:
    args, message = _targets(tmp_path)[case]
    # Point the pose model at a file that does not exist: had the analysis started, it would fail on the model.
    env = {**os.environ, "HINGECOACH_MODEL": str(tmp_path / "no-model.task")}
    done = run("analyze", clip, "--drill", "deadlift", "--quiet", *args, env=env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("hingecoach: error: cannot write") and message in lines[0]
    assert done.stdout == ""


@pytest.mark.real_data
def test_the_same_command_with_a_writable_target_gets_as_far_as_the_model(clip: Path, tmp_path: Path) -> None:
    """The control for the test above: there the output check, not the (missing) model, stopped the run."""
    env = {**os.environ, "HINGECOACH_MODEL": str(tmp_path / "no-model.task")}
    done = run("analyze", clip, "--quiet", "--json", tmp_path / "new" / "out.json", env=env)
    assert done.returncode == 2 and "model" in done.stderr and "cannot write" not in done.stderr


def test_track_output_is_checked_too(tmp_path: Path) -> None:
    done = run("track", tmp_path / "missing.mp4", "-o", "/proc/track.npz")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "hingecoach: error: cannot write /proc/track.npz: /proc does not accept files (No such file or directory)"
    ]


@pytest.mark.real_data
@pytest.mark.model
@pytest.mark.slow
def test_analyze_max_fps_option(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "half.json"
    done = run("analyze", clip, "--drill", "deadlift", "--quiet", "--max-fps", "15", "--json", out)
    assert done.returncode == 0, done.stderr
    import json

    doc = json.loads(out.read_text())
    assert doc["source"]["frame_count"] == 86 and doc["source"]["fps"] == pytest.approx(30.0)
    assert doc["summary"]["rep_count"] == 1
    assert all(r["end_frame"] <= 43 for r in doc["reps"])  # indices of the 43 tracked frames
