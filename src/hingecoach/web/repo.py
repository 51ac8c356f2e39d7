"""The web app's persistence: accounts, coach–athlete links, training sessions and the upload job queue.

Every read that returns a user's data takes the *caller* and filters by ownership in SQL (:func:`visible_owner_ids`),
so a guessed id of someone else's row simply finds nothing (the routes turn that into 404, never 403, so ids leak
nothing). The job queue lives in the same database so it survives a restart: a job is ``queued`` → ``running`` →
``done``/``failed``; at start-up :meth:`Repo.requeue_interrupted` puts jobs a crash left ``running`` back to
``queued``, and :meth:`Repo.claim_next_job` claims one job atomically (``UPDATE ... WHERE status='queued'``), so a
job is never run twice nor lost.

SQLite by default (a file), PostgreSQL by URL (``postgresql+psycopg://...``): only portable column types are used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

Role = Literal["coach", "athlete"]
JobStatus = Literal["queued", "running", "done", "failed"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "web_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class CoachLink(Base):
    __tablename__ = "web_coach_links"
    __table_args__ = (UniqueConstraint("coach_id", "athlete_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), index=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), index=True)


class TrainingSession(Base):
    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "upload" | "live"
    drill: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    rep_count: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    live_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    artefact_dir: Mapped[str | None] = mapped_column(String(500), nullable=True)


class UploadJob(Base):
    __tablename__ = "web_upload_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), index=True)
    drill: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(40), default="queued")
    message: Mapped[str] = mapped_column(Text, default="")
    stored_file: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("web_sessions.id"), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


@dataclass(frozen=True)
class Caller:
    """Who is asking: every scoped query takes one."""

    id: int
    email: str
    role: Role


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the job worker's writes
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path.db`` or a PostgreSQL URL); SQLite gets WAL and FK enforcement."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


class Repo:
    """All queries of the web app. Methods open their own short transaction (safe from any thread)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def tx(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    # ------------------------------------------------------------------ users and links
    def create_user(self, email: str, password_hash: str, role: Role, display_name: str = "") -> User:
        with self.tx() as s:
            u = User(email=email.strip().lower(), password_hash=password_hash, role=role, display_name=display_name)
            s.add(u)
            s.flush()
            return u

    def user_by_email(self, email: str) -> User | None:
        with self.tx() as s:
            return s.scalar(select(User).where(User.email == email.strip().lower()))

    def user(self, user_id: int) -> User | None:
        with self.tx() as s:
            return s.get(User, user_id)

    def link_coach(self, athlete: Caller, coach_email: str) -> bool:
        """The athlete shares their history with a coach (the athlete decides; a coach cannot self-link)."""
        with self.tx() as s:
            coach = s.scalar(select(User).where(User.email == coach_email.strip().lower(), User.role == "coach"))
            if coach is None or athlete.role != "athlete":
                return False
            exists = s.scalar(
                select(CoachLink).where(CoachLink.coach_id == coach.id, CoachLink.athlete_id == athlete.id)
            )
            if exists is None:
                s.add(CoachLink(coach_id=coach.id, athlete_id=athlete.id))
            return True

    def visible_owner_ids(self, s: Session, caller: Caller) -> list[int]:
        """Whose data the caller may see: their own, plus (coaches) their linked athletes'."""
        ids = [caller.id]
        if caller.role == "coach":
            ids += list(s.scalars(select(CoachLink.athlete_id).where(CoachLink.coach_id == caller.id)))
        return ids

    def athletes_of(self, coach: Caller) -> list[User]:
        with self.tx() as s:
            if coach.role != "coach":
                return []
            q = select(User).join(CoachLink, CoachLink.athlete_id == User.id).where(CoachLink.coach_id == coach.id)
            return list(s.scalars(q.order_by(User.email)))

    def athlete_for(self, caller: Caller, athlete_id: int) -> User | None:
        """The athlete if the caller may see them (themselves, or a linked coach); else None."""
        with self.tx() as s:
            if athlete_id not in self.visible_owner_ids(s, caller):
                return None
            return s.get(User, athlete_id)

    # ------------------------------------------------------------------ sessions
    def add_session(
        self,
        owner_id: int,
        *,
        kind: str,
        drill: str,
        analysis: dict[str, Any] | None = None,
        live_summary: dict[str, Any] | None = None,
        artefact_dir: str | None = None,
        rep_count: int = 0,
        score: int | None = None,
    ) -> TrainingSession:
        with self.tx() as s:
            row = TrainingSession(
                owner_id=owner_id,
                kind=kind,
                drill=drill,
                analysis=analysis,
                live_summary=live_summary,
                artefact_dir=artefact_dir,
                rep_count=rep_count,
                score=score,
            )
            s.add(row)
            s.flush()
            return row

    def sessions_for(self, caller: Caller, owner_id: int | None = None) -> list[TrainingSession]:
        """The caller's visible sessions (optionally one owner's), newest first."""
        with self.tx() as s:
            owners = self.visible_owner_ids(s, caller)
            if owner_id is not None:
                owners = [o for o in owners if o == owner_id]
            q = select(TrainingSession).where(TrainingSession.owner_id.in_(owners))
            return list(s.scalars(q.order_by(TrainingSession.id.desc())))

    def session_for(self, caller: Caller, session_id: int) -> TrainingSession | None:
        """One session, only if the caller may see it."""
        with self.tx() as s:
            owners = self.visible_owner_ids(s, caller)
            q = select(TrainingSession).where(TrainingSession.id == session_id, TrainingSession.owner_id.in_(owners))
            return s.scalar(q)

    # ------------------------------------------------------------------ jobs
    def add_job(self, owner_id: int, *, drill: str, stored_file: str, media_type: str, size_bytes: int) -> UploadJob:
        with self.tx() as s:
            job = UploadJob(
                owner_id=owner_id, drill=drill, stored_file=stored_file, media_type=media_type, size_bytes=size_bytes
            )
            s.add(job)
            s.flush()
            return job

    def job_for(self, caller: Caller, job_id: int) -> UploadJob | None:
        with self.tx() as s:
            return s.scalar(select(UploadJob).where(UploadJob.id == job_id, UploadJob.owner_id == caller.id))

    def jobs_for(self, caller: Caller) -> list[UploadJob]:
        with self.tx() as s:
            return list(s.scalars(select(UploadJob).where(UploadJob.owner_id == caller.id).order_by(UploadJob.id)))

    def job(self, job_id: int) -> UploadJob | None:
        """Unscoped: for the worker only (routes use :meth:`job_for`)."""
        with self.tx() as s:
            return s.get(UploadJob, job_id)

    def requeue_interrupted(self) -> int:
        """At start-up: jobs left ``running`` by a crash or restart go back to ``queued`` (returns how many)."""
        with self.tx() as s:
            res = s.execute(
                update(UploadJob)
                .where(UploadJob.status == "running")
                .values(status="queued", stage="queued", progress=0.0, updated_at=_now())
            )
            return int(getattr(res, "rowcount", 0) or 0)

    def claim_next_job(self) -> UploadJob | None:
        """Atomically move the oldest queued job to running; None when the queue is empty.

        The conditional UPDATE is the lock: if two workers race for one job, only one UPDATE matches a row.
        """
        while True:
            with self.tx() as s:
                job_id = s.scalar(
                    select(UploadJob.id).where(UploadJob.status == "queued").order_by(UploadJob.id).limit(1)
                )
                if job_id is None:
                    return None
                res = s.execute(
                    update(UploadJob)
                    .where(UploadJob.id == job_id, UploadJob.status == "queued")
                    .values(status="running", stage="starting", attempts=UploadJob.attempts + 1, updated_at=_now())
                )
                if getattr(res, "rowcount", 0) == 1:
                    return s.get(UploadJob, job_id)

    def update_job(self, job_id: int, **values: Any) -> None:
        with self.tx() as s:
            s.execute(update(UploadJob).where(UploadJob.id == job_id).values(updated_at=_now(), **values))

    def complete_job(self, job_id: int, owner_id: int, **session: Any) -> int:
        """Create the job's session and mark the job done in one transaction; returns the session id."""
        with self.tx() as s:
            row = TrainingSession(owner_id=owner_id, kind="upload", **session)
            s.add(row)
            s.flush()
            s.execute(
                update(UploadJob)
                .where(UploadJob.id == job_id)
                .values(status="done", stage="done", progress=1.0, session_id=row.id, message="done", updated_at=_now())
            )
            return row.id

    def queue_counts(self) -> dict[str, int]:
        with self.tx() as s:
            out: dict[str, int] = {}
            for status in s.scalars(select(UploadJob.status)):
                out[status] = out.get(status, 0) + 1
            return out


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"))
