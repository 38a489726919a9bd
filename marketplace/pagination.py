"""One way to cut a query into pages, for the web views and the API: Flask-SQLAlchemy's
``db.paginate``, where a page past the end is simply empty (never a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import request

from marketplace.extensions import db

# A hand-edited ?page=99999999999 must not reach the database as an offset it cannot hold.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page:
    """One page of rows and the count of all rows the query finds."""

    items: list[Any]
    total: int
    page: int
    per_page: int


def page_arg() -> int:
    """The request's ``page`` argument: 1 when missing or not a number, at most MAX_PAGE."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def paginate(query: sa.Select, page: int, per_page: int) -> Page:
    """Page ``page`` (from 1) of ``query``'s entities, ``per_page`` of them, and the total."""
    result = db.paginate(query, page=page, per_page=per_page, max_per_page=None, error_out=False)
    return Page(
        items=list(result.items),
        total=int(result.total or 0),
        page=result.page,
        per_page=result.per_page,
    )
