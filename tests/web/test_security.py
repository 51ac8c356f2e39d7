"""Headers, CSRF and sessions: the web app's security rules hold on every route."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORD, csrf_of, login, register

from hingecoach.web import security
from hingecoach.web.security import CSRF_COOKIE, SESSION_COOKIE, csp_for_html, hash_password, verify_password

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src/hingecoach/web/static/vendor/tasks-vision"


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}


def test_every_response_carries_the_strict_csp(client: TestClient) -> None:
    register(client, "ana@example.org")
    paths = ["/login", "/", "/live", "/upload", "/api/sessions", "/api/me", "/static/live.js", "/no/such/page", "/docs"]
    for path in paths:
        r = client.get(path)
        csp = r.headers.get("content-security-policy")
        assert csp, path
        d = _directives(csp)
        assert d["default-src"] == ["'self'"], path
        assert d["connect-src"] == ["'self'"], path  # no page of ours can talk to another host
        assert d["object-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"], path
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
        assert "http" not in csp and "*" not in csp, path  # nothing external, no wildcard
        assert d["script-src"][:2] == ["'self'", "'wasm-unsafe-eval'"], path
        assert r.headers["x-content-type-options"] == "nosniff"


def test_docs_page_allows_only_its_own_inline_script(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert scripts, "FastAPI's swagger page has one inline init script"
    csp = r.headers["content-security-policy"]
    for s in scripts:
        assert security.sha256_source(s) in csp
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/sessions" in spec["paths"] and "/api/sessions/{session_id}" in spec["paths"]


def test_csp_for_html_hashes_exactly_the_inline_blocks() -> None:
    html = '<style>b{color:red}</style><div style="--p: 67"></div><script src="/x.js"></script>'
    d = _directives(csp_for_html(html))
    assert security.sha256_source("b{color:red}") in d["style-src"]
    assert security.sha256_source("--p: 67") in d["style-src"] and "'unsafe-hashes'" in d["style-src"]
    assert d["script-src"] == ["'self'", "'wasm-unsafe-eval'"]  # an external script adds no hash


def test_vendored_tasks_vision_is_the_pinned_version_without_outside_urls() -> None:
    lock = json.loads((ROOT / "vendor/npm/package-lock.json").read_text())
    entry = lock["packages"]["node_modules/@mediapipe/tasks-vision"]
    assert entry["version"] == "0.10.35" and entry["integrity"].startswith("sha512-")
    assert json.loads((VENDOR / "VERSION.json").read_text())["version"] == "0.10.35"
    bundle = (VENDOR / "vision_bundle.mjs").read_text()
    assert not re.search(r"https?://", bundle)  # 1.x bundles name https://odml.pa.googleapis.com/v1/log
    assert "sendBeacon" not in bundle
    assert (VENDOR / "wasm/vision_wasm_internal.wasm").stat().st_size > 1_000_000


def test_pose_model_is_served_from_our_server(client: TestClient) -> None:
    from hingecoach.pose.model import default_model_path

    r = client.get("/models/pose_landmarker_full.task")
    assert r.status_code == 200
    assert r.content == default_model_path().read_bytes()


def test_passwords_are_argon2id_and_verify() -> None:
    h = hash_password(PASSWORD)
    assert h.startswith("$argon2id$")
    assert verify_password(PASSWORD, h) and not verify_password("wrong", h)
    assert not verify_password(PASSWORD, "not-a-hash")


def test_session_cookie_is_signed_httponly_samesite(client: TestClient) -> None:
    r = client.post(
        "/register",
        data={"email": "bo@example.org", "password": PASSWORD, "role": "athlete", "csrf": csrf_of(client)},
        follow_redirects=False,
    )
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert client.get("/api/me").json()["email"] == "bo@example.org"
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    client.cookies.set(SESSION_COOKIE, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert client.get("/api/me").status_code == 401  # a tampered cookie is anonymous


def test_login_errors_and_logout(client: TestClient) -> None:
    register(client, "cy@example.org")
    client.post("/logout", data={"csrf": csrf_of(client)})
    assert client.get("/api/sessions").status_code == 401
    r = client.post("/login", data={"email": "cy@example.org", "password": "nope-nope", "csrf": csrf_of(client)})
    assert r.status_code == 401 and "wrong e-mail or password" in r.text
    r = client.post("/login", data={"email": "nobody@example.org", "password": PASSWORD, "csrf": csrf_of(client)})
    assert r.status_code == 401
    login(client, "cy@example.org")
    assert client.get("/api/me").status_code == 200
    assert client.get("/", follow_redirects=False).status_code == 200


def test_anonymous_api_is_401_and_pages_redirect(client: TestClient) -> None:
    assert client.get("/api/sessions").status_code == 401
    assert client.get("/api/sessions/1").status_code == 401
    r = client.get("/live", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, descending into included routers (FastAPI >= 0.16x wraps them)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        inner = getattr(r, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)


def test_every_state_changing_route_requires_csrf(client: TestClient) -> None:
    register(client, "di@example.org")
    routes = [(r.path, m) for r in _api_routes(client.app.routes) for m in r.methods if m not in ("GET", "HEAD")]
    assert {p for p, _ in routes} >= {"/login", "/register", "/logout", "/coach-link", "/api/uploads"}
    good = csrf_of(client)
    for path, method in routes:
        for data, headers in (({}, {}), ({"csrf": "forged"}, {}), ({}, {"X-CSRF": "forged"})):
            r = client.request(method, path, data=data, headers=headers)
            assert r.status_code == 403, (path, method, data, headers, r.status_code)
    # The cookie alone is not enough (a cross-site form sends cookies but cannot read them to echo the token).
    assert client.cookies.get(CSRF_COOKIE) == good
    r = client.post("/coach-link", data={"coach_email": "x@example.org"})
    assert r.status_code == 403
