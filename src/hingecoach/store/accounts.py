"""Rows the web app needs: user accounts, coach→athlete links, upload jobs. Storage only — no authentication here.

The web app hashes passwords, checks roles and runs the analyses; these functions only keep the rows consistent
(one transaction each, bound parameters) and hand back plain frozen values, not ORM objects, so a caller never
touches a detached row or holds a database session open.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hingecoach.store.errors import StoreError
from hingecoach.store.models import JOB_STATES, ROLES, Athlete, CoachLink, UploadJob, User, utcnow
from hingecoach.store.repo import Store

Role = Literal["coach", "athlete"]
JobStatus = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    password_hash: str
    role: str
    athlete_id: int | None
    created_at: datetime
    display_name: str = ""


@dataclass(frozen=True)
class JobInfo:
    id: str
    owner_user_id: int
    athlete_id: int
    drill: str
    status: str
    progress: float
    message: str | None
    stored_file: str | None
    session_id: int | None
    created_at: datetime
    updated_at: datetime
    stage: str = "queued"
    media_type: str = ""
    size_bytes: int = 0
    attempts: int = 0


def _user(u: User) -> UserInfo:
    return UserInfo(u.id, u.email, u.password_hash, u.role, u.athlete_id, u.created_at, u.display_name)


def _job(j: UploadJob) -> JobInfo:
    return JobInfo(
        j.id, j.owner_user_id, j.athlete_id, j.drill, j.status, j.progress, j.message, j.stored_file,
        j.session_id, j.created_at, j.updated_at, j.stage, j.media_type, j.size_bytes, j.attempts,
    )  # fmt: skip


#: Public names of the row → value conversions (the web app's scoped queries build the same values).
user_info = _user
job_info = _job


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(store: Store, email: str, password_hash: str, role: Role, *, athlete_id: int | None = None) -> UserInfo:
    """A new account; :class:`StoreError` when the e-mail is taken or the role unknown."""
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    try:
        with store.transaction() as s:
            u = User(email=normalise_email(email), password_hash=password_hash, role=role, athlete_id=athlete_id)
            s.add(u)
            s.flush()
            return _user(u)
    except IntegrityError:
        raise StoreError(f"an account for {normalise_email(email)!r} already exists") from None


def user_by_email(store: Store, email: str) -> UserInfo | None:
    with store.transaction() as s:
        u = s.scalars(select(User).where(User.email == normalise_email(email))).one_or_none()
        return None if u is None else _user(u)


def user_by_id(store: Store, user_id: int) -> UserInfo | None:
    with store.transaction() as s:
        u = s.get(User, user_id)
        return None if u is None else _user(u)


def link_coach(store: Store, coach_user_id: int, athlete_id: int) -> None:
    """Let a coach see an athlete (idempotent)."""
    with store.transaction() as s:
        coach = s.get(User, coach_user_id)
        if coach is None or coach.role != "coach":
            raise StoreError(f"user {coach_user_id} is not a coach")
        if s.get(Athlete, athlete_id) is None:
            raise StoreError(f"no athlete {athlete_id}")
        q = select(CoachLink).where(CoachLink.coach_user_id == coach_user_id, CoachLink.athlete_id == athlete_id)
        if s.scalars(q).one_or_none() is None:
            s.add(CoachLink(coach_user_id=coach_user_id, athlete_id=athlete_id))


def coach_athletes(store: Store, coach_user_id: int) -> list[tuple[int, str]]:
    """``(athlete_id, name)`` of the athletes a coach is linked to, by name."""
    with store.transaction() as s:
        rows = s.execute(
            select(Athlete.id, Athlete.name)
            .join(CoachLink, CoachLink.athlete_id == Athlete.id)
            .where(CoachLink.coach_user_id == coach_user_id)
            .order_by(Athlete.name_key)
        ).all()
        return [(int(i), str(n)) for i, n in rows]


def create_upload_job(
    store: Store, owner_user_id: int, athlete_id: int, drill: str, *, stored_file: str | None = None
) -> JobInfo:
    """A queued job for an uploaded clip (``stored_file`` relative to the store's artefact root)."""
    with store.transaction() as s:
        j = UploadJob(
            id=uuid.uuid4().hex, owner_user_id=owner_user_id, athlete_id=athlete_id, drill=drill,
            status="queued", progress=0.0, stored_file=stored_file,
        )  # fmt: skip
        s.add(j)
        s.flush()
        return _job(j)


def update_upload_job(
    store: Store,
    job_id: str,
    *,
    status: JobStatus | None = None,
    progress: float | None = None,
    message: str | None = None,
    session_id: int | None = None,
) -> JobInfo:
    """Change a job's state; only the fields given are changed. Progress is clamped to [0, 1]."""
    if status is not None and status not in JOB_STATES:
        raise StoreError(f"unknown job status {status!r}")
    with store.transaction() as s:
        j = s.get(UploadJob, job_id)
        if j is None:
            raise StoreError(f"no upload job {job_id}")
        if status is not None:
            j.status = status
        if progress is not None:
            j.progress = min(max(float(progress), 0.0), 1.0)
        if message is not None:
            j.message = message
        if session_id is not None:
            j.session_id = session_id
        j.updated_at = utcnow()
        s.flush()
        return _job(j)


def get_upload_job(store: Store, job_id: str) -> JobInfo | None:
    with store.transaction() as s:
        j = s.get(UploadJob, job_id)
        return None if j is None else _job(j)


def upload_jobs_for(store: Store, owner_user_id: int) -> list[JobInfo]:
    """A user's jobs, newest first."""
    with store.transaction() as s:
        q = select(UploadJob).where(UploadJob.owner_user_id == owner_user_id).order_by(UploadJob.created_at.desc())
        return [_job(j) for j in s.scalars(q)]
