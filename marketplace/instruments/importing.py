"""Import an owner's instruments from CSV or XLSX: every row checked, then all written or none."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import load_workbook

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_user
from marketplace.errors import PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.instruments import permissions
from marketplace.instruments.models import Instrument
from marketplace.instruments.services import InstrumentData, clean_instrument

COLUMNS = (
    "ref",
    "name",
    "model",
    "category",
    "location",
    "specification",
    "fee",
    "fee_unit",
    "open_hours",
    "status",
)
MAX_ROWS = 2000


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(fields={"file": _("The file is not UTF-8 or GB18030 text.")})


def _cells(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    # Spreadsheet exports protect formula-like text with a leading apostrophe.
    return text[1:] if text[:2] in ("'=", "'+", "'-", "'@") else text


def read_table(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) for each non-empty row under a header row."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
            raw = [list(row) for row in sheet.iter_rows(values_only=True)] if sheet else []
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
            raise ValidationError(
                fields={"file": _("The file is not a readable XLSX workbook.")}
            ) from error
    elif lower.endswith(".csv"):
        try:
            raw = list(csv.reader(io.StringIO(_decode(data), newline="")))
        except csv.Error as error:
            raise ValidationError(fields={"file": _("The file is not valid CSV.")}) from error
    else:
        raise ValidationError(fields={"file": _("Upload a .csv or .xlsx file.")})
    if not raw:
        raise ValidationError(fields={"file": _("The file is empty.")})
    header = [_cells(cell).lstrip("\ufeff").lower() for cell in raw[0]]
    if "name" not in header:
        raise ValidationError(
            fields={"file": _("The first row must name the columns, including name.")}
        )
    rows = []
    for number, cells in enumerate(raw[1:], start=2):
        values = {
            key: _cells(cell) for key, cell in zip(header, cells, strict=False) if key in COLUMNS
        }
        if any(values.values()):
            rows.append((number, values))
    if len(rows) > MAX_ROWS:
        raise ValidationError(
            fields={"file": _("Import at most %(n)d rows at a time.", n=MAX_ROWS)}
        )
    return rows


def import_instruments(
    actor: User, filename: str, data: bytes, org_id: int | None = None
) -> ImportResult:
    """Create or update the instruments of the caller's organisation.

    A row is the same instrument as an existing one with the same ``ref``; a row without a ref is
    the same as the organisation's one ref-less instrument of that name and model — so importing
    a file twice updates, never doubles. Identical instruments need refs to be told apart.
    """
    user = require_user(actor)
    if not permissions.can_add_instrument(user):
        raise PermissionDenied()
    owner = org_id if user.role == "admin" else user.org_id
    if owner is None:
        raise ValidationError(fields={"org_id": _("Choose the owner organisation.")})
    result = ImportResult()
    prepared: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    for number, row in read_table(filename, data):
        data_row = InstrumentData(
            name=row.get("name", ""),
            model_no=row.get("model", ""),
            category=row.get("category", ""),
            location=row.get("location", ""),
            specification=row.get("specification", ""),
            fee=row.get("fee", ""),
            fee_unit=row.get("fee_unit") or "hour",
            open_hours=row.get("open_hours", ""),
            status=row.get("status") or "active",
            ref=row.get("ref") or None,
        )
        try:
            values = clean_instrument(data_row)
        except ValidationError as error:
            result.errors.extend(
                _("Row %(n)d: %(field)s: %(message)s", n=number, field=name, message=message)
                for name, message in error.fields.items()
            )
            continue
        key = _row_identity(values)
        if key in seen:
            message = (
                _("This reference appears twice in the file.")
                if values["ref"] is not None
                else _("Another row has this name and model: give each a ref to tell them apart.")
            )
            result.errors.append(
                _("Row %(n)d: %(field)s: %(message)s", n=number, field="ref", message=message)
            )
            continue
        seen.add(key)
        prepared.append(values)
    if result.errors:
        return result
    existing = _existing(owner)
    for values in prepared:
        matches = existing.get(_row_identity(values), [])
        if len(matches) > 1:
            result.errors.append(
                f"{values['name']}: ref: "
                + _("Several instruments have this name and model: give them refs in the file.")
            )
    if result.errors:
        return result
    for values in prepared:
        matches = existing.get(_row_identity(values), [])
        instrument = matches[0] if matches else None
        if instrument is None:
            db.session.add(Instrument(org_id=owner, created_by_id=user.id, **values))
            result.created += 1
        else:
            for column, value in values.items():
                setattr(instrument, column, value)
            result.updated += 1
    db.session.commit()
    return result


def _identity(ref: str | None, name: str, model_no: str | None) -> tuple[str, ...]:
    """What makes a row the same instrument: its ref, or without one its name and model."""
    return ("ref", ref) if ref is not None else ("name", name, model_no or "")


def _row_identity(values: dict[str, Any]) -> tuple[str, ...]:
    return _identity(values["ref"], values["name"], values["model_no"])


def _existing(owner: int) -> dict[tuple[str, ...], list[Instrument]]:
    instruments = db.session.execute(
        sa.select(Instrument).where(Instrument.org_id == owner).order_by(Instrument.id)
    ).scalars()
    found: dict[tuple[str, ...], list[Instrument]] = {}
    for item in instruments:
        found.setdefault(_identity(item.ref, item.name, item.model_no), []).append(item)
    return found
