"""One clip of a batch: the job a worker gets, the result it sends back, the function between them, and the record
the driver files for it.

Why a module of its own: the local process pool (:mod:`hingecoach.batch_pool`), Ray and the driver
(:mod:`hingecoach.batch`) all speak in these types, and the pool must import them without importing the driver
that starts it. :func:`analyze_clip` is the one function both paths run, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from hingecoach.config import AnalysisConfig
from hingecoach.errors import HingecoachError
from hingecoach.judge import BACK_LINE_CODES
from hingecoach.provenance import model_sha256

#: A clip whose worker process dies is tried this many times in all (the first try plus one retry).
MAX_ATTEMPTS: Final[int] = 2

Status = Literal["analysed", "up_to_date", "failed", "failed_before", "duplicate"]


class ModelMismatchError(HingecoachError):
    """A worker would load another pose model than the driver's (a cluster node set up differently)."""

    code = "model_mismatch"


# ---------------------------------------------------------------------------------------------------- one clip
@dataclass(frozen=True)
class ClipJob:
    """Everything a worker needs for one clip; plain values so it pickles cheaply to a process or a Ray node."""

    path: str
    content_sha256: str
    config: AnalysisConfig
    config_hash: str
    model_path: str | None
    model_sha256: str | None
    athlete: str | None = None
    threads: int = 1


@dataclass(frozen=True)
class ClipResult:
    """What comes back from a worker: small (the JSON text, never arrays) and picklable."""

    path: str
    content_sha256: str
    analysis_json: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    frames: int = 0
    pid: int = 0
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.analysis_json is not None


ClipFn = Callable[[ClipJob], ClipResult]
_threads_set: int | None = None


def limit_threads(threads: int) -> None:
    """Cap this process's native thread pools (OpenCV; OpenMP/BLAS for libraries imported later).

    Each batch worker owns ``cores / workers`` cores; letting OpenCV start a thread per core in every worker would
    oversubscribe the machine. Called once per worker process (cheap and idempotent).
    """
    global _threads_set
    if _threads_set == threads:
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import cv2

    cv2.setNumThreads(threads)
    _threads_set = threads


def analyze_clip(job: ClipJob) -> ClipResult:
    """Analyse one clip in this process (one pose worker) and return its JSON or its error; never raises for a clip.

    The same function runs in a local pool worker and as a Ray task. A :class:`HingecoachError` (bad video, nobody
    in view, ...) keeps its code and message; anything else is reported as ``internal_error`` with its type, so one
    bad clip never stops a batch.
    """
    from hingecoach.analysis import analyze_video
    from hingecoach.schema import Provenance

    limit_threads(job.threads)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        here = _local_model_sha(job.model_path)
        if job.model_sha256 is not None and here != job.model_sha256:
            raise ModelMismatchError(
                f"this worker's pose model (sha256 {str(here)[:12]}) is not the driver's ({job.model_sha256[:12]}); "
                "install the same model on every node (hingecoach setup-model, or HINGECOACH_MODEL on shared storage)"
            )
        result = analyze_video(
            job.path,
            drill=job.config.drill,
            model_path=Path(job.model_path) if job.model_path else None,
            workers=1,  # the batch is the parallelism: one clip per worker, one pose process per clip
            max_fps=job.config.max_analysis_fps,
            config=job.config,  # the configuration hashed into the result is the one it is analysed with
        )
        a = result.analysis
        prev = a.provenance
        prov = Provenance(
            hingecoach_version=prev.hingecoach_version if prev else _version(),
            model_sha256=job.model_sha256,
            config_hash=job.config_hash,
            config=job.config.model_dump(mode="json"),
            source_sha256=job.content_sha256,
            drill_table_version=prev.drill_table_version if prev else None,
            track_log=prev.track_log if prev and prev.track_log else list(result.raw_track.log),
        )
        text = a.model_copy(update={"provenance": prov}).to_json()
        frames = a.source.frame_count
        return ClipResult(
            job.path,
            job.content_sha256,
            analysis_json=text,
            frames=frames,
            wall_s=time.perf_counter() - t0,
            cpu_s=time.process_time() - c0,
            pid=os.getpid(),
        )
    except HingecoachError as exc:
        code, message = exc.code, exc.message
    except Exception as exc:  # a bug or an unexpected library failure: reported per clip, never fatal to the batch
        code, message = "internal_error", f"{type(exc).__name__}: {exc}"
    return ClipResult(
        job.path,
        job.content_sha256,
        error_code=code,
        error_message=message,
        wall_s=time.perf_counter() - t0,
        cpu_s=time.process_time() - c0,
        pid=os.getpid(),
    )


_model_shas: dict[str | None, str | None] = {}


def _local_model_sha(model_path: str | None) -> str | None:
    """The sha256 of the model this process will load (once per process: read from the record beside the file)."""
    if model_path not in _model_shas:
        _model_shas[model_path] = model_sha256(model_path)
    return _model_shas[model_path]


def _version() -> str:
    from hingecoach.provenance import package_version

    return package_version()


# ---------------------------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class ClipRecord:
    """One line of ``results.jsonl`` and one row of the summary and the HTML index."""

    path: str
    status: Status
    athlete: str | None = None
    content_sha256: str | None = None
    result_file: str | None = None
    drill: str | None = None
    camera_view: str | None = None
    rep_count: int | None = None
    score: int | None = None
    fault_counts: dict[str, int] = field(default_factory=dict)
    #: Reps per check whose answer was too close to call (neither fault nor clean).
    borderline_counts: dict[str, int] = field(default_factory=dict)
    #: Reps on which the back line (rounded back or the head's line) got an answer; 0 = never seen (e.g. a front view).
    back_judged_reps: int | None = None
    warnings: list[str] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    attempts: int | None = None
    wall_s: float | None = None
    cpu_s: float | None = None  # CPU time of the worker process (all its threads) on this clip

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "failed_before")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def record_from_analysis(
    doc: dict[str, Any], *, path: str, status: Status, athlete: str | None, sha: str, **extra: Any
) -> ClipRecord:
    """Summarise an ``analysis@1`` document (parsed JSON) into a record."""
    summary = doc.get("summary") or {}
    counts = {str(k): int(v) for k, v in (summary.get("fault_counts") or {}).items() if int(v) > 0}
    rep_checks = [[c for c in r.get("checks") or [] if isinstance(c, dict)] for r in doc.get("reps") or []]
    borderline = Counter(str(c.get("code")) for checks in rep_checks for c in checks if c.get("state") == "borderline")
    answered = ("fault", "clean", "borderline")
    back_seen = sum(
        any(c.get("code") in BACK_LINE_CODES and c.get("state") in answered for c in checks) for checks in rep_checks
    )
    return ClipRecord(
        path=path,
        status=status,
        athlete=athlete,
        content_sha256=sha,
        result_file=f"{sha}.json",
        drill=doc.get("drill"),
        camera_view=doc.get("camera_view"),
        rep_count=summary.get("rep_count"),
        score=summary.get("score"),
        fault_counts=counts,
        borderline_counts=dict(sorted(borderline.items())),
        back_judged_reps=back_seen,
        warnings=[str(w.get("code")) for w in doc.get("warnings") or []],
        **extra,
    )


def failed_record(
    path: str, code: str, message: str, *, athlete: str | None, sha: str | None, status: Status = "failed", **extra: Any
) -> ClipRecord:
    return ClipRecord(
        path=path, status=status, athlete=athlete, content_sha256=sha, error_code=code, error_message=message, **extra
    )
