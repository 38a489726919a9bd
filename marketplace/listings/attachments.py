"""Attachments: PDFs and images checked by content, stored in the database under random names,
served to the people allowed to see them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO

import filetype
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace import storage
from marketplace.accounts.models import User
from marketplace.accounts.permissions import is_admin, require_user, same_org
from marketplace.errors import NotFound, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.listings.changes import listing_changed
from marketplace.listings.models import Attachment, ChallengeApplication, Listing
from marketplace.listings.permissions import can_manage, can_read, get_managed_listing

ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
MAX_PER_LISTING = 10
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the user called it and its bytes."""

    filename: str
    data: bytes

    @classmethod
    def read(cls, filename: str | None, stream: IO[bytes], limit: int) -> Upload:
        # Read one byte past the limit: enough to know it is too large without reading it all.
        return cls(filename or "", stream.read(limit + 1))


def sniff(upload: Upload, field: str = "file") -> str:
    """The content type of an acceptable upload, judged by its bytes, never by its name."""
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    data = upload.data
    if not data:
        raise ValidationError(fields={field: _("Choose a file to upload; this one is empty.")})
    if len(data) > limit:
        raise ValidationError(
            fields={field: _("The file is larger than %(mb)s MB.", mb=f"{limit / 1024 / 1024:g}")}
        )
    if data.startswith(_EXECUTABLE_MAGIC):
        raise ValidationError(
            fields={field: _("Programs cannot be uploaded; attach a PDF or an image.")}
        )
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind else None
    if mime not in ALLOWED_TYPES:
        raise ValidationError(
            fields={
                field: _("Only PDF documents and PNG, JPEG, GIF or WebP images can be attached.")
            }
        )
    if mime == "application/pdf" and not _looks_like_pdf(data):
        raise ValidationError(fields={field: _("This is not a readable PDF document.")})
    return mime


def _looks_like_pdf(data: bytes) -> bool:
    # A real PDF starts with a version header, has at least one object and ends with %%EOF
    # (allowing trailing whitespace/garbage, as many writers add some).
    return (
        (data.startswith(b"%PDF-1.") or data.startswith(b"%PDF-2."))
        and b" obj" in data
        and b"%%EOF" in data[-2048:]
    )


def clean_name(filename: str, extension: str) -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip() or f"attachment.{extension}"
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')[:200]
    return name or f"attachment.{extension}"


def _store(upload: Upload, field: str) -> tuple[str, str]:
    """Check the upload and add its bytes to the current transaction."""
    mime = sniff(upload, field)
    return storage.put(upload.data, mime, ALLOWED_TYPES[mime]), mime


def add_listing_attachment(actor: User, listing_id: int, upload: Upload) -> Attachment:
    """Attach a PDF or image to a listing of the caller's organisation."""
    user = require_user(actor)
    listing = get_managed_listing(user, listing_id)
    if listing.status == "closed":
        raise ValidationError(fields={"file": _("A closed listing cannot be changed.")})
    count = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Attachment)
        .where(Attachment.listing_id == listing.id)
    ).scalar_one()
    if count >= MAX_PER_LISTING:
        raise ValidationError(
            fields={"file": _("A listing has at most %(n)d attachments.", n=MAX_PER_LISTING)}
        )
    stored, mime = _store(upload, "file")
    attachment = Attachment(
        listing_id=listing.id,
        uploaded_by_id=user.id,
        original_name=clean_name(upload.filename, ALLOWED_TYPES[mime]),
        stored_name=stored,
        content_type=mime,
        size_bytes=len(upload.data),
    )
    db.session.add(attachment)
    listing_changed(listing)
    db.session.commit()
    return attachment


def store_application_attachment(user: User, upload: Upload) -> Attachment:
    """Validate and store a proposal attachment; the caller links it and commits (a rollback
    discards the stored bytes with it)."""
    stored, mime = _store(upload, "attachment")
    return Attachment(
        uploaded_by_id=user.id,
        original_name=clean_name(upload.filename, ALLOWED_TYPES[mime]),
        stored_name=stored,
        content_type=mime,
        size_bytes=len(upload.data),
    )


def can_read_attachment(actor: User, attachment: Attachment) -> bool:
    if attachment.listing_id is not None:
        listing = db.session.get(Listing, attachment.listing_id)
        return listing is not None and can_read(actor, listing)
    application = db.session.get(ChallengeApplication, attachment.application_id)
    if application is None:
        return False
    # A proposal is private to the applicant's organisation and the challenge owner.
    return (
        is_admin(actor)
        or same_org(actor, application.org_id)
        or same_org(actor, application.demand.org_id)
    )


def get_attachment_for(actor: User, attachment_id: int) -> Attachment:
    """An attachment the caller may read (NotFound otherwise); its bytes are
    ``storage.file_response(attachment.stored_name)``."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not can_read_attachment(actor, attachment):
        raise NotFound()
    return attachment


def delete_attachment(actor: User, attachment_id: int) -> int:
    """Remove a listing attachment (owner organisation or admin); returns the listing id."""
    user = require_user(actor)
    attachment = db.session.get(Attachment, attachment_id)
    if (
        attachment is None
        or attachment.listing_id is None
        or not can_read_attachment(user, attachment)
    ):
        raise NotFound()
    listing = db.session.get(Listing, attachment.listing_id)
    if listing is None or not can_manage(user, listing):
        raise PermissionDenied()
    storage.delete([attachment.stored_name])
    db.session.delete(attachment)
    listing_changed(listing)
    db.session.commit()
    return listing.id


def remove_files_of_listing(listing: Listing) -> None:
    """Delete the stored files of a listing's attachments and of its challenge applications'
    attachments in the caller's transaction (their rows go by cascade with the listing)."""
    of_applications = sa.select(ChallengeApplication.id).where(
        ChallengeApplication.demand_id == listing.id
    )
    storage.delete(
        db.session.execute(
            sa.select(Attachment.stored_name).where(
                sa.or_(
                    Attachment.listing_id == listing.id,
                    Attachment.application_id.in_(of_applications),
                )
            )
        ).scalars()
    )
