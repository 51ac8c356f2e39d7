"""The training history: every analysed session of every athlete, in SQLite (default) or PostgreSQL.

``Store(db)`` opens the database (migrating it on first use) and is the whole library API::

    with Store() as store:
        store.save_session(result.analysis, "Ana", "rdl_monday.mp4")
        for rec in store.history("Ana"):
            print(rec.recorded_at, rec.drill, rec.stats.usable_range_deg)

Export/import live in :mod:`hingecoach.store.transfer`, the web app's account rows in
:mod:`hingecoach.store.accounts`, the ladder's decision in :mod:`hingecoach.ladder`.
"""

from hingecoach.store.db import resolve_url
from hingecoach.store.errors import (
    CorruptStoreError,
    ImportValidationError,
    NewerSchemaError,
    StoreError,
    UnknownAthleteError,
)
from hingecoach.store.repo import SaveResult, SessionRecord, Store

__all__ = [
    "CorruptStoreError",
    "ImportValidationError",
    "NewerSchemaError",
    "SaveResult",
    "SessionRecord",
    "Store",
    "StoreError",
    "UnknownAthleteError",
    "resolve_url",
]
