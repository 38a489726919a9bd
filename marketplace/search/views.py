"""The search page and the matches panel helper for listing pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.money import format_wan, from_fen
from marketplace.search.matching import display_score, reason_text
from marketplace.search.query import FILTERS, SEARCH_KINDS, SORTS, SearchRequest, search
from marketplace.search.schema import PRICE_BANDS
from marketplace.search.services import matches_panel

bp = Blueprint("search", __name__)
PER_PAGE = 10


def _int_arg(name: str, default: int) -> int:
    try:
        return max(1, int(request.args.get(name, default)))
    except (TypeError, ValueError):
        return default


def search_request_from_args(args: Any, per_page: int = PER_PAGE) -> SearchRequest:
    kind = args.get("kind") if args.get("kind") in SEARCH_KINDS else "achievement"
    filters = tuple(
        (name, args.get(name, "").strip()) for name in FILTERS if args.get(name, "").strip()
    )
    sort = args.get("sort") if args.get("sort") in SORTS else "relevance"
    return SearchRequest(
        q=args.get("q", ""),
        kind=kind,
        filters=filters,
        sort=sort,
        page=_int_arg("page", 1),
        per_page=per_page,
    )


@bp.route("/search")
def search_page() -> ResponseReturnValue:
    search_request = search_request_from_args(request.args)
    result = search(search_request)
    return render_template(
        "search/index.html",
        result=result,
        req=search_request,
        filters=dict(search_request.filters),
        price_bands=PRICE_BANDS,
    )


def init_search_templating(app: Flask) -> None:
    """``listing_matches(listing)`` for the listing pages' matches panel, ``match_reason(reason)``
    for a stored match reason as a sentence in the reader's language (deal pages), and the
    ``match_score`` filter: a match score on the one 0–100 scale of every page and the API."""

    def listing_matches(listing: Any, limit: int = 10) -> list[dict[str, Any]] | None:
        return matches_panel(current_user, listing, limit=limit)

    app.jinja_env.globals.update(
        listing_matches=listing_matches,
        match_reason=reason_text,
        fen_wan=fen_wan,
        price_band_label=price_band_label,
    )
    app.jinja_env.filters["match_score"] = display_score


def fen_wan(fen: int | None) -> str:
    return "" if fen is None else format_wan(from_fen(fen))


def price_band_label(code: str) -> str:
    labels = {
        "negotiable": _("Negotiable"),
        "lt100k": _("Under 100,000 yuan"),
        "100k_500k": _("100,000–500,000 yuan"),
        "500k_1m": _("500,000–1 million yuan"),
        "1m_5m": _("1–5 million yuan"),
        "gte5m": _("5 million yuan or more"),
    }
    return str(labels.get(code, code))
