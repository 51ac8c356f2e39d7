"""The history store's tables as SQLAlchemy 2 typed models.

Why these tables: a session row keeps the whole ``analysis@1`` document (so nothing is lost and the result can be
re-shown exactly as it was), plus the few columns queries and the ladder need without parsing JSON (drill, date,
usable range, score). Reps get their own rows so the web app can query them; their faults and metrics stay JSON,
because the fault vocabulary and the metric names grow with the drill table and must not need a migration.
The ``users``, ``coach_links`` and ``upload_jobs`` tables serve the web app (accounts and background analyses);
they live in the same schema so one migration history covers everything.

Migrations (``hingecoach/store/migrations``) are the source of truth for the database schema; these models must
match them (``tests/unit/test_store.py`` compares the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: JSON everywhere, JSONB on PostgreSQL (indexable, compact); the same Python values on both.
JSONType: Final = JSON().with_variant(JSONB(), "postgresql")

#: Constraint names are given explicitly (SQLite batch migrations need names to alter constraints later).
NAMING: Final[dict[str, str]] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES: Final[tuple[str, ...]] = ("coach", "athlete")
JOB_STATES: Final[tuple[str, ...]] = ("queued", "running", "done", "failed")
#: Where a session came from: a CLI/batch analysis of a file, an upload analysed by the web app, a live set.
ORIGINS: Final[tuple[str, ...]] = ("file", "upload", "live")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC, read back as aware UTC (SQLite has no time zones; PostgreSQL keeps none here).

    Why: comparing and sorting dates must not depend on the backend or on the machine's local time zone.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Athlete(Base):
    __tablename__ = "athletes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Case-folded, whitespace-normalised name: "ana " and "Ana" are the same person.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="athlete", cascade="all, delete-orphan", passive_deletes=True
    )


class TrainingSession(Base):
    """One analysed clip of one athlete (``sessions`` table)."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("athlete_id", "source_sha256", "drill", name="uq_sessions_clip"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"), index=True)
    drill: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source_path: Mapped[str] = mapped_column(Text, default="")
    source_sha256: Mapped[str] = mapped_column(String(64))
    camera_view: Mapped[str] = mapped_column(String(16))
    rep_count: Mapped[int] = mapped_column(Integer)
    judged_reps: Mapped[int] = mapped_column(Integer)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    usable_range_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    fault_counts: Mapped[dict[str, int]] = mapped_column(JSONType)
    analysis: Mapped[dict[str, Any]] = mapped_column(JSONType)
    schema_id: Mapped[str] = mapped_column(String(64))
    hingecoach_version: Mapped[str] = mapped_column(String(40))
    model_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    config_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    drill_table_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Folder (relative to the store's artefact root) holding this session's files, if any were kept.
    artefact_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: One of :data:`ORIGINS` (migration 0002).
    origin: Mapped[str] = mapped_column(String(16), default="file", server_default="file")

    athlete: Mapped[Athlete] = relationship(back_populates="sessions")
    reps: Mapped[list[RepRow]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True, order_by="RepRow.rep_index"
    )


class RepRow(Base):
    """One rep of a session (``reps`` table): its score, the back-line range, metrics and faults."""

    __tablename__ = "reps"
    __table_args__ = (UniqueConstraint("session_id", "rep_index", name="uq_reps_session_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    rep_index: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    bottom_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    partial: Mapped[bool] = mapped_column(Boolean)
    judged: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[int] = mapped_column(Integer)
    #: Whether the back line could be judged on this rep (None: the drill has no back-line check).
    back_judged: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    back_held_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    metrics: Mapped[dict[str, float | None]] = mapped_column(JSONType)
    faults: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)

    session: Mapped[TrainingSession] = relationship(back_populates="reps")


class User(Base):
    """A web-app account (the web app owns authentication; the store only keeps the row)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('coach', 'athlete')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    athlete_id: Mapped[int | None] = mapped_column(
        ForeignKey("athletes.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CoachLink(Base):
    """A coach may see an athlete's history."""

    __tablename__ = "coach_links"
    __table_args__ = (UniqueConstraint("coach_user_id", "athlete_id", name="uq_coach_links_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coach_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UploadJob(Base):
    """A clip uploaded to the web app and its background analysis."""

    __tablename__ = "upload_jobs"
    __table_args__ = (CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"), index=True)
    drill: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    #: What the analysis is doing now ("pose", "overlay", ...), for the progress bar (migration 0002).
    stage: Mapped[str] = mapped_column(String(40), default="queued", server_default="queued")
    media_type: Mapped[str] = mapped_column(String(40), default="", server_default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: How many times a worker claimed it (a job requeued after a crash has 2).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: File name relative to the store's artefact root.
    stored_file: Mapped[str | None] = mapped_column(Text, nullable=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
