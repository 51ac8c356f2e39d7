"""``/ws/live``: the live page's socket. Signed-in, same-origin only; one :class:`LiveConnection` per socket.

Each set the core closes (a rest after the reps, the page's ``stop``, or the socket closing mid-set) is saved to
the athlete's history through the store (:meth:`Repo.save_live`): an athlete trains as themselves; a coach names
one of their linked athletes in ``start`` (``athlete_id``), else the socket answers an ``error``. A message the
page should never send closes the socket with 1008 (policy violation) and a reason; a user error (unknown drill)
is reported as an ``error`` message and the socket stays open.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from hingecoach.errors import HingecoachError
from hingecoach.web.api import athlete_of_request
from hingecoach.web.deps import caller_of, repo_of, same_origin
from hingecoach.web.live import LiveConnection, ProtocolError

router = APIRouter()
log = logging.getLogger("hingecoach.web.live")


def _save_sets(ws: WebSocket, athlete_id: int | None, conn: LiveConnection, key: str) -> list[int]:
    """Store every set the core has closed (its ``set_summary``) as one live session of the athlete."""
    sets = conn.take_finished_sets()
    if athlete_id is None:
        return []
    repo = repo_of(ws)
    return [repo.save_live(athlete_id, doc, f"{key}:{k}:{doc.summary.rep_count}") for k, doc in enumerate(sets)]


def _start_athlete(raw: str, ws: WebSocket) -> tuple[bool, int | None]:
    """``(is a start message, the athlete it trains)``; the athlete is None when the caller may not train them."""
    try:
        msg = json.loads(raw)
    except ValueError:
        return False, None
    if not isinstance(msg, dict) or msg.get("type") != "start":
        return False, None
    caller = caller_of(ws)
    if caller is None:
        return True, None
    return True, athlete_of_request(repo_of(ws), caller, msg.get("athlete_id"))


@router.websocket("/ws/live")
async def live_socket(ws: WebSocket) -> None:
    caller = caller_of(ws)
    if caller is None or not same_origin(ws):
        await ws.close(code=1008, reason="sign in on this site first")
        return
    await ws.accept()
    conn = LiveConnection(factory=ws.app.state.settings.live_factory)
    key = uuid.uuid4().hex  # this socket's sets' identity in the history (a live set has no file to hash)
    athlete_id: int | None = None
    try:
        while True:
            raw = await ws.receive_text()
            arrived = time.perf_counter()
            # Only a short message that names "start" near its head is parsed here (frames are not parsed twice).
            is_start, who = _start_athlete(raw, ws) if '"start"' in raw[:64] else (False, None)
            if is_start:
                if who is None:
                    await ws.send_text(json.dumps({"type": "error", "message": "choose an athlete who shared their "
                                                   "history with you (a set is saved to an athlete's history)"}))
                    continue
                if conn.session is not None:  # a new start ends the set in progress
                    conn.finish()
                    _save_sets(ws, athlete_id, conn, key)
                athlete_id = who
                conn.reference = await asyncio.to_thread(repo_of(ws).back_reference, who)
            try:
                # Off the event loop: a frame that closes a rep runs the judge (~tens of ms), and other sockets and
                # page requests must not wait for it. Frames of one socket stay in order (one at a time).
                reply = await asyncio.to_thread(conn.handle, raw, arrived)
            except HingecoachError as exc:
                await ws.send_text(json.dumps({"type": "error", "message": exc.message}))
                continue
            except (ProtocolError, ValueError, TypeError) as exc:
                await ws.close(code=1008, reason=str(exc)[:120])
                return
            if reply is None:
                continue
            if reply["type"] == "stopping":
                events = conn.finish()
                ids = await asyncio.to_thread(_save_sets, ws, athlete_id, conn, key)
                conn.session = None
                await ws.send_text(json.dumps({"type": "saved", "session_ids": ids, "events": events}))
                continue
            if conn.finished_sets:
                reply["saved_session_ids"] = await asyncio.to_thread(_save_sets, ws, athlete_id, conn, key)
            await ws.send_text(json.dumps(reply))
    except WebSocketDisconnect:
        if conn.session is not None:  # the page went away mid-set: keep what was trained
            conn.finish()
            _save_sets(ws, athlete_id, conn, key)
