"""HTML pages: sign-in/up, home (history), live set, upload, and the stored report, overlay and video.

Pages carry no inline script or style (the CSP forbids both); their behaviour is in ``static/*.js``. The result
page of an upload is the CLI's own self-contained report file, served with a CSP that allows exactly its inline
blocks by hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from hingecoach.drills import DRILLS
from hingecoach.ladder import PlanDecision, decide
from hingecoach.schema import DRILL_IDS
from hingecoach.store import StoreError
from hingecoach.web import security
from hingecoach.web.deps import caller_of, page_caller, repo_of, require_csrf
from hingecoach.web.live import MODEL_URL
from hingecoach.web.repo import Caller, NameTakenError, Repo, SessionView

router = APIRouter(include_in_schema=False)
PageCaller = Annotated[Caller, Depends(page_caller)]
_env = Environment(loader=PackageLoader("hingecoach.web", "templates"), autoescape=select_autoescape())


def drill_choices() -> list[tuple[str, str]]:
    return [(d, DRILLS[d].name if d in DRILLS else d) for d in DRILL_IDS]


def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    caller = ctx.pop("caller", None) or caller_of(request)
    html = _env.get_template(name).render(csrf=request.state.csrf, caller=caller, **ctx)
    return HTMLResponse(html, status_code=status_code)


def _login_response(request: Request, user_id: int) -> RedirectResponse:
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(
        security.SESSION_COOKIE,
        request.app.state.signer.dumps(user_id),
        max_age=security.SESSION_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )
    return resp


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", error=None)


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(request: Request, email: Annotated[str, Form()], password: Annotated[str, Form()]) -> Response:
    user = repo_of(request).user_by_email(email)
    # Verify against a hash even for an unknown e-mail, so timing does not tell which addresses have accounts.
    encoded = user.password_hash if user is not None else _DUMMY_HASH
    if not security.verify_password(password, encoded) or user is None:
        return render(request, "login.html", status_code=401, error="wrong e-mail or password")
    return _login_response(request, user.id)


_DUMMY_HASH = security.hash_password("not-a-real-password-0")


@router.get("/register")
def register_page(request: Request) -> HTMLResponse:
    return render(request, "register.html", error=None)


@router.post("/register", dependencies=[Depends(require_csrf)])
def register(
    request: Request,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()] = "athlete",
    display_name: Annotated[str, Form()] = "",
) -> Response:
    repo = repo_of(request)
    email = email.strip().lower()
    error = None
    if "@" not in email or len(email) > 254:
        error = "enter a valid e-mail address"
    elif len(password) < security.MIN_PASSWORD_LEN:
        error = f"the password needs at least {security.MIN_PASSWORD_LEN} characters"
    elif role not in ("coach", "athlete"):
        error = "choose coach or athlete"
    elif repo.user_by_email(email) is not None:
        error = "an account with this e-mail exists; sign in instead"
    if error:
        return render(request, "register.html", status_code=400, error=error)
    try:
        user = repo.create_user(email, security.hash_password(password), role, display_name.strip()[:120])  # type: ignore[arg-type]
    except NameTakenError as exc:
        return render(request, "register.html", status_code=400, error=exc.message)
    except StoreError:
        return render(request, "register.html", status_code=400, error="an account with this e-mail exists")
    return _login_response(request, user.id)


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout() -> Response:
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(security.SESSION_COOKIE, path="/")
    return resp


@dataclass(frozen=True)
class PlanView:
    """The ladder's decision as the pages show it (the drill's display name beside its id)."""

    decision: PlanDecision
    next_drill_name: str | None

    @property
    def explanation(self) -> str:
        return self.decision.explanation

    @property
    def reasons(self) -> list[str]:
        return self.decision.reasons


def plan_for(repo: Repo, caller: Caller, athlete_id: int) -> PlanView | None:
    """The ladder's plan from the store's history (the same decision as ``hingecoach plan NAME``)."""
    found = repo.history_for(caller, athlete_id)
    if found is None or not found[1]:
        return None
    decision = decide(*found)
    nxt = decision.next_drill
    return PlanView(decision, DRILLS[nxt].name if nxt is not None and nxt in DRILLS else nxt)


@router.get("/")
def home(request: Request, caller: PageCaller) -> HTMLResponse:
    repo = repo_of(request)
    own = caller.athlete_id if caller.role == "athlete" else None
    return render(
        request,
        "home.html",
        caller=caller,
        sessions=repo.sessions_for(caller, own)[:50],
        athletes=repo.athletes_of(caller),
        athlete_name=repo.athlete_name(own) if own is not None else None,
        plan=plan_for(repo, caller, own) if own is not None else None,
        message=request.query_params.get("msg"),
    )


@router.post("/coach-link", dependencies=[Depends(require_csrf)])
def coach_link(request: Request, caller: PageCaller, coach_email: Annotated[str, Form()]) -> Response:
    ok = repo_of(request).link_coach(caller, coach_email)
    msg = "shared with your coach" if ok else "no coach account with that e-mail"
    return RedirectResponse(f"/?msg={msg.replace(' ', '+')}", status_code=303)


@router.get("/athletes/{athlete_id}")
def athlete_page(request: Request, caller: PageCaller, athlete_id: int) -> HTMLResponse:
    repo = repo_of(request)
    athlete = repo.athlete_for(caller, athlete_id)
    if athlete is None:
        raise HTTPException(404, "no such athlete")
    return render(
        request,
        "athlete.html",
        caller=caller,
        athlete=athlete,
        sessions=repo.sessions_for(caller, athlete.id),
        plan=plan_for(repo, caller, athlete.id),
    )


@router.get("/live")
def live_page(request: Request, caller: PageCaller) -> HTMLResponse:
    athletes = repo_of(request).athletes_of(caller) if caller.role == "coach" else []
    return render(
        request, "live.html", caller=caller, drills=drill_choices(), model_url=MODEL_URL, athletes=athletes
    )


@router.get("/upload")
def upload_page(request: Request, caller: PageCaller) -> HTMLResponse:
    return render(
        request,
        "upload.html",
        caller=caller,
        drills=drill_choices(),
        max_mb=request.app.state.settings.max_upload_bytes // (1024 * 1024),
        jobs=repo_of(request).jobs_for(caller),
        athletes=repo_of(request).athletes_of(caller) if caller.role == "coach" else [],
    )


def _session(request: Request, caller: Caller, session_id: int) -> SessionView:
    row = repo_of(request).session_for(caller, session_id)
    if row is None:
        raise HTTPException(404, "no such session")
    return row


def _artefact(row: SessionView, name: str) -> Path:
    if row.artefact_dir is None:
        raise HTTPException(404, "this session has no stored files")
    base = row.artefact_dir
    matches = [p for p in base.glob(name) if p.is_file()]  # fixed names chosen here, never from the request
    if not matches:
        raise HTTPException(404, "not stored")
    return matches[0]


@router.get("/sessions/{session_id}")
def session_page(request: Request, caller: PageCaller, session_id: int) -> Response:
    row = _session(request, caller, session_id)
    if row.artefact_dir is not None and (row.artefact_dir / "report.html").is_file():
        return RedirectResponse(f"/sessions/{row.id}/report", status_code=303)
    doc = repo_of(request).analysis_for(caller, session_id) or {}
    return render(request, "live_session.html", caller=caller, row=row, doc=doc)


@router.get("/sessions/{session_id}/report")
def report(request: Request, caller: PageCaller, session_id: int) -> HTMLResponse:
    """The CLI's report file itself (``hingecoach analyze --out``), with a CSP hashed to its own inline CSS."""
    html = _artefact(_session(request, caller, session_id), "report.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": security.csp_for_html(html)})


@router.get("/sessions/{session_id}/overlay.mp4")
def overlay(request: Request, caller: PageCaller, session_id: int) -> FileResponse:
    return FileResponse(_artefact(_session(request, caller, session_id), "overlay.mp4"), media_type="video/mp4")


@router.get("/sessions/{session_id}/video")
def source_video(request: Request, caller: PageCaller, session_id: int) -> FileResponse:
    path = _artefact(_session(request, caller, session_id), "source.*")
    return FileResponse(path, media_type="application/octet-stream", filename="upload" + path.suffix)
