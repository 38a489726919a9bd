"""XLSX of contracts in the column layout of the national technology-contract system."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import selectinload

from marketplace import vocab
from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_role
from marketplace.contracts.models import Contract
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.workdays import LOCAL_TZ
from marketplace.xlsx import MONEY_FORMAT, keep_as_text

MAX_EXPORT_DAYS = 366


def national_header() -> list[str]:
    """The columns of the national system's registration list, in its order."""
    return [
        _("Registration number"),
        _("Contract title"),
        _("Contract type"),
        _("Subtype"),
        _("Technology field"),
        _("Seller"),
        _("Seller region"),
        _("Seller kind"),
        _("Buyer"),
        _("Buyer region"),
        _("Buyer kind"),
        _("Contract amount (yuan)"),
        _("Technology transaction amount (yuan)"),
        _("Signed on"),
        _("Term ends"),
        _("Registered on"),
        _("VAT exemption"),
        _("Broker"),
        _("Status"),
    ]


def _row(contract: Contract) -> list[Any]:
    subtypes = vocab.CONTRACT_SUBTYPES.get(contract.type)
    subtype = subtypes.label(contract.subtype) if subtypes and contract.subtype else ""
    tech = (
        contract.verified_tech_amount
        if contract.verified_tech_amount is not None
        else contract.tech_amount
    )
    registered = (
        contract.registered_at.astimezone(LOCAL_TZ).date() if contract.registered_at else None
    )
    return [
        contract.registration_no,
        contract.title,
        vocab.CONTRACT_TYPES.label(contract.type),
        subtype,
        vocab.FIELDS.label(contract.field),
        contract.seller_org.name,
        vocab.region_name(contract.seller_region),
        vocab.ORG_KINDS.label(contract.seller_kind),
        contract.buyer_org.name,
        vocab.region_name(contract.buyer_region),
        vocab.ORG_KINDS.label(contract.buyer_kind),
        contract.contract_amount,
        tech,
        contract.signed_on,
        contract.term_end,
        registered,
        _("yes") if contract.tax_exempt else _("no"),
        contract.broker.display_name if contract.broker else "",
        vocab.CONTRACT_STATUSES.label(contract.status),
    ]


def contracts_workbook(contracts: Iterable[Contract], title: str) -> bytes:
    """One sheet, national layout, amounts as exact numbers, dates as dates."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    header = national_header()
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for contract in contracts:
        sheet.append(_row(contract))
        keep_as_text(sheet[sheet.max_row])
    for column in (12, 13):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = MONEY_FORMAT
    for column in (14, 15, 16):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "yyyy-mm-dd"
    for index, text in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(text) * 2 + 2)
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def registrations_between(actor: User, start: date, end: date) -> list[Contract]:
    """Contracts registered from ``start`` to ``end`` (local dates, inclusive), including
    those voided since, in registration order (admins)."""
    require_role(actor, "admin")
    if end < start:
        raise ValidationError(fields={"end": _("The end date is before the start date.")})
    if (end - start).days > MAX_EXPORT_DAYS:
        raise ValidationError(fields={"end": _("Export at most one year at a time.")})
    begin = datetime.combine(start, datetime.min.time(), tzinfo=LOCAL_TZ)
    finish = datetime.combine(end, datetime.max.time(), tzinfo=LOCAL_TZ)
    return list(
        db.session.execute(
            sa.select(Contract)
            .where(
                Contract.status.in_(("registered", "void")),
                Contract.registered_at >= begin,
                Contract.registered_at <= finish,
            )
            .options(
                selectinload(Contract.seller_org),
                selectinload(Contract.buyer_org),
                selectinload(Contract.broker),
            )
            .order_by(Contract.registered_at, Contract.id)
        ).scalars()
    )
