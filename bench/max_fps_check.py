"""Tracking at a capped analysis rate (``--max-fps``) against full rate, on every clip of the eval manifest.

Usage: .venv/bin/python bench/max_fps_check.py [--manifest eval/manifest.csv] [--max-fps 30] [--json OUT.json]

A hinge is slow; most phone clips are 30-60 fps. ``analyze --max-fps 30`` tracks every other frame of a 60 fps clip
(each kept frame with its true container time), which halves the model's work. This script shows what that costs:

* clips at or below the cap, or less than 10 % above it (``hingecoach.decode.NEAR_CAP``): the capped decoder must
  keep *every* frame (same count, same timestamps), so their analysis is the full-rate analysis by construction;
  checked by decoding both ways;
* clips above the cap: the naive full-rate decode+pose loop, ``analyze`` at full rate and ``analyze`` at the cap
  are each run once (wall time, frames per second of *source* video), and the two analyses are compared: rep
  count, every rep's start, bottom and end time (difference in source frames) and the set of faults;
* to tell the segmentation's share of a shift from the tracker's, the full-rate track is also thinned to the cap
  (the same landmarks, every other frame) and analysed: a shift that remains there is the rep finder's, the rest
  comes from the model tracking a different sequence of frames (its own temporal smoothing).

Not a timed test: figures depend on the machine and its load, so the load average is printed with each.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from hingecoach.analysis import AnalysisResult, analyze_track, analyze_video
from hingecoach.decode import NEAR_CAP, iter_timed_frames, thinning_interval
from hingecoach.devtools.evaluate import read_manifest
from hingecoach.pose.model import require_model
from hingecoach.track import PoseTrack
from hingecoach.video import probe

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("HINGECOACH_SHARED_DATA") or ROOT / ".." / "shared" / "data")


def _naive_loop():  # type: ignore[no-untyped-def]
    """The naive loop of the batch benchmark (one definition for both scripts)."""
    spec = importlib.util.spec_from_file_location("batch_benchmark", Path(__file__).with_name("batch_benchmark.py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["batch_benchmark"] = mod
    spec.loader.exec_module(mod)
    return mod.naive


@dataclass
class Compared:
    path: str
    view: str
    fps: float
    frames: int
    naive_s: float
    full_s: float
    capped_s: float
    frames_full: int
    frames_capped: int
    reps_full: int
    reps_capped: int
    max_shift_frames: float
    #: The same, between full rate and the full-rate track thinned to the cap (same landmarks): the rep finder's share.
    max_shift_same_landmarks: float
    reps_thinned: int
    faults_full: list[str]
    faults_capped: list[str]
    load: float

    @property
    def same_faults(self) -> bool:
        return self.faults_full == self.faults_capped


def faults_of(res: AnalysisResult) -> list[str]:
    """Every fault code the analysis raises: on reps, in their checks, and on the clip outside every rep."""
    a = res.analysis
    codes = {f.code for r in a.reps for f in r.faults}
    codes |= {c.code for r in a.reps for c in r.checks if c.state == "fault"}
    codes |= {c.code for c in a.clip_checks if c.state == "fault"}
    return sorted(codes)


def rep_shift_frames(full: AnalysisResult, capped: AnalysisResult, fps: float) -> float:
    """Largest difference of a rep's start, bottom or end time between the two analyses, in source frames."""
    a, b = full.analysis.reps, capped.analysis.reps
    if len(a) != len(b) or not a:
        return float("nan")
    keys = ("start_s", "bottom_s", "end_s")
    d = [abs(getattr(x, k) - getattr(y, k)) for x, y in zip(a, b, strict=True) for k in keys]
    return float(max(d) * fps)


def thinned(track: PoseTrack, cap: float) -> PoseTrack:
    """Every ``step``-th frame of ``track`` (``step`` = source rate / cap, rounded up), with their own timestamps."""
    step = max(1, int(np.ceil(track.fps / cap - 1e-6)))
    sl = slice(None, None, step)

    def pick(a: np.ndarray | None) -> np.ndarray | None:  # type: ignore[type-arg]
        return None if a is None else a[sl]

    return replace(
        track, xy_px=track.xy_px[sl], visibility=track.visibility[sl], t_s=track.t_s[sl], fps=track.fps / step,
        world_m=pick(track.world_m), n_people=pick(track.n_people), back_profile=pick(track.back_profile),
        other_person=pick(track.other_person),
    )  # fmt: skip


def same_frames(path: Path, fps: float, cap: float) -> tuple[int, int, bool]:
    """Decode a clip at or below the cap both ways (tiny frames: only the clock matters)."""
    t_all = np.array([f.t_s for f in iter_timed_frames(path, fps=fps, max_side=64)])
    t_cap = np.array([f.t_s for f in iter_timed_frames(path, fps=fps, max_side=64, max_fps=cap)])
    return t_all.size, t_cap.size, bool(t_all.size == t_cap.size and np.array_equal(t_all, t_cap))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--manifest", type=Path, default=ROOT / "eval" / "manifest.csv")
    parser.add_argument("--max-fps", type=float, default=30.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--above-only", action="store_true", help="skip the decode check of clips at or below the cap")
    args = parser.parse_args()
    cap = float(args.max_fps)
    model = require_model(None)
    naive = _naive_loop()
    rows = read_manifest(args.manifest)
    below: list[dict[str, object]] = []
    above: list[Compared] = []
    for row in rows:
        path = DATA / row.path
        if not path.exists():
            print(f"missing: {row.path}")
            continue
        info = probe(path)
        if thinning_interval(info.fps, cap) == 0.0:  # at, below or near the cap: tracked whole
            if args.above_only:
                continue
            n_all, n_cap, same = same_frames(path, info.fps, cap)
            below.append({"path": row.path, "fps": info.fps, "frames": n_all, "frames_capped": n_cap, "same": same})
            if not same:
                print(f"  DIFFERENT INPUT at {cap:g} fps: {row.path} ({info.fps:.2f} fps, {n_all} -> {n_cap} frames)")
            continue
        drill = row.drill or "auto"
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        naive([path], model)
        t1 = time.perf_counter()
        full = analyze_video(path, drill=drill)
        t2 = time.perf_counter()
        capped = analyze_video(path, drill=drill, max_fps=cap)
        t3 = time.perf_counter()
        thin = analyze_track(thinned(full.raw_track, cap), drill=drill, source_path=row.path, source_fps=info.fps)
        c = Compared(
            path=row.path,
            view=row.view,
            fps=info.fps,
            frames=info.frame_count,
            naive_s=t1 - t0,
            full_s=t2 - t1,
            capped_s=t3 - t2,
            frames_full=full.raw_track.n_frames,
            frames_capped=capped.raw_track.n_frames,
            reps_full=full.analysis.summary.rep_count,
            reps_capped=capped.analysis.summary.rep_count,
            max_shift_frames=rep_shift_frames(full, capped, info.fps),
            max_shift_same_landmarks=rep_shift_frames(full, thin, info.fps),
            reps_thinned=thin.analysis.summary.rep_count,
            faults_full=faults_of(full),
            faults_capped=faults_of(capped),
            load=load,
        )
        above.append(c)
        print(
            f"{c.path:42s} {c.fps:5.1f} fps {c.frames:4d} fr  naive {c.naive_s:5.1f}s  full {c.full_s:5.1f}s  "
            f"capped {c.capped_s:5.1f}s  ({c.naive_s / c.capped_s:4.2f}x naive)  reps {c.reps_full}/{c.reps_capped}  "
            f"shift {c.max_shift_frames:4.1f} fr (same landmarks {c.max_shift_same_landmarks:4.1f})  "
            f"faults {'same' if c.same_faults else 'DIFFER'} "
            f"{c.faults_full} / {c.faults_capped}  load {c.load:.1f}",
            flush=True,
        )
    same_below = sum(bool(b["same"]) for b in below)
    print(
        f"\nclips at or below {cap:g} fps, or within {NEAR_CAP:g}x of it: {same_below} of {len(below)} decode to the "
        "same frames when capped"
    )
    if above:
        naive_s = sum(c.naive_s for c in above)
        full_s = sum(c.full_s for c in above)
        capped_s = sum(c.capped_s for c in above)
        shifts = [c.max_shift_frames for c in above if np.isfinite(c.max_shift_frames)]
        print(f"clips above {cap:g} fps: {len(above)}, {sum(c.frames for c in above)} source frames")
        print(f"  analyze full rate / naive    {naive_s / full_s:4.2f}x")
        print(f"  analyze at {cap:g} fps / naive    {naive_s / capped_s:4.2f}x   (goal >= 2.5x on 60 fps sources)")
        print(f"  same rep count               {sum(c.reps_full == c.reps_capped for c in above)} of {len(above)}")
        print(f"  largest rep-time shift       {max(shifts) if shifts else float('nan'):.1f} source frames")
        for label, side in (("side views", True), ("other views", False)):
            sel = [c for c in above if (c.view == "side") == side]
            tracked = [c.max_shift_frames for c in sel if np.isfinite(c.max_shift_frames)]
            same_lm = [c.max_shift_same_landmarks for c in sel if np.isfinite(c.max_shift_same_landmarks)]
            print(
                f"    {label:12s} tracked at the cap {max(tracked) if tracked else float('nan'):5.1f}"
                f" · same landmarks thinned (the rep finder alone) {max(same_lm) if same_lm else float('nan'):5.1f}"
            )
        n_same = sum(c.reps_full == c.reps_thinned for c in above)
        print(f"  same rep count, same landmarks thinned {n_same} of {len(above)}")
        print(f"  same faults                  {sum(c.same_faults for c in above)} of {len(above)}")
    if args.json is not None:
        doc = {"cap_fps": cap, "below": below, "above": [asdict(c) | {"same_faults": c.same_faults} for c in above]}
        args.json.write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
