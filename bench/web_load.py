"""A bounded load test on loopback: N concurrent uploads of short clips while M live sessions replay landmarks.

    python bench/web_load.py                     # 20 uploads, 5 live replays, 2 analysis threads

Shows that uploads are accepted at once and queue (202 + a job), that every job completes exactly once, and what
live latency does while the server analyses uploads (frames are replayed in real time, as a camera would).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from web_common import SHARED, LiveServer, describe, real_track, replay_socket, signed_in

from hingecoach.web.app import Settings

UPLOAD_CLIPS = (
    ("mediapipe-posereader/videos/good.mp4", "deadlift"),
    ("mediapipe-posereader/videos/rdl.mp4", "rdl"),
    ("mediapipe-posereader/videos/heellift.mp4", "deadlift"),
    ("to-be-frank/videos/kb-deadlift.mp4", "deadlift"),
)
LIVE_CLIP = ("bichraix/bad/bad014.mp4", "deadlift")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uploads", type=int, default=20)
    ap.add_argument("--live", type=int, default=5)
    ap.add_argument("--job-threads", type=int, default=2)
    ap.add_argument("--timeout-s", type=float, default=1200)
    args = ap.parse_args()

    track = real_track(LIVE_CLIP[0])
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret="load-" + "s" * 40, job_threads=args.job_threads)
        with LiveServer(settings) as srv:
            users = [signed_in(srv.url, f"load{k}@example.org") for k in range(4)]
            baseline = replay_socket(srv.url, users[0], track, LIVE_CLIP[1], realtime=False)["reps"]
            accepted: list[tuple[float, int]] = []
            errors: list[str] = []
            lock = threading.Lock()

            def upload(k: int) -> None:
                clip, drill = UPLOAD_CLIPS[k % len(UPLOAD_CLIPS)]
                c = users[k % len(users)]
                t = time.perf_counter()
                with (SHARED / clip).open("rb") as fh:
                    r = c.post(
                        "/api/uploads",
                        data={"drill": drill},
                        files={"video": (f"clip{k}.mp4", fh, "video/mp4")},
                        headers={"X-CSRF": c.cookies["hc_csrf"]},
                    )
                with lock:
                    if r.status_code == 202:
                        accepted.append(((time.perf_counter() - t) * 1000, r.json()["id"]))
                    else:
                        errors.append(f"{r.status_code} {r.text[:200]}")

            live_results: list[dict[str, Any]] = []

            def live(k: int) -> None:
                c = signed_in(srv.url, f"live{k}@example.org")
                res = replay_socket(srv.url, c, track, LIVE_CLIP[1], realtime=True)
                with lock:
                    live_results.append(res)

            t0 = time.perf_counter()
            threads = [threading.Thread(target=upload, args=(k,)) for k in range(args.uploads)]
            threads += [threading.Thread(target=live, args=(k,)) for k in range(args.live)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            t_accepted = time.perf_counter() - t0
            repo = srv.app.state.repo
            while time.perf_counter() - t0 < args.timeout_s:
                counts = repo.queue_counts()
                if counts.get("done", 0) + counts.get("failed", 0) >= len(accepted):
                    break
                time.sleep(0.5)
            t_all = time.perf_counter() - t0
            counts = repo.queue_counts()
            with repo.tx() as s:
                from sqlalchemy import func, select

                from hingecoach.store.models import TrainingSession, UploadJob

                jobs = list(s.scalars(select(UploadJob)))
                n_sessions = s.scalar(select(func.count()).select_from(TrainingSession).where(
                    TrainingSession.origin == "upload"))
            run_s = [(j.updated_at - j.created_at).total_seconds() for j in jobs]

    print(f"{args.uploads} concurrent uploads ({len(UPLOAD_CLIPS)} short dev clips, 1.8-2.9 s), "
          f"{args.live} live replays of {LIVE_CLIP[0]} in real time, {args.job_threads} analysis threads")
    print(f"  accepted: {len(accepted)} (202), refused: {len(errors)} {errors[:2]}")
    if accepted:
        ms = [a for a, _ in accepted]
        print(f"  upload accept time: median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms; "
              f"all uploads + live replays returned after {t_accepted:.1f} s")
    print(f"  jobs: {counts}; attempts per job: {sorted({j.attempts for j in jobs})}; "
          f"upload sessions stored: {n_sessions}")
    print(f"  every job finished after {t_all:.1f} s; job created->finished: median {statistics.median(run_s):.1f} s, "
          f"max {max(run_s):.1f} s")
    failed = [j.message for j in jobs if j.status == "failed"]
    if failed:
        print(f"  failed messages: {failed[:3]}")
    server = [v for r in live_results for v in r["server_ms"]]
    rtt = [v for r in live_results for v in r["rtt_ms"]]
    rep_ms = [v for r in live_results for v in r["rep_ms"]]
    print(f"  live under load: reps per replay {[r['reps'] for r in live_results]} (unloaded: {baseline})")
    print("  " + describe("live server time", server))
    print("  " + describe("live server time, rep-closing frames", rep_ms))
    print("  " + describe("live round trip", rtt))


if __name__ == "__main__":
    main()
