"""Request dependencies shared by pages, API and socket: who is calling, and the CSRF check.

A missing or bad session cookie means anonymous: the API answers 401, pages redirect to the sign-in page.
The CSRF check runs on every state-changing route (a test walks the app's routes to prove it): the ``hc_csrf``
cookie must be echoed in the ``X-CSRF`` header (fetch) or the ``csrf`` form field (plain HTML forms).
"""

from __future__ import annotations

from typing import Any, cast

from fastapi import HTTPException, Request, WebSocket
from starlette.datastructures import FormData

from hingecoach.web import security
from hingecoach.web.repo import Caller, Repo, Role


class LoginRequiredError(Exception):
    """Raised by page routes for anonymous callers; the app turns it into a redirect to ``/login``."""


def repo_of(conn: Request | WebSocket) -> Repo:
    return cast(Repo, conn.app.state.repo)


def caller_of(conn: Request | WebSocket) -> Caller | None:
    """The signed-in user, or None (a tampered, expired or unknown cookie is simply anonymous)."""
    token = conn.cookies.get(security.SESSION_COOKIE)
    if not token:
        return None
    uid = conn.app.state.signer.loads(token)
    if uid is None:
        return None
    user = repo_of(conn).user(uid)
    if user is None:
        return None
    return Caller(
        id=user.id, email=user.email, role=cast(Role, user.role), athlete_id=user.athlete_id,
        display_name=user.display_name,
    )  # fmt: skip


def api_caller(request: Request) -> Caller:
    caller = caller_of(request)
    if caller is None:
        raise HTTPException(status_code=401, detail="sign in first", headers={"WWW-Authenticate": "Cookie"})
    return caller


def page_caller(request: Request) -> Caller:
    caller = caller_of(request)
    if caller is None:
        raise LoginRequiredError
    return caller


async def require_csrf(request: Request) -> None:
    """403 unless the request echoes the CSRF cookie (header for fetch; form field for urlencoded forms)."""
    cookie = request.cookies.get(security.CSRF_COOKIE)
    submitted = request.headers.get(security.CSRF_HEADER)
    ctype = request.headers.get("content-type", "")
    if submitted is None and ctype.startswith("application/x-www-form-urlencoded"):
        form: FormData = await request.form()
        value: Any = form.get(security.CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not security.csrf_ok(cookie, submitted):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token (reload the page)")


def same_origin(ws: WebSocket) -> bool:
    """Cross-site WebSocket hijacking guard: the socket's Origin must be this server."""
    origin = ws.headers.get("origin")
    host = ws.headers.get("host")
    if origin is None or host is None:
        return False
    return origin.split("://", 1)[-1] == host
