"""Shared API pieces: the money field, response building blocks, pagination, the caller."""

from __future__ import annotations

import copy
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace import pagination as pages
from marketplace.accounts.permissions import require_user
from marketplace.idempotency import HasId, fingerprint, run_once
from marketplace.serialise import MoneyField as MoneyField  # re-exported for the API modules


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ErrorBody(Schema):
    code = fields.String(
        required=True,
        metadata={
            "description": "Stable machine-readable code, e.g. not_found, invalid_transition"
        },
    )
    message = fields.String(required=True, metadata={"description": "For people, translated"})
    fields_ = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        data_key="fields",
        attribute="fields",
        metadata={"description": "Per-field messages, when input was refused"},
    )


class ErrorSchema(Schema):
    """The SPEC error body ``{"error": {"code", "message", "fields"?}}`` (marketplace.errors)."""

    error = fields.Nested(ErrorBody, required=True)


# Output building blocks. Amounts, rates and times reach the schemas already formatted by the
# serialisers (money_str, isoformat), so these are strings documented with their format.
def decimal_string(**kwargs: Any) -> fields.String:
    """A decimal number as a string ("12000.50"; rates "0.3560")."""
    return fields.String(metadata={"format": "decimal", "example": "12000.50"}, **kwargs)


def timestamp(**kwargs: Any) -> fields.String:
    """An ISO 8601 time with its offset, as written by ``datetime.isoformat``."""
    return fields.String(metadata={"format": "date-time"}, **kwargs)


def day(**kwargs: Any) -> fields.String:
    """An ISO 8601 date (YYYY-MM-DD)."""
    return fields.String(metadata={"format": "date"}, **kwargs)


SchemaT = TypeVar("SchemaT", bound=type[Schema])


def output(*optional: str) -> Callable[[SchemaT], SchemaT]:
    """Mark every field of a response schema required (always present in the body) except the
    ``optional`` ones, which only some callers or some kinds of object get."""

    def mark(schema: SchemaT) -> SchemaT:
        unknown = set(optional) - set(schema._declared_fields)
        if unknown:
            raise ValueError(f"{schema.__name__}: no fields {sorted(unknown)}")
        for name, field in list(schema._declared_fields.items()):
            # A copy: an inherited field object is shared with the parent schema.
            marked = copy.copy(field)
            marked.required = name not in optional
            schema._declared_fields[name] = marked
        return schema

    return mark


def page_of(item: type[Schema] | Schema, name: str, **extra: fields.Field) -> type[Schema]:
    """The SPEC list shape ``{"items", "total", "page", "per_page"}`` around ``item``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            **extra,
        },
        name=name,
    )


def items_of(item: type[Schema] | Schema, name: str, **extra: fields.Field) -> type[Schema]:
    """An unpaged ``{"items": [...]}`` list (and ``extra`` fields beside it)."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item), required=True), **extra}, name=name
    )


# 401 is possible everywhere (a bad bearer token is refused before any view runs), and 503
# wherever the database is used (a busy database answers "busy" with Retry-After).
ALWAYS = (401, 503)
F = TypeVar("F", bound=Callable[..., Any])


def errors(blp: Blueprint, *statuses: int) -> Callable[[F], F]:
    """Document the error responses an operation can give, each with the SPEC error body
    (the shared component responses of the API, see MarketplaceApi.ERROR_SCHEMA)."""

    def document(view: F) -> F:
        for status in sorted(set(ALWAYS + statuses)):
            view = blp.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return document


def api_user() -> Any:
    """The caller: a bearer-token user, a signed-in browser for reads, else None."""
    return g.get("api_user")


def require_api_user() -> Any:
    return require_user(api_user())


def paginate(
    query: sa.Select, page: int, per_page: int, serialise: Callable[[Any], Any] = lambda row: row
) -> dict[str, Any]:
    """The SPEC list shape: ``{"items", "total", "page", "per_page"}``; the items are the rows
    themselves unless ``serialise`` maps them (the response schema dumps them)."""
    per_page = min(per_page, current_app.config["API_PER_PAGE_MAX"])
    found = pages.paginate(query, page, per_page)
    return {
        "items": [serialise(row) for row in found.items],
        "total": found.total,
        "page": page,
        "per_page": per_page,
    }


IDEMPOTENCY_HEADER = "Idempotency-Key"


def create_once(scope: str, create: Callable[[], HasId]) -> tuple[int, bool]:
    """Run a create service once per ``Idempotency-Key`` header (if the client sent one): a
    repeat with the same key and body answers with what the first request created; the same
    key with another body is refused."""
    user = require_api_user()
    return run_once(
        user.id,
        scope,
        request.headers.get(IDEMPOTENCY_HEADER),
        create,
        digest=fingerprint(request.get_json(silent=True)),
    )
