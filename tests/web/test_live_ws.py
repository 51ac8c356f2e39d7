"""The live socket, end to end on the server side: a recorded landmark stream in, the core's events back.

The stream is what the browser sends — normalised image landmarks with visibility, world metres, a timestamp per
frame — made from a pose track; the same track replayed straight into :func:`hingecoach.live.replay` is the
reference, so the transport must neither lose, reorder nor alter anything the core would say.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from tests.web.conftest import register

from hingecoach.devtools.synth import CameraSpec, HingeSpec, generate
from hingecoach.live import replay
from hingecoach.track import PoseTrack
from hingecoach.web.live import LiveConnection, core_session, parse_frame

ORIGIN = {"origin": "http://testserver"}


def frames_as_the_page_sends(track: PoseTrack) -> list[dict[str, Any]]:
    w, h = track.image_wh
    out = []
    for k in range(track.n_frames):
        xy = track.xy_px[k] / np.array([w, h])
        seen = np.isfinite(xy).all()
        lm = [[float(x), float(y), float(v)] for (x, y), v in zip(xy, track.visibility[k], strict=True)]
        wl = None if track.world_m is None else track.world_m[k].tolist()
        out.append({"type": "frame", "seq": k + 1, "t": float(track.t_s[k]), "lm": lm if seen else [], "wl": wl,
                    "np": 1 if seen else 0})
    return out


@pytest.fixture(scope="module")
def faulty_track() -> PoseTrack:
    """Four RDL reps with the knees locked straight (side view, 30 fps): a fault the landmarks alone show (this
    stream carries no mask; tests/web/test_live_mask.py covers the silhouette)."""
    spec = HingeSpec(reps=4, knee_flexion_deg=2.0)
    return generate(spec, CameraSpec(facing="right", image_wh=(640, 480), fps=30.0)).track


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def test_socket_replay_says_what_the_core_says(client: TestClient, faulty_track: PoseTrack) -> None:
    register(client, "ana@example.org")
    reference = [e.model_dump(mode="json") for e in replay(faulty_track, "rdl")]
    w, h = faulty_track.image_wh
    got: list[dict[str, Any]] = []
    server_ms: list[float] = []
    with client.websocket_connect("/ws/live", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "start", "drill": "rdl", "width": w, "height": h}))
        assert json.loads(ws.receive_text()) == {"type": "ready", "drill": "rdl"}
        for msg in frames_as_the_page_sends(faulty_track):
            ws.send_text(json.dumps(msg))
            ack = json.loads(ws.receive_text())
            assert ack["type"] == "ack" and ack["seq"] == msg["seq"]
            got.extend(ack["events"])
            server_ms.append(ack["server_ms"])
        ws.send_text(json.dumps({"type": "stop"}))
        saved = json.loads(ws.receive_text())
        got.extend(saved["events"])
    ref_reps = [e for e in reference if e["type"] == "rep"]
    got_reps = [e for e in got if e["type"] == "rep"]
    assert len(ref_reps) >= 3, "the reference itself must see the reps"
    assert [e["cue_id"] for e in got_reps] == [e["cue_id"] for e in ref_reps]
    assert "locked_knees" in [e["cue_id"] for e in got_reps], "the faulty reps must raise their cue"
    assert [e["verdict"] for e in got_reps] == [e["verdict"] for e in ref_reps]
    for e in got_reps:  # each rep's one line: "good rep" never on a rep with a fault
        assert e["verdict"].startswith(f"Rep {e['rep']['index']}: ")
        assert not (e["good_rep"] and e["cue_id"]) and e["good_rep"] == e["verdict"].endswith("good rep.")
    assert [e["rep"]["index"] for e in got_reps] == [e["rep"]["index"] for e in ref_reps]
    counts = [e["count"] for e in got if e["type"] == "rep_count"]
    assert counts == [e["count"] for e in reference if e["type"] == "rep_count"]
    assert _types(got).count("set_summary") == _types(reference).count("set_summary") >= 1
    assert all(ms >= 0 for ms in server_ms)

    # The set is in the athlete's history — the store's — as an analysis@1 document with the core's reps.
    assert saved["session_ids"] or any(e["type"] == "set_summary" for e in got)
    sessions = client.get("/api/sessions").json()
    assert sessions and all(s["kind"] == "live" for s in sessions)
    assert sum(s["rep_count"] for s in sessions) == len(ref_reps)
    doc = client.get(f"/api/sessions/{sessions[0]['id']}").json()
    assert doc["schema"] == "hingecoach/analysis@1" and doc["source"]["path"] == "live"
    assert any(f["code"] == "locked_knees" for r in doc["reps"] for f in r["faults"])
    me = client.get("/api/me").json()
    history = client.app.state.repo.store.history(me["athlete_name"])  # type: ignore[attr-defined]
    assert [r.id for r in history] == sorted(s["id"] for s in sessions)
    assert client.get(f"/api/athletes/{me['athlete_id']}/plan").json()["athlete"] == me["athlete_name"]
    page = client.get(f"/sessions/{sessions[0]['id']}")  # the set's page: its reps, faults and unsure checks
    assert page.status_code == 200 and "locked knees" in page.text and "Too close to call" in page.text
    unsure = {c["code"] for r in doc["reps"] for c in r["checks"] if c["state"] in ("borderline", "not_judged")}
    assert all(code.replace("_", " ") in page.text for code in unsure)


def test_a_coach_trains_only_a_linked_athlete(client: TestClient, faulty_track: PoseTrack) -> None:
    from tests.web.conftest import csrf_of, login

    register(client, "dan@example.org")
    dan = client.get("/api/me").json()
    register(client, "coach-c@example.org", role="coach")
    w, h = faulty_track.image_wh
    start = {"type": "start", "drill": "rdl", "width": w, "height": h}
    with client.websocket_connect("/ws/live", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({**start, "athlete_id": dan["athlete_id"]}))  # not linked: refused
        err = json.loads(ws.receive_text())
        assert err["type"] == "error" and "athlete" in err["message"]
    login(client, "dan@example.org")
    client.post("/coach-link", data={"coach_email": "coach-c@example.org", "csrf": csrf_of(client)})
    login(client, "coach-c@example.org")
    with client.websocket_connect("/ws/live", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({**start, "athlete_id": dan["athlete_id"]}))
        assert json.loads(ws.receive_text())["type"] == "ready"
        for msg in frames_as_the_page_sends(faulty_track):
            ws.send_text(json.dumps(msg))
            ws.receive_text()
        ws.send_text(json.dumps({"type": "stop"}))
        assert json.loads(ws.receive_text())["session_ids"]
    sessions = client.get(f"/api/sessions?athlete_id={dan['athlete_id']}").json()
    assert sessions and {s["athlete_id"] for s in sessions} == {dan["athlete_id"]}


def test_socket_refuses_anonymous_and_cross_site(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as exc, client.websocket_connect("/ws/live", headers=ORIGIN) as ws:
        ws.receive_text()
    assert exc.value.code == 1008
    register(client, "bo@example.org")
    with (
        pytest.raises(WebSocketDisconnect) as exc,
        client.websocket_connect("/ws/live", headers={"origin": "http://evil.example"}) as ws,
    ):
        ws.receive_text()
    assert exc.value.code == 1008


def test_bad_messages_close_the_socket_and_user_errors_do_not(client: TestClient) -> None:
    register(client, "cy@example.org")
    with client.websocket_connect("/ws/live", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "start", "drill": "bench_press", "width": 640, "height": 480}))
        err = json.loads(ws.receive_text())
        assert err["type"] == "error" and "unknown drill" in err["message"]
        ws.send_text(json.dumps({"type": "start", "drill": "rdl", "width": 640, "height": 480}))
        assert json.loads(ws.receive_text())["type"] == "ready"
        ws.send_text(json.dumps({"type": "frame", "seq": 1, "t": 0.1, "lm": [[0.5, 0.5, 1.0]] * 5}))
        with pytest.raises(WebSocketDisconnect) as exc:
            ws.receive_text()
        assert exc.value.code == 1008
    with client.websocket_connect("/ws/live", headers=ORIGIN) as ws:
        ws.send_text(json.dumps({"type": "frame", "seq": 1, "t": 0.1, "lm": []}))
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()


def test_no_person_frames_reach_the_core_as_nan() -> None:
    t, xy, vis, world, n = parse_frame({"type": "frame", "t": 2.5, "lm": [], "np": 0})
    assert t == 2.5 and np.isnan(xy).all() and (vis == 0).all() and world is None and n == 0
    conn = LiveConnection(factory=core_session)
    conn.handle(json.dumps({"type": "start", "drill": "rdl", "width": 640, "height": 480}), 0.0)
    a = conn.handle(json.dumps({"type": "frame", "seq": 1, "t": 1.0, "lm": [], "np": 0}), 0.0)
    b = conn.handle(json.dumps({"type": "frame", "seq": 2, "t": 1.0, "lm": [], "np": 0}), 0.0)
    assert a is not None and b is not None and b.get("dropped") is True  # a repeated timestamp is not fed twice


def test_live_sets_are_calibrated_by_the_athletes_own_neutral_back(client: TestClient, tmp_path: Any) -> None:
    """As ``analyze --athlete``: a clean side-view session in the athlete's history is the live set's reference."""
    from tests.fixtures.store_data import make_clip

    register(client, "eve@example.org")
    me = client.get("/api/me").json()
    repo = client.app.state.repo  # type: ignore[attr-defined]
    assert repo.back_reference(me["athlete_id"]) is None  # no history yet: population thresholds
    clean = make_clip(tmp_path, "clean", "rdl", reps=4, arms="bar")
    repo.store.save_session(clean.analysis, me["athlete_name"], clean.path)
    ref = repo.back_reference(me["athlete_id"])
    assert ref is not None
    session = core_session("rdl", (640, 480), ref)
    assert session.reference is ref  # type: ignore[attr-defined]
