"""Every query is scoped by owner: guessing ids gets 404 — for sessions, their video, their report, and athletes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.web.conftest import csrf_of, login, register

from hingecoach.web.app import Settings, create_app
from hingecoach.web.repo import Repo

REPORT = "<!doctype html><html><head><style>body{color:#111}</style></head><body><p id=rep-count>2</p></body></html>"


def _session_with_files(repo: Repo, owner_id: int, root: Path, name: str) -> int:
    d = root / name
    d.mkdir(parents=True)
    (d / "report.html").write_text(REPORT)
    (d / "overlay.mp4").write_bytes(b"\0\0\0\x18ftypisom" + b"overlay-of-" + name.encode())
    (d / "source.mp4").write_bytes(b"\0\0\0\x18ftypisom" + b"source-of-" + name.encode())
    doc = {"schema": "hingecoach/analysis@1", "drill": "rdl", "owner": name}
    row = repo.add_session(owner_id, kind="upload", drill="rdl", analysis=doc, artefact_dir=str(d), rep_count=2)
    return row.id


def test_athletes_and_coaches_see_only_what_they_may(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings)
    repo: Repo = app.state.repo
    with TestClient(app) as ana, TestClient(app) as bo, TestClient(app) as coach, TestClient(app) as other:
        register(ana, "ana@example.org")
        register(bo, "bo@example.org")
        register(coach, "coach@example.org", role="coach")
        register(other, "other@example.org", role="coach")
        ids = {c: c.get("/api/me").json()["id"] for c in (ana, bo, coach, other)}
        s_ana = _session_with_files(repo, ids[ana], tmp_path / "art", "ana")
        s_bo = _session_with_files(repo, ids[bo], tmp_path / "art", "bo")

        # Ana shares her history with one coach (the athlete decides; a coach cannot link themself).
        r = ana.post("/coach-link", data={"coach_email": "coach@example.org", "csrf": csrf_of(ana)})
        assert r.status_code == 200 and "shared" in r.text
        r = other.post("/coach-link", data={"coach_email": "other@example.org", "csrf": csrf_of(other)})
        assert r.status_code == 200 and "no coach account" in r.text
        assert [a["email"] for a in coach.get("/api/athletes").json()] == ["ana@example.org"]

        def visible(c: TestClient, sid: int) -> list[int]:
            return [
                c.get(f"/api/sessions/{sid}").status_code,
                c.get(f"/sessions/{sid}/report").status_code,
                c.get(f"/sessions/{sid}/overlay.mp4").status_code,
                c.get(f"/sessions/{sid}/video").status_code,
            ]

        assert visible(ana, s_ana) == [200, 200, 200, 200]
        assert ana.get(f"/api/sessions/{s_ana}").json()["owner"] == "ana"
        assert b"source-of-ana" in ana.get(f"/sessions/{s_ana}/video").content
        assert visible(ana, s_bo) == [404, 404, 404, 404]  # another athlete's: not found, whatever the id
        assert visible(bo, s_ana) == [404, 404, 404, 404]
        assert visible(coach, s_ana) == [200, 200, 200, 200]  # linked coach
        assert visible(coach, s_bo) == [404, 404, 404, 404]  # not linked
        assert visible(other, s_ana) == [404, 404, 404, 404]
        for guess in range(1, 12):  # guessing ids finds nothing that is not theirs
            assert bo.get(f"/api/sessions/{guess}").status_code == (200 if guess == s_bo else 404)

        assert [s["id"] for s in ana.get("/api/sessions").json()] == [s_ana]
        assert [s["id"] for s in bo.get("/api/sessions").json()] == [s_bo]
        assert [s["id"] for s in coach.get("/api/sessions").json()] == [s_ana]
        assert other.get("/api/sessions").json() == []
        assert coach.get(f"/api/sessions?athlete_id={ids[bo]}").json() == []

        assert coach.get(f"/athletes/{ids[ana]}").status_code == 200
        assert coach.get(f"/athletes/{ids[bo]}").status_code == 404
        assert other.get(f"/athletes/{ids[ana]}").status_code == 404
        assert bo.get(f"/athletes/{ids[ana]}").status_code == 404

        # The report is the stored file itself, under a CSP that allows its inline CSS by hash only.
        r = coach.get(f"/sessions/{s_ana}/report")
        assert r.text == REPORT and "'sha256-" in r.headers["content-security-policy"]
        login(ana, "ana@example.org")
