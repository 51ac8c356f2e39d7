"""Analyse a whole archive: discover clips, skip those already done, run the rest in parallel, write the results.

Why this shape:

* **One function per clip** (:func:`hingecoach.batch_clip.analyze_clip`) takes a small picklable ``ClipJob`` and
  returns a small picklable ``ClipResult`` (the ``analysis@1`` JSON text, or an error code and message). The local
  process pool and Ray run exactly this function, so the two paths cannot drift apart, and no frame ever leaves the
  process that decoded it (on Ray, nothing but the few-kB result goes through the object store).
* **The driver writes every file.** Workers only compute; results are written by this process, atomically
  (:mod:`hingecoach.fileio`), so a killed worker or a Ctrl-C can never leave a half-written result, and on a Ray
  cluster the results land where the command was started, with no shared output volume needed.
* **Keyed on content, not paths.** A result is ``OUT/<content_sha256>.json`` and records the pose model's sha256
  and the configuration hash (:mod:`hingecoach.provenance`). A rerun skips a clip only when all three match, so a
  new model or a changed threshold re-analyses, and a clip that was renamed or copied is not analysed twice.
* **Failures are data.** A clip that cannot be analysed (not a video, nobody in it, ...) becomes a failed record
  with its error's code and message and never stops the batch; input errors are remembered under
  ``OUT/failed/`` (keyed the same way) so a rerun does not re-pay a full pose pass to fail again.

This module prints nothing; :mod:`hingecoach.cli_batch` is the thin command line over :func:`run_batch`.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from hingecoach.batch_clip import (
    ClipFn,
    ClipJob,
    ClipRecord,
    ClipResult,
    Status,
    analyze_clip,
    failed_record,
    record_from_analysis,
)
from hingecoach.batch_inputs import (
    HASH_CACHE,
    MANIFEST_EXTENSIONS,
    VIDEO_EXTENSIONS,
    BatchInputError,
    ClipEntry,
    HashCache,
    discover,
    hash_cache_text,
    hash_clips,
    read_hash_cache,
    read_manifest,
)
from hingecoach.config import AnalysisConfig
from hingecoach.errors import HingecoachError
from hingecoach.fileio import write_text_atomic
from hingecoach.provenance import config_hash, model_sha256

FAILED_DIR: Final[str] = "failed"
#: Error codes that depend only on the clip and how it is analysed: the same inputs fail the same way, so a rerun
#: skips them (``retry_failed`` forces another try). Crashes and unexpected errors are always retried.
DETERMINISTIC_ERRORS: Final[frozenset[str]] = frozenset(
    {"bad_video", "no_person", "multiple_people", "out_of_frame", "too_large", "unknown_drill", "bad_track"}
)
# ---------------------------------------------------------------------------------------------------- planning
@dataclass
class Plan:
    """The clips to run and the records of those that need no run (up to date, failed before, unreadable)."""

    jobs: list[ClipJob]
    done: list[ClipRecord]
    hash_cache: HashCache = field(default_factory=dict)
    hash_cache_changed: bool = False


def _matches(prov: dict[str, Any] | None, job: ClipJob) -> bool:
    return bool(
        prov
        and prov.get("source_sha256") == job.content_sha256
        and prov.get("model_sha256") == job.model_sha256
        and prov.get("config_hash") == job.config_hash
    )


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing or unreadable (e.g. edited by hand): analyse again
    return doc if isinstance(doc, dict) else None


def plan(
    entries: Iterable[ClipEntry],
    out_dir: Path,
    *,
    config: AnalysisConfig,
    model_path: Path | None = None,
    threads: int = 1,
    retry_failed: bool = False,
) -> Plan:
    """Hash every clip and decide: up to date (skip), failed before with an input error (skip), or to analyse."""
    from hingecoach.analysis import check_drill_id
    from hingecoach.pose.model import default_model_path

    # Workers resolve the default model themselves (HINGECOACH_MODEL or the per-user cache on *their* node); only an
    # explicit path is sent. Either way they check it is the same file by its sha256.
    msha = model_sha256(model_path if model_path is not None else default_model_path())
    mpath = str(model_path) if model_path is not None else None
    jobs: list[ClipJob] = []
    done: list[ClipRecord] = []
    seen: dict[str, str] = {}
    entries = list(entries)
    old_cache = read_hash_cache(out_dir)
    hashes, cache = hash_clips([e.path for e in entries], old_cache)
    for e in entries:
        path = str(e.path)
        try:
            drill = check_drill_id(e.drill) if e.drill else config.drill
        except HingecoachError as exc:
            done.append(failed_record(path, exc.code, exc.message, athlete=e.athlete, sha=None))
            continue
        sha = hashes[e.path]
        if isinstance(sha, OSError):
            done.append(
                failed_record(
                    path, "unreadable", f"cannot read {path}: {sha.strerror or sha}", athlete=e.athlete, sha=None
                )
            )
            continue
        if sha in seen:
            done.append(
                ClipRecord(
                    path,
                    "duplicate",
                    athlete=e.athlete,
                    content_sha256=sha,
                    result_file=f"{sha}.json",
                    error_message=f"same content as {seen[sha]}",
                )
            )
            continue
        seen[sha] = path
        cfg = config if drill == config.drill else config.model_copy(update={"drill": drill})
        job = ClipJob(path, sha, cfg, config_hash(cfg), mpath, msha, e.athlete, threads)
        doc = _read_json(out_dir / f"{sha}.json")
        if doc is not None and _matches(doc.get("provenance"), job):
            done.append(record_from_analysis(doc, path=path, status="up_to_date", athlete=e.athlete, sha=sha))
            continue
        fail = None if retry_failed else _read_json(out_dir / FAILED_DIR / f"{sha}.json")
        if fail is not None and fail.get("error_code") in DETERMINISTIC_ERRORS and _matches(fail, job):
            done.append(
                failed_record(
                    path,
                    str(fail["error_code"]),
                    str(fail.get("error_message") or ""),
                    athlete=e.athlete,
                    sha=sha,
                    status="failed_before",
                )
            )
            continue
        jobs.append(job)
    return Plan(jobs, done, cache, cache != old_cache)


# ---------------------------------------------------------------------------------------------------- running
@dataclass(frozen=True)
class BatchEvent:
    """Progress of a batch: ``planned`` once, then ``started`` (local pool only) and ``done`` per clip."""

    kind: Literal["planned", "started", "done"]
    total: int = 0
    skipped: int = 0
    path: str | None = None
    pid: int | None = None
    record: ClipRecord | None = None


EventFn = Callable[[BatchEvent], None]


@dataclass(frozen=True)
class BatchSummary:
    """What a run did; ``records`` covers every clip of the archive, in discovery order."""

    out_dir: Path
    records: list[ClipRecord]
    wall_s: float
    backend: str
    workers: int
    files: dict[str, Path]

    def count(self, *statuses: Status) -> int:
        return sum(r.status in statuses for r in self.records)

    @property
    def failed(self) -> list[ClipRecord]:
        return [r for r in self.records if r.failed]


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Native threads each worker may use: its share of the cores (at least one)."""
    return max(1, (cores or usable_cores()) // max(1, workers))


def write_result(out_dir: Path, job: ClipJob, res: ClipResult, attempts: int) -> ClipRecord:
    """Write one worker result (JSON or failure record) atomically and return its record."""
    if res.analysis_json is not None:
        write_text_atomic(out_dir / f"{job.content_sha256}.json", res.analysis_json)
        (out_dir / FAILED_DIR / f"{job.content_sha256}.json").unlink(missing_ok=True)
        doc = json.loads(res.analysis_json)
        return record_from_analysis(
            doc,
            path=job.path,
            status="analysed",
            athlete=job.athlete,
            sha=job.content_sha256,
            attempts=attempts,
            wall_s=round(res.wall_s, 3),
            cpu_s=round(res.cpu_s, 3),
        )
    code, message = res.error_code or "internal_error", res.error_message or "unknown error"
    fail = {
        "path": job.path,
        "error_code": code,
        "error_message": message,
        "attempts": attempts,
        "source_sha256": job.content_sha256,
        "model_sha256": job.model_sha256,
        "config_hash": job.config_hash,
    }
    write_text_atomic(out_dir / FAILED_DIR / f"{job.content_sha256}.json", json.dumps(fail, indent=2))
    return failed_record(
        job.path,
        code,
        message,
        athlete=job.athlete,
        sha=job.content_sha256,
        attempts=attempts,
        wall_s=round(res.wall_s, 3),
    )


def run_batch(
    source: str | Path,
    out_dir: str | Path,
    *,
    config: AnalysisConfig | None = None,
    workers: int | None = None,
    ray: str | None = None,
    model_path: Path | None = None,
    retry_failed: bool = False,
    on_event: EventFn | None = None,
    clip_fn: ClipFn = analyze_clip,
) -> BatchSummary:
    """Analyse every clip of ``source`` into ``out_dir`` and write ``results.jsonl``, ``summary.csv``, ``index.html``.

    ``workers`` (local pool; default: one per usable core) or ``ray`` (``"auto"`` or a cluster address) choose where
    clips run. ``clip_fn`` is the per-clip function (:func:`analyze_clip`; a replacement must be importable by the
    workers). On Ctrl-C the workers are stopped, the index files are written for the clips done so far, and
    :class:`KeyboardInterrupt` propagates; every result file on disk is whole.
    """
    from hingecoach.batch_pool import ray_session

    out = Path(out_dir)
    cfg = config or AnalysisConfig()
    t0 = time.perf_counter()
    entries = discover(source, exclude=out)
    if ray is not None:
        n_workers, threads = 0, 1  # Ray gives each task one CPU (and sets OMP_NUM_THREADS=1 for it)
    else:
        n_workers = max(1, workers if workers is not None else usable_cores())
        threads = threads_per_worker(n_workers)
    p = plan(entries, out, config=cfg, model_path=model_path, threads=threads, retry_failed=retry_failed)
    with contextlib.ExitStack() as stack:
        if ray is not None and p.jobs:
            stack.enter_context(ray_session(ray))  # before anything is written: a bad address writes nothing
        return _run(entries, p, out, ray, n_workers, clip_fn, on_event, t0)


def _run(
    entries: list[ClipEntry],
    p: Plan,
    out: Path,
    ray: str | None,
    n_workers: int,
    clip_fn: ClipFn,
    on_event: EventFn | None,
    t0: float,
) -> BatchSummary:
    from hingecoach.batch_pool import longest_first, run_local, run_ray
    from hingecoach.batch_report import write_index_files

    out.mkdir(parents=True, exist_ok=True)
    if p.hash_cache_changed:  # a rerun with nothing new rewrites no file but the three archive files
        write_text_atomic(out / HASH_CACHE, hash_cache_text(p.hash_cache))
    if on_event is not None:
        on_event(BatchEvent("planned", total=len(p.jobs), skipped=len(p.done)))
    by_path = {j.path: j for j in p.jobs}
    new: dict[str, ClipRecord] = {}

    def emit(
        kind: Literal["started", "done"], path: str, pid: int | None = None, rec: ClipRecord | None = None
    ) -> None:
        if on_event is not None:
            on_event(BatchEvent(kind, path=path, pid=pid, record=rec))

    jobs = longest_first(p.jobs)
    results: Generator[tuple[ClipResult, int], None, None]
    if ray is not None:
        results = run_ray(jobs, fn=clip_fn)
        backend = f"ray ({ray})"
    else:
        n_workers = min(n_workers, max(1, len(p.jobs)))
        results = run_local(
            jobs, workers=n_workers, fn=clip_fn, on_start=lambda job, pid: emit("started", job.path, pid)
        )
        backend = "local"
    try:
        # closing(): on Ctrl-C or any error the pool's own clean-up (stopping its workers) runs now, not whenever
        # the traceback that keeps this frame alive is dropped.
        with contextlib.closing(results):
            for res, attempts in results:
                job = by_path[res.path]
                rec = write_result(out, job, res, attempts)
                new[job.path] = rec
                emit("done", job.path, res.pid, rec)
    finally:
        records = _ordered(entries, p, new)
        files = write_index_files(out, records, backend=backend, wall_s=time.perf_counter() - t0)
    return BatchSummary(out, records, time.perf_counter() - t0, backend, n_workers, files)


def _ordered(entries: list[ClipEntry], p: Plan, new: dict[str, ClipRecord]) -> list[ClipRecord]:
    """Every clip's record in discovery order; an interrupted run lists clips it never got to as not analysed."""
    known = {r.path: r for r in p.done} | new
    out = []
    for e in entries:
        rec = known.get(str(e.path))
        if rec is None:
            rec = failed_record(
                str(e.path),
                "interrupted",
                "the batch was stopped before this clip was analysed",
                athlete=e.athlete,
                sha=None,
            )
        out.append(rec)
    return out


__all__ = [
    "MANIFEST_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "BatchEvent",
    "BatchInputError",
    "BatchSummary",
    "ClipEntry",
    "discover",
    "plan",
    "read_manifest",
    "run_batch",
    "threads_per_worker",
]
