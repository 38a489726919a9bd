"""Export any filtered list of listings to CSV or XLSX in the import format (so it re-imports)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.money import money_str

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORT_LIMIT = 100_000

COMMON_HEAD = ("ref", "title")
COMMON_TAIL = (
    "keywords",
    "field",
    "modes",
    "region",
    "posted_on",
    "contact_name",
    "contact_phone",
    "contact_email",
    "id",
    "status",
    "org_name",
    "view_count",
    "published_at",
    "source_labels",
)
COLUMNS = {
    "achievement": (
        *COMMON_HEAD,
        "summary",
        "maturity",
        "ip_type",
        "patent_numbers",
        "price",
        *COMMON_TAIL,
    ),
    "demand": (
        *COMMON_HEAD,
        "description",
        "budget_min",
        "budget_max",
        "deadline",
        "is_challenge",
        "bounty",
        "applications_open_on",
        "applications_close_on",
        *COMMON_TAIL,
    ),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        # Spreadsheets would run text such as "=HYPERLINK(...)" as a formula.
        return "'" + value
    return value


def row_of(listing: Listing) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ref": listing.ref,
        "title": listing.title,
        "keywords": listing.keywords or [],
        "field": listing.field,
        "modes": listing.modes or [],
        "region": listing.region,
        "posted_on": listing.posted_on.isoformat() if listing.posted_on else None,
        "contact_name": listing.contact_name,
        "contact_phone": listing.contact_phone,
        "contact_email": listing.contact_email,
        "id": listing.id,
        "status": listing.status,
        "org_name": listing.org.name if listing.org else None,
        "view_count": listing.view_count,
        "published_at": listing.published_at.isoformat() if listing.published_at else None,
        "source_labels": (listing.extra or {}).get("source_labels"),
    }
    if listing.kind == "achievement":
        data.update(
            summary=listing.body,
            maturity=listing.maturity,
            ip_type=listing.ip_type,
            patent_numbers=listing.patent_numbers or [],
            price=money_str(listing.price),
        )
    else:
        data.update(
            description=listing.body,
            budget_min=money_str(listing.budget_min),
            budget_max=money_str(listing.budget_max),
            deadline=listing.deadline.isoformat() if listing.deadline else None,
            is_challenge=listing.is_challenge,
            bounty=money_str(listing.bounty),
            applications_open_on=(
                listing.applications_open_on.isoformat() if listing.applications_open_on else None
            ),
            applications_close_on=(
                listing.applications_close_on.isoformat() if listing.applications_close_on else None
            ),
        )
    return data


def iter_listings(query: sa.Select) -> Iterator[Listing]:
    yield from db.session.execute(
        query.limit(EXPORT_LIMIT).execution_options(yield_per=500)
    ).scalars()


def export_bytes(kind: str, listings: Iterable[Listing], fmt: str) -> bytes:
    columns = COLUMNS[kind]
    rows = ([_cell(row_of(listing).get(column)) for column in columns] for listing in listings)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        # A byte-order mark makes Excel open the Chinese text as UTF-8.
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="achievements" if kind == "achievement" else "demands")
    sheet.append(list(columns))
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
