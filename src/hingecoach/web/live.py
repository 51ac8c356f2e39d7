"""The live coaching transport: landmarks in over a WebSocket, the streaming core's events back.

The browser runs the pose model (video never leaves the device) and sends, per camera frame, BlazePose's 33
landmarks — normalised image ``x, y`` with visibility, and world metres — with the frame's own timestamp, and the
person's segmentation mask, thresholded and run-length encoded (:mod:`hingecoach.web.mask`): the silhouette is
what the back-line checks read (``rounded_back``, ``head_out_of_line``; landmarks alone cannot see a rounded
back). This module checks their shape, turns each frame into the pose backend's own :class:`FramePose` and through
:func:`hingecoach.pose.stream.frame_arrays` — the per-frame conversion the file path uses, so the dorsal profile is
measured by the same function on the same kind of mask — and feeds :class:`hingecoach.live.LiveSession`; every
judgement (setup problems, phase, rep count, faults, cue) is the core's. Each ``set_summary`` the core emits is
turned into an ``analysis@1`` document (:func:`set_analysis`) and saved to the athlete's history.

Protocol (JSON text messages):

- client → ``{"type": "start", "drill": "rdl", "width": 640, "height": 480, "athlete_id": 3 | null}``
- client → ``{"type": "frame", "seq": 17, "t": 1.234, "lm": [[x, y, vis] * 33], "wl": [[x, y, z] * 33] | null,
  "np": 1, "mk": {"w": 640, "h": 480, "rle": "<base64>"} | null}`` (``lm`` normalised [0, 1] image coordinates as
  BlazePose gives them; ``np`` people detected; ``mk`` the first person's mask at the model's input size)
- client → ``{"type": "stop"}``
- server → ``{"type": "ready"}``, then per frame ``{"type": "ack", "seq": 17, "server_ms": 0.8, "events": [...],
  "back": true}`` (``back``: a dorsal profile was measured on this frame), and after ``stop``
  ``{"type": "saved", "session_ids": [3], "events": [...]}``.

``server_ms`` is measured from the message's arrival to just before its reply is sent (the latency goal is on it).
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from hingecoach.pose import FramePose
from hingecoach.pose.stream import frame_arrays
from hingecoach.schema import Analysis, Provenance, Rep, Source, Summary
from hingecoach.schema import Warning as ResultWarning
from hingecoach.skeleton import N_LANDMARKS
from hingecoach.web.mask import MaskError, decode_mask

if TYPE_CHECKING:
    from hingecoach.measures import BackReference

#: Where the browser fetches the pose model it runs (served by :mod:`hingecoach.web.app` from the installed model file).
MODEL_URL = "/models/pose_landmarker_full.task"
MAX_MESSAGE_BYTES = 256 * 1024
"""One frame's landmarks are ~4 kB of JSON and its run-length mask a few kB; anything far larger is not ours."""


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
        back_profile: NDArray[np.float64] | None = None,
    ) -> list[Any]: ...

    def finish(self) -> list[Any]: ...


SessionFactory = Callable[[str, tuple[int, int], "BackReference | None"], LiveSessionLike]
"""``factory(drill, (width, height), reference)`` → a session fed normalised image coordinates."""


def core_session(drill: str, image_wh: tuple[int, int], reference: BackReference | None = None) -> LiveSessionLike:
    """The real streaming core for ``drill`` on a camera of ``image_wh`` pixels; ``reference``: the athlete's own
    neutral back line from their history, as ``hingecoach analyze --athlete`` uses it (None: population
    thresholds).
    """
    from hingecoach.live import LiveSession

    session: LiveSessionLike = LiveSession(drill, image_wh=image_wh, coords="normalized", reference=reference)
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


def frame_pose(msg: dict[str, Any]) -> tuple[float, FramePose]:
    """``(t_s, the frame as the pose backend's FramePose)``: landmarks, head count and the decoded mask."""
    t, xy, vis, world, n_people = parse_frame(msg)
    mask = None
    mk = msg.get("mk")
    if mk and np.isfinite(xy).all():
        if not isinstance(mk, dict):
            raise ProtocolError("mk must be an object")
        try:
            mask = decode_mask(mk)
        except MaskError as exc:
            raise ProtocolError(str(exc)) from None
    people = -1 if n_people is None else n_people
    return t, FramePose(xy_norm=xy, visibility=vis, world_m=world, n_people=people, mask=mask)


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
    #: The athlete's neutral back line (set by the route from the store before ``start``).
    reference: BackReference | None = None
    session: LiveSessionLike | None = None
    drill: str = ""
    width: int = 0
    height: int = 0
    last_t: float = -np.inf
    frames: int = 0
    reps: list[dict[str, Any]] = field(default_factory=list)
    finished_sets: list[Analysis] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    set_frames: int = 0
    set_seen: int = 0
    set_backs: int = 0
    set_t0: float = math.nan

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
        self.session = self.factory(drill, (w, h), self.reference)
        self.last_t, self.frames = -np.inf, 0
        self.reps.clear()
        self._reset_set()
        return {"type": "ready", "drill": drill}

    def _reset_set(self) -> None:
        self.set_frames, self.set_seen, self.set_backs, self.set_t0 = 0, 0, 0, math.nan

    def _frame(self, msg: dict[str, Any], arrived: float) -> dict[str, Any]:
        if self.session is None:
            raise ProtocolError("frame before start")
        t, pose = frame_pose(msg)
        if t <= self.last_t:  # the page's clock is monotonic; a repeat or reorder is dropped, not fed
            return {"type": "ack", "seq": msg.get("seq"), "events": [], "dropped": True, "server_ms": 0.0}
        self.last_t = t
        self.frames += 1
        fa = frame_arrays(pose, with_masks=True)  # the file path's per-frame conversion (dorsal profile included)
        has_back = fa.back_profile is not None and bool(np.isfinite(fa.back_profile).any())
        self.set_frames += 1
        self.set_seen += int(bool(np.isfinite(fa.xy_norm).all()))
        self.set_backs += int(has_back)
        if math.isnan(self.set_t0):
            self.set_t0 = t
        world = fa.world_m if np.isfinite(fa.world_m).all() else None
        n_people = None if fa.n_people < 0 else fa.n_people
        pushed = self.session.push(
            t, fa.xy_norm, fa.visibility, world, n_people=n_people, back_profile=fa.back_profile
        )
        events = [event_json(e) for e in pushed]
        self._collect(events)
        ms = (time.perf_counter() - arrived) * 1000.0
        self.server_ms.append(ms)
        if len(self.server_ms) > 10_000:  # bounded over an hour of frames
            del self.server_ms[:5000]
        return {"type": "ack", "seq": msg.get("seq"), "events": events, "server_ms": round(ms, 3), "back": has_back}

    def finish(self) -> list[dict[str, Any]]:
        """End of the set: the core's closing events (its set summary), if it has a ``finish``."""
        if self.session is None:
            return []
        events = [event_json(e) for e in self.session.finish()]
        self._collect(events)
        return events

    def _collect(self, events: list[dict[str, Any]]) -> None:
        """Keep the current set's judged reps; a ``set_summary`` turns them into a document to save (bounded)."""
        for ev in events:
            if ev.get("type") == "rep":
                self.reps.append(ev)
                del self.reps[:-200]
            elif ev.get("type") == "set_summary":
                duration = max(self.last_t - self.set_t0, 0.0) if np.isfinite(self.last_t) else 0.0
                frames = SetFrames(self.set_frames, self.set_seen, self.set_backs, duration)
                self.finished_sets.append(set_analysis(ev, self.reps, frames, (self.width, self.height)))
                self.reps = []
                self._reset_set()

    def take_finished_sets(self) -> list[Analysis]:
        out, self.finished_sets = self.finished_sets, []
        return out


@dataclass(frozen=True)
class SetFrames:
    """What the socket saw of one set: frames, frames with a person, frames with a back profile, seconds."""

    frames: int
    seen: int
    backs: int
    duration_s: float


def set_analysis(
    summary_event: dict[str, Any], events: list[dict[str, Any]], frames: SetFrames, image_wh: tuple[int, int]
) -> Analysis:
    """A live set as an ``analysis@1`` document: the core's judged reps and summary, the camera's size and rate.

    Why a full document and not the events: the history store, ``hingecoach history``/``plan`` and the ladder read
    sessions as ``analysis@1`` documents, so a live set is then a session like any other (``source.path`` is
    ``"live"``: there is no file; the video never left the browser).
    """
    from hingecoach.config import AnalysisConfig
    from hingecoach.provenance import config_hash, package_version

    idx = summary_event.get("set_index")
    mine = [e for e in events if e.get("type") == "rep" and e.get("set_index") == idx][-200:]
    reps = [Rep.model_validate(e["rep"]) for e in mine]
    views = Counter(str(e.get("camera_view")) for e in mine if e.get("camera_view") in ("side", "front", "oblique"))
    view = views.most_common(1)[0][0] if views else "unknown"
    n = max(frames.frames, 1)
    fps = (frames.frames - 1) / frames.duration_s if frames.duration_s > 0 and frames.frames > 1 else 30.0
    w, h = image_wh
    warnings = [ResultWarning(code="live_set", message="trained live: pose ran in the browser, no video was kept")]
    if frames.seen and frames.backs == 0:
        msg = "the page sent no person mask: the back was not seen"
        warnings.append(ResultWarning(code="no_silhouette", message=msg))
    return Analysis.model_validate(
        {
            "source": Source(
                path="live", fps=fps, frame_count=frames.frames, width=w, height=h, duration_s=frames.duration_s
            ),
            "drill": str(summary_event.get("drill")),
            "camera_view": view,
            "pose_coverage": min(frames.seen / n, 1.0),
            "reps": reps,
            "summary": Summary.model_validate(summary_event.get("summary") or {}),
            "warnings": warnings,
            "provenance": Provenance(
                hingecoach_version=package_version(),
                config_hash=config_hash(AnalysisConfig()),
                track_log=[f"live: {frames.frames} frames from the browser, {frames.backs} with a back profile"],
            ),
        }
    )
