"""The batch runner's bookkeeping without the pose model: discovery, manifests, the skip decision, the local pool's
crash handling (with a cheap per-clip function running in real worker processes) and the archive files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hingecoach.batch import (
    BatchInputError,
    ClipEntry,
    discover,
    plan,
    read_manifest,
    threads_per_worker,
    write_result,
)
from hingecoach.batch_clip import ClipJob, ClipRecord, ClipResult, analyze_clip
from hingecoach.batch_inputs import hash_clips
from hingecoach.batch_pool import longest_first, run_local
from hingecoach.batch_report import csv_text, index_html, jsonl_text, totals, write_index_files
from hingecoach.config import AnalysisConfig
from hingecoach.provenance import config_hash, content_sha256


def _touch(p: Path, data: bytes = b"x") -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def test_discover_walks_folders_for_video_extensions_only(tmp_path: Path) -> None:
    a = _touch(tmp_path / "a.mp4", b"1")
    b = _touch(tmp_path / "sub" / "deeper" / "B.MOV", b"2")
    _touch(tmp_path / "notes.txt")
    _touch(tmp_path / ".hidden" / "c.mp4")
    _touch(tmp_path / "results" / "x.mp4")  # the output folder inside the archive is never re-read
    found = discover(tmp_path, exclude=tmp_path / "results")
    assert [e.path for e in found] == [a, b]


def test_manifest_csv_and_jsonl(tmp_path: Path) -> None:
    _touch(tmp_path / "clips" / "one.mp4")
    csv_m = tmp_path / "m.csv"
    csv_m.write_text("Path,drill,athlete\nclips/one.mp4,rdl,Ana\n/abs/two.mp4,,\n\n", encoding="utf-8")
    rows = read_manifest(csv_m)
    assert rows == [
        ClipEntry(tmp_path / "clips" / "one.mp4", drill="rdl", athlete="Ana"),
        ClipEntry(Path("/abs/two.mp4")),
    ]
    jl = tmp_path / "m.jsonl"
    jl.write_text('{"path": "clips/one.mp4", "athlete": "Bo"}\n\n{"path": "x.mp4", "drill": "deadlift"}\n')
    assert discover(jl) == [
        ClipEntry(tmp_path / "clips" / "one.mp4", athlete="Bo"),
        ClipEntry(tmp_path / "x.mp4", drill="deadlift"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("m.csv", "file,drill\na.mp4,rdl\n", "'path' column"),
        ("m.jsonl", '{"path": "a.mp4"}\nnot json\n', "line 2 is not JSON"),
        ("m.jsonl", '{"file": "a.mp4"}\n', "line 1 has no 'path'"),
    ],
)
def test_bad_manifests_are_one_clear_error(tmp_path: Path, name: str, text: str, message: str) -> None:
    m = tmp_path / name
    m.write_text(text)
    with pytest.raises(BatchInputError, match=message):
        discover(m)


def test_bad_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BatchInputError, match="not found"):
        discover(tmp_path / "missing")
    with pytest.raises(BatchInputError, match="neither a folder nor a manifest"):
        discover(_touch(tmp_path / "a.mp4"))


def test_threads_per_worker_shares_the_cores() -> None:
    assert threads_per_worker(2, cores=2) == 1
    assert threads_per_worker(1, cores=2) == 2
    assert threads_per_worker(8, cores=2) == 1
    assert threads_per_worker(3, cores=16) == 5


def _result_doc(sha: str, model: str | None, chash: str) -> dict[str, object]:
    return {
        "schema": "hingecoach/analysis@1",
        "drill": "rdl",
        "camera_view": "side",
        "summary": {"rep_count": 3, "fault_counts": {"rounded_back": 2, "locked_knees": 0}, "score": 70, "cues": []},
        "warnings": [{"code": "w1", "message": "m"}],
        "provenance": {"hingecoach_version": "0", "source_sha256": sha, "model_sha256": model, "config_hash": chash},
    }


def test_plan_skips_only_results_made_from_the_same_clip_model_and_config(tmp_path: Path) -> None:
    model = _touch(tmp_path / "model.task", b"model-bytes")
    clips = [_touch(tmp_path / "arch" / f"c{i}.mp4", f"clip{i}".encode()) for i in range(4)]
    out = tmp_path / "out"
    out.mkdir()
    cfg = AnalysisConfig()
    chash = config_hash(cfg)
    msha = content_sha256(model)
    shas = [content_sha256(c) for c in clips]
    (out / f"{shas[0]}.json").write_text(json.dumps(_result_doc(shas[0], msha, chash)))  # up to date
    (out / f"{shas[1]}.json").write_text(json.dumps(_result_doc(shas[1], "old-model", chash)))  # other model
    (out / f"{shas[2]}.json").write_text(json.dumps(_result_doc(shas[2], msha, "other-config")))  # other config
    (out / f"{shas[3]}.json").write_text('{"truncated": ')  # unreadable: analyse again
    p = plan([ClipEntry(c) for c in clips], out, config=cfg, model_path=model)
    assert [r.path for r in p.done] == [str(clips[0])]
    up = p.done[0]
    assert (up.status, up.rep_count, up.score, up.fault_counts) == ("up_to_date", 3, 70, {"rounded_back": 2})
    assert [j.path for j in p.jobs] == [str(c) for c in clips[1:]]
    assert all(j.model_sha256 == msha and j.config_hash == chash for j in p.jobs)
    # A new threshold setting changes the hash: the up-to-date clip is analysed again too.
    p2 = plan([ClipEntry(c) for c in clips], out, config=AnalysisConfig(borderline_band=0.5), model_path=model)
    assert len(p2.jobs) == 4 and not p2.done


def test_plan_remembers_input_errors_but_retries_crashes(tmp_path: Path) -> None:
    model = _touch(tmp_path / "model.task", b"m")
    bad = _touch(tmp_path / "bad.mp4", b"text")
    crashed = _touch(tmp_path / "crashed.mp4", b"other")
    out = tmp_path / "out"
    cfg = AnalysisConfig()
    first = plan([ClipEntry(bad), ClipEntry(crashed)], out, config=cfg, model_path=model)
    job_bad, job_crash = first.jobs
    write_result(
        out, job_bad, ClipResult(str(bad), job_bad.content_sha256, error_code="bad_video", error_message="no"), 1
    )
    write_result(
        out,
        job_crash,
        ClipResult(str(crashed), job_crash.content_sha256, error_code="worker_died", error_message="x"),
        2,
    )
    again = plan([ClipEntry(bad), ClipEntry(crashed)], out, config=cfg, model_path=model)
    assert [(r.path, r.status, r.error_code) for r in again.done] == [(str(bad), "failed_before", "bad_video")]
    assert [j.path for j in again.jobs] == [str(crashed)]
    forced = plan([ClipEntry(bad)], out, config=cfg, model_path=model, retry_failed=True)
    assert [j.path for j in forced.jobs] == [str(bad)]


def test_plan_reports_unreadable_clips_unknown_drills_and_duplicates(tmp_path: Path) -> None:
    model = _touch(tmp_path / "model.task", b"m")
    a = _touch(tmp_path / "a.mp4", b"same")
    b = _touch(tmp_path / "copy_of_a.mp4", b"same")
    entries = [ClipEntry(a, drill="RDL"), ClipEntry(b), ClipEntry(tmp_path / "gone.mp4"), ClipEntry(a, drill="squat")]
    p = plan(entries, tmp_path / "out", config=AnalysisConfig(), model_path=model)
    assert [j.path for j in p.jobs] == [str(a)]
    assert p.jobs[0].config.drill == "rdl"  # the manifest's drill, normalised, is part of the config hash
    assert p.jobs[0].config_hash == config_hash(AnalysisConfig(drill="rdl"))
    by_status = {(r.path, r.status, r.error_code) for r in p.done}
    assert by_status == {
        (str(b), "duplicate", None),
        (str(tmp_path / "gone.mp4"), "failed", "unreadable"),
        (str(a), "failed", "unknown_drill"),
    }


# ------------------------------------------------------------------------- the local pool with real processes
def cheap_clip(job: ClipJob) -> ClipResult:
    """Runs in a spawned worker: dies by SIGKILL for clips named die*, else returns at once."""
    name = Path(job.path).name
    if name.startswith("die"):
        os.kill(os.getpid(), signal.SIGKILL)
    if name.startswith("once") and not Path(job.path + ".seen").exists():
        Path(job.path + ".seen").write_text("1")
        os.kill(os.getpid(), signal.SIGKILL)
    return ClipResult(job.path, job.content_sha256, analysis_json="{}", pid=os.getpid())


def _job(path: Path) -> ClipJob:
    return ClipJob(str(path), "sha-" + path.name, AnalysisConfig(), "h", None, None)


def test_local_pool_retries_a_dead_worker_once_then_reports_it(tmp_path: Path) -> None:
    names = ["a.mp4", "die.mp4", "once.mp4", "b.mp4", "c.mp4"]
    jobs = [_job(_touch(tmp_path / n)) for n in names]
    started: list[tuple[str, int]] = []
    results = list(run_local(jobs, workers=2, fn=cheap_clip, on_start=lambda j, pid: started.append((j.path, pid))))
    by_name = {Path(r.path).name: (r, n) for r, n in results}
    assert sorted(by_name) == sorted(names)  # every clip reported exactly once, the batch went on
    dead, tries = by_name["die.mp4"]
    assert (dead.error_code, tries) == ("worker_died", 2)
    assert "signal 9" in (dead.error_message or "")
    once, tries = by_name["once.mp4"]
    assert once.ok and tries == 2 and once.attempts == 2
    assert all(by_name[n][0].ok and by_name[n][1] == 1 for n in ("a.mp4", "b.mp4", "c.mp4"))
    assert len(started) == len(names) + 2  # two extra starts: the retries
    assert len({pid for _, pid in started}) >= 4  # a fresh worker after each of the three deaths


def test_archive_files_describe_every_clip(tmp_path: Path) -> None:
    records = [
        ClipRecord(
            "/a/x.mp4",
            "analysed",
            athlete="Ana",
            content_sha256="s1",
            result_file="s1.json",
            drill="rdl",
            camera_view="side",
            rep_count=3,
            score=72,
            fault_counts={"rounded_back": 2},
        ),
        ClipRecord("/a/y.mp4", "up_to_date", content_sha256="s2", result_file="s2.json", rep_count=2, score=95),
        ClipRecord(
            "/a/<bad>.mp4",
            "failed",
            content_sha256="s3",
            error_code="bad_video",
            error_message="<bad>.mp4: is a text file, not a video",
        ),
    ]
    t = totals(records)
    assert (t["clips"], t["analysed"], t["up_to_date"], t["failed"], t["reps"]) == (3, 1, 1, 1, 5)
    assert t["faults"] == [("rounded_back", 2)]
    lines = [json.loads(x) for x in jsonl_text(records).splitlines()]
    assert [x["status"] for x in lines] == ["analysed", "up_to_date", "failed"]
    assert csv_text(records).splitlines()[1].startswith("/a/x.mp4,Ana,analysed,rdl,side,3,72,rounded_back:2,")
    html = index_html(records, backend="local", wall_s=1.0)
    assert "&lt;bad&gt;.mp4: is a text file, not a video" in html and "<bad>" not in html  # escaped
    assert 'href="s1.json"' in html and "Rounded back × 2" in html
    files = write_index_files(tmp_path, records, backend="local", wall_s=1.0)
    assert sorted(p.name for p in files.values()) == ["index.html", "results.jsonl", "summary.csv"]
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_a_worker_with_another_model_refuses_the_clip(tmp_path: Path) -> None:
    model = _touch(tmp_path / "model.task", b"this worker's model")
    clip = _touch(tmp_path / "c.mp4", b"clip")
    job = ClipJob(str(clip), "sha", AnalysisConfig(), "h", str(model), "0" * 64)
    res = analyze_clip(job)
    assert not res.ok and res.error_code == "model_mismatch"
    assert "setup-model" in (res.error_message or "")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "hingecoach", "batch", *args], env=env, text=True, capture_output=True, timeout=120
    )


def test_cli_refuses_unusable_input_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _touch(tmp_path / "arch" / "clip.mp4")  # one clip to analyse, so the Ray address is really tried
    for args, message in [
        ((str(tmp_path / "missing"), "--out", str(out)), "archive not found"),
        ((str(tmp_path), "--out", str(out), "--drill", "squat"), "unknown drill"),
        ((str(tmp_path), "--out", str(out), "--db", "nosuch://x"), "unsupported database URL"),
        ((str(tmp_path), "--out", str(out), "--workers", "0"), "at least 1"),
        ((str(tmp_path / "arch"), "--out", str(out), "--ray", "127.0.0.1:1"), "no Ray cluster answers at 127.0.0.1:1"),
    ]:
        r = _cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_hashes_are_reused_while_size_and_mtime_are_unchanged(tmp_path: Path) -> None:
    clip = _touch(tmp_path / "a.mp4", b"first")
    cache: dict[str, list[object]] = {}
    hashes, cache = hash_clips([clip, tmp_path / "gone.mp4"], cache)
    assert hashes[clip] == content_sha256(clip)
    assert isinstance(hashes[tmp_path / "gone.mp4"], OSError)
    cache[str(clip.resolve())][2] = "cached"  # what a rerun finds in hashes.jsonl
    again, _ = hash_clips([clip], cache)
    assert again[clip] == "cached"  # not re-read
    st = clip.stat()
    clip.write_bytes(b"other")  # same size, new content and mtime
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    fresh, _ = hash_clips([clip], cache)
    assert fresh[clip] == content_sha256(clip) != "cached"


def test_largest_clips_are_handed_out_first(tmp_path: Path) -> None:
    sizes = {"a.mp4": 10, "b.mp4": 3000, "c.mp4": 200, "d.mp4": 3000, "gone.mp4": 0}
    jobs = [_job(_touch(tmp_path / n, b"x" * s)) for n, s in sizes.items()]
    (tmp_path / "gone.mp4").unlink()  # unreadable: last, its worker reports it
    order = [Path(j.path).name for j in longest_first(jobs)]
    assert order == ["b.mp4", "d.mp4", "c.mp4", "a.mp4", "gone.mp4"]  # ties keep their order


def test_a_clip_is_called_clean_only_when_its_back_line_was_judged() -> None:
    """The record counts each check's borderline reps and the reps whose back line got an answer, and the index
    says "clean" only for a clip with judged reps, its back line seen and nothing too close to call."""
    from hingecoach.batch_clip import record_from_analysis

    def doc(*rep_checks: list[dict[str, str]]) -> dict[str, object]:
        return {"drill": "rdl", "camera_view": "side", "summary": {"rep_count": len(rep_checks), "fault_counts": {}},
                "reps": [{"checks": c} for c in rep_checks]}  # fmt: skip

    side = doc([{"code": "rounded_back", "state": "clean"}], [{"code": "rounded_back", "state": "borderline"}])
    rec = record_from_analysis(side, path="/a/s.mp4", status="analysed", athlete=None, sha="s")
    assert rec.borderline_counts == {"rounded_back": 1} and rec.back_judged_reps == 2
    front = doc([{"code": "rounded_back", "state": "not_judged"}, {"code": "knees_cave", "state": "clean"}])
    rec_front = record_from_analysis(front, path="/a/f.mp4", status="analysed", athlete=None, sha="f")
    assert rec_front.back_judged_reps == 0 and rec_front.borderline_counts == {}
    clean = record_from_analysis(doc([{"code": "head_out_of_line", "state": "clean"}]), path="/a/c.mp4",
                                 status="analysed", athlete=None, sha="c")  # fmt: skip
    none = record_from_analysis(doc(), path="/a/n.mp4", status="analysed", athlete=None, sha="n")
    html = index_html([rec, rec_front, clean, none], backend="local", wall_s=1.0)
    assert html.count('class="chip clean">clean<') == 1
    assert "Rounded back too close to call × 1" in html and "no fault found · some too close to call" in html
    assert "no fault found · back line not judged" in html and "no rep found" in html
    row = csv_text([rec]).splitlines()
    assert row[0].split(",")[7:10] == ["faults", "too_close_to_call", "back_judged_reps"]
    assert row[1].split(",")[7:10] == ["", "rounded_back:1", "2"]
