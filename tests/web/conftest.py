"""Fixtures for the web app's tests: a real app on a temporary SQLite file, and signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hingecoach.web.app import Settings, create_app
from hingecoach.web.security import CSRF_COOKIE

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret="test-secret-" + "x" * 32, run_jobs=False)


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


class LiveServer:
    """The app under a real uvicorn on a loopback port, in a thread (for sockets, streaming and browsers)."""

    def __init__(self, settings: Settings) -> None:
        import socket
        import threading

        import uvicorn

        self.app = create_app(settings)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", ws_max_size=256 * 1024)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        t_end = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > t_end or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
