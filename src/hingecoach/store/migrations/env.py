"""Alembic environment for the history store: always run programmatically by :mod:`hingecoach.store.db`.

The caller hands over an open connection (``config.attributes["connection"]``) already inside its transaction, so
the upgrade and the version check happen under the same lock. Batch mode lets SQLite, which cannot ALTER most
things, run the same migrations as PostgreSQL (copy-and-move tables).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from hingecoach.store.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("hingecoach migrations run only through hingecoach.store.db (no offline mode)")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
