"""Every query is scoped by owner: guessing ids gets 404 — for sessions, their video, their report, and athletes.

The sessions are the history store's own rows (the web app has no tables of its own), so these run on SQLite and
PostgreSQL alike (the ``settings`` fixture), and a session the CLI saved is scoped exactly like one the web made.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import csrf_of, login, register
from typer.testing import CliRunner

from hingecoach.schema import Analysis, Source, Summary
from hingecoach.web.app import Settings, create_app
from hingecoach.web.repo import Repo

REPORT = "<!doctype html><html><head><style>body{color:#111}</style></head><body><p id=rep-count>2</p></body></html>"


def minimal_analysis(name: str) -> Analysis:
    """A valid analysis@1 document with no reps (what is scoped here is the row, not its content)."""
    return Analysis(
        source=Source(path=f"{name}.mp4", fps=30.0, frame_count=90, width=640, height=480, duration_s=3.0),
        drill="rdl",
        camera_view="side",
        pose_coverage=1.0,
        reps=[],
        summary=Summary(rep_count=0, fault_counts={}, score=None, cues=[]),
    )


def _session_with_files(repo: Repo, athlete_id: int, name: str) -> int:
    """An uploaded session of the athlete, saved through the store with its files in the athlete's folder."""
    d = repo.store.athlete_dir(athlete_id) / name
    d.mkdir(parents=True)
    (d / "report.html").write_text(REPORT)
    (d / "overlay.mp4").write_bytes(b"\0\0\0\x18ftypisom" + b"overlay-of-" + name.encode())
    (d / "source.mp4").write_bytes(b"\0\0\0\x18ftypisom" + b"source-of-" + name.encode())
    athlete = repo.athlete_name(athlete_id)
    assert athlete is not None
    saved = repo.store.save_session(
        minimal_analysis(name), athlete, source_sha256=name * 4, origin="upload", artefact_dir=d
    )
    return saved.session_id


def test_athletes_and_coaches_see_only_what_they_may(settings: Settings) -> None:
    app = create_app(settings)
    repo: Repo = app.state.repo
    with TestClient(app) as ana, TestClient(app) as bo, TestClient(app) as coach, TestClient(app) as other:
        register(ana, "ana@example.org")
        register(bo, "bo@example.org")
        register(coach, "coach@example.org", role="coach")
        register(other, "other@example.org", role="coach")
        me = {c: c.get("/api/me").json() for c in (ana, bo, coach, other)}
        aid = {c: me[c]["athlete_id"] for c in (ana, bo)}
        assert me[coach]["athlete_id"] is None and aid[ana] != aid[bo]
        s_ana = _session_with_files(repo, aid[ana], "ana")
        s_bo = _session_with_files(repo, aid[bo], "bo")

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
        assert ana.get(f"/api/sessions/{s_ana}").json()["source"]["path"] == "ana.mp4"
        assert b"source-of-ana" in ana.get(f"/sessions/{s_ana}/video").content
        assert visible(ana, s_bo) == [404, 404, 404, 404]  # another athlete's: not found, whatever the id
        assert visible(bo, s_ana) == [404, 404, 404, 404]
        assert visible(coach, s_ana) == [200, 200, 200, 200]  # linked coach
        assert visible(coach, s_bo) == [404, 404, 404, 404]  # not linked
        assert visible(other, s_ana) == [404, 404, 404, 404]
        for guess in range(1, 12):  # guessing ids finds nothing that is not theirs
            assert bo.get(f"/api/sessions/{guess}").status_code == (200 if guess == s_bo else 404)
            assert bo.get(f"/sessions/{guess}").status_code in ((200, 303) if guess == s_bo else (404,))

        assert [s["id"] for s in ana.get("/api/sessions").json()] == [s_ana]
        assert [s["id"] for s in bo.get("/api/sessions").json()] == [s_bo]
        assert [s["id"] for s in coach.get("/api/sessions").json()] == [s_ana]
        assert other.get("/api/sessions").json() == []
        assert coach.get(f"/api/sessions?athlete_id={aid[bo]}").json() == []

        for athlete_id in range(1, 6):  # athlete pages and plans: the linked one only, whatever the id
            ok = athlete_id == aid[ana]
            assert coach.get(f"/athletes/{athlete_id}").status_code == (200 if ok else 404)
            assert coach.get(f"/api/athletes/{athlete_id}/plan").status_code == (200 if ok else 404)
            assert other.get(f"/athletes/{athlete_id}").status_code == 404
            assert other.get(f"/api/athletes/{athlete_id}/plan").status_code == 404
        assert bo.get(f"/athletes/{aid[ana]}").status_code == 404
        assert bo.get(f"/api/athletes/{aid[ana]}/plan").status_code == 404
        assert bo.get(f"/api/athletes/{aid[bo]}/plan").status_code == 200

        # The report is the stored file itself, under a CSP that allows its inline CSS by hash only.
        r = coach.get(f"/sessions/{s_ana}/report")
        assert r.text == REPORT and "'sha256-" in r.headers["content-security-policy"]
        login(ana, "ana@example.org")


def test_signup_never_takes_over_a_history_it_did_not_make(settings: Settings) -> None:
    """A CLI athlete "Ana" exists: signing up as "ana" is refused (it would expose her history to the new account)."""
    app = create_app(settings)
    repo: Repo = app.state.repo
    repo.store.save_session(minimal_analysis("cli"), "Ana", source_sha256="c" * 64)
    with TestClient(app) as c:
        r = c.post(
            "/register",
            data={"email": "x@example.org", "password": "long enough pw", "role": "athlete", "display_name": " ana ",
                  "csrf": csrf_of(c)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 400 and "already in the history" in r.text
        assert c.get("/api/me").status_code == 401


def test_one_store_for_the_cli_and_the_web(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session the CLI saved shows on the web; what the web saves shows in ``hingecoach history --db``."""
    from hingecoach.cli import app as cli

    monkeypatch.setenv("HINGECOACH_DATA", str(settings.data_dir))  # the serve --data-dir; the CLI's file root too
    app = create_app(settings)
    repo: Repo = app.state.repo
    with TestClient(app) as c:
        r = c.post(
            "/register",
            data={"email": "cy@example.org", "password": "long enough pw", "role": "athlete",
                  "display_name": "Cy Web", "csrf": csrf_of(c)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303
        me = c.get("/api/me").json()
        assert me["athlete_name"] == "Cy Web"
        repo.store.save_session(minimal_analysis("from-cli"), "cy web", source_sha256="d" * 64)  # the CLI's save
        web_sid = _session_with_files(repo, me["athlete_id"], "fromweb")
        sessions = c.get("/api/sessions").json()
        assert {s["kind"] for s in sessions} == {"file", "upload"} and len(sessions) == 2
        assert "hingecoach history" in c.get("/").text
    result = CliRunner().invoke(cli, ["history", "Cy Web", "--db", settings.db_url])
    assert result.exit_code == 0, result.output
    assert "2 session(s)" in result.output
    assert web_sid in [s.id for s in repo.store.history("Cy Web")]
    # forget deletes the web's files and the account with the history
    assert CliRunner().invoke(cli, ["forget", "Cy Web", "--db", settings.db_url, "--yes"]).exit_code == 0
    assert not repo.store.athlete_dir(me["athlete_id"]).exists() or not any(
        repo.store.athlete_dir(me["athlete_id"]).iterdir()
    )
    assert repo.user_by_email("cy@example.org") is None
