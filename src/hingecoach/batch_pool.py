"""Where batch clips run: a local pool of worker processes, or Ray tasks. Both run the same per-clip function.

Why a small pool of our own rather than :mod:`concurrent.futures`: when a worker of a ``ProcessPoolExecutor`` dies,
the whole executor breaks and every clip in flight fails with it, with no way to tell which clip killed it;
``multiprocessing.Pool`` silently loses the task. Here each worker holds one clip at a time on its own pipe, so a
dead worker (killed, out of memory, a native crash) is pinned to exactly one clip, which is retried once in a fresh
worker and then reported. It is not a scheduler: clips are handed out in order to whichever worker is free.

Workers ignore SIGINT: Ctrl-C reaches the driver, which stops the workers and leaves file writing to nobody but
itself (see :func:`hingecoach.batch.run_batch`).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any, Final

from hingecoach.batch_clip import MAX_ATTEMPTS, ClipFn, ClipJob, ClipResult

_JOIN_S: Final[float] = 5.0


def _worker_main(conn: Connection, fn: ClipFn, threads: int) -> None:
    """A batch worker: clips in on the pipe, results out, until a ``None`` or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and stops us
    from hingecoach.batch_clip import limit_threads

    limit_threads(threads)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(fn(job))


@dataclass
class _Worker:
    proc: Any  # multiprocessing.context.SpawnProcess
    conn: Connection
    job: ClipJob | None = None


def _died(job: ClipJob, code: int | None, attempts: int) -> ClipResult:
    how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    return ClipResult(
        path=job.path,
        content_sha256=job.content_sha256,
        error_code="worker_died",
        error_message=f"the worker analysing this clip stopped without a result ({how}; e.g. killed or out of "
        f"memory) on each of {attempts} attempts",
        attempts=attempts,
    )


def longest_first(jobs: Sequence[ClipJob]) -> list[ClipJob]:
    """The jobs largest file first (the file size stands in for the clip's length: it is known without opening it).

    Why: workers take clips in order, so a long clip started last runs alone while the other workers idle. On the
    five-clip 1080p set of ``bench/batch_benchmark.py --set clinic`` (393-785 frames) two workers in name order
    ended 1,668 frame-times after the start against 1,318 for a perfect split; largest first, 1,457. The output
    files keep the archive's order whatever the order of work. Ties keep their order (stable sort); a file that
    cannot be read sorts last (its worker reports the error).
    """

    def size(job: ClipJob) -> int:
        try:
            return os.stat(job.path).st_size
        except OSError:
            return -1

    return sorted(jobs, key=size, reverse=True)


def run_local(
    jobs: Sequence[ClipJob],
    *,
    workers: int,
    fn: ClipFn,
    on_start: Callable[[ClipJob, int], None] | None = None,
) -> Generator[tuple[ClipResult, int], None, None]:
    """Run ``fn`` on every job in ``workers`` spawned processes; yield ``(result, attempts)`` as clips finish.

    ``on_start(job, pid)`` is called when a clip is handed to a worker. Closing the generator (or an exception in
    the consumer, Ctrl-C included) terminates the workers.
    """
    if not jobs:
        return
    ctx = mp.get_context("spawn")  # never fork a process that may hold MediaPipe's native threads
    threads = jobs[0].threads
    queue: deque[ClipJob] = deque(jobs)
    attempts: dict[str, int] = {}
    pool: list[_Worker] = []

    def start() -> _Worker:
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=_worker_main, args=(child, fn, threads), name="hingecoach-batch", daemon=True)
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def hand_out(w: _Worker) -> None:
        job = queue.popleft()
        attempts[job.path] = attempts.get(job.path, 0) + 1
        w.job = job
        w.conn.send(job)
        if on_start is not None:
            on_start(job, int(w.proc.pid))

    try:
        pool = [start() for _ in range(min(workers, len(jobs)))]
        for w in pool:
            if queue:
                hand_out(w)
        while any(w.job is not None for w in pool):
            busy = [w for w in pool if w.job is not None]
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy])
            for w in busy:
                if w.conn not in ready and w.proc.sentinel not in ready:
                    continue
                job = w.job
                assert job is not None
                result: ClipResult | None = None
                try:
                    if w.conn.poll():
                        result = w.conn.recv()
                except (EOFError, OSError):
                    result = None
                if result is not None:
                    w.job = None
                    yield replace(result, attempts=attempts[job.path]), attempts[job.path]
                elif not w.proc.is_alive():
                    w.proc.join()
                    code = w.proc.exitcode
                    w.conn.close()
                    pool.remove(w)
                    if attempts[job.path] < MAX_ATTEMPTS:
                        queue.appendleft(job)  # retried next, in a fresh worker
                    else:
                        yield _died(job, code, attempts[job.path]), attempts[job.path]
                    if queue:
                        pool.append(start())
                    continue
                if queue and w.job is None:
                    hand_out(w)
            for w in pool:  # a replacement worker, or one freed above while the queue was refilled
                if w.job is None and queue:
                    hand_out(w)
    finally:
        for w in pool:
            if w.job is None:
                with contextlib.suppress(OSError, ValueError):
                    w.conn.send(None)
            else:
                w.proc.terminate()  # interrupted mid-clip: its result would be thrown away anyway
        for w in pool:
            w.proc.join(timeout=_JOIN_S)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join()
            w.conn.close()


# ---------------------------------------------------------------------------------------------------- Ray
def ray_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail in seconds on an address nothing listens on (``ray.init`` itself retries for minutes)."""
    import socket

    from hingecoach.errors import HingecoachError

    hostport = address.split("://", 1)[-1].rsplit("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        return  # not host:port (e.g. "local"): let Ray judge it
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise HingecoachError(f"no Ray cluster answers at {address}: {exc.strerror or exc}") from None


@contextmanager
def ray_session(address: str) -> Iterator[None]:
    """Join or start Ray for the duration of the block; a clear one-line error when that is not possible.

    ``address="auto"`` joins the cluster named by ``RAY_ADDRESS`` or starts a local one (its workers at normal
    priority, like the local pool's); anything else is passed to ``ray.init(address=...)``. A session started here
    is shut down at the end; one already running (a test fixture, a notebook) is used and left alone.
    """
    from hingecoach.errors import HingecoachError

    if not ray_available():
        raise HingecoachError("--ray needs Ray: pip install 'hingecoach[ray]'")
    import ray

    if ray.is_initialized():
        yield
        return
    target = address if address != "auto" else os.environ.get("RAY_ADDRESS", "")
    if target and target != "auto":
        _check_reachable(target)
    if address == "auto" and not os.environ.get("RAY_ADDRESS"):
        # A Ray started here runs its workers at nice 15 by default; on a machine shared with other work that
        # would make Ray look slower than the local pool for no reason of its own. Equal terms: nice 0.
        os.environ.setdefault("RAY_worker_niceness", "0")
    try:
        ray.init(address=None if address == "auto" else address, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = target or "a local Ray"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HingecoachError(
            f"cannot start or join Ray ({where}): {first}; a cluster with token authentication also needs "
            "RAY_AUTH_MODE=token and its token here (docs/batch.md)"
        ) from None
    try:
        yield
    finally:
        ray.shutdown()


def run_ray(jobs: Sequence[ClipJob], *, fn: ClipFn) -> Generator[tuple[ClipResult, int], None, None]:
    """One Ray task per clip (``max_retries=1``: a task whose worker dies runs once more, then is reported).

    Runs inside :func:`ray_session`. At most twice the cluster's CPUs are in flight, so the driver's memory does not
    grow with the archive and Ctrl-C has little to cancel.
    """
    if not jobs:
        return
    import ray

    task = ray.remote(num_cpus=1, max_retries=1)(fn)
    cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
    window = max(2, 2 * int(cpus))
    queue: deque[ClipJob] = deque(jobs)
    pending: dict[Any, ClipJob] = {}
    try:
        while queue or pending:
            while queue and len(pending) < window:
                job = queue.popleft()
                pending[task.remote(job)] = job
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    res: ClipResult = ray.get(ref)
                    yield res, 1
                except ray.exceptions.RayError as exc:  # the task's worker died on both attempts, or Ray failed
                    crashed = isinstance(exc, ray.exceptions.WorkerCrashedError | ray.exceptions.NodeDiedError)
                    yield (
                        ClipResult(
                            path=job.path,
                            content_sha256=job.content_sha256,
                            error_code="worker_died" if crashed else "ray_error",
                            error_message=(
                                f"the Ray worker analysing this clip died on each of {MAX_ATTEMPTS} attempts"
                                if crashed
                                else f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                            ),
                            attempts=MAX_ATTEMPTS if crashed else 1,
                        ),
                        MAX_ATTEMPTS if crashed else 1,
                    )
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
