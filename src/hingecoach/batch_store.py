"""The one place a batch talks to the history store (:mod:`hingecoach.store`), imported only when ``--db`` is used.

Why a module of its own: the batch's analysis runs without a database (and without SQLAlchemy imported in its
workers); only the finished records are filed, each clip once per athlete and drill, after the batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hingecoach.batch_clip import ClipRecord


@dataclass(frozen=True)
class StoreReport:
    saved: int  # sessions newly stored
    existing: int  # already stored (the store is idempotent per clip, athlete and drill)
    no_athlete: int  # clips with a result but no athlete to file it under (folder mode, or a blank manifest cell)


def open_store(db_url: str) -> Any:
    """Open (and migrate) the history store; fails with the store's one-line error before any clip is analysed."""
    from hingecoach.store import Store

    return Store(db_url)


def save_to_store(store: Any, out_dir: Path, records: Iterable[ClipRecord]) -> StoreReport:
    """Store every clip of the archive that has a result and an athlete (up-to-date ones too: saving is idempotent)."""
    from hingecoach.schema import Analysis

    saved = existing = no_athlete = 0
    for r in records:
        if r.failed or r.status == "duplicate" or not r.result_file:
            continue
        if not r.athlete:
            no_athlete += 1
            continue
        analysis = Analysis.model_validate_json((out_dir / r.result_file).read_text(encoding="utf-8"))
        res = store.save_session(analysis, r.athlete, r.path, source_sha256=r.content_sha256)
        saved += bool(res.created)
        existing += not res.created
    return StoreReport(saved, existing, no_athlete)
