"""Uploaded files kept in the database, so that any web or worker host can serve them (SPEC §4)."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import datetime
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, request, stream_with_context
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.http import dump_options_header

from marketplace.database import UTCDateTime, utcnow
from marketplace.errors import NotFound
from marketplace.extensions import Model, db

# Files up to this size are read in one query; larger ones are streamed in slices of it, so a
# 10 MB download holds at most this much of it in the web process at a time.
CHUNK_BYTES = 256 * 1024


class StoredFile(Model):
    """The bytes of one uploaded file, found by the random ``name`` its owner row keeps.

    Owner rows (attachments, voucher documents, instrument photos, queued imports) refer to a
    file by name and delete it in the same transaction as themselves; a file is never changed.
    """

    __tablename__ = "stored_files"
    __table_args__ = (sa.CheckConstraint("size_bytes >= 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def new_name(extension: str) -> str:
    """A fresh random name; the user's own file name is kept by the owner row, never here."""
    return f"{secrets.token_hex(16)}.{extension}"


def put(data: bytes, content_type: str, extension: str) -> str:
    """Add a file to the caller's transaction and return its name (the caller commits)."""
    name = new_name(extension)
    db.session.add(
        StoredFile(
            name=name,
            content_type=content_type,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
        )
    )
    return name


def delete(names: Iterable[str]) -> None:
    """Remove files in the caller's transaction (so they go exactly when their owner goes)."""
    wanted = [name for name in names if name]
    if wanted:
        db.session.execute(sa.delete(StoredFile).where(StoredFile.name.in_(wanted)))


def find(name: str | None) -> StoredFile | None:
    """A file's description (not its bytes), or None."""
    if not name:
        return None
    return db.session.execute(
        sa.select(StoredFile).where(StoredFile.name == name)
    ).scalar_one_or_none()


def read(name: str) -> bytes:
    """The whole content of a file (for worker jobs); NotFound if it is gone."""
    data = db.session.execute(
        sa.select(StoredFile.data).where(StoredFile.name == name)
    ).scalar_one_or_none()
    if data is None:
        raise NotFound()
    return bytes(data)


def names() -> list[str]:
    """Every stored file's name (for checks and tests)."""
    return list(db.session.execute(sa.select(StoredFile.name).order_by(StoredFile.name)).scalars())


def _slices(file_id: int, size: int) -> Iterator[bytes]:
    for offset in range(0, size, CHUNK_BYTES):
        # substr() on a blob/bytea is 1-based on both SQLite and PostgreSQL.
        piece = db.session.execute(
            sa.select(sa.func.substr(StoredFile.data, offset + 1, CHUNK_BYTES)).where(
                StoredFile.id == file_id
            )
        ).scalar_one_or_none()
        if piece is None:  # deleted while being sent: end the body early, never an error page
            return
        yield bytes(piece)


def file_response(name: str | None, *, mimetype: str | None = None) -> Response:
    """The file as an HTTP body (streamed from the database when large), with its sha256 as
    ETag so a browser's conditional request is answered 304; NotFound if it is gone.
    Callers check permissions first and add their own disposition and cache headers."""
    stored = find(name)
    if stored is None:
        raise NotFound()
    if stored.size_bytes <= CHUNK_BYTES:
        response = Response(read(stored.name), mimetype=mimetype or stored.content_type)
    else:
        response = Response(
            stream_with_context(_slices(stored.id, stored.size_bytes)),
            mimetype=mimetype or stored.content_type,
        )
        response.content_length = stored.size_bytes
    response.set_etag(stored.sha256)
    response.make_conditional(request)
    return response


def content_disposition(filename: str, *, as_attachment: bool) -> str:
    """The Content-Disposition of a download named ``filename`` (as Flask's send_file writes
    it: an ASCII fallback for old clients and the UTF-8 name for the others)."""
    kind = "attachment" if as_attachment else "inline"
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
        encoded = quote(filename, safe="!#$&+^`|~")
        return dump_options_header(kind, {"filename": simple, "filename*": f"UTF-8''{encoded}"})
    return dump_options_header(kind, {"filename": filename})
