"""Initial schema: athletes, sessions, reps; and the web app's users, coach_links, upload_jobs.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from hingecoach.store.models import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON_ = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "athletes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_athletes"),
        sa.UniqueConstraint("name_key", name="uq_athletes_name_key"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("drill", sa.String(40), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("camera_view", sa.String(16), nullable=False),
        sa.Column("rep_count", sa.Integer(), nullable=False),
        sa.Column("judged_reps", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("usable_range_deg", sa.Float(), nullable=True),
        sa.Column("fault_counts", JSON_, nullable=False),
        sa.Column("analysis", JSON_, nullable=False),
        sa.Column("schema_id", sa.String(64), nullable=False),
        sa.Column("hingecoach_version", sa.String(40), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=True),
        sa.Column("config_hash", sa.String(64), nullable=True),
        sa.Column("drill_table_version", sa.String(64), nullable=True),
        sa.Column("artefact_dir", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name="fk_sessions_athlete_id_athletes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.UniqueConstraint("athlete_id", "source_sha256", "drill", name="uq_sessions_clip"),
    )
    with op.batch_alter_table("sessions") as b:
        b.create_index("ix_sessions_athlete_id", ["athlete_id"])
        b.create_index("ix_sessions_recorded_at", ["recorded_at"])
    op.create_table(
        "reps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rep_index", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("bottom_s", sa.Float(), nullable=False),
        sa.Column("end_s", sa.Float(), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("judged", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("back_judged", sa.Boolean(), nullable=True),
        sa.Column("back_held_deg", sa.Float(), nullable=True),
        sa.Column("metrics", JSON_, nullable=False),
        sa.Column("faults", JSON_, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_reps_session_id_sessions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reps"),
        sa.UniqueConstraint("session_id", "rep_index", name="uq_reps_session_index"),
    )
    with op.batch_alter_table("reps") as b:
        b.create_index("ix_reps_session_id", ["session_id"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('coach', 'athlete')", name="ck_users_role"),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name="fk_users_athlete_id_athletes", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    with op.batch_alter_table("users") as b:
        b.create_index("ix_users_athlete_id", ["athlete_id"])
    op.create_table(
        "coach_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_user_id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_user_id"], ["users.id"], name="fk_coach_links_coach_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name="fk_coach_links_athlete_id_athletes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_coach_links"),
        sa.UniqueConstraint("coach_user_id", "athlete_id", name="uq_coach_links_pair"),
    )
    with op.batch_alter_table("coach_links") as b:
        b.create_index("ix_coach_links_coach_user_id", ["coach_user_id"])
        b.create_index("ix_coach_links_athlete_id", ["athlete_id"])
    op.create_table(
        "upload_jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("drill", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("stored_file", sa.Text(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_upload_jobs_status"),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["users.id"], name="fk_upload_jobs_owner_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name="fk_upload_jobs_athlete_id_athletes", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_upload_jobs_session_id_sessions", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_upload_jobs"),
    )
    with op.batch_alter_table("upload_jobs") as b:
        b.create_index("ix_upload_jobs_owner_user_id", ["owner_user_id"])
        b.create_index("ix_upload_jobs_athlete_id", ["athlete_id"])


def downgrade() -> None:
    for table in ("upload_jobs", "coach_links", "users", "reps", "sessions", "athletes"):
        op.drop_table(table)
