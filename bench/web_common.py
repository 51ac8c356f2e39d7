"""Shared pieces of the web benchmarks: a served app, a signed-in client, and a replayable landmark stream."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.fixtures.web_server

from tests.fixtures.web_server import LiveServer  # noqa: E402

from hingecoach.devtools.evaluate import cached_track  # noqa: E402
from hingecoach.track import PoseTrack  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
TRACK_CACHE = Path.home() / ".cache" / "hingecoach" / "tracks"


def real_track(rel: str) -> PoseTrack:
    """The pose track of a dev clip (extracted once with the real model, then cached)."""
    return cached_track(SHARED / rel, TRACK_CACHE, workers=1)


def page_frames(track: PoseTrack) -> list[dict[str, Any]]:
    """The messages the live page would send for this track (normalised landmarks, world metres, timestamps)."""
    w, h = track.image_wh
    out = []
    for k in range(track.n_frames):
        xy = track.xy_px[k] / np.array([w, h])
        seen = bool(np.isfinite(xy).all())
        lm = np.column_stack([xy, track.visibility[k]]).tolist() if seen else []
        wl = None if track.world_m is None or not seen else track.world_m[k].tolist()
        out.append({"type": "frame", "seq": k + 1, "t": float(track.t_s[k]), "lm": lm, "wl": wl, "np": int(seen)})
    return out


def signed_in(base: str, email: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=120)
    c.get("/login")
    r = c.post(
        "/register",
        data={"email": email, "password": "benchmark password", "role": "athlete", "csrf": c.cookies["hc_csrf"]},
    )
    if r.status_code not in (200, 303):
        raise RuntimeError(f"register failed: {r.status_code}")
    return c


def replay_socket(base: str, client: httpx.Client, track: PoseTrack, drill: str, *, realtime: bool) -> dict[str, Any]:
    """Replay a track over /ws/live; returns per-frame server ms and round-trip ms, and the rep count."""
    url = base.replace("http://", "ws://") + "/ws/live"
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    server_ms: list[float] = []
    rtt_ms: list[float] = []
    rep_ms: list[float] = []
    reps = 0
    w, h = track.image_wh
    with connect(url, additional_headers={"Cookie": cookie, "Origin": base}, max_size=2**20) as ws:
        ws.send(json.dumps({"type": "start", "drill": drill, "width": w, "height": h}))
        json.loads(ws.recv())
        t0 = time.perf_counter()
        for msg in page_frames(track):
            if realtime:
                delay = msg["t"] - (time.perf_counter() - t0)
                if delay > 0:
                    time.sleep(delay)
            sent = time.perf_counter()
            ws.send(json.dumps(msg))
            ack = json.loads(ws.recv())
            rtt_ms.append((time.perf_counter() - sent) * 1000)
            server_ms.append(ack["server_ms"])
            n_rep = sum(1 for e in ack["events"] if e["type"] == "rep")
            if n_rep:
                rep_ms.append(ack["server_ms"])
            reps += n_rep
        ws.send(json.dumps({"type": "stop"}))
        json.loads(ws.recv())
    return {"server_ms": server_ms, "rtt_ms": rtt_ms, "rep_ms": rep_ms, "reps": reps, "frames": len(server_ms)}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def describe(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    return (
        f"{name}: median {statistics.median(values):.2f} ms, p95 {pct(values, 95):.2f} ms, "
        f"max {max(values):.2f} ms (n={len(values)})"
    )


__all__ = ["LiveServer", "describe", "page_frames", "pct", "real_track", "replay_socket", "signed_in"]
