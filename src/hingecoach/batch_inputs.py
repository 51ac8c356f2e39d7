"""Which clips a batch covers: a folder walked recursively for videos, or a manifest (CSV or JSONL) of
``path[, drill][, athlete]`` rows. Pure listing: nothing is opened but the manifest itself.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from hingecoach.errors import HingecoachError

VIDEO_EXTENSIONS: Final[frozenset[str]] = frozenset(
    {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".3gp", ".wmv"}
)
MANIFEST_EXTENSIONS: Final[frozenset[str]] = frozenset({".csv", ".jsonl"})


class BatchInputError(HingecoachError):
    """The archive folder or manifest cannot be read (missing, not a folder or manifest, malformed)."""

    code = "bad_batch_input"


@dataclass(frozen=True)
class ClipEntry:
    """One clip to analyse, as listed by a folder walk or a manifest row."""

    path: Path
    drill: str | None = None
    athlete: str | None = None


def discover(source: str | Path, *, exclude: Path | None = None) -> list[ClipEntry]:
    """Clips of a folder (recursively, by video extension, sorted) or of a manifest (``.csv`` / ``.jsonl``).

    ``exclude`` (the output folder) is never walked, so an output folder inside the archive is not re-read.
    """
    src = Path(source)
    if src.is_dir():
        skip = exclude.resolve() if exclude is not None else None
        found = []
        for p in sorted(src.rglob("*")):
            if skip is not None and p.resolve().is_relative_to(skip):
                continue
            rel_parts = p.relative_to(src).parts
            if any(part.startswith(".") for part in rel_parts):  # hidden folders, temp files of atomic writes
                continue
            if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS:
                found.append(ClipEntry(p))
        return found
    if src.is_file() and src.suffix.lower() in MANIFEST_EXTENSIONS:
        return read_manifest(src)
    if not src.exists():
        raise BatchInputError(f"archive not found: {src}")
    raise BatchInputError(f"{src} is neither a folder nor a manifest (.csv or .jsonl with a 'path' column)")


def read_manifest(path: Path) -> list[ClipEntry]:
    """Rows ``path[, drill][, athlete]``; relative paths are relative to the manifest's folder."""
    rows: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchInputError(f"cannot read manifest {path}: {exc}") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames is None or "path" not in [f.strip().lower() for f in reader.fieldnames]:
            raise BatchInputError(f"manifest {path.name} needs a header row with a 'path' column")
        rows = [{(k or "").strip().lower(): v for k, v in row.items()} for row in reader]
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise BatchInputError(f"manifest {path.name} line {n} is not JSON: {exc}") from None
            if not isinstance(obj, dict) or "path" not in obj:
                raise BatchInputError(f"manifest {path.name} line {n} has no 'path'")
            rows.append(obj)
    entries = []
    for row in rows:
        raw = str(row.get("path") or "").strip()
        if not raw:
            continue
        p = Path(raw).expanduser()
        entries.append(
            ClipEntry(
                p if p.is_absolute() else path.parent / p,
                drill=_text_or_none(row.get("drill")),
                athlete=_text_or_none(row.get("athlete")),
            )
        )
    return entries


def _text_or_none(value: object) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


# ---------------------------------------------------------------------------------------------------- hashing
HASH_CACHE: Final[str] = "hashes.json"
HASH_THREADS: Final[int] = 8
HashCache = dict[str, list[Any]]  # resolved path -> [size, mtime_ns, sha256]


def read_hash_cache(out_dir: Path) -> HashCache:
    try:
        data = json.loads((out_dir / HASH_CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def hash_clips(paths: list[Path], cache: HashCache) -> tuple[dict[Path, str | OSError], HashCache]:
    """The sha256 of every clip (or the OSError reading it), and the updated cache.

    Why: the driver must know every clip's content hash before it can skip anything, and an archive is mostly
    large files. Hashing runs in threads (hashlib releases the GIL, so reads from network storage overlap), and a
    clip whose size and modification time are unchanged since the last run reuses its hash, so a rerun of an
    archive of thousands of clips does not re-read terabytes to learn that nothing changed.
    """
    from concurrent.futures import ThreadPoolExecutor

    from hingecoach.provenance import content_sha256

    out: dict[Path, str | OSError] = {}
    new_cache: HashCache = {}
    todo: list[tuple[Path, str, int, int]] = []
    for p in paths:
        key = str(p.resolve())
        try:
            st = p.stat()
        except OSError as exc:
            out[p] = exc
            continue
        hit = cache.get(key)
        if isinstance(hit, list) and len(hit) == 3 and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            out[p] = str(hit[2])
            new_cache[key] = hit
        else:
            todo.append((p, key, st.st_size, st.st_mtime_ns))

    def one(item: tuple[Path, str, int, int]) -> tuple[Path, str, int, int, str | OSError]:
        p, key, size, mtime = item
        try:
            return p, key, size, mtime, content_sha256(p)
        except OSError as exc:
            return p, key, size, mtime, exc

    with ThreadPoolExecutor(max_workers=HASH_THREADS) as pool:
        for p, key, size, mtime, sha in pool.map(one, todo):
            out[p] = sha
            if isinstance(sha, str):
                new_cache[key] = [size, mtime, sha]
    return out, new_cache
