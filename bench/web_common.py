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


def page_frames_with_masks(
    clip: Path, *, max_side: int = 480, fps: float = 30.0
) -> tuple[list[dict[str, Any]], tuple[int, int]]:
    """What the live page sends for a clip, mask included: the real model (with segmentation) on the clip's frames
    at the fake camera's size, each first person's mask in the page's run-length form. Returns (messages, (w, h))."""
    from hingecoach.decode import iter_frames
    from hingecoach.pose.mediapipe_backend import MediaPipePoseBackend
    from hingecoach.web.mask import encode_mask

    out: list[dict[str, Any]] = []
    wh = (0, 0)
    backend = MediaPipePoseBackend(None, with_masks=True)
    try:
        for k, rgb in iter_frames(clip, max_side=max_side):
            wh = (int(rgb.shape[1]), int(rgb.shape[0]))
            pose = backend.process(rgb, round(k * 1000 / fps))
            seen = bool(np.isfinite(pose.xy_norm).all())
            lm = np.column_stack([pose.xy_norm, pose.visibility]).tolist() if seen else []
            wl = None if pose.world_m is None or not seen else np.asarray(pose.world_m).tolist()
            mk = encode_mask(pose.mask) if seen and pose.mask is not None else None
            out.append({"type": "frame", "seq": k + 1, "t": k / fps, "lm": lm, "wl": wl, "np": int(seen), "mk": mk})
    finally:
        backend.close()
    return out, wh


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


def replay_socket(
    base: str,
    client: httpx.Client,
    track: PoseTrack | None,
    drill: str,
    *,
    realtime: bool,
    frames: tuple[list[dict[str, Any]], tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """Replay a track (or ready page messages, ``frames``) over /ws/live; returns per-frame server ms and round-trip
    ms, the rep count and the cue ids."""
    url = base.replace("http://", "ws://") + "/ws/live"
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    server_ms: list[float] = []
    rtt_ms: list[float] = []
    rep_ms: list[float] = []
    cues: list[str | None] = []
    reps = 0
    if frames is not None:
        msgs, (w, h) = frames
    elif track is not None:
        msgs, (w, h) = page_frames(track), track.image_wh
    else:
        raise ValueError("a track or frames")
    with connect(url, additional_headers={"Cookie": cookie, "Origin": base}, max_size=2**20) as ws:
        ws.send(json.dumps({"type": "start", "drill": drill, "width": w, "height": h}))
        json.loads(ws.recv())
        t0 = time.perf_counter()
        for msg in msgs:
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
            cues += [e.get("cue_id") for e in ack["events"] if e["type"] == "rep"]
            if n_rep:
                rep_ms.append(ack["server_ms"])
            reps += n_rep
        ws.send(json.dumps({"type": "stop"}))
        end = json.loads(ws.recv())
        cues += [e.get("cue_id") for e in end.get("events", []) if e["type"] == "rep"]
    return {"server_ms": server_ms, "rtt_ms": rtt_ms, "rep_ms": rep_ms, "reps": reps, "frames": len(server_ms),
            "cues": cues}


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
