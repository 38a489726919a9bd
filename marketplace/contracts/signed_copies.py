"""The signed contract text (PDF) on file: upload before submission, read-only afterwards."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_role
from marketplace.contracts.models import ContractHistory, ContractSignedCopy
from marketplace.contracts.queries import contract_for_update, get_contract_for
from marketplace.contracts.services import EDITABLE_STATUSES
from marketplace.errors import InvalidTransition, NotFound, ValidationError
from marketplace.extensions import db
from marketplace.listings.attachments import Upload, clean_name, sniff

PDF = "application/pdf"


def upload_signed_copy(actor: User, contract_id: int, upload: Upload) -> ContractSignedCopy:
    """Put the signed contract on file (the broker on it, or an admin), replacing an earlier
    copy while the contract is a draft or was sent back. Checked by content: a PDF only."""
    user = require_role(actor, "broker", "admin")
    mime = sniff(upload, "file")
    if mime != PDF:
        raise ValidationError(fields={"file": _("The signed contract must be a PDF document.")})
    contract = contract_for_update(user, contract_id)
    if contract.status not in EDITABLE_STATUSES:
        message = _("The signed copy can only be replaced before the contract is submitted.")
        raise InvalidTransition(message, fields={"file": message})
    name = clean_name(upload.filename, "pdf")
    digest = hashlib.sha256(upload.data).hexdigest()
    previous = db.session.execute(
        sa.select(ContractSignedCopy).where(ContractSignedCopy.contract_id == contract.id)
    ).scalar_one_or_none()
    before = {"name": previous.original_name, "sha256": previous.sha256} if previous else None
    if previous is not None:
        db.session.delete(previous)
        db.session.flush()
    copy = ContractSignedCopy(
        contract_id=contract.id,
        original_name=name,
        sha256=digest,
        size_bytes=len(upload.data),
        data=upload.data,
        uploaded_by_id=user.id,
    )
    db.session.add(copy)
    db.session.add(
        ContractHistory(
            contract_id=contract.id,
            actor_id=user.id,
            action="signed_copy",
            field="signed_copy",
            before=before,
            after={"name": name, "sha256": digest},
        )
    )
    db.session.commit()
    return copy


def signed_copy_for(actor: User, contract_id: int) -> ContractSignedCopy:
    """The signed copy, for whoever may see the contract (parties, its broker, admins)."""
    contract = get_contract_for(actor, contract_id)
    copy = db.session.execute(
        sa.select(ContractSignedCopy).where(ContractSignedCopy.contract_id == contract.id)
    ).scalar_one_or_none()
    if copy is None:
        raise NotFound(_("No signed copy is on file for this contract."))
    return copy
