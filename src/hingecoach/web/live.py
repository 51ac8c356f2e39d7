"""The live coaching transport: landmarks in over a WebSocket, the streaming core's events back.

The browser runs the pose model (video never leaves the device) and sends, per camera frame, BlazePose's 33
landmarks — normalised image ``x, y`` with visibility, and world metres — with the frame's own timestamp. This
module only checks their shape and feeds :class:`hingecoach.live.LiveSession` (told the camera's frame size and
that coordinates are normalised); every judgement (setup problems, phase, rep count, faults, cue) is the core's.
Each ``set_summary`` event the core emits is saved to the athlete's history as one live session.

Protocol (JSON text messages):

- client → ``{"type": "start", "drill": "rdl", "width": 640, "height": 480}``
- client → ``{"type": "frame", "seq": 17, "t": 1.234, "lm": [[x, y, vis] * 33], "wl": [[x, y, z] * 33] | null,
  "np": 1}`` (``lm`` normalised [0, 1] image coordinates as BlazePose gives them; ``np`` people detected)
- client → ``{"type": "stop"}``
- server → ``{"type": "ready"}``, then per frame ``{"type": "ack", "seq": 17, "server_ms": 0.8, "events": [...]}``,
  and after ``stop`` ``{"type": "saved", "session_id": 3, "events": [...]}``.

``server_ms`` is measured from the message's arrival to just before its reply is sent (the latency goal is on it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from hingecoach.skeleton import N_LANDMARKS

MAX_MESSAGE_BYTES = 64 * 1024
"""One frame's landmarks are ~4 kB of JSON; anything far larger is not ours."""


class LiveSessionLike(Protocol):
    """The seam the core provides (``hingecoach.live.LiveSession``)."""

    def push(
        self,
        t_s: float,
        xy: NDArray[np.float64],
        visibility: NDArray[np.float64],
        world_m: NDArray[np.float64] | None = None,
        *,
        n_people: int | None = None,
    ) -> list[Any]: ...

    def finish(self) -> list[Any]: ...


SessionFactory = Callable[[str, tuple[int, int]], LiveSessionLike]
"""``factory(drill, (width, height))`` → a session fed normalised image coordinates."""


def core_session(drill: str, image_wh: tuple[int, int]) -> LiveSessionLike:
    """The real streaming core for ``drill`` on a camera of ``image_wh`` pixels."""
    from hingecoach.live import LiveSession

    session: LiveSessionLike = LiveSession(drill, image_wh=image_wh, coords="normalized")
    return session


class ProtocolError(ValueError):
    """A message the page should never send (bad shape, out-of-order time)."""


def event_json(ev: Any) -> dict[str, Any]:
    """A core event as a JSON object (Pydantic events dump themselves; dicts pass through)."""
    if isinstance(ev, BaseModel):
        out: Any = ev.model_dump(mode="json")
    elif isinstance(ev, dict):
        out = ev
    else:
        raise TypeError(f"unexpected live event {type(ev).__name__}")
    clean: dict[str, Any] = _finite(out)
    return clean


def _finite(value: Any) -> Any:
    """NaN/inf → None, recursively: JSON has no NaN and the page's ``JSON.parse`` would reject it."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def parse_frame(
    msg: dict[str, Any],
) -> tuple[float, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None, int | None]:
    """``(t_s, xy (33,2) normalised, visibility (33,), world_m (33,3) | None, n_people | None)`` from a frame
    message; NaN landmarks when no person.

    An empty ``lm`` list means the model saw nobody in this frame: the core still gets the frame (it must know
    that time passed with no one in view), with NaN landmarks and zero visibility.
    """
    t = msg.get("t")
    if not isinstance(t, int | float) or not np.isfinite(t):
        raise ProtocolError("frame without a numeric timestamp")
    n = msg.get("np")
    n_people = int(n) if isinstance(n, int) and 0 <= n <= 16 else None
    lm = msg.get("lm") or []
    if not lm:
        return float(t), np.full((N_LANDMARKS, 2), np.nan), np.zeros(N_LANDMARKS), None, n_people
    arr = np.asarray(lm, dtype=np.float64)
    if arr.shape != (N_LANDMARKS, 3):
        raise ProtocolError(f"lm must be {N_LANDMARKS} x [x, y, visibility], got {arr.shape}")
    xy = arr[:, :2]
    vis = np.clip(arr[:, 2], 0.0, 1.0)
    world = None
    wl = msg.get("wl")
    if wl:
        w = np.asarray(wl, dtype=np.float64)
        if w.shape != (N_LANDMARKS, 3):
            raise ProtocolError(f"wl must be {N_LANDMARKS} x [x, y, z], got {w.shape}")
        world = w
    return float(t), xy, vis, world, n_people


@dataclass
class LiveConnection:
    """One WebSocket's state: the core session and what the set has produced so far."""

    factory: SessionFactory
    session: LiveSessionLike | None = None
    drill: str = ""
    width: int = 0
    height: int = 0
    last_t: float = -np.inf
    frames: int = 0
    reps: list[dict[str, Any]] = field(default_factory=list)
    finished_sets: list[dict[str, Any]] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)

    def handle(self, raw: str, arrived: float) -> dict[str, Any] | None:
        """Process one text message; returns the reply (None for none). ``arrived`` is ``perf_counter()``."""
        if len(raw) > MAX_MESSAGE_BYTES:
            raise ProtocolError("message too large")
        msg = json.loads(raw)
        if not isinstance(msg, dict):
            raise ProtocolError("messages are JSON objects")
        kind = msg.get("type")
        if kind == "start":
            return self._start(msg)
        if kind == "frame":
            return self._frame(msg, arrived)
        if kind == "stop":
            return {"type": "stopping"}
        raise ProtocolError(f"unknown message type {kind!r}")

    def _start(self, msg: dict[str, Any]) -> dict[str, Any]:
        from hingecoach.analysis import check_drill_id

        drill = check_drill_id(str(msg.get("drill", "")))
        w, h = int(msg.get("width", 0)), int(msg.get("height", 0))
        if not (0 < w <= 8192 and 0 < h <= 8192):
            raise ProtocolError("start needs the camera frame size")
        self.drill, self.width, self.height = drill, w, h
        self.session = self.factory(drill, (w, h))
        self.last_t, self.frames = -np.inf, 0
        self.reps.clear()
        return {"type": "ready", "drill": drill}

    def _frame(self, msg: dict[str, Any], arrived: float) -> dict[str, Any]:
        if self.session is None:
            raise ProtocolError("frame before start")
        t, xy, vis, world, n_people = parse_frame(msg)
        if t <= self.last_t:  # the page's clock is monotonic; a repeat or reorder is dropped, not fed
            return {"type": "ack", "seq": msg.get("seq"), "events": [], "dropped": True, "server_ms": 0.0}
        self.last_t = t
        self.frames += 1
        events = [event_json(e) for e in self.session.push(t, xy, vis, world, n_people=n_people)]
        self._collect(events)
        ms = (time.perf_counter() - arrived) * 1000.0
        self.server_ms.append(ms)
        if len(self.server_ms) > 10_000:  # bounded over an hour of frames
            del self.server_ms[:5000]
        return {"type": "ack", "seq": msg.get("seq"), "events": events, "server_ms": round(ms, 3)}

    def finish(self) -> list[dict[str, Any]]:
        """End of the set: the core's closing events (its set summary), if it has a ``finish``."""
        if self.session is None:
            return []
        events = [event_json(e) for e in self.session.finish()]
        self._collect(events)
        return events

    def _collect(self, events: list[dict[str, Any]]) -> None:
        """Keep the current set's judged reps; a ``set_summary`` turns them into a record to save (bounded)."""
        for ev in events:
            if ev.get("type") == "rep":
                self.reps.append(ev)
                del self.reps[:-200]
            elif ev.get("type") == "set_summary":
                self.finished_sets.append(set_record(ev, self.reps))
                self.reps = []

    def take_finished_sets(self) -> list[dict[str, Any]]:
        out, self.finished_sets = self.finished_sets, []
        return out


def set_record(summary_event: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """What a live set stores: the core's summary plus that set's judged reps (``rep`` events)."""
    idx = summary_event.get("set_index")
    reps = [e for e in events if e.get("type") == "rep" and e.get("set_index") == idx]
    return {"kind": "live", "summary_event": summary_event, "reps": reps[-200:]}
