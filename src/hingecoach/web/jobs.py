"""The upload queue's worker: claims jobs from the database one at a time and runs the CLI's analysis and report.

Jobs live in the store's database (:mod:`hingecoach.web.repo`), not in memory, so a restart loses nothing: the worker
only ever holds one claimed job, and start-up requeues whatever a crash left ``running``. A job's failure — a
corrupt file, no person in view, a bug — is caught *per job*, recorded as ``failed`` with a message the user can
read, and the worker moves on; nothing else breaks.

Each job runs in a child process (``spawn``) by default: a decoder that crashes or hangs on a hostile file takes
down only that child (the job is marked failed), and the analysis's CPU work does not hold the server process's GIL,
so live sockets and page requests keep their latency while uploads are analysed. On :meth:`JobRunner.stop` the
children are terminated; their jobs stay ``running`` and the next start requeues them.

The report is made by exactly the code the CLI's ``analyze --out`` uses (:func:`hingecoach.report.write_all`), so
the web result page and the CLI's report are the same document. The result is saved through the history store
(:meth:`Store.save_session`, origin ``upload``) as a session of the job's athlete, its files in that athlete's
artefact folder, so ``hingecoach history`` lists it and ``hingecoach forget`` deletes it with its files.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import multiprocessing.process
import secrets
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from hingecoach import __version__
from hingecoach.errors import HingecoachError
from hingecoach.provenance import content_sha256
from hingecoach.schema import Analysis, Provenance
from hingecoach.web.repo import JobInfo, Repo

log = logging.getLogger("hingecoach.web.jobs")

POSE_SHARE = 0.85
"""Fraction of the progress bar given to pose tracking; the overlay/report take the rest."""


@dataclass
class JobRunner:
    """Runs queued jobs on ``n_threads`` background threads until :meth:`stop`."""

    repo: Repo
    model_path: Path | None = None
    n_threads: int = 1
    poll_s: float = 0.5
    isolate: bool = True

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._children: set[multiprocessing.process.BaseProcess] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self.repo.requeue_interrupted()
        for k in range(self.n_threads):
            t = threading.Thread(target=self._loop, name=f"hingecoach-job-{k}", daemon=True)
            t.start()
            self._threads.append(t)

    def wake(self) -> None:
        """A new job was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            for p in self._children:
                p.terminate()
        for t in self._threads:
            t.join(timeout_s)
        self._threads.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            job = self.repo.claim_next_job()
            if job is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            if self.isolate:
                self._run_in_child(job)
            else:
                self.run_job(job)

    def _run_in_child(self, job: JobInfo) -> None:
        ctx = multiprocessing.get_context("spawn")
        model = None if self.model_path is None else str(self.model_path)
        args = (self.repo.url, job.id, str(self.repo.artefact_root), model)
        p = ctx.Process(target=_child_main, args=args, name=f"hingecoach-job-{job.id}", daemon=True)
        with self._lock:
            if self._stop.is_set():
                return
            p.start()
            self._children.add(p)
        p.join()
        with self._lock:
            self._children.discard(p)
        if self._stop.is_set():
            return  # terminated by stop(): the job stays "running" and is requeued at the next start
        current = self.repo.job(job.id)
        if current is not None and current.status == "running":
            self._discard(job)
            self.repo.update_job(
                job.id,
                status="failed",
                stage="failed",
                message=f"the analysis process died (exit code {p.exitcode}) on this file",
            )

    def run_job(self, job: JobInfo) -> None:
        """Analyse one claimed job and record its outcome (never raises)."""
        try:
            self._analyse(job)
        except HingecoachError as exc:
            self._discard(job)
            self.repo.update_job(job.id, status="failed", stage="failed", message=exc.message)
        except Exception as exc:  # one bad job must not stop the queue; the message says what broke
            log.exception("job %s failed", job.id)
            self._discard(job)
            self.repo.update_job(
                job.id, status="failed", stage="failed", message=f"analysis failed: {type(exc).__name__}: {exc}"
            )

    def _discard(self, job: JobInfo) -> None:
        """A failed job keeps nothing: not the hostile upload, not a half-written artefact folder."""
        path = self.repo.file_path(job.stored_file)
        if path is not None:
            path.unlink(missing_ok=True)
        for tmp in self.repo.store.athlete_dir(job.athlete_id).glob(f"job{job.id}-*.tmp"):
            shutil.rmtree(tmp, ignore_errors=True)

    def _analyse(self, job: JobInfo) -> int:
        from hingecoach.analysis import analyze_video
        from hingecoach.report import ReportInputs, write_all

        last = [-1.0]

        def progress(stage: str, done: int, total: int) -> None:
            frac = done / total if total else 0.0
            value = POSE_SHARE * frac if stage == "pose" else POSE_SHARE + (1 - POSE_SHARE) * frac
            if value - last[0] >= 0.02 or done == total:  # ~50 writes per job, not one per frame
                last[0] = value
                self.repo.update_job(job.id, progress=round(value, 3), stage=stage)

        video = self.repo.file_path(job.stored_file)
        if video is None:
            raise HingecoachError("the uploaded file is missing")
        self.repo.update_job(job.id, stage="pose", progress=0.0)
        result = analyze_video(video, drill=job.drill, model_path=self.model_path, workers=1, progress=progress)
        analysis = _web_analysis(result.analysis, video)
        folder = self.repo.store.athlete_dir(job.athlete_id)
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / secrets.token_hex(12)
        tmp = folder / f"job{job.id}-{out.name}.tmp"
        inputs = dataclasses.replace(ReportInputs.from_result(result), analysis=analysis)
        write_all(tmp, inputs, video_path=video, progress=lambda d, t: progress("overlay", d, t))
        shutil.copyfile(video, tmp / ("source" + video.suffix))
        tmp.rename(out)
        # The session row and the job's "done" are one transaction: a crash before it reruns the job (the upload
        # is still there), a crash after it finds the job done; never a duplicate session.
        try:
            saved = self.repo.complete_job(job, analysis, out)
        except BaseException:
            shutil.rmtree(out, ignore_errors=True)
            raise
        if not saved.created:  # the same clip was already in this athlete's history: keep that one's files
            shutil.rmtree(out, ignore_errors=True)
        video.unlink(missing_ok=True)
        return saved.session_id


def _web_analysis(analysis: Analysis, video: Path) -> Analysis:
    """The result as the web stores it: no server path in ``source.path`` (the stored name is internal), and the
    upload's content hash in the provenance (the history store dedups on it).
    """
    sha = content_sha256(video)
    prov = analysis.provenance or Provenance(hingecoach_version=__version__)
    if prov.source_sha256 is None:
        prov = prov.model_copy(update={"source_sha256": sha})
    source = analysis.source.model_copy(update={"path": "upload" + video.suffix})
    return analysis.model_copy(update={"source": source, "provenance": prov})


def _child_main(db_url: str, job_id: str, artefact_root: str, model_path: str | None) -> None:
    """Entry point of a job's child process: its own database connection, then the in-process path."""
    repo = Repo(db_url, artefact_root=Path(artefact_root))
    try:
        job = repo.job(job_id)
        if job is None:
            return
        JobRunner(repo, model_path=None if model_path is None else Path(model_path)).run_job(job)
    finally:
        repo.close()
