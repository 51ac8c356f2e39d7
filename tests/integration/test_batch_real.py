"""The batch runner on real clips through the real pose model: local pool, Ray, a killed worker, resume, Ctrl-C.

Clips are the shortest real ones (mediapipe-posereader: 600x600, ~2 s) plus a text file named ``.mp4``; they are
linked (never copied) into a temporary archive. Everything here runs the model, so it is marked slow.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hingecoach.batch import BatchEvent, run_batch
from hingecoach.batch_clip import ClipJob, ClipRecord, ClipResult, analyze_clip
from hingecoach.config import AnalysisConfig
from hingecoach.provenance import config_hash, content_sha256, model_sha256
from hingecoach.schema import Analysis

pytestmark = [pytest.mark.slow, pytest.mark.real_data, pytest.mark.model]
CLIPS = ("mediapipe-posereader/videos/rdl.mp4", "mediapipe-posereader/videos/good.mp4")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def archive(shared_data: Path, tmp_path: Path) -> Path:
    """Two good clips (one in a subfolder) and a bad one: ``bad.mp4`` is a text file."""
    arch = tmp_path / "archive"
    (arch / "sub").mkdir(parents=True)
    for rel, dest in zip(CLIPS, (arch / "rdl.mp4", arch / "sub" / "good.mp4"), strict=True):
        src = shared_data / rel
        if not src.exists():
            pytest.skip(f"clip {rel} is absent from the shared data folder")
        dest.symlink_to(src)
    (arch / "bad.mp4").write_text("this is not a video\n")
    return arch


def _names(records: list[ClipRecord]) -> dict[str, ClipRecord]:
    return {Path(r.path).name: r for r in records}


def _bands(result_json: Path) -> dict[tuple[int, str], float]:
    """Every judged check's borderline band in one analysis@1, by (rep, code)."""
    a = Analysis.model_validate_json(result_json.read_text())
    return {(r.index, c.code): float(c.band) for r in a.reps for c in r.checks if c.band is not None}


def _check_outputs(out: Path, archive: Path, config: AnalysisConfig) -> None:
    """One valid analysis@1 per good clip, named by content hash, with the provenance the skip decision keys on."""
    for name in ("rdl.mp4", "sub/good.mp4"):
        sha = content_sha256(archive / name)
        a = Analysis.model_validate_json((out / f"{sha}.json").read_text())
        assert a.provenance is not None
        assert a.provenance.source_sha256 == sha
        assert a.provenance.model_sha256 == model_sha256() and a.provenance.model_sha256 is not None
        assert a.provenance.config_hash == config_hash(config)
        assert a.summary.rep_count >= 1
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(Path(x["path"]).name for x in lines) == ["bad.mp4", "good.mp4", "rdl.mp4"]
    bad = next(x for x in lines if x["path"].endswith("bad.mp4"))
    assert bad["error_code"] == "bad_video" and "not a video" in bad["error_message"]
    assert (out / "summary.csv").read_text().count("\n") == 4
    html = (out / "index.html").read_text()
    assert "Clips that failed" in html and "bad.mp4" in html and "not a video" in html
    assert not [p for p in out.rglob(".*")], "temporary files left behind"


def test_local_pool_batch_resumes_and_reanalyses_on_a_config_change(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    events: list[BatchEvent] = []
    s = run_batch(archive, out, workers=2, on_event=events.append)
    recs = _names(s.records)
    assert {n: r.status for n, r in recs.items()} == {
        "bad.mp4": "failed",
        "rdl.mp4": "analysed",
        "good.mp4": "analysed",
    }
    assert recs["bad.mp4"].error_code == "bad_video"
    assert s.workers == 2 and len({e.pid for e in events if e.kind == "started"}) == 2  # both workers used
    _check_outputs(out, archive, AnalysisConfig())
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}
    assert len(mtimes) == 3  # two results, one failure record
    rdl_json = out / f"{content_sha256(archive / 'rdl.mp4')}.json"
    bands_before = _bands(rdl_json)

    events.clear()
    again = run_batch(archive, out, workers=2, on_event=events.append)
    assert {Path(r.path).name: r.status for r in again.records} == {
        "bad.mp4": "failed_before",
        "rdl.mp4": "up_to_date",
        "good.mp4": "up_to_date",
    }
    assert not [e for e in events if e.kind == "started"]  # nothing ran
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.json")} == mtimes  # nothing rewritten
    assert _names(again.records)["rdl.mp4"].rep_count == recs["rdl.mp4"].rep_count

    changed = AnalysisConfig(borderline_band=0.5)
    events.clear()
    third = run_batch(archive, out, workers=2, config=changed, on_event=events.append)
    assert sorted(Path(e.path or "").name for e in events if e.kind == "started") == ["bad.mp4", "good.mp4", "rdl.mp4"]
    assert {Path(r.path).name: r.status for r in third.records}["rdl.mp4"] == "analysed"
    _check_outputs(out, archive, changed)
    # The configuration is applied, not only hashed: half the borderline band is narrower on some checks (a band
    # also covers the reading's own spread, which the setting does not scale) and wider on none.
    bands_after = _bands(rdl_json)
    assert bands_after.keys() == bands_before.keys()
    assert any(bands_after[k] < bands_before[k] - 1e-9 for k in bands_before)
    assert all(bands_after[k] <= bands_before[k] + 1e-9 for k in bands_before)


def test_a_worker_killed_mid_clip_is_retried_and_the_batch_completes(archive: Path, tmp_path: Path) -> None:
    """SIGKILL the worker process that holds rdl.mp4, half a second into the clip, the first time only."""
    killed: list[int] = []

    def on_event(ev: BatchEvent) -> None:
        if ev.kind == "started" and ev.path and ev.path.endswith("rdl.mp4") and not killed and ev.pid:
            killed.append(ev.pid)
            threading.Timer(0.5, os.kill, (ev.pid, signal.SIGKILL)).start()

    s = run_batch(archive, tmp_path / "out", workers=2, on_event=on_event)
    recs = _names(s.records)
    assert killed
    assert recs["rdl.mp4"].status == "analysed" and recs["rdl.mp4"].attempts == 2
    assert recs["good.mp4"].status == "analysed" and recs["good.mp4"].attempts == 1
    assert recs["bad.mp4"].error_code == "bad_video"
    _check_outputs(tmp_path / "out", archive, AnalysisConfig())


# ------------------------------------------------------------------------------------------------------ Ray
@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    """One local Ray for the whole session (2 CPUs, no dashboard); its workers inherit this environment."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_worker_niceness", "0")  # as run_batch does for a Ray it starts itself
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def crash_first_attempt(job: ClipJob) -> ClipResult:
    """A Ray task that kills its own worker process on the first attempt at each clip (marker file beside it)."""
    marker = Path(job.path).parent / (Path(job.path).name + ".attempted")
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return analyze_clip(job)


def test_ray_batch_matches_the_local_pool(archive: Path, tmp_path: Path, local_ray: None) -> None:
    s = run_batch(archive, tmp_path / "ray", ray="auto")
    assert s.backend == "ray (auto)"
    recs = _names(s.records)
    assert recs["bad.mp4"].error_code == "bad_video"
    _check_outputs(tmp_path / "ray", archive, AnalysisConfig())
    # The same per-clip function as the local pool: the same findings.
    for name in ("rdl.mp4", "sub/good.mp4"):
        sha = content_sha256(archive / name)
        here = analyze_clip(
            ClipJob(str(archive / name), sha, AnalysisConfig(), config_hash(AnalysisConfig()), None, model_sha256())
        )
        assert here.analysis_json is not None
        local = json.loads(here.analysis_json)
        remote = json.loads((tmp_path / "ray" / f"{sha}.json").read_text())
        assert remote["summary"] == local["summary"] and remote["drill"] == local["drill"]


def test_ray_task_whose_worker_dies_is_retried_once(archive: Path, tmp_path: Path, local_ray: None) -> None:
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the test module is not importable by workers
    (archive / "bad.mp4").unlink()
    s = run_batch(archive, tmp_path / "out", ray="auto", clip_fn=crash_first_attempt)
    assert {Path(r.path).name: r.status for r in s.records} == {"rdl.mp4": "analysed", "good.mp4": "analysed"}
    assert len(list(archive.rglob("*.attempted"))) == 2  # each clip's first attempt really died


# ------------------------------------------------------------------------------------------------------ CLI
def _cli(*args: str, **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", "hingecoach", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )  # type: ignore[call-overload]


def test_cli_manifest_ctrl_c_leaves_whole_results_and_a_rerun_resumes(
    archive: Path, tmp_path: Path, shared_data: Path
) -> None:
    # The batch works largest file first: the longest clip (heellift) gives the first result, and Ctrl-C then lands
    # while the two others still have seconds of work left, however loaded the machine.
    first = shared_data / "mediapipe-posereader" / "videos" / "heellift.mp4"
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "path,drill,athlete\n"
        f"{archive / 'rdl.mp4'},rdl,Ana\n"
        f"{archive / 'sub' / 'good.mp4'},,Bo\n"
        f"{archive / 'bad.mp4'},,Bo\n"
        f"{first},deadlift,Cy\n"
    )
    out = tmp_path / "out"
    # As in a terminal: Ctrl-C is not ignored. (A child inherits an ignored SIGINT, and Python then leaves it ignored;
    # something earlier in a full test session — a Ray or multiprocessing start-up — can leave pytest ignoring it.)
    proc = _cli(
        "batch", str(manifest), "--out", str(out), "--workers", "1", start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not [p for p in out.glob("*.json") if len(p.stem) == 64] and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, as in a terminal
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not [p for p in out.rglob(".*")], "a half-written file was left behind"
    for p in out.glob("*.json"):
        Analysis.model_validate_json(p.read_text())  # every result on disk is whole
    assert (out / "index.html").is_file() and (out / "results.jsonl").is_file()

    db = tmp_path / "history.db"
    proc = _cli("batch", str(manifest), "--out", str(out), "--db", str(db))
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 1, stderr  # finished, one clip failed
    assert "bad.mp4" in stdout and "not a video" in stdout
    assert "history store: 3 session(s) saved" in stdout
    from hingecoach.store import Store

    with Store(str(db)) as store:  # the two good clips, filed under their manifest athletes
        assert [r.drill for r in store.history("Ana")] == ["rdl"]
        assert len(store.history("Bo")) == 1
    lines = {Path(x["path"]).name: x for x in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert lines["rdl.mp4"]["status"] in ("up_to_date", "analysed") and lines["rdl.mp4"]["athlete"] == "Ana"
    assert lines["rdl.mp4"]["drill"] == "rdl"  # the manifest's drill was used
    assert lines["good.mp4"]["status"] in ("up_to_date", "analysed") and lines["good.mp4"]["athlete"] == "Bo"
    assert sum(x["status"] == "up_to_date" for x in lines.values()) >= 1  # the first run's result was kept
    assert (
        Analysis.model_validate_json((out / f"{content_sha256(archive / 'rdl.mp4')}.json").read_text()).drill == "rdl"
    )
