"""Live path vs file path on the labelled clips: replay each cached pose track frame by frame through LiveSession.

Usage: python bench/live_replay.py [--manifest eval/manifest.csv] [--data-root ../shared/data]
                                    [--cache ~/.cache/hingecoach/tracks] [--json OUT.json]

For every manifest clip whose pose track is cached (``hingecoach eval`` writes the cache; this script never runs
the pose model), the track is analysed by the file path (``analyze_track`` with the labelled drill) and replayed
one frame at a time through ``LiveSession`` with the same drill. Printed: per clip the rep counts and fault sets of
both, then the share of clips whose rep count matches exactly and whose fault sets (codes raised on any rep) are
equal, and the per-frame cost of ``LiveSession.push`` (median / p95 / p99 / max in ms; the goal is a median under
2 ms, on top of the pose model), with the cost of the pushes that close and judge a rep (once per rep; the goal is
< 30 ms, issue 15) apart, as wall-clock and as this thread's CPU time (the push without other processes' preemption).
Clips the file path refuses (no person, several people, out of frame) are listed and left out of the shares.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from hingecoach.analysis import analyze_track
from hingecoach.devtools.evaluate import NotCachedError, cached_track, read_manifest
from hingecoach.errors import HingecoachError
from hingecoach.live import LiveEvent, LiveSession, RepJudgedEvent
from hingecoach.live.replay import push_track_frame
from hingecoach.track import PoseTrack

ROOT = Path(__file__).resolve().parents[1]


def replay_timed(
    track: PoseTrack, drill: str
) -> tuple[list[LiveEvent], list[float], list[float], list[float], list[float]]:
    """Replay with a stopwatch around every push (ms); also the cost of the pushes that closed and judged a rep
    (wall-clock and this thread's CPU time)."""
    s = LiveSession(drill, image_wh=track.image_wh, coords="pixels", fps=track.fps)
    events: list[LiveEvent] = []
    ms: list[float] = []
    close_ms: list[float] = []
    close_cpu_ms: list[float] = []
    cpu_ms: list[float] = []
    for k in range(track.n_frames):
        t0, c0 = time.perf_counter(), time.thread_time()
        events.extend(push_track_frame(s, track, k))
        ms.append(1000.0 * (time.perf_counter() - t0))
        cpu_ms.append(1000.0 * (time.thread_time() - c0))
        if events and isinstance(events[-1], RepJudgedEvent) and events[-1].t_s == float(track.t_s[k]):
            close_ms.append(ms[-1])
            close_cpu_ms.append(cpu_ms[-1])
    events.extend(s.finish())
    return events, ms, close_ms, cpu_ms, close_cpu_ms


def _spread(xs: list[float]) -> dict[str, float | int | None]:
    """Count, median, p95 and max of the rep-closing pushes' costs (ms)."""
    if not xs:
        return {"frames": 0, "median": None, "p95": None, "max": None}
    a = np.asarray(xs)
    return {
        "frames": int(a.size),
        "median": round(float(np.median(a)), 1),
        "p95": round(float(np.percentile(a, 95)), 1),
        "max": round(float(a.max()), 1),
    }


def _share(xs: list[bool]) -> float | None:
    return round(float(np.mean(xs)), 3) if xs else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", type=Path, default=ROOT / "eval" / "manifest.csv")
    ap.add_argument("--data-root", type=Path, default=ROOT / ".." / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "hingecoach" / "tracks")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    rows = read_manifest(args.manifest)
    per_clip: list[dict[str, Any]] = []
    costs: list[float] = []
    close_costs: list[float] = []
    cpu_costs: list[float] = []
    close_cpu_costs: list[float] = []
    skipped: list[str] = []
    for row in rows:
        video = args.data_root / row.path
        try:  # never runs the pose model; an older cached track is used without its back profile
            track = cached_track(video, args.cache, cached_only=True, stale_ok=True) if video.exists() else None
        except NotCachedError:
            track = None
        if track is None:
            skipped.append(f"{row.path} (no cached track)")
            continue
        try:
            fa = analyze_track(track, drill=row.drill).analysis
        except HingecoachError as exc:
            skipped.append(f"{row.path} (file path refuses: {exc.code})")
            continue
        events, ms, cms, cpu, ccpu = replay_timed(track, row.drill)
        costs.extend(ms)
        cpu_costs.extend(cpu)
        close_costs.extend(cms)
        close_cpu_costs.extend(ccpu)
        live_reps = [e.rep for e in events if isinstance(e, RepJudgedEvent)]
        file_faults = sorted({f.code for r in fa.reps for f in r.faults})
        live_faults = sorted({f.code for r in live_reps for f in r.faults})
        rec = {
            "clip": row.path,
            "drill": row.drill,
            "file_reps": fa.summary.rep_count,
            "live_reps": len(live_reps),
            "file_faults": file_faults,
            "live_faults": live_faults,
            "reps_match": fa.summary.rep_count == len(live_reps),
            "faults_match": file_faults == live_faults,
        }
        if rec["reps_match"]:  # rep by rep: the same faults, and every check's state (fault/clean/borderline/...)
            pairs = list(zip(fa.reps, live_reps, strict=True))
            rec["rep_faults_equal"] = [{f.code for f in a.faults} == {f.code for f in b.faults} for a, b in pairs]
            rec["rep_checks_equal"] = [
                [(c.code, c.state) for c in a.checks] == [(c.code, c.state) for c in b.checks] for a, b in pairs
            ]
        per_clip.append(rec)
        mark = ("=" if rec["reps_match"] else "x") + ("=" if rec["faults_match"] else "x")
        print(
            f"{mark} {row.path:55s} reps file {fa.summary.rep_count} live {len(live_reps)}  "
            f"faults file {','.join(file_faults) or '-'} live {','.join(live_faults) or '-'}"
        )
    for s in skipped:
        print(f"   skipped {s}")
    if not per_clip:
        print("no clip with a cached track", file=sys.stderr)
        return 1
    c = np.asarray(costs)
    out = {
        "clips": len(per_clip),
        "rep_count_exact_share": round(float(np.mean([r["reps_match"] for r in per_clip])), 3),
        "fault_set_agreement_share": round(float(np.mean([r["faults_match"] for r in per_clip])), 3),
        "reps_compared": sum(len(r.get("rep_faults_equal", [])) for r in per_clip),
        "rep_fault_set_agreement_share": _share([x for r in per_clip for x in r.get("rep_faults_equal", [])]),
        "rep_check_states_agreement_share": _share([x for r in per_clip for x in r.get("rep_checks_equal", [])]),
        "push_ms": {
            "frames": int(c.size),
            "median": round(float(np.median(c)), 3),
            "p95": round(float(np.percentile(c, 95)), 3),
            "p99": round(float(np.percentile(c, 99)), 3),
            "max": round(float(c.max()), 1),
            "mean": round(float(c.mean()), 3),
        },
        "push_cpu_ms": {  # this thread's CPU time: what the push costs without other processes' preemption
            "median": round(float(np.median(cpu_costs)), 3),
            "p95": round(float(np.percentile(cpu_costs, 95)), 3),
            "p99": round(float(np.percentile(cpu_costs, 99)), 3),
        },
    "rep_close_push_ms": _spread(close_costs),
        "rep_close_push_cpu_ms": _spread(close_cpu_costs),
        "rep_close_push_goal_30ms_met_share": _share([x < 30.0 for x in close_costs]),
    }
    print(json.dumps(out, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps({**out, "per_clip": per_clip, "skipped": skipped}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
