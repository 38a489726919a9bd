"""Attachments: PDFs and images checked by content, stored under random names, served to the
people allowed to see them."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import filetype
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace.accounts.permissions import is_admin, require_user, same_org
from marketplace.errors import NotFound, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.listings.models import Attachment, ChallengeApplication, Listing

ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
MAX_PER_LISTING = 10
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe",
                     b"#!")


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the user called it and its bytes."""

    filename: str
    data: bytes

    @classmethod
    def read(cls, filename: str | None, stream: IO[bytes], limit: int) -> Upload:
        # Read one byte past the limit: enough to know it is too large without reading it all.
        return cls(filename or "", stream.read(limit + 1))


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(upload: Upload, field: str = "file") -> str:
    """The content type of an acceptable upload, judged by its bytes, never by its name."""
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    data = upload.data
    if not data:
        raise ValidationError(fields={field: _("Choose a file to upload; this one is empty.")})
    if len(data) > limit:
        raise ValidationError(fields={field: _("The file is larger than %(mb)s MB.",
                                               mb=f"{limit / 1024 / 1024:g}")})
    if data.startswith(_EXECUTABLE_MAGIC):
        raise ValidationError(fields={field: _("Programs cannot be uploaded; attach a PDF or an "
                                               "image.")})
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind else None
    if mime not in ALLOWED_TYPES:
        raise ValidationError(fields={field: _("Only PDF documents and PNG, JPEG, GIF or WebP "
                                               "images can be attached.")})
    if mime == "application/pdf" and not _looks_like_pdf(data):
        raise ValidationError(fields={field: _("This is not a readable PDF document.")})
    return mime


def _looks_like_pdf(data: bytes) -> bool:
    # A real PDF starts with a version header, has at least one object and ends with %%EOF
    # (allowing trailing whitespace/garbage, as many writers add some).
    return (data.startswith(b"%PDF-1.") or data.startswith(b"%PDF-2.")) \
        and b" obj" in data and b"%%EOF" in data[-2048:]


def _clean_name(filename: str, extension: str) -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip() or f"attachment.{extension}"
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')[:200]
    return name or f"attachment.{extension}"


def _store(upload: Upload, field: str) -> tuple[str, str]:
    mime = sniff(upload, field)
    extension = ALLOWED_TYPES[mime]
    stored = f"{secrets.token_hex(16)}.{extension}"
    path = upload_dir() / stored
    with open(path, "xb") as handle:
        handle.write(upload.data)
    return stored, mime


def add_listing_attachment(actor: Any, listing_id: int, upload: Upload) -> Attachment:
    """Attach a PDF or image to a listing of the caller's organisation."""
    from marketplace.listings.services import get_managed_listing, listing_changed

    user = require_user(actor)
    listing = get_managed_listing(user, listing_id)
    if listing.status == "closed":
        raise ValidationError(fields={"file": _("A closed listing cannot be changed.")})
    count = db.session.execute(sa.select(sa.func.count()).select_from(Attachment)
                               .where(Attachment.listing_id == listing.id)).scalar_one()
    if count >= MAX_PER_LISTING:
        raise ValidationError(fields={"file": _("A listing has at most %(n)d attachments.",
                                                n=MAX_PER_LISTING)})
    stored, mime = _store(upload, "file")
    attachment = Attachment(listing_id=listing.id, uploaded_by_id=user.id,
                            original_name=_clean_name(upload.filename, ALLOWED_TYPES[mime]),
                            stored_name=stored, content_type=mime, size_bytes=len(upload.data))
    db.session.add(attachment)
    listing_changed(listing)
    try:
        db.session.commit()
    except Exception:
        (upload_dir() / stored).unlink(missing_ok=True)
        raise
    return attachment


def store_application_attachment(user: Any, upload: Upload) -> Attachment:
    """Validate and store a proposal attachment; the caller links it and commits."""
    stored, mime = _store(upload, "attachment")
    return Attachment(uploaded_by_id=user.id,
                      original_name=_clean_name(upload.filename, ALLOWED_TYPES[mime]),
                      stored_name=stored, content_type=mime, size_bytes=len(upload.data))


def can_read_attachment(actor: Any, attachment: Attachment) -> bool:
    if attachment.listing_id is not None:
        from marketplace.listings.services import can_read

        listing = db.session.get(Listing, attachment.listing_id)
        return listing is not None and can_read(actor, listing)
    application = db.session.get(ChallengeApplication, attachment.application_id)
    if application is None:
        return False
    # A proposal is private to the applicant's organisation and the challenge owner.
    return is_admin(actor) or same_org(actor, application.org_id) \
        or same_org(actor, application.demand.org_id)


def get_attachment_for(actor: Any, attachment_id: int) -> tuple[Attachment, Path]:
    """An attachment and its file, if the caller may read it (NotFound otherwise)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_read_attachment(actor, attachment):
        raise NotFound()
    path = upload_dir() / attachment.stored_name
    if not path.is_file():
        raise NotFound()
    return attachment, path


def delete_attachment(actor: Any, attachment_id: int) -> int:
    """Remove a listing attachment (owner organisation or admin); returns the listing id."""
    from marketplace.listings.services import can_manage, listing_changed

    user = require_user(actor)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.listing_id is None \
            or not can_read_attachment(user, attachment):
        raise NotFound()
    listing = db.session.get(Listing, attachment.listing_id)
    if listing is None or not can_manage(user, listing):
        raise PermissionDenied()
    stored = attachment.stored_name
    db.session.delete(attachment)
    listing_changed(listing)
    db.session.commit()
    (upload_dir() / stored).unlink(missing_ok=True)
    return listing.id


def remove_files_of_listing(listing: Listing) -> Callable[[], None]:
    """Names of a listing's stored files, returned as a function to call after commit."""
    names = list(db.session.execute(
        sa.select(Attachment.stored_name).where(Attachment.listing_id == listing.id)).scalars())

    def remove() -> None:
        for name in names:
            (upload_dir() / name).unlink(missing_ok=True)

    return remove
