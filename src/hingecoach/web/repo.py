"""The web app's queries, over the one history store (:mod:`hingecoach.store`): accounts, links, sessions, jobs.

Why over the store and not tables of its own: a set trained in the browser, an upload analysed here and a clip
analysed with ``hingecoach analyze --athlete NAME --save`` are the same thing — a session of an athlete — so they
are rows of the store's ``sessions`` table, and ``hingecoach history NAME --db URL`` shows all of them, and the web
shows the same history and the ladder's plan. One database URL serves both; the schema is the store's Alembic
migrations (``0002`` added what the web needs), never ``create_all``.

Who owns what: an *athlete* account trains as one store athlete (``users.athlete_id``, created at sign-up); a
*coach* account owns no athlete and sees the athletes who shared their history with it (``coach_links``). Every
read that returns someone's data takes the *caller* and filters by the athletes it may see
(:meth:`Repo.visible_athlete_ids`) in SQL, so a guessed id of someone else's row finds nothing (the routes answer
404, never 403, so ids leak nothing).

The job queue lives in the same database so it survives a restart: ``queued`` → ``running`` → ``done``/``failed``;
at start-up :meth:`Repo.requeue_interrupted` puts jobs a crash left ``running`` back to ``queued``, and
:meth:`Repo.claim_next_job` claims one atomically (``UPDATE ... WHERE status='queued'``), so a job is never run
twice nor lost. Values handed out are frozen dataclasses, never ORM rows.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hingecoach.schema import Analysis
from hingecoach.store import SessionRecord, Store, StoreError
from hingecoach.store.accounts import JobInfo, UserInfo, job_info, normalise_email, user_info
from hingecoach.store.models import Athlete, CoachLink, TrainingSession, UploadJob, User, utcnow
from hingecoach.store.repo import SaveResult, clean_name, name_key

if TYPE_CHECKING:
    from hingecoach.measures import BackReference

Role = Literal["coach", "athlete"]
JobStatus = Literal["queued", "running", "done", "failed"]

__all__ = ["AthleteView", "Caller", "JobInfo", "NameTakenError", "Repo", "Role", "SessionView", "UserInfo"]


class NameTakenError(StoreError):
    """Sign-up under an athlete name the history already has (it may be someone's CLI history: never claimed)."""

    code = "athlete_name_taken"


@dataclass(frozen=True)
class Caller:
    """Who is asking: every scoped query takes one. ``athlete_id``: the store athlete an athlete account trains as."""

    id: int
    email: str
    role: Role
    athlete_id: int | None = None
    display_name: str = ""


@dataclass(frozen=True)
class AthleteView:
    id: int
    name: str
    email: str | None  # the athlete's account, when they have one


@dataclass(frozen=True)
class SessionView:
    """A stored session as the pages list it. ``kind``: the store's ``origin`` (``file``, ``upload``, ``live``)."""

    id: int
    athlete_id: int
    athlete: str
    kind: str
    drill: str
    camera_view: str
    recorded_at: datetime
    rep_count: int
    score: int | None
    usable_range_deg: float | None
    artefact_dir: Path | None


class Repo:
    """All queries of the web app. Methods open their own short transaction (safe from any thread)."""

    def __init__(self, url: str, *, artefact_root: Path | None = None) -> None:
        self.url = url
        self.store = Store(url, artefact_root=artefact_root)
        self.artefact_root = self.store.artefact_root

    def close(self) -> None:
        self.store.close()

    @contextmanager
    def tx(self) -> Iterator[Session]:
        with self.store.transaction() as s:
            yield s

    # ------------------------------------------------------------------ users and links
    def create_user(self, email: str, password_hash: str, role: Role, display_name: str = "") -> UserInfo:
        """A new account; an athlete account gets its own store athlete, named ``display_name`` (else the e-mail).

        :class:`NameTakenError` when the history already has an athlete of that name (an account must not take
        over a history it did not make), :class:`StoreError` when the e-mail has an account.
        """
        email = normalise_email(email)
        display = display_name.strip()[:120]
        try:
            with self.tx() as s:
                athlete_id = None
                if role == "athlete":
                    name = clean_name(display or email)
                    if s.scalar(select(Athlete.id).where(Athlete.name_key == name_key(name))) is not None:
                        msg = f"an athlete named {name!r} is already in the history: choose another name"
                        raise NameTakenError(msg)
                    ath = Athlete(name=name, name_key=name_key(name), created_at=utcnow())
                    s.add(ath)
                    s.flush()
                    athlete_id = ath.id
                elif role != "coach":
                    raise StoreError(f"unknown role {role!r}")
                u = User(
                    email=email, password_hash=password_hash, role=role, display_name=display, athlete_id=athlete_id
                )
                s.add(u)
                s.flush()
                return user_info(u)
        except IntegrityError:
            raise StoreError(f"an account for {email!r} already exists") from None

    def user_by_email(self, email: str) -> UserInfo | None:
        with self.tx() as s:
            u = s.scalar(select(User).where(User.email == normalise_email(email)))
            return None if u is None else user_info(u)

    def user(self, user_id: int) -> UserInfo | None:
        with self.tx() as s:
            u = s.get(User, user_id)
            return None if u is None else user_info(u)

    def athlete_name(self, athlete_id: int) -> str | None:
        with self.tx() as s:
            a = s.get(Athlete, athlete_id)
            return None if a is None else a.name

    def link_coach(self, athlete: Caller, coach_email: str) -> bool:
        """The athlete shares their history with a coach (the athlete decides; a coach cannot self-link)."""
        with self.tx() as s:
            coach = s.scalar(select(User).where(User.email == normalise_email(coach_email), User.role == "coach"))
            if coach is None or athlete.role != "athlete" or athlete.athlete_id is None:
                return False
            exists = s.scalar(
                select(CoachLink.id).where(
                    CoachLink.coach_user_id == coach.id, CoachLink.athlete_id == athlete.athlete_id
                )
            )
            if exists is None:
                s.add(CoachLink(coach_user_id=coach.id, athlete_id=athlete.athlete_id))
            return True

    def visible_athlete_ids(self, s: Session, caller: Caller) -> list[int]:
        """Whose history the caller may see: an athlete their own, a coach their linked athletes'."""
        if caller.role == "athlete":
            return [] if caller.athlete_id is None else [caller.athlete_id]
        return list(s.scalars(select(CoachLink.athlete_id).where(CoachLink.coach_user_id == caller.id)))

    def _athletes(self, s: Session, ids: list[int]) -> list[AthleteView]:
        rows = s.execute(
            select(Athlete.id, Athlete.name, User.email)
            .outerjoin(User, (User.athlete_id == Athlete.id) & (User.role == "athlete"))
            .where(Athlete.id.in_(ids))
            .order_by(Athlete.name_key)
        ).all()
        return [AthleteView(int(i), str(n), None if e is None else str(e)) for i, n, e in rows]

    def athletes_of(self, caller: Caller) -> list[AthleteView]:
        """The athletes the caller may train or see (a coach's linked ones; an athlete themselves)."""
        with self.tx() as s:
            return self._athletes(s, self.visible_athlete_ids(s, caller))

    def athlete_for(self, caller: Caller, athlete_id: int) -> AthleteView | None:
        """The athlete if the caller may see them; else None."""
        with self.tx() as s:
            if athlete_id not in self.visible_athlete_ids(s, caller):
                return None
            found = self._athletes(s, [athlete_id])
            return found[0] if found else None

    # ------------------------------------------------------------------ sessions
    def _view(self, row: TrainingSession, athlete: str) -> SessionView:
        return SessionView(
            id=row.id,
            athlete_id=row.athlete_id,
            athlete=athlete,
            kind=row.origin,
            drill=row.drill,
            camera_view=row.camera_view,
            recorded_at=row.recorded_at,
            rep_count=row.rep_count,
            score=row.score,
            usable_range_deg=row.usable_range_deg,
            artefact_dir=None if not row.artefact_dir else self.artefact_root / row.artefact_dir,
        )

    def sessions_for(self, caller: Caller, athlete_id: int | None = None) -> list[SessionView]:
        """The sessions the caller may see (optionally one athlete's), newest first."""
        with self.tx() as s:
            ids = self.visible_athlete_ids(s, caller)
            if athlete_id is not None:
                ids = [i for i in ids if i == athlete_id]
            q = (
                select(TrainingSession, Athlete.name)
                .join(Athlete, Athlete.id == TrainingSession.athlete_id)
                .where(TrainingSession.athlete_id.in_(ids))
                .order_by(TrainingSession.recorded_at.desc(), TrainingSession.id.desc())
            )
            return [self._view(row, name) for row, name in s.execute(q).all()]

    def session_for(self, caller: Caller, session_id: int) -> SessionView | None:
        """One session, only if the caller may see it."""
        with self.tx() as s:
            q = (
                select(TrainingSession, Athlete.name)
                .join(Athlete, Athlete.id == TrainingSession.athlete_id)
                .where(
                    TrainingSession.id == session_id,
                    TrainingSession.athlete_id.in_(self.visible_athlete_ids(s, caller)),
                )
            )
            found = s.execute(q).one_or_none()
            return None if found is None else self._view(found[0], found[1])

    def analysis_for(self, caller: Caller, session_id: int) -> dict[str, Any] | None:
        """The session's stored ``analysis@1`` document, only if the caller may see it."""
        with self.tx() as s:
            q = select(TrainingSession.analysis).where(
                TrainingSession.id == session_id,
                TrainingSession.athlete_id.in_(self.visible_athlete_ids(s, caller)),
            )
            doc = s.scalar(q)
            return None if doc is None else dict(doc)

    def history_for(self, caller: Caller, athlete_id: int) -> tuple[str, list[SessionRecord]] | None:
        """``(name, the store's history)`` of an athlete the caller may see, oldest first; else None."""
        athlete = self.athlete_for(caller, athlete_id)
        if athlete is None:
            return None
        return athlete.name, self.store.history(athlete.name)

    def back_reference(self, athlete_id: int) -> BackReference | None:
        """The athlete's own neutral back line from their history (a clean side-view session, live or filmed): what
        ``hingecoach analyze --athlete NAME`` calibrates the back-line checks with. None when there is none yet.
        """
        name = self.athlete_name(athlete_id)
        if name is None:
            return None
        doc = self.store.neutral_reference(name, camera_view="side")
        if doc is None:
            return None
        from hingecoach.judge import reference_from_analysis

        return reference_from_analysis(doc)

    def save_live(self, athlete_id: int, analysis: Analysis, set_key: str) -> int:
        """Store a live set as a session of the athlete (``set_key``: unique per set, the session's identity)."""
        name = self.athlete_name(athlete_id)
        if name is None:
            raise StoreError(f"no athlete {athlete_id}")
        sha = hashlib.sha256(f"live:{set_key}".encode()).hexdigest()

        def same_athlete(s: Session, res: SaveResult) -> None:
            _check_athlete(s, res, athlete_id)

        return self.store.save_session(analysis, name, source_sha256=sha, origin="live", also=same_athlete).session_id

    # ------------------------------------------------------------------ jobs
    def add_job(
        self, owner_id: int, athlete_id: int, *, drill: str, stored_file: str, media_type: str, size_bytes: int
    ) -> JobInfo:
        """A queued job; ``stored_file`` relative to the artefact root (``uploads/<name>``)."""
        with self.tx() as s:
            job = UploadJob(
                id=uuid.uuid4().hex, owner_user_id=owner_id, athlete_id=athlete_id, drill=drill, status="queued",
                progress=0.0, stage="queued", stored_file=stored_file, media_type=media_type, size_bytes=size_bytes,
                attempts=0, created_at=utcnow(), updated_at=utcnow(),
            )  # fmt: skip
            s.add(job)
            s.flush()
            return job_info(job)

    def job_for(self, caller: Caller, job_id: str) -> JobInfo | None:
        with self.tx() as s:
            j = s.scalar(select(UploadJob).where(UploadJob.id == job_id, UploadJob.owner_user_id == caller.id))
            return None if j is None else job_info(j)

    def jobs_for(self, caller: Caller) -> list[JobInfo]:
        with self.tx() as s:
            q = select(UploadJob).where(UploadJob.owner_user_id == caller.id)
            return [job_info(j) for j in s.scalars(q.order_by(UploadJob.created_at, UploadJob.id))]

    def job(self, job_id: str) -> JobInfo | None:
        """Unscoped: for the worker only (routes use :meth:`job_for`)."""
        with self.tx() as s:
            j = s.get(UploadJob, job_id)
            return None if j is None else job_info(j)

    def file_path(self, stored_file: str | None) -> Path | None:
        return None if not stored_file else self.artefact_root / stored_file

    def requeue_interrupted(self) -> int:
        """At start-up: jobs left ``running`` by a crash or restart go back to ``queued`` (returns how many)."""
        with self.tx() as s:
            res = s.execute(
                update(UploadJob)
                .where(UploadJob.status == "running")
                .values(status="queued", stage="queued", progress=0.0, updated_at=utcnow())
            )
            return int(getattr(res, "rowcount", 0) or 0)

    def claim_next_job(self) -> JobInfo | None:
        """Atomically move the oldest queued job to running; None when the queue is empty.

        The conditional UPDATE is the lock: if two workers race for one job, only one UPDATE matches a row.
        """
        while True:
            with self.tx() as s:
                job_id = s.scalar(
                    select(UploadJob.id)
                    .where(UploadJob.status == "queued")
                    .order_by(UploadJob.created_at, UploadJob.id)
                    .limit(1)
                )
                if job_id is None:
                    return None
                res = s.execute(
                    update(UploadJob)
                    .where(UploadJob.id == job_id, UploadJob.status == "queued")
                    .values(status="running", stage="starting", attempts=UploadJob.attempts + 1, updated_at=utcnow())
                )
                if getattr(res, "rowcount", 0) == 1:
                    j = s.get(UploadJob, job_id, populate_existing=True)
                    assert j is not None
                    return job_info(j)

    def update_job(self, job_id: str, **values: Any) -> None:
        with self.tx() as s:
            s.execute(update(UploadJob).where(UploadJob.id == job_id).values(updated_at=utcnow(), **values))

    def complete_job(self, job: JobInfo, analysis: Analysis, artefact_dir: Path) -> SaveResult:
        """Save the job's session through the store and mark the job done, in one transaction.

        The same clip uploaded again for the same athlete and drill is the session already stored
        (``created=False``; the caller discards the new files).
        """
        name = self.athlete_name(job.athlete_id)
        if name is None:
            raise StoreError("the athlete of this upload no longer exists")

        def mark_done(s: Session, res: SaveResult) -> None:
            _check_athlete(s, res, job.athlete_id)
            s.execute(
                update(UploadJob)
                .where(UploadJob.id == job.id)
                .values(
                    status="done", stage="done", progress=1.0, session_id=res.session_id, message="done",
                    updated_at=utcnow(),
                )
            )

        sha = analysis.provenance.source_sha256 if analysis.provenance is not None else None
        return self.store.save_session(
            analysis, name, source_sha256=sha, origin="upload", artefact_dir=artefact_dir, also=mark_done
        )

    def queue_counts(self) -> dict[str, int]:
        with self.tx() as s:
            rows = s.execute(select(UploadJob.status, func.count()).group_by(UploadJob.status)).all()
            return {str(k): int(n) for k, n in rows}


def _check_athlete(s: Session, res: SaveResult, athlete_id: int) -> None:
    """Inside the save's transaction: the session went to the athlete meant (the name was looked up before; if that
    athlete was forgotten meanwhile, the save would have made a new one of the same name — roll it back).
    """
    owner = s.scalar(select(TrainingSession.athlete_id).where(TrainingSession.id == res.session_id))
    if owner != athlete_id:
        raise StoreError("the athlete was deleted while the session was being saved")
