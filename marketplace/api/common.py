"""Shared API pieces: the money field, pagination, the caller."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from marshmallow import Schema, ValidationError, fields, validate

from marketplace.accounts.permissions import require_user
from marketplace.extensions import db
from marketplace.money import MoneyError, money_str, parse_money


class MoneyField(fields.Field):
    """CNY as a decimal string ("12000.50"); NaN, Infinity, exponents and fractions of a fen
    are refused with a message."""

    def _serialize(self, value: Decimal | None, attr: str | None, obj: Any, **kwargs: Any
                   ) -> str | None:
        return money_str(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any
                     ) -> Decimal | None:
        try:
            return parse_money(value)
        except MoneyError as error:
            raise ValidationError(str(error)) from error


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ErrorSchema(Schema):
    error = fields.Dict(required=True)


def api_user() -> Any:
    """The caller: a bearer-token user, a signed-in browser for reads, else None."""
    return g.get("api_user")


def require_api_user() -> Any:
    return require_user(api_user())


def paginate(query: sa.Select, page: int, per_page: int,
             serialise: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """The SPEC list shape: ``{"items", "total", "page", "per_page"}``."""
    per_page = min(per_page, current_app.config["API_PER_PAGE_MAX"])
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).scalars()
    return {"items": [serialise(row) for row in rows], "total": total, "page": page,
            "per_page": per_page}
