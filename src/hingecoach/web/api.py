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
from hingecoach.web.deps import api_caller, repo_of, require_csrf
from hingecoach.web.repo import Caller, TrainingSession, UploadJob
from hingecoach.web.uploads import UploadRejectedError, receive_upload

router = APIRouter(prefix="/api", tags=["api"])
CallerDep = Annotated[Caller, Depends(api_caller)]


class Me(BaseModel):
    id: int
    email: str
    role: Literal["coach", "athlete"]


class SessionItem(BaseModel):
    id: int
    owner_id: int
    kind: str
    drill: str
    created_at: datetime
    rep_count: int
    score: int | None
    report_url: str | None


class JobItem(BaseModel):
    id: int
    status: Literal["queued", "running", "done", "failed"]
    stage: str
    progress: float
    message: str
    drill: str
    session_id: int | None
    report_url: str | None


class Athlete(BaseModel):
    id: int
    email: str
    display_name: str


def session_item(s: TrainingSession) -> SessionItem:
    return SessionItem(
        id=s.id,
        owner_id=s.owner_id,
        kind=s.kind,
        drill=s.drill,
        created_at=s.created_at,
        rep_count=s.rep_count,
        score=s.score,
        report_url=f"/sessions/{s.id}/report" if s.artefact_dir else None,
    )


def job_item(j: UploadJob) -> JobItem:
    return JobItem(
        id=j.id,
        status=j.status,  # type: ignore[arg-type]
        stage=j.stage,
        progress=j.progress,
        message=j.message,
        drill=j.drill,
        session_id=j.session_id,
        report_url=f"/sessions/{j.session_id}/report" if j.session_id else None,
    )


@router.get("/me")
def me(caller: CallerDep) -> Me:
    return Me(id=caller.id, email=caller.email, role=caller.role)


@router.get("/sessions")
def list_sessions(request: Request, caller: CallerDep, athlete_id: int | None = None) -> list[SessionItem]:
    """The caller's sessions (a coach: theirs and their linked athletes'; ``athlete_id`` narrows to one)."""
    return [session_item(s) for s in repo_of(request).sessions_for(caller, athlete_id)]


@router.get("/sessions/{session_id}")
def get_session(request: Request, caller: CallerDep, session_id: int) -> JSONResponse:
    """The session's ``hingecoach/analysis@1`` document (uploads), or the live set's summary (live sets)."""
    row = repo_of(request).session_for(caller, session_id)
    if row is None:
        raise HTTPException(404, "no such session")
    doc: dict[str, Any] | None = row.analysis if row.analysis is not None else row.live_summary
    if doc is None:
        raise HTTPException(404, "this session has no stored result")
    return JSONResponse(doc)


@router.get("/athletes")
def athletes(request: Request, caller: CallerDep) -> list[Athlete]:
    """A coach's linked athletes (empty for an athlete)."""
    return [Athlete(id=u.id, email=u.email, display_name=u.display_name) for u in repo_of(request).athletes_of(caller)]


@router.get("/jobs")
def list_jobs(request: Request, caller: CallerDep) -> list[JobItem]:
    return [job_item(j) for j in repo_of(request).jobs_for(caller)]


@router.get("/jobs/{job_id}")
def get_job(request: Request, caller: CallerDep, job_id: int) -> JobItem:
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
    try:
        drill = check_drill_id(saved.fields.get("drill", "auto") or "auto")
    except UnknownDrillError as exc:
        saved.path.unlink(missing_ok=True)
        raise HTTPException(400, exc.message) from None
    job = repo_of(request).add_job(
        caller.id, drill=drill, stored_file=str(saved.path), media_type=saved.media_type, size_bytes=saved.size_bytes
    )
    request.app.state.runner.wake()
    return job_item(job)
