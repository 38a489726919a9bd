"""Redemption documents: checked by content like every attachment, stored in the database under
random names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from marketplace import storage
from marketplace.errors import NotFound, ValidationError
from marketplace.extensions import db
from marketplace.listings.attachments import ALLOWED_TYPES, Upload, sniff
from marketplace.vouchers.models import VoucherDocument
from marketplace.vouchers.vocab import DOCUMENT_KINDS


@dataclass(frozen=True)
class StoredDocument:
    kind: str
    original_name: str
    stored_name: str
    content_type: str
    size_bytes: int


def _clean_name(filename: str, extension: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')[:200]
    return name or f"document.{extension}"


def store_documents(
    uploads: dict[str, Upload | None], required: tuple[str, ...]
) -> list[StoredDocument]:
    """Check every upload (all of them before storing any) and add them to the current
    transaction; the caller links them and commits (a rollback discards them too)."""
    errors: dict[str, str] = {}
    checked: list[tuple[str, Upload, str]] = []
    for kind in DOCUMENT_KINDS.codes:
        upload = uploads.get(kind)
        if upload is None or not upload.data:
            if kind in required:
                errors[kind] = _(
                    "Attach the %(document)s.", document=DOCUMENT_KINDS.label(kind).lower()
                )
            continue
        try:
            checked.append((kind, upload, sniff(upload, kind)))
        except ValidationError as error:
            errors.update(error.fields)
    unknown = set(uploads) - set(DOCUMENT_KINDS.codes)
    for kind in sorted(unknown):
        errors[kind] = _("Unknown document kind.")
    if errors:
        raise ValidationError(fields=errors)
    stored: list[StoredDocument] = []
    for kind, upload, mime in checked:
        extension = ALLOWED_TYPES[mime]
        name = storage.put(upload.data, mime, extension)
        stored.append(
            StoredDocument(
                kind, _clean_name(upload.filename, extension), name, mime, len(upload.data)
            )
        )
    return stored


def remove_files(names: list[str]) -> None:
    """Delete replaced documents' bytes in the caller's transaction."""
    storage.delete(names)


def document_file(document_id: int, may_read: Any) -> VoucherDocument:
    """A document if ``may_read(voucher)`` allows; NotFound otherwise. Its bytes are
    ``storage.file_response(document.stored_name)``."""
    document = db.session.get(VoucherDocument, document_id)
    if document is None or not may_read(document.voucher):
        raise NotFound()
    return document
