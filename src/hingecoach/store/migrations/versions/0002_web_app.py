"""The web app moves onto the store: account display names, upload job details, and where a session came from.

Why: the web app used to keep its own tables (``web_*``, made by ``create_all``) in its own file, so a set trained in
the browser never reached ``hingecoach history``. Now its accounts, links and jobs are these migrated tables, and
its live sets and uploads are ordinary ``sessions`` rows; ``origin`` tells a CLI analysis (``file``), an upload
analysed by the web app (``upload``) and a live set from the browser camera (``live``) apart.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as b:
        b.add_column(sa.Column("display_name", sa.String(120), nullable=False, server_default=""))
    with op.batch_alter_table("upload_jobs") as b:
        b.add_column(sa.Column("stage", sa.String(40), nullable=False, server_default="queued"))
        b.add_column(sa.Column("media_type", sa.String(40), nullable=False, server_default=""))
        b.add_column(sa.Column("size_bytes", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        b.create_index("ix_upload_jobs_status", ["status"])
    with op.batch_alter_table("sessions") as b:
        # No CHECK here: adding one makes SQLite batch mode copy the table; the store validates the value.
        b.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="file"))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as b:
        b.drop_column("origin")
    with op.batch_alter_table("upload_jobs") as b:
        b.drop_index("ix_upload_jobs_status")
        for col in ("attempts", "size_bytes", "media_type", "stage"):
            b.drop_column(col)
    with op.batch_alter_table("users") as b:
        b.drop_column("display_name")
