"""Registration-office use cases for admins: each checks the role, then reads or writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.permissions import require_role
from marketplace.errors import ValidationError
from marketplace.registry import queries, reports


def get_worklist(actor: User, today: date | None = None) -> list[queries.WaitingContract]:
    require_role(actor, "admin")
    return queries.worklist(current_app.config["REGISTRATION_TARGET_WORKING_DAYS"], today)


def get_report(actor: User, args: Mapping[str, Any], today: date) -> reports.Report:
    require_role(actor, "admin")
    kind = args.get("period") or "month"
    year = args.get("year") or today.year
    default = today.month if kind == "month" else (today.month - 1) // 3 + 1
    period = reports.parse_period(kind, year, args.get("number") or default)
    region = (args.get("region") or "").strip() or None
    if region is not None and not (region.isdigit() and len(region) == 6):
        raise ValidationError(fields={"region": _("A region is a six-digit code.")})
    return reports.build_report(period, region)


def drill(actor: User, args: Mapping[str, Any]) -> tuple[queries.DrillFilter, sa.Select]:
    require_role(actor, "admin")
    flt = queries.parse_drill(dict(args))
    return flt, queries.drill_query(flt)


def tax_report(actor: User, year: Any, region: Any = None) -> list[queries.ExemptRow]:
    require_role(actor, "admin")
    try:
        value = int(year)
        if not 1985 <= value <= 2200:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError(fields={"year": _("Enter a year between 1985 and 2200.")}) from None
    return queries.tax_exempt_by_month(value, region or None)


def parse_dates(start: Any, end: Any) -> tuple[date, date]:
    errors: dict[str, str] = {}
    values: list[date] = []
    for name, raw in (("start", start), ("end", end)):
        try:
            values.append(date.fromisoformat(str(raw or "")))
        except ValueError:
            errors[name] = _("Enter a date as YYYY-MM-DD.")
    if errors:
        raise ValidationError(fields=errors)
    return values[0], values[1]
