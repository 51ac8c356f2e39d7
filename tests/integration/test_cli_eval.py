"""``hingecoach eval`` end to end on cached tracks of synthetic lifters: the real pipeline, no pose model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.unit.test_judge import _with_back

from hingecoach.devtools.demo import demo_session
from hingecoach.devtools.evaluate import track_cache_path
from hingecoach.devtools.synth import CameraSpec, HingeSpec, NoiseSpec, generate


def test_eval_json_has_lolo_and_in_sample_figures(tmp_path: Path) -> None:
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    cache.mkdir()
    rounded, clean = data / "rounded.mp4", data / "clean.mp4"
    for clip in (rounded, clean, data / "missing.mp4"):
        clip.write_bytes(b"stand-in: the evaluation reads the cached track, keyed by this file")
    demo_session().track.save(track_cache_path(rounded, cache))  # rounded back injected into reps 3 and 4
    generate(HingeSpec(reps=3, arms="bar"), CameraSpec(facing="left"), NoiseSpec()).track.save(
        track_cache_path(clean, cache)
    )
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,drill,view,reps,faults,lifter,label_status,synthetic,rep_faults,whole_body,notes\n"
        "rounded.mp4,rdl,side,4,rounded_back,ann,original,false,,true,demo\n"
        "clean.mp4,rdl,side,3,,bob,revised-after-tool,false,,true,clean\n"
        "missing.mp4,rdl,side,,?,cy,original,false,,false,not cached\n"
    )
    cmd = [sys.executable, "-m", "hingecoach", "eval", str(manifest), "--data-root", str(data), "--cache", str(cache)]
    res = subprocess.run(
        [*cmd, "--cached-only", "--no-angles", "--json", "-"], capture_output=True, text=True, timeout=300, check=False
    )
    assert res.returncode == 0, res.stderr
    fig = json.loads(res.stdout)
    assert fig["clips"] == 3 and [e["path"] for e in fig["errors"]] == ["missing.mp4"]
    f = fig["faults"]
    rb_in = f["in_sample"]["per_fault"]["rounded_back"]
    assert rb_in["tp"] + rb_in["fn"] == 1  # one labelled rounded clip, found or missed
    assert f["in_sample"]["headline"]["expected_faults"] == 1 and f["in_sample"]["headline"]["clean_clips"] == 1
    # two lifters, one class each: no fold can refit a threshold, and the figures say so
    rb = next(v for k, v in f["thresholds"].items() if k.startswith("rounded_back:"))
    assert rb["folds_refit"] == 0 and rb["folds_table_kept"] == 2
    assert f["lolo"]["headline"] == f["in_sample"]["headline"]
    # every miss the headline counts is listed with why, and nothing else is
    assert len(f["missed"]) == sum(v["fn"] for v in f["lolo"]["per_fault"].values())
    assert all(m["kind"] in {"not_judged", "borderline", "judged_clean", "no_answer"} for m in f["missed"])
    assert len(f["false_alarms"]) == sum(v["fp"] for v in f["lolo"]["per_fault"].values())
    assert fig["faults_without_revised_rows"]["in_sample"]["headline"]["clean_clips"] == 0
    assert fig["revised_rows"] == ["clean.mp4"]
    assert fig["drill_recognition"]["clips"] == 2
    nj = fig["abstentions"]["not_judged_on_clean_whole_side_view"]
    # the generated clean track has no silhouette, so its back cannot be judged: the count must catch exactly that
    # kind of abstention (on the clean whole-body side view only; the rounded clip is not clean)
    assert {i["path"] for i in nj["items"]} == {"clean.mp4"}
    assert "rounded_back" in {i["code"] for i in nj["items"]} and nj["count"] == len(nj["items"])
    # the tables (no --json) print the LOLO headline first
    res = subprocess.run([*cmd, "--cached-only", "--no-angles", "-q"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.index("leave-one-lifter-out") < res.stdout.index("in-sample")
    assert "missed by why:" in res.stdout


def test_eval_self_reference_judges_a_lifter_against_their_clean_clip(tmp_path: Path) -> None:
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    cache.mkdir()
    rounded, clean = data / "rounded.mp4", data / "clean.mp4"
    for clip in (rounded, clean):
        clip.write_bytes(b"stand-in: the evaluation reads the cached track, keyed by this file")
    demo_session().track.save(track_cache_path(rounded, cache))
    flat = _with_back(generate(HingeSpec(reps=3), CameraSpec(facing="left"), NoiseSpec()), 0.0)  # a flat back's outline
    flat.save(track_cache_path(clean, cache))
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,drill,view,reps,faults,lifter,label_status,synthetic,rep_faults,whole_body,notes\n"
        "rounded.mp4,rdl,side,4,rounded_back,ann,original,false,,true,demo\n"
        "clean.mp4,rdl,side,3,,ann,original,false,,true,the same lifter's clean set\n"
    )
    cmd = [sys.executable, "-m", "hingecoach", "eval", str(manifest), "--data-root", str(data), "--cache", str(cache)]
    res = subprocess.run(
        [*cmd, "--cached-only", "--no-angles", "--self-reference", "--json", "-"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    sr = json.loads(res.stdout)["self_reference"]
    assert sr["lifters"] == 1 and sr["skipped"] == []
    assert [(r["path"], r["reference"]) for r in sr["rows"]] == [("rounded.mp4", "clean.mp4")]
    own = sr["per_fault"]["rounded_back"]["own"]
    assert own["tp"] + own["fn"] == 1 and own["fp"] == 0
