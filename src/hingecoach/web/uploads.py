"""Uploads are hostile input: stream them to a server-named file, refuse too-large or non-video bodies early.

- The size limit is enforced *while streaming* (and up front from ``Content-Length`` when the client sends one),
  so a client cannot make the server buffer gigabytes before saying no (413).
- The type is sniffed from the first bytes of the file part (ISO-BMFF ``ftyp``, EBML/WebM, RIFF AVI, GIF), never
  taken from the client's ``Content-Type`` or file name (415).
- The file name is generated here (a random hex id plus the sniffed extension); the client's file name never
  reaches the file system.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from python_multipart.multipart import MultipartParser, parse_options_header

SNIFF_BYTES: Final[int] = 16


class UploadRejectedError(Exception):
    """Carries the HTTP status (413/415/400) and a message for the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def too_large(max_bytes: int) -> str:
    return f"the video is larger than the {max_bytes / (1024 * 1024):g} MB limit"


def sniff_video(head: bytes) -> tuple[str, str] | None:
    """``(media_type, extension)`` from a file's first bytes, or None when it is not a container we decode."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        return ("video/quicktime", ".mov") if brand == b"qt  " else ("video/mp4", ".mp4")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm", ".webm"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo", ".avi"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", ".gif"
    return None


@dataclass
class SavedUpload:
    path: Path
    media_type: str
    size_bytes: int
    fields: dict[str, str]


@dataclass
class _State:
    upload_dir: Path
    max_bytes: int
    header_field: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)
    part_name: str | None = None
    is_file: bool = False
    field_buf: bytearray = field(default_factory=bytearray)
    head: bytearray = field(default_factory=bytearray)
    fh: object | None = None
    path: Path | None = None
    media: tuple[str, str] | None = None
    size: int = 0
    file_seen: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    error: UploadRejectedError | None = None


MAX_FIELD_BYTES: Final[int] = 4096


class _Receiver:
    """Callbacks for python-multipart's streaming parser; writes the single file part as it arrives."""

    def __init__(self, st: _State) -> None:
        self.st = st

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.st.headers = {}
        self.st.part_name = None
        self.st.is_file = False
        self.st.field_buf = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.st.header_field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        key = self.st.header_field.lower()
        self.st.headers[key] = self.st.headers.get(key, b"") + data[start:end]

    def header_end(self) -> None:
        self.st.header_field = b""

    def headers_finished(self) -> None:
        _, opts = parse_options_header(self.st.headers.get(b"content-disposition", b""))
        name = opts.get(b"name")
        self.st.part_name = name.decode("utf-8", "replace") if name else None
        self.st.is_file = b"filename" in opts

    def part_data(self, data: bytes, start: int, end: int) -> None:
        st = self.st
        if st.error is not None:
            return
        chunk = data[start:end]
        if not st.is_file:
            st.field_buf += chunk
            if len(st.field_buf) > MAX_FIELD_BYTES:
                st.error = UploadRejectedError(413, "form field too large")
            return
        if st.file_seen and st.fh is None:
            st.error = UploadRejectedError(400, "one video per upload")
            return
        st.size += len(chunk)
        if st.size > st.max_bytes:
            st.error = UploadRejectedError(
                413, f"the video is larger than the {st.max_bytes // (1024 * 1024)} MB limit"
            )
            return
        if st.media is None:
            st.head += chunk
            if len(st.head) < SNIFF_BYTES:
                return
            self._open()
            if st.error is not None:
                return
            chunk, st.head = bytes(st.head), bytearray()
        assert st.fh is not None
        st.fh.write(chunk)  # type: ignore[attr-defined]

    def _open(self) -> None:
        st = self.st
        st.media = sniff_video(bytes(st.head[:SNIFF_BYTES]))
        if st.media is None:
            st.error = UploadRejectedError(415, "not a video this server can read (MP4/MOV, WebM, AVI or GIF)")
            return
        st.file_seen = True
        st.path = st.upload_dir / (secrets.token_hex(16) + st.media[1])
        st.fh = open(st.path, "xb")  # noqa: SIM115 - closed in part_end / on error

    def part_end(self) -> None:
        st = self.st
        if st.error is not None:
            return
        if st.is_file:
            if st.media is None:  # a file shorter than the sniff window
                if not st.head:
                    st.error = UploadRejectedError(400, "the uploaded file is empty")
                    return
                st.head += b"\0" * 0
                self._open()
                if st.error is not None:
                    return
                assert st.fh is not None
                st.fh.write(bytes(st.head))  # type: ignore[attr-defined]
            if st.fh is not None:
                st.fh.close()  # type: ignore[attr-defined]
                st.fh = None
        elif st.part_name:
            st.fields[st.part_name] = st.field_buf.decode("utf-8", "replace")


async def receive_upload(
    content_type: str, content_length: str | None, body: AsyncIterator[bytes], upload_dir: Path, max_bytes: int
) -> SavedUpload:
    """Stream a ``multipart/form-data`` body with one file part to ``upload_dir``; raises :class:`UploadRejectedError`.

    On any rejection the partial file is deleted, so a refused upload leaves nothing behind.
    """
    if content_length is not None and content_length.isdigit() and int(content_length) > max_bytes + 64 * 1024:
        raise UploadRejectedError(413, too_large(max_bytes))
    ctype, opts = parse_options_header(content_type)
    boundary = opts.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise UploadRejectedError(400, "expected a multipart/form-data upload")
    upload_dir.mkdir(parents=True, exist_ok=True)
    st = _State(upload_dir=upload_dir, max_bytes=max_bytes)
    parser = MultipartParser(boundary, _Receiver(st).callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in body:
            parser.write(chunk)
            if st.error is not None:
                raise st.error
        parser.finalize()
        if st.error is not None:
            raise st.error
        if st.path is None:
            raise UploadRejectedError(400, "no video in the upload")
    except BaseException as exc:
        if st.fh is not None:
            st.fh.close()  # type: ignore[attr-defined]
        if st.path is not None:
            st.path.unlink(missing_ok=True)
        if isinstance(exc, UploadRejectedError):
            raise
        if isinstance(exc, Exception):
            raise UploadRejectedError(400, f"malformed upload: {exc}") from exc
        raise
    assert st.media is not None
    os.chmod(st.path, 0o600)
    return SavedUpload(path=st.path, media_type=st.media[0], size_bytes=st.size, fields=st.fields)
