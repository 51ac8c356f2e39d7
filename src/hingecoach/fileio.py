"""Atomic file output: every file hingecoach writes (JSON, tracks, reports, videos, the model) appears whole or
not at all.

A crash (or a full disk) half-way through an export must never leave a truncated CSV or MP4 that looks valid,
so writers produce a sibling temporary file and rename it into place only once it is complete.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
