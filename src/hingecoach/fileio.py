"""Atomic file output: every file hingecoach writes (JSON, tracks, reports, videos, the model) appears whole or
not at all.

A crash (or a full disk) half-way through an export must never leave a truncated CSV or MP4 that looks valid,
so writers produce a sibling temporary file and rename it into place only once it is complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hingecoach.errors import OutputNotWritableError


def temp_sibling(path: Path) -> Path:
    """A temporary path in the same folder (same file system, so the final rename is atomic).

    The original suffix is kept last so tools that sniff the extension (ffmpeg picks the muxer from it) still work.
    """
    return path.with_name(f".{path.stem}.{os.getpid()}.part{path.suffix}")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write to; rename it onto ``path`` on success, delete it on any error."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(final)
    try:
        yield tmp
        tmp.replace(final)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (LF line endings on every platform) and return the final path."""
    final = Path(path)
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return final


def write_bytes_atomic(path: str | Path, data: bytes, *, mode: int = 0o644) -> Path:
    """Write bytes atomically with ordinary file permissions and return the final path."""
    final = Path(path)
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)
        tmp.chmod(mode)
    return final


def check_writable(path: str | Path, *, folder: bool = False) -> None:
    """Raise :class:`OutputNotWritableError` (one line) when ``path`` could not be written later.

    Why up front: an analysis takes minutes; finding out only at the end that ``--json`` points into a folder that
    does not accept files wastes them. The check creates and removes a temporary file in the folder that would
    receive the output (or its nearest existing ancestor, which is where missing folders would be created), so it
    also catches read-only file systems, where permission bits alone say nothing (e.g. when running as root).
    ``folder=True`` checks a folder to write files into (``--out``).
    """
    target = Path(path)
    if folder:
        if target.exists() and not target.is_dir():
            raise OutputNotWritableError(f"cannot write into {target}: it is a file, not a folder")
        probe_dir = target
    else:
        if target.is_dir():
            raise OutputNotWritableError(f"cannot write {target}: it is a folder")
        probe_dir = target.parent
    ancestor = probe_dir
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputNotWritableError(f"cannot write {target}: {ancestor} is a file, not a folder")
    try:
        fd, name = tempfile.mkstemp(prefix=".hingecoach-write-check-", dir=ancestor)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputNotWritableError(f"cannot write {target}: {ancestor} does not accept files ({reason})") from None
    os.close(fd)
    os.unlink(name)
