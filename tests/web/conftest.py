"""Fixtures for the web app's tests: a real app on the history store — a temporary SQLite file *and* a fresh database
on a real PostgreSQL server (every test that takes ``settings`` or ``client`` runs on both) — and signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hingecoach.web.app import Settings, create_app
from hingecoach.web.security import CSRF_COOKIE

PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The app's one database: the store's default SQLite file in the data folder, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'history.db'}"
        return
    with request.getfixturevalue("pg_server").database() as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", db_url=db_url, secret="test-secret-" + "x" * 32, run_jobs=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def csrf_of(c: TestClient) -> str:
    if c.cookies.get(CSRF_COOKIE) is None:
        c.get("/login")
    token = c.cookies.get(CSRF_COOKIE)
    assert token
    return token


def register(c: TestClient, email: str, role: str = "athlete") -> None:
    r = c.post(
        "/register",
        data={"email": email, "password": PASSWORD, "role": role, "csrf": csrf_of(c)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def login(c: TestClient, email: str) -> None:
    r = c.post("/login", data={"email": email, "password": PASSWORD, "csrf": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303, r.text

