"""Public check of a 登记证明: the 登记号 and the certificate's verification code, nothing more."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.contracts.models import Contract
from marketplace.errors import NotFound, ValidationError
from marketplace.extensions import db

_NUMBER = re.compile(r"^\d{16}$")
_CODE = re.compile(r"^[0-9A-Z]{6,16}$")


@dataclass(frozen=True)
class PublicCertificate:
    """Exactly what anyone may learn about a registered contract from its certificate."""

    registration_no: str
    title: str
    type: str
    signed_on: date
    registered_at: datetime
    status: str  # "valid" or "void"
    voided_at: datetime | None  # not published: the API's CertificateOut leaves it out


def normalise_code(code: str) -> str:
    """Codes are typed from paper: ignore case, spaces and hyphens."""
    return re.sub(r"[\s\-]", "", code or "").upper()


def verify_certificate(registration_no: str, code: str) -> PublicCertificate:
    """The certificate's public fields if the number and the code belong together.

    An unknown number and a wrong code get the same answer, so the check cannot be used to
    learn which numbers exist.
    """
    number = (registration_no or "").strip()
    given = normalise_code(code)
    errors: dict[str, str] = {}
    if not _NUMBER.match(number):
        errors["registration_no"] = _("A registration number has 16 digits.")
    if not given:
        errors["code"] = _("Enter the verification code printed on the certificate.")
    elif not _CODE.match(given):
        errors["code"] = _("A verification code has letters and digits only.")
    if errors:
        raise ValidationError(fields=errors)
    contract = db.session.execute(
        sa.select(Contract).where(
            Contract.registration_no == number, Contract.status.in_(("registered", "void"))
        )
    ).scalar_one_or_none()
    stored = contract.verification_code if contract is not None else None
    # Compare in constant time even when there is nothing to compare against.
    matches = secrets.compare_digest(given, stored or "-" * len(given))
    if contract is None or stored is None or not matches or contract.registered_at is None:
        raise NotFound(
            _("No certificate has this registration number and verification code."),
            code="certificate_not_found",
        )
    return PublicCertificate(
        registration_no=number,
        title=contract.title,
        type=contract.type,
        signed_on=contract.signed_on,
        registered_at=contract.registered_at,
        status="void" if contract.status == "void" else "valid",
        voided_at=contract.voided_at,
    )
