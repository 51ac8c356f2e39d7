"""``hingecoach serve`` is one command: it starts uvicorn with the app, SQLite by default, on the port asked."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "web.db"
    env = {**os.environ, "HINGECOACH_DATA": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "hingecoach", "serve", "--port", str(port), "--db", str(db), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read() if proc.stdout else ""
                    raise AssertionError(f"serve did not come up (rc={proc.poll()}): {out[-2000:]}") from None
                time.sleep(0.3)
        assert r.status_code == 200 and r.json()["ok"] is True
        assert "connect-src 'self'" in r.headers["content-security-policy"]
        assert httpx.get(f"http://127.0.0.1:{port}/api/sessions").status_code == 401
        assert db.is_file()  # the --db path is the SQLite file
        assert (tmp_path / "data" / "secret.key").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
