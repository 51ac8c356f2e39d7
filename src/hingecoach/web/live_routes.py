"""``/ws/live``: the live page's socket. Signed-in, same-origin only; one :class:`LiveConnection` per socket.

Each set the core closes (a rest after the reps, the page's ``stop``, or the socket closing mid-set) is saved to
the athlete's history. A message the page should never send closes the socket with 1008 (policy violation) and a
reason; a user error (unknown drill) is reported as an ``error`` message and the socket stays open.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from hingecoach.errors import HingecoachError
from hingecoach.web.deps import caller_of, repo_of, same_origin
from hingecoach.web.live import LiveConnection, ProtocolError
from hingecoach.web.repo import Caller

router = APIRouter()
log = logging.getLogger("hingecoach.web.live")


def _save_sets(ws: WebSocket, caller: Caller, conn: LiveConnection) -> list[int]:
    """Store every set the core has closed (its ``set_summary``) as one live session of the caller."""
    ids = []
    for record in conn.take_finished_sets():
        summary = record["summary_event"].get("summary") or {}
        row = repo_of(ws).add_session(
            caller.id,
            kind="live",
            drill=str(record["summary_event"].get("drill") or conn.drill),
            live_summary=record,
            rep_count=int(summary.get("rep_count") or 0),
            score=summary.get("score"),
        )
        ids.append(row.id)
    return ids


@router.websocket("/ws/live")
async def live_socket(ws: WebSocket) -> None:
    caller = caller_of(ws)
    if caller is None or not same_origin(ws):
        await ws.close(code=1008, reason="sign in on this site first")
        return
    await ws.accept()
    conn = LiveConnection(factory=ws.app.state.settings.live_factory)
    try:
        while True:
            raw = await ws.receive_text()
            arrived = time.perf_counter()
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
                ids = _save_sets(ws, caller, conn)
                conn.session = None
                await ws.send_text(json.dumps({"type": "saved", "session_ids": ids, "events": events}))
                continue
            if conn.finished_sets:
                reply["saved_session_ids"] = _save_sets(ws, caller, conn)
            await ws.send_text(json.dumps(reply))
    except WebSocketDisconnect:
        if conn.session is not None:  # the page went away mid-set: keep what was trained
            conn.finish()
            _save_sets(ws, caller, conn)
