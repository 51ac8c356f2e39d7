"""The JSON API under ``/api/``: what the pages use, and what other tools can use too (see ``/docs``).

Every route is scoped by the caller: a session, job or athlete the caller may not see is 404 — the same answer
as an id that does not exist, so guessing ids reveals nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from hingecoach.analysis import check_drill_id
from hingecoach.errors import UnknownDrillError
from hingecoach.ladder import PlanDecision, decide
from hingecoach.web.deps import api_caller, repo_of, require_csrf
from hingecoach.web.repo import Caller, JobInfo, Repo, SessionView
from hingecoach.web.uploads import UploadRejectedError, receive_upload

router = APIRouter(prefix="/api", tags=["api"])
CallerDep = Annotated[Caller, Depends(api_caller)]


class Me(BaseModel):
    id: int
    email: str
    role: Literal["coach", "athlete"]
    athlete_id: int | None  # the history's athlete this account trains as (None for a coach)
    athlete_name: str | None


class SessionItem(BaseModel):
    id: int
    athlete_id: int
    athlete: str
    kind: Literal["file", "upload", "live"]
    drill: str
    camera_view: str
    recorded_at: datetime
    rep_count: int
    score: int | None
    usable_range_deg: float | None
    report_url: str | None


class JobItem(BaseModel):
    id: str
    athlete_id: int
    status: Literal["queued", "running", "done", "failed"]
    stage: str
    progress: float
    message: str
    drill: str
    session_id: int | None
    report_url: str | None


class Athlete(BaseModel):
    id: int
    name: str
    email: str | None


def session_item(s: SessionView) -> SessionItem:
    return SessionItem(
        id=s.id,
        athlete_id=s.athlete_id,
        athlete=s.athlete,
        kind=s.kind,  # type: ignore[arg-type]
        drill=s.drill,
        camera_view=s.camera_view,
        recorded_at=s.recorded_at,
        rep_count=s.rep_count,
        score=s.score,
        usable_range_deg=s.usable_range_deg,
        report_url=f"/sessions/{s.id}/report" if s.artefact_dir is not None else None,
    )


def job_item(j: JobInfo) -> JobItem:
    return JobItem(
        id=j.id,
        athlete_id=j.athlete_id,
        status=j.status,  # type: ignore[arg-type]
        stage=j.stage,
        progress=j.progress,
        message=j.message or "",
        drill=j.drill,
        session_id=j.session_id,
        report_url=f"/sessions/{j.session_id}/report" if j.session_id else None,
    )


@router.get("/me")
def me(request: Request, caller: CallerDep) -> Me:
    name = None if caller.athlete_id is None else repo_of(request).athlete_name(caller.athlete_id)
    return Me(id=caller.id, email=caller.email, role=caller.role, athlete_id=caller.athlete_id, athlete_name=name)


@router.get("/sessions")
def list_sessions(request: Request, caller: CallerDep, athlete_id: int | None = None) -> list[SessionItem]:
    """The sessions of the history the caller may see, newest first: an athlete's own (whether analysed by the
    CLI, uploaded or trained live), a coach's linked athletes'; ``athlete_id`` narrows to one athlete.
    """
    return [session_item(s) for s in repo_of(request).sessions_for(caller, athlete_id)]


@router.get("/sessions/{session_id}")
def get_session(request: Request, caller: CallerDep, session_id: int) -> JSONResponse:
    """The session's ``hingecoach/analysis@1`` document, as the history store keeps it (live sets too)."""
    doc: dict[str, Any] | None = repo_of(request).analysis_for(caller, session_id)
    if doc is None:
        raise HTTPException(404, "no such session")
    return JSONResponse(doc)


@router.get("/athletes")
def athletes(request: Request, caller: CallerDep) -> list[Athlete]:
    """The athletes the caller may see: a coach's linked athletes, an athlete themselves."""
    return [Athlete(id=a.id, name=a.name, email=a.email) for a in repo_of(request).athletes_of(caller)]


@router.get("/athletes/{athlete_id}/plan")
def athlete_plan(request: Request, caller: CallerDep, athlete_id: int) -> PlanDecision:
    """The drill ladder's decision from the athlete's history (the same as ``hingecoach plan NAME``)."""
    found = repo_of(request).history_for(caller, athlete_id)
    if found is None:
        raise HTTPException(404, "no such athlete")
    return decide(*found)


@router.get("/jobs")
def list_jobs(request: Request, caller: CallerDep) -> list[JobItem]:
    return [job_item(j) for j in repo_of(request).jobs_for(caller)]


@router.get("/jobs/{job_id}")
def get_job(request: Request, caller: CallerDep, job_id: str) -> JobItem:
    job = repo_of(request).job_for(caller, job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    return job_item(job)


@router.post("/uploads", status_code=202, dependencies=[Depends(require_csrf)])
async def upload(request: Request, caller: CallerDep) -> JobItem:
    """Upload a clip (multipart: ``drill`` field, then one ``video`` file) and queue its analysis.

    413 when larger than the limit (checked while streaming), 415 when the bytes are not a video container,
    400 for a bad form or drill. The ``drill`` field must come before the file.
    """
    settings = request.app.state.settings
    try:
        saved = await receive_upload(
            request.headers.get("content-type", ""),
            request.headers.get("content-length"),
            request.stream(),
            settings.upload_dir,
            settings.max_upload_bytes,
        )
    except UploadRejectedError as exc:
        raise HTTPException(exc.status, exc.message) from None
    repo = repo_of(request)
    try:
        drill = check_drill_id(saved.fields.get("drill", "auto") or "auto")
    except UnknownDrillError as exc:
        saved.path.unlink(missing_ok=True)
        raise HTTPException(400, exc.message) from None
    athlete_id = athlete_of_request(repo, caller, saved.fields.get("athlete_id"))
    if athlete_id is None:
        saved.path.unlink(missing_ok=True)
        raise HTTPException(404, "no such athlete (a coach uploads for an athlete who shared their history)")
    job = repo.add_job(
        caller.id,
        athlete_id,
        drill=drill,
        stored_file=saved.path.relative_to(repo.artefact_root).as_posix(),
        media_type=saved.media_type,
        size_bytes=saved.size_bytes,
    )
    request.app.state.runner.wake()
    return job_item(job)


def athlete_of_request(repo: Repo, caller: Caller, given: object) -> int | None:
    """Whose session a new upload or live set is: an athlete's own; a coach's chosen linked athlete (None: none)."""
    if caller.role == "athlete":
        return caller.athlete_id
    try:
        wanted = int(str(given))
    except ValueError:
        return None
    return wanted if repo.athlete_for(caller, wanted) is not None else None
