"""Moving a history between machines: export an athlete's sessions to one JSON file, import it elsewhere.

The file (``hingecoach/history@1``) carries each session's full ``analysis@1`` document and its provenance, so an
import rebuilds the same sessions, reps and figures. Import validates the *whole* file first (Pydantic: every
session's analysis against the contract) and then writes everything in one transaction: a file that fails
validation, or a write that fails half-way, changes nothing. Importing the same file twice adds nothing the second
time (sessions are keyed by athlete, clip content hash and drill, as for a save).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hingecoach import schema
from hingecoach.fileio import write_text_atomic
from hingecoach.schema import DRILL_IDS
from hingecoach.store.errors import ImportValidationError
from hingecoach.store.repo import Store

EXPORT_SCHEMA: Final[str] = "hingecoach/history@1"
MAX_IMPORT_BYTES: Final[int] = 512 * 1024 * 1024


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionExport(_Model):
    recorded_at: datetime
    drill: str
    source_path: str = ""
    source_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    model_sha256: str | None = None
    config_hash: str | None = None
    analysis: schema.Analysis

    @model_validator(mode="after")
    def _same_drill(self) -> SessionExport:
        if self.drill not in DRILL_IDS:
            raise ValueError(f"unknown drill {self.drill!r}")
        if self.drill != self.analysis.drill:
            raise ValueError(f"drill {self.drill!r} differs from the analysis's drill {self.analysis.drill!r}")
        return self


class AthleteExport(_Model):
    name: str = Field(min_length=1, max_length=200)
    sessions: list[SessionExport]


class HistoryExport(_Model):
    schema_: Literal["hingecoach/history@1"] = Field(default="hingecoach/history@1", alias="schema")
    exported_at: datetime
    hingecoach_version: str
    athletes: list[AthleteExport]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def export_history(store: Store, athlete: str) -> HistoryExport:
    """One athlete's history as an export document (unknown athlete: :class:`UnknownAthleteError`)."""
    from hingecoach import __version__

    records = store.history(athlete)
    sessions = [
        SessionExport(
            recorded_at=r.recorded_at,
            drill=r.drill,
            source_path=r.source_path,
            source_sha256=r.source_sha256,
            model_sha256=r.model_sha256,
            config_hash=r.config_hash,
            analysis=store.analysis(r.id),
        )
        for r in records
    ]
    name = records[0].athlete if records else store.display_name(athlete)
    return HistoryExport(
        exported_at=datetime.now(UTC),
        hingecoach_version=__version__,
        athletes=[AthleteExport(name=name, sessions=sessions)],
    )


def write_export(store: Store, athlete: str, path: str | Path) -> HistoryExport:
    """Export to a file, written atomically."""
    doc = export_history(store, athlete)
    write_text_atomic(Path(path), doc.model_dump_json(by_alias=True, indent=2))
    return doc


def read_export(path: str | Path) -> HistoryExport:
    """Read and validate an export file; :class:`ImportValidationError` says what is wrong in one line."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_IMPORT_BYTES:
            raise ImportValidationError(f"{p} is larger than {MAX_IMPORT_BYTES >> 20} MiB: not a history export")
        raw = p.read_bytes()
    except OSError as exc:
        raise ImportValidationError(f"cannot read {p}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportValidationError(f"{p} is not JSON: {exc}") from None
    if isinstance(data, dict) and data.get("schema") != EXPORT_SCHEMA:
        raise ImportValidationError(f"{p} is not a hingecoach history export (schema {data.get('schema')!r})")
    try:
        return HistoryExport.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise ImportValidationError(
            f"{p} is not a valid history export ({exc.error_count()} problem(s); first at {where}: {first['msg']})"
        ) from None


def import_history(store: Store, doc: HistoryExport) -> tuple[int, int]:
    """Write an export into the store in one transaction; ``(sessions added, sessions already there)``."""
    added = existing = 0
    with store.transaction() as s:
        for ath in doc.athletes:
            for sess in ath.sessions:
                res = store._save(  # the same save as a live session, inside this one transaction
                    s, sess.analysis, ath.name, sess.source_sha256, sess.source_path or None,
                    sess.recorded_at, sess.model_sha256, sess.config_hash,
                )  # fmt: skip
                added += res.created
                existing += not res.created
    return added, existing


def import_file(store: Store, path: str | Path) -> tuple[int, int]:
    """Validate ``path`` completely, then import it (nothing changes when it is invalid)."""
    return import_history(store, read_export(path))
