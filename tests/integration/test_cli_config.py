"""``--config FILE`` on ``analyze`` and ``batch``: the file's settings are used and recorded; a bad file is one line,
exit status 2, before any work.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hingecoach.config import AnalysisConfig, CheckOverride, RepConfig
from hingecoach.devtools import synth
from hingecoach.provenance import config_hash

CLI = [sys.executable, "-m", "hingecoach"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300, check=False)


def _error_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.startswith("hingecoach: error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_analyze_uses_and_records_the_config_file(tmp_path: Path) -> None:
    track = tmp_path / "t.npz"
    synth.generate(synth.HingeSpec(reps=3, hip_flexion_deg=50.0, knee_flexion_deg=20.0)).track.save(track)
    cfg = tmp_path / "strict.toml"
    cfg.write_text(
        'drill = "rdl"\n[reps]\nmin_depth_deg = 20.0\n[checks.locked_knees]\nthreshold = 30.0\nmajor_at = 25.0\n'
    )
    res = run("analyze", track, "--config", cfg, "--json", "-", "--quiet")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["drill"] == "rdl"  # from the file
    assert doc["provenance"]["config"]["reps"]["min_depth_deg"] == 20.0
    want = AnalysisConfig(
        drill="rdl",
        reps=RepConfig(min_depth_deg=20.0),
        checks={"locked_knees": CheckOverride(threshold=30.0, major_at=25.0)},
    )
    assert doc["provenance"]["config_hash"] == config_hash(want)
    assert any(f["code"] == "locked_knees" for r in doc["reps"] for f in r["faults"])
    # --drill on the command line wins over the file
    res = run("analyze", track, "--config", cfg, "--drill", "good_morning", "--json", "-", "--quiet")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["drill"] == "good_morning"


def test_a_bad_config_file_stops_analyze_and_batch_before_any_work(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"reps": {"min_depth_deg": "deep"}}')
    out = tmp_path / "out.json"
    res = run("analyze", tmp_path / "missing.mp4", "--config", bad, "--json", out)
    assert res.returncode == 2
    assert "reps.min_depth_deg" in _error_line(res.stderr) and not out.exists()
    (tmp_path / "clips").mkdir()
    res = run("batch", tmp_path / "clips", "--out", tmp_path / "results", "--config", tmp_path / "nope.toml")
    assert res.returncode == 2
    assert "cannot read the configuration file" in _error_line(res.stderr)
    assert not (tmp_path / "results").exists()
