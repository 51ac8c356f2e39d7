"""What produced a result: package version, pose-model sha256, configuration hash, the source's content hash.

Why content hashes and not paths: the history store and the batch runner key results on *what was analysed*
(the same clip copied elsewhere is the same clip) and *how* (a new model or a changed threshold means re-analysis).
Pure functions; reading a file is the only side effect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel

from hingecoach import __version__

if TYPE_CHECKING:
    from hingecoach.drills import Drill

_CHUNK: Final[int] = 1 << 20


def content_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (streamed in 1 MiB chunks, so memory does not grow with the file)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def model_sha256(model_path: str | Path | None = None) -> str | None:
    """sha256 of the pose model in use: from the record written beside it when it was built, else hashed now.

    None when no model file exists (an analysis of a saved track or of browser landmarks used none of ours).
    """
    from hingecoach.pose.model import default_model_path, provenance_path

    p = Path(model_path) if model_path is not None else default_model_path()
    if not p.is_file():
        return None
    rec = provenance_path(p)
    if rec.is_file():
        try:
            sha = json.loads(rec.read_text(encoding="utf-8")).get("task_sha256")
            if isinstance(sha, str) and len(sha) == 64:
                return sha
        except (OSError, ValueError):
            pass
    return content_sha256(p)


def config_hash(config: BaseModel | dict[str, Any]) -> str:
    """A short, stable hash of a configuration: sha256 of its canonical JSON (sorted keys), first 16 hex digits."""
    data = config.model_dump(mode="json") if isinstance(config, BaseModel) else config
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def package_version() -> str:
    return __version__


#: Check fields that say what a check measures and where it draws the line (text fields such as the cue are left
#: out: rewording a cue does not change a verdict).
_TABLE_FIELDS = ("code", "quantity", "unit", "threshold", "direction", "major_at", "views", "series", "band")


def drills_table_version(table: Mapping[str, Drill] | None = None) -> str:
    """A short hash (12 hex digits) of the drill table's verdict-relevant content: per drill its id, start position
    and needed view, per check its code, quantity, unit, threshold, direction, major threshold, views, series,
    borderline band and every other numeric or boolean field. ``table`` None = :data:`hingecoach.drills.DRILLS`.

    Why: a stored result is only comparable with a new one when the checks drew the same lines; the history store
    and the batch runner re-analyse when this changes.
    """
    from dataclasses import fields

    from hingecoach.drills import DRILLS

    drills = DRILLS if table is None else table
    rows: list[dict[str, Any]] = []
    for drill_id in sorted(drills):
        d = drills[drill_id]
        checks = []
        for c in d.checks:
            rec: dict[str, Any] = {}
            for f in fields(c):
                v = getattr(c, f.name)
                if f.name in _TABLE_FIELDS or isinstance(v, bool | int | float):
                    rec[f.name] = sorted(v) if isinstance(v, frozenset | set) else v
            checks.append(rec)
        rows.append({"id": d.id, "start": d.start_position, "view": d.needs_view, "checks": checks})
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
